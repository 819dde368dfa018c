"""The shareable output: the scorecard and its exports, notebooks rendered to HTML, the index page and the catalogue.

A report folder is self-contained: the index page, the rendered notebooks, the figures (``figures/``), the style
sheet (``assets/``) and the exports sit inside it and link to each other by relative paths, so the folder survives
a zip. Only the link to the catalogue of all reports points outside it (marked ``data-outside``). Pages are
rendered from Jinja2 templates (``tryghed/templates``) with autoescape; nothing on a page depends on the wall
clock, so a rerun on the same inputs writes the same bytes.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from . import i18n
from .changes import headline_area
from .config import Pipeline
from .stable import freeze_xlsx

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Written next to every index page; the catalogue is built from these.
REPORT_RECORD = "report.json"
#: Where a report folder keeps its copies of the figures and its style sheet.
FIGURES_SUBDIR = "figures"
ASSETS_SUBDIR = "assets"

NOTEBOOK_TITLES = {
    "da": {"01_ingest": "Indlæsning af rådata", "02_clean": "Rensning", "03_indicators": "Indikatorer",
           "04_change_tests": "Test af ændringer og trends", "05_figures": "Figurer", "06_report": "Resultater",
           "07_compare_peers": "Sammenligning med andre kommuner", "08_effects": "Virkede indsatsen?",
           "09_partnership": "Partnerskabets statusrapport", "09_national": "Alle kommuner",
           "i1_register": "Indsatsregistret", "i2_scores": "Effekt- og evidensscore",
           "i3_june_report": "Junirapporten"},
    "en": {"01_ingest": "Reading the raw data", "02_clean": "Cleaning", "03_indicators": "Indicators",
           "04_change_tests": "Tests of changes and trends", "05_figures": "Figures", "06_report": "Report",
           "07_compare_peers": "Comparison with other municipalities", "08_effects": "Did it work?",
           "09_partnership": "The partnership's status report", "09_national": "Every municipality",
           "i1_register": "The effort register", "i2_scores": "Effect and evidence scores",
           "i3_june_report": "The June report"},
}


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env


def _is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA


def _num(x) -> float:
    return float("nan") if _is_missing(x) else float(x)


# ---------------------------------------------------------------------------------------------- the measures
@dataclass(frozen=True)
class StatusMark:
    """One target's status as the page shows it: the target named, a tone (colour and icon) and its words."""

    target: str
    status: str
    text: str
    tone: str
    icon: str
    projection: str


def status_marks(ind, tg: pd.DataFrame, unit: str, lang: str, *, breaks: list[int] = (),
                 base_year: int | None = None) -> list[StatusMark]:
    """One mark per target of ``ind`` from its rows of the target table (in the YAML's order).

    A level or relative target judged on a value measured after a series break that came after the baseline
    carries that caveat in its words (the judgement itself is the target table's).
    """
    marks = []
    rows = {int(r["target_no"]): r for r in tg.to_dict("records")} if len(tg) else {}
    for j, t in enumerate(ind.targets):
        r = rows.get(j, {})
        status = r.get("status") if isinstance(r.get("status"), str) else "not_assessable"
        tone = i18n.STATUS_TONE.get(status, "none")
        text = i18n.STATUS[lang].get(status, status)
        crossed = [b for b in breaks if base_year is None or b > base_year]
        if crossed and t.type in ("level", "relative") and status != "not_assessable":
            text += (f" (målt efter databrud i {crossed[-1]}: ikke fuldt sammenligneligt med målets grundlag)"
                     if lang == "da" else
                     f" (measured after the {crossed[-1]} series break: not fully comparable with the target's "
                     "basis)")
        marks.append(StatusMark(target=t.text[lang], status=status, text=text, tone=tone,
                                icon=i18n.TONE_ICON[tone],
                                projection=i18n.projection_statement(r, unit, lang) if r else ""))
    return marks


def sparkline(series: pd.DataFrame, breaks: list[int], lang: str, *, width: int = 120, height: int = 30) -> Markup:
    """A tiny inline SVG of a series (``period`` index, ``estimate``), broken at the series breaks, the last value
    marked; it carries a ``<title>`` so that a screen reader says what it shows."""
    from .figure_data import segments

    s = series["estimate"].dropna().sort_index()
    if len(s) < 2:
        return Markup("")
    x0, x1 = float(s.index.min()), float(s.index.max())
    lo, hi = min(0.0, float(s.min())), float(s.max())
    hi = hi if hi > lo else lo + 1

    def xy(year, val):
        return (2 + (width - 4) * (float(year) - x0) / (x1 - x0),
                height - 2 - (height - 4) * (float(val) - lo) / (hi - lo))

    lines = []
    for piece in segments(s.index.to_numpy(), breaks):
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in (xy(y, s.loc[y]) for y in piece))
        lines.append(f'<polyline points="{pts}" fill="none" stroke="#0072B2" stroke-width="1.6"/>')
    lx, ly = xy(s.index[-1], s.iloc[-1])
    label = i18n.LABELS[lang]["sparkline"].format(first=int(x0), last=int(x1))
    from markupsafe import escape

    return Markup(f'<svg class="spark" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(label)}</title>{"".join(lines)}'
                  f'<circle cx="{lx:.1f}" cy="{ly:.1f}" r="2.5" fill="#0072B2"/></svg>')


def goal_name(pipeline: Pipeline, ind, lang: str) -> str:
    """The name of the goal ``ind`` serves; "Andre mål"/"Other measures" when the pipeline has goals and it serves
    none of them; "" when the pipeline declares no goals."""
    if not pipeline.goals:
        return ""
    goal = next((g for g in pipeline.goals if g.id == ind.goal), None)
    return goal.name[lang] if goal else i18n.OTHER_MEASURES[lang]


def goal_groups(pipeline: Pipeline, rows: list[dict], lang: str) -> list[dict]:
    """The at-a-glance rows grouped by goal: ``[{"id", "name", "measures"}]`` in the YAML's order of goals, the
    measures of no goal last under "Andre mål"/"Other measures"; one group without a name when the pipeline
    declares no goals. Empty groups are left out."""
    if not pipeline.goals:
        return [{"id": None, "name": "", "measures": list(rows)}] if rows else []
    groups = [{"id": g.id, "name": g.name[lang], "measures": [m for m in rows if m["goal"] == g.id]}
              for g in pipeline.goals]
    known = {g.id for g in pipeline.goals}
    groups.append({"id": None, "name": i18n.OTHER_MEASURES[lang],
                   "measures": [m for m in rows if m["goal"] not in known]})
    return [g for g in groups if g["measures"]]


