"""Danish and English wording of the report: labels, target categories and plain-language statements.

Statements follow METHODS.md §0: "statistisk signifikant fald/stigning", "ingen statistisk signifikant ændring",
never "no change"; no test across a series break; "for få besvarelser" instead of an estimate.
"""

from __future__ import annotations

import math

LABELS = {
    "da": {
        "measure": "Mål", "area": "Område", "level": "Niveau", "baseline": "Udgangspunkt", "this_year": "I år",
        "change": "Ændring siden sidste år", "target": "Målsætning", "status": "Status",
        "notebooks": "Notebooks", "figures": "Figurer", "scorecard": "Resultatoversigt", "method_notes": "Metode",
        "demo_banner": "DEMODATA – SYNTETISKE TAL. Denne rapport er bygget på opdigtede data og er ikke officiel "
                       "statistik.",
        "title": "{name}: evaluering {year}", "made_by": "Lavet med tryghed",
        "exports": "Tabeller til at kopiere: {csv} · {xlsx}",
        "ci": "95 %-konfidensinterval", "trend": "Udvikling (trend)", "limits": "Hvad tallene ikke kan vise",
    },
    "en": {
        "measure": "Measure", "area": "Area", "level": "Level", "baseline": "Baseline", "this_year": "This year",
        "change": "Change since last year", "target": "Target", "status": "Status",
        "notebooks": "Notebooks", "figures": "Figures", "scorecard": "Scorecard", "method_notes": "Method notes",
        "demo_banner": "DEMO DATA – SYNTHETIC. This report is built on invented data and is not official "
                       "statistics.",
        "title": "{name}: evaluation {year}", "made_by": "Made with tryghed",
        "exports": "Tables to paste: {csv} · {xlsx}",
        "ci": "95% confidence interval", "trend": "Trend", "limits": "What the data cannot tell",
    },
}

STATUS = {
    "da": {
        "achieved": "Nået", "not_achieved": "Ikke nået", "on_track": "På rette vej",
        "acceleration_needed": "Fremgang, men for langsomt", "insufficient_progress": "Utilstrækkelig fremgang",
        "moving_away": "Bevæger sig væk fra målet", "met_this_year": "Opfyldt i år",
        "not_met_this_year": "Ikke opfyldt i år", "not_assessable": "Kan ikke vurderes",
        "stagnation_or_regression": "Stilstand eller tilbagegang", "on_track_confident": "på rette vej (sikkert)",
        "off_track_confident": "ikke på rette vej (sikkert)", "uncertain": "usikkert",
    },
    "en": {
        "achieved": "Achieved", "not_achieved": "Not achieved", "on_track": "On track",
        "acceleration_needed": "Progress, acceleration needed", "insufficient_progress": "Insufficient progress",
        "moving_away": "Moving away from the target", "met_this_year": "Met this year",
        "not_met_this_year": "Not met this year", "not_assessable": "Cannot be assessed",
        "stagnation_or_regression": "Stagnation or regression", "on_track_confident": "on track (confident)",
        "off_track_confident": "off track (confident)", "uncertain": "uncertain",
    },
}

LEVEL_NAMES = {
    "da": {"city": "By", "district": "Bydel", "survey_district": "Undersøgelsesbydel", "municipality": "Kommune",
           "country": "Hele landet"},
    "en": {"city": "City", "district": "District", "survey_district": "Survey district", "municipality": "Municipality",
           "country": "Whole country"},
}

UNITS = {"da": {"percent": "%", "count": "", "days": "dage"}, "en": {"percent": "%", "count": "", "days": "days"}}
UNITS["da"]["per_1000"] = "pr. 1.000"
UNITS["en"]["per_1000"] = "per 1,000"


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


def _verdict(significant: bool, falling: bool, da: bool) -> str:
    """METHODS.md §0 wording of a tested change: significant fall/rise, or no significant change (never "no change")."""
    if significant:
        if da:
            return "statistisk signifikant fald" if falling else "statistisk signifikant stigning"
        return "statistically significant decrease" if falling else "statistically significant increase"
    return "ingen statistisk signifikant ændring" if da else "no statistically significant change"


