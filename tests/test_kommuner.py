"""pipelines/kommuner.yml: every municipality, one offence-group definition shared with ishoej.yml, and Ishøj's
numbers in the national run equal to those of the ishoej pipeline (both run in-process on the shared real files).

The STRAF11 and FOLK1A figures are checked against the files read with the csv module and openpyxl in
tests/test_ishoej.py; here the two pipelines are checked against each other and against those hand counts.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from tryghed import changes, clean, config, indicators, national, sources
from tryghed.paths import PIPELINES, ROOT

STRAF11 = "dst/straf11_offences_by_type_municipality_2007Q1-2019Q3.csv"
FOLK1A = "dst/folk1a_population_municipality_2008Q1-2022Q4.xlsx"
SOCIO = "dst/municipality_socio_economic_2008-2023.csv"
YEAR = 2018


def shared_data(*names: str) -> Path:
    """The shared real-data folder holding ``names``: ``ROOT.parent/shared/data`` (as tests/conftest.py), else
    ``/work/shared/data``; fail when CI=true and a file is absent, skip otherwise."""
    for folder in (ROOT.parent / "shared" / "data", Path("/work/shared/data")):
        if all((folder / n).is_file() for n in names):
            return folder
    message = f"shared data files missing: {', '.join(names)} (looked in {ROOT.parent / 'shared' / 'data'} and " \
              "/work/shared/data)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_kommuner_has_every_municipality_under_the_whole_country():
    p = config.load_pipeline("kommuner")
    assert p.city.code == "000"
    with (ROOT / "tryghed" / "resources" / "dst_areas.csv").open(encoding="utf-8") as fh:
        rows = [line.split(",") for line in fh if not line.startswith("#")][1:]
    municipalities = {r[0] for r in rows if r[1] == "municipality"}
    assert len(municipalities) == 98
    assert {a.code for a in p.areas_at("municipality")} == municipalities
    assert p.areas_at("country") == []  # the country is the root, not a peer


def test_offence_groups_are_one_definition_shared_by_both_pipelines():
    shared = yaml.safe_load((PIPELINES / "shared" / "offence_groups.yml").read_text(encoding="utf-8"))
    assert set(shared) == {"citizen_directed", "violence", "burglary", "drugs"}
    for name in ("ishoej", "kommuner"):
        raw = yaml.safe_load((PIPELINES / f"{name}.yml").read_text(encoding="utf-8"))
        assert raw["offence_groups"] == "shared/offence_groups.yml"
        groups = config.load_pipeline(name).offence_groups
        assert {k: [str(c) for c in g["codes"]] for k, g in shared.items()} == \
            {k: list(g.codes) for k, g in groups.items()}
    # the shared folder is not a pipeline
    assert "kommuner" in config.available() and not any("/" in n or n == "offence_groups"
                                                         for n in config.available())


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory):
    """The ishoej and kommuner pipelines' indicator, change and trend tables for 2018 on the shared files."""
    raw = shared_data(STRAF11, FOLK1A, SOCIO)
    out = {}
    for name in ("ishoej", "kommuner"):
        p = config.load_pipeline(name)
        d = tmp_path_factory.mktemp(name)
        sources.ingest(p, raw, d / "staged")
        clean.clean_all(p, d / "staged", d / "clean")
        table = indicators.compute_all(p, d / "clean")
        out[name] = (p, table, changes.change_table(p, table, YEAR), changes.trend_table(p, table, YEAR))
    return raw, out


def _row(df: pd.DataFrame, **keys) -> pd.Series:
    sel = np.ones(len(df), dtype=bool)
    for k, v in keys.items():
        sel &= (df[k] == v).to_numpy()
    assert sel.sum() == 1, keys
    return df[sel].iloc[0]


@pytest.mark.slow
def test_ishoej_numbers_agree_between_the_pipelines(both_runs):
    _, out = both_runs
    (_, ti, ci, tri), (_, tk, ck, trk) = out["ishoej"], out["kommuner"]
    for ind in ("citizen_crime", "violence", "burglary", "drugs"):
        mine = _row(tk, indicator_id=ind, area_id="ishoej", period=YEAR)
        theirs = _row(ti, indicator_id=ind, area_id="ishoej", period=YEAR)
        assert mine["numerator"] == theirs["numerator"] and mine["denominator"] == theirs["denominator"]
        assert mine["estimate"] == pytest.approx(theirs["estimate"], rel=1e-12)
        # the exact conditional test does not depend on the family (φ̂ differs: 98 municipalities vs Ishøj alone)
        a = _row(ck, indicator_id=ind, area_id="ishoej", comparison="previous_year")
        b = _row(ci, indicator_id=ind, area_id="ishoej", comparison="previous_year")
        assert a["change"] == pytest.approx(b["change"], rel=1e-12)
        assert a["p_exact"] == pytest.approx(b["p_exact"], rel=1e-9)
        # the trend is one area's Poisson GLM: the same in both
        assert _row(trk, indicator_id=ind, area_id="ishoej")["slope"] == pytest.approx(
            _row(tri, indicator_id=ind, area_id="ishoej")["slope"], rel=1e-9)
        # the national rate (the kommuner root) equals the ishoej pipeline's whole country
        assert _row(tk, indicator_id=ind, area_id="hele-landet", period=YEAR)["estimate"] == pytest.approx(
            _row(ti, indicator_id=ind, area_id="hele-landet", period=YEAR)["estimate"], rel=1e-12)
    # the hand count of tests/test_ishoej.py: 1,213 citizen-directed offences in Ishøj in 2018 over 22,988 residents
    r = _row(tk, indicator_id="citizen_crime", area_id="ishoej", period=YEAR)
    assert (r["numerator"], r["denominator"]) == (1213.0, 22988.0)


