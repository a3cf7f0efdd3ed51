"""English and Danish labels for charts and reports, and the glossary of Danish domain terms.

One table, so that a chart, a report and a slide call the same thing by the same name in both
languages. Keys are the names used in the result files (KPI, group, provider, measure, status,
compliance kind) plus ``title.*`` for chart titles, ``axis.*`` for axis labels and ``h.*``/``t.*``
for report headings and sentences. Every KPI of the KPI table, every weekly measure and every key
a chart or report asks for has an entry in both languages (tests/test_labels.py keeps it so). A
key with no entry still falls back to a readable form of itself, so a KPI added to the model later
shows up on a chart instead of raising; the test fails until it gets its own words.

Sweep factors are parameter paths (``effects.talk_multiplier.dagpenge``); :func:`factor_label`
gives them readable names in both languages, from a small table of path patterns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

LANGS = ("en", "da")

# Glossary of the Danish domain terms the model uses (term -> English explanation). The report
# prints it so that English readers meet the Danish words of the source documents only once.
GLOSSARY: dict[str, str] = {
    "jobcenter": "municipal job centre that runs the contact course and offers",
    "a-kasse": "unemployment insurance fund; holds the first talks with insured unemployed",
    "dagpenge": "unemployment insurance benefit",
    "jobparat": "job-ready (recipients of cash benefit judged ready for work)",
    "aktivitetsparat": "activity-ready (cash-benefit recipients with problems beyond unemployment)",
    "sygemeldt": "sick-listed, receiving sickness benefit (sygedagpenge)",
    "øvrige": "others: remaining target groups of the job centre",
    "ressourceforløb": ("resource course: a cross-disciplinary course of 1-5 years for citizens far from work "
                        "(closed to new cases 1 Feb 2026)"),
    "jobafklaringsforløb": ("job-clarification course for sick-listed citizens whose sickness benefit ran out "
                            "(abolished 1 Jan 2027)"),
    "revalidering": ("vocational rehabilitation: training towards a job the citizen can hold "
                     "(closed to new cases 1 Feb 2026)"),
    "kontaktforløb": "contact course: the schedule of job talks a citizen must get",
    "jobsamtale": "job talk between citizen and caseworker",
    "tilbud": "activation offer",
    "ØVO": "ordinary education and training offer (øvrig vejledning og opkvalificering)",
    "virksomhedspraktik": "workplace practice",
    "løntilskud": "wage subsidy job",
    "afklaring": "clarification of the citizen's situation",
    "fritagelse": "exemption (the one-in-four rule)",
    "sagsbehandler": "caseworker",
    "årsværk": "FTE: full-time equivalent (a year's work of one person)",
}

_L: dict[str, tuple[str, str]] = {
    # groups (run.json params label_en/label_da take precedence, see group_label)
    "dagpenge": ("UI benefit", "Dagpengemodtagere"),
    "jobparat": ("Job-ready", "Jobparate"),
    "aktivitetsparat": ("Activity-ready", "Aktivitetsparate"),
    "sygemeldt": ("Sick-listed", "Sygemeldte"),
    "oevrige": ("Others", "Øvrige"),
    "ressourceforloeb": ("Resource course", "Ressourceforløb"),
    "jobafklaring": ("Job clarification", "Jobafklaringsforløb"),
    "revalidering": ("Vocational rehabilitation", "Revalidering"),
    "all": ("All", "Alle"),
    # providers
    "municipality": ("Municipality", "Kommune"),
    "akasse": ("A-kasse", "A-kasse"),
    "other": ("Other actor", "Anden aktør"),
    # weekly measures
    "entries": ("Entries", "Tilgang"),
    "exits": ("Exits", "Afgang"),
    "exits_work": ("Exits to work or education", "Afgang til job eller uddannelse"),
    "talks_held": ("Talks held", "Afholdte samtaler"),
    "offers_started": ("Offers started", "Påbegyndte tilbud"),
    "clarifications": ("Clarifications", "Afklaringer"),
    "caseworker_hours": ("Caseworker hours", "Sagsbehandlertimer"),
    "case_work_hours": ("Other case work hours", "Øvrige sagsbehandlingstimer"),
    "diary_hours": ("Booked diary hours", "Bookede kalendertimer"),
    "work_item_hours": ("Work-item hours", "Timer til arbejdsopgaver"),
    "moves_in": ("Moves in from other groups", "Tilgang fra andre grupper"),
    "exits_external": ("Exits from the system", "Afgang fra systemet"),
    "exits_other": ("Exits not to work", "Afgang ikke til job"),
    "stock": ("Caseload (persons)", "Sagsstamme (personer)"),
    "benefit_dkk": ("Benefit paid (DKK)", "Udbetalt ydelse (kr.)"),
    "offer_dkk": ("Offer cost (DKK)", "Tilbudsudgift (kr.)"),
    # KPIs
    "stock_mean": ("Average caseload", "Gennemsnitlig sagsstamme"),
    "inflow_per_year": ("Inflow per year", "Tilgang pr. år"),
    "spell_weeks_mean": ("Average spell (weeks)", "Gennemsnitligt forløb (uger)"),
    "exit_work_or_education_3m": ("In work or education within 3 months", "I job eller uddannelse inden 3 måneder"),
    "exit_work_or_education_6m": ("In work or education within 6 months", "I job eller uddannelse inden 6 måneder"),
    "talks_held_per_year": ("Job talks per year", "Jobsamtaler pr. år"),
    "offers_started_per_year": ("Offers started per year", "Påbegyndte tilbud pr. år"),
    "caseworker_hours_per_year": ("Caseworker hours per year", "Sagsbehandlertimer pr. år"),
    "fte_needed": ("Caseworker FTE needed", "Sagsbehandlerårsværk, behov"),
    "fte_modelled_work": ("FTE of modelled work", "Årsværk til modelleret arbejde"),
    "fte_overhead_block": ("FTE of the overhead block", "Årsværk i overheadblokken"),
    "overhead_share_of_fte": ("Overhead block's share of FTE", "Overheadblokkens andel af årsværk"),
    "persons_touched_per_year": ("Persons with a spell in the year", "Personer berørt i året"),
    "first_talk_on_time": ("First talk on time", "Første samtale rettidigt"),
    "talk_coverage_6m": ("Talk requirement met, first 6 months", "Samtalekrav opfyldt, første 6 måneder"),
    "offer_coverage_6m": ("Offer within 6 months", "Tilbud inden 6 måneder"),
    "clarification_on_time": ("Clarification on time", "Afklaring rettidigt"),
    "exempt_share": ("Share exempted (one-in-four rule)", "Andel fritaget (én ud af fire)"),
    "exempt_share_max": ("Largest share exempted at any time", "Største andel fritaget på noget tidspunkt"),
    "exemptions_lifted_per_year": ("Exemptions lifted per year", "Ophævede fritagelser pr. år"),
    "persons_start": ("Persons at start", "Personer ved start"),
    "persons_arrived": ("Persons arrived", "Tilkomne personer"),
    "persons_exited": ("Persons exited", "Afgåede personer"),
    "persons_in_stock_end": ("Persons at end", "Personer ved slut"),
    "benefit_weeks_per_year": ("Benefit weeks per year", "Ydelsesuger pr. år"),
    "benefit_dkk_per_year": ("Benefits paid", "Udbetalte ydelser"),
    "offer_dkk_per_year": ("Offer costs", "Tilbudsudgifter"),
    "oevo_mentor_dkk_per_year": ("ØVO and mentor spending", "Udgifter til ØVO og mentor"),
    "oevo_mentor_limit_dkk_per_year": ("ØVO and mentor spending limit", "Loft for ØVO og mentor"),
    "oevo_mentor_above_limit_dkk_per_year": ("ØVO and mentor above the limit (refund cut)",
                                             "ØVO og mentor over loftet (beskåret refusion)"),
    "caseworker_dkk_per_year": ("Caseworker costs", "Sagsbehandlerudgifter"),
    "job_premium_dkk_per_year": ("Job premium", "Jobpræmie"),
    "trial_provider_dkk_per_year": ("Payments to the trial's other actors", "Betaling til forsøgets andre aktører"),
    "trial_free_choice_entrants_per_year": ("Entrants to the free-choice trial per year",
                                            "Tilgang til forsøget med frit valg pr. år"),
    "trial_extended_entrants_per_year": ("Entrants to the extended a-kasse trial per year",
                                         "Tilgang til forsøget med udvidet a-kasseansvar pr. år"),
    "trial_free_choice_exit_work_6m": ("Free-choice trial: in work within 6 months",
                                       "Forsøget med frit valg: i job inden 6 måneder"),
    "trial_extended_exit_work_6m": ("Extended a-kasse trial: in work within 6 months",
                                    "Forsøget med udvidet a-kasseansvar: i job inden 6 måneder"),
    "net_dkk_per_year": ("Net public cost", "Offentlige nettoudgifter"),
    "public_support_share": ("Share of population on public support", "Andel af befolkningen på offentlig forsørgelse"),
    "compliance": ("Compliance", "Regelefterlevelse"),
    # compliance kinds from the rule sets (compliance_<kind>)
    "akasse_talks_3m": ("A-kasse talks, first 3 months", "A-kassesamtaler, første 3 måneder"),
    "municipality_talks_6m": ("Job-centre talks, first 6 months", "Jobcentersamtaler, første 6 måneder"),
    "talk_16m": ("Talk by month 16", "Samtale senest måned 16"),
    "talk_2w": ("Talk within 2 weeks", "Samtale inden 2 uger"),
    "offer_6m": ("Offer within 6 months", "Tilbud inden 6 måneder"),
    "offer_repeat_u30": ("Repeated offer, under 30", "Gentaget tilbud, under 30 år"),
    "clarification_2y": ("Clarification within 2 years", "Afklaring inden 2 år"),
    "yearly_clarification": ("Yearly clarification", "Årlig afklaring"),
    "followup_w8": ("Sick-listed follow-up by week 8", "Opfølgning på sygemeldte senest uge 8"),
    "followup_w8_light": ("Light sick-listed follow-up by week 8", "Let opfølgning på sygemeldte senest uge 8"),
    "reassessment_w22": ("Reassessment by week 22", "Revurdering senest uge 22"),
    # compliance status
    "met": ("met", "opfyldt"),
    "not met": ("not met", "ikke opfyldt"),
    "uncertain": ("uncertain", "usikkert"),
    "not modelled": ("not modelled", "ikke modelleret"),
    # chart titles
    "title.caseload": ("Caseload by target group", "Sagsstamme fordelt på målgruppe"),
    "title.fte": ("Caseworker FTE needed by provider", "Behov for sagsbehandlerårsværk fordelt på aktør"),
    "title.fte_weekly": ("Weekly demand as FTE", "Ugentligt behov omregnet til årsværk"),
    "title.fte_kpi": ("Average over the run", "Gennemsnit over kørslen"),
    "title.talks": ("Job talks per year by group and provider", "Jobsamtaler pr. år fordelt på målgruppe og aktør"),
    "title.compliance": ("Compliance with the legal minimums", "Opfyldelse af lovens minimumskrav"),
    "title.compliance_nolaw": ("Contact-course shares (no legal line in this run)",
                               "Andele i kontaktforløbet (ingen lovgrænse i denne kørsel)"),
    "title.municipalities": ("Caseworker FTE per 1,000 inhabitants by municipality (95 % interval)",
                             "Sagsbehandlerårsværk pr. 1.000 indbyggere fordelt på kommune (95 %-interval)"),
    "axis.fte_per_1000": ("FTE per 1,000 inhabitants", "Årsværk pr. 1.000 indbyggere"),
    "legend.free_choice": ("Free-choice trial (19 municipalities)", "Frit valg-forsøg (19 kommuner)"),
    "legend.extended_akasse": ("Extended a-kasse course", "Udvidet a-kasseforløb"),
    "fte_per_1000_inhabitants": ("FTE per 1,000 inhabitants", "Årsværk pr. 1.000 indbyggere"),
    "trial_participants_per_year": ("Free-choice participants per year", "Deltagere i frit valg pr. år"),
    "title.money": ("Money per year", "Økonomi pr. år"),
    # axis labels and legend titles
    "axis.week": ("Week", "Uge"),
    "axis.date": ("Date", "Dato"),
    "axis.persons": ("Persons", "Personer"),
    "axis.fte": ("FTE", "Årsværk"),
    "axis.talks": ("Talks per year", "Samtaler pr. år"),
    "axis.share": ("Share of citizens", "Andel af borgere"),
    "axis.mdkk": ("DKK million per year", "Mio. kr. pr. år"),
    "axis.group": ("Target group", "Målgruppe"),
    "axis.provider": ("Provider", "Aktør"),
    "axis.run": ("Run", "Kørsel"),
    "axis.status": ("Status", "Status"),
    "axis.change_pct": ("Change B − A, % of A (95 % interval)", "Ændring B − A, % af A (95 %-interval)"),
    "axis.sobol": ("Sobol index (share of the KPI's variance)", "Sobol-indeks (andel af nøgletallets varians)"),
    "axis.elementary_effect": ("Elementary effect over the factor's range (μ*, σ)",
                               "Elementær effekt over faktorens interval (μ*, σ)"),
    "axis.factor": ("Factor", "Faktor"),
    "title.sensitivity": ("{kpi}: what drives it", "{kpi}: hvad driver det"),
    "legend.s1": ("First-order index S1", "Førsteordensindeks S1"),
    "legend.st": ("Total index ST", "Totalindeks ST"),
    "legend.mu_star": ("μ*: mean absolute effect", "μ*: gennemsnitlig absolut effekt"),
    "legend.sigma": ("σ: spread of the effect", "σ: effektens spredning"),
    "legend.mu": ("μ: mean signed effect (95 % interval)", "μ: gennemsnitlig effekt med fortegn (95 %-interval)"),
    "method.sobol": ("Sobol", "Sobol"),
    "method.morris": ("Morris screening", "Morris-screening"),
    "method.rbd_fast": ("RBD-FAST", "RBD-FAST"),
    "t.paired": ("{n} paired replications, seed {seed} (common random numbers); median variance reduction {vr}; "
                 "caseload-sim {version}",
                 "{n} parrede replikationer, seed {seed} (fælles tilfældige tal); median variansreduktion {vr}; "
                 "caseload-sim {version}"),
    "legal_line": ("Legal minimum", "Lovkrav"),
    "band": ("95 % interval over replications", "95 %-interval over replikationer"),
    "at_scale": ("simulated at scale {scale}", "simuleret i skala {scale}"),
    "provenance": ("Scenario {scenario} | rules {rules} | params {hash} | seed {seed} | {reps} replications | "
                   "caseload-sim {version}",
                   "Scenarie {scenario} | regler {rules} | parametre {hash} | seed {seed} | {reps} replikationer | "
                   "caseload-sim {version}"),
    # report headings
    "h.report": ("Caseload simulation report", "Rapport fra simulering af sagsstammer"),
    "h.headline": ("Headline results", "Hovedresultater"),
    "h.compliance": ("Legal minimums", "Lovens minimumskrav"),
    "h.charts": ("Charts", "Figurer"),
    "h.money": ("Money", "Økonomi"),
    "h.workload": ("Staffing: modelled work and the overhead block", "Bemanding: modelleret arbejde og overhead"),
    "t.workload_share": ("{work} of the FTE needed is modelled work (talks, offers, clarifications, the rule sets' "
                         "work items and other case work); {block} is the overhead block (management, administration, "
                         "employer service, groups outside the five), which is not simulated but set in the "
                         "parameters ([overhead]). Hours per work item: workload.csv.",
                         "{work} af årsværksbehovet er modelleret arbejde (samtaler, tilbud, afklaringer, "
                         "regelsættenes arbejdsopgaver og øvrig sagsbehandling); {block} er overheadblokken (ledelse, "
                         "administration, virksomhedsservice, grupper uden for de fem), som ikke simuleres men er sat "
                         "i parametrene "
                         "([overhead]). Timer pr. arbejdsopgave: workload.csv."),
    "h.goals": ("Result goals of the reform", "Resultatmål for reformen"),
    "h.assumptions": ("Assumptions", "Antagelser"),
    "h.glossary": ("Glossary of Danish terms", "Ordliste"),
    "col.kpi": ("Measure", "Mål"),
    "col.group": ("Group", "Målgruppe"),
    "col.provider": ("Provider", "Aktør"),
    "col.mean": ("Mean", "Gennemsnit"),
    "col.ci": ("95 % interval", "95 %-interval"),
    "col.threshold": ("Legal minimum", "Lovkrav"),
    "col.status": ("Status", "Status"),
    "col.goal": ("Goal", "Mål"),
    "col.result": ("Result", "Resultat"),
    "col.param": ("Parameter", "Parameter"),
    "col.source": ("Source", "Kilde"),
    "col.term": ("Term", "Term"),
    "col.meaning": ("Meaning", "Betydning"),
    "goal.citizen_satisfaction": ("Citizen satisfaction", "Borgertilfredshed"),
    "goal.employer_satisfaction": ("Employer satisfaction", "Virksomhedstilfredshed"),
    "t.scale_note": ("Counts, hours, FTE and DKK are for the simulated population at scale {scale} ({pct} of "
                     "Denmark); shares and spell lengths need no scaling.",
                     "Antal, timer, årsværk og kroner gælder den simulerede befolkning i skala {scale} ({pct} af "
                     "Danmark); andele og forløbslængder skal ikke skaleres."),
    "t.no_compliance": ("This run folder has no compliance.csv, so the legal minimums were not evaluated. "
                        "The contact-course shares are shown without a legal line.",
                        "Kørselsmappen har ingen compliance.csv, så lovens minimumskrav er ikke vurderet. "
                        "Andelene i kontaktforløbet vises uden lovgrænse."),
    "t.status_rule": ("Status as written by the run in compliance.csv, from the 95 % interval and the legal minimum.",
                      "Status som skrevet af kørslen i compliance.csv, ud fra 95 %-intervallet og lovkravet."),
    "t.no_money": ("This run has no money KPIs.", "Kørslen har ingen økonomi-nøgletal."),
    "t.assumptions": ("Every number below is an assumption the run rests on ({n} in all), with its source text.",
                      "Hvert tal nedenfor er en antagelse, som kørslen hviler på ({n} i alt), med kildetekst."),
    "t.description": ("Model description", "Modelbeskrivelse"),
    "t.made": ("Made by caseload-sim {version} from {run_dir}.", "Lavet af caseload-sim {version} ud fra {run_dir}."),
    "t.run": ("{scale_txt}, {years} years from {start}, {reps} replications, seed {seed}, params hash {hash}, "
              "caseload-sim {version}, wall time {wall} s.",
              "{scale_txt}, {years} år fra {start}, {reps} replikationer, seed {seed}, parameter-hash {hash}, "
              "caseload-sim {version}, køretid {wall} s."),
    "t.scale_txt": ("scale {scale} ({pct} of Denmark)", "skala {scale} ({pct} af Danmark)"),
    "t.rules": ("rules", "regler"),
    "t.counts_star": ("* count: simulated at scale {scale}.", "* antal: simuleret i skala {scale}."),
}


# Sweep factors: parameter paths to readable names. "{group}" and "{offer}" match one part of the
# path and are filled with that group's or offer type's own label.
_FACTORS: dict[str, tuple[str, str]] = {
    "effects.talk_multiplier.{group}": ("Talk effect on the job chance: {group}",
                                        "Samtalers effekt på jobchancen: {group}"),
    "effects.threat_multiplier.{group}": ("Threat effect before a mandatory offer: {group}",
                                          "Motivationseffekt før et pligtigt tilbud: {group}"),
    "effects.after_offer_multiplier": ("Job chance after an offer", "Jobchance efter et tilbud"),
    "effects.talk_weeks": ("Weeks a talk's effect lasts", "Uger en samtales effekt varer"),
    "effects.threat_weeks": ("Weeks of threat effect before an offer", "Uger med motivationseffekt før et tilbud"),
    "effects.after_offer_weeks": ("Weeks of effect after an offer", "Uger med effekt efter et tilbud"),
    "effects.talk_effect_by_need": ("How far talk effects follow need", "Hvor meget samtaleeffekten følger behovet"),
    "offers.types.{offer}.lock_in_multiplier": ("Lock-in during {offer}", "Fastlåsning under {offer}"),
    "offers.types.{offer}.duration_weeks": ("Weeks of {offer}", "Uger med {offer}"),
    "offers.types.{offer}.share": ("Share of offers that are {offer}", "Andel af tilbud, der er {offer}"),
    "frailty.variance": ("Spread of job chances between citizens", "Spredning i borgernes jobchancer"),
    "exemption.share": ("Share exempted (one-in-four rule)", "Andel fritaget (én ud af fire)"),
    "trials.participation": ("Participation in the trials", "Deltagelse i forsøgene"),
    "capacity.productive_hours_per_fte_year": ("Productive hours per FTE a year", "Produktive timer pr. årsværk"),
    "scale": ("Share of Denmark simulated", "Simuleret andel af Danmark"),
}
_OFFERS: dict[str, tuple[str, str]] = {
    "oevo": ("ØVO (classroom)", "ØVO (undervisning)"),
    "virksomhedspraktik": ("workplace practice", "virksomhedspraktik"),
    "loentilskud": ("wage subsidy", "løntilskud"),
}


def _factor_match(path: str) -> tuple[tuple[str, str], dict[str, str]] | None:
    """The factor table's entry for `path` and the parts its placeholders stand for, or None."""
    parts = path.split(".")
    for pattern, texts in _FACTORS.items():
        pat = pattern.split(".")
        if len(pat) != len(parts):
            continue
        fill: dict[str, str] = {}
        for want, got in zip(pat, parts):
            if want in ("{group}", "{offer}"):
                fill[want[1:-1]] = got
            elif want != got:
                break
        else:
            return texts, fill
    return None


