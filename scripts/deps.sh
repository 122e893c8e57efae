#!/usr/bin/env bash
# Installs the Debian packages simul needs, if any is missing. Idempotent and
# silent when everything is already there. Sourced by bench.sh and test.sh;
# can also be run on its own.
set -euo pipefail

simul_packages=(
  g++ cmake ninja-build
  libbenchmark-dev libgtest-dev
  libboost1.81-dev libboost-context1.81-dev  # the 1.81 names: unversioned ones pull in Boost 1.74
  libtbb-dev libfmt-dev liburing-dev pkg-config
  wrk
  iproute2  # ip and tc: bench.sh --netns and its tests
  time  # GNU /usr/bin/time -v: test_meter checks the meter against it
  python3-matplotlib python3-pytest
  python3-pyflakes  # test_lint checks the scripts with it (ruff is not in Debian 12)
  valgrind  # callgrind: scripts/instructions.py counts the harness's instructions
  # nginx with its echo module (about 2 MB): test_anchors runs a short
  # anchors.py serve check against it
  nginx-light libnginx-mod-http-echo
)

# What scripts/anchors.sh adds: fio brings Ceph's and Gluster's client
# libraries (some 40 MB), so only that optional script installs it.
simul_anchor_packages=(nginx-light libnginx-mod-http-echo wrk)
simul_anchor_packages+=(fio)

simul_install_deps() { simul_install_packages "${simul_packages[@]}"; }
simul_install_anchor_deps() { simul_install_packages "${simul_anchor_packages[@]}"; }

simul_install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo=(sudo); else
      echo "simul: missing packages: ${missing[*]}; run as root or install them: apt-get install ${missing[*]}" >&2
      return 1
    fi
  fi
  echo "simul: installing ${missing[*]}" >&2
  # The whole list, not just what is missing: given only the missing ones
  # beside an installed libboost1.81-dev, apt's resolver once chose Boost
  # 1.74 for a dependency and gave up on the conflict.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}

# Prints a Python interpreter that can import matplotlib and pytest: Debian's
# /usr/bin/python3 first (python3 on PATH may be a pyenv build that cannot see
# Debian's packages).
simul_python() {
  local py
  for py in /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -x "$py" ] && "$py" -c 'import matplotlib, pytest' 2>/dev/null; then echo "$py"; return 0; fi
  done
  echo "simul: no Python that can import matplotlib and pytest (apt-get install python3-matplotlib python3-pytest)" >&2
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    "") simul_install_deps ;;
    -h|--help) source "$(dirname "$0")/usage.sh"; simul_usage ;;
    *) echo "deps.sh: unknown argument '$1' (it takes none; --help says what it does)" >&2; exit 2 ;;
  esac
fi
