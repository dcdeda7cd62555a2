#!/usr/bin/env bash
# Writes docs/benchmarks.md, the one place for the current benchmark figures, from the measuring
# programs' own output. Each table follows the command that printed it and the machine, date and
# load it ran at, so the file is regenerated, never edited by hand. Two sections:
#   predictor  the predictor's backtest and simulate tables (bench/predictor_report.sh, for the auto
#              selection, with --fleet as `make bench` runs it, and with --fast-search, the
#              operator's refit mode), the skill noise floor (bench/predictor_noise_floor.py) and
#              the median CPU times of the speed benchmarks (predictor_bench). A few minutes.
#   operator   kube_bench (informer store, watch decoding, a list against the local control
#              plane) and bench/operator_rss.sh --markdown (the operator's memory and reconcile
#              time with SERVICES ThroughputServices). Starts the local control plane and
#              Prometheus when they are not running and stops them afterwards. About 5 minutes.
# SECTIONS picks the sections to run; the file's other section is kept as it was (between its
# <!-- section NAME --> markers), or, when the file has none yet, says how to generate it.
# Usage: bench/write_benchmarks.sh   (environment, paths relative to the repository root:
#   SECTIONS="predictor", plus "operator" when OPERATOR is set
#   BIN=build-perf/throughput-operator  BENCH=build-perf/bench/predictor_bench
#   TRACES=../shared/traces  OUT=docs/benchmarks.md
#   OPERATOR=<no default>  KUBE_BENCH=$(dirname $OPERATOR)/bench/kube_bench  SERVICES=2000)
# e.g. OPERATOR=build-perf/throughput-operator SECTIONS=operator bench/write_benchmarks.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${BIN:-build-perf/throughput-operator}
bench=${BENCH:-build-perf/bench/predictor_bench}
traces=${TRACES:-../shared/traces}
out=${OUT:-docs/benchmarks.md}
operator=${OPERATOR:-}
kube_bench=${KUBE_BENCH:-${operator:+$(dirname "$operator")/bench/kube_bench}}
services=${SERVICES:-2000}
read -r -a sections <<<"${SECTIONS:-predictor${operator:+ operator}}"
filter='BM_TickUpdateAndForecast/10000/1|BM_RefitOneWeekSeries/1|Fleet'
all_sections=(predictor operator)

# is_running (was the cluster up?); its die and log are replaced below.
# shellcheck source-path=SCRIPTDIR source=../e2e/cluster/lib.sh
source e2e/cluster/lib.sh
die() { echo "write_benchmarks: $*" >&2; exit 2; }
wanted() { [[ " ${sections[*]} " == *" $1 "* ]]; }
executable() { # executable VAR PATH HOW: PATH is a program, else fail saying HOW to get one
  [[ -f $2 && -x $2 ]] || die "$1=$2 is missing or not executable ($3)"
}
[[ ${#sections[@]} -gt 0 ]] || die "SECTIONS is empty (name one or more of: ${all_sections[*]})"
for s in "${sections[@]}"; do
  [[ " ${all_sections[*]} " == *" $s "* ]] || die "unknown section '$s' in SECTIONS (known: ${all_sections[*]})"
done
if wanted predictor; then
  how="build it: the Release build in predictor/README.md, Commands; or set the variable to the binary"
  executable BIN "$bin" "$how"
  executable BENCH "$bench" "$how"
  [[ -d $traces ]] || die "TRACES=$traces is not a folder (the shared traces live in ../shared/traces)"
fi
if wanted operator; then
  [[ -n $operator ]] || die "the operator section needs OPERATOR=path/to/throughput-operator"
  executable OPERATOR "$operator" "make build; or set OPERATOR to the binary"
  executable KUBE_BENCH "$kube_bench" "built beside the operator as bench/kube_bench; or set KUBE_BENCH"
  [[ $services =~ ^[1-9][0-9]*$ ]] || die "SERVICES=$services is not a positive number"
fi
command -v python3 >/dev/null || die "python3 is missing (the noise floor and the tables from JSON need it)"

# A command as a shell line the reader can paste: arguments quoted only where the shell needs it.
shown() {
  local a line=""
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=,+-]+$ ]]; then line+=" $a"
    elif [[ $a == *"'"* ]]; then line+=" $(printf '%q' "$a")"
    elif [[ $a =~ ^(--[A-Za-z0-9_]+=)(.*)$ ]]; then line+=" ${BASH_REMATCH[1]}'${BASH_REMATCH[2]}'"
    else line+=" '$a'"; fi
  done
  printf '%s' "${line# }"
}

