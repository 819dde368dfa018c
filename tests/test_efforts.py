"""The efforts register, its score, the June report and resources per 1,000: expected values by hand."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tryghed import efforts as E
from tryghed.errors import ConfigError, InputError
from tryghed.sources.statbank import read_statbank

# A hand-built register of "Testby" (StatBank code 183) as a folder of ;-separated CSV files.
EFFORTS_CSV = "\n".join([
    "id;navn;forvaltning;sikker_by_niveau;forebyggelsestrekant;principper;målgruppe;alder_fra;alder_til;område;"
    "start;slut;ejer;forandringsteori;dokumentation;forventet_dato",
    "A1;Lektiecafé;BUF;I;opbyggende;1, 2;skolebørn;6;16;Nord;2019-01-01;;BUF;"
    "Lektiehjælp giver skolegang og færre unge i kriminalitet.;dokumenteret;",
    "A2;Exit-forløb;SOF;III;kriminalitetsforebyggende;3;unge;15;25;Syd;2019-01-01;2019-12-31;SOF;"
    "Exit giver vej ud af bander.;dokumenteret;",
    "A3;Nattevandring;politi;II;forebyggende;2;unge;13;25;Nord;2020-01-01;;Politi;;under udarbejdelse;2021-06-01",
    "",
])
RESOURCES_CSV = """indsats_id;år;årsværk;budget_kr
A1;2020;2;1000000
A2;2019;3;2000000
A3;2020;1,5;600000
"""
CRITERIA_CSV = """indsats_id;kriterie_id;succeskriterium
A1;K1;Mindst 40 elever
A1;K2;80 % kommer hver uge
A1;K3;Bedre karakterer
A2;K1;10 forløb
A2;K2;Ingen nye sigtelser
"""
RESULTS_CSV = """indsats_id;kriterie_id;år;opfyldt;belæg
A1;K1;2019;ja;Årsrapport 2019
A1;K2;2019;nej;Årsrapport 2019
A1;K3;2019;delvist;
A1;K1;2020;ja;Årsrapport 2020
A1;K2;2020;ja;Årsrapport 2020
A2;K1;2019;ja;Notat
A2;K2;2019;ja;Notat
"""
EVIDENCE_CSV = """indsats_id;år;sms;ekstern_evidens;kilde
A1;2019;3;lovende;Review X
A2;2019;;virksom;Review Y
"""
# FOLK1A in the API's CSV layout with the default value presentation (labels), first quarters: Ishøj (183)
# 100 residents in every single year of age except 150 aged 10; Albertslund (165) 50 at every age; 2019 as 2020.
FOLK1A_HEADER = "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD"


def folk1a_csv(path: Path) -> Path:
    lines = [FOLK1A_HEADER]
    for area, base in (("Ishøj", 100), ("Albertslund", 50)):
        for age in range(0, 31):
            v = 150 if area == "Ishøj" and age == 10 else base
            lines += [f"{area};I alt;{age} år;I alt;{period};{v}" for period in ("2019K1", "2020K1")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_testby(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in (("indsatser", EFFORTS_CSV), ("ressourcer", RESOURCES_CSV), ("kriterier", CRITERIA_CSV),
                       ("resultater", RESULTS_CSV), ("evidens", EVIDENCE_CSV)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def peer_xlsx(path: Path) -> Path:
    """Peerby (Albertslund, 165): one building effort with 1 FTE and 500,000 DKK in 2020, as a workbook."""
    cols = {k: [c[1] for c in cols] for k, (_, _, cols) in E.TABLES.items()}
    tables = {k: pd.DataFrame(columns=c) for k, c in cols.items()}
    tables["efforts"] = pd.DataFrame([["P1", "Sport", "SSP", "I", "opbyggende", "1", "unge", 6, 25, "", "2018-01-01",
                                       "", "", "Sport giver fællesskab.", "dokumenteret", ""]], columns=cols["efforts"])
    tables["resources"] = pd.DataFrame([["P1", 2020, 1, 500000]], columns=cols["resources"])
    return E.write_register(tables, path)


MODEL = {
    "registers": [{"municipality": "Testby", "code": "183", "file": "testby"},
                  {"municipality": "Peerby", "code": "165", "file": "peerby.xlsx"}],
    "target_ages": [6, 25],
    "weights": {"results": 0.5, "own_evaluation": 0.25, "external_evidence": 0.25},
    "weights_total": 1.0,
    "threshold": 60,
    "min_results": 0.5,
}


def write_registers(folder: Path, write_town=None) -> Path:
    """The hand-built registers in ``folder``: the town's (``write_town``, default :func:`write_testby`), the peer's
    workbook and FOLK1A."""
    (write_town or write_testby)(folder / "testby")
    peer_xlsx(folder / "peerby.xlsx")
    folk1a_csv(folder / "folk1a.csv")
    return folder


@pytest.fixture(scope="module")
def raw_once(tmp_path_factory) -> Path:
    """The hand-built registers written once per module (the peer's workbook takes 0.1 s); ``raw`` copies them."""
    return write_registers(tmp_path_factory.mktemp("efforts_raw"))


@pytest.fixture()
def raw(raw_once, tmp_path) -> Path:
    """A fresh copy of the hand-built registers in the test's own folder."""
    shutil.copytree(raw_once, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture()
def model() -> E.EffortModel:
    return E.effort_model(MODEL)


def test_reads_the_hand_built_register(raw, model):
    reg = E.read_registers(model, raw)
    assert list(reg.efforts["effort_id"]) == ["A1", "A2", "A3", "P1"]
    a3 = reg.efforts.set_index("effort_id").loc["A3"]
    assert (a3["administration"], a3["level"], a3["triangle"]) == ("police", "II", "preventive")
    assert reg.efforts.set_index("effort_id").loc["A1", "principles"] == (1, 2)
    assert reg.resources.set_index("effort_id").loc["A3", "fte"] == 1.5  # decimal comma
    assert len(reg.results) == 7 and set(reg.results["met"]) == {"yes", "no", "partly"}


def test_scores_by_hand(raw, model):
    scores = E.score_efforts(E.read_registers(model, raw), model).set_index(["effort_id", "year"])
    # Only efforts with criteria, in years they run and report: A1 2019, A1 2020, A2 2019.
    assert sorted(scores.index) == [("A1", 2019), ("A1", 2020), ("A2", 2019)]
    # A1 2019: K1 met (1), K2 not met (0), K3 partly (0.5) -> R = 1.5 / 3; SMS 3 -> 0.5; promising -> 0.5.
    r, s, x = 1.5 / 3, 0.5, 0.5
    a1_2019 = 100 * (0.5 * r + 0.25 * s + 0.25 * x)  # = 50
    # A1 2020: K1, K2 met, K3 not reported (0) -> R = 2/3; the 2019 evidence carries forward.
    a1_2020 = 100 * (0.5 * 2 / 3 + 0.25 * 0.5 + 0.25 * 0.5)  # = 58.33
    # A2 2019: both met -> R = 1; no own evaluation -> 0; effective -> 1.
    a2_2019 = 100 * (0.5 * 1 + 0.25 * 0 + 0.25 * 1)  # = 75
    assert scores.loc[("A1", 2019), "score"] == pytest.approx(50.0)
    assert scores.loc[("A1", 2019), "score"] == pytest.approx(a1_2019, abs=1e-12)
    assert scores.loc[("A1", 2020), "score"] == pytest.approx(a1_2020, abs=1e-12)
    assert scores.loc[("A2", 2019), "score"] == pytest.approx(a2_2019, abs=1e-12)
    assert scores.loc[("A1", 2020), "not_reported"] == 1
    assert scores.loc[("A1", 2020), "change"] == pytest.approx(a1_2020 - a1_2019, abs=1e-12)
    assert math.isnan(scores.loc[("A1", 2019), "change"])
    # well on the way: score >= 60 and R >= 0.5
    assert list(scores.index[scores["well_on_the_way"]]) == [("A2", 2019)]


def test_well_on_the_way_list_follows_threshold_and_min_results(raw):
    reg_model = E.effort_model({**MODEL, "threshold": 55})
    reg = E.read_registers(reg_model, raw)
    scores = E.score_efforts(reg, reg_model)
    assert list(E.well_on_the_way(scores, reg, 2020, "Testby")["effort_id"]) == ["A1"]  # 58.33 >= 55, R 0.67
    assert list(E.well_on_the_way(scores, reg, 2019, "Testby")["effort_id"]) == ["A2"]
    strict = E.effort_model({**MODEL, "threshold": 55, "min_results": 0.7})
    assert E.well_on_the_way(E.score_efforts(reg, strict), reg, 2020, "Testby").empty  # R 0.67 < 0.7


def test_without_model_lists_missing_theory_and_criteria(raw, model):
    out = E.without_model(E.read_registers(model, raw), "Testby")
    assert out[["effort_id", "no_theory", "no_criteria"]].values.tolist() == [["A3", True, True]]


def test_heatmap_and_principles_tables(raw, model):
    reg = E.read_registers(model, raw)
    heat = E.heatmap_table(reg, 2020, "Testby")  # A2 ended 2019
    assert heat.loc["I", "BUF"] == 1 and heat.loc["II", "police"] == 1 and int(heat.values.sum()) == 2
    p = E.principles_table(reg, 2019, "Testby", model, "da").set_index("principle")
    assert p.loc["2. Princip 2", "BUF"] == "A1" and p.loc["3. Princip 3", "SOF"] == "A2"
    assert p["n"].tolist() == [1, 1, 1, 0, 0, 0]


def test_resources_per_1000_by_hand(raw, model):
    reg = E.read_registers(model, raw)
    folk = read_statbank(raw / "folk1a.csv")
    pop = E.target_population(folk, codes=["183", "165"], ages=(6, 25), years=[2020])
    # Ishøj: 20 ages 6..25 at 100, age 10 at 150 -> 2050; Albertslund: 20 x 50 = 1000.
    assert pop.set_index("area_code")["population"].to_dict() == {"183": 2050.0, "165": 1000.0}
    res = E.resources_per_1000(reg, pop, model, 2020).set_index(["municipality", "triangle"])
    assert res.loc[("Testby", "building"), "fte_per_1000"] == pytest.approx(2 / 2050 * 1000)
    assert res.loc[("Testby", "building"), "dkk_per_1000"] == pytest.approx(1_000_000 / 2050 * 1000)
    assert res.loc[("Testby", "preventive"), "fte_per_1000"] == pytest.approx(1.5 / 2050 * 1000)
    assert res.loc[("Testby", "crime_preventive"), "fte"] == 0  # A2's money is 2019's
    assert res.loc[("Testby", "total"), "dkk_per_1000"] == pytest.approx(1_600_000 / 2050 * 1000)
    assert res.loc[("Peerby", "building"), "fte_per_1000"] == pytest.approx(1.0)
    assert res.loc[("Peerby", "total"), "dkk_per_1000"] == pytest.approx(500_000.0)


def test_population_without_the_ages_says_what_to_fetch(raw):
    folk = read_statbank(raw / "folk1a.csv")
    with pytest.raises(ValueError, match="tryghed fetch dst FOLK1A"):
        E.target_population(folk, codes=["183"], ages=(6, 40), years=[2020])


def test_june_report_is_a_self_contained_escaped_folder(raw, model, tmp_path):
    reg = E.read_registers(model, raw)
    reg.efforts.loc[reg.efforts["effort_id"] == "A1", "name"] = "<script>x</script>"
    scores = E.score_efforts(reg, model)
    pop = E.target_population(read_statbank(raw / "folk1a.csv"), codes=["183", "165"], ages=(6, 25), years=[2019])
    index = E.write_june_report(tmp_path / "juni", register=reg, scores=scores, model=model, year=2019, lang="da",
                                demo=True, resources=E.resources_per_1000(reg, pop, model, 2019))
    html = index.read_text(encoding="utf-8")
    assert "<script>x" not in html and "&lt;script&gt;x" in html
    assert "DEMODATA" in html and "rekonstruktion" in html
    good = html[html.index('id="godt-paa-vej"'):html.index('id="alle"')]
    assert "A2" in good and "A1" not in good
    for href in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert not href.startswith(("/", "http", "file:")) and (index.parent / href).is_file(), href
    assert sorted(p.name for p in (index.parent / "indsatser").iterdir()) == ["a1.html", "a2.html", "a3.html"]
    page = (index.parent / "indsatser" / "a1.html").read_text(encoding="utf-8")
    assert "Ikke opfyldt: 80 % kommer hver uge" in page and 'href="../index.html"' in page
    assert any("heatmap" in p.name for p in index.parent.glob("*.svg"))
    en = E.write_june_report(tmp_path / "june", register=reg, scores=scores, model=model, year=2019, lang="en")
    assert "Well on the way" in en.read_text(encoding="utf-8")
    # the demo report's tables say the data are synthetic in every row; the real report's do not
    rows = 0
    for name in ("activities.csv", "resources.csv", "scores.csv"):
        demo_rows = pd.read_csv(index.parent / name, dtype=str)
        assert list(demo_rows)[0] == "Data" and set(demo_rows["Data"]) <= {"DEMODATA – SYNTETISKE TAL"}, name
        if (en.parent / name).is_file():                              # the English one has no resources given
            assert "Data" not in pd.read_csv(en.parent / name, dtype=str).columns, name
        rows += len(demo_rows)
    assert rows >= 3                                                  # the three scored efforts at least


# ------------------------------------------------------------------------------------------------------- bad input
def _bad(tmp_path: Path, table: str, row: int, column: str, value) -> Path:
    """The Testby register as a workbook with one cell changed (row: 0-based data row)."""
    reg = write_testby(tmp_path / "src")
    tables = {k: pd.read_csv(reg / f"{da}.csv", sep=";", dtype=str, keep_default_na=False)
              if (reg / f"{da}.csv").is_file() else pd.DataFrame(columns=[c[1] for c in cols])
              for k, (da, _, cols) in E.TABLES.items()}
    tables[table].loc[row, column] = value
    return E.write_register(tables, tmp_path / "bad.xlsx")


@pytest.mark.parametrize("table, row, column, value, sheet_row, words", [
    ("efforts", 1, "forvaltning", "XYZ", "sheet 'indsatser', row 3, column 'forvaltning'",
     "not a known administration"),
    ("efforts", 0, "sikker_by_niveau", "VI", "sheet 'indsatser', row 2, column 'sikker_by_niveau'", "prevention level"),
    ("efforts", 0, "forebyggelsestrekant", "almenpræventiv", "row 2, column 'forebyggelsestrekant'",
     "whom the effort reaches"),
    ("efforts", 2, "principper", "2, 7", "sheet 'indsatser', row 4, column 'principper'", "principles"),
    ("efforts", 2, "id", "A1", "sheet 'indsatser', row 4, column 'id'", "used twice (also in row 2)"),
    ("results", 4, "år", "", "sheet 'resultater', row 6, column 'år'", "has no year"),
    ("resources", 1, "budget_kr", "2 mio.", "sheet 'ressourcer', row 3, column 'budget_kr'", "is not a number"),
    ("resources", 0, "årsværk", "1.200", "sheet 'ressourcer', row 2, column 'årsværk'", "is not a number"),
    ("evidence", 0, "sms", "6", "sheet 'evidens', row 2, column 'sms'", "Maryland SMS grade"),
    ("criteria", 0, "indsats_id", "Z9", "sheet 'kriterier', row 2, column 'indsats_id'", "not in the sheet"),
])
def test_bad_register_names_file_sheet_row_and_fix(tmp_path, table, row, column, value, sheet_row, words):
    path = _bad(tmp_path, table, row, column, value)
    with pytest.raises(InputError) as err:
        E.read_register(path, municipality="Testby")
    msg = str(err.value)
    assert str(path) in msg and sheet_row in msg and words in msg
    assert err.value.fix  # every message says what to do


def test_missing_sheet(tmp_path):
    path = tmp_path / "r.xlsx"
    E.write_template(path)
    wb = openpyxl.load_workbook(path)
    del wb["evidens"]
    wb.save(path)
    with pytest.raises(InputError, match="no table 'evidens'"):
        E.read_register(path)


@pytest.mark.parametrize("change, words", [
    ({"weights": {"results": 0.5, "own_evaluation": 0.3, "external_evidence": 0.3}}, "sum to 1.1"),
    ({"weights_total": 100}, "weights_total says 100"),
    ({"sms_points": {1: 0, 2: 1}}, "sms_points"),
    ({"target_ages": [25, 6]}, "target_ages"),
])
def test_bad_model_is_a_config_error(change, words):
    with pytest.raises(ConfigError, match=words) as err:
        E.effort_model({**MODEL, **change}, "pipelines/x.yml")
    assert "pipelines/x.yml" in str(err.value) and "'efforts" in str(err.value)


def test_weights_may_sum_to_a_declared_total(raw):
    m = E.effort_model({**MODEL, "weights": {"results": 50, "own_evaluation": 25, "external_evidence": 25},
                        "weights_total": 100})
    scores = E.score_efforts(E.read_registers(m, raw), m).set_index(["effort_id", "year"])
    assert scores.loc[("A2", 2019), "score"] == pytest.approx(75.0)


def test_template_is_an_empty_valid_register_and_never_overwritten(tmp_path):
    for path in (tmp_path / "new.xlsx", tmp_path / "newfolder"):
        E.write_template(path)
        reg = E.read_register(path)
        assert all(df.empty for df in reg.tables().values())
        with pytest.raises(InputError, match="already exists"):
            E.write_template(path)


# ------------------------------------------------------------------------------------------------------------ demo
def test_demo_is_deterministic_synthetic_and_scores_recompute_by_hand(tmp_path, demo_dir):
    a = E.write_demo_registers(tmp_path / "a")
    # the session's demo (conftest.demo_dir) wrote the same registers with the same seed in another process
    b = [demo_dir / E.DEMO_DIR / p.relative_to(tmp_path / "a") for p in a]
    for pa, pb in zip(a, b):
        if pa.is_file():
            assert pa.read_bytes() == pb.read_bytes(), pa.name
    assert "synthetic" in (tmp_path / "a" / "SYNTHETIC.md").read_text(encoding="utf-8")
    kbh = tmp_path / "a" / E.DEMO_REGISTERS[0][2]
    model = E.effort_model({"registers": [{"municipality": "København", "code": "101", "file": kbh.name}],
                            "activity_types": list(E.DEMO_ACTIVITY_TYPES)})
    reg = E.read_registers(model, tmp_path / "a")
    assert len(reg.efforts) == 40
    assert set(reg.efforts["administration"]) == {"BUF", "SOF", "BIF", "KFF", "TMF", "SUF", "ØKF", "SSP", "police"}
    assert sorted(reg.results["year"].unique()) == [2018, 2019, 2020]
    assert reg.efforts["name"].str.endswith("(demo)").all()

    # Independent recomputation for 2020 straight from the workbook's cells.
    wb = openpyxl.load_workbook(kbh, read_only=True)

    def rows(sheet):
        it = wb[sheet].iter_rows(values_only=True)
        head = next(it)
        return [dict(zip(head, r)) for r in it]

    criteria: dict[str, list[str]] = {}
    for r in rows("kriterier"):
        criteria.setdefault(r["indsats_id"], []).append(r["kriterie_id"])
    met = {(r["indsats_id"], r["kriterie_id"]): r["opfyldt"] for r in rows("resultater") if r["år"] == 2020}
    reported = {eid for eid, _ in met}
    credit = {"ja": 1.0, "delvist": 0.5, "nej": 0.0}
    ev = {}
    for r in sorted(rows("evidens"), key=lambda r: r["år"]):
        if r["år"] <= 2020:
            ev[r["indsats_id"]] = (r["sms"], r["ekstern_evidens"])
    sms_pts = {None: 0.0, 1: 0.0, 2: 0.25, 3: 0.5, 4: 0.75, 5: 1.0}
    ext_pts = {None: 0.0, "virksom": 1.0, "lovende": 0.5, "utilstrækkelig": 0.25, "ingen effekt": 0.0}
    expected, good = {}, set()
    for eid, cids in criteria.items():
        if eid not in reported:
            continue
        share = sum(credit.get(met.get((eid, c)), 0.0) for c in cids) / len(cids)
        sms, ext = ev.get(eid, (None, None))
        expected[eid] = 100 * (0.6 * share + 0.2 * sms_pts[sms] + 0.2 * ext_pts[ext])
        if expected[eid] >= 60 and share >= 0.5:
            good.add(eid)
    scores = E.score_efforts(reg, model)
    got = scores[scores["year"] == 2020].set_index("effort_id")["score"]
    assert len(expected) > 20 and set(got.index) == set(expected)
    for eid, value in expected.items():
        assert got[eid] == pytest.approx(value, abs=1e-9), eid
    listed = set(E.well_on_the_way(scores, reg, 2020, "København")["effort_id"])
    assert listed == good and 0 < len(good) < len(expected)


def test_bad_csv_register_names_the_file_and_row(tmp_path):
    folder = write_testby(tmp_path / "testby")
    (folder / "ressourcer.csv").write_text(RESOURCES_CSV.replace("600000", "600.000 kr."), encoding="utf-8")
    with pytest.raises(InputError, match=r"file 'ressourcer.csv', row 4, column 'budget_kr'.*not a number"):
        E.read_register(folder)


def test_pipeline_yaml_block_is_valid():
    from tryghed import config

    cfg = config.load_pipeline("sikker-by-indsatser")
    m = E.pipeline_model(cfg)
    assert m.home.code == "101" and m.population in cfg.sources
    assert sum(m.weights.values()) == pytest.approx(m.weights_total)
    assert sorted(m.principles) == [1, 2, 3, 4, 5, 6]
