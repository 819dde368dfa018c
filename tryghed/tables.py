"""Tables a rendered notebook shows: labels in the report's language, numbers in its convention, no NaN.

:func:`styled_table` turns a frame, a mapping of its columns to labels and a language into a pandas Styler: column
labels and coded values in the report's language, numbers formatted by Babel (``1.234,5`` in Danish), the index
hidden, a caption, and a missing value shown as "–" (or "ikke målt"). The Styler's id is given by the caller, so a
rerun renders the same bytes. The ``*_view`` functions build the notebooks' tables of the change, trend and target
tables and the city's values with it.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from . import i18n
from .config import Pipeline

#: Words for the codes of the change and target tables (the comparison a change is against).
COMPARISONS = {
    "da": {"previous_year": "Sidste år", "baseline": "Udgangsåret", "rest_of_level": "Resten af niveauet"},
    "en": {"previous_year": "Previous year", "baseline": "Baseline year", "rest_of_level": "Rest of the level"},
}
#: Column labels of the views (the report's general labels are in :data:`tryghed.i18n.LABELS`).
VIEW_LABELS = {
    "da": {"comparison": "Sammenlignet med", "ref_period": "Sammenligningsår", "change": "Ændring",
           "change_unit": "Ændringens enhed", "ci_low": "95 %-KI, nedre", "ci_high": "95 %-KI, øvre",
           "verdict": "Vurdering", "method": "Test", "period": "Periode", "slope": "Hældning pr. år",
           "marker": "Retning", "target_pvalue": "p-værdi mod målet", "target": "Målsætning",
           "target_value": "Målværdi", "value": "Værdi", "status": "Status", "status_cagr": "Status (vækstrate)",
           "status_un": "Status (FN-varianten)", "projection": "Fremskrivning til målåret",
           "pi_low": "95 %-PI, nedre", "pi_high": "95 %-PI, øvre", "projection_status": "Fremskrivningens vurdering"},
    "en": {"comparison": "Compared with", "ref_period": "Compared year", "change": "Change",
           "change_unit": "Unit of the change", "ci_low": "95% CI, lower", "ci_high": "95% CI, upper",
           "verdict": "Verdict", "method": "Test", "period": "Period", "slope": "Slope per year",
           "marker": "Direction", "target_pvalue": "p-value against the target", "target": "Target",
           "target_value": "Target value", "value": "Value", "status": "Status", "status_cagr": "Status (growth rate)",
           "status_un": "Status (UN variant)", "projection": "Projection to the target year",
           "pi_low": "95% PI, lower", "pi_high": "95% PI, upper", "projection_status": "Verdict of the projection"},
}
#: Columns that hold years (written without a thousands separator).
YEAR_COLUMNS = ("period", "year", "ref_period", "first_period", "last_period", "base_year", "target_year")
#: Columns that hold p- or q-values (three decimals, "< 0,001" below it).
P_COLUMNS = ("pvalue", "qvalue", "p_exact", "q_exact", "p_adjusted", "q_adjusted", "target_pvalue", "p", "q",
             "p_placebo", "smallest_p")


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, str):
        return v.strip().lower() in ("", "nan", "none", "<na>")
    try:
        return bool(isinstance(v, (float, np.floating)) and math.isnan(v))
    except TypeError:
        return False


def _mostly_numbers(col: pd.Series) -> bool:
    """A column to align right: most of its values are numbers (a year column with a few "*" included)."""
    values = [v for v in col.tolist() if not _missing(v)]
    nums = [v for v in values if isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_))]
    return bool(values) and len(nums) * 2 > len(values)


def _label(label, lang: str) -> str:
    """A label given as one text, or per language (``{da, en}`` or a config ``Names``)."""
    if isinstance(label, str):
        return label
    return str(label[lang])


def column_decimals(values) -> int:
    """Decimals that suit a whole column: none when every number is whole, two when all lie below 5, else one."""
    nums = [float(v) for v in values if isinstance(v, (int, float, np.integer, np.floating))
            and not isinstance(v, (bool, np.bool_)) and math.isfinite(float(v))]
    if not nums or all(x.is_integer() for x in nums):
        return 0
    return 2 if max(abs(x) for x in nums) < 5 else 1


def cell_formatter(lang: str, *, decimals: int | None = None, year: bool = False, p: bool = False,
                   missing: str = "–", words: Mapping | Callable | None = None) -> Callable:
    """The function that writes one cell: words for codes, numbers in ``lang``'s convention, ``missing`` for none.

    Parameters
    ----------
    lang : {"da", "en"}
    decimals : int, optional
        Decimals of every number (default: one; :func:`styled_table` chooses per column).
    year : bool
        The numbers are years: written as they are (2017, never "2.017").
    p : bool
        The numbers are p- or q-values: three decimals, "< 0,001" below that.
    missing : str
        What a missing value (None, NaN, NA, "") shows.
    words : mapping or callable, optional
        A code's words (``{"city": "By"}`` or ``{"city": {"da": "By", "en": "City"}}``), or a function of the value
        returning them; a code not in the mapping is shown as it is.
    """
    L = i18n.LABELS[lang]

    def fmt(v) -> str:
        if _missing(v):
            return missing
        if words is not None:
            if callable(words):
                out = words(v)
                return missing if _missing(out) else str(out)
            if v in words:
                return _label(words[v], lang)
        if isinstance(v, (bool, np.bool_)):
            return L["yes"] if v else L["no"]
        if isinstance(v, (pd.Timestamp, datetime.datetime, datetime.date)):
            midnight = not isinstance(v, datetime.datetime) or v.time() == datetime.time()
            return v.strftime("%Y-%m-%d") if midnight else v.strftime("%Y-%m-%d %H:%M")
        if isinstance(v, (int, np.integer, float, np.floating)):
            x = float(v)
            if math.isinf(x):
                return "∞" if x > 0 else f"{i18n.MINUS}∞"
            if year and x.is_integer():
                return str(int(x))
            if p:
                return f"<{i18n.NBSP}{i18n.number(0.001, lang, 3)}" if x < 0.001 else i18n.number(x, lang, 3)
            return i18n.number(x, lang, 1 if decimals is None else decimals)
        return str(v)

    return fmt


def styled_table(df: pd.DataFrame, *, lang: str, uuid: str, labels: Mapping | None = None,
                 words: Mapping[str, Mapping | Callable] | None = None, decimals: Mapping[str, int] | None = None,
                 years: tuple[str, ...] = YEAR_COLUMNS, pvalues: tuple[str, ...] = P_COLUMNS,
                 caption: str | None = None, missing: str = "–", index: str | None = None,
                 row_decimals: Mapping[str, list] | None = None):
    """A frame as a notebook shows it: labelled columns, formatted numbers, no index, no NaN.

    Parameters
    ----------
    df : DataFrame
    lang : {"da", "en"}
        The report's language: number convention and the labels chosen from ``labels``.
    uuid : str
        The Styler's id (the HTML's ``T_<uuid>``): fixed, so a rerun writes the same bytes.
    labels : mapping, optional
        Column -> label (one text, or ``{da, en}``). When given, the table shows these columns only, in this
        order; without it every column, named as it is.
    words : mapping, optional
        Column -> the words of its codes (mapping or function), e.g. ``{"level": i18n.LEVEL_NAMES[lang]}``.
    decimals : mapping, optional
        Column -> decimals of its numbers (default :func:`column_decimals`: none when all are whole, two when all
        lie below 5, else one).
    years, pvalues : tuple of str
        Columns written as years (2017) and as p-values (0,012; < 0,001).
    caption : str, optional
    missing : str
        What a missing value shows: "–" (default) or, e.g., ``i18n.NOT_MEASURED[lang]``.
    index : str, optional
        Show the frame's index as the first column under this label (e.g. a cross table's row names); by
        default the index is hidden.
    row_decimals : mapping, optional
        Column -> decimals per row (a list as long as the frame, None for the column's default): for a column
        whose rows hold different units (a share beside a count).

    Returns
    -------
    pandas.io.formats.style.Styler

    Raises
    ------
    KeyError
        When ``labels`` names a column the frame does not have.
    """
    words, decimals = dict(words or {}), dict(decimals or {})
    if index is not None:
        df = df.rename_axis(index).reset_index()
        labels = {index: index, **labels} if labels is not None else None
    if labels is not None:
        absent = [c for c in labels if c not in df.columns]
        if absent:
            raise KeyError(f"styled_table: the frame has no column {absent[0]!r} (it has: "
                           f"{', '.join(map(str, df.columns))})")
        view = df[list(labels)].copy()
        names = {c: _label(lab, lang) for c, lab in labels.items()}
    else:
        view = df.copy()
        names = {c: str(c) for c in view.columns}
    formatters = {}
    for c in view.columns:
        d = decimals.get(c, column_decimals(view[c].tolist()) if c not in words else None)
        formatters[c] = cell_formatter(lang, decimals=d, year=c in years, p=c in pvalues, missing=missing,
                                       words=words.get(c))
    # each column formatted on its own values (an object column mixing numbers and codes included)
    view = view.reset_index(drop=True)
    view.columns = pd.Index([names[c] for c in view.columns])
    view.columns.name = None
    fmts = dict(zip(view.columns, formatters.values()))
    numeric = [c for c in view.columns if _mostly_numbers(view[c])]
    st = view.style.hide(axis="index").set_uuid(uuid).format(fmts)
    for c, per_row in (row_decimals or {}).items():
        if c not in names:
            continue
        for i, d in enumerate(per_row):
            if d is not None:
                st = st.format(cell_formatter(lang, decimals=int(d), missing=missing),
                               subset=pd.IndexSlice[[i], [names[c]]])
    # per-cell alignment (a cell's own id outranks a table-wide "td" rule): numbers right, text left
    st = st.set_table_styles([{"selector": "td, th", "props": "vertical-align: top; max-width: 28em;"},
                              {"selector": "th", "props": "text-align: left;"},
                              {"selector": "caption", "props": "caption-side: top; text-align: left; "
                                                               "font-weight: bold;"}])
    text = [c for c in view.columns if c not in numeric]
    if numeric:
        st = st.set_properties(subset=numeric, **{"text-align": "right"})
    if text:
        st = st.set_properties(subset=text, **{"text-align": "left"})
    if caption:
        st = st.set_caption(caption)
    return st


# ------------------------------------------------------------------------------------------------------ views
def _indicator_names(pipeline: Pipeline, lang: str) -> dict:
    return {i.id: i.name[lang] for i in pipeline.indicators}


def _area_names(pipeline: Pipeline, lang: str) -> dict:
    return {a.id: a.name[lang] for a in pipeline.areas}


def _change_unit(pipeline: Pipeline, row, lang: str) -> str:
    if row.get("scale") == "ratio":
        return "rate-forhold" if lang == "da" else "rate ratio"
    ind = pipeline.indicator(row["indicator_id"])
    return i18n.POINTS[lang] if ind.unit == "percent" else i18n.unit_label(ind, lang)


def _change_decimals(pipeline: Pipeline, row) -> int:
    """A change's decimals as the page words it (i18n.change_size): none for counts, else two below 1, else one."""
    if row.get("scale") == "ratio":
        return 3
    ind = pipeline.indicator(row["indicator_id"])
    x = row.get("change")
    if ind.unit in ("count", "days"):
        return 0
    return 2 if _missing(x) or abs(float(x)) < 1 else 1


def _value_decimals(pipeline: Pipeline, indicator_id: str, values) -> int:
    """A value's decimals as the page shows it (i18n.decimals_for), for the row's largest value."""
    nums = [abs(float(v)) for v in values if isinstance(v, (int, float, np.integer, np.floating))
            and not _missing(v)]
    return i18n.decimals_for(max(nums) if nums else float("nan"), pipeline.indicator(indicator_id).unit)


def _verdict_words(row, words: Mapping, lang: str) -> str:
    """The verdict in words; an untested row says why when the reason is a known code (the statistics layer's
    free-text reasons are English, so they are never shown)."""
    verdict = row.get("verdict")
    reason = row.get("verdict_reason")
    text = words.get(verdict, "") if isinstance(verdict, str) else ""
    if verdict == "not_tested" and isinstance(reason, str):
        if reason == "too_few_periods":
            return i18n.MARKERS[lang]["too_few_points"]
        if reason in i18n.REASONS[lang] or reason.startswith("too small to test"):
            return i18n.reason_words(reason, lang)   # the page's words for it
    return text


def change_view(pipeline: Pipeline, change_tab: pd.DataFrame, lang: str, *, uuid: str, areas: bool = False,
                caption: str | None = None):
    """The change table's rows as a notebook shows them: measure (and area), what the change is against, the
    change with its unit and 95 % interval, p and q, the test and the verdict in words."""
    V, L = VIEW_LABELS[lang], i18n.LABELS[lang]
    t = change_tab.reset_index(drop=True).copy()
    t["change_unit"] = [_change_unit(pipeline, r, lang) for r in t.to_dict("records")]
    t["verdict_text"] = [_verdict_words(r, i18n.WORDS[lang], lang) for r in t.to_dict("records")]
    t["method_text"] = [i18n.method_name(m, lang) for m in t["method"]]
    labels = {"indicator_id": L["measure"], **({"area_id": L["area"]} if areas else {}),
              "comparison": V["comparison"], "ref_period": V["ref_period"], "change": V["change"],
              "change_unit": V["change_unit"], "ci_low": V["ci_low"], "ci_high": V["ci_high"], "pvalue": L["p"],
              "qvalue": L["q"], "method_text": V["method"], "verdict_text": V["verdict"]}
    words = {"indicator_id": _indicator_names(pipeline, lang), "area_id": _area_names(pipeline, lang),
             "comparison": COMPARISONS[lang]}
    d = [_change_decimals(pipeline, r) for r in t.to_dict("records")]
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, words=words, caption=caption,
                        row_decimals={"change": d, "ci_low": d, "ci_high": d})


