"""What happened in each municipality: diary hours, citizen-days and trial entrants by place.

The recorder keeps the national tables; this keeps the few per-place counts the results by
municipality need (``caseload run --by municipality``), by place index, group and provider, so
that the metrics can split the national workload over the municipalities and count each one's
trial participants. Plain nested lists: the hot path adds one number per contact.
"""

from __future__ import annotations

import numpy as np


class PlaceTally:
    """Per place: diary hours and citizen-days by (group, provider); trial entrants by (group, provider)."""

    def __init__(self, n_places: int, n_groups: int, n_providers: int):
        self._hours = [[[0.0] * n_providers for _ in range(n_groups)] for _ in range(n_places)]
        self._days = [[[0.0] * n_providers for _ in range(n_groups)] for _ in range(n_places)]
        self._trial = [[[0.0] * n_providers for _ in range(n_groups)] for _ in range(n_places)]
        self._extended = [[[0.0] * n_providers for _ in range(n_groups)] for _ in range(n_places)]

    def on_task(self, place: int, g: int, p: int, hours: float) -> None:
        self._hours[place][g][p] += hours

    def on_provider_days(self, place: int, g: int, p: int, days: float) -> None:
        self._days[place][g][p] += days

    def on_trial_entry(self, place: int, g: int, p: int, free_choice: bool) -> None:
        """An entrant to the free-choice trial (`free_choice`) or to the extended course of the others."""
        (self._trial if free_choice else self._extended)[place][g][p] += 1.0

    @property
    def hours(self) -> np.ndarray:
        """Diary hours (talks, offers, clarifications) by place, group and provider."""
        return np.array(self._hours, dtype=float)

    @property
    def days(self) -> np.ndarray:
        """Citizen-days in stock by place, group and provider."""
        return np.array(self._days, dtype=float)

    @property
    def trial_participants(self) -> np.ndarray:
        """Free-choice participants by place, group and the provider they chose."""
        return np.array(self._trial, dtype=float)

    @property
    def extended_entrants(self) -> np.ndarray:
        """Entrants to the extended a-kasse course by place, group and course provider."""
        return np.array(self._extended, dtype=float)
