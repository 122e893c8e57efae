#!/usr/bin/env bash
# The harness, checked: runs each bare program (bench/baselines/) and the same
# case in simul-bench side by side, alternating, and writes baselines.json and
# baselines.md (simul ÷ bare for makespan and memory per task) into a results
# folder, then remakes that folder's REPORT.md, which shows the table as "The
# harness, checked". Takes about 4 minutes. Options:
#   --out DIR          the results folder (default: results/latest)
#   --repetitions K    runs of each side per row (default 3)
#   --quick            tiny sizes: checks that everything runs, measures nothing
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

out=results/latest
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --repetitions) args+=(--repetitions "${2:?--repetitions needs a number}"); shift 2 ;;
    --repetitions=*|--quick) args+=("$1"); shift ;;
    *) echo "baselines.sh: unknown argument '$1' (known: --out DIR, --repetitions K, --quick)" >&2; exit 2 ;;
  esac
done
if [ ! -d "$out" ]; then
  echo "baselines.sh: no results folder '$out' (run scripts/bench.sh first, or give --out DIR)" >&2
  exit 2
fi

simul_install_deps
py=$(simul_python)
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
"$py" scripts/baselines.py --build build/release --out "$out" "${args[@]}"
if [ -f "$out/run.json" ]; then
  "$py" scripts/report.py "$out/run.json" >/dev/null && echo "simul: the table is in $out/REPORT.md"
fi
