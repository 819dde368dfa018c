"""The koebenhavn pipeline on the real published files (../shared/data/kk, dst): every published value in the
indicator table equals its source, read here with the csv module; each district against the others equals scipy.

Steps 01–04 run in-process (the package functions the notebooks call). Without the shared folder the tests skip
with a message (set TRYGHED_SHARED_DATA to use another copy); in CI (CI=true) they fail.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps

from realdata import need
from tryghed import changes, clean, config, disclosure, indicators, sources

FILES = ("kk/kk_tryghed_city_series.csv", "kk/kk_tryghed_2025_bydele.csv", "kk/kk_tryghed_2026_bydele.csv",
         "kk/kk_borgervendt_kriminalitet_city.csv", "dst/straf11_offences_by_type_municipality_2007Q1-2019Q3.csv",
         "dst/folk1a_population_municipality_2008Q1-2022Q4.xlsx")
#: The city series' indicator names -> the pipeline's indicators.
SERIES = {"utrygge_i_nabolaget": "unsafe_neighbourhood", "utrygge_aften_nat": "unsafe_night",
          "trygge_i_nabolaget": "safe_neighbourhood", "trygge_aften_nat": "safe_night"}


@pytest.fixture(scope="module")
def data(shared_data):
    return need(shared_data, *FILES)


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    work = tmp_path_factory.mktemp("kbh")
    p = config.load_pipeline("koebenhavn")
    sources.ingest(p, data, work / "staged")
    clean.clean_all(p, work / "staged", work / "clean")
    table = indicators.compute_all(p, work / "clean")
    published = disclosure.protect_pipeline_table(p, table, min_answers=indicators.MIN_ANSWERS).table
    return p, published


def _rows(path: Path, sep: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=sep))


def _area_ids(p) -> dict[str, str]:
    """The published tables' district names -> area ids (hand-checked: the 13 survey districts and the city)."""
    return {"Hele København": "kbh", "Amager Vest": "amager-vest", "Amager Øst": "amager-oest",
            "Bispebjerg": "bispebjerg", "Brønshøj-Husum": "broenshoej-husum", "Christianshavn": "christianshavn",
            "Indre By": "indre-by", "Indre Nørrebro": "indre-noerrebro", "Ydre Nørrebro": "ydre-noerrebro",
            "Kongens Enghave": "kgs-enghave", "Kgs. Enghave": "kgs-enghave", "Valby": "valby", "Vanløse": "vanloese",
            "Vesterbro": "vesterbro", "Østerbro": "oesterbro"}


def _expected(data: Path) -> dict[tuple[str, str, int], dict[str, float]]:
    """Every published value of the four kk files, keyed (indicator, area, period): the value and any count."""
    out: dict[tuple[str, str, int], dict[str, float]] = {}

    def put(key, value):  # a value two files publish must agree (the city's shares in the series and the tables)
        assert out.get(key, value) == value, key
        out[key] = value

    for r in _rows(data / "kk/kk_tryghed_city_series.csv", ","):
        put((SERIES[r["indicator"]], "kbh", int(r["survey_year"])), {"estimate": float(r["value_pct_or_rate"])})
    ids = _area_ids(None)
    for r in _rows(data / "kk/kk_tryghed_2025_bydele.csv", ";"):
        a, y = ids[r["bydel"]], int(r["survey_year"])
        put(("safe_neighbourhood", a, y), {"estimate": float(r["safe_neighbourhood_pct"])})
        put(("safe_night", a, y), {"estimate": float(r["safe_evening_night_pct"])})
        put(("reported_offences", a, y), {"estimate": float(r["reported_offences_per_1000"])})
    for r in _rows(data / "kk/kk_tryghed_2026_bydele.csv", ";"):
        a, y = ids[r["bydel_pdf"]], int(r["year"])
        put(("safe_neighbourhood", a, y), {"estimate": float(r["safe_pct"])})
        put(("reported_offences", a, y), {"estimate": float(r["crime_1000"]), "numerator": float(r["reports_n"])})
    for r in _rows(data / "kk/kk_borgervendt_kriminalitet_city.csv", ","):
        if r["indicator"] == "borgervendt_kriminalitet_anmeldelser":
            put(("citizen_crime_published", "kbh", int(r["crime_year"])), {"estimate": float(r["value"])})
    return out