def measures(pipeline: Pipeline, table: pd.DataFrame, changes: pd.DataFrame, targets: pd.DataFrame, year: int,
             lang: str, trends: pd.DataFrame | None = None) -> list[dict]:
    """Everything the page and the exports say about each measure, numbers and words (one dict per indicator).

    Significance is never decided here: the change and trend rows are worded by :mod:`tryghed.i18n` from their
    ``verdict`` (when the table has one).
    """
    out = []
    for ind in pipeline.indicators:
        area_id = headline_area(pipeline, ind)
        s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id) & (table["period"] <= year)]
        s = s.set_index("period").sort_index()
        base_year = ind.baseline_year or pipeline.baseline_year
        base_value = float("nan")
        if base_year in s.index and not bool(s.loc[base_year, "suppressed"]):
            base_value = float(s.loc[base_year, "estimate"])
        elif ind.baseline_value is not None:
            base_value = float(ind.baseline_value)
        unit = i18n.indicator_unit(ind)
        base_text = f"{i18n.value(base_value, unit, lang)} ({base_year})" if not np.isnan(base_value) else "–"
        if ind.baseline_value is not None and not np.isnan(base_value) and \
                abs(base_value - ind.baseline_value) >= 0.05:
            word = "programmets tal" if lang == "da" else "programme's figure"
            base_text += f"; {word}: {i18n.value(float(ind.baseline_value), unit, lang)}"
        earlier = ind.baseline.earlier if ind.baseline else None
        if earlier is not None and base_text != "–":
            word = "tidligere" if lang == "da" else "earlier"
            base_text += f"; {word}: {i18n.value(float(earlier.value), unit, lang)} ({earlier.year})"
        est = lo = hi = n = float("nan")
        if year in s.index and bool(s.loc[year, "suppressed"]):
            if "disclosure" in str(s.loc[year, "flags"]):
                now = "undertrykt af hensyn til diskretion" if lang == "da" else "withheld to protect persons"
            else:
                now = "for få besvarelser" if lang == "da" else "too few answers"
        elif year in s.index:
            r = s.loc[year]
            est, lo, hi = _num(r["estimate"]), _num(r.get("ci_low")), _num(r.get("ci_high"))
            n = _num(r.get("n_effective", r.get("denominator")))
            now = i18n.value_with_interval(est, lo, hi, unit, lang)
            now = i18n.assumed_n_mark(now, r.to_dict(), lang, what="value")   # a declared n is flagged everywhere
            if np.isnan(est):   # a total over areas without a figure says which (missing is never zero)
                now = i18n.missing_value(r.get("flags"), year, lang,
                                         {a.name["da"]: a.name[lang] for a in pipeline.areas})
        else:
            measured = s.index[s["estimate"].notna()] if "estimate" in s else s.index
            # a series that ended (or skips years) is "not measured this year"; a measure without any data says so
            now = i18n.not_measured(int(max(measured)), lang) if len(measured) else \
                ("ingen data" if lang == "da" else "no data")
        ch = changes[(changes["indicator_id"] == ind.id) & (changes["area_id"] == area_id)
                     & changes["comparison"].isin(["previous_year", "previous_survey"])]
        change_row = ch.iloc[0].to_dict() if len(ch) else None
        tr = trends[(trends["indicator_id"] == ind.id) & (trends["area_id"] == area_id)] \
            if trends is not None else pd.DataFrame()
        trend_row = tr.iloc[0].to_dict() if len(tr) else None
        annual = next((t.value for t in ind.targets if t.type == "annual_change"), None)
        tg = targets[targets["indicator_id"] == ind.id] if len(targets) else targets
        breaks = [b for b in pipeline.break_years(ind.id) if b <= year]
        marks = status_marks(ind, tg, unit, lang, breaks=breaks, base_year=base_year)
        tones = [m.tone for m in marks]
        summary = next((t for t in i18n.TONE_ORDER if t in tones), "none")
        shown = s[~s["suppressed"].astype(bool)] if len(s) else s
        change = _num((change_row or {}).get("change"))
        out.append({
            "id": ind.id, "name": ind.name[lang], "area": pipeline.area(area_id).name[lang], "kind": ind.kind,
            "goal": ind.goal, "goal_name": goal_name(pipeline, ind, lang), "unit": ind.unit,
            "unit_text": i18n.unit_text(unit, lang), "unit_label": i18n.unit_label(ind, lang),
            "base_year": base_year, "base_value": base_value, "base_text": base_text,
            "estimate": est, "ci_low": lo, "ci_high": hi, "n": n, "value_text": now,
            "change": change, "change_unit": (i18n.POINTS[lang] if ind.unit == "percent" else
                                              ("rate-forhold" if lang == "da" else "rate ratio")
                                              if (change_row or {}).get("scale") == "ratio" else
                                              i18n.unit_label(ind, lang)),
            "p": _num((change_row or {}).get("pvalue")), "q": _num((change_row or {}).get("qvalue")),
            "verdict": (change_row or {}).get("verdict") if isinstance((change_row or {}).get("verdict"), str)
            else "",
            "change_text": i18n.since_survey(change_row, i18n.change_statement(change_row, unit, lang), lang)
            if change_row else "–",
            "test": i18n.method_name((change_row or {}).get("method"), lang),
            "trend_text": i18n.trend_statement(trend_row, unit, lang) if trend_row else "–",
            "trend_details": i18n.trend_details(trend_row, lang),
            "limits": i18n.limits_statement(ind.impl.limits, change_row, trend_row, annual, lang),
            "targets": marks, "tone": summary, "icon": i18n.TONE_ICON[summary],
            "target_text": "; ".join(m.target for m in marks) or "–",
            "status_text": "; ".join(f"{m.target}: {m.text}" for m in marks) or "–",
            "sparkline": sparkline(shown, breaks, lang) if len(shown) else Markup(""),
            "breaks": breaks, "has_data": year in s.index,
        })
    return out


