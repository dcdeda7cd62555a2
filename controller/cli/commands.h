// The subcommands of the one binary. Each takes its own arguments (argv after the
// subcommand name) and returns the process exit code: 0 ok, 1 failure, 2 bad usage or input.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace tso::cli {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<const char* const> args);
};

// Every registered subcommand, in the order `--help` lists them.
const std::vector<Command>& commands();

}  // namespace tso::cli