def trend_view(pipeline: Pipeline, trend_tab: pd.DataFrame, lang: str, *, uuid: str, caption: str | None = None):
    """The trend table's rows: measure, period, the slope per year with its unit and interval, the test, the
    direction and the verdict in words, and the p-value of the test against the annual target."""
    V, L = VIEW_LABELS[lang], i18n.LABELS[lang]
    t = trend_tab.reset_index(drop=True).copy()
    t["span"] = [None if _missing(a) or _missing(b) else str(int(b)) if int(a) == int(b) else f"{int(a)}–{int(b)}"
                 for a, b in zip(t["first_period"], t["last_period"])]
    t["slope_unit_text"] = [_change_unit(pipeline, {**r, "scale": "ratio" if "ratio" in str(r.get("slope_unit"))
                                                     else ""}, lang) for r in t.to_dict("records")]
    t["verdict_text"] = [_verdict_words(r, i18n.TREND_WORDS[lang], lang) for r in t.to_dict("records")]
    t["method_text"] = [i18n.method_name(m, lang) for m in t["method"]]
    labels = {"indicator_id": L["measure"], "span": V["period"], "slope": V["slope"],
              "slope_unit_text": L["unit"], "ci_low": V["ci_low"], "ci_high": V["ci_high"], "pvalue": L["p"],
              "method_text": V["method"], "marker": V["marker"], "verdict_text": V["verdict"],
              "target_pvalue": V["target_pvalue"]}
    words = {"indicator_id": _indicator_names(pipeline, lang), "marker": i18n.MARKERS[lang]}
    d = [1 if pipeline.indicator(r["indicator_id"]).unit in ("count", "days") else
         3 if "ratio" in str(r.get("slope_unit")) or _missing(r.get("slope")) or abs(float(r["slope"])) < 0.1 else 2
         for r in t.to_dict("records")]
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, words=words, caption=caption,
                        row_decimals={"slope": d, "ci_low": d, "ci_high": d})


