// Entry points of the subcommands registered in commands.cc (one .cc file per command).
#pragma once

#include <span>

namespace tso::cli {

int runBacktest(std::span<const char* const> args);
int runSimulate(std::span<const char* const> args);

}  // namespace tso::cli
