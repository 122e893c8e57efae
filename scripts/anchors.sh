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
#   --netns            two hosts on one machine (scripts/netns.sh): the servers
#                      (nginx, simul-serve) and this script in namespace simul-a
#                      on 10.77.0.1, wrk in simul-b; --ipv6: fd77::1 instead;
#                      --link-rate=RATE: TBF on both ends. Needs root; nothing
#                      is left behind however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/session.sh
source scripts/netns.sh
source scripts/usage.sh
netns=""
link_rate=""
ipv6=""

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
    --netns) netns=1; shift ;;
    --ipv6) ipv6=1; shift ;;
    --link-rate=*) link_rate=${1#--link-rate=}; shift ;;
    -h|--help) simul_usage; exit 0 ;;
    *) echo "anchors.sh: unknown argument '$1' (known: --out DIR, --repetitions K, --duration S, --models LIST," \
            "--waits MS,.., --conns C,.., --nginx-port N, --simul-port N, --no-fio, --no-serve, --quick," \
            "--netns, --ipv6, --link-rate=RATE)" >&2; exit 2 ;;
  esac
done
if [ -z "$netns" ] && { [ -n "$link_rate" ] || [ -n "$ipv6" ]; }; then
  echo "anchors.sh: --link-rate and --ipv6 shape the link of --netns: give --netns too" >&2
  exit 2
fi
[ -z "$netns" ] || simul_netns_check "$link_rate"
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
run_in=()
if [ -n "$netns" ]; then
  trap 'simul_netns_down' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  status=0
  simul_netns_up "$link_rate" || status=$?
  [ "$status" -eq 0 ] || exit "$status"
  host=$simul_netns_addr_a
  [ -z "$ipv6" ] || host=$simul_netns_addr6_a
  run_in=(ip netns exec "$simul_netns_a")
  args+=(--host "$host" --load-netns "$simul_netns_b" --network "netns: $(simul_netns_link "$link_rate")")
fi
status=0
simul_run_in_session "${run_in[@]+"${run_in[@]}"}" "$py" scripts/anchors.py --build build/release --out "$out" \
  "${args[@]+"${args[@]}"}" || status=$?
if [ -n "$simul_signal" ]; then
  [ "$simul_signal" = INT ] && exit 130 || exit 143
fi
after=$(stat -c '%i %y' "$out/anchors.json" 2>/dev/null || true)
if [ -n "$after" ] && [ "$after" != "$before" ] && [ -f "$out/run.json" ]; then
  "$py" scripts/report.py "$out/run.json" >/dev/null && echo "simul: the tables are in $out/REPORT.md"
fi
exit "$status"
