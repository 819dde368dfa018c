"""The Nørrebro partnership's readers (police exports, population, gang register, SSP log, activity log, assessment)
on small hand-written files, their bad-input errors, and the synthetic demo recomputed by hand with the csv module."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter, defaultdict
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from tryghed import demo_norrebro as dn
from tryghed.activities import activity_lookup, calendar_periods, parse_goals, planned_vs_held, ssp_coverage
from tryghed.errors import InputError
from tryghed.sources.partnership import Gap, read_activity_log, read_assessment, read_gang_register, read_ssp_log
from tryghed.sources.police import (offence_codes, rate_per_1000, read_neighbourhood_population,
                                    read_police_incidents, read_police_monthly)

AREAS = {"Indre Nørrebro": "s-indre", "Ydre Nørrebro": "s-ydre", "Nørrebro": "noerrebro", "Valby": "s-valby",
         "Frederiksberg, Tårnby og Dragør": "kpk-rest"}
CODES = ["1320", "1345", "3210"]


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---------------------------------------------------------------- police: monthly export

MONTHLY = """Nabolag;Måned;Gerningskode;Antal
Indre Nørrebro;2016-01;1320;4
indre nørrebro ;2016M02;1320;0

Ydre Nørrebro;2016-01;1345;12
"""


def test_monthly_reads_tidy_rows_with_the_rows_a_person_sees(tmp_path):
    df = read_police_monthly(write(tmp_path, "m.csv", MONTHLY), areas=AREAS, codes=CODES)
    assert list(df.columns) == ["row", "area", "period", "offence_code", "count"]
    assert df.to_dict("records") == [
        {"row": 2, "area": "s-indre", "period": "2016-01", "offence_code": "1320", "count": 4},
        {"row": 3, "area": "s-indre", "period": "2016-02", "offence_code": "1320", "count": 0},
        {"row": 5, "area": "s-ydre", "period": "2016-01", "offence_code": "1345", "count": 12},
    ]


def test_default_code_list_is_the_leaf_offence_types():
    codes = offence_codes()
    assert {"1320", "1345", "1380", "1390", "3210"} <= codes
    assert not {"TOT", "1", "12", "13", "3"} & codes  # totals are not codes a report carries


@pytest.mark.parametrize("line, where, message", [
    ("Ydre Nørrebro;2016-01;9999;1", "row 5", r"'Gerningskode' holds '9999'.*not in the offence code list"),
    ("Atlantis;2016-01;1320;1", "row 5", r"'Nabolag' holds 'Atlantis'.*not an area of the pipeline"),
    ("Ydre Nørrebro;2019-01;1320;1", "row 5", r"'Måned' holds 2019-01, outside the period 2016-01 to 2016-12"),
    ("Ydre Nørrebro;januar 2016;1320;1", "row 5", r"'Måned' holds 'januar 2016', which is not a month"),
    ("Ydre Nørrebro;2016-13;1320;1", "row 5", r"which is not a month"),
    ("Indre Nørrebro;2016-01;1320;3", "row 5", r"key \(Nabolag=s-indre, Måned=2016-01, Gerningskode=1320\).*row 2"),
    ("Ydre Nørrebro;2016-02;1345;1.200", "row 5", r"'Antal' holds '1.200'.*thousands separator"),
])
def test_monthly_bad_input_names_file_row_and_fix(tmp_path, line, where, message):
    p = write(tmp_path, "m.csv", MONTHLY.replace("Ydre Nørrebro;2016-01;1345;12", line))
    with pytest.raises(InputError, match=message) as err:
        read_police_monthly(p, areas=AREAS, codes=CODES, months=("2016-01", "2016-12"))
    assert err.value.where == where and err.value.path == str(p) and err.value.fix


def test_monthly_missing_column_lists_accepted_names(tmp_path):
    p = write(tmp_path, "m.csv", "Nabolag;Måned;Antal\nValby;2016-01;3\n")
    with pytest.raises(InputError, match=r"column 'offence_code' is missing.*gerningskode"):
        read_police_monthly(p, areas=AREAS, codes=CODES)


# ---------------------------------------------------------------- police: incident export

INCIDENTS = """Journalnummer;Anmeldelsesdato;Gerningskode;Nabolag
J1;2016-01-03;1320;Indre Nørrebro
J2;31-01-2016;1320;indre nørrebro
J3;2016-02-01;1320;Indre Nørrebro