# The heading of one table: the command, then the machine, the date and the load it runs at
# (timings on a shared VM move with its neighbours). Says on stderr what runs next.
header() {
  local title=$1
  shift
  echo "running: $(shown "$@")" >&2
  printf "## %s\n\n\`\`\`sh\n%s\n\`\`\`\n\n" "$title" "$(shown "$@")"
  local load
  load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null) || load="unknown"
  printf "Run on %s cores (\`nproc\`), %s, load average %s at the start.\n\n" "$(nproc)" \
    "$(date -u '+%Y-%m-%d %H:%M UTC')" "$load"
}

# The tables of the predictor section.
predictor_section() {
  local report fleet fast noise speed
  report=(bench/predictor_report.sh "$bin" "$traces")
  fleet=("${report[@]}" --fleet)
  fast=("${report[@]}" --fast-search)
  noise=(bench/predictor_noise_floor.py "$traces")
  speed=("$bench" "--benchmark_filter=$filter" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
    --benchmark_format=json)
  header "Backtest and simulate on the shared traces" "${report[@]}"
  "${report[@]}"
  echo
  header "The same with the fleet regression, each trace a fleet of one" "${fleet[@]}"
  "${fleet[@]}"
  echo
  header "The same in the operator's refit mode (the auto selection's faster parameter search)" "${fast[@]}"
  "${fast[@]}"
  echo
  header "How far a causal forecaster can get (skill noise floor)" "${noise[@]}"
  "${noise[@]}"
  echo
  header "Speed (median CPU time of 3 repetitions, one core)" "${speed[@]}"
  "${speed[@]}" >"$json"
  python3 - "$json" <<'PY'
import json, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
failed = [f"{b['name']}: {b.get('error_message', '')}" for b in runs if b.get("error_occurred")]
if failed:
    sys.exit("write_benchmarks: predictor_bench failed: " + "; ".join(failed))
medians = [b for b in runs if b.get("aggregate_name") == "median"]
if not medians:
    sys.exit("write_benchmarks: predictor_bench printed no medians (was the filter or the binary changed?)")
to_s = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}

def dur(s):
    if s is None:
        return ""
    for unit, f in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= f:
            return f"{s / f:.4g} {unit}"
    return f"{s / 1e-9:.4g} ns"

print("| benchmark | median CPU time | per series | state per series | projected for 10,000 series |")
print("|---|---|---|---|---|")
for b in medians:
    state = b.get("state_bytes_per_series")
    print(f"| `{b['run_name']}` | {dur(b['cpu_time'] * to_s[b['time_unit']])} | {dur(b.get('time_per_series'))} | "
          f"{'' if state is None else f'{state / 1024:.2f} KB'} | {dur(b.get('projected_10k_s'))} |")
PY
}