def target_view(pipeline: Pipeline, target_tab: pd.DataFrame, lang: str, *, uuid: str, caption: str | None = None):
    """The target table's rows: measure, target in words, target value and this year's value with their unit,
    the status by each rule, the projection to the target year with its 95 % prediction interval (the target
    value of an annual-change target is the change a year its text names, e.g. −1 percentage point)."""
    V, L = VIEW_LABELS[lang], i18n.LABELS[lang]
    t = target_tab.reset_index(drop=True).copy()

    def target_text(r) -> str | None:
        ind = pipeline.indicator(r["indicator_id"])
        no = r.get("target_no")
        return ind.targets[int(no)].text[lang] if not _missing(no) and int(no) < len(ind.targets) else None

    rows = t.to_dict("records")
    t["target_text"] = [target_text(r) for r in rows]
    t["unit_text"] = [i18n.unit_label(pipeline.indicator(r["indicator_id"]), lang) for r in rows]
    status = i18n.STATUS[lang]
    labels = {"indicator_id": L["measure"], "target_text": V["target"], "target_value": V["target_value"],
              "value": V["value"], "unit_text": L["unit"], "status": V["status"], "status_cagr": V["status_cagr"],
              "status_un": V["status_un"], "projection": V["projection"], "pi_low": V["pi_low"],
              "pi_high": V["pi_high"], "projection_status": V["projection_status"]}
    words = {"indicator_id": _indicator_names(pipeline, lang), "status": status, "status_cagr": status,
             "status_un": status, "projection_status": status}
    d = [_value_decimals(pipeline, r["indicator_id"], (r.get("value"), r.get("target_value"))) for r in rows]
    if not rows and caption is None:
        caption = "Pipelinen angiver ingen målsætninger." if lang == "da" else "The pipeline declares no targets."
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, words=words, caption=caption,
                        row_decimals={c: d for c in ("target_value", "value", "projection", "pi_low", "pi_high")})


