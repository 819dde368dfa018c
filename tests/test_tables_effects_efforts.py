"""The tables of notebooks 08 (effects) and i1-i3 (efforts) in the report's language (tryghed.tables views).

Each view is built from a small frame with the columns the notebook displays (effects.COLUMNS, efforts.overview,
well_on_the_way, without_model, resources_per_1000, activity_rows, principles_table, the register's efforts and
activities) and rendered to HTML. A Danish table has no English column name or code and no "nan"; an English one
no Danish label. Expected cells are written out by hand in each number convention, not produced by the code.
"""

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tryghed import effects, tables

ROOT = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"


class _Table(HTMLParser):
    """Header and body cells of a rendered table, read with the standard library's parser."""

    def __init__(self):
        super().__init__()
        self.head, self.rows, self.caption, self._cell, self._in_body, self._in_caption = [], [], "", None, False, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = ""
        elif tag == "caption":
            self._in_caption = True

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            (self.rows[-1] if self._in_body else self.head).append(self._cell.strip())
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        elif self._in_caption:
            self.caption += data


def _parse(styler):
    html = styler.to_html()
    t = _Table()
    t.feed(html)
    body = pd.DataFrame(t.rows, columns=t.head, dtype=object)
    return html, body


def _no_missing_words(html: str, body: pd.DataFrame) -> None:
    text = " ".join(body.columns) + " " + " ".join(map(str, body.to_numpy().ravel()))
    for word in ("nan", "None", "<NA>", "NaT"):
        assert word not in text.split() and word.lower() not in text.lower().split(), word
    assert ">nan<" not in html.lower() and ">none<" not in html.lower()


# --------------------------------------------------------------------------------------------------- effects
AREA = "s-indre-noerrebro+s-ydre-noerrebro"
NAMES = {"da": {"s-indre-noerrebro": "Indre Nørrebro", "s-ydre-noerrebro": "Ydre Nørrebro"},
         "en": {"s-indre-noerrebro": "Inner Nørrebro", "s-ydre-noerrebro": "Outer Nørrebro"}}
MEASURES = {"da": {"citizen_crime": "Borgervendt kriminalitet"}, "en": {"citizen_crime": "Citizen-directed crime"}}
NOTES = {"da": ["modellens standardfejl", "11 sammenligningsområder", "estimaterne er i figuren",
                "1 af de 12 områder"],
         "en": ["model SEs", "11 comparison areas", "the leads and lags are in the figure", "1 of the 12 areas"]}


def _effects_frame(lang: str) -> pd.DataFrame:
    nan = math.nan
    rows = [
        ("its", 0.8414755, 0.7819847, 0.9054922, 3.955e-06, nan, None, nan, 0.8584859, 0.99957427),
        ("did", 0.8468485, 0.8265416, 0.8676544, 4.4e-41, 1 / 12, 12, 1 / 12, nan, nan),
        ("event_study", nan, nan, nan, 0.358006, nan, None, nan, nan, nan),
        ("placebo", 0.8468485, nan, nan, 1 / 12, 1 / 12, 12, 1 / 12, nan, nan),
    ]
    t = pd.DataFrame([dict(design=d, indicator_id="citizen_crime", area_id=AREA, start="2017-01", estimate=e,
                           ci_low=lo, ci_high=hi, p=p, p_placebo=pp, n_placebo=n, smallest_p=sp, level_change=lc,
                           slope_change=sc, notes=note)
                      for (d, e, lo, hi, p, pp, n, sp, lc, sc), note in zip(rows, NOTES[lang])],
                     columns=list(effects.COLUMNS))
    t["n_placebo"] = t["n_placebo"].astype("Int64")      # as effects.effects_table types it
    return t


def _effects(lang: str):
    return _parse(tables.effects_view(_effects_frame(lang), lang, uuid="effects", names=NAMES[lang],
                                      measures=MEASURES[lang]))


