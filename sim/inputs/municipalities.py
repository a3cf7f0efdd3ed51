"""Municipality presets: the national default scaled to one municipality, with its 2027 trial.

``--set municipality=Odense`` (or ``municipality = "Odense"`` in a scenario) is applied by
:func:`sim.inputs.loading.load_params` through :func:`municipality_layer`. The municipality's share of
Denmark's population becomes ``scale``: every stock and inflow of the national default is cut to
that share, which assumes the municipality looks like the national average (for its own figures,
use ``caseload calibrate``). ``trials.free_choice_share`` is 1 in the 19 free-choice municipalities
and 0 elsewhere (bm.dk press release 3 Dec 2025). A value the user states (``--set scale=0.5`` or ``scale`` in the
same scenario file) wins over the preset's.

The table is ``params/municipalities.csv`` (name, population, year, source, trial); lines starting
with ``#`` are comments that document where the numbers come from.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sim.inputs.errors import ParamError
from sim.inputs.files import params_dir, read_text_lines

TRIALS = ("free_choice", "akasse")

# Other names planners use for a municipality; keys are compared after normalisation (see _key).
ALIASES = {
    "copenhagen": "København",
    "kbh": "København",
    "elsinore": "Helsingør",
    "bornholmsregionskommune": "Bornholm",
    "nordfyn": "Nordfyns",
    "vesthimmerland": "Vesthimmerlands",
    "lyngby": "Lyngby-Taarbæk",
    "taastrup": "Høje-Taastrup",
    "hojetastrup": "Høje-Taastrup",
    "faaborg": "Faaborg-Midtfyn",
    "ringkobing": "Ringkøbing-Skjern",
    "ikast": "Ikast-Brande",
}


@dataclass(frozen=True)
class Municipality:
    """One row of the table."""

    name: str
    population: int
    year: int
    source: str
    trial: str

    @property
    def free_choice(self) -> bool:
        return self.trial == "free_choice"


def table_path() -> Path:
    return params_dir() / "municipalities.csv"


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Municipality, ...]:
    lines = [line for line in read_text_lines(Path(path), "municipalities table", "CSV file")
             if not line.lstrip().startswith("#") and line.strip()]
    rows = []
    try:
        records = list(csv.DictReader(lines))
    except csv.Error as exc:
        raise ParamError("municipalities table", path, f"a readable CSV file ({exc})") from None
    for i, rec in enumerate(records, start=1):
        name = (rec.get("name") or "").strip()
        trial = (rec.get("trial") or "").strip()
        if trial not in TRIALS:
            raise ParamError(f"municipalities.csv row {i} ({name}).trial", trial, " or ".join(TRIALS))
        try:
            pop, year = int(rec["population"]), int(rec["year"])
        except (TypeError, ValueError, KeyError):
            raise ParamError(f"municipalities.csv row {i} ({name}).population", rec.get("population"),
                             "a whole number of inhabitants with its year") from None
        if pop <= 0:
            raise ParamError(f"municipalities.csv row {i} ({name}).population", pop, "a number of inhabitants > 0")
        rows.append(Municipality(name, pop, year, (rec.get("source") or "").strip(), trial))
    if not rows:
        raise ParamError("municipalities table", path, "at least one municipality")
    return tuple(rows)


def municipalities(path: str | Path | None = None) -> list[Municipality]:
    """Every municipality of the table, in file order."""
    return list(_load(str(path or table_path())))


def _fold(text: str, danish: bool) -> str:
    t = text.casefold().strip()
    for suffix in (" regionskommune", " kommune"):
        t = t.removesuffix(suffix)
    if danish:
        t = t.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    else:
        t = t.replace("æ", "a").replace("ø", "o").replace("å", "a").replace("aa", "a").replace("oe", "o").replace(
            "ae", "a")
    t = unicodedata.normalize("NFKD", t)
    return "".join(ch for ch in t if ch.isalnum())


def _keys(text: str) -> set[str]:
    """Spellings compared: Danish transliteration (ø → oe) and plain folding (ø → o), so that
    København, Koebenhavn, Kobenhavn and KØBENHAVN KOMMUNE all meet."""
    return {_fold(text, True), _fold(text, False)}


def find(name: str, path: str | Path | None = None) -> Municipality:
    """The municipality called `name` (any case, common spellings); ParamError with close matches."""
    table = municipalities(path)
    wanted = _keys(name)
    for alias, target in ALIASES.items():
        if alias in wanted or _fold(alias, False) in wanted:
            wanted |= _keys(target)
    for m in table:
        if wanted & _keys(m.name):
            return m
    names = [m.name for m in table]
    close = difflib.get_close_matches(name, names, n=4, cutoff=0.5)
    if not close:
        folded = {_fold(m.name, False): m.name for m in table}
        close = [folded[k] for k in difflib.get_close_matches(_fold(name, False), list(folded), n=4, cutoff=0.5)]
    hint = (f"did you mean {', '.join(close)}?" if close
            else f"one of the {len(names)} municipalities in {table_path().name}")
    raise ParamError("municipality", name, hint)


def population_share(m: Municipality, path: str | Path | None = None) -> float:
    """The municipality's share of the table's total population (all rows are from the same year)."""
    return m.population / sum(x.population for x in municipalities(path))


def municipality_layer(name: Any, below: dict[str, Any]) -> dict[str, Any]:
    """What the preset of municipality `name` sets, as a layer of scenario values with their
    ``_source`` tags: the scale, the trial share and a description, laid over `below` (the scenario
    the preset applies to). Whatever a scenario file or ``--set`` states itself is laid on top of
    this layer, so a value the user gave always wins over the preset.

    The scale is the municipality's share of Denmark's population in the table's year, not its
    population over ``money.population``: the table and the national figure are from different
    years (2020 against about 2025), and mixing them would shrink every municipality by ~2 %."""
    if not isinstance(name, str) or not name.strip():
        raise ParamError("municipality", name, f"a municipality name from {table_path().name}, e.g. Odense")
    m = find(name)
    share = population_share(m)
    which = "one of the 19 free-choice municipalities" if m.free_choice else "in the extended a-kasse trial"
    description = f"{below.get('description', '')} | {m.name}: {share:.2%} of Denmark".strip(" |")
    return {
        "municipality": m.name,
        "description": description,
        "scale": share,
        "scale_source": (f"[V] population of {m.name} ({m.population:,}, {m.year}, {m.source}) / Denmark's total in "
                         f"the same table; [A] the municipality's caseload is that share of the national default"),
        "trials": {
            "free_choice_share": 1.0 if m.free_choice else 0.0,
            "free_choice_share_source": f"[S] {m.name} is {which} (lovguiden.dk; bm.dk press release 3 Dec 2025)",
        },
    }
