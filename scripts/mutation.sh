#!/usr/bin/env bash
# Mutation testing of sim/engine and sim/metrics with mutmut (issue 16). Slow: not part of CI.
#
# Usage:  scripts/mutation.sh [MUTANT_PATTERN ...]
#   scripts/mutation.sh                              every mutant of sim/engine and sim/metrics
#   scripts/mutation.sh 'sim.engine.capacity*'       one module (mutant names are dotted paths)
#
# The configuration (which files, which fast tests) is [tool.mutmut] in pyproject.toml. mutmut
# writes a mutants/ folder beside the code it mutates, so the run happens in a scratch copy of
# the working tree, never in the repository:
#   MUTATION_WORKDIR   the copy (default ${TMPDIR:-/tmp}/caseload-mutation); its mutants/ folder
#                      is kept between runs, so a rerun only tests functions that changed
#   MUTATION_CHILDREN  mutants tested in parallel (default: the number of cores)
# Afterwards `cd $MUTATION_WORKDIR && <repo>/.venv/bin/mutmut browse` (or `mutmut show NAME`)
# shows each surviving mutant. See tests/MUTATION.md for the score and the survivors explained.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
mutmut="$repo/.venv/bin/mutmut"
workdir="${MUTATION_WORKDIR:-${TMPDIR:-/tmp}/caseload-mutation}"
children="${MUTATION_CHILDREN:-$(nproc 2>/dev/null || echo 2)}"

if [[ ! -x "$mutmut" ]]; then
    echo "mutmut not found in $repo/.venv: pip install -e '.[test]'" >&2
    exit 1
fi

# A fresh copy of the code, tests and parameters (mutants/ survives as mutmut's cache).
mkdir -p "$workdir"
rm -rf "$workdir/sim" "$workdir/tests" "$workdir/params" "$workdir/pyproject.toml"
tar -C "$repo" -cf - sim tests params pyproject.toml | tar -C "$workdir" -xf -
find "$workdir" -name __pycache__ -type d -prune -exec rm -rf {} +

cd "$workdir"
start=$(date +%s)
"$mutmut" run --max-children "$children" "$@"
seconds=$(( $(date +%s) - start ))

"$mutmut" export-cicd-stats >/dev/null
echo
echo "== surviving mutants (mutmut show NAME in $workdir for the diff) =="
"$mutmut" results | grep -v -e ": killed$" -e ": not checked$" || true
echo
"$repo/.venv/bin/python" - "$seconds" <<'PY'
import json
import sys

s = json.load(open("mutants/mutmut-cicd-stats.json"))
seconds = int(sys.argv[1])
tested = s["killed"] + s["survived"] + s["timeout"] + s["suspicious"] + s["segfault"]
caught = s["killed"] + s["timeout"] + s["segfault"]
print("== score ==")
print(", ".join(f"{k} {v}" for k, v in s.items()))
if tested:
    # mutants in code no fast test runs ("no tests") count against the score, like survivors
    print(f"killed (timeouts count as killed) {caught} of {tested + s['no_tests']} tested or untested = "
          f"{100 * caught / (tested + s['no_tests']):.1f} %")
print(f"this run: {seconds} s wall (results of earlier runs in the work folder are included above)")
PY
