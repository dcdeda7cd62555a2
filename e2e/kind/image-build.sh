#!/usr/bin/env bash
# Helpers for the Dockerfile's build stage, kept here so they can be tested without Docker
# (tests/chart/image_test.sh).
#
#   image-build.sh packages
#     Prints the Debian packages the image build needs: the "build" and "C++ libraries" groups
#     of the packages=( ... ) list in scripts/deps.sh, the project's one list, so the image
#     never drifts from it. Fails if deps.sh no longer has those groups.
#
#   image-build.sh rootfs BINARY DEST
#     Assembles the runtime root filesystem in DEST: the binary as /throughput-operator, exactly
#     the shared libraries `ldd` resolves for it plus the dynamic loader (at the paths ldd
#     prints), the CA bundle, and passwd/group entries for the non-root user 65532. No shell,
#     no package manager; the runtime stage is `FROM scratch` plus this tree. Libraries loaded
#     with dlopen() are invisible to ldd; the operator loads none (OpenSSL 3's default provider
#     is built into libcrypto; glibc >= 2.34 has its DNS and files NSS modules built in). Add
#     any future one to EXTRA_LIBS (space-separated paths).
set -euo pipefail
die() { echo "image-build: $*" >&2; exit 1; }
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

packages() {
  local deps=${DEPS_SH:-$repo/scripts/deps.sh}
  [[ -f $deps ]] || die "$deps not found"
  # Walk the packages=( ... ) array: a "# group" comment line starts a group.
  awk '
    /^packages=\(/ { inside = 1; next }
    inside && /^\)/ { exit }
    inside && /^[[:space:]]*#/ { sub(/^[[:space:]]*#[[:space:]]*/, ""); group = $0; next }
    inside && (group ~ /^build/ || group ~ /^C\+\+ libraries/) {
      for (i = 1; i <= NF; i++) { if ($i ~ /^#/) break; print $i; seen[group ~ /^build/ ? "b" : "l"] = 1 }
    }
    END { if (!seen["b"] || !seen["l"]) exit 3 }' "$deps" ||
    die "no \"# build\" and \"# C++ libraries\" groups in the packages=( ... ) list of $deps"
}

rootfs() {
  [[ $# == 2 ]] || die "usage: image-build.sh rootfs BINARY DEST"
  local binary=$1 dest=$2 deps lib
  [[ -x $binary ]] || die "$binary is not an executable"
  deps=$(ldd "$binary" 2>&1) || die "ldd $binary failed: $deps"
  if grep -q 'not found' <<<"$deps"; then
    die "unresolved libraries: $(grep 'not found' <<<"$deps" | tr -s ' \t\n' ' ')"
  fi
  # "libx.so.1 => /lib/.../libx.so.1 (0x...)" and the loader "/lib64/ld-linux-x86-64.so.2
  # (0x...)"; linux-vdso has no file.
  local -a libs extra
  mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$deps")
  read -ra extra <<<"${EXTRA_LIBS:-}"
  libs+=("${extra[@]}")
  [[ ${#libs[@]} -gt 0 ]] || die "ldd lists no shared libraries for $binary (a static binary needs no rootfs step)"

  mkdir -p "$dest/etc/ssl/certs" "$dest/tmp"
  chmod 1777 "$dest/tmp"
  install -m 0755 "$binary" "$dest/throughput-operator"
  for lib in "${libs[@]}"; do
    # -L: the file a symlink points at, stored under the name the loader asks for.
    cp --parents -L "$lib" "$dest/"
  done
  if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
    cp /etc/ssl/certs/ca-certificates.crt "$dest/etc/ssl/certs/"
  fi
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$dest/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dest/etc/group"
  echo "image-build: $dest: /throughput-operator and ${#libs[@]} libraries: ${libs[*]}" >&2
}

case ${1:-} in
  packages) packages ;;
  rootfs) shift; rootfs "$@" ;;
  -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "usage: image-build.sh packages | rootfs BINARY DEST" ;;
esac
