#!/usr/bin/env bash
# Sourced by bench.sh, baselines.sh and anchors.sh:
#
#   simul_run_in_session COMMAND [ARGS...] || status=$?
#
# runs the command in a session of its own (setsid), in the background, and
# waits for it, passing INT and TERM on to its whole process group: so a
# signal to the script reaches the command and every process it started
# (simul-bench's helpers, nginx, wrk, fio). Run in the foreground, SIGTERM
# killed only the script and left them running, and bash held SIGINT until
# the command ended. Returns the command's exit status, and sets
# simul_signal to INT or TERM if one came. The caller's own INT and TERM
# traps are put back afterwards.

simul_run_in_session() {
  local saved
  saved=$(trap -p INT TERM)
  setsid -w "$@" &
  simul_child=$!
  simul_signal=""
  trap 'simul_forward INT' INT
  trap 'simul_forward TERM' TERM
  local status=0
  wait "$simul_child" || status=$?
  while kill -0 "$simul_child" 2>/dev/null; do  # wait was cut short by a signal: wait again
    status=0
    wait "$simul_child" || status=$?
  done
  trap - INT TERM
  eval "$saved"
  return "$status"
}

simul_forward() {
  simul_signal=$1
  kill -TERM -- "-$simul_child" 2>/dev/null || kill -TERM "$simul_child" 2>/dev/null || true
}
