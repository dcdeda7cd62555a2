#include "controller/cli/commands.h"

#include "controller/cli/commands_impl.h"

namespace tso::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"run", "run the operator: watch ThroughputServices and scale ahead of demand", &runRun},
      {"backtest", "rolling-origin evaluation of the forecast models on a CSV trace", &runBacktest},
      {"loadgen", "serve synthetic demand metrics (daily cycle + recurring spike) for demos", &runLoadgen},
      {"simulate", "replay a CSV trace against predictive, HPA and oracle autoscaling", &runSimulate},
      {"replay", "what-if: a ThroughputService's own policy on its Prometheus history, beside the HPA", &runReplay},
  };
  return kCommands;
}

}  // namespace tso::cli
