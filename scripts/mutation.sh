#!/usr/bin/env bash
# Mutation testing of sim/engine and sim/metrics with mutmut (issue 16). Slow: not part of CI.
#
# Usage:  scripts/mutation.sh [MUTANT_PATTERN ...]
#   scripts/mutation.sh                              every mutant of sim/engine and sim/metrics
#   scripts/mutation.sh 'sim.engine.capacity*'       one module (mutant names are dotted paths)
#   MUTATION_SAMPLE=200 MUTATION_SEED=16 scripts/mutation.sh
#                                                    a uniform random sample of 200 mutants
#
# The configuration (which files, which fast tests) is [tool.mutmut] in pyproject.toml. mutmut
# writes a mutants/ folder beside the code it mutates, so the run happens in a scratch copy of
# the working tree, never in the repository:
#   MUTATION_WORKDIR   the copy (default ${TMPDIR:-/tmp}/caseload-mutation); its mutants/ folder
#                      is kept between runs, so a rerun only tests functions that changed
#   MUTATION_CHILDREN  mutants tested in parallel (default: the number of cores)
#   MUTATION_SAMPLE    test only N mutants drawn uniformly at random (the full run takes hours):
#                      the mutants are generated first (no tests run), then
#                      random.Random(MUTATION_SEED).sample(sorted(all names), N) are tested, and
#                      the score of the sample is printed with a 95 % Clopper-Pearson interval
#   MUTATION_SEED      the seed of the sample (default 16)
#   MUTATION_BATCH     test the sample in batches of this many (default: all at once); the score
#                      is printed after each batch over the batches finished, so a run stopped
#                      mid-way still leaves a uniform random sample (the batches are consecutive
#                      slices of the random draw; mutmut orders mutants within a batch by speed,
#                      so a half-finished batch would not be random and is left out)
#   MUTATION_DESELECT  pytest node ids (space-separated) to leave out of the test selection in the
#                      scratch copy only, e.g. a test that fails on the unmutated code
#   MUTMUT             the mutmut executable (default <repo>/.venv/bin/mutmut)
#   PYTHON             the python with mutmut and scipy (default: beside $MUTMUT)
# Afterwards `cd $MUTATION_WORKDIR && <repo>/.venv/bin/mutmut browse` (or `mutmut show NAME`)
# shows each surviving mutant. See tests/MUTATION.md for the score and the survivors explained.
set -euo pipefail
# The mutants are sources: the engine compiled at install (hatch_build.py) must not stand in for them
# (sim/engine/_native.py would notice the changed sources anyway, with a warning in every test)
export CASELOAD_PURE_PYTHON=1

repo="$(cd "$(dirname "$0")/.." && pwd)"
mutmut="${MUTMUT:-$repo/.venv/bin/mutmut}"
python="${PYTHON:-$(dirname "$mutmut")/python}"
sample="${MUTATION_SAMPLE:-}"
seed="${MUTATION_SEED:-16}"
batch="${MUTATION_BATCH:-}"
workdir="${MUTATION_WORKDIR:-${TMPDIR:-/tmp}/caseload-mutation}"
children="${MUTATION_CHILDREN:-$(nproc 2>/dev/null || echo 2)}"

if [[ ! -x "$mutmut" ]]; then
    echo "mutmut not found at $mutmut: pip install -e '.[test]', or set MUTMUT" >&2
    exit 1