# The tables of the operator section. kube_bench's list and operator_rss.sh need the local
# control plane: started here when it is not running, and stopped again at the end.
operator_section() {
  local line text ns_left deadline rss=(bench/operator_rss.sh --markdown "$operator" "$services")
  is_running kube-apiserver || started_cluster=1
  if ! line=$(e2e/cluster/up.sh | tail -n 1) || [[ $line != export* ]]; then
    die "the local control plane did not start (e2e/cluster/up.sh)"
  fi
  eval "$line"
  header "Kubernetes runtime: the informer store, watch decoding, a list from the local control plane" "$kube_bench"
  echo "With \`KUBECONFIG\` on the local control plane (\`eval \"\$(e2e/cluster/up.sh | tail -n 1)\"\`);"
  echo "the list's 2,000 ConfigMaps are created in a namespace of their own, deleted afterwards."
  echo
  text=$("$kube_bench") || die "$kube_bench failed"
  # kube_bench prints one "what: figure" line per figure; the last ": " splits it.
  python3 -c '
import sys
rows = [l.rsplit(": ", 1) for l in sys.stdin.read().splitlines() if l.strip()]
bad = [": ".join(r) for r in rows if len(r) != 2 or ": skipped" in ": ".join(r)]
if bad or not rows:
    sys.exit("write_benchmarks: kube_bench measured nothing or skipped: " + "; ".join(bad))
print("| what | figure |")
print("|---|---|")
for what, figure in rows:
    print(f"| {what} | {figure} |")
' <<<"$text"
  # The namespace deletion works through 2,000 objects; the next run should not compete with it.
  deadline=$((SECONDS + 180))
  while ns_left=$(kubectl get namespaces -o name | grep -c '^namespace/tso-bench-') && ((ns_left > 0)); do
    ((SECONDS < deadline)) || { echo "write_benchmarks: kube_bench's namespace still terminating; going on" >&2; break; }
    sleep 2
  done
  echo
  header "The operator with $services ThroughputServices: memory, time to forecast, dashboard and scrape cost" "${rss[@]}"
  "${rss[@]}" || die "bench/operator_rss.sh failed (see above)"
}

# Where a section was not run and the file holds none to keep.
placeholder() {
  case $1 in
    predictor)
      printf "## The predictor\n\nNot generated yet: \`SECTIONS=predictor bench/write_benchmarks.sh\`.\n" ;;
    operator)
      printf "## The operator\n\nNot generated yet: \`OPERATOR=build-perf/throughput-operator SECTIONS=operator %s\`\n%s\n" \
        "bench/write_benchmarks.sh" "(starts the local control plane; about 5 minutes)." ;;
  esac
}
begin_marker() { echo "<!-- section $1 -->"; }
end_marker() { echo "<!-- end section $1 -->"; }
# kept NAME: the lines between the section's markers in the current file.
kept() { awk -v b="$(begin_marker "$1")" -v e="$(end_marker "$1")" '$0 == e { exit } on { print } $0 == b { on = 1 }' "$out"; }
# Before anything slow: a section to keep must be findable in the current file.
for s in "${all_sections[@]}"; do
  wanted "$s" || [[ ! -s $out ]] || { grep -qxF "$(begin_marker "$s")" "$out" && grep -qxF "$(end_marker "$s")" "$out"; } ||
    die "$out has no $(begin_marker "$s") ... $(end_marker "$s") to keep; regenerate it whole (SECTIONS='${all_sections[*]}')"
done

mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")  # beside the target, so the mv below is a rename
json=$(mktemp)
started_cluster=0
finish() {
  rm -f "$tmp" "$json"
  [[ $started_cluster == 0 ]] || e2e/cluster/down.sh >/dev/null 2>&1 || true
}
trap finish EXIT
{
  echo "# Benchmark figures"
  echo
  echo "Generated by \`bench/write_benchmarks.sh\` from the measuring programs' own output; do not edit"
  echo "it by hand, run the script again. Two sections, the predictor's and the operator's: \`SECTIONS=operator\`"
  echo "(or \`predictor\`) regenerates one and keeps the other, so their dates can differ. Targets and"
  echo "definitions: [the predictor's README](../predictor/README.md), the README's [Measured figures](../README.md#measured-figures)."
  for s in "${all_sections[@]}"; do
    echo
    begin_marker "$s"
    if wanted "$s"; then
      echo
      "${s}_section"
      echo
    elif [[ -s $out ]]; then
      kept "$s"
    else
      echo
      placeholder "$s"
      echo
    fi
    end_marker "$s"
  done
} >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$out"
echo "write_benchmarks: wrote $out (sections run: ${sections[*]})" >&2