def change_statement(row: dict, unit: str, lang: str) -> str:
    """The plain-language statement of one row of the change table."""
    flags = row.get("flags") or ""
    da = lang == "da"
    if "too_few_answers" in flags:
        return "for få besvarelser til at opgøre" if da else "too few answers to estimate"
    if "suppressed" in flags or "disclosure" in flags:
        return "undertrykt af hensyn til diskretion" if da else "suppressed to protect persons"
    change = row.get("change")
    if change is None or (isinstance(change, float) and math.isnan(change)):
        return "ingen sammenligning" if da else "no comparison"
    if row.get("scale") == "ratio" and "series_break" not in flags:
        return ratio_statement(row, lang)
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
    return f"{_verdict(sig, change < 0, da)} ({size}, {ptext})"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


MARKERS = {
    "da": {"increasing": "stigende trend", "decreasing": "faldende trend",
           "no_significant_change": "ingen signifikant trend", "outlier": "ingen signifikant trend (ét år styrer "
           "retningen)", "too_few_points": "for få år til trendtesten"},
    "en": {"increasing": "increasing trend", "decreasing": "decreasing trend",
           "no_significant_change": "no significant trend", "outlier": "no significant trend (one year drives the "
           "direction)", "too_few_points": "too few years for the trend test"},
}


def trend_statement(row: dict, unit: str, lang: str) -> str:
    """The plain-language statement of one row of the trend table (METHODS.md §1.5, §2.3)."""
    da = lang == "da"
    first, last = row.get("first_period"), row.get("last_period")
    span = f"{int(first)}–{int(last)}" if not _missing(first) and not _missing(last) else ""
    if "too_few_periods" in (row.get("flags") or "") or _missing(row.get("slope")):
        return (f"for få år til en trend (segmentet starter {int(first)})" if da else
                f"too few years for a trend (the segment starts in {int(first)})") if not _missing(first) else "–"
    slope, su = row["slope"], row.get("slope_unit")
    if su == "pp/yr":
        size = number(slope, lang, 2) + (" pct.-point pr. år" if da else " percentage points a year")
        size = ("+" if slope > 0 else "") + size
        ci = f"{number(row['ci_low'], lang, 2)} til {number(row['ci_high'], lang, 2)}" if da else \
            f"{number(row['ci_low'], lang, 2)} to {number(row['ci_high'], lang, 2)}"
        sig = row["pvalue"] < 0.05
        if da:
            word = ("statistisk signifikant " + ("fald" if slope < 0 else "stigning")) if sig else \
                "ingen statistisk signifikant udvikling"
        else:
            word = ("statistically significant " + ("decrease" if slope < 0 else "increase")) if sig else \
                "no statistically significant trend"
        marker = MARKERS[lang].get(row.get("marker") or "", "")
        text = f"{word} {span}: {size} (95 %-KI {ci}, {pvalue(row['pvalue'], lang)})" if da else \
            f"{word} {span}: {size} (95% CI {ci}, {pvalue(row['pvalue'], lang)})"
        if marker:
            text += f"; {marker} (Fingertips 99,8 %)" if da else f"; {marker} (Fingertips 99.8%)"
        if not _missing(row.get("target_pvalue")):
            pace = number(abs(row["target_slope"]), lang, 1)
            if row.get("target_ci_met"):
                text += (f"; hele intervallet ligger under målets {pace} point pr. år" if da else
                         f"; the whole interval is beyond the target pace of {pace} points a year")
            else:
                text += (f"; målets tempo på {pace} point pr. år er ikke påvist" if da else
                         f"; the target pace of {pace} points a year is not shown")
        return text
    if su == "rate ratio/yr":
        rr = number(row["slope"], lang, 3)
        ci = f"{number(row['ci_low'], lang, 3)}–{number(row['ci_high'], lang, 3)}"
        return (f"rate-forhold {rr} pr. år {span} (95 %-KI {ci}, {pvalue(row['pvalue'], lang)})" if da else
                f"rate ratio {rr} a year {span} (95% CI {ci}, {pvalue(row['pvalue'], lang)})")
    decimals = 0 if abs(slope) >= 10 else 1
    size = ("+" if slope > 0 else "") + number(slope, lang, decimals)
    u = UNITS[lang].get(unit, "")
    size = f"{size} {u}".strip()
    return (f"{size} pr. år {span} (beskrivende; ingen test)" if da else
            f"{size} a year {span} (descriptive; no test)")


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
    if kind in ("survey_share", "unit_share", "person_share") and not _missing(sig):
        pts = number(sig, lang, 2 if sig < 1 else 1)
        m = number(mdd, lang, 2 if mdd < 1 else 1)
        if da:
            text = (f"med disse antal skal en ændring på et år være mindst {pts} pct.-point for at være statistisk "
                    f"signifikant ({m} point for at blive opdaget med 80 % sandsynlighed)")
        else:
            text = (f"at these sizes a one-year change must be at least {pts} percentage points to be statistically "
                    f"significant ({m} points to be detected with 80% probability)")
        if annual_target is not None and abs(annual_target) < sig:
            t = number(abs(annual_target), lang, 0 if float(annual_target).is_integer() else 1)
            text += (f"; et fald på {t} point på ét år kan derfor ikke påvises" if da else
                     f"; a {t}-point fall in one year is therefore not detectable")
        parts.append(text)
    if kind == "person_share":
        parts.append("registertal for hele aldersgruppen: intervallet viser tilfældig variation" if da else
                     "register data for the whole age group: the interval shows random variation")
    if kind == "stock_count":
        parts.append("en bestand i et register: ingen stikprøveusikkerhed, men tallet afspejler også "
                     "registreringspraksis; ingen statistisk test" if da else
                     "a register stock: no sampling error, but the number also reflects recording practice; "
                     "no statistical test")
    if kind == "clustered_count" and not _missing(change.get("ci_low")):
        lo, hi = number(change["ci_low"], lang, 0), number(change["ci_high"], lang, 0)
        parts.append(f"lukkedage klumper sig i få institutioner: ændringens 95 %-interval er {lo} til {hi} dage"
                     if da else f"closure days cluster in a few institutions: the change's 95% interval is {lo} to "
                     f"{hi} days")
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


