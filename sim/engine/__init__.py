"""The simulation engine. Its modules may run compiled (mypyc, at install) or from their sources:
`_native.choose` decides before any of them is imported (see sim/engine/_native.py)."""

from sim.engine._native import choose, engine_kind

choose()

__all__ = ["engine_kind"]
