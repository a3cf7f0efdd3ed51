"""What a staffing search found: every candidate it ran and the answer, fit for printing and JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sim.studies.staffing.erlang import ErlangCheck
from sim.studies.staffing.targets import Target


@dataclass
class TargetStat:
    """One target's KPI at one candidate: mean, 95 % interval over replications and verdict."""

    target: str
    mean: float
    ci_low: float
    ci_high: float
    n: int
    passed: bool


@dataclass
class Candidate:
    """One simulated staffing (national FTE per provider) and how it did on every target."""

    run: int
    phase: str
    fte: dict[str, float]
    stats: list[TargetStat]
    passed: bool


@dataclass
class StaffingResult:
    """Everything the search found, fit for printing and for staffing.json."""

    targets: list[Target]
    scale: float
    replications: int
    seed: int
    feasible: bool
    answer: dict[str, float]
    demand: dict[str, float]  # diary demand (booked talks, offers, reviews), national FTE
    demand_all_work: dict[str, float]  # fte_needed: diary demand plus other case work, national FTE
    resolution: dict[str, float]
    searched: list[str]
    candidates: list[Candidate]
    verification: Candidate | None
    step_fewer: dict[str, Candidate | None] = field(default_factory=dict)
    erlang: list[ErlangCheck] = field(default_factory=list)
    message: str = ""

    @property
    def n_runs(self) -> int:
        """Simulation runs made (each of `replications` replications), the unlimited run included."""
        return len(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["targets"] = [t.label for t in self.targets]
        d["n_runs"] = self.n_runs
        d["answer_at_scale"] = {p: v * self.scale for p, v in self.answer.items()}
        return d
