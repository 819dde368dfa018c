"""Danish and English wording of the report: labels, numbers, test names and plain-language statements.

One language per report: every word a Danish report shows comes from here in Danish, method names included.
Numbers are formatted by Babel (``da_DK``: ``1.234,5``; ``en_GB``: ``1,234.5``), negatives carry a true minus sign
and a number is joined to its unit by a no-break space.

This module only *words* results. Significance is decided where the tests are run: a change or trend row that
carries a ``verdict`` (``significant_increase``, ``significant_decrease``, ``no_significant_change``,
``not_tested``) is worded from it; only rows without one fall back to reading ``qvalue``/``pvalue`` against 5 %.
Statements follow METHODS.md §0: "statistisk signifikant fald/stigning", "ingen statistisk signifikant ændring",
never "no change"; no test across a series break; "for få besvarelser" instead of an estimate; every tested
statement names its test.
"""

from __future__ import annotations

import functools
import math
import re

from babel.numbers import format_decimal

LOCALES = {"da": "da_DK", "en": "en_GB"}
NBSP = "\u00a0"
MINUS = "\u2212"
#: The level at which the fall-back wording (rows without a ``verdict``) reads a p- or q-value as significant.
ALPHA = 0.05
VERDICTS = ("significant_increase", "significant_decrease", "no_significant_change", "not_tested")

LABELS = {
    "da": {
        "measure": "Indikator", "area": "Område", "level": "Niveau", "baseline": "Udgangspunkt", "this_year": "I år",
        "change": "Ændring siden sidste år", "target": "Målsætning", "status": "Status",
        "notebooks": "Analysens trin", "figures": "Figurer", "scorecard": "Resultatoversigt",
        "method_notes": "Metode",
        "demo_banner": "DEMODATA – SYNTETISKE TAL. Denne rapport er bygget på opdigtede data og er ikke officiel "
                       "statistik.",
        "title": "{name}: evaluering {year}", "made_by": "Lavet med tryghed",
        "exports": "Tabeller til at kopiere: {csv} · {xlsx}",
        "ci": "95 %-konfidensinterval", "ci_short": "95 %-KI", "trend": "Udvikling (trend)",
        "limits": "Hvad tallene ikke kan vise",
        "at_a_glance": "Overblik", "value": "Værdi", "unit": "Enhed", "estimate": "Estimat", "ci_low": "Nedre grænse",
        "ci_high": "Øvre grænse", "year": "År", "n": "Antal besvarelser/personer",
        "p": "p-værdi", "q": "q-værdi (justeret)", "test": "Test", "details": "Detaljer: test, begrænsninger og "
        "fremskrivning", "projection": "Fremskrivning", "downloads": "Tabeller til download",
        "peers": "Sammenligning med andre kommuner", "rank": "Placering", "footer_version": "tryghed version",
        "footer_commit": "git-commit", "footer_sources": "Datakilder (sha256)", "catalogue": "Alle rapporter",
        "other_lang": "English version", "no_figure": "ingen figur", "goal": "Indsatsområde",
        "sparkline": "Udvikling {first}–{last}", "source": "Kilde", "demo_short": "DEMO – SYNTETISKE DATA",
        "demo_source": "syntetiske demodata (tryghed demo-data)", "estimate_line": "estimat",
        "break": "databrud", "city_reference": "hele byen", "notes_sheet": "Noter", "definition": "Definition",
        "disclosure": "Diskretionering", "demo_marker": "Demodata", "yes": "ja", "no": "nej",
        "baseline_year": "Udgangsår", "change_unit": "Ændringens enhed", "verdict": "Vurdering",
        "withheld": "* = undertrykt af hensyn til diskretion; – = for få besvarelser eller ingen data",
        "catalogue_title": "Rapporter fra tryghed", "pipeline": "Program", "language": "Sprog",
        "data_source": "Datakilde", "figure_of": "Figur: {title}",
    },
    "en": {
        "measure": "Measure", "area": "Area", "level": "Level", "baseline": "Baseline", "this_year": "This year",
        "change": "Change since last year", "target": "Target", "status": "Status",
        "notebooks": "Steps of the analysis", "figures": "Figures", "scorecard": "Scorecard",
        "method_notes": "Method notes",
        "demo_banner": "DEMO DATA – SYNTHETIC. This report is built on invented data and is not official "
                       "statistics.",
        "title": "{name}: evaluation {year}", "made_by": "Made with tryghed",
        "exports": "Tables to paste: {csv} · {xlsx}",
        "ci": "95% confidence interval", "ci_short": "95% CI", "trend": "Trend",
        "limits": "What the data cannot tell",
        "at_a_glance": "At a glance", "value": "Value", "unit": "Unit", "estimate": "Estimate", "ci_low": "Lower limit",
        "ci_high": "Upper limit", "year": "Year", "n": "Answers/persons",
        "p": "p-value", "q": "q-value (adjusted)", "test": "Test", "details": "Details: tests, limits and "
        "projection", "projection": "Projection", "downloads": "Tables to download",
        "peers": "Comparison with other municipalities", "rank": "Rank", "footer_version": "tryghed version",
        "footer_commit": "git commit", "footer_sources": "Data sources (sha256)", "catalogue": "All reports",
        "other_lang": "Dansk udgave", "no_figure": "no figure", "goal": "Goal",
        "sparkline": "Trend {first}–{last}", "source": "Source", "demo_short": "DEMO – SYNTHETIC DATA",
        "demo_source": "synthetic demo data (tryghed demo-data)", "estimate_line": "estimate",
        "break": "series break", "city_reference": "whole city", "notes_sheet": "Notes", "definition": "Definition",
        "disclosure": "Disclosure control", "demo_marker": "Demo data", "yes": "yes", "no": "no",
        "baseline_year": "Baseline year", "change_unit": "Unit of the change", "verdict": "Verdict",
        "withheld": "* = withheld to protect persons; – = too few answers or no data",
        "catalogue_title": "Reports made with tryghed", "pipeline": "Programme", "language": "Language",
        "data_source": "Data source", "figure_of": "Figure: {title}",
    },
}

STATUS = {
    "da": {
        "achieved": "Nået", "not_achieved": "Ikke nået", "on_track": "På rette vej",
        "acceleration_needed": "Fremgang, men for langsomt", "insufficient_progress": "Utilstrækkelig fremgang",
        "moving_away": "Bevæger sig væk fra målet", "met_this_year": "Opfyldt i år",
        "not_met_this_year": "Ikke opfyldt i år", "not_assessable": "Kan ikke vurderes",
        "stagnation_or_regression": "Stilstand eller tilbagegang",
        "on_track_confident": "når målet (hele prædiktionsintervallet er på målets side)",
        "off_track_confident": "når ikke målet (hele prædiktionsintervallet er på den forkerte side)",
        "uncertain": "usikkert (prædiktionsintervallet rummer målet)", "not_classified": "ikke vurderet",
    },
    "en": {
        "achieved": "Achieved", "not_achieved": "Not achieved", "on_track": "On track",
        "acceleration_needed": "Progress, acceleration needed", "insufficient_progress": "Insufficient progress",
        "moving_away": "Moving away from the target", "met_this_year": "Met this year",
        "not_met_this_year": "Not met this year", "not_assessable": "Cannot be assessed",
        "stagnation_or_regression": "Stagnation or regression",
        "on_track_confident": "reaches the target (the whole prediction interval is on the target's side)",
        "off_track_confident": "misses the target (the whole prediction interval is on the wrong side)",
        "uncertain": "uncertain (the prediction interval holds the target)", "not_classified": "not classified",
    },
}

#: Status -> tone of its mark on the page: good, warn, bad or none (colour, icon and text together).
STATUS_TONE = {
    "achieved": "good", "on_track": "good", "met_this_year": "good",
    "acceleration_needed": "warn", "insufficient_progress": "warn",
    "not_achieved": "bad", "moving_away": "bad", "not_met_this_year": "bad", "stagnation_or_regression": "bad",
    "not_assessable": "none",
}
#: Icon of each tone (shown beside the status text; the colour is never the only signal).
TONE_ICON = {"good": "✓", "warn": "!", "bad": "✗", "none": "–"}
#: Order of tones when a measure with several targets shows one summary mark: the worst first.
TONE_ORDER = ("bad", "warn", "good", "none")

LEVEL_NAMES = {
    "da": {"city": "By", "district": "Bydel", "survey_district": "Undersøgelsesbydel", "municipality": "Kommune",
           "country": "Hele landet"},
    "en": {"city": "City", "district": "District", "survey_district": "Survey district", "municipality": "Municipality",
           "country": "Whole country"},
}

UNITS = {"da": {"percent": "%", "count": "", "days": "dage", "per_1000": "pr. 1.000"},
         "en": {"percent": "%", "count": "", "days": "days", "per_1000": "per 1,000"}}
