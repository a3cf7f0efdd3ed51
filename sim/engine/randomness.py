"""Named random streams and per-citizen random numbers, for common random numbers (CRN).

One ``SeedSequence`` root per replication is spawned into named streams (a stream's key is a hash
of its name, so adding a stream never shifts another). Each citizen also gets a row of uniforms
when it is created, in the order of its group's arrivals; everything random about the citizen is
read from that row by position, and from a private Philox stream keyed by the citizen if the row
runs out. Two scenarios run with the same seed therefore see the same citizens making the same
draws, whatever else differs in the order of events.
"""

from __future__ import annotations

import hashlib

import numpy as np

ROW_WIDTH = 32

# Fixed columns of a citizen's row; the columns from FIRST_FREE on are read in sequence.
COL_FRAILTY = 0
COL_UNDER_30 = 1
COL_SHORT_ABSENCE = 2
COL_PRIOR_HOURS = 3
COL_EXEMPTION = 4
COL_PROVIDER_CHOICE = 5
COL_ROUTING = 6
COL_ASSESSMENT = 7
COL_SEPARATE_EXEMPTION = 8  # the separately deciding provider's exemption (the a-kasse's)
COL_TRIAL = 9
FIRST_FREE = 10


def place_stream(group: str, kind: str) -> str:
    """The stream of the municipality and a-kasse draws of a group's citizens (`kind`: "stock" or
    "arrivals"): its own name, so that no other stream moves when places are drawn."""
    return f"place:{kind}:{group}"


def stream_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


class Streams:
    """The named generators of one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, name: str) -> np.random.Generator:
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(ss))

    def citizen_overflow(self, citizen_key: int) -> np.random.Generator:
        """A private stream for a citizen whose row of uniforms is used up."""
        ss = np.random.SeedSequence(entropy=self.seed,
                                    spawn_key=(self.replication, stream_key("citizen"), citizen_key))
        return np.random.Generator(np.random.Philox(ss))
