// The only file that includes cpprestsdk (see transport.h).
#include "controller/kube/cpprest_transport.h"

#include <cpprest/http_client.h>

#include <boost/asio/ssl.hpp>
#include <map>
#include <vector>

namespace tso::kube {

namespace {

namespace http = web::http;

http::method toMethod(Method m) {
  switch (m) {
    case Method::kGet:
      return http::methods::GET;
    case Method::kPost:
      return http::methods::POST;
    case Method::kPut:
      return http::methods::PUT;
    case Method::kPatch:
      return http::methods::PATCH;
    case Method::kDelete:
      return http::methods::DEL;
  }
  return http::methods::GET;
}

// Applies the kubeconfig's CA and client certificate to a TLS context. Throws
// boost::system::system_error on invalid PEM (callers catch it).
void configureTls(boost::asio::ssl::context& ctx, const Config& cfg) {
  if (!cfg.caPem.empty()) {
    // Like client-go, a kubeconfig CA is the only trust root for the apiserver. cpprest has
    // already loaded the whole system CA bundle into this context, a copy for each live
    // connection; a fresh store keeps the cluster CA alone, and a public CA can no longer vouch
    // for a server of that name.
    if (X509_STORE* store = X509_STORE_new()) SSL_CTX_set_cert_store(ctx.native_handle(), store);
    ctx.add_certificate_authority(boost::asio::buffer(cfg.caPem));
  }
  if (!cfg.clientCertPem.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(cfg.clientCertPem));
    ctx.use_private_key(boost::asio::buffer(cfg.clientKeyPem), boost::asio::ssl::context::pem);
  }
}

int retryAfter(const http::http_headers& headers) {
  auto it = headers.find("Retry-After");
  if (it == headers.end()) return 0;
  try {
    return std::max(0, std::stoi(it->second));
  } catch (const std::exception&) {
    return 0;  // an HTTP-date form: treat as "no hint"
  }
}

class CpprestTransport final : public Transport {
 public:
  explicit CpprestTransport(Config cfg) : cfg_(std::move(cfg)) {}

  Result<HttpResponse> send(const HttpRequest& request, std::string_view bearerToken) override {
    // A pooled keep-alive connection may have been closed by the server (an apiserver
    // restart) without the pool noticing; the request then fails before the server saw it.
    // Like Go's net/http, retry such failures on a fresh connection: always when nothing was
    // written, and for reads also when no status line came back.
    constexpr int kStaleConnectionRetries = 4;
    for (int attempt = 0;; ++attempt) {
      try {
        auto& client = clientFor(request.timeout);
        http::http_response response = client.request(makeMessage(request, bearerToken)).get();
        HttpResponse out;
        out.status = response.status_code();
        out.retryAfterSeconds = retryAfter(response.headers());
        out.body = response.extract_utf8string(true).get();
        return out;
      } catch (const std::exception& e) {
        std::string what = e.what();
        bool nothingWritten = what.find("Failed to write request") != std::string::npos;
        bool noStatus = what.find("Failed to read HTTP status line") != std::string::npos;
        bool retriable = nothingWritten || (noStatus && request.method == Method::kGet);
        if (!retriable || attempt >= kStaleConnectionRetries) {
          return fail(ErrorCode::kTransient,
                      std::string(methodName(request.method)) + " " + request.path + ": " + what);
        }
      }
    }
  }

  Result<HttpResponse> stream(const HttpRequest& request, std::string_view bearerToken,
                              const std::function<bool(std::string_view)>& onData, Cancellation& cancel) override {
    pplx::cancellation_token_source cts;
    cancel.setAbort([cts] { cts.cancel(); });
    auto result = streamImpl(request, bearerToken, onData, cts, cancel);
    cancel.clearAbort();
    return result;
  }

