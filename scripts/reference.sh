#!/usr/bin/env bash
# Regenerates results/reference/, the committed run the README quotes: the
# default sweep on this machine (scripts/bench.sh), the harness checked
# against the bare programs (scripts/baselines.sh), with the machine
# description, charts and report. Takes about 20 minutes on the 2-core
# development VM (the sweep 8, its rounds included; the baselines about 10,
# their pairs added until each interval is within ±3%). The
# committed reference also has scripts/anchors.sh --out results/reference
# (another 10 minutes). Arguments go through to simul-bench (e.g.
# --scale=full, for the full grid: several times longer).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/usage.sh
for arg in "$@"; do  # before a run replaces the reference
  case "$arg" in -h|--help) simul_usage; exit 0 ;; esac
done
scripts/bench.sh "$@"
source scripts/deps.sh
run=$(readlink results/latest)
rm -rf results/.reference.new
cp -r "results/$run" results/.reference.new
# A row that fails is in the table, marked; the reference goes on.
scripts/baselines.sh --out results/.reference.new || echo "simul: some baselines failed (see the table)" >&2
# The timelines are drawn; the per-task traces behind them stay in the run.
rm -rf results/.reference.new/traces
# Swap in whole: an interrupted regeneration leaves the old reference.
rm -rf results/.reference.old
[ -d results/reference ] && mv results/reference results/.reference.old
mv results/.reference.new results/reference
rm -rf results/.reference.old
echo "simul: results/reference/ now holds run $run"