def test_effects_table_in_danish_has_danish_labels_designs_and_numbers():
    html, body = _effects("da")
    _no_missing_words(html, body)
    assert 'id="T_effects"' in html
    assert not set(map(str.lower, body.columns)) & set(effects.COLUMNS)
    assert list(body.columns) == ["Analysedesign", "Indikator", "Indsatsområde", "Starttidspunkt", "Rateratio",
                                  "95 %-KI, nedre", "95 %-KI, øvre", "p-værdi", "Placebo-p",
                                  "Områder i placebofordelingen", "Mindste opnåelige placebo-p",
                                  "Niveauskift ved start", "Ændring i hældning pr. periode", "Noter"]
    assert body["Analysedesign"].tolist() == ["Afbrudt tidsserie", "Forskel-i-forskelle",
                                              "Parallelle trends (test af perioderne før start)",
                                              "Placebotest i rum"]
    assert set(body["Indsatsområde"]) == {"Indre Nørrebro og Ydre Nørrebro"}
    assert set(body["Indikator"]) == {"Borgervendt kriminalitet"}
    assert set(body["Starttidspunkt"]) == {"januar 2017"}
    assert body["Rateratio"].tolist() == ["0,841", "0,847", "–", "0,847"]
    assert body["95 %-KI, nedre"].tolist() == ["0,782", "0,827", "–", "–"]
    assert body["p-værdi"].tolist() == [f"<{NBSP}0,001", f"<{NBSP}0,001", "0,358", "0,083"]
    assert body["Placebo-p"].tolist() == ["–", "0,083", "–", "0,083"]
    assert body["Områder i placebofordelingen"].tolist() == ["–", "12", "–", "12"]
    assert body["Niveauskift ved start"].tolist() == ["0,858", "–", "–", "–"]
    assert body["Ændring i hældning pr. periode"].tolist() == ["0,9996", "–", "–", "–"]


def test_effects_table_in_english_has_no_danish_label():
    html, body = _effects("en")
    _no_missing_words(html, body)
    _, da = _effects("da")
    assert not set(body.columns) & set(da.columns)
    assert body["Design"].tolist() == ["Interrupted time series", "Difference-in-differences",
                                       "Parallel trends (pre-trend test)", "Placebo test in space"]
    assert set(body["Treated area"]) == {"Inner Nørrebro and Outer Nørrebro"}
    assert set(body["Start"]) == {"January 2017"}
    assert body["Rate ratio"].tolist() == ["0.841", "0.847", "–", "0.847"]
    assert body["p-value"].tolist() == [f"<{NBSP}0.001", f"<{NBSP}0.001", "0.358", "0.083"]


def test_effects_table_takes_the_names_from_the_pipeline():
    from tryghed import config

    cfg = config.load_pipeline("norrebro")
    t = _effects_frame("da")
    html, body = _parse(tables.effects_view(t, "da", pipeline=cfg))
    inner = next(a.name["da"] for a in cfg.areas if a.id == "s-indre-noerrebro")
    outer = next(a.name["da"] for a in cfg.areas if a.id == "s-ydre-noerrebro")
    measure = next(i.name["da"] for i in cfg.indicators if i.id == "citizen_crime")
    assert set(body["Indsatsområde"]) == {f"{inner} og {outer}"}
    assert set(body["Indikator"]) == {measure}
    assert "s-indre-noerrebro" not in html and "citizen_crime" not in html


def test_an_empty_effects_table_renders_without_rows():
    html, body = _parse(tables.effects_view(effects.effects_table([]), "da"))
    assert body.empty and body.columns[0] == "Analysedesign"


# --------------------------------------------------------------------------------------------------- efforts
OVERVIEW = pd.DataFrame([dict(municipality="København", efforts=35, with_criteria=32, with_theory=31, documented=28,
                              fte=239.5, budget_dkk=151833000.0)])
