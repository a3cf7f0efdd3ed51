"""The `caseload` command: argument parsing and printing only (entry point: sim.cli.main:entry)."""
