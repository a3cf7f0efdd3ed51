"""The ``caseload`` command: argument parsing and printing only."""

from sim.cli.main import main

__all__ = ["main"]
