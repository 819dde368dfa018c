"""Activity goals in the effort register (planned against held), the principles' names and the Danish June report's
wording: expected values by hand."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from test_efforts import MODEL, write_registers, write_testby
from tryghed import efforts as E
from tryghed.errors import ConfigError, InputError
from tryghed.sources.statbank import read_statbank

TYPES = [
    {"id": "moede", "name": {"da": "Møde", "en": "Meeting"}},
    {"id": "styregruppe", "name": {"da": "Styregruppemøde", "en": "Steering group meeting"}},
    {"id": "vandring", "name": {"da": "Tryghedsvandring", "en": "Safety walk"}},
]
# A1 runs from 2019 on, A2 only in 2019, A3 from 2020 (tests/test_efforts.py).
ACTIVITIES_CSV = """indsats_id;aktivitetstype;dato;område;deltagere
A1;moede;2020-02-03;Nord;12
A1;Møde;2020-05-01;;
A1;MØDE;2020-11-30;Nord;8
A1;moede;2019-06-01;;
A1;styregruppe;2020-03-01;;
A1;Tryghedsvandring;2020-10-10;;
A3;vandring;2020-04-01;Nord;30
A3;vandring;2020-09-01;Nord;25
"""
GOALS_CSV = """indsats_id;aktivitetstype;pr;mindst;højst
A1;Møde;år;2;3
A1;styregruppe;halvår;1;
A3;vandring;;;
"""


def write_with_activities(folder: Path) -> Path:
    write_testby(folder)
    (folder / "aktiviteter.csv").write_text(ACTIVITIES_CSV, encoding="utf-8")
    (folder / "aktivitetsmål.csv").write_text(GOALS_CSV, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def raw_once(tmp_path_factory) -> Path:
    """The hand-built registers written once per module (the peer's workbook takes 0.1 s); ``raw`` copies them."""
    return write_registers(tmp_path_factory.mktemp("efforts_activities_raw"), write_with_activities)


@pytest.fixture()
def raw(raw_once, tmp_path) -> Path:
    """A fresh copy of the hand-built registers in the test's own folder."""
    shutil.copytree(raw_once, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture()
def model() -> E.EffortModel:
    return E.effort_model({**MODEL, "activity_types": TYPES, "register_years": [2019, 2020]})


def test_reads_activities_and_goals(raw, model):
    reg = E.read_registers(model, raw)
    a = reg.activities[reg.activities["municipality"] == "Testby"]
    # Names, ids and any case map to the type's id.
    assert a.groupby("effort_id")["activity"].value_counts().to_dict() == {
        ("A1", "moede"): 4, ("A1", "styregruppe"): 1, ("A1", "vandring"): 1, ("A3", "vandring"): 2}
    assert a["participants"].isna().tolist()[:3] == [False, True, False] and a["participants"].iloc[0] == 12
    g = reg.activity_goals.set_index(["effort_id", "activity"])
    assert g.loc[("A1", "moede"), ["per", "min", "max"]].tolist() == ["year", 2, 3]
    assert g.loc[("A1", "styregruppe"), "per"] == "half_year" and pd.isna(g.loc[("A1", "styregruppe"), "max"])
    assert g.loc[("A3", "vandring"), "per"] == "year" and pd.isna(g.loc[("A3", "vandring"), "min"])
    assert reg.activities[reg.activities["municipality"] == "Peerby"].empty  # the peer's workbook has no sheet


def test_planned_against_held_by_hand(raw, model):
    reg = E.read_registers(model, raw)
    t = E.activity_status(reg, model, 2020, "Testby")
    got = {(r.effort_id, r.activity, r.period): (r.held, r.status) for r in t.itertuples(index=False)}
    # A1 møde, 2-3 a year: 2020-02-03, 2020-05-01, 2020-11-30 -> 3 held (the 2019 one is not counted): met.
    assert got[("A1", "moede", "2020")] == (3, "met")
    assert got[("A1", "moede", "2020H1")] == (2, "no_target") and got[("A1", "moede", "2020H2")] == (1, "no_target")
    # A1 styregruppe, at least 1 every half-year: 1 in H1 (met), 0 in H2 (not met) -> the year is not met.
    assert got[("A1", "styregruppe", "2020H1")] == (1, "met")
    assert got[("A1", "styregruppe", "2020H2")] == (0, "not_met")
    assert got[("A1", "styregruppe", "2020")] == (1, "not_met")
    # A1 held a safety walk without a goal in the register: counted, no target; A3's are "as needed".
    assert got[("A1", "vandring", "2020")] == (1, "no_target")
    assert got[("A3", "vandring", "2020")] == (2, "no_target")
    assert not t.set_index(["effort_id", "activity"])["has_goal"].loc[("A1", "vandring")].any()
    # A2 ended in 2019: not in 2020's table. In 2019 A1 held one meeting of a planned 2-3: not met.
    assert "A2" not in set(t["effort_id"])
    t19 = E.activity_status(reg, model, 2019, "Testby").set_index(["effort_id", "activity", "period"])
    assert t19.loc[("A1", "moede", "2019"), ["held", "status"]].tolist() == [1, "not_met"]
    summary = E.activity_summary(t).set_index("effort_id")
    assert summary.loc["A1", ["goals", "met", "not_met"]].tolist() == [2, 1, 1]
    assert "A3" not in summary.index  # no goal with a target


def test_status_words_are_the_norrebro_reports(raw, model):
    from tryghed.partnership import WORDS

    reg = E.read_registers(model, raw)
    rows = E.activity_rows(E.activity_status(reg, model, 2020, "Testby"), model, "da")
    by = {(r["effort_id"], r["activity"], r["period"]): (r["planned"], r["status"]) for r in rows}
    assert by[("A1", "Møde", "2020")] == ("2–3", "opfyldt")
    assert by[("A1", "Møde", "2020, 1. halvår")] == ("–", "–")
    assert by[("A1", "Styregruppemøde", "2020")] == ("mindst 2", "ikke opfyldt")
    assert by[("A1", "Styregruppemøde", "2020, 2. halvår")] == ("mindst 1", "ikke opfyldt")
    assert by[("A3", "Tryghedsvandring", "2020")] == ("efter behov", "intet mål (tælles)")
    assert by[("A1", "Tryghedsvandring", "2020")] == ("–", "intet mål (tælles)")
    used = {r["status"] for r in rows} - {"–"}
    assert used <= {WORDS["da"][k] for k in ("met", "not_met", "ongoing", "no_target")}
    en = {(r["effort_id"], r["activity"], r["period"]): r["status"]
          for r in E.activity_rows(E.activity_status(reg, model, 2020, "Testby"), model, "en")}
    assert en[("A1", "Meeting", "2020")] == "met" and en[("A3", "Safety walk", "2020")] == "no target (counted)"


# ------------------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("sheet, text, where, words", [
    ("aktiviteter", ACTIVITIES_CSV.replace("A3;vandring;2020-04-01", "Z9;vandring;2020-04-01"),
     "file 'aktiviteter.csv', row 8, column 'indsats_id'", "'Z9' is not in the file 'indsatser.csv'"),
    ("aktiviteter", ACTIVITIES_CSV.replace("A1;styregruppe;", "A1;Fodbold;"),
     "file 'aktiviteter.csv', row 6, column 'aktivitetstype'", "'Fodbold' is not a declared activity type"),
    ("aktiviteter", ACTIVITIES_CSV.replace("2020-11-30", "2021-01-04"),
     "file 'aktiviteter.csv', row 4, column 'dato'", "outside the register's years 2019–2020"),
    ("aktiviteter", ACTIVITIES_CSV + "A2;moede;2020-03-01;;\n",
     "file 'aktiviteter.csv', row 10, column 'dato'", "outside effort A2's period (2019-01-01 – 2019-12-31)"),
    ("aktiviteter", ACTIVITIES_CSV.replace("2020-05-01", "1. maj"),
     "file 'aktiviteter.csv', row 3, column 'dato'", "is not a date"),
    ("aktivitetsmål", GOALS_CSV.replace("A1;Møde;år;2;3", "A1;Møde;år;3;2"),
     "file 'aktivitetsmål.csv', row 2, column 'højst'", "needs a least no larger than it"),
    ("aktivitetsmål", GOALS_CSV + "A1;moede;år;1;\n",
     "file 'aktivitetsmål.csv', row 5, column 'aktivitetstype'", "two goals for 'moede' (also row 2)"),
    ("aktivitetsmål", GOALS_CSV.replace("halvår", "kvartal"),
     "file 'aktivitetsmål.csv', row 3, column 'pr'", "not a known period of a goal"),
])
def test_bad_activities_name_file_sheet_row_and_fix(tmp_path, model, sheet, text, where, words):
    folder = write_with_activities(tmp_path / "testby")
    (folder / f"{sheet}.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        E.read_register(folder, municipality="Testby", activity_types=model.activity_goal_types,
                        years=model.register_years)
    msg = str(err.value)
    assert str(folder) in msg and where in msg and words in msg, msg
    assert err.value.fix


