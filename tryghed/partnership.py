"""The Nørrebro partnership's yearly status report (For et trygt Nørrebro): the overview a steering group reads in a
minute, the activity goals planned against held (aktivitetsmål), the concern talks (bekymringssamtaler), the gang
register by quarter, the police's assessment (politiets vurdering) verbatim and attributed, maps of Indre and Ydre
Nørrebro with the plan's hotspots, and the published district figures as context.

Every number comes from the cleaned sources and the published (disclosure-controlled) indicator table; the person
counts computed here for the plan's baselines (the gang register's baseline quarter, the concern talks of the
baseline year) pass the same disclosure control before they are shown. Every significance verdict comes from
:func:`tryghed.stats.verdict`, with the pipeline's ``alpha`` and Holm's adjustment within each measure's areas.
The report is rendered from the Jinja2 templates in ``tryghed/templates/partnership/``.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from . import disclosure, i18n, stats
from .activities import MET, NO_TARGET, NOT_MET, ONGOING, parse_goals, planned_vs_held
from .changes import family_dispersion
from .config import Indicator, Pipeline
from .indicators import COLUMNS
from .kinds._reporting import calendar_year, end_quarter, label, months_of, period_of
from .kinds.activity_goal import goals_in_period
from .kinds.quarterly_stock import GROUP_TYPES, quarter_table

#: Boundaries of the maps, relative to the raw folder (Københavns Kommune's open data; not shipped with the demo).
MAP_FILE = "geo/norrebro_neighbourhoods.geojson"
#: The neighbourhoods (``neighbourhood_name`` of the GeoJSON) of each half of Nørrebro.
NEIGHBOURHOODS = {
    "blagardskvarteret": "s-indre-noerrebro", "guldbergskvarteret": "s-indre-noerrebro",
    "haraldsgade-kvarteret": "s-ydre-noerrebro", "mimersgade-kvarteret": "s-ydre-noerrebro",
    "stefansgade": "s-ydre-noerrebro",
}
#: The kinds of the plan's five measures, in the overview's order, and the kind of the context measures.
MEASURE_KINDS = ("quarterly_stock", "police_rate", "survey_share", "coverage", "ssp_count", "activity_goal")
CONTEXT_KIND = "context_value"

WORDS = {
    "da": {
        "title": "Statusrapport", "period": "Rapportperiode", "to": "Til", "from": "Fra", "made": "Udarbejdet",
        "overview": "Overblik", "activity_goals": "Aktivitetsmål", "concern_talks": "Bekymringssamtaler",
        "gangs": "Bande- og rockermedlemmer pr. kvartal", "assessment": "Politiets vurdering", "maps": "Kort",
        "context": "Offentliggjorte tal for bydelene (kontekst)", "notes": "Metode og forbehold",
        "no": "Nr.", "measure": "Mål", "area": "Område", "baseline": "Udgangspunkt", "this_period": "Denne periode",
        "change": "Ændring siden udgangspunktet", "test": "Test", "goal": "Målsætning", "status": "Status",
        "not_supplied": "ikke leveret", "no_test_count": "optælling: ingen statistisk test",
        "no_test_published": "offentliggjort tal: ingen test", "rest_of_city": "Resten af byen",
        "activity": "Aktivitet", "per": "Mål pr.", "held": "Afholdt", "planned": "Planlagt", "year": "år",
        "half_year": "halvår", "span": "Periode", "as_needed": "efter behov", "met": "opfyldt",
        "not_met": "ikke opfyldt",
        "ongoing": "i gang", "no_target": "intet mål (tælles)", "quarter": "Kvartal", "rocker": "Rockere",
        "gang": "Bander", "other": "Øvrige", "total": "I alt", "gap": "Hul i opgørelsen",
        "gap_text": "{areas} ikke indberettet: totalen mangler (aldrig 0)", "identified": "Identificerede unge",
        "with_talk": "Heraf med samtale", "coverage": "Dækning", "talks": "Samtaler holdt",
        "assessment_by": "Politiets faglige vurdering, gengivet ordret. Kilde: {who}.",
        "assessment_missing": "Politiets vurdering er ikke leveret for denne periode ({file} findes ikke i "
                              "rådatamappen).",
        "maps_missing": "Kortene er ikke tegnet: grænserne ({file}) er ikke leveret.",
        "hotspots": "Fokusområder i planen",
        "synthetic_map": "DEMO: skematiske, syntetiske grænser", "value": "Værdi", "calendar_note":
            "Årlige kilder (befolkning, tryghedsundersøgelse, offentliggjorte tal) bruger kalenderåret {year}.",
        "achieved": "nået", "not_achieved": "ikke nået", "on_track": "på rette vej", "moving_away":
            "bevæger sig væk fra målet", "not_assessable": "kan ikke vurderes", "no_goal": "–",
        "goals_met": "{met} af {n} mål nået",
        "minute": "Det vigtigste på ét minut", "demo": "DEMODATA – SYNTETISKE TAL. Rapporten er bygget på opdigtede "
                                                    "data og er ikke officiel statistik eller politiets ord.",
        "stock_end": "ultimo {q}", "plan_value": "planens tal: {v}", "planned_range": "{lo}–{hi}",
        "at_least": "mindst {lo}", "through": "Aktivitetsloggen til og med {date}.",
        "reporting_rest": "Borgervendt kriminalitet i resten af byen (alle undersøgelsesbydele undtagen Indre og "
                          "Ydre Nørrebro) er vist til sammenligning.",
    },
    "en": {
        "title": "Status report", "period": "Reporting period", "to": "To", "from": "From", "made": "Prepared",
        "overview": "Overview", "activity_goals": "Activity goals", "concern_talks": "Concern talks",
        "gangs": "Gang and biker members by quarter", "assessment": "The police's assessment", "maps": "Maps",
        "context": "Published figures for the districts (context)", "notes": "Method and caveats",
        "no": "No.", "measure": "Measure", "area": "Area", "baseline": "Baseline", "this_period": "This period",
        "change": "Change since baseline", "test": "Test", "goal": "Goal", "status": "Status",
        "not_supplied": "not supplied", "no_test_count": "a count: no statistical test",
        "no_test_published": "published figure: no test", "rest_of_city": "Rest of the city",
        "activity": "Activity", "per": "Goal per", "held": "Held", "planned": "Planned", "year": "year",
        "half_year": "half-year", "span": "Period", "as_needed": "as needed", "met": "met", "not_met": "not met",
        "ongoing": "ongoing", "no_target": "no target (counted)", "quarter": "Quarter", "rocker": "Rockers",
        "gang": "Gangs", "other": "Others", "total": "Total", "gap": "Gap in the register",
        "gap_text": "{areas} not reported: the total is missing (never 0)", "identified": "Identified young people",
        "with_talk": "Of whom with a talk", "coverage": "Coverage", "talks": "Talks held",
        "assessment_by": "The police's professional assessment, reproduced verbatim. Source: {who}.",
        "assessment_missing": "The police's assessment was not supplied for this period ({file} is not in the raw "
                              "folder).",
        "maps_missing": "The maps are not drawn: the boundaries ({file}) were not supplied.",
        "hotspots": "The plan's hotspots",
        "synthetic_map": "DEMO: schematic, synthetic boundaries", "value": "Value", "calendar_note":
            "Annual sources (population, the resident survey, published figures) use the calendar year {year}.",
        "achieved": "achieved", "not_achieved": "not achieved", "on_track": "on track", "moving_away":
            "moving away from the goal", "not_assessable": "cannot be assessed", "no_goal": "–",
        "goals_met": "{met} of {n} goals met",
        "minute": "The essentials in a minute", "demo": "DEMO DATA – SYNTHETIC. This report is built on invented "
                                                      "data and is neither official statistics nor the police's "
                                                      "words.",
        "stock_end": "end of {q}", "plan_value": "the plan's figure: {v}", "planned_range": "{lo}–{hi}",
        "at_least": "at least {lo}", "through": "The activity log up to {date}.",
        "reporting_rest": "Citizen-directed crime in the rest of the city (every survey district but Inner and Outer "
                          "Nørrebro) is shown for comparison.",
    },
}


def load_tables(pipeline: Pipeline, clean_dir: Path) -> dict[str, pd.DataFrame]:
    """The cleaned table of every source (an absent optional source is an empty table)."""
    return {sid: pd.read_parquet(Path(clean_dir) / f"{sid}.parquet") for sid in pipeline.sources}


def _quarter_label(q: str, lang: str) -> str:
    return q.replace("Q", "K") if lang == "da" else q


def _fmt(x: float, unit: str, lang: str) -> str:
    if x is None or not np.isfinite(x):
        return "–"
    return i18n.value(float(x), unit, lang)


def _protect(pipeline: Pipeline, ind: Indicator, rows: list[dict]) -> pd.DataFrame:
    """Indicator rows computed here (a baseline), as published: person counts through disclosure control."""
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    df = pd.DataFrame(rows)
    df["pipeline"], df["indicator_id"], df["unit"], df["source"] = pipeline.id, ind.id, ind.unit, ind.source
    df = df.reindex(columns=COLUMNS)
    df["suppressed"] = df["suppressed"].fillna(False).astype(bool)
    df["flags"] = df["flags"].fillna("").astype(str)
    if not ind.persons:
        return df
    return disclosure.protect_indicator_table(
        df, parents={a.id: a.parent for a in pipeline.areas}, person_ids={ind.id}, k=pipeline.disclosure_k,
        mode=pipeline.disclosure_mode).table


def _row(table: pd.DataFrame, ind_id: str, area: str, period: int) -> pd.Series | None:
    r = table[(table["indicator_id"] == ind_id) & (table["area_id"] == area) & (table["period"] == period)]
    return r.iloc[0] if len(r) else None


def _shown(r: pd.Series | None, unit: str, lang: str) -> str:
    """A published value with its interval, or why it is not shown."""
    w = WORDS[lang]
    if r is None:
        return w["not_supplied"]
    if bool(r["suppressed"]):
        return "*" if "disclosure" in str(r["flags"]) else ("for få svar" if lang == "da" else "too few answers")
    if not np.isfinite(r["estimate"]):
        flags = str(r["flags"])
        if flags.startswith(("incomplete", "gap")):
            return ("mangler (" if lang == "da" else "missing (") + flags.split(":", 1)[-1] + ")"
        return w["not_supplied"]
    text = _fmt(r["estimate"], unit, lang)
    if np.isfinite(r["ci_low"]):
        d = 2 if abs(r["estimate"]) < 5 else 1
        text += f" ({i18n.number(r['ci_low'], lang, d)}–{i18n.number(r['ci_high'], lang, d)})"
    return text


def _usable(r: pd.Series | None) -> bool:
    return r is not None and not bool(r["suppressed"]) and bool(np.isfinite(r["estimate"]))


def _status(ind: Indicator, base: pd.Series | None, now: pd.Series | None, year: int) -> str:
    """The goal's status on one area: the rule of the indicator's first target (level or below_year)."""
    if not ind.targets:
        return "no_goal"
    if not (_usable(base) and _usable(now)):
        return "not_assessable"
    t = ind.targets[0]
    value, ref = float(now["estimate"]), float(base["estimate"])
    better = value < ref if ind.direction == "decrease" else value > ref
    if t.type == "level":
        met = value <= t.value if ind.direction == "decrease" else value >= t.value
        return "achieved" if met else ("not_achieved" if t.year is None or year >= t.year else "on_track")
    if t.type == "below_year":
        if year >= t.year:
            return "achieved" if better else "not_achieved"
        return "on_track" if better else "moving_away"
    return "not_assessable"


def _test(ind: Indicator, base: pd.Series | None, now: pd.Series | None, phi: float = 1.0) -> stats.Change | None:
    """The kind's change test from the baseline row to this period's row (None when either is not shown)."""
    if not (_usable(base) and _usable(now)):
        return None
    return ind.impl.compare(ind, base, now, dispersion=phi)


def _verdicts(changes: list[stats.Change | None], alpha: float) -> list[stats.Verdict | None]:
    """Holm-adjusted verdicts of one measure's areas (one family); untested rows stay out of it."""
    p = [c.pvalue if c is not None and getattr(c, "tested", True) and np.isfinite(c.pvalue) else np.nan
         for c in changes]
    idx = [i for i, x in enumerate(p) if np.isfinite(x)]
    q = np.full(len(p), np.nan)
    if idx:
        q[idx] = stats.adjust_pvalues(pvalues=[p[i] for i in idx], method="holm")
    out = []
    for c, qi in zip(changes, q):
        if c is None:
            out.append(None)
            continue
        null = 1.0 if c.scale == "ratio" else 0.0
        out.append(stats.verdict(estimate=c.estimate, pvalue=qi, alpha=alpha, null=null,
                                 tested=bool(np.isfinite(qi)), reason=getattr(c, "reason", "") or "descriptive"))
    return out


