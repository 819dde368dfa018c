"""Ishøj by half-year from the quarterly STRAF11 (``period: half_year`` / ``tryghed run ishoej --period half_year``):
complete half-years only, each against the same half-year a year earlier (exact conditional test) and its trend.

Expected numbers come from the shared raw files read cell by cell (csv module, openpyxl), ``scipy.stats.binomtest``
and a Poisson GLM fitted with statsmodels directly; never from the package's own output. Without the shared folder
the real-data tests skip naming the missing file (``TRYGHED_SHARED_DATA`` points at another copy); in CI they fail.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.stats import binomtest

from realdata import CITIZEN_LABELS, FOLK1A, STRAF11, need, offences_by_hand, xlsx_cell
from tryghed import cli, clean, config, periods, sources
from tryghed.errors import ConfigError
from tryghed.run import run_pipeline


# ------------------------------------------------------------------------------------------------ small inputs
def quarterly(values: dict[str, float | None], codes=("12",), area="a") -> pd.DataFrame:
    """A tidy quarterly table: one row per code and quarter label, ``None`` = missing (``..``)."""
    rows = []
    for code in codes:
        for label, v in values.items():
            rows.append(dict(area_id=area, offence_code=code, period=label, year=int(label[:4]),
                             quarter=int(label[-1]), value=np.nan if v is None else float(v), missing=v is None))
    return pd.DataFrame(rows)


def test_half_years_are_two_quarters_and_only_complete_ones():
    df = quarterly({"2018Q1": 3, "2018Q2": 4, "2018Q3": 5, "2018Q4": None, "2019Q1": 7})
    counts, dropped = periods.half_year_counts(df, ["12"])
    assert counts.to_dict() == {("a", "2018H1"): 7.0}          # 3 + 4; H2 has a missing quarter: no count, no 0
    assert dropped["note"].tolist() == ["2019H1 has only 1 of 2 quarters: left out"]
    two = quarterly({"2018Q1": 3, "2018Q2": 4}, codes=("12", "1320"))
    two.loc[(two["offence_code"] == "1320") & (two["period"] == "2018Q2"), ["value", "missing"]] = [np.nan, True]
    assert periods.half_year_counts(two, ["12", "1320"])[0].empty  # a group with a missing part is not counted


def test_period_option_and_yaml_key():
    args = cli.build_parser().parse_args(["run", "ishoej", "--period", "half_year"])
    assert args.period == "half_year"
    assert config.load_pipeline("ishoej").period == "year"     # the default stays yearly
    with pytest.raises(ConfigError, match="--period is 'quarter'"):
        run_pipeline("ishoej", 2018, period="quarter")
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["run", "ishoej", "--period", "month"])


# --------------------------------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def data(shared_data):
    return need(shared_data, STRAF11, FOLK1A)


def half_by_hand(path: Path, area: str, year: int, half: int) -> int:
    """Citizen-directed crime in one half-year: the two quarter cells of each offence type, added up (csv module)."""
    return offences_by_hand(path, area, CITIZEN_LABELS, year, quarters=(1, 2) if half == 1 else (3, 4))


@pytest.fixture(scope="module")
def half(data, tmp_path_factory):
    work = tmp_path_factory.mktemp("halfyear")
    p = config.load_pipeline("ishoej")
    sources.ingest(p, data, work / "staged")
    clean.clean_all(p, work / "staged", work / "clean")
    return p, periods.half_year_report(p, work / "clean", 2018), work


def test_one_half_year_count_and_its_exact_test_by_hand(half, data):
    p, h, _ = half
    n18 = half_by_hand(data / STRAF11, "Ishøj", 2018, 2)       # 2018Q3 + 2018Q4 of the 13 offence types
    n17 = half_by_hand(data / STRAF11, "Ishøj", 2017, 2)
    e18 = xlsx_cell(data / FOLK1A, "Ishøj", "2018Q3")  # residents on 1 July
    e17 = xlsx_cell(data / FOLK1A, "Ishøj", "2017Q3")
    r = h.rates.set_index(["indicator_id", "area_id", "period"])
    assert r.loc[("citizen_crime", "ishoej", "2018H2"), "numerator"] == n18
    assert r.loc[("citizen_crime", "ishoej", "2018H2"), "denominator"] == e18
    assert r.loc[("citizen_crime", "ishoej", "2018H2"), "estimate"] == pytest.approx(1000 * n18 / e18, rel=1e-12)
    c = h.changes.set_index(["indicator_id", "area_id", "period"]).loc[("citizen_crime", "ishoej", "2018H2")]
    assert c["ref_period"] == "2017H2" and c["comparison"] == "previous_year"
    assert c["change"] == pytest.approx((n18 / e18) / (n17 / e17), rel=1e-12)
    want = binomtest(n18, n17 + n18, e18 / (e17 + e18)).pvalue
    assert c["p_exact"] == pytest.approx(want, rel=1e-9)
    assert c["p_adjusted"] >= c["p_exact"]


def test_only_complete_half_years_and_both_halves_of_the_year_tested(half):
    p, h, _ = half
    # STRAF11 by offence type ends with 2019Q3: 2019H1 is complete, 2019H2 is not and is said to be left out
    assert h.dropped == ("2019H2 has only 1 of 2 quarters: left out",)
    assert "2019H2" not in set(h.rates["period"]) and "2019H1" in set(h.rates["period"])
    assert sorted(set(h.changes["period"])) == ["2018H1", "2018H2"]
    # families as the yearly report's: per indicator × level, and per half-year
    fam = h.changes[h.changes["indicator_id"] == "violence"].groupby(["period", "level"])["family"].unique()
    assert all(len(f) == 1 for f in fam)
    assert {f[0] for f in fam} == {f"violence:{lv}:previous_year:{hy}" for hy in ("2018H1", "2018H2")
                                   for lv in ("city", "municipality", "country")}


def test_trend_over_the_same_half_year_equals_a_direct_glm(half, data):
    p, h, _ = half
    years = list(range(2008, 2019))
    y = np.array([half_by_hand(data / STRAF11, "Ishøj", yr, 2) for yr in years], dtype=float)
    e = np.array([xlsx_cell(data / FOLK1A, "Ishøj", f"{yr}Q3") for yr in years], dtype=float)
    fit = sm.GLM(y, sm.add_constant(np.array(years, dtype=float)), family=sm.families.Poisson(),
                 offset=np.log(e)).fit()
    t = h.trends.set_index(["indicator_id", "area_id", "period"]).loc[("citizen_crime", "ishoej", "2018H2")]
    assert (t["first_period"], t["last_period"], t["n_points"]) == ("2008H2", "2018H2", 11)
    assert t["slope"] == pytest.approx(np.exp(fit.params[1]), rel=1e-6)


def test_tables_written_in_the_danish_csv_convention(half, data):
    p, h, work = half
    paths = periods.write_half_year_tables(p, h, work / "report", "da")
    assert [q.name for q in paths] == [*periods.HALF_FILES, "half_years.md"]
    with open(work / "report" / "half_year_changes.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    [row] = [r for r in rows if (r["area_id"], r["indicator_id"], r["period"]) == ("ishoej", "citizen_crime",
                                                                                    "2018H2")]
    want = h.changes.set_index(["indicator_id", "area_id", "period"]).loc[("citizen_crime", "ishoej", "2018H2")]
    assert float(row["p_exact"].replace(",", ".")) == want["p_exact"]   # full precision, decimal comma
    assert "2019H2 har kun 1 af 2 kvartaler: udeladt" in (work / "report" / "half_years.md").read_text("utf-8")


def test_the_index_page_section_says_each_half_year_by_hand(half, data):
    """The page's half-year section (report.half_year_section): each complete half-year of the year with the rate,
    the same half-year a year earlier and the rate ratio between them, in each language's own words and numbers."""
    from tryghed import report

    p, h, _ = half
    n18, n17 = (half_by_hand(data / STRAF11, "Ishøj", y, 2) for y in (2018, 2017))
    e18, e17 = (xlsx_cell(data / FOLK1A, "Ishøj", f"{y}Q3") for y in (2018, 2017))
    da = report.half_year_section(p, h, 2018, "da")
    assert sorted({r[0] for r in da["rows"]}) == ["1. halvår 2018", "2. halvår 2018"]
    name = p.indicator("citizen_crime").name["da"]
    [row] = [r for r in da["rows"] if r[:2] == ["2. halvår 2018", name]]
    assert row[2].startswith(f"{1000 * n18 / e18:.1f}".replace(".", ",") + "\u00a0pr. 1.000")
    assert row[3] == f"{1000 * n17 / e17:.1f}".replace(".", ",") + "\u00a0pr. 1.000 (2. halvår 2017)"
    assert f"rate-forhold {(n18 / e18) / (n17 / e17):.3f}".replace(".", ",") in row[4]
    assert len(da["columns"]) == len(row) and da["empty"] == ""
    en = report.half_year_section(p, h, 2018, "en")
    [row] = [r for r in en["rows"] if r[:2] == ["H2 2018", p.indicator("citizen_crime").name["en"]]]
    assert row[3].endswith("(H2 2017)") and f"rate ratio {(n18 / e18) / (n17 / e17):.3f}" in row[4]
    # 2019: only its first half is complete; a year without any complete half-year says so
    y19 = report.half_year_section(p, h, 2019, "da")
    assert {r[0] for r in y19["rows"]} == {"1. halvår 2019"}
    assert y19["left_out"] == ["2. halvår 2019 er ikke fuldstændigt i data og er udeladt."]
    assert da["left_out"] == []
    none = report.half_year_section(p, h, 2020, "da")
    assert none["rows"] == [] and none["empty"] == "2020 har intet fuldstændigt halvår i data."
    assert report.half_year_section(p, None, 2018, "da") is None
