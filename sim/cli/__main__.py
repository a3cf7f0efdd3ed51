"""``python -m sim.cli``: the same as the ``caseload`` command."""

from sim.cli.main import entry

entry()