def _change_text(c: stats.Change | None, unit: str, lang: str) -> str:
    if c is None or not np.isfinite(c.estimate):
        return "–"
    if c.scale == "ratio":
        pct = 100 * (c.estimate - 1)
        text = (f"{'+' if pct > 0 else ''}{i18n.number(pct, lang, 1)} %" if math.isfinite(pct) else "–")
        if np.isfinite(c.ci_low):
            word = "RR" if lang == "en" else "RR"
            text += f" ({word} {i18n.number(c.estimate, lang, 2)}, {i18n.number(c.ci_low, lang, 2)}–" \
                    f"{i18n.number(c.ci_high, lang, 2)})"
        return text
    d = 0 if unit == "count" else 1
    size = ("+" if c.estimate > 0 else "") + i18n.number(c.estimate, lang, d)
    if unit == "percent":
        size += " pct.-point" if lang == "da" else " pp"
    return size


def _test_text(v: stats.Verdict | None, c: stats.Change | None, lang: str, descriptive: str) -> str:
    if v is None or c is None:
        return "–"
    if not v.tested:
        return descriptive
    words = {"da": {"significant_increase": "statistisk signifikant stigning",
                    "significant_decrease": "statistisk signifikant fald",
                    "no_significant_change": "ingen statistisk signifikant ændring"},
             "en": {"significant_increase": "statistically significant increase",
                    "significant_decrease": "statistically significant decrease",
                    "no_significant_change": "no statistically significant change"}}[lang]
    return f"{words[v.code]} ({i18n.qvalue(v.pvalue, lang)}; Holm)"


