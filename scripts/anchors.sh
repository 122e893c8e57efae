#!/usr/bin/env bash
# Against the best tools: simul's servers against nginx (one worker) under
# wrk, and its file reads against fio, alternating rival and simul, with the
# load generator and the server on separate CPUs. Installs nginx-light, its
# echo module, wrk and fio from Debian if missing; writes anchors.json and
# anchors.md into a results folder, then remakes that folder's REPORT.md,
# which shows them as "Against the best tools". Takes about 15 minutes.
# Options:
#   --out DIR          the results folder (default: results/latest)
#   --repetitions K    runs of each side per row (default 3)
#   --duration S       seconds of wrk per run (default 5)
#   --models LIST      comma-separated models (default: every model)
#   --waits MS,..      backend waits, 0 and/or 10 (default both)
#   --conns C,..       wrk connections (default 50,1000)
#   --nginx-port N, --simul-port N   ports to use (default 18080, 18081)
#   --no-fio           serve only
#   --no-serve         file_read only
#   --quick            1 s runs of the loop only, small files: checks that it runs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/session.sh

out=results/latest
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --repetitions|--duration|--models|--waits|--conns|--nginx-port|--simul-port)
      args+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    --repetitions=*|--duration=*|--models=*|--waits=*|--conns=*|--nginx-port=*|--simul-port=*|--no-fio|--no-serve|--quick)
      args+=("$1"); shift ;;
    *) echo "anchors.sh: unknown argument '$1' (known: --out DIR, --repetitions K, --duration S, --models LIST," \
            "--waits MS,.., --conns C,.., --nginx-port N, --simul-port N, --no-fio, --no-serve, --quick)" >&2; exit 2 ;;
  esac
done
if [ ! -d "$out" ]; then
  echo "anchors.sh: no results folder '$out' (run scripts/bench.sh first, or give --out DIR)" >&2
  exit 2
fi

simul_install_deps
if ! why=$(simul_install_anchor_deps 2>&1 >/dev/null); then
  why=$(printf '%s\n' "$why" | grep -v '^simul: installing' | tail -n 1)
  echo "anchors.sh: cannot install the tools it compares against (${simul_anchor_packages[*]}): ${why:-apt-get failed}" >&2
  exit 2
fi
py=$(simul_python)
cmake --preset release >/dev/null
cmake --build --preset release >/dev/null
# anchors.json as it was: only a table this run wrote goes into REPORT.md
# (with its port taken, anchors.py writes nothing, and the file there is an
# older run's).
before=$(stat -c '%i %y' "$out/anchors.json" 2>/dev/null || true)
# In a session of its own, so that INT and TERM reach it and all it runs
# (scripts/session.sh); it says in one line that it stopped.
status=0
simul_run_in_session "$py" scripts/anchors.py --build build/release --out "$out" "${args[@]}" || status=$?
if [ -n "$simul_signal" ]; then
  [ "$simul_signal" = INT ] && exit 130 || exit 143
fi
after=$(stat -c '%i %y' "$out/anchors.json" 2>/dev/null || true)
if [ -n "$after" ] && [ "$after" != "$before" ] && [ -f "$out/run.json" ]; then
  "$py" scripts/report.py "$out/run.json" >/dev/null && echo "simul: the tables are in $out/REPORT.md"
fi
exit "$status"
