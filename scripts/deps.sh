#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need (idempotent: quiet and
# quick when everything is there). The one list of packages for the project lives here.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ make pkg-config git
  # C++ libraries (see ../shared/TOOLCHAIN.md)
  libcpprest-dev libyaml-cpp-dev prometheus-cpp-dev libboost-dev libboost-system-dev
  libspdlog-dev libgtest-dev libgmock-dev nlohmann-json3-dev libssl-dev libbenchmark-dev
  # servers and tools the tests and the demo run
  prometheus openssl curl ca-certificates libcivetweb-dev
  # e2e/prometheus/backfill.py and the chart's dashboard check
  python3
  # browser test of the dashboard page (tests/browser) and SVG-to-PNG for the plots
  # (node and npm: see below, they may come from outside Debian)
  chromium librsvg2-bin
  # lint (clang-*-19: Debian 12's clang-tidy 14 knows no C++23), libFuzzer's runtime (make fuzz)
  shellcheck clang-format-19 clang-tidy-19 clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm (the browser test's playwright-core): any install on PATH will do; Debian's
# npm package conflicts with a nodesource nodejs that bundles its own npm.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "deps: not root and no sudo: install ${missing[*]} by hand" >&2; exit 1; }
    sudo=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go builds the Kubernetes binaries (e2e/tools/build.sh). Debian's golang is too old for
# Kubernetes v1.36, so Go >= 1.26 must come from /usr/local/go or PATH.
export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null; then
  echo "deps: Go >= 1.26 not found (looked on PATH and in /usr/local/go/bin); it builds the local control plane" >&2
  exit 1
fi
gov=$(go env GOVERSION | sed 's/^go//')
if [[ $(printf '%s\n1.26\n' "$gov" | sort -V | head -n1) != 1.26 ]]; then
  echo "deps: Go $gov is too old; Kubernetes v1.36 needs Go >= 1.26" >&2
  exit 1
fi
