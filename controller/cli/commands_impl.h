// Entry points of the subcommands registered in commands.cc (one .cc file per command).
#pragma once

#include <span>

namespace tso::cli {

int runBacktest(std::span<const char* const> args);
int runSimulate(std::span<const char* const> args);
int runRun(std::span<const char* const> args);
int runLoadgen(std::span<const char* const> args);
int runReplay(std::span<const char* const> args);
// The loadgen's demand at unix time t (exposed for scenario tests).
double loadgenDemand(double t, double base, double peak, double period, double spikeEvery, double spikeOffset,
                     double spikeDuration, double spikeMultiplier);

}  // namespace tso::cli
