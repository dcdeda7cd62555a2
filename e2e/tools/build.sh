#!/usr/bin/env bash
# Builds the pinned Go tools (kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl, etcd, etcdctl, kwok, helm, kind) from their Go modules into a cache directory
# outside the source tree. Versions are pinned by the go.mod/go.sum files in
# e2e/tools/<tool>/; a tool is rebuilt only when its go.mod, go.sum or the Go version changes.
#
# Usage: e2e/tools/build.sh [TOOLSET...]   (toolsets: kubernetes etcd kwok helm kind; default all)
# Env:   TSO_CACHE_DIR   cache root (default ~/.cache/throughput-operator); binaries in $TSO_CACHE_DIR/bin
#        TSO_GO_PARALLEL go build -p value (default 2)
# Prints the bin directory as its last line.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TSO_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/throughput-operator}
bin=$cache/bin
stamps=$cache/stamps
mkdir -p "$bin" "$stamps"

if ! command -v go >/dev/null 2>&1; then
  echo "build.sh: 'go' not found on PATH (Go 1.26 is needed to build the Kubernetes tools)" >&2
  exit 1
fi

# The checksum database is not reachable here; go.sum (committed) pins every module's hash.
export GOSUMDB=off GOTOOLCHAIN=local GOFLAGS=-mod=readonly CGO_ENABLED=0
par=${TSO_GO_PARALLEL:-2}
gover=$(go env GOVERSION)

# kube binaries must carry their version, or /version says v0.0.0 and helm's kubeVersion checks fail.
kube_ldflags() {
  local v=$1 major minor
  major=$(echo "${v#v}" | cut -d. -f1)
  minor=$(echo "${v#v}" | cut -d. -f2)
  local f=""
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    f+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  echo "-s -w$f"
}

modver() { # modver DIR MODULE -> version required in DIR/go.mod
  (cd "$1" && go list -m -f '{{.Version}}' "$2")
}

build_set() {
  local set=$1 dir=$here/$1 key
  key=$(cat "$dir/go.mod" "$dir/go.sum" <(echo "$gover") | sha256sum | cut -c1-16)
  local want=()
  case $set in
    kubernetes) want=(kube-apiserver kube-controller-manager kube-scheduler kubectl) ;;
    etcd) want=(etcd etcdctl) ;;
    kwok) want=(kwok) ;;
    helm) want=(helm) ;;
    kind) want=(kind) ;;
    *) echo "build.sh: unknown toolset '$set' (known: kubernetes etcd kwok helm kind)" >&2; return 1 ;;
  esac
  local all_present=1
  for b in "${want[@]}"; do [[ -x $bin/$b ]] || all_present=0; done
  if [[ $all_present == 1 && -f $stamps/$set && $(cat "$stamps/$set") == "$key" ]]; then
    echo "build.sh: $set up to date ($key)" >&2
    return 0
  fi
  local t0=$SECONDS
  echo "build.sh: building $set (key $key) into $bin ..." >&2
  rm -f "$stamps/$set"
  (
    cd "$dir"
    case $set in
      kubernetes)
        local v ld
        v=$(modver . k8s.io/kubernetes)
        ld=$(kube_ldflags "$v")
        for b in "${want[@]}"; do
          go build -p "$par" -trimpath -tags selinux,notest -ldflags "$ld" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
          mv "$bin/$b.tmp" "$bin/$b"
        done
        ;;
      etcd)
        go build -p "$par" -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3 && mv "$bin/etcd.tmp" "$bin/etcd"
        go build -p "$par" -trimpath -ldflags "-s -w" -o "$bin/etcdctl.tmp" go.etcd.io/etcd/etcdctl/v3 && mv "$bin/etcdctl.tmp" "$bin/etcdctl"
        ;;
      kwok)
        local v
        v=$(modver . sigs.k8s.io/kwok)
        go build -p "$par" -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$v" -o "$bin/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
        mv "$bin/kwok.tmp" "$bin/kwok"
        # Standalone kwok loads no default stages: keep the module's stage files beside the binary.
        local moddir
        moddir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
        rm -rf "$cache/kwok-stages" && mkdir -p "$cache/kwok-stages"
        cp -r "$moddir/kustomize/stage/." "$cache/kwok-stages/"
        chmod -R u+w "$cache/kwok-stages"
        ;;
      helm)
        local v
        v=$(modver . helm.sh/helm/v3)
        go build -p "$par" -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$v" -o "$bin/helm.tmp" helm.sh/helm/v3/cmd/helm
        mv "$bin/helm.tmp" "$bin/helm"
        ;;
      kind)
        go build -p "$par" -trimpath -ldflags "-s -w" -o "$bin/kind.tmp" sigs.k8s.io/kind
        mv "$bin/kind.tmp" "$bin/kind"
        ;;
    esac
  ) || { echo "build.sh: FAILED to build $set (see the go output above)" >&2; return 1; }
  echo "$key" > "$stamps/$set"
  echo "build.sh: built $set in $((SECONDS - t0)) s" >&2
}

sets=("$@")
[[ ${#sets[@]} -gt 0 ]] || sets=(etcd kwok kubernetes helm kind)
for s in "${sets[@]}"; do build_set "$s"; done
echo "$bin"