def test_bad_activity_in_a_workbook_names_the_sheet(tmp_path, model):
    folder = write_with_activities(tmp_path / "src")
    tables = {k: pd.read_csv(folder / f"{da}.csv", sep=";", dtype=str, keep_default_na=False)
              for k, (da, _, _) in E.TABLES.items()}
    tables["activities"].loc[1, "aktivitetstype"] = "Koncert"
    path = E.write_register(tables, tmp_path / "bad.xlsx")
    with pytest.raises(InputError, match=r"sheet 'aktiviteter', row 3, column 'aktivitetstype'.*'Koncert' is not a "
                                         r"declared activity type.*efforts.activity_types"):
        E.read_register(path, municipality="Testby", activity_types=model.activity_goal_types)


def test_activity_types_declare_names_only():
    with pytest.raises(ConfigError, match=r"efforts.activity_types.*aktivitetsmål"):
        E.effort_model({**MODEL, "activity_types": [{"id": "x", "name": {"da": "X"}, "min": 2}]}, "p.yml")
    with pytest.raises(ConfigError, match="Danish name"):
        E.effort_model({**MODEL, "activity_types": [{"id": "x"}]}, "p.yml")


def test_template_has_the_activity_sheets(tmp_path):
    path = E.write_template(tmp_path / "ny.xlsx")
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["aktiviteter"][1]] == ["indsats_id", "aktivitetstype", "dato", "område", "deltagere"]
    assert [c.value for c in wb["aktivitetsmål"][1]] == ["indsats_id", "aktivitetstype", "pr", "mindst", "højst"]
    guide = [r[0].value for r in wb["vejledning"].iter_rows()]
    assert "aktiviteter" in guide and "aktivitetsmål" in guide