EFFORTS = pd.DataFrame({
    "municipality": ["København"] * 5,
    "effort_id": ["KØB-01", "KØB-02", "KØB-03", "KØB-04", "KØB-05"],
    "name": ["Gadeplansteam (demo)", "Mentorordning (demo)", "Lektiecafé (demo)", "Natteravne (demo)",
             "Tryghedsvandring (demo)"],
    "administration": ["BUF", "BUF", "SOF", "police", "BUF"],
    "triangle": ["crime_preventive", "preventive", "building", "preventive", "preventive"],
})
ACTIVITIES = pd.DataFrame({
    "municipality": ["København"] * 4, "effort_id": ["KØB-01"] * 4,
    "activity": ["styregruppemoede", "styregruppemoede", "tryghedsvandring", "styregruppemoede"],
    "date": pd.to_datetime(["2019-03-01", "2020-01-04", "2020-05-10", "2020-11-23"]),
    "area": ["Nørrebro", None, "Nørrebro", "Nørrebro"], "participants": pd.array([31, 33, None, 11], "Int64"),
})
ACTIVITY_NAMES = {"styregruppemoede": {"da": "Styregruppemøde", "en": "Steering group meeting"},
                  "tryghedsvandring": {"da": "Tryghedsvandring", "en": "Safety walk"}}
WELL = pd.DataFrame({"effort_id": ["KØB-31", "KØB-32", "KØB-33"],
                     "name": ["Forældrenetværk (demo)", "Belysning (demo)", "Fritidsjob (demo)"],
                     "administration": ["BIF", "police", "TMF"], "score": [100.0, 77.5, 70.0],
                     "change": [15.0, -7.5, np.nan]})
WITHOUT = pd.DataFrame({"effort_id": ["KØB-04", "KØB-08"], "name": ["Natteravne (demo)", "Belysning (demo)"],
                        "administration": ["KFF", "police"], "no_theory": [False, True], "no_criteria": [True, False],
                        "doc_status": ["in_progress", "missing"],
                        "doc_expected": pd.to_datetime(["2021-06-01", None])})
RESOURCES = pd.DataFrame({
    "municipality": ["København"] * 4, "code": ["101"] * 4,
    "triangle": ["building", "preventive", "crime_preventive", "total"],
    "fte": [81.7, 78.7, 79.1, 239.5], "budget_dkk": [50412000.0, 50437000.0, 50984000.0, 151833000.0],
    "population": [165809.0] * 4,
})
RESOURCES["fte_per_1000"] = 1000 * RESOURCES["fte"] / RESOURCES["population"]
RESOURCES["dkk_per_1000"] = 1000 * RESOURCES["budget_dkk"] / RESOURCES["population"]
ACTIVITY_ROWS = {
    "da": [dict(effort_id="KØB-03", activity="Styregruppemøde", per="halvår", period="2020", held=2,
                planned="mindst 2", status="ikke opfyldt", code="not_met", half=False),
           dict(effort_id="KØB-03", activity="Styregruppemøde", per="halvår", period="2020, 1. halvår", held=2,
                planned="mindst 1", status="opfyldt", code="met", half=True)],
    "en": [dict(effort_id="KØB-03", activity="Steering group meeting", per="half-year", period="2020", held=2,
                planned="at least 2", status="not met", code="not_met", half=False),
           dict(effort_id="KØB-03", activity="Steering group meeting", per="half-year", period="2020 H1", held=2,
                planned="at least 1", status="met", code="met", half=True)],
}
PRINCIPLES = {
    "da": pd.DataFrame({"principle": ["1. Vi samarbejder bredt", "2. Princip 2"], "BUF": ["KØB-29", ""],
                        "Politi": ["", "KØB-40"], "n": [1, 1]}),
    "en": pd.DataFrame({"principle": ["1. We cooperate broadly", "2. Principle 2"], "BUF": ["KØB-29", ""],
                        "Police": ["", "KØB-40"], "n": [1, 1]}),
}
# the frames' own column names and codes, none of which may show in a Danish table's header
CODES = {"municipality", "efforts", "with_criteria", "with_theory", "documented", "fte", "budget_dkk",
         "administration", "triangle", "activity", "year", "effort_id", "name", "score", "change", "no_theory",
         "no_criteria", "doc_status", "doc_expected", "code", "population", "fte_per_1000", "dkk_per_1000", "per",
         "period", "held", "planned", "status", "principle", "n", "building", "preventive", "crime_preventive",
         "total", "police"}


