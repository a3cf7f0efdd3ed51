"""The one error a user sees for bad input: it names the field, the value and what is allowed.

``str(err)`` is always one line: characters that would break a terminal line (newlines, other
control and separator characters, which a user's TOML key or CSV cell may hold) are written as
escapes. The error pickles with its three parts intact, so that an error raised inside a worker
process reaches the user as the same error, not as "a worker process died".
"""

from __future__ import annotations

import pickle
from typing import Any


def one_line(text: str) -> str:
    """`text` with every character that is not printable (newline, tab, NUL, U+2028, ...) escaped,
    so that it prints as exactly one line."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class ParamError(ValueError):
    """A parameter is wrong. ``str(err)`` is one line fit for a terminal."""

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(one_line(f"{field} = {value!r}: {allowed}"))

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickles as cls(*self.args), i.e. with the message alone, which __init__ cannot
        # take; rebuild from the three parts instead (a value that does not pickle travels as its repr).
        return (type(self), (self.field, _picklable(self.value), self.allowed))


def _picklable(value: Any) -> Any:
    try:
        pickle.dumps(value)
    except Exception:  # noqa: BLE001 - any value that fails to pickle is sent as its text
        return repr(value)
    return value