# ------------------------------------------------------------------------------------------------------------ demo
def test_demo_held_counts_recomputed_by_hand_from_the_workbook(demo_dir):
    # the session's demo registers (E.write_demo_registers; test_efforts.py checks that a new write is identical)
    registers = demo_dir / E.DEMO_DIR
    kbh = registers / E.DEMO_REGISTERS[0][2]
    model = E.effort_model({"registers": [{"municipality": "København", "code": "101", "file": kbh.name}],
                            "activity_types": list(E.DEMO_ACTIVITY_TYPES), "register_years": [2018, 2020]})
    reg = E.read_registers(model, registers)
    wb = openpyxl.load_workbook(kbh, read_only=True)

    def rows(sheet):
        it = wb[sheet].iter_rows(values_only=True)
        head = next(it)
        return [dict(zip(head, r)) for r in it]

    to_id = {}
    for t in E.DEMO_ACTIVITY_TYPES:
        to_id[t["id"]] = to_id[t["name"]["da"]] = t["id"]
    held: dict[tuple[str, str, str], int] = {}
    for r in rows("aktiviteter"):
        d = dt.date.fromisoformat(str(r["dato"])[:10])
        if d.year != 2020:
            continue
        key = (r["indsats_id"], to_id[r["aktivitetstype"]])
        for period in ("2020", "2020H1" if d.month <= 6 else "2020H2"):
            held[(*key, period)] = held.get((*key, period), 0) + 1
    ended = {r["id"] for r in rows("indsatser") if r["slut"] and int(str(r["slut"])[:4]) < 2020}
    started = {r["id"] for r in rows("indsatser") if int(str(r["start"])[:4]) > 2020}
    expected_status = {}
    for g in rows("aktivitetsmål"):
        eid, act = g["indsats_id"], to_id[g["aktivitetstype"]]
        if eid in ended or eid in started:
            continue
        lo = g["mindst"]
        if lo is None:
            expected_status[(eid, act)] = "no_target"
        elif g["pr"] == "halvår":
            halves = [held.get((eid, act, h), 0) >= lo for h in ("2020H1", "2020H2")]
            expected_status[(eid, act)] = "met" if all(halves) else "not_met"
        else:
            expected_status[(eid, act)] = "met" if held.get((eid, act, "2020"), 0) >= lo else "not_met"

    t = E.activity_status(reg, model, 2020, "København")
    got_held = {(r.effort_id, r.activity, r.period): r.held for r in t.itertuples(index=False)}
    assert {k: v for k, v in got_held.items() if v} == held
    year = t[(t["kind"] == "year") & t["has_goal"]]
    got_status = {(r.effort_id, r.activity): r.status for r in year.itertuples(index=False)}
    assert got_status == expected_status
    counts = pd.Series(list(expected_status.values())).value_counts()
    assert counts["met"] > 5 and counts["not_met"] > 5 and counts["no_target"] > 2
    assert sum(held.values()) > 100


