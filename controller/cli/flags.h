// Minimal flag parsing shared by the subcommands: `--name value`, `--name=value` and boolean
// `--name`. Unknown flags and missing values are usage errors (exit code 2) naming the flag.
#pragma once

#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "controller/common/result.h"

namespace tso::cli {

struct FlagSpec {
  std::string_view name;  // without the leading "--"
  bool takesValue;
  std::string_view help;
};

class Flags {
 public:
  static Result<Flags> parse(std::span<const char* const> args, std::span<const FlagSpec> specs);

  [[nodiscard]] bool has(std::string_view name) const { return values_.contains(std::string(name)); }
  [[nodiscard]] std::optional<std::string> value(std::string_view name) const;

 private:
  std::map<std::string, std::string> values_;
};

// "Flags:" followed by one line per flag.
std::string flagHelp(std::span<const FlagSpec> specs);

// Runs `--help` handling and parsing for a command: returns the flags, or the exit code to
// return (0 after printing help, 2 after a usage error on stderr).
std::expected<Flags, int> parseOrExit(std::string_view command, std::string_view synopsis,
                                      std::span<const char* const> args, std::span<const FlagSpec> specs);

}  // namespace tso::cli
