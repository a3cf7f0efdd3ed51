"""The planner's explorer: a few controls in, the headline and the FTE and compliance charts out.

notebooks/00_explorer.ipynb shows an ipywidgets panel (`build_panel`); everything it does on a
click is here, as plain functions a test can call without a browser:

    Controls -> overrides(controls) -> scenario(controls) -> explore(controls, out_dir) -> Answer

`Controls` are what a planner sets: the population (Denmark or a municipality), the rule set or
the dated timeline of the reform, the exemption policy and share, trial participation, FTE per
provider for that population, replications. The explorer simulates a sample of the population
(`sample_scale`: at most SAMPLE_SCALE of Denmark, never more than the municipality itself) and
shows counts scaled up to the population, like `caseload run`; the run is saved as a run folder
and the charts are drawn from it, so a picture in the notebook is the same as the chart pack's.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.experiment.executors import Executor, SerialExecutor
from sim.experiment.results import Results
from sim.experiment.runner import run
from sim.inputs.errors import ParamError
from sim.inputs.loading import load_params
from sim.inputs.municipalities import find, municipalities, population_share
from sim.inputs.schema import LoadedParams
from sim.output.figures import build_figures
from sim.output.headline import headline_from_results
from sim.output.run_folder import load_run
from sim.output.slides import slide_style

DENMARK = "Denmark"
SAMPLE_SCALE = 0.05  # [A] a 5 % sample of Denmark: intervals narrow enough to read, a run in about a minute
SCALE_ENV = "CASELOAD_EXPLORER_SCALE"  # CI runs the notebook small (e.g. 0.01)
REPLICATIONS_ENV = "CASELOAD_EXPLORER_REPLICATIONS"
TIMELINE = "timeline 2026-2027"
TIMELINE_STEPS = (("2026-01-01", "pre_reform"), ("2026-07-01", "reform_2026"), ("2027-01-01", "reform_2027"))
RULE_CHOICES = ("reform_2027", "reform_2026", "pre_reform", TIMELINE)
EXEMPTION_POLICIES = ("none", "random", "targeted", "managed")
CHARTS_SHOWN = ("fte", "compliance")
FTE_FROM = dt.date(2024, 1, 1)  # the FTE a control sets hold from before any scenario starts


@dataclass(frozen=True)
class Controls:
    """What the panel sets. `fte` is per provider for the population the controls stand for
    (Denmark or the municipality); a provider left out keeps the scenario's FTE."""

    municipality: str = DENMARK
    rules: str = "reform_2027"
    exemption_policy: str = "random"
    exemption_share: float = 0.25
    trial_participation: float = 1.0
    fte: Mapping[str, float] = field(default_factory=dict)
    replications: int = 3
    years: float = 1.0
    seed: int = 1
    scale: float | None = None  # None: sample_scale() decides


def population_share_of(municipality: str) -> float:
    """The share of Denmark the controls stand for: 1 for Denmark, else the municipality's."""
    if municipality == DENMARK:
        return 1.0
    return population_share(find(municipality))


def municipality_names() -> list[str]:
    """Denmark first, then the municipalities of params/municipalities.csv in alphabetical order."""
    return [DENMARK, *sorted(m.name for m in municipalities())]


def _env_number(name: str, kind: type) -> Any:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return kind(value)
    except ValueError:
        raise ParamError(name, value, f"a {'whole ' if kind is int else ''}number (environment variable)") from None


def sample_scale(controls: Controls) -> float:
    """The simulated sample: the controls' scale, else $CASELOAD_EXPLORER_SCALE, else SAMPLE_SCALE
    of Denmark; never larger than the municipality itself (a sample is not bigger than its
    population)."""
    share = population_share_of(controls.municipality)
    chosen = controls.scale if controls.scale is not None else _env_number(SCALE_ENV, float)
    return min(share, float(chosen if chosen is not None else SAMPLE_SCALE))


def replications(controls: Controls) -> int:
    """The controls' replications, or fewer when $CASELOAD_EXPLORER_REPLICATIONS says so (CI)."""
    cap = _env_number(REPLICATIONS_ENV, int)
    return min(controls.replications, cap) if cap is not None else controls.replications