#: A unit's word after a count of exactly one ("1 dag", "−1 day"); a unit not listed reads the same.
UNITS_ONE = {"da": {"days": "dag"}, "en": {"days": "day"}}
#: The unit of a count, spelled out where a bare number would carry none (axis labels, export columns).
COUNT_WORD = {"da": "antal", "en": "number"}
#: The unit of a change of a share.
POINTS = {"da": "procentpoint", "en": "percentage points"}


# ----------------------------------------------------------------------------------------------------- numbers
def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def number(x: float, lang: str, decimals: int = 1) -> str:
    """``x`` with the language's decimal mark and thousands separator (Babel), a true minus; missing -> "–"."""
    if _missing(x):
        return "–"
    return _number(float(x), lang, int(decimals))


@functools.lru_cache(maxsize=65536)
def _number(x: float, lang: str, decimals: int) -> str:
    # Cached: a figure's tick formatter asks for the same few values thousands of times while matplotlib lays out.
    fmt = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(x, format=fmt, locale=LOCALES[lang]).replace("-", MINUS)


def signed(x: float, lang: str, decimals: int = 1) -> str:
    """A change with its sign: "+1,2" or "−1,2" ("0,0" without a sign)."""
    s = number(x, lang, decimals)
    return "+" + s if not _missing(x) and s.strip("0,.") and float(x) > 0 else s


def decimals_for(x: float, unit: str) -> int:
    """How many decimals a value of ``unit`` is shown with: none for counts and days, two below 5, else one."""
    if unit in ("count", "days") or _missing(x):
        return 0 if unit in ("count", "days") else 1
    return 2 if abs(float(x)) < 5 else 1


def unit_text(unit: str, lang: str, one: bool = False) -> str:
    """The unit as the reader sees it ("%", "dage", "pr. 1.000"; "" for a count; a :class:`Unit`'s own words);
    ``one``: after a count of exactly one ("dag", a :class:`Unit`'s singular when it has one)."""
    words = getattr(unit, "words", None)
    if words and words.get(lang):
        return (getattr(unit, "one", None) or {}).get(lang) or words[lang] if one else words[lang]
    if one and unit in UNITS_ONE[lang]:
        return UNITS_ONE[lang][unit]
    return UNITS[lang].get(unit, unit)


def _is_one(text: str) -> bool:
    """Whether a formatted number is exactly one ("1", "+1", "−1"; not "1,0" nor "1.000")."""
    return text.lstrip("+-" + MINUS) == "1"


def with_unit(text: str, unit: str, lang: str) -> str:
    """Join a formatted number and its unit with a no-break space ("12,3 %"; English: "12.3%"), the unit in the
    singular after exactly one ("1 dag", "−1 institution")."""
    u = unit_text(unit, lang, one=_is_one(text))
    if not u or text == "–":
        return text
    if u == "%" and lang == "en":
        return f"{text}%"
    return f"{text}{NBSP}{u}"


def value(x: float, unit: str, lang: str, decimals: int | None = None) -> str:
    """A value with its unit: "18,6 %", "283 dage", "32,0 pr. 1.000"."""
    d = decimals_for(x, unit) if decimals is None else decimals
    return with_unit(number(x, lang, d), unit, lang)


def interval(low: float, high: float, lang: str, decimals: int = 1) -> str:
    """"17,2–20,0" (an en dash between two numbers that never break apart)."""
    if _missing(low) or _missing(high):
        return ""
    return f"{number(low, lang, decimals)}\u2060–\u2060{number(high, lang, decimals)}"


def value_with_interval(x: float, low: float, high: float, unit: str, lang: str) -> str:
    """"18,6 % (95 %-KI 17,2–20,0 %)"."""
    d = decimals_for(x, unit)
    text = value(x, unit, lang, d)
    if not _missing(low) and not _missing(high):
        text += f" ({LABELS[lang]['ci_short']} {with_unit(interval(low, high, lang, d), unit, lang)})"
    return text


def percent(share: float, lang: str, decimals: int = 1) -> str:
    """A share given in percent (0–100) as "12,3 %" / "12.3%"."""
    return with_unit(number(share, lang, decimals), "percent", lang)


def pvalue(p: float, lang: str) -> str:
    """"p = 0,012", "p < 0,001"."""
    if _missing(p):
        return ""
    if p < 0.001:
        return f"p{NBSP}<{NBSP}" + number(0.001, lang, 3)
    return f"p{NBSP}={NBSP}" + number(p, lang, 3)


def qvalue(q: float, lang: str) -> str:
    if _missing(q):
        return ""
    return pvalue(q, lang).replace("p", "q", 1)


def sentence_join(parts: list[str]) -> str:
    """Join clauses with "; " keeping each clause's first letter as written (no capital after a semicolon)."""
    return "; ".join(p for p in parts if p)


# -------------------------------------------------------------------------------------------------- test names
#: (pattern of the method string the statistics layer writes, Danish name, English name). ``{phi}`` and ``{n}``
#: are filled from the pattern's groups. The first match wins; see :func:`method_name`.
METHOD_NAMES = [
    (r"unpooled z \(Kish effective n\)", "z-test på effektive stikprøvestørrelser",
     "z test on effective sample sizes"),
    (r"unpooled z", "z-test", "z test"),
    (r"score test, Newcombe interval", "score-test med Newcombe-interval (små antal)",
     "score test with Newcombe interval (small numbers)"),
    (r"score test adjusted for overdispersion.*?φ = (?P<phi>[0-9.]+)",
     "score-test justeret for overspredning (φ = {phi})", "score test adjusted for overdispersion (φ = {phi})"),
    (r"exact conditional Poisson test, adjusted for overdispersion \(φ = (?P<phi>[0-9.]+)",
     "eksakt betinget Poisson-test justeret for overspredning (φ = {phi})",
     "exact conditional Poisson test adjusted for overdispersion (φ = {phi})"),
    (r"exact conditional", "eksakt betinget Poisson-test", "exact conditional Poisson test"),
    (r"bootstrap over (?P<n>\d+) institutions", "genudtræk over {n} institutioner (percentilinterval)",
     "bootstrap over {n} institutions (percentile interval)"),
    (r"bootstrap", "genudtræk over institutioner", "bootstrap over institutions"),
    (r"no test across a series break", "ingen test på tværs af databrud", "no test across a series break"),
    (r"descriptive", "beskrivende, ingen test", "descriptive, no test"),
    (r"not estimated", "ikke opgjort", "not estimated"),
    (r"quasi-Poisson GLM", "quasi-Poisson-regression (overspredning)", "quasi-Poisson regression (overdispersion)"),
    (r"Poisson GLM", "Poisson-regression", "Poisson regression"),
    (r"WLS slope", "vægtet regressionshældning", "weighted least-squares slope"),
    (r"chi-square test for trend", "chi²-test for trend", "chi-square test for trend"),
    (r"no trend", "ingen trend: under 3 år i serien", "no trend: fewer than 3 years in the series"),
    (r"not tested \(expected count under 5\)", "ingen test: forventet antal under 5",
     "not tested: expected count under 5"),
]


def method_name(method: str | None, lang: str) -> str:
    """The name of a test as the reader of a ``lang`` report sees it (never the statistics layer's English in a
    Danish report: an unknown method string becomes a generic name there)."""
    if _missing(method) or not method or method == "none":
        return ""
    for pattern, da, en in METHOD_NAMES:
        m = re.search(pattern, str(method))
        if m:
            groups = {k: v for k, v in m.groupdict().items() if v is not None}
            if "phi" in groups:
                groups["phi"] = number(float(groups["phi"]), lang, 1)
            return (da if lang == "da" else en).format(**groups)
    return "statistisk test (se metodenoterne)" if lang == "da" else str(method)


# --------------------------------------------------------------------------------------------- change wording
WORDS = {
    "da": {"significant_decrease": "statistisk signifikant fald", "significant_increase":
           "statistisk signifikant stigning", "no_significant_change": "ingen statistisk signifikant ændring",
           "not_tested": "ikke testet"},
    "en": {"significant_decrease": "statistically significant decrease", "significant_increase":
           "statistically significant increase", "no_significant_change": "no statistically significant change",
           "not_tested": "not tested"},
}
#: Why a change was not tested (``verdict_reason``), in words.
REASONS = {
    "da": {"series_break": "ingen test på tværs af databrud", "too_few_answers": "for få besvarelser til at opgøre",
           "suppressed": "undertrykt af hensyn til diskretion", "descriptive": "optælling; ingen statistisk test",
           "too_few_clusters": "for få institutioner til en test", "no_events": "ingen hændelser",
           "no_comparison": "ingen sammenligning",
           "too_small": "for små tal til en test: mindste forventede antal under 5"},
    "en": {"series_break": "no test across a series break", "too_few_answers": "too few answers to estimate",
           "suppressed": "suppressed to protect persons", "descriptive": "a count; no statistical test",
           "too_few_clusters": "too few institutions for a test", "no_events": "no events",
           "no_comparison": "no comparison",
           "too_small": "too small to test: smallest expected count under 5"},
}


