// throughput-operator: flags and wiring only. Each subcommand lives in controller/cli.
#include <cstdio>
#include <span>
#include <string_view>

#include "controller/cli/commands.h"

#ifndef TSO_VERSION
#define TSO_VERSION "dev"
#endif

namespace {

void printUsage(std::FILE* out) {
  std::fprintf(out,
               "throughput-operator %s: scales Kubernetes workloads ahead of forecast demand.\n\n"
               "Usage: throughput-operator <command> [flags]\n\nCommands:\n",
               TSO_VERSION);
  for (const auto& c : tso::cli::commands()) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(out,
               "\nGlobal flags:\n  --help      this text ('<command> --help' for a command's flags)\n"
               "  --version   print the version and exit\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::span<const char* const> args(argv, static_cast<size_t>(argc));
  if (args.size() < 2) {
    printUsage(stderr);
    return 2;
  }
  std::string_view first = args[1];
  if (first == "--help" || first == "-h" || first == "help") {
    printUsage(stdout);
    return 0;
  }
  if (first == "--version" || first == "version") {
    std::printf("throughput-operator %s\n", TSO_VERSION);
    return 0;
  }
  for (const auto& c : tso::cli::commands()) {
    if (c.name == first) return c.run(args.subspan(2));
  }
  std::fprintf(stderr, "throughput-operator: unknown command '%.*s' (see --help)\n", static_cast<int>(first.size()),
               first.data());
  return 2;
}