def overview(pipeline: Pipeline, tables: dict[str, pd.DataFrame], published: pd.DataFrame, year: int, lang: str
             ) -> pd.DataFrame:
    """The overview: each of the plan's measures on its report areas, with the baseline, this period, the change
    and its test, the goal and its status.

    Parameters
    ----------
    pipeline : Pipeline
    tables : dict
        The cleaned sources (:func:`load_tables`).
    published : pandas.DataFrame
        The published indicator table (``published.parquet``: after disclosure control).
    year : int
        The report year: the reporting year that ends in ``year`` (annual sources: the calendar year).
    lang : {"da", "en"}

    Returns
    -------
    pandas.DataFrame
        ``no, indicator_id, area_id, measure, area, baseline, this_period, change, test, goal, status, verdict``:
        one row per measure and area (the words in ``lang``; ``verdict`` and ``status`` as codes for tests). A
        measure whose source was not supplied has one row saying so.
    """
    w = WORDS[lang]
    rows = []
    period = period_of(pipeline, year)
    no = 0
    for ind in pipeline.indicators:
        if ind.kind not in MEASURE_KINDS:
            continue
        if ind.kind != "ssp_count":
            no += 1
        lines = _measure_lines(pipeline, ind, tables, published, year, period, lang)
        if not lines:
            lines = [dict(area_id="", area="–", baseline="–", this_period=w["not_supplied"], change="–", test="–",
                          status_code="no_goal", verdict="not_tested")]
        goal = "; ".join(t.text[lang] for t in ind.targets) or "–"
        for ln in lines:
            status = ln.pop("status_code")
            rows.append(dict(no=no, indicator_id=ind.id, measure=ind.name[lang], goal=goal,
                             status=ln.pop("status_text", None) or w.get(status, status), status_code=status, **ln))
    cols = ["no", "indicator_id", "area_id", "measure", "area", "baseline", "this_period", "change", "test", "goal",
            "status", "status_code", "verdict"]
    return pd.DataFrame(rows).reindex(columns=cols)


