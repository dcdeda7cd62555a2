#include "controller/runtime/http_server.h"

#include <CivetServer.h>

#include <vector>

namespace tso::runtime {

namespace {

void reply(mg_connection* conn, int status, const char* contentType, const std::string& body) {
  const char* text = status == 200   ? "OK"
                     : status == 400 ? "Bad Request"
                     : status == 404 ? "Not Found"
                                     : "Service Unavailable";
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n",
            status, text, contentType, body.size());
  mg_write(conn, body.data(), body.size());
}

class FnHandler : public CivetHandler {
 public:
  explicit FnHandler(std::function<void(mg_connection*)> fn) : fn_(std::move(fn)) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    fn_(conn);
    return true;
  }

 private:
  std::function<void(mg_connection*)> fn_;
};

}  // namespace

struct HttpServer::Impl {
  HttpRoutes routes;
  std::unique_ptr<CivetServer> server;
  std::vector<std::unique_ptr<FnHandler>> handlers;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() {
  if (impl_ && impl_->server) impl_->server->close();
}

int HttpServer::port() const {
  auto ports = impl_->server->getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const std::string& bindAddress, HttpRoutes routes) {
  auto colon = bindAddress.rfind(':');
  if (colon == std::string::npos || colon + 1 == bindAddress.size()) {
    return fail(ErrorCode::kConfig, "--metrics-bind-address \"" + bindAddress + "\" is not host:port or :port");
  }
  const std::string host = bindAddress.substr(0, colon);
  const std::string port = bindAddress.substr(colon + 1);
  for (char c : port) {
    if (c < '0' || c > '9') return fail(ErrorCode::kConfig, "--metrics-bind-address \"" + bindAddress + "\": bad port");
  }
  const std::string listen = host.empty() ? port : host + ":" + port;
  auto impl = std::make_unique<Impl>();
  impl->routes = std::move(routes);
  std::vector<std::string> options = {"listening_ports",    listen,  "num_threads",       "4",
                                      "request_timeout_ms", "10000", "enable_keep_alive", "no"};
  try {
    impl->server = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kConfig, "cannot listen on --metrics-bind-address \"" + bindAddress + "\": " + e.what());
  }
  Impl* raw = impl.get();
  auto add = [raw](const char* uri, std::function<void(mg_connection*)> fn) {
    raw->handlers.push_back(std::make_unique<FnHandler>(std::move(fn)));
    raw->server->addHandler(uri, raw->handlers.back().get());
  };
  add("/metrics$", [raw](mg_connection* c) { reply(c, 200, "text/plain; version=0.0.4", raw->routes.metrics()); });
  add("/healthz$", [](mg_connection* c) { reply(c, 200, "text/plain", "ok\n"); });
  add("/readyz$", [raw](mg_connection* c) {
    const bool ok = raw->routes.ready && raw->routes.ready();
    reply(c, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "caches not synced yet\n");
  });
  add("/api/services$", [raw](mg_connection* c) {
    if (!raw->routes.servicesJson) {
      reply(c, 200, "application/json", "[]");
      return;
    }
    const char* query = mg_get_request_info(c)->query_string;
    auto body = raw->routes.servicesJson(query != nullptr ? std::string_view(query) : std::string_view());
    if (body) {
      reply(c, 200, "application/json", *body);
    } else {
      reply(c, 400, "text/plain", "/api/services: " + body.error().message + "\n");
    }
  });
  add("/$", [raw](mg_connection* c) {
    reply(c, 200, "text/html; charset=utf-8", raw->routes.page ? raw->routes.page() : "");
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace tso::runtime
