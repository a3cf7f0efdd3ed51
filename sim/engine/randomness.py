"""Named random streams and per-citizen random numbers, for common random numbers (CRN).

One ``SeedSequence`` root per replication is spawned into named streams (a stream's key is a hash
of its name, so adding a stream never shifts another). Each citizen also gets a row of uniforms
when it is created, in the order of its group's arrivals; everything random about the citizen is
read from that row: fixed attributes by position, then two sequences, one for the exit clocks of
its spells and one for its contacts, each continued by a private Philox stream keyed by the
citizen once its columns run out. Two scenarios run with the same seed therefore see the same
citizens making the same draws, whatever else differs in the order of events; and a spell's exits
do not depend on how many contacts the spells before it had.
"""

from __future__ import annotations

import hashlib
from array import array
from typing import Final, Protocol

import numpy as np

ROW_WIDTH: Final = 32

# Fixed columns of a citizen's row; the columns from FIRST_FREE on are read in sequence.
COL_FRAILTY: Final = 0
COL_UNDER_30: Final = 1
COL_SHORT_ABSENCE: Final = 2
COL_PRIOR_HOURS: Final = 3
COL_EXEMPTION: Final = 4
COL_PROVIDER_CHOICE: Final = 5
COL_ROUTING: Final = 6
COL_ASSESSMENT: Final = 7
COL_SEPARATE_EXEMPTION: Final = 8  # the separately deciding provider's exemption (the a-kasse's)
COL_TRIAL: Final = 9
FIRST_FREE: Final = 10  # columns FIRST_FREE.. FIRST_CONTACT-1: the exit draws of the citizen's spells, in order
FIRST_CONTACT: Final = 21  # columns FIRST_CONTACT.. ROW_WIDTH-1: the draws of its contacts, in order
# the private streams that continue each sequence once its columns are used up
EXIT_DRAWS: Final = "citizen"
CONTACT_DRAWS: Final = "citizen-contacts"


def place_stream(group: str, kind: str) -> str:
    """The stream of the municipality and a-kasse draws of a group's citizens (`kind`: "stock" or
    "arrivals"): its own name, so that no other stream moves when places are drawn."""
    return f"place:{kind}:{group}"


def stu_stream(group: str, kind: str) -> str:
    """The stream of the STU draws of a group's citizens (`kind`: "stock" or "arrivals"): its own
    name, so that no other draw moves when STU is drawn."""
    return f"stu:{kind}:{group}"


def stream_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")


class NamedGenerators(Protocol):
    """What a user of named streams alone needs (Streams, or a stand-in that fixes some draws)."""

    def generator(self, name: str) -> np.random.Generator: ...


class Streams:
    """The named generators of one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, name: str) -> np.random.Generator:
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(ss))

    def citizen_overflow(self, citizen_key: int, sequence: str) -> np.random.Generator:
        """A private stream continuing one of a citizen's sequences of draws once its columns of the
        row are used up (`sequence`: EXIT_DRAWS or CONTACT_DRAWS)."""
        ss = np.random.SeedSequence(entropy=self.seed,
                                    spawn_key=(self.replication, stream_key(sequence), citizen_key))
        return np.random.Generator(np.random.Philox(ss))


OVERFLOW_CHUNK: Final = 32  # values of a private stream held at a time (at least; see OverflowDraws)


class OverflowDraws:
    """A citizen's private stream of uniforms (one of its two sequences past its row), held as the
    next few values rather than as a live generator.

    Why: a numpy Generator with its Philox state takes about 1.2 KB, and over half the citizens in
    stock have run past a row's columns, so the generators were a sixth of a national run's memory.
    Drawing k uniforms at once gives the same values as k single draws (Generator.random fills its
    output in order), so the stream is read in chunks: when a chunk runs out, a fresh generator
    for the same key skips the values already used and gives the next chunk, as long as all that
    were used so far (fewer refills for the citizens who draw most). The sequence is exactly the
    one a kept generator would have given. The values are held as C doubles (an `array`): 32 of them
    take the memory of 8 Python floats in a list, and a refill (about 18 microseconds, mostly building
    the generator) comes a quarter as often as with 8."""

    __slots__ = ("streams", "key", "sequence", "values", "used")

    def __init__(self, streams: Streams, key: int, sequence: str):
        self.streams = streams
        self.key = key
        self.sequence = sequence
        self.values: array[float] = array("d")  # the next values, last first (pop takes from the end)
        self.used = 0  # values of the stream drawn so far

    def next(self) -> float:
        """The stream's next uniform."""
        if not self.values:
            gen = self.streams.citizen_overflow(self.key, self.sequence)
            if self.used:
                gen.random(self.used)  # the values already used
            self.values = array("d", gen.random(max(OVERFLOW_CHUNK, self.used))[::-1].tobytes())
        self.used += 1
        return self.values.pop()