J4;2016-01-15;1345;Ydre Nørrebro
J5;1.2.2016;1320;Indre Nørrebro
"""


def test_incidents_are_counted_by_area_month_and_code(tmp_path):
    df = read_police_incidents(write(tmp_path, "i.csv", INCIDENTS), areas=AREAS, codes=CODES)
    # by hand: Indre 2016-01 1320: J1, J2 (rows 2, 3); Indre 2016-02 1320: J3, J5 (rows 4, 7); Ydre 2016-01: J4
    assert df.to_dict("records") == [
        {"row": 2, "area": "s-indre", "period": "2016-01", "offence_code": "1320", "count": 2},
        {"row": 4, "area": "s-indre", "period": "2016-02", "offence_code": "1320", "count": 2},
        {"row": 6, "area": "s-ydre", "period": "2016-01", "offence_code": "1345", "count": 1},
    ]


@pytest.mark.parametrize("old, new, where, message", [
    ("1345;Ydre", "9999;Ydre", "row 6", r"'Gerningskode' holds '9999'"),
    (";Ydre Nørrebro", ";Atlantis", "row 6", r"'Nabolag' holds 'Atlantis'.*not an area"),
    ("2016-01-15", "2016-02-30", "row 6", r"'Anmeldelsesdato' holds '2016-02-30', which is not a date"),
    ("2016-01-15", "2017-01-15", "row 6", r"2017-01 \(2017-01-15\), outside the period 2016-01 to 2016-12"),
    ("1345;Ydre", ";Ydre", "row 6", r"'Gerningskode' is empty"),
])
def test_incidents_bad_input_names_the_row_after_a_blank_line(tmp_path, old, new, where, message):
    p = write(tmp_path, "i.csv", INCIDENTS.replace(old, new))
    with pytest.raises(InputError, match=message) as err:
        read_police_incidents(p, areas=AREAS, codes=CODES, months=("2016-01", "2016-12"))
    assert err.value.where == where


def test_incidents_missing_file_column_and_encoding(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_police_incidents(tmp_path / "nope.csv", areas=AREAS)
    p = write(tmp_path, "i.csv", "Dato;Kode\n2016-01-01;1320\n")
    with pytest.raises(InputError, match=r"column 'area' is missing"):
        read_police_incidents(p, areas=AREAS, codes=CODES)
    extra = write(tmp_path, "x.csv", INCIDENTS.replace("J4;2016-01-15;1345;Ydre Nørrebro", "J4;2016-01-15;1345;Ydre;x"))
    with pytest.raises(InputError, match=r"cannot be split into fields.*got 5") as err:
        read_police_incidents(extra, areas=AREAS, codes=CODES)
    assert err.value.where == "row 6"
    latin = tmp_path / "l.csv"
    latin.write_bytes(INCIDENTS.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_police_incidents(latin, areas=AREAS, codes=CODES)


# ---------------------------------------------------------------- population and rates

def test_population_and_rate_by_hand(tmp_path):
    pop = read_neighbourhood_population(
        write(tmp_path, "p.csv", "År;Nabolag;Indbyggere\n2016;Indre Nørrebro;2000\n2016;Ydre Nørrebro;4000\n"),
        areas=AREAS)
    assert pop[["row", "area", "year", "population"]].values.tolist() == [[2, "s-indre", 2016, 2000],
                                                                        [3, "s-ydre", 2016, 4000]]
    counts = pd.DataFrame({"area": ["s-indre", "s-indre", "s-indre", "s-ydre"],
                           "period": ["2016-01", "2016-02", "2016-02", "2016-05"],
                           "offence_code": ["1320", "1320", "3210", "3210"], "count": [3, 5, 100, 7]})
    r = rate_per_1000(counts, pop, codes=["1320"]).set_index("area")
    assert r.loc["s-indre", "count"] == 8 and r.loc["s-indre", "months"] == 2
    assert r.loc["s-indre", "rate"] == pytest.approx(1000 * 8 / 2000)
    assert r.loc["s-ydre", "count"] == 0 and r.loc["s-ydre", "rate"] == 0  # reports of other codes only


def test_population_must_be_positive(tmp_path):
    p = write(tmp_path, "p.csv", "År;Nabolag;Indbyggere\n2016;Valby;0\n")
    with pytest.raises(InputError, match=r"'Indbyggere' holds 0, below the allowed 1") as err:
        read_neighbourhood_population(p, areas=AREAS)
    assert err.value.where == "row 2"


# ---------------------------------------------------------------- gang register

GANGS = """Kvartal;Gruppetype;Område;Antal
2017K1;Rocker;Indre Nørrebro;5
2017K1;Bande;Indre Nørrebro;7
2017K1;Øvrige;Indre Nørrebro;0
2017K1;Rocker;Ydre Nørrebro;3
2017K1;Bande;Ydre Nørrebro;4
2017Q2;Rocker;Indre Nørrebro;4
2017Q2;Bande;Indre Nørrebro;6
2017Q2;Øvrige;Indre Nørrebro;1
"""


def test_gang_register_tidy_rows_and_gaps_never_zero(tmp_path):
    df, gaps = read_gang_register(write(tmp_path, "g.csv", GANGS), areas=AREAS)
    assert df.iloc[0].to_dict() == {"row": 2, "area": "s-indre", "quarter": "2017Q1", "group_type": "rocker",
                                    "count": 5}
    assert df.groupby("quarter")["count"].sum().to_dict() == {"2017Q1": 19, "2017Q2": 11}
    # Ydre lacks 'other' in Q1 and the whole of Q2: gaps, and no zero rows were made up for them
    assert gaps == [Gap("s-ydre", "2017Q1", ("other",)), Gap("s-ydre", "2017Q2", ("rocker", "gang", "other"))]
    assert len(df) == 8


def test_gang_register_expected_areas_and_quarters(tmp_path):
    _, gaps = read_gang_register(write(tmp_path, "g.csv", GANGS), areas=AREAS, quarters=("2016Q4", "2017Q2"),
                                 expected_areas=["s-indre"])
    assert gaps == [Gap("s-indre", "2016Q4", ("rocker", "gang", "other"))]


@pytest.mark.parametrize("old, new, message", [
    ("2017Q2;Øvrige", "2017 juni;Øvrige", r"'Kvartal' holds '2017 juni', which is not a quarter"),
    ("2017Q2;Øvrige", "2018Q1;Øvrige", r"holds 2018Q1, outside the period 2017Q1 to 2017Q2"),
    ("2017Q2;Øvrige", "2017Q2;Klub", r"'Gruppetype' holds 'Klub', which is not a group type"),
    ("Øvrige;Indre Nørrebro;1", "Øvrige;Atlantis;1", r"'Område' holds 'Atlantis'"),
    ("2017Q2;Øvrige", "2017Q2;Bande", r"key \(Område=s-indre, Kvartal=2017Q2, Gruppetype=gang\).*first in row 8"),
])
def test_gang_register_bad_input(tmp_path, old, new, message):
    p = write(tmp_path, "g.csv", GANGS.replace(old, new))
    with pytest.raises(InputError, match=message) as err:
        read_gang_register(p, areas=AREAS, quarters=("2017Q1", "2017Q2"))
    assert err.value.where == "row 9"


# ---------------------------------------------------------------- SSP log

SSP = """Pseudonym;Område;Alder;Identificeret;Bekymringssamtale
P1;Indre Nørrebro;15;2016-03-02;2016-03-20
P1;Indre Nørrebro;15;2016-03-02;2016-05-01
P2;Indre Nørrebro;16;10-11-2016;
P3;Ydre Nørrebro;14;2016-12-20;2017-01-05
"""


def test_ssp_log_rows(tmp_path):
    df = read_ssp_log(write(tmp_path, "s.csv", SSP), areas=AREAS)
    assert list(df.columns) == ["row", "person", "area", "identified", "talk"]
    assert df["row"].tolist() == [2, 3, 4, 5]
    assert df.loc[2, "identified"] == pd.Timestamp("2016-11-10") and pd.isna(df.loc[2, "talk"])
    cov = ssp_coverage(df, periods=calendar_periods([2016], "year"), total_area="noerrebro").set_index("area")
    # by hand, 2016: Indre identified P1, P2; P1 talked (2 talks) -> 1 of 2; Ydre P3 talked only in 2017 -> 0 of 1
    assert cov.loc["s-indre", ["identified", "with_talk", "talks"]].tolist() == [2, 1, 2]
    assert cov.loc["s-ydre", ["identified", "with_talk", "talks"]].tolist() == [1, 0, 0]
    assert cov.loc["noerrebro", ["identified", "with_talk", "talks"]].tolist() == [3, 1, 2]
    assert cov.loc["s-indre", "coverage"] == 0.5


@pytest.mark.parametrize("old, new, where, message", [
    ("2016-12-20;2017-01-05", "2016-12-20;2016-12-01", "row 5", r"talk \(2016-12-01\) predates the identification"),
    ("P1;Indre Nørrebro;15;2016-03-02;2016-05-01", "P1;Ydre Nørrebro;15;2016-03-02;2016-05-01", "row 3",
     r"young person P1 has another Område here than in row 2"),
    ("P3;Ydre Nørrebro;14", "P3;Ydre Nørrebro;18", "row 5", r"'Alder' holds 18, above the allowed 17"),
    ("P3;Ydre", ";Ydre", "row 5", r"'Pseudonym' is empty"),
    ("2016-12-20;2017-01-05", "2016-12-20;5 januar", "row 5", r"'Bekymringssamtale' holds '5 januar', which is not"),
    ("P2;Indre Nørrebro;16;10-11-2016;", "P1;Indre Nørrebro;15;2016-03-02;", "row 4", r"row without a talk besides"),
])
def test_ssp_log_bad_input(tmp_path, old, new, where, message):
    p = write(tmp_path, "s.csv", SSP.replace(old, new))
    with pytest.raises(InputError, match=message) as err:
        read_ssp_log(p, areas=AREAS)
    assert err.value.where == where


def test_ssp_log_date_outside_period(tmp_path):
    with pytest.raises(InputError, match=r"holds 2017-01-05, outside the period 2016-01-01 to 2016-12-31") as err:
        read_ssp_log(write(tmp_path, "s.csv", SSP), areas=AREAS, dates=("2016-01-01", "2016-12-31"))
    assert err.value.where == "row 5"


# ---------------------------------------------------------------- activity log

GOALS = parse_goals([
    {"id": "forum", "name": {"da": "Samarbejdsforum", "en": "Cooperation forum"}, "per": "year", "min": 2, "max": 3},
    {"id": "dialog", "name": {"da": "Tryghedsdialogmøde", "en": "Safety dialogue meeting"}},
])


def activity_xlsx(tmp_path: Path, rows: list[tuple]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Aktiviteter"
    ws.append(["Aktivitetslog 2017"])
    ws.append(["Dato", "Aktivitet", "Område", "Deltagere"])
    for r in rows:
        ws.append(list(r))
    p = tmp_path / "a.xlsx"
    wb.save(p)
    return p


def test_activity_log_from_xlsx(tmp_path):
    p = activity_xlsx(tmp_path, [(dt.datetime(2017, 3, 1), "Samarbejdsforum", "Nørrebro", 12),
                                 ("2017-09-14", "safety dialogue meeting", "Ydre Nørrebro", None),
                                 (dt.datetime(2017, 10, 2), "forum", "Indre Nørrebro", "8")])
    df = read_activity_log(p, activity_types=activity_lookup(GOALS), areas=AREAS)
    assert df["row"].tolist() == [3, 4, 5]
    assert df["activity"].tolist() == ["forum", "dialog", "forum"]
    assert df["area"].tolist() == ["noerrebro", "s-ydre", "s-indre"]
    assert df["participants"].tolist() == [12, pd.NA, 8]
    assert df["date"].tolist() == [pd.Timestamp("2017-03-01"), pd.Timestamp("2017-09-14"), pd.Timestamp("2017-10-02")]


@pytest.mark.parametrize("row, message", [
    ((dt.datetime(2017, 5, 1), "Sommerfest", "Nørrebro", 3), r"'Aktivitet' holds 'Sommerfest', which is not a "
                                                             r"declared activity type \(declared: .*Samarbejdsforum"),
    ((dt.datetime(2017, 5, 1), "forum", "Atlantis", 3), r"'Område' holds 'Atlantis'"),
    (("1. maj", "forum", "Nørrebro", 3), r"'Dato' holds '1. maj', which is not a date"),
    ((dt.datetime(2017, 5, 1), "forum", "Nørrebro", -1), r"'Deltagere' holds -1, below the allowed 0"),
    ((dt.datetime(2018, 5, 1), "forum", "Nørrebro", 3), r"holds 2018-05-01, outside the period"),
])
def test_activity_log_bad_input_names_sheet_and_row(tmp_path, row, message):
    p = activity_xlsx(tmp_path, [(dt.datetime(2017, 3, 1), "forum", "Nørrebro", 12), row])
    with pytest.raises(InputError, match=message) as err:
        read_activity_log(p, activity_types=activity_lookup(GOALS), areas=AREAS, dates=("2017-01-01", "2017-12-31"))
    assert err.value.where == "sheet 'Aktiviteter', row 4"


# ---------------------------------------------------------------- assessment

def test_assessment_verbatim_absent_or_empty(tmp_path):
    text = "# Vurdering\n\nKonflikten er *lav*.  \nLinje to.\n"
    a = read_assessment(write(tmp_path, "v.md", text), attribution={"da": "Københavns Politi", "en": "Police"})
    assert a.supplied and a.text == text and a.attribution["da"] == "Københavns Politi"
    missing = read_assessment(tmp_path / "none.md", attribution={"da": "Københavns Politi"})
    assert not missing.supplied and missing.text is None and missing.file == "none.md"
    with pytest.raises(InputError, match="the assessment is empty"):
        read_assessment(write(tmp_path, "e.md", "\n  \n"), attribution={"da": "x"})


# ---------------------------------------------------------------- the demo, recomputed by hand

@pytest.fixture(scope="module")
def demo(norrebro_demo):
    """The Nørrebro demo (written once per session, conftest.norrebro_demo); read only."""
    return norrebro_demo


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def test_demo_2016_rates_are_the_plans_baselines(demo):
    citizen = set(dn.CITIZEN_CODES)
    reports = Counter()
    for r in rows(demo / dn.FILES["police_monthly"]):
        if r["Måned"].startswith("2016-") and r["Gerningskode"] in citizen:
            reports[r["Nabolag"]] += int(r["Antal"])
    pop = {r["Nabolag"]: int(r["Indbyggere"]) for r in rows(demo / dn.FILES["population"]) if r["År"] == "2016"}
    assert round(1000 * reports["Indre Nørrebro"] / pop["Indre Nørrebro"], 1) == 58.2
    assert round(1000 * reports["Ydre Nørrebro"] / pop["Ydre Nørrebro"], 1) == 40.5


def test_demo_q1_2017_gang_stock_is_290(demo):
    stock = Counter()
    for r in rows(demo / dn.FILES["gang_register"]):
        if r["Kvartal"] == "2017K1":
            stock[r["Gruppetype"]] += int(r["Antal"])
    assert sum(stock.values()) == 290
    assert stock == {"Rocker": 116, "Bande": 116, "Øvrige": 58}  # 40 %, 40 %, 20 %


def test_demo_gang_register_has_its_stated_gap(demo):
    areas = {n: n for n in [*dn.DISTRICTS, dn.POLICE_REST[0]]}
    _, gaps = read_gang_register(demo / dn.FILES["gang_register"], areas=areas)
    assert gaps == [Gap("Vanløse", "2018Q2", ("rocker", "gang", "other"))]


def test_demo_incident_export_holds_the_monthly_reports(demo):
    by_hand = Counter()
    for r in rows(demo / dn.FILES["police_incidents"]):
        by_hand[(r["Nabolag"], r["Anmeldelsesdato"][:7], r["Gerningskode"])] += 1
    monthly = {(r["Nabolag"], r["Måned"], r["Gerningskode"]): int(r["Antal"])
               for r in rows(demo / dn.FILES["police_monthly"])}
    assert by_hand == monthly
    areas = {n: n for n in dn.DISTRICTS}
    df = read_police_incidents(demo / dn.FILES["police_incidents"], areas=areas, months=("2012-01", "2020-12"))
    assert dict(zip(zip(df["area"], df["period"], df["offence_code"]), df["count"])) == monthly


def test_demo_planted_effect_is_visible(demo):
    """Nørrebro's citizen-directed reports fall by about the planted ratio relative to the rest, 2016 -> 2017."""
    citizen = set(dn.CITIZEN_CODES)
    total = defaultdict(int)
    for r in rows(demo / dn.FILES["police_monthly"]):
        if r["Gerningskode"] in citizen and r["Måned"][:4] in ("2016", "2017"):
            total[(r["Nabolag"] in dn.EFFECT_AREAS, r["Måned"][:4])] += int(r["Antal"])
    ratio = (total[(True, "2017")] / total[(True, "2016")]) / (total[(False, "2017")] / total[(False, "2016")])
    assert ratio == pytest.approx(dn.EFFECT_RATE_RATIO, abs=0.04)