def test_every_published_value_equals_its_source(run, data):
    p, table = run
    expected = _expected(data)
    shown = table[~table["indicator_id"].isin(["citizen_crime_dst", "reported_crime_dst"])]
    got = {(r.indicator_id, r.area_id, int(r.period)): r for r in shown.itertuples()}
    # the same cells, no more and no fewer: 26 city-series values, 3 × 14 of 2025 less the 2 city shares the series
    # holds already, 2 × 14 of 2026 less 1 likewise, and 5 years of citizen-directed crime
    assert set(got) == set(expected)
    assert len(expected) == 26 + (3 * 14 - 2) + (2 * 14 - 1) + 5
    for key, want in expected.items():
        for col, v in want.items():
            assert getattr(got[key], col) == v, key
    # the shares rest on an assumed n, flagged on every row
    shares = shown[shown["indicator_id"].isin(list(SERIES.values()))]
    assert shares["flags"].str.split(";").map(lambda f: "assumed_n" in f).all()
    assert set(shares[shares["level"] == "city"]["n_effective"]) == {3600.0}
    assert set(shares[shares["level"] == "district"]["n_effective"]) == {277.0}


def test_each_district_against_the_other_twelve_equals_scipy(run, data):
    p, table = run
    ids = _area_ids(p)
    rows = [r for r in _rows(data / "kk/kk_tryghed_2026_bydele.csv", ";") if r["bydel_pdf"] != "Hele København"]
    assert len(rows) == 13
    k = {ids[r["bydel_pdf"]]: int(r["reports_n"]) for r in rows}
    # the exposure implied by the published count and rate: count / rate × 1000
    e = {ids[r["bydel_pdf"]]: int(r["reports_n"]) / float(r["crime_1000"]) * 1000 for r in rows}
    rest = changes.against_rest_table(p, table, 2026).set_index("area_id")
    assert len(rest) == 13 and (rest["comparison"] == "rest_of_level").all()
    want = {}
    for a in k:
        k_rest, e_rest = sum(k.values()) - k[a], sum(e.values()) - e[a]
        want[a] = sps.binomtest(k[a], k[a] + k_rest, e[a] / (e[a] + e_rest)).pvalue
        assert rest.loc[a, "change"] == pytest.approx((k[a] / e[a]) / (k_rest / e_rest), rel=1e-12)
    order = list(rest.index)
    np.testing.assert_allclose(rest["p_exact"].astype(float), [want[a] for a in order], rtol=1e-9, atol=1e-300)
    q = sps.false_discovery_control([want[a] for a in order], method="bh")
    np.testing.assert_allclose(rest["q_exact"].astype(float), q, rtol=1e-9, atol=1e-300)
    assert rest["method"].str.contains("implied by the published count and rate").all()


def test_2025_to_2026_offences_described_not_tested_and_shares_tested_with_the_flag(run):
    p, table = run
    ch = changes.change_table(p, table, 2026)
    off = ch[(ch["indicator_id"] == "reported_offences") & (ch["comparison"] == "previous_year")]
    assert len(off) == 14 and (off["verdict"] == "not_tested").all() and off["p_exact"].isna().all()
    assert off["family"].eq("").all()
    safe = ch[(ch["indicator_id"] == "safe_neighbourhood") & (ch["comparison"] == "previous_year")
              & (ch["area_id"] == "kbh")].iloc[0]
    # 86 % vs 88 % on n = 3,600 each (assumed): the unpooled z-test, by hand
    se = np.sqrt(0.86 * 0.14 / 3600 + 0.88 * 0.12 / 3600)
    assert safe["p_exact"] == pytest.approx(2 * sps.norm.sf(0.02 / se), rel=1e-9)
    assert "n assumed" in safe["method"]


def test_statbank_beside_the_published_figure_for_complete_years(run):
    p, table = run
    dst = table[(table["indicator_id"] == "citizen_crime_dst") & (table["level"] == "city")]
    # STRAF11 by offence type ends in 2019Q3: its complete years with FOLK1A are 2008–2018 (2009 and 2018 beside the
    # published figures); the definitions differ, which the offence group's note says
    assert sorted(dst["period"]) == list(range(2008, 2019))
    assert "definitions differ" in p.offence_groups["citizen_directed"].comparability["en"]
