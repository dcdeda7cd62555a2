#include "controller/cli/flags.h"

#include <cstdio>

namespace tso::cli {

Result<Flags> Flags::parse(std::span<const char* const> args, std::span<const FlagSpec> specs) {
  Flags flags;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i] ? args[i] : "";
    if (!arg.starts_with("--")) return fail(ErrorCode::kConfig, "unexpected argument '" + std::string(arg) + "'");
    arg.remove_prefix(2);
    std::optional<std::string_view> inlineValue;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      inlineValue = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const auto& s : specs) {
      if (s.name == arg) spec = &s;
    }
    if (!spec) return fail(ErrorCode::kConfig, "unknown flag --" + std::string(arg));
    std::string value;
    if (spec->takesValue) {
      if (inlineValue) {
        value = *inlineValue;
      } else if (i + 1 < args.size() && args[i + 1]) {
        value = args[++i];
      } else {
        return fail(ErrorCode::kConfig, "flag --" + std::string(arg) + " needs a value");
      }
    } else if (inlineValue) {
      return fail(ErrorCode::kConfig, "flag --" + std::string(arg) + " takes no value");
    }
    flags.values_[std::string(arg)] = value;
  }
  return flags;
}

std::optional<std::string> Flags::value(std::string_view name) const {
  const auto it = values_.find(std::string(name));
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::string flagHelp(std::span<const FlagSpec> specs) {
  std::string out = "Flags:\n";
  for (const auto& s : specs) {
    std::string left = "  --" + std::string(s.name) + (s.takesValue ? " VALUE" : "");
    if (left.size() < 24) left.resize(24, ' ');
    out += left + " " + std::string(s.help) + "\n";
  }
  return out;
}

std::expected<Flags, int> parseOrExit(std::string_view command, std::string_view synopsis,
                                      std::span<const char* const> args, std::span<const FlagSpec> specs) {
  for (const char* a : args) {
    if (a && (std::string_view(a) == "--help" || std::string_view(a) == "-h")) {
      std::printf("Usage: throughput-operator %.*s\n\n%s", static_cast<int>(synopsis.size()), synopsis.data(),
                  flagHelp(specs).c_str());
      return std::unexpected(0);
    }
  }
  auto flags = Flags::parse(args, specs);
  if (!flags) {
    std::fprintf(stderr, "throughput-operator %.*s: %s (see --help)\n", static_cast<int>(command.size()),
                 command.data(), flags.error().message.c_str());
    return std::unexpected(2);
  }
  return std::move(*flags);
}

}  // namespace tso::cli