def _round(x: float, decimals: int = 2) -> float:
    """Exported numbers: rounded to what the data can carry (two decimals; p and q four; rate ratios three)."""
    return float("nan") if _is_missing(x) else round(float(x), decimals)


def scorecard(pipeline: Pipeline, table: pd.DataFrame, changes: pd.DataFrame, targets: pd.DataFrame, year: int,
              lang: str, trends: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per measure for the exports: the numbers as numbers (estimate, interval, change, p, q) beside the
    statements in ``lang``; column names in ``lang``, plus ``indicator_id``. A pipeline with ``goals:`` gets a
    first column naming each measure's goal; the unit column names what a count counts (``unit_label``)."""
    L = i18n.LABELS[lang]
    rows = []
    for m in measures(pipeline, table, changes, targets, year, lang, trends):
        rows.append({
            **({L["goal"]: m["goal_name"]} if pipeline.goals else {}),
            L["measure"]: m["name"], L["area"]: m["area"], L["unit"]: m["unit_label"],
            L["baseline_year"]: m["base_year"], L["baseline"]: _round(m["base_value"]), L["year"]: year,
            L["estimate"]: _round(m["estimate"]), L["ci_low"]: _round(m["ci_low"]), L["ci_high"]: _round(m["ci_high"]),
            L["change"]: _round(m["change"], 3), L["change_unit"]: m["change_unit"], L["p"]: _round(m["p"], 4),
            L["q"]: _round(m["q"], 4),
            L["verdict"]: m["change_text"], L["trend"]: m["trend_text"], L["target"]: m["target_text"],
            L["status"]: m["status_text"], L["limits"]: m["limits"], "indicator_id": m["id"],
        })
    return pd.DataFrame(rows)


def area_table(pipeline: Pipeline, published: pd.DataFrame, year: int, lang: str) -> pd.DataFrame:
    """Every measure by area and year up to ``year`` from the published (disclosure-controlled) table.

    Estimates are numbers; a cell withheld to protect persons holds ``*`` and a survey share from too few answers
    ``–`` (the legend is on the notes sheet).
    """
    L = i18n.LABELS[lang]
    names = {a.id: a.name[lang] for a in pipeline.areas}
    t = published[published["period"] <= year]
    rows = []
    for ind in pipeline.indicators:
        sub = t[t["indicator_id"] == ind.id]
        for (area_id, level), g in sub.groupby(["area_id", "level"], sort=False):
            r = {L["measure"]: ind.name[lang], L["unit"]: i18n.unit_label(ind, lang),
                 L["level"]: i18n.LEVEL_NAMES[lang].get(level, level), L["area"]: names.get(area_id, area_id)}
            for _, c in g.sort_values("period").iterrows():
                if "disclosure" in str(c["flags"]):
                    cell = "*"
                elif c["suppressed"] or not np.isfinite(c["estimate"]):
                    cell = "–"
                else:
                    cell = round(float(c["estimate"]), 2 if ind.unit in ("percent", "per_1000") else 1)
                r[str(int(c["period"]))] = cell
            rows.append(r)
    out = pd.DataFrame(rows)
    years = sorted(c for c in out.columns if c.isdigit())
    return out[[L["measure"], L["unit"], L["level"], L["area"], *years]].astype(object).fillna("")


# ----------------------------------------------------------------------------------------------------- exports
def _csv_cell(v, lang: str):
    if isinstance(v, (bool, np.bool_)):
        return str(v)
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return ""
        text = repr(round(float(v), 6))
        text = text[:-2] if text.endswith(".0") else text
        return text.replace(".", ",") if lang == "da" else text
    return "" if v is None else str(v)


def _number_format(column: str, values: pd.Series, lang: str) -> str | None:
    """An Excel number format for a numeric column (p- and q-values with three decimals, years none)."""
    L = i18n.LABELS[lang]
    if column in (L["p"], L["q"]):
        return "0.000"
    if column in (L["year"], L["baseline_year"]):
        return "0"
    nums = pd.to_numeric(values, errors="coerce").dropna()
    if nums.empty:
        return None
    if (nums == nums.round()).all():
        return "#,##0"
    return "#,##0.00" if nums.abs().max() < 5 else "#,##0.0"


def notes_rows(pipeline: Pipeline | None, lang: str, *, demo: bool, disclosure: dict | None = None,
               extra: list[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """The notes sheet of an xlsx export: source, demo marker, disclosure rule, the legend of withheld cells and
    the definition of each measure."""
    L = i18n.LABELS[lang]
    rows = []
    if demo:
        rows.append((L["demo_marker"], L["demo_banner"]))
    if pipeline is not None:
        rows.append((L["source"], i18n.source_line(pipeline, None, lang, demo)))
        rows.append((L["pipeline"], f"{pipeline.name[lang]} ({pipeline.owner[lang]})"))
        from .indicators import MIN_ANSWERS

        for ind in pipeline.indicators:
            rows.append((ind.name[lang], ind.impl.note_for(ind, pipeline, lang).format(min_answers=MIN_ANSWERS)))
    if disclosure and disclosure.get(f"note_{lang}"):
        rows.append((L["disclosure"], disclosure[f"note_{lang}"]))
    rows.append(("*, –", L["withheld"]))
    rows.extend(extra)
    return rows


#: The first column of every table a run on the demo data exports (its CSV, and its xlsx's data sheet): the
#: numbers are synthetic, wherever the file ends up.
DEMO_COLUMN = {"da": ("Data", "DEMODATA – SYNTETISKE TAL"), "en": ("Data", "DEMO DATA – SYNTHETIC")}


def synthetic_marked(df: pd.DataFrame, lang: str, demo: bool = True) -> pd.DataFrame:
    """``df`` with :data:`DEMO_COLUMN` first (a copy) when ``demo`` (the run read the synthetic demo data): every
    row says the data are synthetic; ``df`` itself otherwise."""
    if not demo:
        return df
    name, text = DEMO_COLUMN["da" if lang == "da" else "en"]
    out = df.copy()
    out.insert(0, name, text, allow_duplicates=True)
    return out


def write_exports(card: pd.DataFrame, report_dir: Path, name: str = "scorecard", *, lang: str = "en",
                  notes: list[tuple[str, str]] | None = None, demo: bool = False) -> list[Path]:
    """Write a published table as CSV and xlsx for people who paste it into a council paper.

    CSV: UTF-8 with a BOM (so Excel shows æøå); in a Danish report ``;``-separated with a decimal comma (what a
    Danish Excel opens in columns), in an English one ``,`` and a decimal point. xlsx: numbers stay numbers with
    a number format, the header is bold, frozen and filtered, columns are sized and long text wraps, and a notes
    sheet (``notes``: (term, text) rows) says where the numbers come from. Both files are byte-stable. ``demo``:
    the run read the synthetic demo data; every row says so (:data:`DEMO_COLUMN`).
    """
    card = synthetic_marked(card, lang, demo)
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    csv = report_dir / f"{name}.csv"
    sep = ";" if lang == "da" else ","
    text = card.copy()
    for col in text.columns:
        text[col] = [_csv_cell(v, lang) for v in text[col]]
    text.to_csv(csv, index=False, sep=sep, encoding="utf-8-sig", lineterminator="\r\n")
    xlsx = report_dir / f"{name}.xlsx"
    _write_xlsx(card, xlsx, name, lang, notes or [])
    return [csv, xlsx]


def _write_xlsx(df: pd.DataFrame, path: Path, name: str, lang: str, notes: list[tuple[str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = name[:31]
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, (float, np.floating)) and np.isnan(v):
                cells.append(None)
            elif isinstance(v, (np.integer,)):
                cells.append(int(v))
            elif isinstance(v, (np.floating,)):
                cells.append(float(v))
            elif isinstance(v, (np.bool_,)):
                cells.append(bool(v))
            else:
                cells.append(v)
        ws.append(cells)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{len(df) + 1}"
    for j, col in enumerate(df.columns, start=1):
        values = df[col]
        numeric = pd.to_numeric(values, errors="coerce")
        letter = get_column_letter(j)
        is_num = numeric.notna().sum() > 0 and numeric.notna().sum() >= values.astype(str).str.len().gt(0).sum() / 2
        longest = max([len(str(col))] + [len(str(v)) for v in values.tolist()])
        if is_num:
            fmt = _number_format(str(col), values, lang)
            for r in range(2, len(df) + 2):
                c = ws[f"{letter}{r}"]
                if isinstance(c.value, bool) or not isinstance(c.value, (int, float)) or not fmt:
                    continue
                if fmt in ("0", "0.000"):
                    c.number_format = fmt
                elif float(c.value).is_integer():
                    c.number_format = "#,##0"
                else:
                    c.number_format = "#,##0.00" if abs(c.value) < 5 else "#,##0.0"
            ws.column_dimensions[letter].width = max(9, min(16, len(str(col)) + 2))
        else:
            width = min(60, max(10, longest + 2))
            ws.column_dimensions[letter].width = width
            if longest > 60:
                for r in range(2, len(df) + 2):
                    ws[f"{letter}{r}"].alignment = Alignment(wrap_text=True, vertical="top")
    ns = wb.create_sheet(i18n.LABELS[lang]["notes_sheet"])
    ns.append(["Begreb", "Forklaring"] if lang == "da" else ["Term", "Explanation"])
    ns["A1"].font = bold
    ns["B1"].font = bold
    for term, text in notes:
        ns.append([term, text])
    ns.column_dimensions["A"].width = 40
    ns.column_dimensions["B"].width = 110
    for r in range(2, len(notes) + 2):
        ns[f"B{r}"].alignment = Alignment(wrap_text=True, vertical="top")
        ns[f"A{r}"].alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.creator = "tryghed"
    wb.save(path)
    freeze_xlsx(path)


def scorecard_view(card: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The scorecard as a notebook shows it: the measure, this year's estimate and interval, the change and its
    verdict, and the status of each target (the full table is in the exports)."""
    L = i18n.LABELS[lang]
    keep = [L["measure"], L["area"], L["estimate"], L["ci_low"], L["ci_high"], L["unit"], L["verdict"], L["status"]]
    return card[[c for c in keep if c in card.columns]]


def styled(df: pd.DataFrame, lang: str, *, uuid: str, decimals: dict[str, int] | None = None):
    """A table for a rendered notebook (:func:`tryghed.tables.styled_table` on a frame whose columns already carry
    the report's labels): no index, numbers rounded in the report's convention, no NaN shown."""
    from .tables import styled_table

    L = i18n.LABELS[lang]
    return styled_table(df, lang=lang, uuid=uuid, decimals=decimals, years=(L["year"], L["baseline_year"]),
                        pvalues=(L["p"], L["q"]))


# ----------------------------------------------------------------------------------------- rendered notebooks
BANNER_CSS = ("background:#c00000;color:#fff;font:bold 15px sans-serif;padding:10px 16px;"
              "text-align:center;position:sticky;top:0;z-index:1000")


def banner_html(lang: str) -> str:
    from markupsafe import escape

    return f'<div class="tryghed-demo-banner" style="{BANNER_CSS}">{escape(i18n.LABELS[lang]["demo_banner"])}</div>'


def notebook_title(name: str, lang: str) -> str:
    """"3. Indikatorer" for ``03_indicators``."""
    no = name.split("_", 1)[0].lstrip("0") or "0"
    return f"{no}. {NOTEBOOK_TITLES[lang].get(name, name)}"


def render_notebook(executed: Path, out_html: Path, *, demo: bool, lang: str, title: str | None = None,
                    back_href: str | None = "index.html") -> Path:
    """Render an executed notebook to an offline HTML page with every code cell's input hidden.

    No script is loaded from a CDN (tryghed's nbconvert template drops require.js, MathJax, mermaid and widgets);
    the page has ``lang``, a real ``<title>``, the demo banner when ``demo``, a link back to the index page and
    alternative text on every image.
    """
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    for cell in nb.cells:
        # papermill gives its injected cell a random id; a fixed one keeps the page byte-identical on rerun
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
        if cell.cell_type == "markdown":
            cell.source = one_language(cell.source, lang)
    name = Path(executed).stem
    nb.metadata["title"] = title or notebook_title(name, lang)
    exporter = HTMLExporter(template_name="tryghed", extra_template_basedirs=[str(TEMPLATES / "nbconvert")],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
                            language_code=lang)
    L = i18n.LABELS[lang]
    resources = {"tryghed": {"banner": L["demo_banner"] if demo else "", "back_href": back_href or "",
                             "back_label": ("← Til forsiden" if lang == "da" else "← Back to the report"),
                             "figure_alt": "Figur fra analysen" if lang == "da" else "Figure from the analysis"}}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    Path(out_html).write_text(body, encoding="utf-8")
    return Path(out_html)


# ------------------------------------------------------------------------------------------------- provenance
def package_version() -> str:
    try:
        return metadata.version("tryghed")
    except metadata.PackageNotFoundError:
        from . import __version__

        return __version__


def git_commit(root: Path | None = None) -> str:
    """The commit of the code that made the report, ``-dirty`` after it when the package, the notebooks or the
    pipelines differ from that commit (as ``git describe --dirty`` marks it); ``unknown`` outside a git checkout."""
    from .paths import ROOT

    git = ["git", "-C", str(root or ROOT)]
    try:
        out = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)
        commit = out.stdout.strip()
        if not commit:
            return "unknown"
        changed = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no", "--", "tryghed",
                                  "notebooks", "pipelines"], capture_output=True, text=True, timeout=10, check=True)
        return commit + ("-dirty" if changed.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def data_sources(processed_dir: Path) -> list[tuple[str, str]]:
    """(file, sha256) of every raw file the run read, from ``staged/manifest.json``."""
    path = Path(processed_dir) / "staged" / "manifest.json"
    if not path.is_file():
        return []
    raw = json.loads(path.read_text(encoding="utf-8")).get("raw_files", {})
    return sorted((str(k), str(v)) for k, v in raw.items())


# ----------------------------------------------------------------------------------------------- the index page
def _reports_root(report_dir: Path) -> Path | None:
    for p in Path(report_dir).resolve().parents:
        if p.name == "reports":
            return p
    return None


def _copy_figures(figures_dir: Path, report_dir: Path) -> dict:
    """Copy the run's figures into the report folder (``figures/``); their manifest entries."""
    from .figure_data import read_manifest

    target = Path(report_dir) / FIGURES_SUBDIR
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for p in sorted(Path(figures_dir).glob("*")):
        if p.suffix in (".png", ".svg", ".json"):
            shutil.copyfile(p, target / p.name)
    manifest = read_manifest(figures_dir)
    for p in sorted(Path(figures_dir).glob("*.svg")):
        kind, _, ind = p.stem.partition("_")
        manifest.setdefault(p.stem, {"figure": p.stem, "indicator_id": ind, "kind": kind, "title": p.stem,
                                     "alt": p.stem, "files": [p.name, p.with_suffix(".png").name]})
    return manifest


def _peer_section(pipeline: Pipeline, processed_dir: Path, report_dir: Path, lang: str, figs: dict) -> dict | None:
    """Ranks, the peer table and the map for a pipeline that compares its municipality with peers."""
    path = Path(processed_dir) / "peers.parquet"
    if not pipeline.peers or not path.is_file():
        return None
    from . import peers

    ranks = pd.read_parquet(path)
    table = peers.peer_table(pipeline, ranks, lang)
    maps = [f for f in figs.values() if f.get("kind") == "map"]
    return {"statements": peers.rank_statements(pipeline, ranks, lang),
            "note": i18n.PEER_LABELS[lang]["rank_note"],
            "columns": list(table.columns), "rows": table.astype(str).values.tolist(),
            "maps": maps, "map_note": "" if maps else peers.map_note(pipeline, lang),
            "downloads": [p.name for p in (Path(report_dir) / "peers.csv", Path(report_dir) / "peers.xlsx")
                          if p.is_file()]}


def effects_section(pipeline: Pipeline, processed_dir: Path, lang: str) -> dict | None:
    """The effect evaluation's section (``_effects.html.j2``) from the facts notebook 08_effects wrote
    (``effects.json``); None for a pipeline without an ``effects:`` block."""
    if not pipeline.effects and not (Path(processed_dir) / "effects.json").is_file():
        return None   # nothing to show, and statsmodels (which tryghed.effects imports) stays unimported
    from . import effects

    facts = effects.read_facts_json(Path(processed_dir) / "effects.json")
    href = "08_effects.html" if "08_effects" in pipeline.notebooks else None
    return effects.page_section(facts, pipeline, lang, notebook_href=href)


#: Pages a pipeline's own notebooks write into the report folder, linked from the index page.
EXTRA_PAGES = {
    "juni/index.html": {"da": "Junirapporten: indsatser, der er godt på vej", "en": "The June report: efforts well "
                        "on the way"},
    "statusrapport.html": {"da": "Statusrapporten til styregrupperne", "en": "The status report to the steering "
                           "groups"},
    "national.html": {"da": "Alle kommuner: tragtdiagrammer, kort og sider pr. kommune", "en": "Every municipality: "
                      "funnel plots, map and a page per municipality"},
}


def half_year_section(pipeline: Pipeline, half, year: int, lang: str) -> dict | None:
    """The index page's half-year section (``period: half_year``; ``half``: :class:`tryghed.periods.HalfYears`):
    for each complete half-year of ``year``, every StatBank rate at its headline area, the same half-year a year
    earlier, the change between them and the trend over the same half-year of each year, worded by
    :mod:`tryghed.i18n` from the rows' verdicts. None without ``half``; no rows when ``year`` has no complete
    half-year (the section then says so)."""
    if half is None:
        return None
    from . import periods
    from .changes import headline_area

    def pick(frame: pd.DataFrame, ind_id: str, area: str, label: str) -> dict | None:
        if frame.empty:
            return None
        hit = frame[(frame["indicator_id"] == ind_id) & (frame["area_id"] == area) & (frame["period"] == label)]
        return hit.iloc[0].to_dict() if len(hit) else None

    rows = []
    for label in sorted(set(half.rates.loc[half.rates["year"] == int(year), "period"])):
        for ind in pipeline.indicators:
            area = headline_area(pipeline, ind)
            now = pick(half.rates, ind.id, area, label)
            if now is None:
                continue
            unit = i18n.indicator_unit(ind)
            change, trend = pick(half.changes, ind.id, area, label), pick(half.trends, ind.id, area, label)
            ref = change.get("ref_period") if change else None
            before = pick(half.rates, ind.id, area, ref) if isinstance(ref, str) else None
            rows.append([i18n.effect_period(label, lang), ind.name[lang],
                         i18n.value_with_interval(now["estimate"], now["ci_low"], now["ci_high"], unit, lang),
                         f"{i18n.value(before['estimate'], unit, lang)} ({i18n.effect_period(ref, lang)})"
                         if before else "–",
                         i18n.change_statement(change, unit, lang) if change else "–",
                         i18n.trend_statement(trend, unit, lang) if trend else "–"])
    L = i18n.LABELS[lang]
    da = lang == "da"
    return {"title": "Halvår" if da else "Half-years",
            "columns": ["Halvår" if da else "Half-year", L["measure"],
                        "Værdi" if da else "Value",
                        "Samme halvår året før" if da else "The same half-year a year earlier",
                        "Ændring" if da else "Change", L["trend"]],
            "rows": rows, "note": periods.HALF_NOTE[lang],
            "empty": "" if rows else (f"{year} har intet fuldstændigt halvår i data." if da else
                                      f"{year} has no complete half-year in the data."),
            "left_out": [(f"{i18n.effect_period(h, lang)} er ikke fuldstændigt i data og er udeladt." if da else
                          f"{i18n.effect_period(h, lang)} is not complete in the data and is left out.")
                         for h in (periods.format_period("half_year", int(year), k) for k in (1, 2))
                         if h not in set(half.rates["period"]) and any(d.startswith(h) for d in half.dropped)],
            "downloads": list(periods.HALF_FILES)}


def build(pipeline: Pipeline, paths, year: int, lang: str, *, demo: bool, source: str,
          notes: list[str] | None = None, extra_notes: list[str] = (), executed_dir: Path | None = None,
          render_notebooks: bool = True, reports_root: Path | None = None, half_years=None) -> Path:
    """Make ``paths.report_dir`` a finished, self-contained report folder and return its index page.

    Renders every executed notebook of the pipeline (from ``executed_dir``, default ``report_dir/executed``),
    copies the figures and the style sheet in, writes ``index.html`` and ``report.json`` (what the catalogue
    lists).

    Parameters
    ----------
    pipeline : Pipeline
    paths : RunPaths
        ``processed_dir`` (``published``, ``changes``, ``targets``, ``trends``, optional ``peers`` parquet files,
        ``disclosure.json``, ``staged/manifest.json``), ``figures_dir`` and ``report_dir`` of the run.
    year : int
    lang : {"da", "en"}
    demo : bool
        The run read the synthetic demo data: banner, watermarks and notes say so.
    source : str
        The data source the report is built from as the catalogue names it ("demo" or the raw folder's name).
    notes : list of str, optional
        Method notes; default :func:`method_notes` from the run's change table and disclosure record.
    extra_notes : list of str
        Notes added after them (the runner's ``data_notes``: offence groups, absent optional sources, a skipped
        map).
    executed_dir : Path, optional
        Where the executed notebooks are (default ``report_dir/executed``).
    render_notebooks : bool
        Render the notebooks' pages here (the runner renders them while the chain runs and passes False).
    reports_root : Path, optional
        The ``reports`` folder holding earlier reports (for "since last year's report"; default: the one above
        ``report_dir``).
    half_years : tryghed.periods.HalfYears, optional
        The StatBank rates by half-year (``period: half_year``): a section of their own (:func:`half_year_section`);
        their files (written beside the scorecard first) are linked there, not among the downloads.
    """
    processed, report_dir = Path(paths.processed_dir), Path(paths.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    def read(name: str) -> pd.DataFrame:
        """A processed table; a pipeline without indicators (e.g. the effort register) has none: empty."""
        path = processed / name
        return pd.read_parquet(path) if path.is_file() else pd.DataFrame(
            columns=["indicator_id", "area_id", "level", "period", "comparison", "pvalue", "method", "flags",
                     "estimate", "suppressed", "target_no", "status"])

    published = read("published.parquet")
    changes = read("changes.parquet")
    targets = read("targets.parquet")
    trends = read("trends.parquet") if (processed / "trends.parquet").is_file() else None
    disclosure_path = processed / "disclosure.json"
    disclosure = json.loads(disclosure_path.read_text(encoding="utf-8")) if disclosure_path.is_file() else None
    if notes is None:
        notes = method_notes(pipeline, changes, lang, disclosure=disclosure)
        if len(published):
            from . import programme

            # where the data disagree with the programme's own baselines (17.5 %, 283 days, 9 institutions)
            notes += programme.disagreements(pipeline, programme.programme_checks(pipeline, published), lang)
    notes = [*notes, *extra_notes]
    executed_dir = Path(executed_dir) if executed_dir else report_dir / "executed"
    L = i18n.LABELS[lang]
    title = L["title"].format(name=pipeline.name[lang], year=year)
    notebooks = []
    for name in pipeline.notebooks:
        nb = executed_dir / f"{name}.ipynb"
        if nb.is_file():
            if render_notebooks:
                render_notebook(nb, report_dir / f"{name}.html", demo=demo, lang=lang,
                                title=f"{notebook_title(name, lang)} – {title}")
            notebooks.append({"href": f"{name}.html", "title": notebook_title(name, lang)})
    notebooks = [{"href": href, "title": names[lang]} for href, names in EXTRA_PAGES.items()
                 if (report_dir / href).is_file()] + notebooks
    figs = _copy_figures(paths.figures_dir, report_dir)
    assets = report_dir / ASSETS_SUBDIR
    assets.mkdir(exist_ok=True)
    shutil.copyfile(TEMPLATES / "report.css", assets / "report.css")
    rows = measures(pipeline, published, changes, targets, year, lang, trends) if pipeline.indicators else []
    for m in rows:
        m["figures"] = [{**f, "svg": f"{FIGURES_SUBDIR}/{f['figure']}.svg",
                         "png": f"{FIGURES_SUBDIR}/{f['figure']}.png"}
                        for f in sorted(figs.values(), key=lambda f: (f.get("kind") != "trend", f["figure"]))
                        if f.get("indicator_id") == m["id"] and f.get("kind") in ("trend", "areas", "district_map")]
    no_data = [m["name"] for m in rows if not m["has_data"]]
    half = half_year_section(pipeline, half_years, year, lang)
    downloads = [p.name for p in sorted(report_dir.glob("*.csv")) + sorted(report_dir.glob("*.xlsx"))
                 if p.stem not in ("peers",) and not (half and p.name in half["downloads"])]
    root = _reports_root(report_dir)
    earlier = Path(reports_root) if reports_root else root
    since = since_last_report(earlier, pipeline.id, year, lang, source, rows) if earlier and earlier.is_dir() \
        else None
    catalogue_href = Path(_relpath(root / "index.html", report_dir)).as_posix() if root else None
    page = _env().get_template("index.html.j2").render(
        lang=lang, L=L, title=title, owner=pipeline.owner[lang], demo=demo, year=year,
        goals=goal_groups(pipeline, [m for m in rows if m["has_data"]], lang),
        measures=[m for m in rows if m["has_data"]], no_data=no_data, notebooks=notebooks,
        has_targets=any(m["targets"] for m in rows), since=since,
        downloads=downloads, notes=notes, peers=_peer_section(pipeline, processed, report_dir, lang, figs),
        version=package_version(), commit=git_commit(), sources=data_sources(processed),
        source_line=i18n.source_line(pipeline, None, lang, demo), catalogue_href=catalogue_href,
        effects=effects_section(pipeline, processed, lang), half=half)
    index = report_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    record = {"pipeline": pipeline.id, "name": {"da": pipeline.name.da, "en": pipeline.name.en}, "year": int(year),
              "lang": lang, "source": source,
              "demo": bool(demo), "title": title,
              "measures": {m["id"]: {"name": m["name"], "value_text": m["value_text"],
                                     "statuses": [[t.target, t.status, t.text] for t in m["targets"]]}
                           for m in rows}}
    (report_dir / REPORT_RECORD).write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                            encoding="utf-8")
    return index


def since_last_report(reports_root: Path, pipeline_id: str, year: int, lang: str, source: str,
                      rows: list[dict]) -> dict | None:
    """What changed since last year's report of the same pipeline, language and data source (its
    ``report.json``): each measure's value then and now, and each target whose status changed. None when there is
    no such report."""
    previous = None
    for rec in sorted(Path(reports_root).rglob(REPORT_RECORD)):
        rel = rec.parent.relative_to(reports_root)
        if any(part.startswith((".", "_")) or part.endswith(".old") for part in rel.parts):
            continue
        try:
            data = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (data.get("pipeline"), data.get("year"), data.get("lang"), data.get("source")) == \
                (pipeline_id, year - 1, lang, source) and isinstance(data.get("measures"), dict):
            previous = data
            break
    if previous is None:
        return None
    items = []
    for m in rows:
        before = previous["measures"].get(m["id"])
        if before is None or not m["has_data"]:
            continue
        changed = [(t.target, old[2], t.text) for t in m["targets"]
                   for old in before.get("statuses", []) if old[0] == t.target and old[1] != t.status]
        items.append({"name": m["name"], "before": before.get("value_text", "–"), "now": m["value_text"],
                      "statuses": changed})
    return {"year": year - 1, "items": items}


def _relpath(target: Path, start: Path) -> str:
    import os

    return os.path.relpath(Path(target).resolve(), Path(start).resolve())


def write_catalogue(reports_root: Path) -> Path:
    """Write ``reports_root/index.html``: every report found below it (pipeline × year × language × data source),
    read from the ``report.json`` each finished report folder holds. Folders of failed or staged runs
    (``_failed``, ``.staging``) are never listed."""
    reports_root = Path(reports_root)
    reports_root.mkdir(parents=True, exist_ok=True)
    entries = []
    for rec in sorted(reports_root.rglob(REPORT_RECORD)):
        rel = rec.parent.relative_to(reports_root)
        if any(part.startswith((".", "_")) or part.endswith(".old") for part in rel.parts):
            continue
        try:
            data = json.loads(rec.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("cannot read %s; the report is left out of the catalogue", rec)
            continue
        if not (rec.parent / "index.html").is_file():
            continue
        entries.append({**data, "href": (rel / "index.html").as_posix()})
    entries.sort(key=lambda e: (e.get("pipeline", ""), -int(e.get("year", 0)), e.get("lang", ""),
                                e.get("source", "")))
    languages = {"da": "Dansk", "en": "English"}
    page = _env().get_template("catalogue.html.j2").render(entries=entries, languages=languages, L=i18n.LABELS["da"],
                                                            Len=i18n.LABELS["en"])
    out = reports_root / "index.html"
    out.write_text(page, encoding="utf-8")
    return out


def index_page(pipeline: Pipeline, year: int, lang: str, card: pd.DataFrame, notebooks: list[tuple[str, str]],
               figures: list[str], *, demo: bool, notes: list[str]) -> str:
    """The former index page (kept until the runner calls :func:`build`): the scorecard table with links."""
    L = i18n.LABELS[lang]
    title = L["title"].format(name=pipeline.name[lang], year=year)
    return _env().get_template("legacy_index.html.j2").render(
        lang=lang, L=L, title=title, owner=pipeline.owner[lang], demo=demo,
        table=Markup(card.drop(columns=["indicator_id"], errors="ignore").to_html(index=False, escape=True,
                                                                                  classes="scorecard", border=0,
                                                                                  na_rep="–")),
        notebooks=notebooks, figures=figures, notes=notes, banner=Markup(banner_html(lang)) if demo else "")


# ------------------------------------------------------------------------------------------------ method notes
GENERAL_NOTES = {
    "da": [
        "Ændringer testes tosidet på 5 %-niveau; overlappende konfidensintervaller bruges aldrig som test, og der "
        "testes ikke på tværs af databrud (METHODS.md §0).",
        "Mål: vækstrate-reglen (forholdet mellem den observerede og den nødvendige årlige vækstrate; grænser "
        "0,95/0,60/0), den lineære procentpoint-regel for punktmål og FN's variant (0,95/0,10) (METHODS.md §3.1); "
        "desuden en fremskrivning til målåret med 95 %-prædiktionsinterval, kun med mindst 4 år (§3.2).",
        "Hvad tallene ikke kan vise, er regnet ud fra de faktiske antal: den mindste ændring, der kan blive "
        "statistisk signifikant, og den mindste forskel, der opdages med 80 % sandsynlighed (METHODS.md §1.4).",
    ],
    "en": [
        "Changes are tested two-sided at the 5% level; overlapping confidence intervals are never used as a test, "
        "and nothing is tested across a series break (METHODS.md §0).",
        "Targets: the growth-rate rule (observed over required annual growth rate; bounds 0.95/0.60/0), the linear "
        "percentage-point rule for point targets and the UN variant (0.95/0.10) (METHODS.md §3.1); also a "
        "projection to the target year with its 95% prediction interval, only with at least 4 years (§3.2).",
        "What the data cannot tell is computed from the actual sizes: the smallest change that can be "
        "statistically significant and the smallest difference detected with 80% probability (METHODS.md §1.4).",
    ],
}


METHOD_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg (FDR 5 %)", "none": "—"}
_METHOD_NAMES_EN = {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg (FDR 5%)", "none": "—"}


def family_note(pipeline: Pipeline, lang: str) -> str:
    """How the tests are grouped for multiple testing: the default families and the YAML's declarations (§4)."""
    parts = []
    for f in pipeline.families:
        levels = ", ".join(i18n.LEVEL_NAMES[lang].get(lv, lv).lower() for lv in f.levels)
        if f.method == "none":
            how = "ingen korrektion" if lang == "da" else "no adjustment"
        elif lang == "da":
            how = METHOD_NAMES[f.method].replace("FDR 5 %", "falsk opdagelsesrate 5\u00a0%")
        else:
            how = _METHOD_NAMES_EN[f.method]
        if f.pool_indicators:
            how = ("alle mål samlet i én familie, " if lang == "da" else "all measures pooled in one family, ") + how
        parts.append(f"'{f.id}' ({levels}): {how}")
    if lang == "da":
        text = ("Multiple test (METHODS.md §4): en familie er ét mål på ét områdeniveau for én sammenligning (fx "
                "bydelenes ændring siden sidste år); hele byen er ikke med i bydelenes familie, og ændringer uden "
                "test er ikke med i nogen. Uden andet valg korrigeres byen efter Holm og de øvrige niveauer efter "
                "Benjamini–Hochberg (falsk opdagelsesrate 5\u00a0%).")
        if parts:
            text += " Fastlagt i pipelinens YAML før analysen: " + "; ".join(parts) + "."
        return text + " Både den rå p-værdi og den justerede q-værdi offentliggøres."
    text = ("Multiple testing (METHODS.md §4): a family is one measure at one area level for one comparison (e.g. "
            "the districts' changes since last year); the whole city is not in the districts' family, and changes "
            "without a test are in none. Unless declared otherwise, the city is adjusted by Holm and the other "
            "levels by Benjamini–Hochberg (FDR 5%).")
    if parts:
        text += " Declared in the pipeline YAML before the analysis: " + "; ".join(parts) + "."
    return text + " Both the raw p and the adjusted q are published."


def method_notes(pipeline: Pipeline, changes: pd.DataFrame, lang: str, disclosure: dict | None = None) -> list[str]:
    """Which method was used for which measure and why, with the METHODS.md anchors, the declared breaks, and the
    disclosure rule applied (``disclosure``: the run's ``disclosure.json`` record)."""
    from .kinds.survey_share import MIN_ANSWERS

    notes = []
    for ind in pipeline.indicators:
        used = changes[(changes["indicator_id"] == ind.id) & changes["pvalue"].notna()]["method"]
        test = f" ({'test brugt i år' if lang == 'da' else 'test used this year'}: " \
               f"{i18n.method_name(used.iloc[0], lang)})" if len(used) else ""
        note = ind.impl.note_for(ind, pipeline, lang).format(min_answers=MIN_ANSWERS)
        notes.append(f"{ind.name[lang]}: {note}{test}.")
    grouped: dict[tuple[int, str], list[str]] = {}   # one note per break, naming the measures it touches
    for b in pipeline.breaks:
        names = grouped.setdefault((b.year, b.why[lang]), [])
        name = next((i.name[lang] for i in pipeline.indicators if i.id == b.indicator), b.indicator)
        if name not in names:
            names.append(name)
    for (year_, why), names in grouped.items():
        notes.append(("Databrud " if lang == "da" else "Series break ") + f"{year_} ({'; '.join(names)}): {why} "
                     + ("(ingen test på tværs; bruddet er tegnet i figurerne)." if lang == "da" else
                        "(no test across it; the break is drawn on the charts)."))
    has_targets = any(ind.targets for ind in pipeline.indicators)
    notes.extend(n for n in GENERAL_NOTES[lang] if has_targets or not n.startswith(("Mål:", "Targets:")))
    notes.append(family_note(pipeline, lang))
    if disclosure:
        head = "Diskretionering (METHODS.md §6): " if lang == "da" else "Disclosure control (METHODS.md §6): "
        notes.append(head + disclosure[f"note_{lang}"])
    return notes


def one_language(markdown: str, lang: str) -> str:
    """Keep one language of a notebook's bilingual Markdown: Danish text, then its English in ``*italics*``.

    A heading "Resultater / Report" keeps the side of ``lang``; a paragraph wholly in italics is the English one;
    a line "Dansk / *English*" keeps its side.
    """
    out = []
    for para in markdown.split("\n\n"):
        text = para.strip()
        english = len(text) > 2 and text.startswith("*") and text.endswith("*") and not text.startswith("**")
        if text.startswith("#") and " / " in text:
            head, _, tail = text.partition(" / ")
            hashes = head.split(" ", 1)[0]
            number = head.split(" ", 2)[1] if head.count(" ") >= 2 and head.split(" ")[1].endswith(".") else ""
            para = head if lang == "da" else f"{hashes} {number + ' ' if number else ''}{tail}".replace("  ", " ")
        elif " / *" in text and text.endswith("*"):
            da_part, _, en_part = text.partition(" / *")
            para = da_part if lang == "da" else en_part[:-1]
        elif english:
            if lang == "da":
                continue
            para = text[1:-1]
        elif lang == "en" and any(p.strip().startswith("*") and p.strip().endswith("*")
                                  for p in markdown.split("\n\n")):
            continue
        out.append(para)
    return "\n\n".join(out)