def reason_words(reason: str | None, lang: str, default: str = "descriptive") -> str:
    """Why a change was not tested, in the report's words: a key of :data:`REASONS`, or the statistics layer's
    sentence ("too small to test: smallest expected count 2.4 is under 5 ..."); ``default``'s words otherwise."""
    words = REASONS[lang]
    text = reason if isinstance(reason, str) else ""
    if text in words:
        return words[text]
    if text.startswith("too small to test"):
        return words["too_small"]
    return words.get(default, default)


def _verdict(significant: bool, falling: bool, da: bool) -> str:
    """METHODS.md §0 wording for rows without a ``verdict`` (fall-back)."""
    lang = "da" if da else "en"
    if significant:
        return WORDS[lang]["significant_decrease" if falling else "significant_increase"]
    return WORDS[lang]["no_significant_change"]


def row_verdict(row: dict, falling: bool) -> str:
    """The row's ``verdict``; rows from before the verdict column fall back to q (else p) < 5 %."""
    v = row.get("verdict")
    if isinstance(v, str) and v in VERDICTS:
        return v
    p, q = row.get("pvalue"), row.get("qvalue")
    if _missing(p):
        return "not_tested"
    sig = (p if _missing(q) else q) < ALPHA
    return ("significant_decrease" if falling else "significant_increase") if sig else "no_significant_change"


def change_size(change: float, unit: str, lang: str) -> str:
    """A change with its sign and unit: "−2,5 procentpoint", "+12 dage", "+3"; no change as "±0 lokalområder"
    (never read as a level of 0)."""
    if unit == "percent":
        return f"{_no_change(signed(change, lang, 2 if abs(change) < 1 else 1))}{NBSP}{POINTS[lang]}"
    decimals = 0 if unit in ("count", "days") else (2 if abs(change) < 1 else 1)
    return with_unit(_no_change(signed(change, lang, decimals)), unit, lang)


def _no_change(text: str) -> str:
    """"±0" for a signed number that rounds to no change ("0", "0,0", "−0"); the number itself otherwise."""
    return "±" + text.lstrip(MINUS + "+-") if text != "–" and not text.strip(MINUS + "+-0,.") else text


def _p_part(row: dict, lang: str) -> str:
    """"p = 0,059" and, when the p that decides is adjusted for overdispersion, the exact p beside it (METHODS.md
    §2.2: the exact conditional p is always reported): "p = 0,059 (ujusteret p < 0,001)"; then the q-value."""
    p, q, exact = row.get("pvalue"), row.get("qvalue"), row.get("p_exact")
    parts = [pvalue(p, lang)]
    if not _missing(exact) and not _missing(p) and pvalue(exact, lang) != parts[0]:
        parts[0] += f" ({'ujusteret' if lang == 'da' else 'unadjusted'} {pvalue(exact, lang)})"
    if not _missing(q) and not _missing(p) and abs(float(q) - float(p)) > 1e-12:
        parts.append(qvalue(q, lang))
    return ", ".join(x for x in parts if x)


def change_statement(row: dict, unit: str, lang: str) -> str:
    """The plain-language statement of one row of the change table, naming its test.

    "statistisk signifikant fald (−2,5 procentpoint; z-test, p = 0,012)".
    """
    flags = row.get("flags") or ""
    reason = row.get("verdict_reason") if isinstance(row.get("verdict_reason"), str) else ""
    if "too_few_answers" in flags or reason == "too_few_answers":
        return REASONS[lang]["too_few_answers"]
    if "suppressed" in flags or "disclosure" in flags or reason == "suppressed":
        return REASONS[lang]["suppressed"]
    change = row.get("change")
    if _missing(change):
        return REASONS[lang]["no_comparison"]
    if row.get("scale") == "ratio" and "series_break" not in flags:
        return ratio_statement(row, lang)
    size = change_size(float(change), unit, lang)
    if "series_break" in flags or reason == "series_break":
        return f"{size}; {REASONS[lang]['series_break']}"
    verdict = row_verdict(row, float(change) < 0)
    test = method_name(row.get("method"), lang)
    if verdict == "not_tested":
        return f"{size} ({reason_words(reason, lang)})"
    ptext = _p_part(row, lang)
    detail = "; ".join(x for x in (size, ", ".join(x for x in (test, ptext) if x)) if x)
    return f"{WORDS[lang][verdict]} ({detail})"


def ratio_statement(row: dict, lang: str) -> str:
    """The statement of a change of a rate, tested on the rate ratio (METHODS.md §2.2, §2.4: reported offences)."""
    da = lang == "da"
    ratio = float(row["change"])
    size = f"{signed(100 * (ratio - 1), lang, 1)}{NBSP}%" if da else f"{signed(100 * (ratio - 1), lang, 1)}%"
    rr = ("rate-forhold " if da else "rate ratio ") + number(ratio, lang, 3)
    if _missing(row.get("pvalue")) and not isinstance(row.get("verdict"), str):
        return f"{size} ({rr}; {'ingen test' if da else 'no test'})"
    verdict = row_verdict(row, ratio < 1)
    if verdict == "not_tested":
        why = reason_words(row.get("verdict_reason"), lang, "ingen test" if da else "no test")
        return f"{size} ({rr}; {why})"
    test = method_name(row.get("method"), lang)
    tail = ", ".join(x for x in (test, _p_part(row, lang)) if x)
    return f"{WORDS[lang][verdict]} ({size}, {rr}; {tail})"


# ---------------------------------------------------------------------------------------------- trend wording
MARKERS = {
    "da": {"increasing": "stigende", "decreasing": "faldende", "no_significant_change": "ingen signifikant trend",
           "outlier": "ingen signifikant trend (ét år styrer retningen)", "too_few_points": "for få år til testen"},
    "en": {"increasing": "increasing", "decreasing": "decreasing", "no_significant_change": "no significant trend",
           "outlier": "no significant trend (one year drives the direction)", "too_few_points": "too few years for "
           "the test"},
}
TREND_WORDS = {
    "da": {"significant_decrease": "statistisk signifikant fald", "significant_increase":
           "statistisk signifikant stigning", "no_significant_change": "ingen statistisk signifikant udvikling",
           "not_tested": "beskrivende"},
    "en": {"significant_decrease": "statistically significant decrease", "significant_increase":
           "statistically significant increase", "no_significant_change": "no statistically significant trend",
           "not_tested": "descriptive"},
}


def _span(row: dict) -> str:
    first, last = row.get("first_period"), row.get("last_period")
    if _missing(first) or _missing(last):
        return ""
    # years, or the same half-year of each year ("2008H1"): the years it spans
    return f"{int(str(first)[:4])}–{int(str(last)[:4])}"


def trend_statement(row: dict, unit: str, lang: str) -> str:
    """The headline statement of one row of the trend table (METHODS.md §1.5, §2.3), naming its test.

    One test per headline: the weighted slope for shares, the Poisson regression for rates. The chi-square test
    for trend (the latest 5 years at 99.8 %) is a second opinion and is worded by :func:`trend_details`.
    """
    da = lang == "da"
    first = row.get("first_period")
    span = _span(row)
    if "too_few_periods" in (row.get("flags") or "") or _missing(row.get("slope")):
        if _missing(first):
            return "–"
        return (f"for få år til en trend (serien starter {int(first)})" if da else
                f"too few years for a trend (the series starts in {int(first)})")
    slope, su = float(row["slope"]), row.get("slope_unit")
    test = method_name(row.get("method"), lang)
    a_year = "om året" if da else "a year"
    if su == "pp/yr":
        verdict = row_verdict(row, slope < 0)
        size = f"{signed(slope, lang, 2)}{NBSP}{POINTS[lang]} {a_year}"
        ci = f"{LABELS[lang]['ci_short']} {number(row['ci_low'], lang, 2)} {'til' if da else 'to'} " \
             f"{number(row['ci_high'], lang, 2)}"
        text = f"{TREND_WORDS[lang][verdict]} {span}: {size} ({ci}; {test}, {pvalue(row['pvalue'], lang)})"
        if not _missing(row.get("target_pvalue")):
            pace = with_unit(number(abs(row["target_slope"]), lang, 1), "", lang)
            if row.get("target_ci_met"):
                text += (f"; hele intervallet er hurtigere end målets {pace}{NBSP}procentpoint om året" if da else
                         f"; the whole interval is beyond the target pace of {pace} percentage points a year")
            else:
                text += (f"; målets tempo på {pace}{NBSP}procentpoint om året er ikke påvist" if da else
                         f"; the target pace of {pace} percentage points a year is not shown")
        return text
    if su == "rate ratio/yr":
        verdict = row_verdict(row, slope < 1)
        pct = number(abs(100 * (slope - 1)), lang, 1)
        if da:
            move = f"{'falder' if slope < 1 else 'stiger'} ca. {pct}{NBSP}% om året"
        else:
            move = f"{'falls' if slope < 1 else 'rises'} by about {pct}% a year"
        ci = f"{LABELS[lang]['ci_short']} {interval(row['ci_low'], row['ci_high'], lang, 3)}"
        rr = ("rate-forhold " if da else "rate ratio ") + number(slope, lang, 3)
        return (f"{TREND_WORDS[lang][verdict]} {span}: {move} ({rr}, {ci}; {test}, "
                f"{pvalue(row['pvalue'], lang)})")
    decimals = 0 if abs(slope) >= 10 else 1
    size = with_unit(signed(slope, lang, decimals), unit, lang)
    return (f"{size} om året {span} (beskrivende; ingen test)" if da else
            f"{size} a year {span} (descriptive; no test)")