def test_demo_ssp_and_activity_measures_by_hand(demo):
    ssp = rows(demo / dn.FILES["ssp_log"])
    talks_indre_2016 = sum(1 for r in ssp if r["Område"] == "Indre Nørrebro" and r["Bekymringssamtale"][:4] == "2016")
    assert talks_indre_2016 == dn.HOME_VISITS_INDRE_2016 == 65
    identified = {r["Pseudonym"] for r in ssp if r["Område"] == "Indre Nørrebro" and r["Identificeret"][:4] == "2016"}
    covered = {r["Pseudonym"] for r in ssp if r["Pseudonym"] in identified and r["Bekymringssamtale"]
               and r["Bekymringssamtale"] <= "2016-12-31"}
    areas = {"Indre Nørrebro": "i", "Ydre Nørrebro": "y", "Nørrebro": "n"}
    cov = ssp_coverage(read_ssp_log(demo / dn.FILES["ssp_log"], areas=areas),
                       periods=calendar_periods([2016], "year")).set_index("area")
    assert cov.loc["i", ["identified", "with_talk", "talks"]].tolist() == [len(identified), len(covered), 65]

    sheet = load_workbook(demo / dn.FILES["activity_log"]).active
    held = Counter((r[0].year, r[1]) for r in sheet.iter_rows(min_row=3, values_only=True))
    goals = parse_goals([{"id": g, "name": {"da": n}, "per": p, "min": lo, "max": hi}
                         for g, n, p, lo, hi in dn.ACTIVITY_GOALS])
    log = read_activity_log(demo / dn.FILES["activity_log"], activity_types=activity_lookup(goals), areas=areas)
    table = planned_vs_held(log, goals=goals, years=range(2017, 2021)).set_index(["activity", "period"])
    assert held[(2019, "Operativ styregruppe")] == 3
    assert table.loc[("operativ_styregruppe", "2019"), ["held", "status"]].tolist() == [3, "not_met"]
    assert table.loc[("informationsaften", "2018"), ["held", "status"]].tolist() == [0, "not_met"]
    assert held[(2018, "Samarbejdsforum med boligorganisationerne")] == table.loc[("samarbejdsforum", "2018"), "held"]
    year_rows = table[table["kind"] == "year"]
    assert set(year_rows.loc[year_rows["status"] == "not_met"].index) == {("operativ_styregruppe", "2019"),
                                                                          ("informationsaften", "2018")}


def test_demo_is_marked_synthetic_and_reproducible(demo, tmp_path):
    marker = (demo / dn.MARKER).read_text(encoding="utf-8")
    assert "synthetic" in marker.lower() and "rate ratio 0.85" in marker and "2017-01" in marker
    assert "SYNTETISK" in (demo / dn.FILES["assessment"]).read_text(encoding="utf-8")
    again = tmp_path / "again"
    dn.write_norrebro_demo(again)
    for name in dn.FILES.values():
        assert (again / name).read_bytes() == (demo / name).read_bytes(), name