def test_pipeline_declares_the_demo_activity_types_and_the_principles_source():
    from tryghed import config

    m = E.pipeline_model(config.load_pipeline("sikker-by-indsatser"))
    assert list(m.activity_types) == [dict(t) for t in E.DEMO_ACTIVITY_TYPES]
    assert m.register_years == (2018, 2020)
    assert m.principles_source == "https://www.kk.dk/sikkerby"
    # Principles 4-6 were not found in full in the public sources: numbered labels, said so in the report.
    assert [m.principles[p]["da"] for p in (4, 5, 6)] == ["Princip 4", "Princip 5", "Princip 6"]
    assert m.principles[2]["da"].startswith("Vi tager afsæt i den bedste viden")
    note = E.principles_note(m, "da")
    assert "https://www.kk.dk/sikkerby" in note and "princip 4, 5 og 6 er ikke offentliggjort her" in note


def test_principles_note_without_names_or_source(model):
    assert E.principles_note(model, "da") == (
        "Principperne vises med de navne, der står i pipelinens YAML-fil. Ordlyden af princip 1, 2, 3, 4, 5 og 6 "
        "er ikke offentliggjort her; de vises kun med nummer.")
    named = E.effort_model({**MODEL, "principles": {1: {"da": "Samarbejde", "en": "Cooperation"}}})
    assert E.principles_note(named, "en") == ("The principles are shown with the names configured in the "
                                              "pipeline's YAML file.")


# --------------------------------------------------------------------------------------- the Danish June report
def _page_words(path: Path) -> set[str]:
    """The words a reader sees on a page: text outside tags, without the links' CSV file names."""
    s = path.read_text(encoding="utf-8")
    s = re.sub(r"<(style|script)\b.*?</\1>", " ", s, flags=re.S)
    s = html.unescape(re.sub(r"<[^>]+>", " ", s))
    s = re.sub(r"\S+\.csv\b", " ", s)  # download file names keep the report's CSV convention (scores.csv, ...)
    return {w.casefold() for w in re.findall(r"[A-Za-zÆØÅæøåéÉ]+", s)}


def _words(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(_words(v) for v in value.values())) if value else set()
    text = re.sub(r"\{[^}]*\}", " ", str(value))  # format placeholders such as {met} are not words
    return {w.casefold() for w in re.findall(r"[A-Za-zÆØÅæøåéÉ]+", text)}


# English words of the report's own phrases that are written inline (effort_review) and common function words.
ENGLISH = {"the", "and", "of", "to", "is", "are", "not", "no", "yes", "none", "with", "without", "for", "since",
           "met", "only", "partly", "reported", "given", "missing", "theory", "change", "success", "criteria", "own",
           "evaluation", "level", "needs", "comparison", "group", "rose", "fell", "points", "external", "evidence",
           "activity", "goal", "held", "planned", "well", "way", "effort", "efforts", "resources", "principle",
           "principles", "number", "back", "overview", "strengths", "improvement", "target", "ongoing", "police",
           "building", "preventive", "total", "residents", "budget", "staff", "year", "half", "needed", "counted",
           "least", "meeting", "walk", "safety", "steering", "documented", "progress", "insufficient", "promising",
           "effective", "effect", "published", "here", "shown", "names", "configured", "file", "source"}
