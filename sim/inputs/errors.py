"""The one error a user sees for bad input: it names the field, the value and what is allowed."""

from __future__ import annotations

from typing import Any


class ParamError(ValueError):
    """A parameter is wrong. ``str(err)`` is one line fit for a terminal."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field} = {value!r}: {allowed}")
