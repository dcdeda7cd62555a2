#!/usr/bin/env bash
# Static checks: shellcheck over every script, clang-tidy over the C++ sources (.clang-tidy),
# clang-format in check mode (.clang-format). Usage: scripts/lint.sh [BUILD_DIR] (it holds
# compile_commands.json; default build). clang-tidy-19 / clang-format-19 come from
# scripts/deps.sh: Debian's default clang-tidy 14 knows no C++23 and crashes on this code.
set -euo pipefail
build=${1:-build}
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pick() { command -v "$1-19" || command -v "$1" || { echo "lint: $1 not found (run scripts/deps.sh)" >&2; exit 2; }; }
tidy=$(pick clang-tidy)
format=$(pick clang-format)
[[ -f $build/compile_commands.json ]] || { echo "lint: no $build/compile_commands.json (configure the build first)" >&2; exit 2; }
rc=0
mapfile -t scripts < <(git ls-files '*.sh' .ci/run)
shellcheck -x "${scripts[@]}" || rc=1
# cpprest_transport.cc is left out: cpprest's own json.h does not compile under clang in C++23
# mode (a unique_ptr to an incomplete type, instantiated by C++23's constexpr destructor).
mapfile -t sources < <(git ls-files 'controller/*.cc' 'predictor/*.cc' | grep -v '^controller/kube/cpprest_transport.cc$')
printf '%s\n' "${sources[@]}" |
  xargs -P "$(nproc)" -n 4 "$tidy" -p "$build" --quiet 2>/dev/null || rc=1
mapfile -t all_cc < <(git ls-files '*.cc' '*.h')
"$format" --dry-run --Werror "${all_cc[@]}" || rc=1
[[ $rc == 0 ]] && echo "lint: clean (shellcheck, $(basename "$tidy"), $(basename "$format"))"
exit $rc
