#include "controller/runtime/services_json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
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

// "key":
void appendKey(std::string& out, const char* key) {
  out += '"';
  out += key;
  out += "\":";
}

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
  out += '{';
  appendKey(out, "times");
  out += '[';
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (i > 0) out += ',';
    appendNumber(out, h->start + static_cast<std::int64_t>(i) * s.step);
  }
  out += "],";
  appendKey(out, "actual");
  appendArray(out, actual, [&](float v) { appendNumber(out, v); });
  out += ',';
  appendKey(out, "predicted");
  appendArray(out, h ? h->forecastForTime : kNone, [&](float v) { appendNumber(out, v); });
  out += ',';
  appendKey(out, "desired");
  // Negative: before this operator's first decision.
  appendArray(out, h ? h->desired : kNoDesired, [&](std::int32_t v) {
    if (v < 0) {
      out += "null";
    } else {
      appendNumber(out, v);
    }
  });
  out += '}';
}

}  // namespace

std::string servicesJson(const std::vector<reconcile::ServiceSnapshot>& snaps) {
  std::string out;
  std::size_t steps = 0;
  for (const auto& s : snaps) steps += s.history ? s.history->actual.size() : 0;
  out.reserve(snaps.size() * 700 + steps * 40);  // ~ the size written: one allocation
  out += '[';
  for (std::size_t i = 0; i < snaps.size(); ++i) {
    const auto& s = snaps[i];
    if (i > 0) out += ',';
    out += '{';
    appendKey(out, "namespace");
    appendString(out, s.ns);
    out += ',';
    appendKey(out, "name");
    appendString(out, s.name);
    out += ',';
    appendKey(out, "mode");
    appendString(out, s.mode);
    out += ',';
    appendKey(out, "valid");
    out += s.valid ? "true" : "false";
    out += ',';
    appendKey(out, "demand");
    if (s.hasDemand) {
      appendNumber(out, s.demand);
    } else {
      out += "null";
    }
    out += ',';
    appendKey(out, "predictedDemand");
    appendNumber(out, s.predictedDemand);
    out += ',';
    appendKey(out, "replicas");
    out += '{';
    const std::array<std::pair<const char*, int>, 5> replicas = {{{"reactive", s.reactive},
                                                                  {"predicted", s.predicted},
                                                                  {"scheduled", s.scheduled},
                                                                  {"final", s.desired},
                                                                  {"current", s.current}}};
    for (const auto& [key, value] : replicas) {
      appendKey(out, key);
      appendNumber(out, value);
      out += ',';
    }
    appendKey(out, "winner");
    appendString(out, s.winner);
    out += "},";
    appendKey(out, "leadTimeSeconds");
    appendNumber(out, s.leadSeconds);
    out += ',';
    appendKey(out, "accuracy");
    out += '{';
    appendKey(out, "wape");
    appendNumber(out, s.wape);
    out += ',';
    appendKey(out, "coverage");
    appendNumber(out, s.coverage);
    out += ',';
    appendKey(out, "scored");
    appendNumber(out, s.scored);
    out += "},";
    appendKey(out, "fallback");
    out += s.fallback ? "true" : "false";
    out += ',';
    appendKey(out, "model");
    appendString(out, s.model);
    out += ',';
    appendKey(out, "step");
    appendNumber(out, s.step);
    out += ',';
    appendKey(out, "history");
    appendHistory(out, s);
    out += '}';
  }
  out += ']';
  return out;
}

}  // namespace tso::runtime