@pytest.mark.slow
def test_ishoej_page_shows_the_ishoej_pipelines_numbers(both_runs, tmp_path):
    raw, out = both_runs
    (_, ti, _, _), (pk, tk, ck, trk) = out["ishoej"], out["kommuner"]
    spec = national.load_spec(PIPELINES / "shared" / "national.yml")
    funnel = national.funnel_table(pk, tk, YEAR, spec.funnel)
    assert len(funnel) == 4 * 98 and not funnel["position"].isna().any()
    similar = national.similar_groups(raw_dir=raw, spec=spec.similar, year=YEAR)
    national.write_pages(pk, table=tk, changes=ck, trends=trk, funnel=funnel, similar=similar, spec=spec, year=YEAR,
                         lang="en", report_dir=tmp_path)
    page = (tmp_path / "kommuner" / "ishoej.html").read_text(encoding="utf-8")
    for ind in ("citizen_crime", "violence", "burglary", "drugs"):
        theirs = _row(ti, indicator_id=ind, area_id="ishoej", period=YEAR)
        assert f">{theirs['estimate']:.1f}<" in page
        f = _row(funnel, indicator_id=ind, area_id="ishoej")
        assert f["numerator"] == theirs["numerator"]
        assert national.position_words(f["position"], spec.funnel.limits, "en") in page
    assert len(list((tmp_path / "kommuner").glob("*.html"))) == 98
    assert "Brøndby" in page  # Ishøj's nearest municipality on the 2018 variables (test_national recomputes it)


@pytest.mark.slow
def test_ishoej_funnel_limits_recomputed_with_the_family_phi_by_hand(both_runs):
    import statsmodels.api as sm
    from scipy import stats as sps

    _, out = both_runs
    p, t, ch, _ = out["kommuner"]
    funnel = national.funnel_table(p, t, YEAR)
    sub = t[(t["indicator_id"] == "violence") & (t["level"] == "municipality") & (t["period"] <= YEAR)]
    areas, periods = sorted(sub["area_id"].unique()), sorted(sub["period"].unique())
    assert (len(areas), len(periods)) == (98, 11)
    X = np.column_stack([np.ones(len(sub))] + [(sub["area_id"] == a).to_numpy(float) for a in areas[1:]]
                        + [(sub["period"] == y).to_numpy(float) for y in periods[1:]])
    fit = sm.GLM(sub["numerator"].to_numpy(float), X, family=sm.families.Poisson(),
                 offset=np.log(sub["denominator"].to_numpy(float))).fit()
    phi = fit.pearson_chi2 / fit.df_resid
    assert phi > 1
    row = funnel[(funnel["indicator_id"] == "violence") & (funnel["area_id"] == "ishoej")].iloc[0]
    assert row["dispersion"] == pytest.approx(phi, rel=1e-6)
    # the same φ̂ as the year-on-year tests of the family
    fam = ch[(ch["indicator_id"] == "violence") & (ch["level"] == "municipality")]
    assert fam["dispersion"].dropna().unique() == pytest.approx([phi], rel=1e-6)
    target = float(t[(t["indicator_id"] == "violence") & (t["area_id"] == "hele-landet")
                     & (t["period"] == YEAR)]["estimate"].iloc[0])
    e = row["denominator"]
    theta = target * e / 1000
    for q, col in ((0.999, "outer_high"), (0.975, "inner_high"), (0.025, "inner_low"), (0.001, "outer_low")):
        y = sps.poisson.ppf(q, theta)
        f_y, f_below = sps.poisson.cdf(y, theta), sps.poisson.cdf(y - 1, theta)
        exact = (y - (f_y - q) / (f_y - f_below)) / e * 1000
        assert row[col] == pytest.approx(max(target + np.sqrt(phi) * (exact - target), 0.0), rel=1e-9)