#: Danish words that English phrases also contain ("at least", "Parents' meeting" -> s; "s. 7" is a page).
DANISH = {"at", "s", "i", "en", "og"}


def test_danish_june_report_has_no_english_words(raw, model, tmp_path):
    from tryghed.partnership import WORDS

    reg = E.read_registers(model, raw)
    scores = E.score_efforts(reg, model)
    pop = E.target_population(read_statbank(raw / "folk1a.csv"), codes=["183", "165"], ages=(6, 25), years=[2020])
    index = E.write_june_report(tmp_path / "juni", register=reg, scores=scores, model=model, year=2020, lang="da",
                                demo=True, resources=E.resources_per_1000(reg, pop, model, 2020))
    danish = (_words(E.REPORT_TEXT["da"]) | _words(E.LABELS["da"]) | _words(WORDS["da"])
              | _words({t["id"]: t["name"]["da"] for t in TYPES}))
    english = (_words(E.REPORT_TEXT["en"]) | _words(E.LABELS["en"]) | _words({t["id"]: t["name"]["en"] for t in TYPES})
               | ENGLISH) - danish - DANISH
    assert {"met", "the", "evidence", "held", "walk"} <= english  # the check has teeth
    pages = [index, *sorted((index.parent / "indsatser").glob("*.html"))]
    assert len(pages) == 4
    for page in pages:
        seen = _page_words(page)
        assert not seen & english, (page.name, sorted(seen & english))
        assert not seen & {"nan", "none", "nat"}, page.name  # an empty cell shows as "–"
    text = index.read_text(encoding="utf-8")
    assert "Aktivitetsmål 2020" in text and "intet mål (tælles)" in text and "ikke opfyldt" in text
    a1 = (index.parent / "indsatser" / "a1.html").read_text(encoding="utf-8")
    assert "Aktivitetsmål ikke nået: Styregruppemøde (1 afholdt)" in a1 and "2020, 2. halvår" in a1
    a3 = (index.parent / "indsatser" / "a3.html").read_text(encoding="utf-8")
    assert "<th>Forandringsteori</th><td>–</td>" in a3  # A3 has no theory of change
    # The English report, by contrast, is caught by the same check.
    en = E.write_june_report(tmp_path / "june", register=reg, scores=scores, model=model, year=2020, lang="en")
    assert _page_words(en) & english


@pytest.fixture(scope="module")
def bad_register_raw(demo_dir, tmp_path_factory) -> Path:
    """The demo registers with an undeclared activity type in row 3 of København's sheet 'aktiviteter', written once
    for both commands below (which only read it)."""
    raw = tmp_path_factory.mktemp("bad_register") / "indsatser"
    shutil.copytree(demo_dir / "indsatser", raw)
    book = raw / "sikker_by_indsatser_2018-2020.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["aktiviteter"]
    column = [c.value for c in ws[1]].index("aktivitetstype") + 1
    ws.cell(3, column).value = "tombola"
    wb.save(book)
    return raw


@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_bad_register_row_exits_2_before_any_kernel(tmp_path, command, capsys, monkeypatch, bad_register_raw):
    """`tryghed validate` and `tryghed run` read the effort registers before a notebook starts: an undeclared
    activity type in the demo workbook exits 2 naming the file, sheet, row and fix."""
    from tryghed import cli
    from tryghed import run as run_mod

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(run_mod.pm, "execute_notebook", no_kernel)
    argv = [command, "sikker-by-indsatser", "--raw", str(bad_register_raw)]
    if command == "run":
        argv += ["--out", str(tmp_path / "out"), "--quiet"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "sikker_by_indsatser_2018-2020.xlsx" in err and "'aktiviteter'" in err and "row 3" in err
    assert "'tombola' is not a declared activity type" in err and "efforts.activity_types" in err
    assert not (tmp_path / "out" / "reports").exists()