def ratio_statement(row: dict, lang: str) -> str:
    """The statement of a change of a rate, tested on the rate ratio (METHODS.md §2.2, §2.4: reported offences)."""
    da = lang == "da"
    ratio = float(row["change"])
    pct = number(100 * (ratio - 1), lang, 1)
    size = ("+" if ratio > 1 else "") + (f"{pct} %" if da else f"{pct}%")
    rr = ("rate-forhold " if da else "rate ratio ") + number(ratio, lang, 3)
    p, q = row.get("pvalue"), row.get("qvalue")
    if _missing(p):
        return f"{size} ({rr}; ingen test)" if da else f"{size} ({rr}; no test)"
    sig = (p if _missing(q) else q) < 0.05
    return f"{_verdict(sig, ratio < 1, da)} ({size}, {rr}, {pvalue(p, lang)})"


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


PEER_LABELS = {
    "da": {"area": "Område", "no_peers": "Pipelinen angiver ingen "
           "sammenligningskommuner (peers); der er intet at sammenligne.", "no_map": "Pipelinen angiver intet kort.",
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


def rank_statement(name: str, measure: str, rank: int, of: int, year: int, lang: str) -> str:
    """"Ishøj has the 3rd highest ... of 7 municipalities in 2018"."""
    if lang == "da":
        place = "den højeste" if rank == 1 else f"den {rank}.-højeste"
        return f"{name} har {place} rate af {of} kommuner for {measure[:1].lower()}{measure[1:]} i {year}."
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    place = "the highest" if rank == 1 else f"the {rank}{suffix} highest"
    return f"{name} has {place} rate of {of} municipalities for {measure[:1].lower()}{measure[1:]} in {year}."