def _views(lang: str) -> dict:
    return {
        "overview": tables.effort_overview_view(OVERVIEW, lang),
        "administration": tables.administration_view(EFFORTS, lang),
        "activities": tables.activities_held_view(ACTIVITIES, lang, activity_names=ACTIVITY_NAMES),
        "well": tables.well_on_the_way_view(WELL, lang),
        "without": tables.without_model_view(WITHOUT, lang),
        "resources": tables.resources_view(RESOURCES, lang),
        "goals": tables.activity_goals_view(ACTIVITY_ROWS[lang], lang),
        "principles": tables.principles_view(PRINCIPLES[lang], lang),
    }


@pytest.fixture(scope="module")
def da():
    return {k: _parse(v) for k, v in _views("da").items()}


@pytest.fixture(scope="module")
def en():
    return {k: _parse(v) for k, v in _views("en").items()}


@pytest.mark.parametrize("view", ["overview", "administration", "activities", "well", "without", "resources",
                                  "goals", "principles"])
def test_every_efforts_table_has_labels_in_its_language_and_no_nan(view, da, en):
    for lang, parsed in (("da", da), ("en", en)):
        html, body = parsed[view]
        _no_missing_words(html, body)
        assert len(body) > 0
        assert not set(body.columns) & CODES, (lang, list(body.columns))      # no raw column name or code
        cells = {str(v) for v in body.to_numpy().ravel()}
        assert not cells & {"building", "preventive", "crime_preventive", "total", "in_progress",
                            "police", "styregruppemoede", "True", "False"}
        if lang == "da":
            assert not cells & {"missing", "in progress", "met", "not met", "yes", "no", "Police", "Total"}
    # a label is in one language: those the two tables share are the same word in both, names or years
    shared = set(da[view][1].columns) & set(en[view][1].columns)
    assert shared <= {"Score", "Status", "BUF", "SOF", "BIF", "KFF", "TMF", "2019", "2020"}, shared
    english = {"administration", "activity", "municipality", "effort", "documented", "building", "preventive",
               "total", "police", "principle", "number", "period", "held", "planned", "residents", "change"}
    assert not {c.lower() for c in da[view][1].columns} & english, list(da[view][1].columns)


def test_efforts_overview_and_resources_numbers_are_rounded_by_babel(da, en):
    body = da["overview"][1]
    assert list(body.columns) == ["Kommune", "Indsatser i gang", "Med succeskriterier", "Med forandringsteori",
                                  "Dokumenteret", "Årsværk", "Budget (kr.)"]
    assert body.iloc[0].tolist() == ["København", "35", "32", "31", "28", "239,5", "151.833.000"]
    assert en["overview"][1].iloc[0].tolist()[-2:] == ["239.5", "151,833,000"]
    res = da["resources"][1]
    assert res["Forebyggelsestrekanten"].tolist() == ["Opbyggende", "Forebyggende", "Kriminalitetsforebyggende",
                                                      "I alt"]
    # 239.5 FTE / 165,809 residents x 1,000 = 1.4444; 151,833,000 kr. / 165,809 x 1,000 = 915,710.2
    assert res["Årsværk pr. 1.000"].tolist()[-1] == "1,44"
    assert res["Kr. pr. 1.000"].tolist()[-1] == "915.710"
    assert res["Indbyggere"].tolist()[0] == "165.809"
    assert "Kommunekode" not in res.columns and "code" not in res.columns
    assert en["resources"][1]["DKK per 1,000"].tolist()[-1] == "915,710"


