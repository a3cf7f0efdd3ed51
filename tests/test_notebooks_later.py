"""The notebooks from 04 on (see tests/test_notebooks.py): a file of their own, so that the two
test workers each execute some of the notebooks."""

from pathlib import Path

import pytest
from test_notebooks import REST, run_notebook


@pytest.mark.parametrize("notebook", REST, ids=[p.name for p in REST])
def test_notebook_runs(notebook: Path, monkeypatch):
    run_notebook(notebook, monkeypatch)