fi
if [[ -n "$sample" && $# -gt 0 ]]; then
    echo "MUTATION_SAMPLE draws from every mutant: give no MUTANT_PATTERN with it" >&2
    exit 1
fi

# A fresh copy of the code, tests and parameters (mutants/ survives as mutmut's cache).
mkdir -p "$workdir"
rm -rf "$workdir/sim" "$workdir/tests" "$workdir/params" "$workdir/pyproject.toml"
tar -C "$repo" -cf - sim tests params pyproject.toml | tar -C "$workdir" -xf -
find "$workdir" -name __pycache__ -type d -prune -exec rm -rf {} +
if [[ -n "${MUTATION_DESELECT:-}" ]]; then
    "$python" - "$workdir/pyproject.toml" ${MUTATION_DESELECT} <<'PY'
import sys
from pathlib import Path

path, ids = Path(sys.argv[1]), sys.argv[2:]
head = "pytest_add_cli_args_test_selection = ["
text = path.read_text()
assert head in text
extra = "".join(f'\n    "--deselect", "{i}",' for i in ids)
path.write_text(text.replace(head, head + extra, 1))
print("deselected in the scratch copy:", *ids)
PY
fi

cd "$workdir"

if [[ -n "$sample" ]]; then
    # mutmut 3.8.1 has no command that only generates mutants: `mutmut run` generates them
    # (copy_src_dir ... create_mutants, which writes mutants/<file>.meta, whose exit_code_by_key
    # names every mutant), then runs the tests. Do the first half with mutmut's own functions.
    "$python" - <<'PY'
from mutmut.__main__ import create_mutants
from mutmut.mutation.trampoline import set_mutant_under_test
from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths
import os

set_mutant_under_test("mutant_generation")
os.makedirs("mutants", exist_ok=True)
copy_src_dir()
copy_also_copy_files()
setup_source_paths()
stats = create_mutants(2)
print(f"generated: {stats.mutated} files mutated, {stats.ignored} ignored, {stats.unmodified} unmodified")
PY
    mapfile -t names < <("$python" - "$sample" "$seed" <<'PY'
import json
import random
import sys
from pathlib import Path

n, seed = int(sys.argv[1]), int(sys.argv[2])
names = sorted(k for meta in Path("mutants").rglob("*.py.meta")
               for k in json.loads(meta.read_text())["exit_code_by_key"])
print(f"{len(names)} mutants; sample of {n} with seed {seed}", file=sys.stderr)
for name in random.Random(seed).sample(names, n):
    print(name)
PY
)
    printf '%s\n' "${names[@]}" > mutation-sample.txt
    : > mutation-sample-done.txt
    batch="${batch:-${#names[@]}}"
    start=$(date +%s)
    for (( i = 0; i < ${#names[@]}; i += batch )); do
        part=("${names[@]:i:batch}")
        "$mutmut" run --max-children "$children" "${part[@]}"
        printf '%s\n' "${part[@]}" >> mutation-sample-done.txt
        seconds=$(( $(date +%s) - start ))
        echo
        echo "== after $(wc -l < mutation-sample-done.txt) of ${#names[@]} mutants, $(date -u +%H:%M:%S) UTC =="
        "$python" - "$seconds" "$sample" "$seed" <<'PY'
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code
from scipy.stats import binomtest

seconds, n, seed = (int(a) for a in sys.argv[1:4])
wanted = set(Path("mutation-sample-done.txt").read_text().split())
status = {}
for meta in Path("mutants").rglob("*.py.meta"):
    for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
        if key in wanted:
            status[key] = status_by_exit_code[code]
assert set(status) == wanted, wanted - set(status)
print("== surviving and other not-killed mutants of the sample (mutmut show NAME) ==")
for key in sorted(status):
    if status[key] != "killed":
        print(f"    {key}: {status[key]}")
counts = Counter(status.values())
print()
print(f"== score of a random sample: {len(wanted)} of the {n} drawn with seed {seed} ==")
print(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
caught = counts["killed"] + counts["timeout"] + counts["segfault"]
# mutants in code no fast test runs ("no tests") count against the score, like survivors
tested = caught + counts["survived"] + counts["suspicious"] + counts["no tests"]
if tested:
    ci = binomtest(caught, tested).proportion_ci(confidence_level=0.95, method="exact")
    print(f"killed (timeouts count as killed) {caught} of {tested} = {100 * caught / tested:.1f} %, "
          f"95 % Clopper-Pearson interval {100 * ci.low:.1f} - {100 * ci.high:.1f} %")
print(f"this run: {seconds} s wall")
PY
    done
    exit 0
fi

cd "$workdir"
start=$(date +%s)
"$mutmut" run --max-children "$children" "$@"
seconds=$(( $(date +%s) - start ))

"$mutmut" export-cicd-stats >/dev/null
echo
echo "== surviving mutants (mutmut show NAME in $workdir for the diff) =="
"$mutmut" results | grep -v -e ": killed$" -e ": not checked$" || true
echo
"$python" - "$seconds" <<'PY'
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
