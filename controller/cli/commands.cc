#include "controller/cli/commands.h"

#include "controller/cli/commands_impl.h"

namespace tso::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"backtest", "rolling-origin evaluation of the forecast models on a CSV trace", &runBacktest},
      {"simulate", "replay a CSV trace against predictive, HPA and oracle autoscaling", &runSimulate},
  };
  return kCommands;
}

}  // namespace tso::cli