def city_view(pipeline: Pipeline, published: pd.DataFrame, year: int, lang: str, *, uuid: str,
              caption: str | None = None):
    """Every measure of the root area (city or municipality) by year up to ``year``, with its unit: a value
    withheld to protect persons is "*", one from too few answers "–", a year without a value "ikke målt"; the
    caption says so unless ``caption`` is given."""
    from .report import area_table

    city = published[published["area_id"] == pipeline.city.id]
    t = area_table(pipeline, city, year, lang)
    L = i18n.LABELS[lang]
    t = t.drop(columns=[L["level"], L["area"]]).replace({"": None})
    years = [c for c in t.columns if str(c).isdigit()]
    ids = [next(i.id for i in pipeline.indicators if i.name[lang] == name) for name in t[L["measure"]]]
    d = [_value_decimals(pipeline, i, row) for i, row in zip(ids, t[years].itertuples(index=False))]
    return styled_table(t, lang=lang, uuid=uuid, caption=caption or L["withheld"], missing=i18n.NOT_MEASURED[lang],
                        years=(), row_decimals={c: d for c in years})


#: Words of the ingest summary and the cleaning log (notebooks 01 and 02).
STEP_LABELS = {
    "da": {"source": "Kilde", "format": "Format", "file": "Fil", "rows": "Rækker", "sha256": "sha256",
           "status": "Status", "table": "Tabel", "dropped": "Fjernede rækker", "why": "Hvorfor (fra renseloggen)",
           "read": "læst", "missing (optional)": "mangler (valgfri)"},
    "en": {"source": "Source", "format": "Format", "file": "File", "rows": "Rows", "sha256": "sha256",
           "status": "Status", "table": "Table", "dropped": "Rows dropped", "why": "Why (from the cleaning log)",
           "read": "read", "missing (optional)": "missing (optional)"},
}