def _rules(choice: str) -> dict[str, Any]:
    if choice == TIMELINE:
        steps = [{"from": dt.date.fromisoformat(d), "set": s} for d, s in TIMELINE_STEPS]
        return {"rules": steps, "start_date": steps[0]["from"]}
    if choice not in RULE_CHOICES:
        raise ParamError("rules", choice, f"one of {', '.join(RULE_CHOICES)}")
    return {"rules": choice}


def overrides(controls: Controls) -> dict[str, Any]:
    """The controls as parameter overrides (dotted paths) on the national default. FTE for the
    population become national-equivalent FTE (÷ the population's share), because the engine
    gives a sample at scale s the FTE × s."""
    share = population_share_of(controls.municipality)
    out: dict[str, Any] = {}
    if controls.municipality != DENMARK:
        out["municipality"] = controls.municipality
    out.update(_rules(controls.rules))
    out |= {"scale": sample_scale(controls), "years": controls.years,
            "exemption.policy": controls.exemption_policy, "exemption.share": controls.exemption_share,
            "trials.participation": controls.trial_participation}
    for provider, fte in controls.fte.items():
        if not float(fte) >= 0:  # said in the planner's own FTE, not the national equivalent the engine gets
            raise ParamError(f"FTE {provider}", fte, f"a number of FTE >= 0 for {controls.municipality}")
        out[f"capacity.providers.{provider}.fte"] = [{"from": FTE_FROM, "fte": float(fte) / share}]
    return out


def scenario(controls: Controls) -> LoadedParams:
    """The validated scenario of the controls (a ParamError names a bad control's parameter)."""
    return load_params(None, overrides(controls))


def exemption_cap(rules: str) -> float:
    """The largest exemption share the chosen rules allow (0 before the reform): the share
    slider's maximum, so that a planner cannot pick a share the law does not have."""
    p = load_params(None, {**_rules(rules), "exemption.share": 0.0})
    return max(rs.exemption.max_share for rs in p.rule_sets.values())


def default_controls(municipality: str = DENMARK) -> Controls:
    """The national default as controls, with its FTE for the chosen population."""
    p = load_params()
    sc = p.scenario
    rules = sc.rules if isinstance(sc.rules, str) and sc.rules in RULE_CHOICES else "reform_2027"
    return Controls(municipality=municipality, rules=rules, exemption_policy=sc.exemption.policy,
                    exemption_share=float(sc.exemption.share), trial_participation=float(sc.trials.participation),
                    fte=default_fte(municipality, p))


def default_fte(municipality: str = DENMARK, params: LoadedParams | None = None) -> dict[str, float]:
    """The national default's FTE per provider (its latest step) for the population: × its share."""
    p = params or load_params()
    share = population_share_of(municipality)
    return {name: round(prov.fte[-1].fte * share, 1) for name, prov in p.scenario.capacity.providers.items()}


Progress = Callable[[int, int], None]


class ProgressExecutor(Executor):
    """An executor that reports (done, total) after each replication, for a progress bar; the
    replications themselves run on `inner` (default: in this process)."""

    name = "progress"

    def __init__(self, progress: Progress, inner: Executor | None = None) -> None:
        self.progress, self.inner = progress, inner or SerialExecutor()
        self.workers = self.inner.workers

    def _imap(self, fn: Callable[[Any], Any], items: list[Any]) -> Iterator[tuple[Any, Any]]:
        self.progress(0, len(items))
        for done, (item, result) in enumerate(self.inner.imap_unordered(fn, items), start=1):
            self.progress(done, len(items))
            yield item, result

    def close(self) -> None:
        self.inner.close()

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()


@dataclass
class Answer:
    """What the explorer shows for one set of controls."""

    controls: Controls
    results: Results
    run_dir: Path
    headline: str
    compliance: pd.DataFrame
    figures: dict[str, Figure]


def explore(controls: Controls, out_dir: str | Path, progress: Progress | None = None, lang: str = "en") -> Answer:
    """Simulate the controls, save the run folder `out_dir` (replaced whole), and return the
    headline and the FTE and compliance charts drawn from that folder."""
    params = scenario(controls)
    n = replications(controls)
    executor = ProgressExecutor(progress) if progress is not None else None
    results = run(params, replications=n, seed=controls.seed, workers=1, executor=executor)
    results.provenance["command"] = f"sim.explorer.explore({controls!r})"
    folder = results.save(out_dir)
    headline = headline_from_results(results, where=f"{folder}/summary.csv", lang=lang)
    with slide_style():
        figures = {name: fig for name, fig in build_figures([load_run(folder)], lang) if name in CHARTS_SHOWN}
    return Answer(replace(controls, replications=n), results, folder, headline, results.compliance(), figures)