def _areas(ind: Indicator, pipeline: Pipeline) -> list[str]:
    """The areas the overview shows for a measure: its ``report_areas``; for a kind without them (a survey share),
    the survey districts other measures report on (Indre and Ydre Nørrebro), else its headline area."""
    areas = list(getattr(ind.spec, "report_areas", ()) or ())
    if areas:
        return areas
    if ind.levels == ("survey_district",) or "survey_district" in ind.levels:
        named = [a for i in pipeline.indicators for a in getattr(i.spec, "report_areas", ())
                 if pipeline.area(a).level == "survey_district"]
        if named:
            return list(dict.fromkeys(named))
    return [ind.headline_area or pipeline.city.id]


def _measure_lines(pipeline, ind, tables, published, year, period, lang) -> list[dict]:
    w = WORDS[lang]
    src = tables.get(ind.source, pd.DataFrame())
    if ind.kind == "police_rate":
        counts, _ = ind.impl.counts_table(ind, tables)
        if counts.empty or tables[ind.spec.population].empty:
            return []
    elif src.empty:
        return []
    areas = _areas(ind, pipeline)
    base_year = ind.baseline_year or pipeline.baseline_year
    if ind.kind == "quarterly_stock":
        levels = ind.levels
        base = pd.concat([_protect(pipeline, ind, ind.impl.baseline_rows(ind, pipeline, tables, lv)).assign(level=lv)
                          for lv in levels], ignore_index=True)
        q = ind.spec.baseline_quarter
        base_label = w["stock_end"].format(q=_quarter_label(q or "", lang)) if q else "–"
        now_label = w["stock_end"].format(q=_quarter_label(end_quarter(period), lang))
        base_period, phi = int(q[:4]) if q else None, 1.0
    elif ind.kind == "police_rate":
        rows = [r for lv in ind.levels for r in ind.impl.calendar_rows(ind, pipeline, tables, lv, base_year)]
        base = _protect(pipeline, ind, rows)
        base_label, now_label = str(base_year), label(period, lang)
        base_period = base_year
        level = pipeline.area(areas[0]).level
        disp = family_dispersion(pipeline, ind, published, level, year)
        phi = float(disp.phi) if disp is not None and np.isfinite(disp.phi) else 1.0
    elif ind.kind in ("coverage", "ssp_count"):
        rows = [r for lv in ind.levels for r in ind.impl.period_rows(ind, pipeline, src, lv, [calendar_year(base_year)],
                                                                   [base_year])]
        base = _protect(pipeline, ind, rows)
        base_label, now_label, base_period, phi = str(base_year), label(period, lang), base_year, 1.0
    elif ind.kind == "survey_share":
        base = published
        base_label, now_label, base_period, phi = str(base_year), str(year), base_year, 1.0
    else:  # activity goals
        return _activity_lines(pipeline, ind, src, year, period, lang)
    now_year = year
    changes, lines = [], []
    for a in areas:
        b = _row(base, ind.id, a, base_period) if base_period is not None else None
        n = _row(published, ind.id, a, now_year)
        c = _test(ind, b, n, phi)
        changes.append(c)
        plan = ""
        if ind.baseline_value is not None and a == (ind.headline_area or a) and _usable(b) and \
                abs(float(b["estimate"]) - ind.baseline_value) >= 0.05:
            plan = "; " + w["plan_value"].format(v=_fmt(ind.baseline_value, ind.unit, lang))
        lines.append(dict(area_id=a, area=pipeline.area(a).name[lang],
                          baseline=f"{_shown(b, ind.unit, lang)} ({base_label}){plan}",
                          this_period=f"{_shown(n, ind.unit, lang)} ({now_label})",
                          change=_change_text(c, ind.unit, lang),
                          status_code=_status(ind, b, n, year)))
    if ind.kind == "police_rate":
        lines.append(_rest_of_city(pipeline, ind, tables, base_year, period, lang, phi))
        changes.append(lines[-1].pop("_change"))
    descriptive = w["no_test_count"]
    for ln, v, c in zip(lines, _verdicts(changes, pipeline.alpha), changes):
        ln["test"] = _test_text(v, c, lang, descriptive)
        ln["verdict"] = v.code if v is not None else "not_tested"
    return lines