def test_efforts_by_administration_counts_by_hand(da, en):
    body = da["administration"][1]
    assert list(body.columns) == ["Forvaltning", "Opbyggende", "Forebyggende", "Kriminalitetsforebyggende", "I alt"]
    # BUF: KØB-01 crime-preventive, KØB-02 and KØB-05 preventive; SOF: KØB-03 building; police: KØB-04 preventive
    assert body.values.tolist() == [["BUF", "0", "2", "1", "3"], ["SOF", "1", "0", "0", "1"],
                                    ["Politi", "0", "1", "0", "1"]]
    assert en["administration"][1]["Administration"].tolist() == ["BUF", "SOF", "Police"]


def test_activities_held_per_year_counts_by_hand(da, en):
    body = da["activities"][1]
    assert list(body.columns) == ["Kommune", "Aktivitet", "2019", "2020"]
    assert body.values.tolist() == [["København", "Styregruppemøde", "1", "2"],
                                    ["København", "Tryghedsvandring", "0", "1"]]
    assert en["activities"][1]["Activity"].tolist() == ["Steering group meeting", "Safety walk"]


def test_well_on_the_way_and_without_model_in_words(da, en):
    well = da["well"][1]
    assert list(well.columns) == ["Indsats", "Forvaltning", "Score", "Ændring siden sidste år"]
    assert well["Indsats"].tolist()[0] == "KØB-31 Forældrenetværk (demo)"
    assert well["Score"].tolist() == ["100,0", "77,5", "70,0"]
    assert well["Ændring siden sidste år"].tolist() == ["+15,0", "\u22127,5", "–"]
    assert well["Forvaltning"].tolist()[1] == "Politi"
    assert en["well"][1]["Change since last year"].tolist() == ["+15.0", "\u22127.5", "–"]
    without = da["without"][1]
    assert without["Mangler forandringsteori"].tolist() == ["nej", "ja"]
    assert without["Dokumentation"].tolist() == ["under udarbejdelse", "mangler"]
    assert without["Forventet"].tolist() == ["2021-06-01", "–"]
    assert en["without"][1]["Documentation"].tolist() == ["in progress", "missing"]


def test_activity_goals_and_principles_keep_their_words(da, en):
    goals = da["goals"][1]
    assert list(goals.columns) == ["Indsats", "Aktivitet", "Mål pr.", "Periode", "Afholdt", "Planlagt", "Status"]
    assert goals["Periode"].tolist() == ["2020", "2020, 1. halvår"]
    principles = da["principles"][1]
    assert list(principles.columns) == ["Princip", "BUF", "Politi", "Antal"]
    assert principles["BUF"].tolist() == ["KØB-29", "–"]
    assert list(en["principles"][1].columns) == ["Principle", "BUF", "Police", "Number"]


def test_empty_efforts_tables_say_so():
    t = _Table()
    t.feed(tables.well_on_the_way_view(WELL.iloc[:0], "da").to_html())
    assert not t.rows and t.caption.strip() == "Ingen indsatser er godt på vej i år."


# ------------------------------------------------------------------------------------------------ the notebooks
@pytest.mark.parametrize(("notebook", "views"), [
    ("08_effects", ["effects_view"]),
    ("i1_register", ["effort_overview_view", "administration_view", "activities_held_view"]),
    ("i2_scores", ["well_on_the_way_view", "without_model_view"]),
    ("i3_june_report", ["resources_view", "activity_goals_view", "principles_view"]),
])
def test_the_notebooks_show_their_tables_through_the_views(notebook, views):
    nb = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    for view in views:
        assert f"tables.{view}(" in code, view
    assert "styled_table(" not in code and ".unstack(" not in code and ".style." not in code