# ---------------------------------------------------------------- the ipywidgets panel


@dataclass
class Panel:
    """The widgets of the explorer; `run()` does what the button does (tests and CI call it)."""

    controls: dict[str, Any]
    fte: dict[str, Any]
    button: Any
    progress: Any
    output: Any
    widget: Any
    out_dir: Path
    answers: list[Answer] = field(default_factory=list)

    def read(self) -> Controls:
        """The controls as the widgets show them."""
        c = self.controls
        return Controls(municipality=c["municipality"].value, rules=c["rules"].value,
                        exemption_policy=c["exemption_policy"].value, exemption_share=float(c["exemption_share"].value),
                        trial_participation=float(c["trial_participation"].value),
                        fte={p: float(w.value) for p, w in self.fte.items()},
                        replications=int(c["replications"].value), years=float(c["years"].value))

    def _progress(self, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.progress.description = f"{done}/{total} runs"

    def run(self, *_: Any) -> Answer | None:
        """Read the controls, simulate, and show the headline and the charts (or the one-line
        error of a bad control)."""
        from IPython.display import display

        self.output.clear_output()
        with self.output:
            try:
                answer = explore(self.read(), self.out_dir, progress=self._progress)
            except ParamError as exc:
                print(f"error: {exc}")
                return None
            print(answer.headline)
            for fig in answer.figures.values():
                display(fig)
        self.answers.append(answer)
        return answer


def build_panel(out_dir: str | Path = "results/explorer", controls: Controls | None = None) -> Panel:
    """The ipywidgets panel: controls, a run button, a progress bar and the output area. Changing
    the municipality resets the FTE boxes to the default FTE for that population."""
    import ipywidgets as w

    start = controls or default_controls()
    style = {"description_width": "170px"}
    layout = w.Layout(width="420px")
    c = {
        "municipality": w.Dropdown(options=municipality_names(), value=start.municipality, description="Population",
                                   style=style, layout=layout),
        "rules": w.Dropdown(options=list(RULE_CHOICES), value=start.rules, description="Rules", style=style,
                            layout=layout),
        "exemption_policy": w.Dropdown(options=list(EXEMPTION_POLICIES), value=start.exemption_policy,
                                       description="Exemption policy", style=style, layout=layout),
        "exemption_share": w.FloatSlider(value=start.exemption_share, min=0.0, max=exemption_cap(start.rules),
                                         step=0.01, description="Exemption share", style=style, layout=layout),
        "trial_participation": w.FloatSlider(value=start.trial_participation, min=0.0, max=1.0, step=0.05,
                                             description="Trial participation", style=style, layout=layout),
        "replications": w.IntSlider(value=start.replications, min=1, max=10, description="Replications", style=style,
                                    layout=layout),
        "years": w.FloatSlider(value=start.years, min=0.5, max=3.0, step=0.5, description="Years", style=style,
                               layout=layout),
    }
    fte = {p: w.FloatText(value=v, description=f"FTE {p}", style=style, layout=layout) for p, v in start.fte.items()}

    def reset_fte(change: dict[str, Any]) -> None:
        for p, v in default_fte(change["new"]).items():
            if p in fte:
                fte[p].value = v

    def cap_exemption(change: dict[str, Any]) -> None:
        c["exemption_share"].max = exemption_cap(change["new"])  # ipywidgets clips the value to it

    c["municipality"].observe(reset_fte, names="value")
    c["rules"].observe(cap_exemption, names="value")
    button = w.Button(description="Run", button_style="primary", icon="play")
    progress = w.IntProgress(value=0, min=0, max=1, description="ready")
    output = w.Output()
    box = w.VBox([w.HBox([w.VBox(list(c.values())), w.VBox(list(fte.values()))]), w.HBox([button, progress]), output])
    panel = Panel(c, fte, button, progress, output, box, Path(out_dir))
    button.on_click(panel.run)
    return panel
