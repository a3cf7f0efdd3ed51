#!/usr/bin/env bash
# Same answers from a changed engine (issue 14): run the national default (or SCENARIO) with the
# same seed and replications under git revision REV and under the working tree, then compare the
# two runs KPI by KPI, paired by replication (common random numbers). Exit 0 when every KPI row is
# identical or within; 1 when a row moved (see sim/studies/engine_versions.py).
#
#   scripts/engine_compare.sh REV [REPLICATIONS=10] [SCALE=0.05] [SCENARIO]
#   PYTHON=...  the interpreter with the project's dependencies (default .venv/bin/python)
#   COMPARE_DIR=...  where the two runs and shifts.csv go (default /tmp/caseload-engine-compare)
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:?usage: scripts/engine_compare.sh REV [REPLICATIONS] [SCALE] [SCENARIO]}
reps=${2:-10}
scale=${3:-0.05}
scenario=${4:-}
py=${PYTHON:-.venv/bin/python}
python="$(cd "$(dirname "$py")" && pwd)/$(basename "$py")"  # absolute, the venv's link kept
out=${COMPARE_DIR:-/tmp/caseload-engine-compare}
rm -rf "$out" && mkdir -p "$out"
git worktree add --detach --quiet "$out/old-tree" "$rev"
trap 'git worktree remove --force "$out/old-tree"' EXIT
run() {  # run TREE NAME: the same command in either tree, its own `sim` first on the path
    (cd "$1" && PYTHONPATH="$1" "$python" -m sim.cli run ${scenario:+"$scenario"} --set "scale=$scale" \
        --replications "$reps" --seed 1 --workers 1 --out "$out/$2" > "$out/$2.log")
}
run "$out/old-tree" old
run "$PWD" new
PYTHONPATH="$PWD" "$python" -m sim.studies.engine_versions "$out/old" "$out/new" --out "$out/shifts.csv"
