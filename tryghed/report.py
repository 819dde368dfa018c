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


def scorecard(pipeline: Pipeline, table: pd.DataFrame, changes: pd.DataFrame, targets: pd.DataFrame, year: int,
              lang: str) -> pd.DataFrame:
    """One row per measure: baseline, this year with its interval, change since last year with its test, targets."""
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
        change = i18n.change_statement(ch.iloc[0].to_dict(), ind.unit, lang) if len(ch) else "–"
        tg = targets[targets["indicator_id"] == ind.id]
        target_text = "; ".join(t.text[lang] for t in ind.targets) or "–"
        status = "; ".join(i18n.STATUS[lang][st] for st in tg["status"]) or "–"
        rows.append({L["measure"]: ind.name[lang], L["area"]: pipeline.area(area_id).name[lang],
                     L["baseline"]: base, f"{L['this_year']} ({year})": now, L["change"]: change,
                     L["target"]: target_text, L["status"]: status, "indicator_id": ind.id})
    return pd.DataFrame(rows)


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
                         xlsx='<a href="scorecard.xlsx">scorecard.xlsx</a>')}</p>
<h2>{L["notebooks"]}</h2><ol>{nb_links}</ol>
<h2>{L["figures"]}</h2><ul>{fig_links}</ul>
<h2>{L["method_notes"]}</h2><ul>{notes_html}</ul>
<p><small>{L["made_by"]}</small></p>
</main></body></html>
"""


def method_notes(pipeline: Pipeline, changes: pd.DataFrame, lang: str) -> list[str]:
    """Which method was used for which measure, and the declared series breaks."""
    notes = []
    used = changes[changes["comparison"] == "previous_year"].drop_duplicates("indicator_id")
    for _, r in used.iterrows():
        ind = pipeline.indicator(r["indicator_id"])
        notes.append(f"{ind.name[lang]}: {r['method']}")
    for b in pipeline.breaks:
        notes.append(("Databrud " if lang == "da" else "Series break ") + f"{b.year}: {b.why[lang]}")
    if lang == "da":
        notes.append("Ændringer testes tosidet på 5 %-niveau (METHODS.md §0); overlappende konfidensintervaller "
                     "bruges ikke som test. Bydelstests korrigeres for multiple test (Benjamini–Hochberg), "
                     "hovedmål med Holm.")
    else:
        notes.append("Changes are tested two-sided at the 5% level (METHODS.md §0); overlapping confidence "
                     "intervals are never used as a test. District tests are adjusted for multiple testing "
                     "(Benjamini–Hochberg), headline measures with Holm.")
    return notes