def ingest_view(staged: pd.DataFrame, lang: str, *, uuid: str = "ingest", caption: str | None = None):
    """The ingest summary (one row per source: format, file, rows read, sha256, status) in ``lang``."""
    W = STEP_LABELS[lang]
    labels = {c: W[c] for c in ("source", "format", "file", "rows", "sha256", "status") if c in staged.columns}
    status = {k: W[k] for k in ("read", "missing (optional)")}
    return styled_table(staged, lang=lang, uuid=uuid, labels=labels, words={"status": status}, caption=caption)


def dropped_view(dropped: pd.DataFrame, lang: str, *, uuid: str = "dropped", caption: str | None = None):
    """The cleaning log (rows dropped per table and why) in ``lang``; the reasons are the log's own words."""
    W = STEP_LABELS[lang]
    labels = {c: W[c] for c in ("table", "dropped", "why") if c in dropped.columns}
    return styled_table(dropped, lang=lang, uuid=uuid, labels=labels, caption=caption)


# ------------------------------------------------------------------------------------ effects (notebook 08)
#: Column labels of the effects table (notebook 08; effects.csv keeps the codes). The design names and the
#: wording come from :data:`tryghed.i18n.EFFECT_WORDS` and the notes of :func:`tryghed.i18n.effect_notes`.
EFFECT_LABELS = {
    "da": {"design": "Analysedesign", "indicator_id": i18n.LABELS["da"]["measure"], "area_id": "Indsatsområde",
           "start": "Starttidspunkt", "estimate": "Rateratio", "ci_low": VIEW_LABELS["da"]["ci_low"],
           "ci_high": VIEW_LABELS["da"]["ci_high"], "p": i18n.LABELS["da"]["p"], "p_placebo": "Placebo-p",
           "n_placebo": "Områder i placebofordelingen", "smallest_p": "Mindste opnåelige placebo-p",
           "level_change": "Niveauskift ved start", "slope_change": "Ændring i hældning pr. periode",
           "notes": i18n.LABELS["da"]["notes_sheet"]},
    "en": {"design": "Design", "indicator_id": i18n.LABELS["en"]["measure"], "area_id": "Treated area",
           "start": "Start", "estimate": "Rate ratio", "ci_low": VIEW_LABELS["en"]["ci_low"],
           "ci_high": VIEW_LABELS["en"]["ci_high"], "p": i18n.LABELS["en"]["p"], "p_placebo": "Placebo p",
           "n_placebo": "Areas in the placebo distribution", "smallest_p": "Smallest attainable placebo p",
           "level_change": "Level change at the start", "slope_change": "Slope change per period",
           "notes": i18n.LABELS["en"]["notes_sheet"]},
}
#: The event-study row of the effects table holds the test of parallel trends before the start (its p).
EVENT_STUDY_WORDS = {"da": "Parallelle trends (test af perioderne før start)",
                     "en": "Parallel trends (pre-trend test)"}


