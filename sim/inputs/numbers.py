"""How a parameter's numbers are validated, in one place for the scenario and the rule sets.

A number is a finite float or int, never a boolean (pydantic would read true as 1.0) and never
NaN or infinity (which would pass every range check and poison the arithmetic downstream). Every
table refuses unknown keys, so a typo is an error rather than a silently ignored setting."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _not_a_boolean(value: Any) -> Any:
    """Refuse true/false where a number belongs: pydantic would read them as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


Number = Annotated[float, BeforeValidator(_not_a_boolean)]
"""A parameter number: a float or an int, never a boolean (NaN and infinity are refused by Strict)."""
Count = Annotated[int, BeforeValidator(_not_a_boolean)]


class Strict(BaseModel):
    """Refuses unknown keys, so that a typo is an error rather than a silently ignored setting, and
    NaN or infinity in any number, so that no arithmetic downstream meets them. Numbers are
    declared as :data:`Number`, which also refuses true and false."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