def trend_details(row: dict | None, lang: str) -> str:
    """The second trend test (chi-square for trend on the latest 5 years, at 99.8 %), for the details."""
    if not row or not isinstance(row.get("marker"), str) or not row.get("marker"):
        return ""
    marker = MARKERS[lang].get(row["marker"], "")
    if not marker:
        return ""
    if lang == "da":
        return (f"chi²-test for trend over de seneste 5 år på 99,8 %-niveau: {marker}. Testen er strengere end "
                "overskriftens og kan derfor vise ingen trend, hvor hældningen er signifikant.")
    return (f"chi-square test for trend over the latest 5 years at the 99.8% level: {marker}. It is stricter than "
            "the headline test, so it can show no trend where the slope is significant.")


def projection_statement(t: dict, unit: str, lang: str) -> str:
    """The projection to the target year with its 95 % prediction interval (METHODS.md §3.2), in words."""
    if t.get("projection_status") not in ("on_track_confident", "off_track_confident", "uncertain") or \
            _missing(t.get("projection")):
        return ""
    d = decimals_for(t["projection"], unit)
    year = int(t["target_year"])
    pi = with_unit(interval(t["pi_low"], t["pi_high"], lang, d), unit, lang)
    word = "fremskrivning til" if lang == "da" else "projection to"
    pi_word = "95 %-prædiktionsinterval" if lang == "da" else "95% prediction interval"
    return (f"{word} {year}: {value(t['projection'], unit, lang, d)} ({pi_word} {pi}): "
            f"{STATUS[lang][t['projection_status']]}")


# --------------------------------------------------------------------------------------------- limits wording
#: The kinds' own names for the limits they share (kinds declare ``limits``; the YAML kind names still work).
_LIMITS = {"survey_share": "share", "unit_share": "share", "stock_count": "stock", "clustered_count": "clustered"}


def limits_statement(kind: str, change: dict | None, trend: dict | None, annual_target: float | None,
                     lang: str) -> str:
    """What this year's data cannot tell, computed from the actual sizes (METHODS.md §1.4, §2.1, §2.4)."""
    da = lang == "da"
    parts = []
    change = change or {}
    flags = change.get("flags") or ""
    if "series_break" in flags:
        ref = int(change["ref_period"])
        parts.append(f"årets tal kan ikke testes mod {ref} på grund af databrud" if da else
                     f"this year cannot be tested against {ref} because of a series break")
    if "too_few_answers" in flags:
        parts.append("for få besvarelser til at opgøre ændringen" if da else "too few answers to measure the change")
    sig, mdd = change.get("significant_from"), change.get("mdd")
    kind = _LIMITS.get(kind, kind)
    if kind in ("share", "person_share") and not _missing(sig):
        pts = number(sig, lang, 2 if sig < 1 else 1)
        m = number(mdd, lang, 2 if mdd < 1 else 1)
        if da:
            text = (f"med disse antal skal en ændring på et år være mindst {pts}{NBSP}procentpoint for at være "
                    f"statistisk signifikant ({m}{NBSP}procentpoint for at blive opdaget med 80{NBSP}% "
                    "sandsynlighed)")
        else:
            text = (f"at these sizes a one-year change must be at least {pts} percentage points to be statistically "
                    f"significant ({m} points to be detected with 80% probability)")
        if annual_target is not None and abs(annual_target) < sig:
            t = number(abs(annual_target), lang, 0 if float(annual_target).is_integer() else 1)
            text += (f"; et fald på {t}{NBSP}procentpoint på ét år kan derfor ikke påvises" if da else
                     f"; a {t}-point fall in one year is therefore not detectable")
        parts.append(text)
    if kind == "person_share":
        parts.append("registertal for hele aldersgruppen: intervallet viser tilfældig variation" if da else
                     "register data for the whole age group: the interval shows random variation")
    if kind == "stock":
        parts.append("en bestand i et register: ingen stikprøveusikkerhed, men tallet afspejler også "
                     "registreringspraksis; ingen statistisk test" if da else
                     "a register stock: no sampling error, but the number also reflects recording practice; "
                     "no statistical test")
    if kind == "clustered" and not _missing(change.get("ci_low")):
        lo, hi = number(change["ci_low"], lang, 0), number(change["ci_high"], lang, 0)
        parts.append(f"lukkedage klumper sig i få institutioner: ændringens 95 %-interval er {lo} til {hi} dage"
                     .replace(" %", NBSP + "%") if da else
                     f"closure days cluster in a few institutions: the change's 95% interval is {lo} to {hi} days")
    if kind == "rate":
        parts.append("anmeldte forbrydelser måler også anmeldelsesadfærd og politiets indsats" if da else
                     "reported offences also measure reporting behaviour and police activity")
        phi = (trend or {}).get("dispersion")
        if not _missing(phi) and phi > 1:
            f = number(phi, lang, 1)
            parts.append(f"tallene svinger mere fra år til år end tilfældighed alene giver (φ = {f}), så testene er "
                         "justeret for det (quasi-Poisson)" if da else
                         f"the counts vary more from year to year than chance alone would (φ = {f}), so the tests "
                         "are adjusted for it (quasi-Poisson)")
    if trend and "too_few_periods" in (trend.get("flags") or ""):
        parts.append("for få sammenlignelige år til en trend" if da else "too few comparable years for a trend")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "." if text else "–"


# ------------------------------------------------------------------------------------------ notes and sources
def offence_group_note(group, lang: str) -> str:
    """The definition of an offence group (``config.OffenceGroup``) for the method notes."""
    if lang == "da":
        return (f"{group.name['da']}: anmeldte forbrydelser i Danmarks Statistiks STRAF11 (koder i parentes): "
                f"{group.definition['da']}; pr. 1.000 indbyggere den 1. januar (FOLK1A).")
    return (f"{group.name['en']}: offences reported in Statistics Denmark's STRAF11 (codes in brackets): "
            f"{group.definition['en']}; per 1,000 residents on 1 January (FOLK1A).")


def missing_source_note(files: list[str], measures: list[str], lang: str) -> str:
    """Optional sources that were not in the raw folder: the measures built on them show no data."""
    names = ", ".join(f"'{m}'" for m in measures)
    files_text = ", ".join(files)
    if lang == "da":
        return (f"{names} vises som 'ingen data': {files_text} findes ikke i råmappen. Læg filerne (fx hentet med "
                "'tryghed fetch dst') i råmappen for at få målet med.")
    verb = "is" if len(files) == 1 else "are"
    return (f"{names} shows 'no data': {files_text} {verb} not in the raw folder. Put the files (e.g. fetched with "
            "'tryghed fetch dst') in the raw folder to include the measure.")


def map_skipped(file: str, lang: str) -> str:
    """The map of the municipalities was not drawn because its boundary file is absent."""
    if lang == "da":
        return f"Kortet over kommunerne er sprunget over: grænsefilen {file} findes ikke i råmappen."
    return f"The map of the municipalities was skipped: the boundary file {file} is not in the raw folder."


def source_line(pipeline, indicator, lang: str, demo: bool) -> str:
    """"Kilde: …" for a figure or a table of one measure (``indicator`` None: the whole pipeline)."""
    head = LABELS[lang]["source"]
    if demo:
        return f"{head}: {LABELS[lang]['demo_source']}"
    inds = [indicator] if indicator is not None else list(pipeline.indicators)
    dst, files = [], []
    for ind in inds:
        for sid in (ind.source, ind.options.get("population")):
            src = pipeline.sources.get(sid) if sid else None
            if src is None:
                continue
            if src.format == "statbank":
                dst.append((src.table or sid).upper())
            else:
                files.append(src.file)
    parts = []
    if dst:
        parts.append(("Danmarks Statistik" if lang == "da" else "Statistics Denmark")
                     + f" ({', '.join(dict.fromkeys(dst))})")
    if files:
        parts.append(f"{pipeline.owner[lang]} ({', '.join(dict.fromkeys(files))})")
    return f"{head}: " + "; ".join(parts)


