#!/usr/bin/env bash
# Tests for the container image that need no Docker engine: the Dockerfile's package list comes
# from scripts/deps.sh, its user, entrypoint and port agree with the chart, and the runtime root
# filesystem e2e/kind/image-build.sh assembles (the binary plus its ldd-derived libraries, no
# shell) really runs the binary as user 65532 when chrooted into (as root, or in a user
# namespace; otherwise through the copied dynamic loader).
# Prints "ok"/"FAIL" lines and "N passed, M failed"; exit 77 (skipped) without the binary,
# except with CI=true.
# Usage: tests/chart/image_test.sh [BINARY]   (default build/throughput-operator)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
binary=${1:-$repo/build/throughput-operator}
helper=$repo/e2e/kind/image-build.sh
values=$repo/charts/throughput-operator/values.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$repo/tests/chart/lib.sh"
# make test builds with ASan, whose runtime reads its options from /proc, which the image's
# rootfs lacks: such a binary gets every check but running inside the rootfs, and says so. (The
# image itself holds a release build.) ldd's output is read whole: `grep -q` closing the pipe
# early made this test flip between skipping and failing.
libs=$(ldd "$binary" 2>/dev/null || true)
sanitized=0
[[ $libs == *libasan* || $libs == *libtsan* ]] && sanitized=1

# --- the Dockerfile and the chart agree ----------------------------------------------------------
df=$repo/Dockerfile
out=$("$helper" packages 2>&1)
rc=$?
pk=" $(tr '\n' ' ' <<<"$out")"
[[ $rc == 0 && $pk == *" cmake "* && $pk == *" ninja-build "* && $pk == *" g++ "* && $pk == *" libcpprest-dev "* &&
  $pk == *" libssl-dev "* && $pk != *" prometheus "* && $pk != *" shellcheck "* && $pk != *" clang-tidy-19 "* ]]
check "image packages are deps.sh's build and C++ library groups, not its test tools" $? "rc=$rc $out"
grep -qF 'e2e/kind/image-build.sh packages' "$df"
check "the Dockerfile installs that list (no second copy of it)" $? "$(grep -n apt-get "$df")"
uid=$(sed -n 's/^  runAsUser: \([0-9]*\)$/\1/p' "$values" | sort -u)
gid=$(sed -n 's/^  runAsGroup: \([0-9]*\)$/\1/p' "$values" | sort -u)
grep -qx "USER $uid:$gid" "$df"
check "Dockerfile USER is the chart's runAsUser:runAsGroup ($uid:$gid)" $? "$(grep -n '^USER' "$df")"
grep -qx 'ENTRYPOINT \["/throughput-operator", "run"\]' "$df"
check "ENTRYPOINT is /throughput-operator run (the chart passes only flags)" $? "$(grep -n ENTRYPOINT "$df")"
port=$(sed -n '/^metrics:/,/^[a-z]/s/^    port: \([0-9]*\)$/\1/p' "$values")
grep -qx "EXPOSE $port" "$df"
check "EXPOSE matches metrics.service.port ($port)" $? "$(grep -n EXPOSE "$df")"
[[ $(grep '^FROM' "$df" | tail -n 1) == "FROM scratch" ]]
check "runtime stage is FROM scratch (no shell, no package manager)" $? "$(grep '^FROM' "$df")"

# --- the runtime root filesystem ---------------------------------------------------------------
if [[ ! -x $binary ]]; then
  if [[ ${CI:-} == true ]]; then
    check "operator binary exists" 1 "$binary not built; CI never skips"
  else
    echo "SKIP $binary not built (make build); the rootfs checks need it"
    echo "$passed passed, $failures failed"
    [[ $failures == 0 ]] && exit 77
    exit 1
  fi
else
  out=$("$helper" rootfs "$binary" "$work/rootfs" 2>&1)
  check "image-build.sh rootfs" $? "$out"
  missing=()
  while read -r lib; do
    [[ -f $work/rootfs$lib ]] || missing+=("$lib")
  done < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
  [[ ${#missing[@]} == 0 ]]
  check "every library ldd lists is in the rootfs" $? "missing: ${missing[*]}"
  extra=$(cd "$work/rootfs" && find . -type f | grep -v -e '^./throughput-operator$' -e '^./lib' -e '^./usr/lib' \
    -e '^./etc/passwd$' -e '^./etc/group$' -e '^./etc/ssl/certs/ca-certificates.crt$')
  [[ -z $extra && ! -e $work/rootfs/bin/sh ]]
  check "nothing else in the rootfs: no shell" $? "extra files: $extra"
  grep -q '^nonroot:x:65532:65532:' "$work/rootfs/etc/passwd"
  check "passwd names user 65532" $? "$(cat "$work/rootfs/etc/passwd")"

  # Run the binary inside the rootfs: the loader finds every library there or nowhere.
  how=""
  chroot=$(command -v chroot || echo /usr/sbin/chroot)
  if [[ $sanitized == 1 ]]; then
    echo "skip the binary runs from the rootfs: $binary is a sanitizer build (its runtime needs /proc)"
  elif [[ $(id -u) == 0 && -x $chroot ]]; then
    out=$(env -i "$chroot" --userspec=65532:65532 "$work/rootfs" /throughput-operator --version 2>&1)
    rc=$?
    how="chroot as 65532"
  elif unshare -r true 2>/dev/null && [[ -x $chroot ]]; then
    out=$(env -i "$(command -v unshare)" -r "$chroot" "$work/rootfs" /throughput-operator --version 2>&1)
    rc=$?
    how="chroot in a user namespace"
  else
    loader=$(ldd "$binary" | awk '$1 ~ /^\// { print $1 }')
    libpath=$(cd "$work/rootfs" && find . -name '*.so*' -printf '%h\n' | sort -u | sed "s|^\.|$work/rootfs|" | paste -sd:)
    out=$(env -i "$work/rootfs$loader" --inhibit-cache --library-path "$libpath" "$work/rootfs/throughput-operator" --version 2>&1)
    rc=$?
    how="its own loader, rootfs libraries only"
  fi
  if [[ $sanitized == 0 ]]; then
    [[ $rc == 0 && $out == *throughput-operator* ]]
    check "the binary runs from the rootfs ($how)" $? "rc=$rc $out"
  fi
fi

summary
