"""Execute every notebook under ``notebooks/`` and fail on the first cell error.

The explorer (00) simulates at the scale a planner would use; here it runs small, through the two
environment variables it reads (its kernel inherits this process's environment)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


SMALL_RUNS = {"00_explorer.ipynb": {"CASELOAD_EXPLORER_SCALE": "0.01", "CASELOAD_EXPLORER_REPLICATIONS": "1"}}


def test_the_explorer_notebook_is_there():
    assert (NOTEBOOK_DIR / "00_explorer.ipynb") in NOTEBOOKS


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, monkeypatch):
    for name, value in SMALL_RUNS.get(notebook.name, {}).items():
        monkeypatch.setenv(name, value)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