def _rest_of_city(pipeline, ind, tables, base_year, period, lang, phi: float = 1.0) -> dict:
    w = WORDS[lang]
    b = ind.impl.rest_of_city(ind, pipeline, tables, months_of(calendar_year(base_year)), base_year)
    n = ind.impl.rest_of_city(ind, pipeline, tables, months_of(period), int(period.last.year))
    b, n = (pd.Series({**r, "suppressed": False}) if r is not None else None for r in (b, n))
    c = _test(ind, b, n, phi)
    return dict(area_id="rest_of_city", area=w["rest_of_city"], baseline=f"{_shown(b, ind.unit, lang)} ({base_year})",
                this_period=f"{_shown(n, ind.unit, lang)} ({label(period, lang)})",
                change=_change_text(c, ind.unit, lang), status_code="no_goal", _change=c)


def _activity_lines(pipeline, ind, log, year, period, lang) -> list[dict]:
    w = WORDS[lang]
    goals = parse_goals(pipeline.activity_goals, where=str(pipeline.path))
    t = goals_in_period(log, goals, period, through=_log_end(log, period))
    judged = t[t["status"] != NO_TARGET]
    met = int((judged["status"] == MET).sum())
    area = ind.spec.area or pipeline.city.id
    ongoing = int((judged["status"] == ONGOING).sum())
    status = "achieved" if met == len(judged) else ("on_track" if ongoing and not (judged["status"] == NOT_MET).any()
                                                    else "not_achieved")
    return [dict(area_id=area, area=pipeline.area(area).name[lang], baseline="–",
                 this_period=f"{w['goals_met'].format(met=met, n=len(judged))} ({label(period, lang)})",
                 change="–", test=w["no_test_count"], status_code=status, verdict="not_tested")]


def _log_end(log: pd.DataFrame, period) -> dt.date:
    """The last day the activity log can be assumed to cover: the period's end (the log is delivered after it)."""
    return period.last


