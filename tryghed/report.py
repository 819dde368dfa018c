"""The shareable output: scorecard tables and exports, notebooks rendered to HTML with code hidden, the index page."""

from __future__ import annotations

import html
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from nbconvert import HTMLExporter

from . import i18n
from .changes import headline_area
from .config import Pipeline
from .stable import freeze_xlsx


def _status_text(tg: pd.DataFrame, lang: str) -> str:
    parts = []
    for _, t in tg.iterrows():
        text = i18n.STATUS[lang][t["status"]]
        if t.get("projection_status") in ("on_track_confident", "off_track_confident", "uncertain"):
            word = "fremskrivning" if lang == "da" else "projection"
            text += (f" ({word} {int(t['target_year'])}: {i18n.number(t['projection'], lang, 1)}, "
                     f"{'PI' if lang == 'da' else 'PI'} {i18n.number(t['pi_low'], lang, 1)}–"
                     f"{i18n.number(t['pi_high'], lang, 1)}: {i18n.STATUS[lang][t['projection_status']]})")
        parts.append(text)
    return "; ".join(parts) or "–"


def scorecard(pipeline: Pipeline, table: pd.DataFrame, changes: pd.DataFrame, targets: pd.DataFrame, year: int,
              lang: str, trends: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per measure: baseline, this year with its interval, change since last year with its test, the
    trend, targets with their status, and what the data cannot tell."""
    L = i18n.LABELS[lang]
    rows = []
    for ind in pipeline.indicators:
        area_id = headline_area(pipeline, ind)
        s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id)].set_index("period")
        base_year = ind.baseline_year or pipeline.baseline_year
        if base_year in s.index and not s.loc[base_year, "suppressed"]:
            base = f"{i18n.value(float(s.loc[base_year, 'estimate']), ind.unit, lang)} ({base_year})"
        elif ind.baseline_value is not None:
            base = f"{i18n.value(float(ind.baseline_value), ind.unit, lang)} ({ind.baseline_year})"
        else:
            base = "–"
        if ind.baseline_value is not None and base_year in s.index and \
                abs(float(s.loc[base_year, "estimate"]) - ind.baseline_value) >= 0.05:
            word = "programmets tal" if lang == "da" else "programme's figure"
            base += f"; {word}: {i18n.value(float(ind.baseline_value), ind.unit, lang)}"
        if year in s.index and s.loc[year, "suppressed"]:
            if "disclosure" in str(s.loc[year, "flags"]):
                now = "undertrykt (diskretion)" if lang == "da" else "suppressed (disclosure control)"
            else:
                now = "for få besvarelser" if lang == "da" else "too few answers"
        elif year in s.index:
            r = s.loc[year]
            now = i18n.value(float(r["estimate"]), ind.unit, lang)
            if np.isfinite(r["ci_low"]):
                now += f" ({i18n.number(r['ci_low'], lang, 2 if r['estimate'] < 5 else 1)}–" \
                       f"{i18n.number(r['ci_high'], lang, 2 if r['estimate'] < 5 else 1)})"
        else:
            now = "ingen data" if lang == "da" else "no data"
        ch = changes[(changes["indicator_id"] == ind.id) & (changes["area_id"] == area_id)
                     & (changes["comparison"] == "previous_year")]
        change_row = ch.iloc[0].to_dict() if len(ch) else None
        change = i18n.change_statement(change_row, ind.unit, lang) if change_row else "–"
        tr = trends[(trends["indicator_id"] == ind.id) & (trends["area_id"] == area_id)] \
            if trends is not None else pd.DataFrame()
        trend_row = tr.iloc[0].to_dict() if len(tr) else None
        trend = i18n.trend_statement(trend_row, ind.unit, lang) if trend_row else "–"
        annual = next((t.value for t in ind.targets if t.type == "annual_change"), None)
        limits = i18n.limits_statement(ind.kind, change_row, trend_row, annual, lang)
        tg = targets[targets["indicator_id"] == ind.id]
        target_text = "; ".join(t.text[lang] for t in ind.targets) or "–"
        rows.append({L["measure"]: ind.name[lang], L["area"]: pipeline.area(area_id).name[lang],
                     L["baseline"]: base, f"{L['this_year']} ({year})": now, L["change"]: change,
                     L["trend"]: trend, L["target"]: target_text, L["status"]: _status_text(tg, lang),
                     L["limits"]: limits, "indicator_id": ind.id})
    return pd.DataFrame(rows)


def area_table(pipeline: Pipeline, published: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Every measure by area and year up to ``year`` from the published (disclosure-controlled) table.

    A cell withheld to protect persons shows ``*``; a survey share from too few answers shows ``–``.
    """
    L = i18n.LABELS[lang]
    names = {a.id: a.name[lang] for a in pipeline.areas}
    t = published[published["period"] <= year]
    rows = []
    for ind in pipeline.indicators:
        sub = t[t["indicator_id"] == ind.id]
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            r = {L["measure"]: ind.name[lang], L["level"]: i18n.LEVEL_NAMES[lang].get(level, level),
                 L["area"]: names.get(area_id, area_id)}
            for _, c in g.sort_values("period").iterrows():
                if "disclosure" in str(c["flags"]):
                    text = "*"
                elif c["suppressed"] or not np.isfinite(c["estimate"]):
                    text = "–"
                else:
                    text = i18n.value(float(c["estimate"]), ind.unit, lang)
                r[str(int(c["period"]))] = text
            rows.append(r)
    out = pd.DataFrame(rows)
    years = sorted(c for c in out.columns if c.isdigit())
    return out[[L["measure"], L["level"], L["area"], *years]].fillna("")


def write_exports(card: pd.DataFrame, report_dir: Path, name: str = "scorecard") -> list[Path]:
    """CSV (UTF-8 with BOM, so Excel shows æøå) and xlsx copies of a published table."""
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    csv = report_dir / f"{name}.csv"
    card.to_csv(csv, index=False, encoding="utf-8-sig", lineterminator="\n")
    xlsx = report_dir / f"{name}.xlsx"
    with pd.ExcelWriter(xlsx, engine="openpyxl") as xw:
        card.to_excel(xw, index=False, sheet_name=name[:31])
    freeze_xlsx(xlsx)
    return [csv, xlsx]


BANNER_CSS = ("background:#c00000;color:#fff;font:bold 15px sans-serif;padding:10px 16px;"
              "text-align:center;position:sticky;top:0;z-index:1000")


def banner_html(lang: str) -> str:
    text = html.escape(i18n.LABELS[lang]["demo_banner"])
    return f'<div class="tryghed-demo-banner" style="{BANNER_CSS}">{text}</div>'


def render_notebook(executed: Path, out_html: Path, *, demo: bool, lang: str) -> Path:
    """Render an executed notebook to HTML with every code cell's input hidden (``nbconvert --no-input``)."""
    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        # papermill gives its injected cell a random id; a fixed one keeps the page byte-identical on rerun
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    if demo:
        i = body.index(">", body.index("<body")) + 1
        body = body[:i] + banner_html(lang) + body[i:]
    out_html.write_text(body, encoding="utf-8")
    return out_html


def index_page(pipeline: Pipeline, year: int, lang: str, card: pd.DataFrame, notebooks: list[tuple[str, str]],
               figures: list[str], *, demo: bool, notes: list[str]) -> str:
    """The year's index page: the scorecard, links to the rendered notebooks and figures, and method notes."""
    L = i18n.LABELS[lang]
    title = L["title"].format(name=pipeline.name[lang], year=year)
    shown = card.drop(columns=["indicator_id"])
    table = shown.to_html(index=False, escape=True, classes="scorecard", border=0)
    nb_links = "".join(f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>' for label, href in notebooks)
    fig_links = "".join(f'<li><a href="{html.escape(f)}">{html.escape(Path(f).stem)}</a></li>' for f in figures)
    notes_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;color:#222}} main{{max-width:1200px;margin:auto;padding:1em 2em}}
table.scorecard{{border-collapse:collapse;font-size:14px}} .scorecard th,.scorecard td{{border-bottom:1px solid #ddd;
padding:6px 8px;text-align:left;vertical-align:top}} .scorecard th{{background:#f2f2f2}}
</style></head><body>
{banner_html(lang) if demo else ""}
<main>
<h1>{html.escape(title)}</h1>
<p>{html.escape(pipeline.owner[lang])}</p>
<h2>{L["scorecard"]}</h2>
{table}
<p>{L["exports"].format(csv='<a href="scorecard.csv">scorecard.csv</a>',
                         xlsx='<a href="scorecard.xlsx">scorecard.xlsx</a>')}
· <a href="areas.csv">areas.csv</a> · <a href="areas.xlsx">areas.xlsx</a></p>
<h2>{L["notebooks"]}</h2><ol>{nb_links}</ol>
<h2>{L["figures"]}</h2><ul>{fig_links}</ul>
<h2>{L["method_notes"]}</h2><ul>{notes_html}</ul>
<p><small>{L["made_by"]}</small></p>
</main></body></html>
"""


KIND_NOTES = {
    "survey_share": {
        "da": "vægtet andel (Hájek) med Kish' effektive n pr. celle og Wilson-interval, Clopper–Pearson når n_eff < "
              "100 eller under 10 effektive svar (METHODS.md §1.1–1.3); under {min_answers} svar offentliggøres intet; "
              "ændringer med ufuldstændig z-test på effektive antal, Newcombe/score-test ved små celler (§1.4); "
              "trend med WLS-hældning med design-SE og chi²-test for trend efter Fingertips' regler: seneste 5 år, "
              "X² > 9,5495, outlier-regel (§1.5)",
        "en": "weighted share (Hájek) with Kish's effective n per cell and a Wilson interval, Clopper–Pearson when "
              "n_eff < 100 or fewer than 10 effective answers (METHODS.md §1.1–1.3); nothing is published under "
              "{min_answers} answers; changes by the unpooled z on effective sizes, Newcombe/score test for small "
              "cells (§1.4); trend by the WLS slope with design SEs and the chi-square test for trend under the "
              "Fingertips rules: latest 5 years, X² > 9.5495, outlier rule (§1.5)"},
    "person_share": {
        "da": "andel af hele registerbefolkningen med Wilson-interval, læst som tilfældig variation (METHODS.md "
              "§2.1); ændringer med z-test, trend som for andele (§1.4–1.5)",
        "en": "share of the whole register population with a Wilson interval, read as random variation (METHODS.md "
              "§2.1); changes by the z test, trend as for shares (§1.4–1.5)"},
    "unit_share": {
        "da": "andel af enheder (lukninger) med Wilson/Clopper–Pearson-interval (METHODS.md §1.3); små antal "
              "testes med score-test og Newcombe-interval (§1.4)",
        "en": "share of units (closures) with a Wilson/Clopper–Pearson interval (METHODS.md §1.3); small numbers "
              "are tested with the score test and the Newcombe interval (§1.4)"},
    "rate": {
        "da": "rate pr. 1.000 indbyggere med eksakt Poisson-interval (METHODS.md §2.1); ændring med eksakt betinget "
              "test og score-interval for rate-forholdet (§2.2); trend med Poisson-GLM, tjek for overspredning og "
              "quasi-Poisson ved φ > 1,5 (§2.3); anmeldte tal måler også anmeldelsesadfærd (§2.4)",
        "en": "rate per 1,000 residents with the exact Poisson interval (METHODS.md §2.1); change by the exact "
              "conditional test with the score interval for the rate ratio (§2.2); trend by a Poisson GLM, checked "
              "for overdispersion with quasi-Poisson when φ > 1.5 (§2.3); reported counts also measure reporting "
              "behaviour (§2.4)"},
    "stock_count": {
        "da": "bestand i et register, beskrevet uden statistisk test (METHODS.md §2.1), vurderet mod målet (§3.1)",
        "en": "a register stock, described without a statistical test (METHODS.md §2.1), held against its target "
              "(§3.1)"},
    "clustered_count": {
        "da": "lukkedage klumper sig i institutioner og episoder: ingen Poisson-test på dagetallet; ændringen har "
              "et bootstrap-interval over institutioner (METHODS.md §2.1)",
        "en": "closure days cluster within institutions and episodes: no Poisson test on the day total; the change "
              "has a bootstrap interval over institutions (METHODS.md §2.1)"},
    "published_share": {
        "da": "offentliggjort andel uden mikrodata (METHODS.md §1)", "en": "published share without microdata "
                                                                          "(METHODS.md §1)"},
}

GENERAL_NOTES = {
    "da": [
        "Ændringer testes tosidet på 5 %-niveau; overlappende konfidensintervaller bruges aldrig som test, og der "
        "testes ikke på tværs af databrud (METHODS.md §0).",
        "Mål: vækstrate-reglen (R = CAGR_obs/CAGR_req; 0,95/0,60/0), den lineære procentpoint-regel for "
        "punktmål og FN-varianten (0,95/0,10) (METHODS.md §3.1); desuden en fremskrivning til målåret med "
        "95 %-prædiktionsinterval, kun med mindst 4 år (§3.2).",
        "Hvad tallene ikke kan vise, er regnet ud fra de faktiske antal: mindste signifikante ændring "
        "z·SE og mindste påviselige forskel ved 80 % styrke (METHODS.md §1.4).",
    ],
    "en": [
        "Changes are tested two-sided at the 5% level; overlapping confidence intervals are never used as a test, "
        "and nothing is tested across a series break (METHODS.md §0).",
        "Targets: the growth-rate rule (R = CAGR_obs/CAGR_req; 0.95/0.60/0), the linear percentage-point rule for "
        "point targets and the UN variant (0.95/0.10) (METHODS.md §3.1); also a projection to the target year with "
        "its 95% prediction interval, only with at least 4 years (§3.2).",
        "What the data cannot tell is computed from the actual sizes: the smallest significant change z·SE and "
        "the minimum detectable difference at 80% power (METHODS.md §1.4).",
    ],
}


METHOD_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg (FDR 5 %)", "none": "—"}


def family_note(pipeline: Pipeline, lang: str) -> str:
    """The multiple-testing families the pipeline declares, with their levels and correction (METHODS.md §4)."""
    from .i18n import LEVEL_NAMES

    parts = []
    for f in pipeline.families:
        levels = ", ".join(LEVEL_NAMES[lang].get(lv, lv).lower() for lv in f.levels)
        if f.method == "none":
            how = "ingen korrektion" if lang == "da" else "no adjustment"
        else:
            how = METHOD_NAMES[f.method]
        parts.append(f"'{f.id}' ({levels}): {how}")
    if lang == "da":
        return ("Multiple test: familierne er fastlagt i pipelinens YAML før analysen – " + "; ".join(parts)
                + ". Både rå p og justeret q offentliggøres (METHODS.md §4).")
    return ("Multiple testing: the families are declared in the pipeline YAML before the analysis – "
            + "; ".join(parts) + ". Both the raw p and the adjusted q are published (METHODS.md §4).")


def method_notes(pipeline: Pipeline, changes: pd.DataFrame, lang: str, disclosure: dict | None = None) -> list[str]:
    """Which method was used for which measure and why, with the METHODS.md anchors, the declared breaks, and the
    disclosure rule applied (``disclosure``: the run's ``disclosure.json`` record)."""
    from .indicators import MIN_ANSWERS

    notes = []
    for ind in pipeline.indicators:
        used = changes[(changes["indicator_id"] == ind.id) & changes["pvalue"].notna()]["method"]
        test = f" ({'test brugt i år' if lang == 'da' else 'test used this year'}: {used.iloc[0]})" \
            if len(used) else ""
        notes.append(f"{ind.name[lang]}: {KIND_NOTES[ind.kind][lang].format(min_answers=MIN_ANSWERS)}{test}.")
    for b in pipeline.breaks:
        notes.append(("Databrud " if lang == "da" else "Series break ") + f"{b.year}: {b.why[lang]} "
                     + ("(ingen test på tværs; bruddet er tegnet i figurerne)." if lang == "da" else
                        "(no test across it; the break is drawn on the charts)."))
    general = GENERAL_NOTES[lang]
    has_targets = any(ind.targets for ind in pipeline.indicators)
    notes.extend(n for n in general if has_targets or not n.startswith(("Mål:", "Targets:")))
    if pipeline.families:
        notes.append(family_note(pipeline, lang))
    if disclosure:
        head = "Diskretionering (METHODS.md §6): " if lang == "da" else "Disclosure control (METHODS.md §6): "
        notes.append(head + disclosure[f"note_{lang}"])
    return notes
