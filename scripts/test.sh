#!/usr/bin/env bash
# Installs what is missing, builds and runs every test: CTest (GoogleTest) for
# the C++, pytest for the scripts. Exits non-zero on any failure. Options:
#   --preset NAME   build and test with a CMake preset: release (default),
#                   debug, sanitize (AddressSanitizer + UBSan) or tsan
#                   (ThreadSanitizer: only the tests labelled tsan, the
#                   coroutine models', since Debian's oneTBB is not built
#                   with ThreadSanitizer and every pool test would report
#                   its internal synchronisation as races)
#   --no-werror     build without warnings as errors (by default warnings
#                   in simul's own code are errors: CMake's SIMUL_WERROR,
#                   set on every configure so that the cache follows)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/usage.sh

preset=release
werror=ON
while [ $# -gt 0 ]; do
  case "$1" in
    --preset) preset=${2:?--preset needs a name}; shift 2 ;;
    --preset=*) preset=${1#--preset=}; shift ;;
    --no-werror) werror=OFF; shift ;;
    -h|--help) simul_usage; exit 0 ;;
    *) echo "test.sh: unknown argument '$1' (known: --preset NAME, --no-werror)" >&2; exit 2 ;;
  esac
done
case "$preset" in release|debug|sanitize|tsan) ;; *)
  echo "test.sh: unknown preset '$preset' (known: release, debug, sanitize, tsan)" >&2; exit 2 ;;
esac

simul_install_deps
py=$(simul_python)
cmake --preset "$preset" -DSIMUL_WERROR="$werror" >/dev/null
if [ "$preset" = tsan ]; then
  cmake --build --preset tsan --target test_loops test_uring_reads test_stackful
  TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" ctest --preset tsan -L tsan -j "$(nproc)"
  exit 0
fi
cmake --build --preset "$preset"
# The other runtimes' peers (scripts/peers.sh), where their toolchains are
# installed; without them, test_peers.py skips each one with the reason.
scripts/peers.sh --build
ctest --preset "$preset" -j "$(nproc)"
# The plotting and report scripts.
(cd scripts && SIMUL_BUILD_DIR="../build/$preset" "$py" -m pytest -q tests)