def design_name(design: str, lang: str) -> str:
    """A design code (its, did, event_study, placebo, synthetic) in words: "Afbrudt tidsserie", ..."""
    if design == "event_study":
        return EVENT_STUDY_WORDS[lang]
    return i18n.EFFECT_WORDS[lang].get(design, design)


def effects_view(table: pd.DataFrame, lang: str, *, uuid: str = "effects", pipeline: Pipeline | None = None,
                 names: Mapping[str, str] | None = None, measures: Mapping[str, str] | None = None,
                 caption: str | None = None):
    """The effects table (:func:`tryghed.effects.effects_table`, one row per design) as notebook 08 shows it:
    the design in words, the measure's and the treated areas' names, the start in words ("januar 2017"), rate
    ratios to three decimals (the slope change to four), p-values, and the notes (worded in the language the
    evaluation was run in).

    Parameters
    ----------
    table : DataFrame
        :data:`tryghed.effects.COLUMNS`.
    lang : {"da", "en"}
    pipeline : Pipeline, optional
        Gives the measures' and areas' names; ``names`` (area id -> name) and ``measures`` (indicator id ->
        name) override it.
    """
    names = {**(_area_names(pipeline, lang) if pipeline is not None else {}), **dict(names or {})}
    measures = {**(_indicator_names(pipeline, lang) if pipeline is not None else {}), **dict(measures or {})}
    joiner = f" {i18n.EFFECT_WORDS[lang]['and']} "
    E = EFFECT_LABELS[lang]
    labels = {c: E[c] for c in E if c in table.columns}
    words = {"design": lambda v: design_name(str(v), lang),
             "indicator_id": lambda v: measures.get(str(v), str(v)),
             "area_id": lambda v: joiner.join(names.get(a, a) for a in str(v).split("+")),
             "start": lambda v: i18n.effect_period(str(v), lang)}
    decimals = {"estimate": 3, "ci_low": 3, "ci_high": 3, "level_change": 3, "slope_change": 4, "n_placebo": 0}
    return styled_table(table, lang=lang, uuid=uuid, labels=labels, words=words, decimals=decimals,
                        caption=caption, years=())