def activity_table(pipeline: Pipeline, log: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Aktivitetsmål: each goal planned against held in the reporting period and in the calendar year and half-years
    it overlaps (per year and half-year; a period still running is ``ongoing``).

    Returns ``activity, per, period, held, planned, status`` in ``lang`` (an empty frame when no log was supplied).
    """
    w = WORDS[lang]
    cols = [w["activity"], w["per"], w["span"], w["held"], w["planned"], w["status"]]
    if log.empty or not pipeline.activity_goals:
        return pd.DataFrame(columns=cols)
    goals = parse_goals(pipeline.activity_goals, where=str(pipeline.path))
    period = period_of(pipeline, year)
    names = {g.id: g.name.get(lang) or g.name["da"] for g in goals}
    this = goals_in_period(log, goals, period)
    this["period"] = label(period, lang)
    years = sorted({period.first.year, period.last.year})
    cal = planned_vs_held(log, goals=goals, years=years, through=period.last)
    cal = cal[[_starts_by(p, period.last) for p in cal["period"]]]
    both = pd.concat([this, cal], ignore_index=True)
    order = {g.id: i for i, g in enumerate(goals)}
    both["_o"] = both["activity"].map(order)
    both = both.sort_values(["_o"], kind="stable")

    def planned(r) -> str:
        if r["per"] == "year" and r.get("kind") == "half_year":
            return "–"
        if pd.isna(r["planned_min"]):
            return w["as_needed"]
        if pd.isna(r["planned_max"]) or r["planned_max"] == r["planned_min"]:
            return (w["at_least"].format(lo=int(r["planned_min"])) if pd.isna(r["planned_max"])
                    else str(int(r["planned_min"])))
        return w["planned_range"].format(lo=int(r["planned_min"]), hi=int(r["planned_max"]))

    def status(r) -> str:
        return "–" if r["per"] == "year" and r.get("kind") == "half_year" else w[r["status"]]

    out = pd.DataFrame({
        cols[0]: both["activity"].map(names),
        cols[1]: both["per"].map({"year": w["year"], "half_year": w["half_year"]}),
        cols[2]: [_period_text(p, lang) for p in both["period"]], cols[3]: both["held"].astype(int),
        cols[4]: [planned(r) for _, r in both.iterrows()], cols[5]: [status(r) for _, r in both.iterrows()],
    })
    return out.reset_index(drop=True)


def _starts_by(label_: str, last: dt.date) -> bool:
    y = int(str(label_)[:4])
    if str(label_).endswith("H2"):
        return dt.date(y, 7, 1) <= last
    return dt.date(y, 1, 1) <= last


def _period_text(p: str, lang: str) -> str:
    p = str(p)
    if p.endswith(("H1", "H2")):
        return f"{p[:4]}, {p[-1]}. halvår" if lang == "da" else f"{p[:4]} H{p[-1]}"
    return p


def concern_talks_table(pipeline: Pipeline, published: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Bekymringssamtaler: per report area, the young people identified, those with a talk, the coverage and the
    talks held in the reporting period and the year before it (published values: persons are disclosure-controlled).
    """
    w = WORDS[lang]
    cov = next((i for i in pipeline.indicators if i.kind == "coverage"), None)
    counts = {i.spec.measure: i for i in pipeline.indicators if i.kind == "ssp_count"}
    if cov is None:
        return pd.DataFrame()
    rows = []
    for a in _areas(cov, pipeline):
        for y in (year - 1, year):
            r = _row(published, cov.id, a, y)
            if r is None:
                continue
            ident = _row(published, counts["identified"].id, a, y) if "identified" in counts else None
            talks = _row(published, counts["talks"].id, a, y) if "talks" in counts else None
            rows.append({w["area"]: pipeline.area(a).name[lang], w["period"]: label(period_of(pipeline, y), lang),
                         w["identified"]: _shown(ident, "count", lang),
                         w["with_talk"]: _count_shown(r, lang),
                         w["coverage"]: _shown(r, "percent", lang), w["talks"]: _shown(talks, "count", lang)})
    return pd.DataFrame(rows)


def _count_shown(r: pd.Series, lang: str) -> str:
    if bool(r["suppressed"]) or not np.isfinite(r["numerator"]):
        return "*" if "disclosure" in str(r["flags"]) else "–"
    return i18n.number(float(r["numerator"]), lang, 0)


def gang_table(pipeline: Pipeline, tables: dict[str, pd.DataFrame], year: int, lang: str,
               published: pd.DataFrame | None = None) -> pd.DataFrame:
    """The gang register's stock per quarter of the reporting period (and the plan's baseline quarter) for the report
    areas, by group type, person counts under disclosure control; a quarter an area was not reported is a stated gap.

    Each quarter's crosstab (group type × area) is a published person table of its own and passes disclosure control
    as one table (:func:`tryghed.disclosure.protect_linked_crosstab`), consistently with the indicator table's stock
    per area (``published``, the disclosure-controlled indicator table; the baseline quarter's stock as the overview
    shows it): a stock withheld there is withheld here, a stock published there is shown here as published.
    """
    w = WORDS[lang]
    ind = next((i for i in pipeline.indicators if i.kind == "quarterly_stock"), None)
    if ind is None or tables[ind.source].empty:
        return pd.DataFrame()
    df = tables[ind.source]
    period = period_of(pipeline, year)
    wanted = pd.period_range(period.first, period.last, freq="Q").strftime("%YQ%q").tolist()
    if ind.spec.baseline_quarter:
        wanted = [ind.spec.baseline_quarter, *[q for q in wanted if q != ind.spec.baseline_quarter]]
    areas = _areas(ind, pipeline)
    rows = []
    for q in wanted:
        if q not in set(df["quarter"]):
            continue
        qt = quarter_table(pipeline, df[df["quarter"] == q], areas, lang)
        shown = _protect_quarter(pipeline, df, q, areas, pipeline.disclosure_k, pipeline.disclosure_mode,
                                 margin=_published_stock(pipeline, ind, tables, published, q, areas))
        for _, r in qt.iterrows():
            cells = shown.get(r["area_id"], {}) if not r["gap"] else {}
            rows.append({w["quarter"]: _quarter_label(q, lang), w["area"]: pipeline.area(r["area_id"]).name[lang],
                         **{w[g]: cells.get(g, "–") for g in (*GROUP_TYPES, "total")},
                         w["gap"]: w["gap_text"].format(areas=r["gap"]) if r["gap"] else ""})
    return pd.DataFrame(rows)


def _published_stock(pipeline, ind, tables, published, quarter, areas) -> dict[str, float]:
    """The stock per report area that the indicator table (or the overview's baseline) publishes for ``quarter``:
    a number, NaN where withheld; areas it shows nothing for are left out."""
    rows = None
    if ind.spec.baseline_quarter == quarter:
        rows = pd.concat([_protect(pipeline, ind, ind.impl.baseline_rows(ind, pipeline, tables, lv))
                          for lv in ind.levels], ignore_index=True)
    elif published is not None and len(published):
        mine = published[published["indicator_id"] == ind.id]
        years = [int(y) for y in mine["period"].unique() if end_quarter(period_of(pipeline, int(y))) == quarter]
        rows = mine[mine["period"].isin(years)]
    out: dict[str, float] = {}
    if rows is None or rows.empty:
        return out
    for a in areas:
        r = rows[rows["area_id"] == a]
        if len(r):
            r = r.iloc[0]
            out[a] = np.nan if bool(r["suppressed"]) or not np.isfinite(float(r["estimate"])) else float(r["estimate"])
    return out


def _protect_quarter(pipeline, df, quarter, areas, k, mode, margin: dict[str, float] | None = None
                     ) -> dict[str, dict[str, str]]:
    """One quarter's stock as one crosstab (report areas that do not overlap, the rest, and the whole × group types,
    with margins) under disclosure control, linked to the stock ``margin`` the indicator table publishes; the report
    areas' displayed cells (``*`` for a withheld one). Report areas that overlap (other than the whole) are each
    protected in a crosstab of their own against the rest."""
    q = df[(df["quarter"] == quarter) & ~df["gap"].astype(bool)]
    if q.empty:
        return {}
    margin = margin or {}
    leaves = sorted(q["area_id"].unique())
    wide = q.pivot_table(index="area_id", columns="group_type", values="count", aggfunc="sum").reindex(
        index=leaves, columns=list(GROUP_TYPES)).fillna(0)
    under = {}
    for a in areas:
        level = pipeline.area(a).level
        mine = [x for x in leaves if pipeline.ancestor_at(x, level) == a]
        if mine:
            under[a] = mine
    whole = [a for a, u in under.items() if len(u) == len(leaves)]
    parts = [a for a in under if a not in whole]
    covered = [x for a in parts for x in under[a]]
    groups = [parts] if len(covered) == len(set(covered)) else [[a] for a in parts]
    out: dict[str, dict[str, str]] = {}
    for group in groups or [[]]:
        mine = [x for a in group for x in under[a]]
        rest = [x for x in leaves if x not in mine]
        tab = pd.DataFrame([wide.loc[under[a]].sum() for a in group], index=group)
        if rest:
            tab.loc["rest"] = wide.loc[rest].sum()
        tab["total"] = tab.sum(axis=1)
        tab.loc["all"] = tab.sum()
        linked = {a: margin[a] for a in group if a in margin}
        top = next((margin[a] for a in whole if a in margin), None)
        if top is not None:
            linked["all"] = top
        prot = disclosure.protect_linked_crosstab(tab, margin=linked, k=k, mode=mode)
        for a in group:
            out[a] = {c: str(prot.display.loc[a, c]) for c in tab.columns}
        for a in whole:
            out.setdefault(a, {c: str(prot.display.loc["all", c]) for c in tab.columns})
    return out


def assessment(tables: dict[str, pd.DataFrame], pipeline: Pipeline) -> dict:
    """The police's assessment: ``supplied``, ``text`` (verbatim), ``attribution`` per language and ``file``."""
    sid = next((s for s, src in pipeline.sources.items() if src.format == "assessment"), None)
    if sid is None:
        return dict(supplied=False, text="", attribution={"da": "", "en": ""}, file="")
    src = pipeline.sources[sid]
    df = tables.get(sid, pd.DataFrame())
    who = {"da": src.attribution["da"], "en": src.attribution["en"]} if src.attribution else {"da": "", "en": ""}
    if df.empty or "supplied" not in df or not bool(df["supplied"].iloc[0]):
        return dict(supplied=False, text="", attribution=who, file=src.file)
    return dict(supplied=True, text=str(df["text"].iloc[0]), attribution=who, file=src.file)


def context_table(pipeline: Pipeline, published: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The published district figures (context measures) for their report areas, every year they hold."""
    w = WORDS[lang]
    rows = []
    for ind in pipeline.indicators:
        if ind.kind != CONTEXT_KIND:
            continue
        sub = published[published["indicator_id"] == ind.id]
        for a in _areas(ind, pipeline):
            for _, r in sub[sub["area_id"] == a].sort_values("period").iterrows():
                rows.append({w["measure"]: ind.name[lang], w["area"]: pipeline.area(a).name[lang],
                             ("År" if lang == "da" else "Year"): int(r["period"]),
                             w["value"]: _fmt(r["estimate"], ind.unit, lang)})
    return pd.DataFrame(rows)


def draw_maps(pipeline: Pipeline, geojson: Path, lang: str, out_dir: Path) -> list[str]:
    """Maps of Indre and Ydre Nørrebro from the neighbourhood boundaries with the plan's hotspots; saved as PNG and
    SVG in ``out_dir``. Returns the figure names (empty when the boundaries were not supplied)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon

    geojson = Path(geojson)
    if not geojson.is_file():
        return []
    data = json.loads(geojson.read_text(encoding="utf-8"))
    colours = {"s-indre-noerrebro": "#c6dbef", "s-ydre-noerrebro": "#fdd0a2"}
    made = []
    for half in ("s-indre-noerrebro", "s-ydre-noerrebro"):
        fig, ax = plt.subplots(figsize=(6, 6))
        for f in data["features"]:
            name = str(f["properties"].get("neighbourhood_name", ""))
            mine = NEIGHBOURHOODS.get(name.lower())
            polys = f["geometry"]["coordinates"]
            polys = polys if f["geometry"]["type"] == "MultiPolygon" else [polys]
            for poly in polys:
                ring = np.asarray(poly[0], dtype=float)
                ax.add_patch(Polygon(ring, closed=True, facecolor=colours[half] if mine == half else "#eeeeee",
                                     edgecolor="#555555", linewidth=0.8))
                if mine == half:
                    cx, cy = ring[:, 0].mean(), ring[:, 1].mean()
                    ax.text(cx, cy, name, fontsize=7, ha="center", va="center", color="#333333")
        spots = [h for h in pipeline.hotspots if h.area == half]
        for h in spots:
            ax.plot(h.lon, h.lat, "o", color="#b30000", markersize=6)
            ax.annotate(h.name[lang], (h.lon, h.lat), xytext=(4, 4), textcoords="offset points", fontsize=8,
                        color="#b30000")
        ax.autoscale_view()
        ax.set_aspect(1 / math.cos(math.radians(55.69)))
        ax.set_axis_off()
        ax.set_title(f"{pipeline.area(half).name[lang]}: {WORDS[lang]['hotspots'].lower()}")
        if any(f["properties"].get("synthetic") for f in data["features"]):
            ax.text(0.5, 0.01, WORDS[lang]["synthetic_map"], transform=ax.transAxes, ha="center", color="#b30000",
                    fontsize=9)
        name = f"map_{half}"
        out_dir.mkdir(parents=True, exist_ok=True)
        fig.savefig(out_dir / f"{name}.png", dpi=110, bbox_inches="tight")
        fig.savefig(out_dir / f"{name}.svg", bbox_inches="tight", metadata={"Date": None})
        plt.close(fig)
        made.append(name)
    return made


def notes(pipeline: Pipeline, year: int, lang: str) -> list[str]:
    """The report's method notes: the period, the calendar year of annual sources, the offence group's definition,
    the rest of the city, missing quarters and disclosure control."""
    w = WORDS[lang]
    out = [f"{w['period']}: {label(period_of(pipeline, year), lang)}. " + w["calendar_note"].format(year=year)]
    out += [f"{g.name[lang]}: {g.definition[lang]}." for g in pipeline.offence_groups.values()]
    out += [g.comparability[lang] for g in pipeline.offence_groups.values() if g.comparability]
    out.append(w["reporting_rest"])
    out.append(disclosure.method_note(mode=pipeline.disclosure_mode, k=pipeline.disclosure_k, lang=lang))
    return out


def render(pipeline: Pipeline, year: int, lang: str, *, overview: pd.DataFrame, activities: pd.DataFrame,
           talks: pd.DataFrame, gangs: pd.DataFrame, assessment: dict, maps: list[str], figures_rel: str,
           context: pd.DataFrame, notes: list[str], demo: bool, map_file: str = MAP_FILE) -> str:
    """The status report as one HTML page (``tryghed/templates/partnership/report.html.j2``)."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("tryghed", "templates/partnership"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    w = WORDS[lang]
    period = period_of(pipeline, year)

    def table(df: pd.DataFrame, drop=()) -> dict:
        df = df.drop(columns=[c for c in drop if c in df.columns])
        return dict(columns=list(df.columns), rows=df.astype(str).values.tolist())

    summary = minute(overview, lang)
    return env.get_template("report.html.j2").render(
        lang=lang, w=w, name=pipeline.name[lang], owner=pipeline.owner[lang], period=label(period, lang),
        recipients=[r[lang] for r in pipeline.recipients], demo=demo, summary=summary,
        overview=table(overview_words(overview, lang)),
        activities=table(activities), talks=table(talks), gangs=table(gangs),
        assessment=assessment, who=assessment["attribution"].get(lang, ""),
        maps=[f"{figures_rel}/{m}.svg" for m in maps], map_missing=w["maps_missing"].format(file=map_file),
        hotspots=[(h.name[lang], pipeline.area(h.area).name[lang]) for h in pipeline.hotspots],
        context=table(context), notes=notes, escape=html.escape)


def overview_words(overview: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The overview for people: its text columns under their names in ``lang``."""
    w = WORDS[lang]
    cols = ["no", "measure", "area", "baseline", "this_period", "change", "test", "goal", "status"]
    return overview.reindex(columns=cols).rename(columns={c: w[c] for c in cols})


def minute(overview: pd.DataFrame, lang: str) -> list[str]:
    """The overview in one line per measure: each area's value this period and the goal's status."""
    out = []
    if overview.empty:
        return out
    for (no, measure), g in overview.groupby(["no", "measure"], sort=False):
        parts = []
        for _, r in g.iterrows():
            value = str(r["this_period"]).split(" (")[0]
            status = f" ({r['status']})" if r["status"] not in ("–", "") else ""
            parts.append(f"{r['area']} {value}{status}" if r["area"] != "–" else f"{value}{status}")
        out.append(f"{no}. {measure}: " + "; ".join(parts))
    return out


def effects_panel(pipeline: Pipeline, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The monthly panel of every police rate (counts and person-year exposure per survey district and month) for
    the effect evaluation (``panel.parquet``: ``indicator_id, area_id, period, count, exposure``)."""
    parts = [i.impl.monthly_panel(i, pipeline, tables) for i in pipeline.indicators if i.kind == "police_rate"]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["indicator_id", "area_id", "period", "count", "exposure"])
    return pd.concat(parts, ignore_index=True)


__all__ = ["MAP_FILE", "activity_table", "assessment", "concern_talks_table", "context_table", "draw_maps",
           "effects_panel", "gang_table", "load_tables", "notes", "overview", "render"]
