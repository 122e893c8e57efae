#!/usr/bin/env bash
# The main job: install what is missing, build a Release build, run the
# default sweep and write results/<timestamp>/ with the Google Benchmark JSON,
# the console log, the per-task traces (traces/), the charts and REPORT.md.
# Each case runs in interleaved rounds (simul-bench --rounds, default auto).
# Arguments go through to simul-bench, e.g.
#   scripts/bench.sh --benchmark_filter=chess
#   scripts/bench.sh --scale=full
#   scripts/bench.sh --rounds=1          # one quick look, no intervals
# --list and --help only print (no results folder). A run becomes
# results/<timestamp>/ and results/latest only when its JSON is complete;
# otherwise, or when interrupted (SIGINT/SIGTERM go on to simul-bench and its
# helpers), what it wrote stays in results/.<timestamp>.partial/.
#
#
# --netns: two hosts on one machine. simul-bench (the server under test) runs
# in network namespace simul-a, the helpers it starts (simul-load, the delay
# server) in simul-b, joined by a veth pair (scripts/netns.sh: 10.77.0.1 and
# 10.77.0.2); --ipv6 meets on fd77::1 and fd77::2 instead; --link-rate=RATE
# (e.g. 1gbit) puts a TBF rate limit on both ends. Needs root. The namespaces,
# the link and every process in them are removed however the run ends.
#
# For the tests: SIMUL_BENCH=PATH runs that program instead of building
# simul-bench, and SIMUL_RESULTS=DIR writes there instead of results/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/session.sh
source scripts/netns.sh
source scripts/usage.sh

# bench.sh's own flags; the rest go to simul-bench.
netns=""
link_rate=""
ipv6=""
pass=()
for arg in "$@"; do
  case "$arg" in
    --netns) netns=1 ;;
    --ipv6) ipv6=1 ;;
    --link-rate=*) link_rate=${arg#--link-rate=} ;;
    --link-rate) echo "simul: --link-rate needs a rate: --link-rate=1gbit" >&2; exit 2 ;;
    *) pass+=("$arg") ;;
  esac
done
set -- "${pass[@]+"${pass[@]}"}"
if [ -z "$netns" ] && { [ -n "$link_rate" ] || [ -n "$ipv6" ]; }; then
  echo "simul: --link-rate and --ipv6 shape the link of --netns: give --netns too" >&2
  exit 2
fi
run_in=()     # what simul-bench runs inside
net_flags=()  # and the flags that tell it where its helpers are
if [ -n "$netns" ]; then
  simul_netns_check "$link_rate"
  if [ -n "$ipv6" ]; then
    addr_a=$simul_netns_addr6_a addr_b=$simul_netns_addr6_b
  else
    addr_a=$simul_netns_addr_a addr_b=$simul_netns_addr_b
  fi
  run_in=(ip netns exec "$simul_netns_a")
  net_flags=(--helper-netns="$simul_netns_b" --serve-bind="$addr_a" --delay-bind="$addr_b"
             --benchmark_context=simul_link="$(simul_netns_link "$link_rate")")
fi

results=${SIMUL_RESULTS:-results}
bench=${SIMUL_BENCH:-}
if [ -z "$bench" ]; then
  simul_install_deps
  cmake --preset release >/dev/null
  cmake --build --preset release --target simul-bench >/dev/null
  bench=./build/release/simul-bench
fi

for arg in "$@"; do  # commands that only print: no run, no folder
  case "$arg" in
    --help|-h) simul_usage; echo; exec "$bench" "$@" ;;  # bench.sh's own flags, then simul-bench's
    --list|--benchmark_list_tests|--benchmark_list_tests=true) exec "$bench" "$@" ;;
  esac
done
if [ -n "$netns" ]; then
  # From here on, however the script ends, the namespaces go with it.
  trap 'simul_netns_down' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  status=0
  simul_netns_up "$link_rate" || status=$?
  [ "$status" -eq 0 ] || exit "$status"
  echo "simul: --netns: simul-bench in $simul_netns_a ($addr_a), its helpers in $simul_netns_b ($addr_b);" \
       "$(simul_netns_link "$link_rate")" >&2
fi
for arg in "$@"; do  # bench.sh writes run.json itself, every round of every case
  case "$arg" in
    --benchmark_out|--benchmark_out=*|--benchmark_out_format=*|--benchmark_report_aggregates_only*)
      echo "simul: bench.sh writes the run's JSON itself, with every round: leave out ${arg%%=*}" \
           "(run build/release/simul-bench directly for other output)" >&2
      exit 2 ;;
  esac
