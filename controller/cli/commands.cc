#include "controller/cli/commands.h"

namespace tso::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {};
  return kCommands;
}

}  // namespace tso::cli
