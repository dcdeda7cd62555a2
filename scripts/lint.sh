#!/usr/bin/env bash
# Static checks: shellcheck over every script, clang-tidy over the C++ sources (.clang-tidy),
# clang-format in check mode. Usage: scripts/lint.sh BUILD_DIR (holds compile_commands.json).
set -euo pipefail
build=${1:-build}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rc=0
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck -x "${scripts[@]}" || rc=1
mapfile -t sources < <(git ls-files 'controller/*.cc' 'predictor/*.cc')
if [[ ${#sources[@]} -gt 0 ]]; then
  clang-tidy -p "$build" --quiet "${sources[@]}" 2>/dev/null || rc=1
  mapfile -t all_cc < <(git ls-files '*.cc' '*.h')
  clang-format --dry-run --Werror "${all_cc[@]}" || rc=1
fi
exit $rc
