"""Danish and English wording of the report: labels, target categories and plain-language statements.

Statements follow METHODS.md §0: "statistisk signifikant fald/stigning", "ingen statistisk signifikant ændring",
never "no change"; no test across a series break; "for få besvarelser" instead of an estimate.
"""

from __future__ import annotations

import math

LABELS = {
    "da": {
        "measure": "Mål", "area": "Område", "baseline": "Udgangspunkt", "this_year": "I år",
        "change": "Ændring siden sidste år", "target": "Målsætning", "status": "Status",
        "notebooks": "Notebooks", "figures": "Figurer", "scorecard": "Resultatoversigt", "method_notes": "Metode",
        "demo_banner": "DEMODATA – SYNTETISKE TAL. Denne rapport er bygget på opdigtede data og er ikke officiel "
                       "statistik.",
        "title": "{name}: evaluering {year}", "made_by": "Lavet med tryghed",
        "exports": "Tabeller til at kopiere: {csv} · {xlsx}",
        "ci": "95 %-konfidensinterval",
    },
    "en": {
        "measure": "Measure", "area": "Area", "baseline": "Baseline", "this_year": "This year",
        "change": "Change since last year", "target": "Target", "status": "Status",
        "notebooks": "Notebooks", "figures": "Figures", "scorecard": "Scorecard", "method_notes": "Method notes",
        "demo_banner": "DEMO DATA – SYNTHETIC. This report is built on invented data and is not official "
                       "statistics.",
        "title": "{name}: evaluation {year}", "made_by": "Made with tryghed",
        "exports": "Tables to paste: {csv} · {xlsx}",
        "ci": "95% confidence interval",
    },
}

STATUS = {
    "da": {
        "achieved": "Nået", "not_achieved": "Ikke nået", "on_track": "På rette vej",
        "acceleration_needed": "Fremgang, men for langsomt", "insufficient_progress": "Utilstrækkelig fremgang",
        "moving_away": "Bevæger sig væk fra målet", "met_this_year": "Opfyldt i år",
        "not_met_this_year": "Ikke opfyldt i år", "not_assessable": "Kan ikke vurderes",
    },
    "en": {
        "achieved": "Achieved", "not_achieved": "Not achieved", "on_track": "On track",
        "acceleration_needed": "Progress, acceleration needed", "insufficient_progress": "Insufficient progress",
        "moving_away": "Moving away from the target", "met_this_year": "Met this year",
        "not_met_this_year": "Not met this year", "not_assessable": "Cannot be assessed",
    },
}

UNITS = {"da": {"percent": "%", "count": "", "days": "dage"}, "en": {"percent": "%", "count": "", "days": "days"}}


def number(x: float, lang: str, decimals: int = 1) -> str:
    """Format a number with the language's decimal mark; a missing value is a dash."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    s = f"{x:,.{decimals}f}"
    if lang == "da":
        s = s.replace(",", "\u00a0").replace(".", ",")
    else:
        s = s.replace(",", "\u2009")
    return s


def pvalue(p: float, lang: str) -> str:
    if p < 0.001:
        return "p < 0,001" if lang == "da" else "p < 0.001"
    return "p = " + number(p, lang, 3)


def value(x: float, unit: str, lang: str) -> str:
    decimals = 0 if unit in ("count", "days") else (2 if abs(x) < 5 else 1) if not math.isnan(x) else 1
    u = UNITS[lang].get(unit, unit)
    text = number(x, lang, decimals)
    return f"{text} {u}".strip() if u and u != "%" else (f"{text} %" if lang == "da" and u == "%" else
                                                        (f"{text}%" if u == "%" else text))


def change_statement(row: dict, unit: str, lang: str) -> str:
    """The plain-language statement of one row of the change table."""
    flags = row.get("flags") or ""
    da = lang == "da"
    if "too_few_answers" in flags:
        return "for få besvarelser til at opgøre" if da else "too few answers to estimate"
    change = row.get("change")
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "ingen sammenligning" if da else "no comparison"
    pp = unit == "percent"
    decimals = 0 if unit in ("count", "days") else (2 if abs(change) < 1 else 1)
    size = number(change, lang, decimals) + (" pct.-point" if da and pp else " percentage points" if pp else "")
    if size[0] not in "+-–":
        size = ("+" if change > 0 else "") + size
    if "series_break" in flags:
        return (f"{size}; ingen test på tværs af databrud" if da else f"{size}; no test across a series break")
    p = row.get("pvalue")
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return (f"{size} (optælling; ingen statistisk test)" if da else f"{size} (a count; no statistical test)")
    q = row.get("qvalue")
    sig = (q if q is not None and not math.isnan(q) else p) < 0.05
    ptext = pvalue(p, lang)
    if sig:
        word = ("statistisk signifikant fald" if change < 0 else "statistisk signifikant stigning") if da else \
            ("statistically significant decrease" if change < 0 else "statistically significant increase")
    else:
        word = "ingen statistisk signifikant ændring" if da else "no statistically significant change"
    return f"{word} ({size}, {ptext})"
