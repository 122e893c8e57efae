#!/usr/bin/env bash
# The main job: install what is missing, build a Release build, run the
# default sweep and write results/<timestamp>/ with the Google Benchmark JSON,
# the console log, the charts and REPORT.md. Arguments go through to
# simul-bench, e.g.
#   scripts/bench.sh --benchmark_filter=chess
#   scripts/bench.sh --scale=full
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
simul_install_deps

cmake --preset release >/dev/null
cmake --build --preset release --target simul-bench >/dev/null

stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="results/$stamp"
work="results/.$stamp.partial"  # renamed to $final only when the run succeeds
mkdir -p "$work"
{ # the machine, beside the JSON's own context
  echo "# $(date -u +%FT%TZ)"; uname -a; echo
  grep -m1 'model name' /proc/cpuinfo; echo "cpus: $(nproc)"
  grep -E 'MemTotal' /proc/meminfo; echo
  grep PRETTY_NAME /etc/os-release; g++ --version | head -1; cmake --version | head -1
  echo "pid_max $(cat /proc/sys/kernel/pid_max), threads-max $(cat /proc/sys/kernel/threads-max)," \
       "max_map_count $(cat /proc/sys/vm/max_map_count), nofile $(ulimit -Sn)/$(ulimit -Hn)"
  df -hT "$work" | tail -1
} > "$work/machine.txt" 2>&1

echo "simul: running the sweep; progress on the way, results in $final" >&2
set +e
./build/release/simul-bench \
  --benchmark_out="$work/run.json" --benchmark_out_format=json \
  "$@" 2>&1 | tee "$work/console.log"
status=${PIPESTATUS[0]}
set -e

if [ "$status" -ne 0 ]; then
  if [ "$status" -eq 2 ]; then rm -rf "$work"; else
    echo "simul: simul-bench failed (exit $status); what it wrote is in $work" >&2
  fi
  exit "$status"
fi
mv "$work" "$final"
ln -sfn "$stamp" results/latest
echo "simul: results in $final (also results/latest): run.json, console.log, machine.txt"
if py=$(simul_python) && "$py" scripts/report.py "$final/run.json" >/dev/null; then
  echo "simul: report in $final/REPORT.md (charts in $final/charts/)"
else
  echo "simul: the report could not be made; the results above are intact" >&2
fi
