#!/usr/bin/env bash
# The harness, checked: runs each bare program (bench/baselines/) and the same
# case in simul-bench back to back, in pairs, and writes baselines.json and
# baselines.md (simul ÷ bare for makespan and memory per task, each with its
# 95% interval) into a results folder, then remakes that folder's REPORT.md,
# which shows the table as "The harness, checked". The pairs run in rounds,
# one pair of each row a round in a shuffled order, so that a row's pairs
# are spread over the whole run, and each run starts right after the memory
# it needs was touched and freed, so that none pays for memory the VM's host
# took back (baselines.py, PRIME_EXTRA). A round of all rows takes some
# 50 s on a quiet 2-core machine (most of it thread_per_task's 100,000
# threads, the pool's 100,000 waits and sequential chess), so 6 pairs take
# 5 minutes; with the rows that need more pairs to reach ±3%, the full
# runs in rounds of 2026-12-03 took 15, 19 and 20 minutes with up to 30
# pairs, 23, 25 and 26 with up to 40, and 19 with up to 100 for the rows
# whose runs are short; on 2026-12-04's faster host, with each run's memory
# primed first, 14, 12 and 10.
# Options:
#   --out DIR          the results folder (default: results/latest)
#   --repetitions K    exactly K pairs of runs per row (default: 6, and more
#                      while a row's interval is wider than ±3%, up to 40;
#                      up to 100 for a row whose runs took under 2 min)
#   --rows REGEX       only the rows whose name matches, e.g.
#                      'sleep/coroutine_loop/tasks:1000000'
#   --seed N           the rounds' shuffle (default 1): the same seed, the
#                      same order
#   --quick            tiny sizes, 3 pairs: checks that everything runs,
#                      measures nothing
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/session.sh
source scripts/usage.sh

out=results/latest
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --repetitions) args+=(--repetitions "${2:?--repetitions needs a number}"); shift 2 ;;
    --rows) args+=(--rows "${2:?--rows needs a regular expression}"); shift 2 ;;
    --seed) args+=(--seed "${2:?--seed needs a number}"); shift 2 ;;
    --repetitions=*|--rows=*|--seed=*|--quick) args+=("$1"); shift ;;
    -h|--help) simul_usage; exit 0 ;;
    *) echo "baselines.sh: unknown argument '$1' (known: --out DIR, --repetitions K, --rows REGEX, --seed N, --quick)" >&2; exit 2 ;;
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
before=$(stat -c '%i %y' "$out/baselines.json" 2>/dev/null || true)
# In a session of its own, so that INT and TERM reach it and all it runs
# (scripts/session.sh); it says in one line that it stopped.
status=0
simul_run_in_session "$py" scripts/baselines.py --build build/release --out "$out" "${args[@]}" || status=$?
if [ -n "$simul_signal" ]; then
  [ "$simul_signal" = INT ] && exit 130 || exit 143
fi
# Only a table this run wrote goes into REPORT.md.
after=$(stat -c '%i %y' "$out/baselines.json" 2>/dev/null || true)
if [ -n "$after" ] && [ "$after" != "$before" ] && [ -f "$out/run.json" ]; then
  "$py" scripts/report.py "$out/run.json" >/dev/null && echo "simul: the table is in $out/REPORT.md"
fi
exit "$status"