# ---------------------------------------------------------------------- efforts (notebooks i1, i2 and i3)
#: Labels of the efforts notebooks' tables that the June report's words (:data:`tryghed.efforts.REPORT_TEXT`)
#: do not have.
EFFORT_VIEW_LABELS = {
    "da": {"efforts": "Indsatser i gang", "with_criteria": "Med succeskriterier",
           "with_theory": "Med forandringsteori", "documented": "Dokumenteret"},
    "en": {"efforts": "Efforts running", "with_criteria": "With success criteria",
           "with_theory": "With a theory of change", "documented": "Documented"},
}


def _effort_words(lang: str):
    from . import efforts

    return efforts.REPORT_TEXT[lang], efforts.LABELS[lang]


def _admin(a, lang: str) -> str:
    from . import efforts

    return efforts.LABELS[lang]["admin"].get(a, a)


def _effort_text(t: pd.DataFrame) -> list[str]:
    """"KØB-07 Forældrenetværk hele byen", as the June report names an effort."""
    return [f"{i} {n}" if not _missing(n) else str(i) for i, n in zip(t["effort_id"], t["name"])]


def effort_overview_view(overview: pd.DataFrame, lang: str, *, uuid: str = "overview", caption: str | None = None):
    """:func:`tryghed.efforts.overview` (one row per municipality): efforts running, with success criteria, with
    a theory of change, documented, and the year's staff (FTE, one decimal) and budget (kr., whole)."""
    T, _ = _effort_words(lang)
    W = EFFORT_VIEW_LABELS[lang]
    labels = {"municipality": T["municipality"], "efforts": W["efforts"], "with_criteria": W["with_criteria"],
              "with_theory": W["with_theory"], "documented": W["documented"], "fte": T["fte"],
              "budget_dkk": T["budget"]}
    return styled_table(overview, lang=lang, uuid=uuid, labels=labels, caption=caption,
                        decimals={"efforts": 0, "with_criteria": 0, "with_theory": 0, "documented": 0, "fte": 1,
                                  "budget_dkk": 0})


def administration_view(efforts_rows: pd.DataFrame, lang: str, *, uuid: str = "forvaltning",
                        caption: str | None = None):
    """Efforts by administration (rows, the standard order first) and level of the prevention triangle
    (columns: building, preventive, crime-preventive in words), with the total per administration."""
    from . import efforts

    T, EL = _effort_words(lang)
    admins = efforts._admin_order(efforts_rows["administration"].dropna())
    t = pd.crosstab(efforts_rows["administration"], efforts_rows["triangle"])
    t = t.reindex(index=admins, columns=list(efforts.TRIANGLE), fill_value=0).astype("int64")
    t["total"] = t.sum(axis=1)
    t = t.rename_axis("administration").reset_index()
    t["administration"] = [_admin(a, lang) for a in t["administration"]]
    labels = {"administration": T["administration"], **{k: EL["triangle"][k] for k in efforts.TRIANGLE},
              "total": T["total"]}
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, caption=caption)


def activities_held_view(activities: pd.DataFrame, lang: str, *, activity_names: Mapping[str, Mapping | str]
                         | None = None, uuid: str = "aktiviteter", caption: str | None = None):
    """Activities held (the register's ``aktiviteter`` sheet) per municipality and activity type, one column per
    year; ``activity_names``: type id -> name (``{da, en}`` or one text), e.g. from the model's
    ``activity_goal_types``."""
    T, _ = _effort_words(lang)
    names = {k: v if isinstance(v, str) else str(v.get(lang) or v.get("da") or k)
             for k, v in dict(activity_names or {}).items()}
    a = activities.assign(year=pd.to_datetime(activities["date"]).dt.year)
    t = a.groupby(["municipality", "activity", "year"]).size().unstack(fill_value=0)
    t.columns = [str(int(c)) for c in t.columns]
    t = t.reset_index()
    t["activity"] = [names.get(str(v), str(v)) for v in t["activity"]]
    labels = {"municipality": T["municipality"], "activity": T["activity"], **{c: c for c in t.columns[2:]}}
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, caption=caption)