def factor_label(path: str, lang: str = "en") -> str:
    """A readable name for a sweep factor's parameter path, in `lang`; a path the table does not
    know is shown as it is (a parameter path is at least exact), and so is a factor that is no
    parameter path (the test function's x1, x2, x3)."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    match = _factor_match(path)
    if match is None:
        return path
    texts, fill = match
    i = LANGS.index(lang)
    words = {}
    if "group" in fill:
        words["group"] = label(fill["group"], lang) if fill["group"] in _L else fill["group"]
    if "offer" in fill:
        words["offer"] = _OFFERS[fill["offer"]][i] if fill["offer"] in _OFFERS else fill["offer"]
    return texts[i].format(**words)


def has_factor_label(path: str) -> bool:
    """Whether a factor path has a written name, its group or offer type included (for the tests)."""
    match = _factor_match(path)
    if match is None:
        return False
    fill = match[1]
    return fill.get("group", "all") in _L and fill.get("offer", "oevo") in _OFFERS


def label(key: str, lang: str = "en") -> str:
    """The label of `key` in `lang` ("en" or "da"); unknown keys become readable text, never an error,
    so a KPI or measure added to the model later still shows up on a chart."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    if key in _L:
        return _L[key][LANGS.index(lang)]
    if key.startswith("compliance_"):
        return f"{label('compliance', lang)}: {label(key[len('compliance_'):], lang)}"
    return key.replace("_", " ").capitalize()