PEER_LABELS = {
    "da": {"area": "Område", "no_peers": "Pipelinen angiver ingen "
           "sammenligningskommuner; der er intet at sammenligne.", "no_map": "Pipelinen angiver intet kort.",
           "group": "Gruppe", "codes": "STRAF11-koder",
           "definition": "Definition", "rank_note": "Placering 1 er den højeste rate blandt kommunerne; hele landet "
           "indgår ikke i placeringen. Intervallerne viser tilfældig variation: en forskel på få pladser er ofte "
           "ikke en reel forskel."},
    "en": {"area": "Area", "no_peers": "The pipeline declares no peer municipalities; "
           "there is nothing to compare.", "no_map": "The pipeline declares no map.",
           "group": "Group", "codes": "STRAF11 codes", "definition": "Definition",
           "rank_note": "Rank 1 is the highest rate among the municipalities; the whole country is not ranked. The "
           "intervals show random variation: a difference of a few places is often not a real difference."},
}

_DA_ORDINALS = {1: "", 2: "næst", 3: "tredje", 4: "fjerde", 5: "femte", 6: "sjette", 7: "syvende", 8: "ottende",
                9: "niende", 10: "tiende"}


def rank_statement(name: str, measure: str, rank: int, of: int, year: int, lang: str) -> str:
    """"Ishøj har den tredjehøjeste rate blandt 7 kommuner …" / "Ishøj has the 3rd highest rate of 7 …"."""
    if lang == "da":
        place = f"den {_DA_ORDINALS[rank]}højeste" if rank in _DA_ORDINALS else f"den {rank}.-højeste"
        return f"{name} har {place} rate blandt {of} kommuner for {measure[:1].lower()}{measure[1:]} i {year}."
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    place = "the highest" if rank == 1 else f"the {rank}{suffix} highest"
    return f"{name} has {place} rate of {of} municipalities for {measure[:1].lower()}{measure[1:]} in {year}."


# ------------------------------------------------------------------------------ an assumed sample size (flagged)
#: A share whose sample size the YAML declares as an assumption (``assumed_n``): the words every statement that
#: rests on it carries. ``test`` follows the test's name; ``statement`` ends a statement whose test does not name it.
ASSUMED_N_TEXT = {
    "da": {"test": "på en antaget stikprøvestørrelse (n er ikke offentliggjort)",
           "statement": "hviler på en antaget stikprøvestørrelse (n er ikke offentliggjort)",
           "value": "interval på en antaget stikprøvestørrelse"},
    "en": {"test": "on an assumed sample size (n not published)",
           "statement": "rests on an assumed sample size (n not published)",
           "value": "interval on an assumed sample size"},
}
_ASSUMED_N_CORE = {"da": "antaget stikprøvestørrelse", "en": "assumed sample size"}


def rests_on_assumed_n(row: dict | None) -> bool:
    """Whether a change, trend or indicator row rests on an assumed sample size (flag or method ``assumed_n``)."""
    if not row:
        return False
    flags = row.get("flags") if isinstance(row.get("flags"), str) else ""
    method = row.get("method") if isinstance(row.get("method"), str) else ""
    return "assumed_n" in flags.split(";") or "flag assumed_n" in method


def assumed_n_mark(text: str, row: dict | None, lang: str, *, what: str = "statement") -> str:
    """``text`` with the assumed-sample-size flag in ``lang`` when ``row`` rests on one (once; unchanged otherwise).

    ``what`` is ``"statement"`` (a change or trend sentence), ``"test"`` (a test's name) or ``"value"`` (a value
    with its interval, e.g. the scorecard's "86 % (84–88)").
    """
    if not rests_on_assumed_n(row) or not text or text == "–" or _ASSUMED_N_CORE[lang] in text:
        return text
    words = ASSUMED_N_TEXT[lang][what]
    return f"{text} ({words})" if what == "value" else f"{text}, {words}" if what == "test" else f"{text}; {words}"


def _flag_assumed_n(fn):
    """Wrap a statement function ``fn(row, unit, lang)`` so that its text carries the assumed-n flag."""
    import functools

    @functools.wraps(fn)
    def wrapped(row, unit, lang):
        return assumed_n_mark(fn(row, unit, lang), row, lang)
    return wrapped


def _flag_assumed_n_test(fn):
    import functools

    @functools.wraps(fn)
    def wrapped(method, lang):
        return assumed_n_mark(fn(method, lang), {"method": method}, lang, what="test")
    return wrapped


method_name = _flag_assumed_n_test(method_name)
change_statement = _flag_assumed_n(change_statement)
trend_statement = _flag_assumed_n(trend_statement)


def _flag_assumed_n_limits(fn):
    """Wrap :func:`limits_statement`: the sizes it reasons from are an assumption when the change or trend is."""
    import functools

    @functools.wraps(fn)
    def wrapped(kind, change, trend, annual_target, lang):
        text = fn(kind, change, trend, annual_target, lang)
        if not (rests_on_assumed_n(change) or rests_on_assumed_n(trend)) or _ASSUMED_N_CORE[lang] in text:
            return text
        words = ("Intervaller og test hviler på en antaget stikprøvestørrelse (n er ikke offentliggjort)."
                 if lang == "da" else "Intervals and tests rest on an assumed sample size (n not published).")
        return words if text == "–" else f"{text} {words}"
    return wrapped


limits_statement = _flag_assumed_n_limits(limits_statement)


def since_survey(row: dict | None, text: str, lang: str) -> str:
    """``text`` (a change statement) led by the year it is measured from when that is not the year before (a
    biennial survey against its previous survey: "siden 2013: fald …"), so that it never reads as a change since last
    year; ``text`` itself otherwise."""
    if not row or row.get("comparison") != "previous_survey" or _missing(row.get("ref_period")):
        return text
    return f"{'siden' if lang == 'da' else 'since'} {int(row['ref_period'])}: {text}"


def missing_value(flags, year: int, lang: str, names_in=None) -> str:
    """A value that is missing, and why: "mangler: ingen tal for Valby i 2017" for a total over areas without a
    figure (flag ``incomplete:<areas>``, the areas' Danish names; ``names_in``: Danish name -> the name in
    ``lang``), else "mangler i data" (never a zero)."""
    text = flags if isinstance(flags, str) else ""
    names = next((f.split(":", 1)[1] for f in text.split(";") if f.startswith("incomplete:")), "")
    if names and names_in:
        names = ", ".join(names_in.get(n, n) for n in names.split(", "))
    if lang == "da":
        return f"mangler: ingen tal for {names} i {year}" if names else "mangler i data"
    return f"missing: no figure for {names} in {year}" if names else "missing in the data"


def not_measured(last: int | None, lang: str) -> str:
    """A measure whose source ended (or is not measured every year): "ikke målt i år (sidst målt 2013)"."""
    if lang == "da":
        return "ikke målt i år" + (f" (sidst målt {last})" if last is not None else "")
    return "not measured this year" + (f" (last measured {last})" if last is not None else "")


# ------------------------------------------------------------------------------------------ units and goals
#: The heading of the measures that serve none of the pipeline's goals (shown only when it declares goals).
OTHER_MEASURES = {"da": "Andre mål", "en": "Other measures"}
#: A value that was not measured (a table cell without a number).
NOT_MEASURED = {"da": "ikke målt", "en": "not measured"}


class Unit(str):
    """A unit code ("count", "days", ...) that also carries what it counts, in each language.

    It compares and hashes as its code, so every rule keyed on the code (decimals, "%" spacing) still applies;
    :func:`unit_text` (and so every statement built on it) shows its words: "5 lokalområder", "−26 dage".
    """

    words: dict
    one: dict

    def __new__(cls, code: str, words=None, one=None):
        obj = super().__new__(cls, str(code))
        obj.words = {lang: words[lang] for lang in LOCALES} if words else {}
        obj.one = {lang: one[lang] for lang in LOCALES} if one else {}
        return obj


def indicator_unit(indicator) -> Unit:
    """An indicator's unit with its ``unit_label`` (and ``unit_label_one``) from the YAML, if any, for every
    statement about it."""
    return Unit(indicator.unit, getattr(indicator, "unit_label", None), getattr(indicator, "unit_label_one", None))