def well_on_the_way_view(well: pd.DataFrame, lang: str, *, uuid: str = "godt-paa-vej", caption: str | None = None):
    """:func:`tryghed.efforts.well_on_the_way`: the effort (id and name), its administration, the score (one
    decimal) and the change since last year (signed)."""
    T, _ = _effort_words(lang)
    t = well.reset_index(drop=True).copy()
    t["effort"] = _effort_text(t)
    t["administration"] = [_admin(a, lang) for a in t["administration"]]
    labels = {"effort": T["effort"], "administration": T["administration"], "score": T["score"],
              "change": T["change"]}
    words = {"change": lambda v: i18n.signed(float(v), lang, 1)}
    if not len(t) and caption is None:
        caption = T["none_good"]
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, words=words, decimals={"score": 1},
                        caption=caption)


def without_model_view(rows: pd.DataFrame, lang: str, *, uuid: str = "uden-model", caption: str | None = None):
    """:func:`tryghed.efforts.without_model`: the effort, its administration, whether the theory of change or the
    success criteria are missing, the documentation status in words and the expected date."""
    T, EL = _effort_words(lang)
    t = rows.reset_index(drop=True).copy()
    t["effort"] = _effort_text(t)
    t["administration"] = [_admin(a, lang) for a in t["administration"]]
    labels = {"effort": T["effort"], "administration": T["administration"], "no_theory": T["no_theory"],
              "no_criteria": T["no_criteria"], "doc_status": T["doc_status"], "doc_expected": T["doc_expected"]}
    if not len(t) and caption is None:
        caption = T["none_missing"]
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, words={"doc_status": EL["doc"]}, caption=caption)


def resources_view(resources: pd.DataFrame, lang: str, *, uuid: str = "ressourcer", caption: str | None = None):
    """:func:`tryghed.efforts.resources_per_1000`: municipality, level of the prevention triangle in words (and the
    total), staff (FTE), budget (kr.), residents of the target ages, and FTE and kroner per 1,000 of them."""
    T, EL = _effort_words(lang)
    labels = {"municipality": T["municipality"], "triangle": T["triangle"], "fte": T["fte"],
              "budget_dkk": T["budget"], "population": T["population"], "fte_per_1000": T["fte_per_1000"],
              "dkk_per_1000": T["dkk_per_1000"]}
    words = {"triangle": {**EL["triangle"], "total": T["total"]}}
    return styled_table(resources, lang=lang, uuid=uuid, labels=labels, words=words, caption=caption,
                        decimals={"fte": 1, "budget_dkk": 0, "population": 0, "fte_per_1000": 2,
                                  "dkk_per_1000": 0})


def activity_goals_view(rows, lang: str, *, uuid: str = "aktivitetsmaal", caption: str | None = None):
    """Planned against held (the rows of :func:`tryghed.efforts.activity_rows`, already in ``lang``): effort,
    activity, goal per year or half-year, period, held, planned and status."""
    T, _ = _effort_words(lang)
    t = pd.DataFrame(list(rows), columns=["effort_id", "activity", "per", "period", "held", "planned", "status"])
    labels = {"effort_id": T["effort"], "activity": T["activity"], "per": T["per"], "period": T["span"],
              "held": T["held"], "planned": T["planned"], "status": T["status"]}
    if not len(t) and caption is None:
        caption = T["no_activities"]
    return styled_table(t, lang=lang, uuid=uuid, labels=labels, caption=caption, years=(),
                        decimals={"held": 0})


def principles_view(principles: pd.DataFrame, lang: str, *, uuid: str = "principper", caption: str | None = None):
    """:func:`tryghed.efforts.principles_table`: the principle, the efforts following it per administration (the
    columns are already named in ``lang``; "–" where none does) and their number."""
    T, _ = _effort_words(lang)
    labels = {c: T["principle"] if c == "principle" else T["n"] if c == "n" else str(c) for c in principles.columns}
    return styled_table(principles, lang=lang, uuid=uuid, labels=labels, caption=caption, decimals={"n": 0})
