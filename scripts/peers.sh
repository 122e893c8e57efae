#!/usr/bin/env bash
# Other runtimes on the same workloads (docs/PEERS.md): Python asyncio (and
# on uvloop), Python threads, Python sequential (the chess story's 12 hours),
# Go, Node and Rust's Tokio (current_thread and multi_thread), each a small
# program under peers/ that simul-bench runs and meters like its own models.
# Everything comes from the machine's apt sources (Debian's; a runtime the
# machine already has is kept, as this image's Node 20 from NodeSource is);
# Tokio builds offline from Debian's crate registry with Debian's rustc.
# Optional, like anchors.sh: bench.sh and test.sh do not need it.
#
#   scripts/peers.sh [bench.sh arguments]
#       installs and builds what is missing, then runs the peers beside
#       coroutine_loop, thread_per_task and stackful_loop on sleep, chess,
#       fetch and file_read through scripts/bench.sh: a results folder,
#       charts and a report with an "Other runtimes" section (a peer that
#       cannot do a workload fairly skips it and says why). Arguments go
#       to bench.sh (e.g. --scale=full, --benchmark_filter=chess);
#       --models replaces the C++ models.
#   scripts/peers.sh --install   installs the runtimes and builds the peers
#   scripts/peers.sh --build     builds the peers whose toolchain is here
#   scripts/peers.sh --flags     prints a --peer flag for each peer that can
#                                run here, one per line (for simul-bench by
#                                hand, and the tests)
#   scripts/peers.sh --versions  prints the runtimes' versions, which a run
#                                records in its context (simul_runtimes)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/usage.sh
root=$PWD

simul_peer_packages=(python3-uvloop golang-go nodejs rustc cargo librust-tokio-dev)
out=build/peers

# Builds Go's and Tokio's peers where their toolchain is installed; says
# which it could not build, and why, on stderr.
build_peers() {
  mkdir -p "$out"
  if [ -x /usr/bin/go ]; then
    # No module proxy, no toolchain download: the standard library only.
    (cd peers/go && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOCACHE="$root/$out/go-cache" \
       /usr/bin/go build -o "$root/$out/peer-go" .) \
      || { echo "peers.sh: the Go peer did not build (see above)" >&2; return 1; }
  else
    echo "peers.sh: no Go (golang-go): the go peer is left out (scripts/peers.sh --install)" >&2
  fi
  if [ -x /usr/bin/cargo ] && [ -d /usr/share/cargo/registry/tokio-1.24.2 ]; then
    # Debian's cargo and rustc, not a rustup toolchain that may be first on
    # PATH; cargo reads peers/tokio/.cargo/config.toml (Debian's registry,
    # offline) only when run from that folder.
    (cd peers/tokio && RUSTC=/usr/bin/rustc CARGO_TARGET_DIR="$root/$out/tokio" \
       /usr/bin/cargo build --release --offline --locked -q) \
      || { echo "peers.sh: the Tokio peer did not build (see above)" >&2; return 1; }
  else
    echo "peers.sh: no Debian cargo with tokio (cargo, librust-tokio-dev): the tokio peers are left out" \
         "(scripts/peers.sh --install)" >&2
  fi
}

# One --peer flag per peer that can run here.
peer_flags() {
  local py=/usr/bin/python3
  if [ -x "$py" ]; then
    echo "--peer=python_asyncio=$py $root/peers/python/peer.py asyncio"
    if "$py" -c 'import uvloop' 2>/dev/null; then
      echo "--peer=python_uvloop=$py $root/peers/python/peer.py uvloop"
    fi
    echo "--peer=python_threads=$py $root/peers/python/peer.py threads"
    echo "--peer=python_sequential=$py $root/peers/python/peer.py sequential"
  fi
  [ -x "$out/peer-go" ] && echo "--peer=go=$root/$out/peer-go"
  if command -v node >/dev/null; then echo "--peer=node=$(command -v node) $root/peers/node/peer.mjs"; fi
  local tokio="$out/tokio/release/simul-peer-tokio"
  if [ -x "$tokio" ]; then
    echo "--peer=tokio_current_thread=$root/$tokio current_thread"
    echo "--peer=tokio_multi_thread=$root/$tokio multi_thread"
  fi
  return 0
}

# Each runtime's version, for the results' context (the report's "Machine
# and build"). Google Benchmark splits --benchmark_context at commas, so
# semicolons separate them.
runtime_versions() {
  local v=() py=/usr/bin/python3
  if [ -x "$py" ]; then
    v+=("python $("$py" -c 'import platform; print(platform.python_version())')$("$py" -c \
        'import uvloop; print(" (uvloop", uvloop.__version__ + ")")' 2>/dev/null)")
  fi
  [ -x "$out/peer-go" ] && v+=("$(/usr/bin/go version | cut -d' ' -f3)")
  command -v node >/dev/null && v+=("node $(node --version)")
  [ -x "$out/tokio/release/simul-peer-tokio" ] &&
    v+=("tokio $(sed -n '/^name = "tokio"$/{n;s/^version = "\(.*\)"$/\1/p}' peers/tokio/Cargo.lock)" \
        "(rustc $(/usr/bin/rustc --version | cut -d' ' -f2))")
  local IFS=';'
  echo "${v[*]}" | sed 's/;/; /g; s/; (rustc/ (rustc/'
}

install_peers() {
  if ! why=$(simul_install_packages "${simul_peer_packages[@]}" 2>&1 >/dev/null); then
    why=$(printf '%s\n' "$why" | grep -v '^simul: installing' | tail -n 1)
    echo "peers.sh: cannot install the runtimes (${simul_peer_packages[*]}): ${why:-apt-get failed}" >&2
    exit 2
  fi
}

for arg in "$@"; do  # before anything is installed
  case "$arg" in -h|--help) simul_usage; exit 0 ;; esac
done
case "${1:-}" in
  --install) install_peers; build_peers; exit 0 ;;
  --build) build_peers; exit 0 ;;
  --flags) peer_flags; exit 0 ;;
  --versions) runtime_versions; exit 0 ;;
  --*) ;;  # bench.sh's, or simul-bench's
  "") ;;
  *) echo "peers.sh: unknown argument '$1' (known: --install, --build, --flags, --versions, or bench.sh's arguments)" >&2
     exit 2 ;;
esac

install_peers
build_peers
mapfile -t flags < <(peer_flags)
models=(--models=coroutine_loop,thread_per_task,stackful_loop)
filter=(--benchmark_filter='^(sleep|chess|fetch|file_read)/')
for arg in "$@"; do
  case "$arg" in
    --models=*) models=() ;;
    --benchmark_filter=*) filter=() ;;
  esac
done
echo "peers.sh: running $(printf '%s\n' "${flags[@]}" | sed 's/^--peer=\([^=]*\)=.*/\1/' | paste -sd, -)" >&2
exec scripts/bench.sh "${models[@]}" "${filter[@]}" "${flags[@]}" \
  "--benchmark_context=simul_runtimes=$(runtime_versions)" "$@"