 private:
  Result<HttpResponse> streamImpl(const HttpRequest& request, std::string_view bearerToken,
                                  const std::function<bool(std::string_view)>& onData,
                                  pplx::cancellation_token_source& cts, Cancellation& cancel) {
    try {
      // A watch holds its connection for minutes; a client of its own keeps it out of the
      // shared pool, where a half-read or concurrently streamed connection stalled the next
      // watch (seen against a real apiserver after a 410).
      auto client = makeClient(request.timeout);
      http::http_response response = client->request(makeMessage(request, bearerToken), cts.get_token()).get();
      HttpResponse out;
      out.status = response.status_code();
      out.retryAfterSeconds = retryAfter(response.headers());
      if (out.status < 200 || out.status >= 300) {
        out.body = response.extract_utf8string(true).get();
        return out;
      }
      auto body = response.body();
      std::vector<uint8_t> buf(std::size_t{64} * 1024);
      auto sb = body.streambuf();
      using Traits = concurrency::streams::streambuf<uint8_t>::traits;
      while (!cancel.cancelled()) {
        // getn(n) waits until n bytes or the end, which stalls a quiet watch; so block for one
        // byte, then take only what has already arrived.
        auto first = sb.bumpc().get();
        if (first == Traits::eof()) return out;  // the server ended the stream or it was closed
        buf[0] = static_cast<uint8_t>(first);
        size_t avail = std::min(sb.in_avail(), buf.size() - 1);
        size_t n = 1 + (avail > 0 ? sb.getn(buf.data() + 1, avail).get() : 0);
        if (!onData(std::string_view(reinterpret_cast<const char*>(buf.data()), n))) break;
      }
      // Stopped before the end of the stream: abort the request so its connection is closed
      // rather than left half-read, where it stalls the next watch on this client.
      cts.cancel();
      return out;
    } catch (const std::exception& e) {
      if (cancel.cancelled()) return HttpResponse{200, {}, 0};
      return fail(ErrorCode::kTransient, "watch " + request.path + ": " + e.what());
    }
  }

  http::http_request makeMessage(const HttpRequest& request, std::string_view bearerToken) const {
    http::http_request msg(toMethod(request.method));
    msg.set_request_uri(web::uri(request.path));
    msg.headers().add("Accept", "application/json");
    msg.headers().add("User-Agent", "throughput-operator");
    if (!bearerToken.empty()) msg.headers().add("Authorization", "Bearer " + std::string(bearerToken));
    if (!request.contentType.empty()) msg.set_body(request.body, request.contentType);
    return msg;
  }

  // cpprestsdk fixes the timeout per client, so keep one client (and its connection pool)
  // per distinct timeout: in practice two, requests and watches.
  http::client::http_client& clientFor(std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) timeout = cfg_.requestTimeout;
    std::lock_guard lock(mu_);
    auto it = clients_.find(timeout.count());
    if (it != clients_.end()) return *it->second;
    auto client = makeClient(timeout);
    auto& ref = *client;
    clients_.emplace(timeout.count(), std::move(client));
    return ref;
  }

  std::unique_ptr<http::client::http_client> makeClient(std::chrono::milliseconds timeout) const {
    if (timeout.count() <= 0) timeout = cfg_.requestTimeout;
    http::client::http_client_config hc;
    hc.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
    hc.set_validate_certificates(!cfg_.insecureSkipTlsVerify);
    Config tls = cfg_;
    hc.set_ssl_context_callback([tls](boost::asio::ssl::context& ctx) { configureTls(ctx, tls); });
    return std::make_unique<http::client::http_client>(web::uri(cfg_.server), hc);
  }

  Config cfg_;
  std::mutex mu_;
  std::map<long, std::unique_ptr<http::client::http_client>> clients_;
};

}  // namespace

Result<std::unique_ptr<Transport>> makeCpprestTransport(const Config& config) {
  // Check the PEM data once here, so a bad kubeconfig fails at start-up with the field named
  // rather than as a TLS error on every request.
  try {
    boost::asio::ssl::context ctx(boost::asio::ssl::context::tls_client);
    if (!config.caPem.empty()) {
      try {
        ctx.add_certificate_authority(boost::asio::buffer(config.caPem));
      } catch (const std::exception& e) {
        return fail(ErrorCode::kConfig, "certificate-authority: not a valid PEM certificate: " + std::string(e.what()));
      }
    }
    if (!config.clientCertPem.empty()) {
      try {
        ctx.use_certificate_chain(boost::asio::buffer(config.clientCertPem));
      } catch (const std::exception& e) {
        return fail(ErrorCode::kConfig, "client-certificate: not a valid PEM certificate: " + std::string(e.what()));
      }
      try {
        ctx.use_private_key(boost::asio::buffer(config.clientKeyPem), boost::asio::ssl::context::pem);
      } catch (const std::exception& e) {
        return fail(ErrorCode::kConfig,
                    "client-key: not a valid PEM key matching client-certificate: " + std::string(e.what()));
      }
    }
    web::uri uri(config.server);
    if (uri.host().empty()) return fail(ErrorCode::kConfig, "server: no host in \"" + config.server + "\"");
  } catch (const std::exception& e) {
    return fail(ErrorCode::kConfig, "server \"" + config.server + "\": " + e.what());
  }
  return std::unique_ptr<Transport>(std::make_unique<CpprestTransport>(config));
}

}  // namespace tso::kube