def group_label(group: str, lang: str, params: Mapping[str, Any] | None = None) -> str:
    """A group's label, taken from the scenario's own label_en/label_da when the run has them, so
    a scenario that renames or adds a group is labelled as its author wrote it."""
    groups = (params or {}).get("groups") or {}
    text = (groups.get(group) or {}).get(f"label_{lang}")
    return str(text) if text else label(group, lang)


def has_label(key: str) -> bool:
    """Whether `key` has a written label in both languages, not the fallback (used by tests to keep
    the table complete). A legal minimum's KPI ``compliance_<kind>`` is written as "Compliance:
    <kind's label>", so it has one when its kind has."""
    if key.startswith("compliance_") and key not in _L:
        return key[len("compliance_"):] in _L
    return key in _L and all(text.strip() for text in _L[key])


def fmt_number(x: float, lang: str = "en", decimals: int = 0) -> str:
    """A number with thousands separators in the reader's convention (Danish: 1.234,5), so that
    Danish slides and reports do not show English decimal points."""
    if x is None or x != x:  # None or NaN
        return "–"
    text = f"{x:,.{decimals}f}"
    if lang == "da":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text.replace("-", "−")


def fmt_share(x: float, lang: str = "en", decimals: int = 1) -> str:
    """A share as a percentage with the language's decimal mark and a (narrow) space before %."""
    if x is None or x != x:
        return "–"
    return f"{fmt_number(100 * x, lang, decimals)} %"