done
# A filter that matches nothing (or bad flags) stops here, before any folder.
set +e
listed=$("${run_in[@]+"${run_in[@]}"}" "$bench" --list "$@" "${net_flags[@]+"${net_flags[@]}"}" 2>&1)
status=$?
set -e
if [ "$status" -ne 0 ]; then echo "$listed" >&2; exit "$status"; fi
if [ -z "$listed" ]; then
  echo "simul: no case matches these arguments (see scripts/bench.sh --list $*); nothing was run" >&2
  exit 2
fi

# A folder name no other run has: runs started in the same second get -1, -2, ...
mkdir -p "$results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=$stamp
n=0
until [ ! -e "$results/$name" ] && mkdir "$results/.$name.partial" 2>/dev/null; do
  n=$((n + 1))
  name="$stamp-$n"
done
final="$results/$name"
work="$results/.$name.partial"  # renamed to $final only when the run is complete
{ # the machine, beside the JSON's own context
  echo "# $(date -u +%FT%TZ)"; uname -a; echo
  grep -m1 'model name' /proc/cpuinfo; echo "cpus: $(nproc)"
  grep -E 'MemTotal' /proc/meminfo; echo
  grep PRETTY_NAME /etc/os-release; g++ --version | head -1; cmake --version | head -1
  echo "pid_max $(cat /proc/sys/kernel/pid_max), threads-max $(cat /proc/sys/kernel/threads-max)," \
       "max_map_count $(cat /proc/sys/vm/max_map_count), nofile $(ulimit -Sn)/$(ulimit -Hn)"
  df -hT "$work" | tail -1
  if [ -n "$netns" ]; then echo; echo "network: netns: $(simul_netns_link "$link_rate")"
  else echo; echo "network: loopback"; fi
  echo; echo "before the sweep: load average $(cut -d' ' -f1-3 /proc/loadavg); $(grep '^cpu ' /proc/stat)"
} > "$work/machine.txt" 2>&1

echo "simul: running the sweep; progress on the way, results in $final" >&2
# simul-bench runs in its own process group (scripts/session.sh), so that a
# signal to bench.sh is passed on to it and every helper it started; its
# output goes through a FIFO to tee, so that the process in the session is
# simul-bench itself.
mkfifo "$work/.console"
tee "$work/console.log" < "$work/.console" &
tee_pid=$!
status=0
simul_run_in_session "${run_in[@]+"${run_in[@]}"}" "$bench" --benchmark_out="$work/run.json" \
  --benchmark_out_format=json --trace-dir="$work/traces" "$@" "${net_flags[@]+"${net_flags[@]}"}" \
  > "$work/.console" 2>&1 < /dev/null || status=$?
signal=$simul_signal
echo "after the sweep:  load average $(cut -d' ' -f1-3 /proc/loadavg); $(grep '^cpu ' /proc/stat)" \
  >> "$work/machine.txt" 2>&1 || true
wait "$tee_pid" || true
rm -f "$work/.console"

if [ -n "$signal" ]; then
  echo "simul: interrupted (SIG$signal); simul-bench stopped; what it wrote is in $work" >&2
  [ "$signal" = INT ] && exit 130 || exit 143
fi
if [ "$status" -eq 2 ]; then  # a usage error: nothing ran, so no folder
  rm -rf "$work"
  exit 2
fi
if [ "$status" -ne 0 ]; then
  echo "simul: simul-bench failed (exit $status); what it wrote is in $work" >&2
  exit "$status"
fi
py=$(simul_python) || { echo "simul: cannot check the results without Python; they are in $work" >&2; exit 1; }
if ! why=$("$py" scripts/simul_results.py --check "$work/run.json" 2>&1 >/dev/null); then
  echo "simul: the run's JSON cannot be used (${why#simul: }); not promoted: what it wrote is in $work" >&2
  exit 1
fi
mv -T "$work" "$final"
ln -sfn "$name" "$results/latest"
echo "simul: results in $final (also $results/latest): run.json, console.log, machine.txt, traces/"
if "$py" scripts/report.py "$final/run.json" >/dev/null; then
  echo "simul: report in $final/REPORT.md (charts in $final/charts/)"
else
  echo "simul: the report could not be made; the results above are intact" >&2
fi
