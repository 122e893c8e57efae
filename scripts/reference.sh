#!/usr/bin/env bash
# Regenerates results/reference/, the committed run the README quotes: the
# full sweep on this machine, with its machine description, charts and report.
# Takes about 20 minutes on the 2-core development VM. Arguments go through
# to simul-bench.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bench.sh --scale=full "$@"
source scripts/deps.sh
run=$(readlink results/latest)
rm -rf results/.reference.new
cp -r "results/$run" results/.reference.new
"$(simul_python)" scripts/report.py results/.reference.new/run.json >/dev/null
# Swap in whole: an interrupted regeneration leaves the old reference.
rm -rf results/.reference.old
[ -d results/reference ] && mv results/reference results/.reference.old
mv results/.reference.new results/reference
rm -rf results/.reference.old
echo "simul: results/reference/ now holds run $run"