def unit_label(indicator, lang: str) -> str:
    """The unit of an indicator as a column or an axis names it: its ``unit_label`` ("lokalområder"), else the
    unit's default ("%", "dage", "pr. 1.000"; "antal" for a count)."""
    return unit_text(indicator_unit(indicator), lang) or COUNT_WORD[lang]


# ------------------------------------------------------------------------------ effect evaluation (METHODS.md §5)
# Every sentence about an effect evaluation (tryghed.effects): the notes of effects.csv, the withheld reasons and
# the index page's section. The numbers come from ``EvaluationResults.facts()``; nothing is decided here.
EFFECT_WORDS = {
    "da": {
        "section": "Virkede indsatsen?", "its": "Afbrudt tidsserie", "did": "Forskel-i-forskelle",
        "placebo": "Placebotest i rum", "synthetic": "Syntetisk kontrol", "assumptions": "Antagelser og deres tjek",
        "figures": "Figurer", "notebook": "Hele analysen med alle tal og tjek",
        "from": "fra", "to": "til", "ratio": "rate-forhold", "per_1000": "pr. 1.000",
        "month": "måneder", "quarter": "kvartaler", "half": "halvår", "year": "år",
        "per_month": "pr. måned", "per_quarter": "pr. kvartal", "per_half": "pr. halvår", "per_year": "pr. år",
        "districts": "bydele", "areas": "områder", "and": "og",
        "reported": "rapporteret", "not_reported": "ikke rapporteret",
        "not_run": "ikke bedt om i pipelinen",
        "parallel_trends": "Parallelle trends", "no_spillover": "Ingen smitte til sammenligningsområderne",
        "no_cointervention": "Intet andet ændrede sig ved start",
    },
    "en": {
        "section": "Did it work?", "its": "Interrupted time series", "did": "Difference-in-differences",
        "placebo": "Placebo test in space", "synthetic": "Synthetic control", "assumptions": "Assumptions and their "
        "checks", "figures": "Figures", "notebook": "The whole analysis with every number and check",
        "from": "from", "to": "to", "ratio": "rate ratio", "per_1000": "per 1,000",
        "month": "months", "quarter": "quarters", "half": "half-years", "year": "years",
        "per_month": "per month", "per_quarter": "per quarter", "per_half": "per half-year", "per_year": "per year",
        "districts": "districts", "areas": "areas", "and": "and",
        "reported": "reported", "not_reported": "not reported",
        "not_run": "not asked for in the pipeline",
        "parallel_trends": "Parallel trends", "no_spillover": "No spill-over into the comparison areas",
        "no_cointervention": "Nothing else changed at the start",
    },
}

_EFFECT_REASONS = {
    "da": {
        "its_too_few": "for få perioder til en afbrudt tidsserie ({n_pre} før og {n_post} fra start; der skal "
                       "mindst 3 før, 2 efter og flere punkter end modellens {n_params} parametre)",
        "no_comparison": "intet sammenligningsområde",
        "too_few_periods": "for få perioder",
        "no_lead": "færre end 2 {unit} før start: ingen periode før start at teste",
        "few_comparison": "færre end 2 sammenligningsområder: ingen placebofordeling",
        "no_fake_start": "for få perioder før start til et falsk starttidspunkt",
        "synth_too_few": "for få donorområder eller perioder til en syntetisk kontrol (mindst 2 "
                         "sammenligningsområder, 2 perioder før start og 1 efter)",
        "synth_poor_fit": "tilpasningen før start er dårligere end den mediane placebos (RMSPE {pre} mod {median}): "
                          "den syntetiske kontrol følger ikke indsatsområdet før start",
    },
    "en": {
        "its_too_few": "too few periods for an interrupted time series ({n_pre} before and {n_post} from the start; "
                       "at least 3 before, 2 after and more points than the model's {n_params} parameters are "
                       "needed)",
        "no_comparison": "no comparison area",
        "too_few_periods": "too few periods",
        "no_lead": "fewer than 2 {unit} before the start: no lead to test",
        "few_comparison": "fewer than 2 comparison areas: no placebo distribution",
        "no_fake_start": "too few periods before the start for a fake start",
        "synth_too_few": "too few donors or periods for a synthetic control (at least 2 comparison areas, 2 periods "
                         "before the start and 1 after)",
        "synth_poor_fit": "pre-period fit worse than the median placebo (RMSPE {pre} against {median}): the "
                          "synthetic control does not track the treated area before the start",
    },
}


