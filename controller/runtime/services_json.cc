#include "controller/runtime/services_json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <type_traits>

namespace tso::runtime {

namespace {

template <typename Number>
void appendNumber(std::string& out, Number v) {
  if constexpr (std::is_floating_point_v<Number>) {
    if (!std::isfinite(v)) {
      out += "null";
      return;
    }
  }
  std::array<char, 32> buf{};
  const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  out.append(buf.data(), r.ptr);
}

// A JSON string: quotes, backslashes and control characters escaped; UTF-8 passes through.
void appendString(std::string& out, const std::string& v) {
  out += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  out += '"';
}

// One JSON object being written: fields are separated as they come, the brace closes with
// the writer's scope.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // Writes `"key":` and returns the text for the value to be appended to.
  std::string& key(const char* k) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += k;
    out_ += "\":";
    return out_;
  }
  void string(const char* k, const std::string& v) { appendString(key(k), v); }
  template <typename Number>
  void number(const char* k, Number v) {
    appendNumber(key(k), v);
  }
  void boolean(const char* k, bool v) { key(k) += v ? "true" : "false"; }

 private:
  std::string& out_;
  bool first_ = true;
};

template <typename Values, typename Write>
void appendArray(std::string& out, const Values& values, Write write) {
  out += '[';
  bool first = true;
  for (const auto& v : values) {
    if (!first) out += ',';
    first = false;
    write(v);
  }
  out += ']';
}

void appendHistory(std::string& out, const reconcile::ServiceSnapshot& s) {
  static const std::vector<float> kNone;
  static const std::vector<std::int32_t> kNoDesired;
  const auto& h = s.history;
  const auto& actual = h ? h->actual : kNone;
  ObjectWriter o(out);
  std::string& times = o.key("times");
  times += '[';
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (i > 0) times += ',';
    appendNumber(times, h->start + static_cast<std::int64_t>(i) * s.step);
  }
  times += ']';
  appendArray(o.key("actual"), actual, [&](float v) { appendNumber(out, v); });
  appendArray(o.key("predicted"), h ? h->forecastForTime : kNone, [&](float v) { appendNumber(out, v); });
  // Negative: before this operator's first decision.
  appendArray(o.key("desired"), h ? h->desired : kNoDesired, [&](std::int32_t v) {
    if (v < 0) {
      out += "null";
    } else {
      appendNumber(out, v);
    }
  });
}

// %XX and '+' decoded; nullopt on a broken escape.
std::optional<std::string> urlDecode(std::string_view s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex(s[i + 1]);
      const int lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

Result<ServicesQuery> parseServicesQuery(std::string_view query) {
  ServicesQuery q;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto name = urlDecode(pair.substr(0, eq));
    const auto value = urlDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!name || !value) return fail(ErrorCode::kInvalid, "bad %-escape in \"" + std::string(pair) + "\"");
    if (*name == "history") {
      if (*value != "all" && *value != "none")
        return fail(ErrorCode::kInvalid, "history=\"" + *value + "\": expected all or none");
      q.history = *value == "all";
    } else if (*name == "service") {
      const auto slash = value->find('/');
      if (slash == std::string::npos || slash == 0 || slash + 1 == value->size() ||
          value->find('/', slash + 1) != std::string::npos)
        return fail(ErrorCode::kInvalid, "service=\"" + *value + "\": expected namespace/name");
      q.services.push_back(*value);
    } else {
      return fail(ErrorCode::kInvalid, "unknown parameter \"" + *name + "\" (expected history or service)");
    }
  }
  return q;
}

std::string servicesJson(const std::vector<reconcile::ServiceSnapshot>& snaps, bool withHistory) {
  std::string out;
  std::size_t steps = 0;
  for (const auto& s : snaps) steps += s.history ? s.history->actual.size() : 0;
  out.reserve(snaps.size() * 700 + steps * 40);  // ~ the size written: one allocation
  out += '[';
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const auto& s = snaps[i];
    if (i > 0) out += ',';
    ObjectWriter o(out);
    o.string("namespace", s.ns);
    o.string("name", s.name);
    o.string("mode", s.mode);
    o.boolean("valid", s.valid);
    if (s.hasDemand) {
      o.number("demand", s.demand);
    } else {
      o.key("demand") += "null";
    }
    o.number("predictedDemand", s.predictedDemand);
    {
      ObjectWriter r(o.key("replicas"));
      r.number("reactive", s.reactive);
      r.number("predicted", s.predicted);
      r.number("scheduled", s.scheduled);
      r.number("final", s.desired);
      r.number("current", s.current);
      r.string("winner", s.winner);
    }
    o.number("leadTimeSeconds", s.leadSeconds);
    {
      ObjectWriter a(o.key("accuracy"));
      a.number("wape", s.wape);
      a.number("coverage", s.coverage);
      a.number("scored", s.scored);
    }
    o.boolean("fallback", s.fallback);
    o.string("model", s.model);
    o.number("step", s.step);
    if (withHistory) appendHistory(o.key("history"), s);
  }
  out += ']';
  return out;
}

}  // namespace tso::runtime
