"""Where a citizen belongs: its municipality and, for the a-kasse's exemption pool, its a-kasse.

The law counts the one-in-four exemption per municipality and per a-kasse, and the 2027 trial is
assigned by municipality, so every citizen belongs to one place. A national run spreads the
citizens over every municipality of the table in proportion to its population (the assumption
that a municipality's caseload is its population share of the nation's); a run for one
municipality (``municipality = NAME``) puts every citizen there. The draw only labels citizens: the
number of citizens, their rows of uniforms and every other stream stay exactly as they were, so the
national totals do not move.

Each citizen's place and a-kasse come from dedicated named streams (one per group and kind of
entry, see :func:`sim.engine.randomness.place_stream`), read in the order the group's citizens are
created. The engine sees places only as indices with a weight and a trial flag, never by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.randomness import NamedGenerators, place_stream
from sim.inputs.municipalities import municipalities


@dataclass(frozen=True)
class Places:
    """The municipalities of a run (names for output only), their weights and free-choice flags, and
    the a-kasser with their member shares."""

    names: tuple[str, ...]
    weights: np.ndarray  # sums to 1
    free_choice: tuple[bool, ...]
    funds: tuple[str, ...]
    fund_weights: np.ndarray  # sums to 1

    def __len__(self) -> int:
        return len(self.names)


def places_of(scenario) -> Places:
    """The places of a scenario: every municipality of the table by population share, or the one
    the scenario names."""
    table = municipalities()
    if scenario.municipality:
        table = [m for m in table if m.name == scenario.municipality]
    pop = np.array([m.population for m in table], dtype=float)
    funds = scenario.unemployment_funds.shares
    fw = np.array(list(funds.values()), dtype=float)
    return Places(tuple(m.name for m in table), pop / pop.sum(), tuple(m.free_choice for m in table),
                  tuple(funds), fw / fw.sum())


class PlaceDraws:
    """Draws the place and a-kasse of each new citizen of a group, from the group's own streams."""

    def __init__(self, places: Places, streams: NamedGenerators, job_chance_sd: float = 0.0):
        self.places = places
        self.streams = streams
        self._rngs: dict[str, np.random.Generator] = {}
        z = streams.generator(place_stream("*", "effects")).standard_normal(len(places.names))
        # each municipality's multiplier on its citizens' job hazard, mean 1
        self.job_mult = np.exp(job_chance_sd * z - job_chance_sd ** 2 / 2.0) if job_chance_sd > 0 else None

    def _rng(self, group: str, kind: str) -> np.random.Generator:
        name = place_stream(group, kind)
        rng = self._rngs.get(name)
        if rng is None:
            rng = self._rngs[name] = self.streams.generator(name)
        return rng

    def draw(self, group: str, kind: str, n: int) -> dict[str, np.ndarray]:
        """The `place` and `fund` indices of the next `n` citizens of `group` (`kind`: "stock" or
        "arrivals"), as attribute arrays for :func:`sim.engine.citizen.new_citizen`."""
        rng = self._rng(group, kind)
        p = self.places
        place = rng.choice(len(p.names), size=n, p=p.weights) if len(p.names) > 1 else np.zeros(n, dtype=np.int64)
        fund = rng.choice(len(p.funds), size=n, p=p.fund_weights) if len(p.funds) > 1 else np.zeros(n, dtype=np.int64)
        return {"place": place, "fund": fund}

    def label(self, attrs: dict[str, np.ndarray], group: str, kind: str, n: int) -> dict[str, np.ndarray]:
        """`attrs` of `n` new citizens with their place and a-kasse, and their frailty (the
        multiplier on the job hazard) times their municipality's job chances.

        The initial stock is picked by spell length before places are drawn, so a municipality
        with better job chances starts with a stock slightly too large for them: a bias of second
        order that fades as the stock turns over."""
        out = attrs | self.draw(group, kind, n)
        if self.job_mult is not None:
            out["frailty"] = np.asarray(attrs["frailty"]) * self.job_mult[out["place"]]
        return out