def sig(x: float, lang: str, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits in the language's number format ("1,23", "0,0456", "1.230")."""
    if _missing(x):
        return "–"
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return number(x, lang, 0) if x == 0 else str(x)
    d = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return number(x, lang, d)


def effect_reason(code: str, lang: str, **args) -> str:
    """Why a design was withheld (``code`` of :data:`_EFFECT_REASONS`), numbers in the language's format."""
    fmt = {k: (sig(v, lang, 4) if isinstance(v, float) else
               EFFECT_WORDS[lang].get(v, v) if k == "unit" else v) for k, v in args.items()}
    return _EFFECT_REASONS[lang][code].format(**fmt)


def effect_smallest_p(j: int, lang: str) -> str:
    """The smallest attainable placebo p in words: "With 13 areas … 1/13 = 0.077 …, so it can never reach p < 0.05"."""
    p = number(1 / j, lang, 3)
    if lang == "da":
        text = f"Med {j} områder kan et enkelt behandlet område højst nå p{NBSP}={NBSP}1/{j}{NBSP}={NBSP}{p} på " \
               "denne måde"
        return text + (f", så det kan aldrig nå p{NBSP}<{NBSP}{number(0.05, lang, 2)}." if 1 / j >= 0.05 else ".")
    text = f"With {j} areas a single treated area can at best reach p{NBSP}={NBSP}1/{j}{NBSP}={NBSP}{p} this way"
    return text + (f", so it can never reach p{NBSP}<{NBSP}{number(0.05, lang, 2)}." if 1 / j >= 0.05 else ".")


def effect_change(rr: float, lo: float, hi: float, lang: str) -> str:
    """A rate ratio as a relative change with its interval: "−18,7 % (95 %-KI fra −24,1 til −12,9 %)"."""
    W = EFFECT_WORDS[lang]
    size = with_unit(signed(100 * (rr - 1), lang, 1), "percent", lang)
    if _missing(lo) or _missing(hi):
        return size
    ci = f"{signed(100 * (lo - 1), lang, 1)} {W['to']} {with_unit(signed(100 * (hi - 1), lang, 1), 'percent', lang)}"
    return f"{size} ({LABELS[lang]['ci_short']} {W['from']} {ci})"


def effect_ratio(rr: float, lo: float, hi: float, lang: str, decimals: int = 3) -> str:
    """"rate-forhold 0,813 (95 %-KI 0,759–0,871)"."""
    text = f"{EFFECT_WORDS[lang]['ratio']} {number(rr, lang, decimals)}"
    if not _missing(lo) and not _missing(hi):
        text += f" ({LABELS[lang]['ci_short']} {interval(lo, hi, lang, decimals)})"
    return text


def effect_period(label: str, lang: str) -> str:
    """A start period in words: "januar 2017", "1. kvartal 2017", "2017"."""
    m = re.match(r"^(\d{4})(?:-(\d{2})|[QK]([1-4])|H([12]))?$", str(label))
    if not m:
        return str(label)
    year, month, quarter, half = m.groups()
    if month:
        import datetime

        from babel.dates import format_date
        return format_date(datetime.date(int(year), int(month), 1), "MMMM y", locale=LOCALES[lang])
    if quarter:
        return f"{quarter}. kvartal {year}" if lang == "da" else f"Q{quarter} {year}"
    if half:
        return f"{half}. halvår {year}" if lang == "da" else f"H{half} {year}"
    return year


def _clause(sentence: str) -> str:
    """A sentence as a clause of a "; "-joined note: first letter small, no full stop."""
    return sentence[:1].lower() + sentence[1:].rstrip(".")


def _withheld_text(facts: dict, design: str, lang: str) -> str:
    w = facts.get("withheld", {}).get(design)
    why = effect_reason(w["code"], lang, **w.get("args", {})) if w else ""
    return ("tilbageholdt: " if lang == "da" else "withheld: ") + why


def _poisson_name(f: dict, da: bool) -> str:
    """The model's name in an effect note: quasi-Poisson where the fit showed overdispersion."""
    return ("kvasi-Poisson" if da else "quasi-Poisson") if f["overdispersed"] else "Poisson"


def effect_notes(design: str, facts: dict, lang: str) -> str:
    """The ``notes`` cell of one effects.csv row (``design``: its, did, event_study, placebo, synthetic)."""
    da = lang == "da"
    if design in facts.get("withheld", {}) and (design != "synthetic" or not facts.get("synthetic")):
        return _withheld_text(facts, design, lang)
    if design == "its":
        f = facts["its"]
        unit = EFFECT_WORDS[lang][f["unit"]]
        parts = [(f"effekten {f['k']} {unit} efter start ({f['n_pre']} perioder før, {f['n_post']} fra start)" if da
                  else f"effect {f['k']} {unit} after the start ({f['n_pre']} periods before, {f['n_post']} from "
                  "the start)"),
                 (_poisson_name(f, da) + (" (overspredning " if da else
                                                                             " (dispersion ")
                  + sig(f["dispersion"], lang) + ")"),
                 (f"Ljung-Box p {sig(f['ljung_box_p'], lang)} ved lag {f['ljung_box_lag']}, Durbin-Watson "
                  f"{sig(f['durbin_watson'], lang)}" if da else
                  f"Ljung-Box p {sig(f['ljung_box_p'], lang)} at lag {f['ljung_box_lag']}, Durbin-Watson "
                  f"{sig(f['durbin_watson'], lang)}")]
        if f["autocorrelation_adjusted"]:
            parts.append(f"Newey-West-standardfejl, {f['hac_lags']} lag" if da else
                         f"Newey-West SEs, {f['hac_lags']} lags")
        elif f["autocorrelation"]:
            parts.append("autokorrelation påvist, men Newey-West-standardfejlene var ikke større: modellens "
                         "standardfejl beholdt" if da else
                         "autocorrelation shown, but Newey-West SEs were not wider: model SEs kept")
        else:
            parts.append("modellens standardfejl" if da else "model SEs")
        if f["descriptive"]:
            parts.insert(0, f"beskrivende: færre end {f['min_points']} punkter før eller efter start" if da else
                         f"descriptive: fewer than {f['min_points']} points before or after the start")
        parts.append("forudsætter, at intet andet ændrede sig ved start (ingen samtidig indsats, ingen ændring i "
                     "registreringen)" if da else
                     "assumes no other change at the start (no co-intervention, no change in recording)")
        return sentence_join(parts)
    if design == "did":
        f, es, pt, pl = facts["did"], facts.get("event_study"), facts.get("placebo_time"), facts.get("placebo")
        parts = [_poisson_name(f, da) + (" (overspredning " if da else
                                                                          " (dispersion ")
                 + sig(f["dispersion"], lang) + ")",
                 f"{f['n_comparison']} sammenligningsområder" if da else f"{f['n_comparison']} comparison areas"]
        if es:
            parts.append(f"parallelle trends: test af perioderne før start p {sig(es['p'], lang)}" if da else
                          f"parallel trends: pre-trend test p {sig(es['p'], lang)}")
        else:
            w = facts.get("withheld", {}).get("event_study")
            why = effect_reason(w["code"], lang, **w.get("args", {})) if w else ""
            parts.append(f"parallelle trends: testen af perioderne før start tilbageholdt ({why})" if da else
                         f"parallel trends: pre-trend test withheld ({why})")
        if pt:
            parts.append(f"placebo i tid: {pt['n_significant']} af {pt['n_fake']} falske starttidspunkter med "
                         f"p{NBSP}<{NBSP}{number(0.05, lang, 2)}" if da else
                         f"in-time placebos: {pt['n_significant']} of {pt['n_fake']} fake starts with "
                         f"p{NBSP}<{NBSP}{number(0.05, lang, 2)}")
        parts.append("ingen smitte til sammenligningsområderne: antaget, kan ikke testes i panelet" if da else
                     "no spill-over into the comparison areas: assumed, not testable from the panel")
        if pl:
            parts.append(_clause(effect_smallest_p(pl["n_placebo"], lang)))
        return sentence_join(parts)
    if design == "event_study":
        f = facts["event_study"]
        unit = EFFECT_WORDS[lang][f["unit"]]
        return (f"p er den samlede Wald-test af de {f['df']} perioder ({unit}) før start mod den sidste før start "
                f"(H0: parallelle trends før start; chi2 {sig(f['stat'], lang)}); estimaterne før og efter start "
                "er i figuren" if da else
                f"p is the joint Wald test of the {f['df']} leads in {unit} before the start, against the last one "
                f"before it (H0: parallel trends before the start; chi2 {sig(f['stat'], lang)}); the leads and lags "
                "are in the figure")
    if design == "placebo":
        f, pt = facts["placebo"], facts.get("placebo_time")
        parts = [(f"{f['rank']} af de {f['n_placebo']} områder (indsatsområdet medregnet) har en mindst lige så "
                  "stor effekt som indsatsområdet" if da else
                  f"{f['rank']} of the {f['n_placebo']} areas (the treated counted) have an effect at least as "
                  "large as the treated area's"), _clause(effect_smallest_p(f["n_placebo"], lang))]
        if pt:
            parts.append(f"placebo i tid: rang-p {sig(pt['p_rank'], lang)} over {pt['n_fake']} falske "
                         "starttidspunkter" if da else
                         f"in-time placebo rank p {sig(pt['p_rank'], lang)} over {pt['n_fake']} fake starts")
        return sentence_join(parts)
    if design == "synthetic":
        f = facts["synthetic"]
        prefix = _withheld_text(facts, design, lang) + "; " if not f["reported"] else ""
        top = ", ".join(f"{a} {number(w, lang, 2)}" for a, w in sorted(f["weights"].items(), key=lambda kv: -kv[1])
                        if w > 0.005)
        return prefix + (f"p fra permutationstest af forholdet mellem RMSPE efter og før start; RMSPE før start "
                         f"{sig(f['pre_rmspe'], lang, 4)} (medianen for placeboerne "
                         f"{sig(f['median_placebo_pre_rmspe'], lang, 4)}); donorvægte: {top}; intet interval" if da else
                         f"post/pre RMSPE ratio permutation p; pre-period RMSPE {sig(f['pre_rmspe'], lang, 4)} "
                         f"(median placebo {sig(f['median_placebo_pre_rmspe'], lang, 4)}); donor weights: {top}; "
                         "no interval")
    raise KeyError(design)


def effect_section(facts: dict, lang: str, *, names: dict | None = None, measure: str | None = None,
                   districts: bool = False, figures: list[tuple[str, str]] = ()) -> dict:
    """The index page's words for one evaluation (its ``facts()``): effect sizes with intervals first, the placebo
    p with the smallest attainable p, synthetic control reported or withheld and why, the assumptions with their
    checks, and the figures' captions and alternative text.

    Returns ``title``, ``intro``, ``results`` (``design, label, text, estimate``), ``verdict``, ``assumptions``
    (``name, check``) and ``figures`` (``kind, figure, title, alt``). ``districts``: the comparison areas are
    bydele (the verdict says "the other districts"; otherwise "the other areas").
    """
    da = lang == "da"
    W = EFFECT_WORDS[lang]
    names = names or {}
    areas = f" {W['and']} ".join(names.get(a, a) for a in facts["treated"])
    measure = measure or facts["indicator_id"]
    start = effect_period(facts["start"], lang)
    others = W["districts"] if districts else W["areas"]
    f_its, f_did, f_pl = facts.get("its"), facts.get("did"), facts.get("placebo")
    f_es, f_pt, f_sc = facts.get("event_study"), facts.get("placebo_time"), facts.get("synthetic")
    designs = facts.get("designs") or ()
    n_comp = len(facts.get("comparison") or ())
    intro = (f"{areas} {W['from']} {start} sammenlignet med de {n_comp} øvrige {others}. Effekterne er "
             "rate-forhold (1 = ingen forskel), vist som procentvis ændring med 95 %-konfidensinterval." if da else
             f"{areas} {W['from']} {start} compared with the {n_comp} other {others}. Effects are rate ratios "
             "(1 = no difference), shown as a percentage change with its 95% confidence interval.")
    results = []
    if "did" in designs:
        if f_did:
            text = (f"{effect_change(f_did['estimate'], *f_did['ci'], lang)}; "
                    f"{effect_ratio(f_did['estimate'], *f_did['ci'], lang)}; "
                    + ("gennemsnitlig ændring efter start i forhold til sammenligningsområderne" if da else
                       "average change after the start relative to the comparison areas"))
        else:
            text = _withheld_text(facts, "did", lang)
        results.append({"design": "did", "label": W["did"], "text": text,
                        "estimate": f_did["estimate"] if f_did else None})
    if "its" in designs:
        if f_its:
            unit = W[f_its["unit"]]
            text = (f"{effect_change(f_its['effect'], *f_its['ci'], lang)} "
                    + (f"{f_its['k']} {unit} efter start; niveauskift ved start: " if da else
                       f"{f_its['k']} {unit} after the start; level change at the start: ")
                    + effect_ratio(f_its["level_change"], *f_its["level_ci"], lang)
                    + ("; ændring i hældning " if da else "; slope change ") + W["per_" + f_its["unit"]] + ": "
                    + effect_ratio(f_its["slope_change"], *f_its["slope_ci"], lang, decimals=4))
            if f_its["descriptive"]:
                text = (f"Beskrivende (færre end {f_its['min_points']} punkter før eller efter start): " if da else
                        f"Descriptive (fewer than {f_its['min_points']} points before or after the start): ") + text
        else:
            text = _withheld_text(facts, "its", lang)
        results.append({"design": "its", "label": W["its"], "text": text,
                        "estimate": f_its["effect"] if f_its else None})
    if "placebo" in designs or "did" in designs:
        if f_pl:
            p = pvalue(f_pl["p"], lang).replace("p", "placebo-p" if da else "placebo p", 1)
            text = (f"{p}: {f_pl['rank']} af de {f_pl['n_placebo']} områder (indsatsområdet medregnet) ændrede sig "
                    "mindst lige så meget. "
                    if da else
                    f"{p}: {f_pl['rank']} of the {f_pl['n_placebo']} areas (the treated included) changed at least as "
                    "much. ") \
                + effect_smallest_p(f_pl["n_placebo"], lang)
        else:
            text = _withheld_text(facts, "placebo", lang)
        results.append({"design": "placebo", "label": W["placebo"], "text": text, "estimate": None})
    if "synthetic" in designs:
        if f_sc and f_sc["reported"]:
            text = (f"{W['reported']}: {effect_ratio(f_sc['estimate'], math.nan, math.nan, lang)} "
                    + ("(metoden giver intet interval); permutations-p " if da else
                       "(the method gives no interval); permutation p ")
                    + f"{number(f_sc['p'], lang, 3)} ({f_sc['n_placebo']} " + (f"{W['areas']})" if da else "areas)"))
        else:
            w = facts.get("withheld", {}).get("synthetic")
            why = effect_reason(w["code"], lang, **w.get("args", {})) if w else ""
            text = f"{W['not_reported']}: {why}"
    else:
        text = W["not_run"]
    results.append({"design": "synthetic", "label": W["synthetic"], "text": text,
                    "estimate": f_sc["estimate"] if f_sc and f_sc["reported"] else None})

    verdict = ""
    if f_did and f_pl:
        if f_pl["most_extreme"]:
            verdict = (f"Ændringen er forenelig med en effekt af indsatsen: den er den største af de "
                       f"{f_pl['n_placebo']} områder, og placebo-p er den mindste opnåelige. Den kan ikke bevise en "
                       "effekt; den siger, at ingen af de øvrige områder ændrede sig lige så meget." if da else
                       f"The change is consistent with an effect of the programme: it is the largest of the "
                       f"{f_pl['n_placebo']} areas, and the placebo p is the smallest attainable. It cannot prove an "
                       "effect; it says that none of the other areas changed as much.")
        else:
            verdict = (f"Ændringen kan ikke skelnes fra de øvrige {others}: {f_pl['rank']} af de "
                       f"{f_pl['n_placebo']} områder (indsatsområdet medregnet) ændrede sig mindst lige så meget."
                       if da else
                       f"The change cannot be distinguished from the other {others}: {f_pl['rank']} of the "
                       f"{f_pl['n_placebo']} areas (the treated included) changed at least as much.")
        if f_es and f_es["p"] < ALPHA:
            verdict += (f" Men testen af perioderne før start taler imod parallelle trends ({pvalue(f_es['p'], lang)}),"
                        " så estimatet kan være skævt." if da else
                        f" But the test of the periods before the start speaks against parallel trends "
                        f"({pvalue(f_es['p'], lang)}), so the estimate may be biased.")
    elif f_did:
        verdict = ("Uden placebotest hviler vurderingen alene på modellens interval, som med ét behandlet område kan "
                   "være for smalt." if da else
                   "Without a placebo test the judgement rests on the model's interval alone, which can be too narrow "
                   "with one treated area.")
    elif f_its:
        outside = f_its["ci"][0] > 1 or f_its["ci"][1] < 1
        verdict = (("Ændringen efter start er forenelig med en effekt af indsatsen, hvis intet andet ændrede sig "
                    "ved start." if outside else "Ændringen efter start kan ikke skelnes fra den hidtidige "
                    "udvikling.") if da else
                   ("The change after the start is consistent with an effect of the programme if nothing else "
                    "changed at the start." if outside else "The change after the start cannot be distinguished "
                    "from the earlier course."))

    assumptions = []
    if "did" in designs or "placebo" in designs:
        checks = []
        if f_es:
            unit = W[f_es["unit"]]
            checks.append((f"samlet test af de {f_es['df']} perioder ({unit}) før start: {pvalue(f_es['p'], lang)}, "
                           + ("tegn på forskellige trends før start" if f_es["p"] < ALPHA else
                              "ingen tegn på forskellige trends før start")) if da else
                          (f"joint test of the {f_es['df']} pre-period leads ({unit}): {pvalue(f_es['p'], lang)}, "
                           + ("a sign of diverging trends before the start" if f_es["p"] < ALPHA else
                              "no sign of diverging trends before the start")))
        else:
            w = facts.get("withheld", {}).get("event_study")
            why = effect_reason(w["code"], lang, **w.get("args", {})) if w else ""
            checks.append(("testen af perioderne før start kunne ikke laves: " if da else
                           "the pre-trend test could not be run: ") + why)
        if f_pt:
            checks.append(f"placebo i tid: {f_pt['n_significant']} af {f_pt['n_fake']} falske starttidspunkter med "
                          f"p{NBSP}<{NBSP}{number(0.05, lang, 2)}" if da else
                          f"in-time placebos: {f_pt['n_significant']} of {f_pt['n_fake']} fake starts with "
                          f"p{NBSP}<{NBSP}{number(0.05, lang, 2)}")
        assumptions.append({"name": W["parallel_trends"], "check": sentence_join(checks)})
        assumptions.append({"name": W["no_spillover"], "check": (
            "kan ikke testes i panelet: flyttede kriminaliteten til sammenligningsområderne, overvurderes effekten; "
            "spredte gevinsten sig, undervurderes den" if da else
            "not testable from the panel: if crime moved into the comparison areas the effect is overstated; if the "
            "benefit spread to them it is understated")})
    if "its" in designs:
        assumptions.append({"name": W["no_cointervention"], "check": (
            "kan ikke testes i serien selv: en samtidig indsats eller en ændret registrering ville indgå i "
            "estimatet" if da else
            "not testable from the series itself: a simultaneous programme or a change in recording would be part "
            "of the estimate")})

    figs = []
    for kind, figure in figures:
        if kind == "its" and f_its:
            title = ("Observeret mod forløbet uden indsatsen" if da else
                     "Observed against the path without the programme")
            alt = (f"{measure}, {areas}: observeret rate {W['per_1000']} mod modellens forløb uden indsatsen med "
                   f"95 %-bånd; {effect_change(f_its['effect'], *f_its['ci'], lang)} {f_its['k']} "
                   f"{W[f_its['unit']]} efter start." if da else
                   f"{measure}, {areas}: observed rate {W['per_1000']} against the model's path without the programme "
                   f"with its 95% band; {effect_change(f_its['effect'], *f_its['ci'], lang)} {f_its['k']} "
                   f"{W[f_its['unit']]} after the start.")
        elif kind == "event" and f_es:
            title = "Før og efter start, år for år" if da else "Event study: before and after the start"
            alt = (f"{measure}, {areas}: {W['ratio']} mod sammenligningsområderne for hver periode før og efter "
                   f"{start} med 95 %-konfidensintervaller; samlet test af perioderne før start "
                   f"{pvalue(f_es['p'], lang)}." if da else
                   f"{measure}, {areas}: {W['ratio']} against the comparison areas for each period before and after "
                   f"{start} with 95% confidence intervals; joint test of the leads {pvalue(f_es['p'], lang)}.")
        elif kind == "placebo" and f_pl:
            title = "Placebofordelingen" if da else "The placebo distribution"
            alt = (f"{measure}: {W['ratio']} for hvert af de {f_pl['n_placebo']} områder behandlet som indsatsområde, "
                   f"{areas} markeret; {f_pl['rank']} af {f_pl['n_placebo']} ændrede sig mindst lige så meget." if da
                   else
                   f"{measure}: {W['ratio']} for each of the {f_pl['n_placebo']} areas treated as the programme area, "
                   f"{areas} marked; {f_pl['rank']} of {f_pl['n_placebo']} changed at least as much.")
        else:
            continue
        figs.append({"kind": kind, "figure": figure, "title": title, "alt": alt})
    return {"title": f"{measure} – {areas}", "intro": intro, "results": results, "verdict": verdict,
            "assumptions": assumptions, "figures": figs}
