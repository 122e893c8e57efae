#!/usr/bin/env bash
# Sourced by bench.sh and anchors.sh for --netns: two hosts on one machine.
#
#   simul_netns_check RATE   refuses (one line, exit 2) without the privilege
#                            to make namespaces, without ip or tc, or with a
#                            rate that is not NUMBER[k|m|g]bit; removes what a
#                            killed earlier run left behind
#   simul_netns_up RATE      makes the two namespaces and the link; says what
#                            failed (one line) and returns 1, or 2 if tc
#                            refused the rate, having removed what it made
#   simul_netns_down         removes what simul_netns_up made: the processes
#                            left in the namespaces, the namespaces, and with
#                            them the veth pair (safe to call twice)
#
# The layout (the project's own names and addresses):
#   namespace simul-a: the server under test (simul-bench, simul-serve, nginx)
#     veth simul-a, 10.77.0.1/24 and fd77::1/64
#   namespace simul-b: the helpers (simul-load, simul-delay-server, wrk)
#     veth simul-b, 10.77.0.2/24 and fd77::2/64
# joined by the veth pair, each end with lo up; with a rate, a TBF qdisc on
# both ends (burst: 10 ms of the rate, at least 128 KiB, since a TSO packet
# on a veth is up to 64 KiB). The veth ends are made inside the namespaces,
# so the machine's own namespace never holds them, and removing a namespace
# removes its end. SIMUL_NETNS_PREFIX (default simul, at most 12 of a-z 0-9 -)
# renames both, for tests that must not meet a real run.

simul_netns_prefix=${SIMUL_NETNS_PREFIX:-simul}
simul_netns_a="$simul_netns_prefix-a"
simul_netns_b="$simul_netns_prefix-b"
simul_netns_addr_a=10.77.0.1
simul_netns_addr_b=10.77.0.2
simul_netns_addr6_a=fd77::1
simul_netns_addr6_b=fd77::2
simul_netns_made=()  # the namespaces this run made: the only ones it removes

# The rate as a tc burst in bytes: 10 ms of it, at least 128 KiB.
simul_netns_burst() {
  local rate=$1 n unit bits
  [[ $rate =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || return 1
  n=${BASH_REMATCH[1]}
  unit=${BASH_REMATCH[2]}
  case "$unit" in bit) bits=$n ;; kbit) bits=$((n * 1000)) ;; mbit) bits=$((n * 1000000)) ;;
    gbit) bits=$((n * 1000000000)) ;; esac
  local burst=$((bits / 8 / 100))
  [ "$burst" -lt 131072 ] && burst=131072
  echo "$burst"
}

simul_netns_check() {
  local rate=$1 name pids
  if ! [[ $simul_netns_prefix =~ ^[a-z0-9-]{1,12}$ ]]; then
    echo "simul: SIMUL_NETNS_PREFIX '$simul_netns_prefix' is not 1 to 12 of a-z, 0-9 and -" >&2
    exit 2
  fi
  if [ -n "$rate" ] && ! simul_netns_burst "$rate" >/dev/null; then
    echo "simul: --link-rate '$rate' is not a rate such as 100mbit or 1gbit (NUMBER and bit, kbit, mbit or gbit)" >&2
    exit 2
  fi
  if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
    echo "simul: --netns needs ip and tc (apt-get install iproute2)" >&2
    exit 2
  fi
  if ! unshare --net true 2>/dev/null; then
    echo "simul: --netns needs the privilege to make network namespaces (root, or CAP_SYS_ADMIN), which" \
         "$(id -un) lacks: run it as root, or leave out --netns" >&2
    exit 2
  fi
  # A namespace of ours with no process in it is what a killed run left
  # behind: removed. One with processes belongs to a run still going.
  for name in "$simul_netns_a" "$simul_netns_b"; do
    [ -e "/run/netns/$name" ] || continue
    pids=$(ip netns pids "$name" 2>/dev/null | tr '\n' ' ')
    if [ -n "$pids" ]; then
      echo "simul: network namespace $name is in use (processes ${pids% }): another --netns run? Wait for it" \
           "to end, or stop those processes" >&2
      exit 2
    fi
  done
  for name in "$simul_netns_a" "$simul_netns_b"; do
    [ -e "/run/netns/$name" ] || continue
    ip netns del "$name" 2>/dev/null || true
    echo "simul: removed network namespace $name, left behind by an earlier run that was killed" >&2
  done
}

# Runs one set-up step; on failure says which and what it printed, in one line.
simul_netns_step() {
  local what=$1 out status=0
  shift
  out=$("$@" 2>&1) || status=$?
  [ "$status" -eq 0 ] && return 0
  out=$(printf '%s' "$out" | head -n 1)
  echo "simul: --netns set-up failed: $what: ${out:-exit code $status}; nothing is left behind" >&2
  return 1
}

simul_netns_up() {
  local rate=$1 name burst side dev
  for name in "$simul_netns_a" "$simul_netns_b"; do
    simul_netns_step "ip netns add $name" ip netns add "$name" || { simul_netns_down; return 1; }
    simul_netns_made+=("$name")
  done
  simul_netns_step "the veth pair" ip link add "$simul_netns_a" netns "$simul_netns_a" type veth \
    peer name "$simul_netns_b" netns "$simul_netns_b" || { simul_netns_down; return 1; }
  # nodad: the IPv6 addresses are usable at once, not after duplicate detection.
  simul_netns_step "addresses in $simul_netns_a" ip -n "$simul_netns_a" -batch - <<EOF || { simul_netns_down; return 1; }
link set lo up
addr add $simul_netns_addr_a/24 dev $simul_netns_a
addr add $simul_netns_addr6_a/64 dev $simul_netns_a nodad
link set $simul_netns_a up
EOF
  simul_netns_step "addresses in $simul_netns_b" ip -n "$simul_netns_b" -batch - <<EOF || { simul_netns_down; return 1; }
link set lo up
addr add $simul_netns_addr_b/24 dev $simul_netns_b
addr add $simul_netns_addr6_b/64 dev $simul_netns_b nodad
link set $simul_netns_b up
EOF
  if [ -n "$rate" ]; then
    burst=$(simul_netns_burst "$rate")
    for side in "$simul_netns_a" "$simul_netns_b"; do
      dev=$side
      if ! simul_netns_step "tc refused --link-rate=$rate on $dev" \
          tc -n "$side" qdisc add dev "$dev" root tbf rate "$rate" burst "$burst" latency 50ms; then
        simul_netns_down
        return 2
      fi
    done
  fi
}

simul_netns_down() {
  local name pids i
  for name in "${simul_netns_made[@]}"; do
    # Whatever still runs in it is this run's (simul-bench's helpers die with
    # it; this is for a run cut short): asked, then told.
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      pids=$(ip netns pids "$name" 2>/dev/null)
      [ -z "$pids" ] && break
      # shellcheck disable=SC2086
      if [ "$i" -lt 15 ]; then kill -TERM $pids 2>/dev/null; else kill -KILL $pids 2>/dev/null; fi
      sleep 0.2
    done
    ip netns del "$name" 2>/dev/null || true
  done
  simul_netns_made=()
}

# What the results' context records about the link.
simul_netns_link() {
  local rate=$1
  if [ -n "$rate" ]; then
    echo "veth pair between network namespaces $simul_netns_a and $simul_netns_b with TBF $rate on both ends"
  else
    echo "veth pair between network namespaces $simul_netns_a and $simul_netns_b with no rate limit"
  fi
}
