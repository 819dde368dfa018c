"""Multiple-testing families: one indicator × one level × one comparison; the root and untested rows stay out.

Expected values come from scipy (binomtest, false_discovery_control) on counts written here.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tryghed import changes, config, indicators

YAML = """
id: fam
name: Families
owner: Test
baseline_year: 2016
default_year: 2018
demo_raw: data/raw/demo
notebooks: [01_ingest]
areas:
  - {id: root, level: city, code: "101", name: København}
  - {id: a, level: district, parent: root, code: "147", name: Frederiksberg}
  - {id: b, level: district, parent: root, code: "151", name: Ballerup}
  - {id: c, level: district, parent: root, code: "153", name: Brøndby}
  - {id: d, level: district, parent: root, code: "155", name: Dragør}
  - {id: unknown, level: district, parent: root, code: "998", name: Unknown}
sources:
  offences: {format: statbank, table: STRAF11, file: x.csv}
  pop: {format: statbank, table: FOLK1A, file: y.csv}
offence_groups:
  violence: {name: Vold, codes: [12], definition: "vold (12)"}
  burglary: {name: Indbrud, codes: [1320], definition: "indbrud (1320)"}
indicators:
  - {id: violence, kind: rate, source: offences, population: pop, offence_group: violence, unit: per_1000,
     direction: decrease, levels: [city, district], name: Vold}
  - {id: burglary, kind: rate, source: offences, population: pop, offence_group: burglary, unit: per_1000,
     direction: decrease, levels: [city, district], name: Indbrud}
"""

# (indicator, area) -> counts in 2017, 2018 at equal exposure 10,000 each year
COUNTS = {
    ("violence", "a"): (120, 80), ("violence", "b"): (50, 61), ("violence", "c"): (0, 0),
    ("violence", "d"): (30, 18), ("violence", "unknown"): (40, 70),
    ("burglary", "a"): (200, 230), ("burglary", "b"): (90, 60), ("burglary", "c"): (15, 16),
    ("burglary", "d"): (44, 41), ("burglary", "unknown"): (10, 25),
}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    path = tmp_path_factory.mktemp("fam") / "fam.yml"
    path.write_text(YAML, encoding="utf-8")
    return config.load_pipeline(path)


def _table():
    rows = []
    for ind in ("violence", "burglary"):
        for year in (2017, 2018):
            total = 0
            for area in ("a", "b", "c", "d", "unknown"):
                y = COUNTS[(ind, area)][year - 2017]
                total += y
                rows.append(dict(indicator_id=ind, area_id=area, level="district", period=year, numerator=y))
            rows.append(dict(indicator_id=ind, area_id="root", level="city", period=year, numerator=total))
    t = pd.DataFrame(rows)
    t["denominator"] = np.where(t["level"] == "city", 50_000.0, 10_000.0)
    t["estimate"] = 1000 * t["numerator"] / t["denominator"]
    for col in ("ci_low", "ci_high", "n_unweighted", "n_effective"):
        t[col] = np.nan
    t = t.assign(pipeline="fam", unit="per_1000", source="offences", suppressed=False, flags="", method="")
    return t[indicators.COLUMNS]


def test_district_family_is_one_indicator_one_level_one_comparison(pipeline, monkeypatch):
    # no overdispersion adjustment here: the family φ̂ is checked elsewhere; this test is about the families
    from tryghed import stats

    monkeypatch.setattr(stats, "family_dispersion", lambda **kw: stats.Dispersion(
        1.0, np.nan, 0, 0, 0, False, "none", "test"))
    ch = changes.change_table(pipeline, _table(), 2018)
    yoy = ch[ch["comparison"] == "previous_year"].set_index(["indicator_id", "area_id"])
    for ind in ("violence", "burglary"):
        fam = yoy.loc[ind]
        tested = fam[(fam["level"] == "district") & (fam["family"] != "")]
        # the root is not in the district family, 0 vs 0 is not tested, and 'Unknown' is an area like any other
        assert set(tested.index) == ({"a", "b", "d", "unknown"} if ind == "violence" else {"a", "b", "c", "d",
                                                                                          "unknown"})
        assert tested["family"].nunique() == 1 and tested["family"].iloc[0] == f"{ind}:district:previous_year"
        p = [sps.binomtest(COUNTS[(ind, a)][1], sum(COUNTS[(ind, a)]), 0.5).pvalue for a in tested.index]
        assert tested["p_exact"].to_numpy() == pytest.approx(p, rel=1e-9)
        q = sps.false_discovery_control(p, method="bh")
        assert tested["q_exact"].to_numpy() == pytest.approx(q, rel=1e-9)
        assert (tested["verdict"] == np.where(q < 0.05, np.where(
            tested["change"] < 1, "significant_decrease", "significant_increase"), "no_significant_change")).all()
    none = yoy.loc[("violence", "c")]
    assert none["family"] == "" and np.isnan(none["pvalue"]) and none["verdict"] == "not_tested"
    root = yoy.loc[("violence", "root")]
    assert root["family"] == "violence:city:previous_year"


def test_overdispersed_family_adjusts_p_and_never_below_the_exact_p(pipeline):
    """φ̂ from y ~ C(area) + C(year) with the log-exposure offset (statsmodels, fitted here); adjusted p per §2.2."""
    import statsmodels.api as sm
    import statsmodels.formula.api as smf
    from statsmodels.stats.rates import test_poisson_2indep

    rng = np.random.default_rng(7)
    rows = []
    for year in range(2012, 2019):
        for area in ("a", "b", "c", "d", "unknown"):
            mu = {"a": 900, "b": 400, "c": 250, "d": 600, "unknown": 120}[area]
            y = int(rng.negative_binomial(n=mu / 3, p=1 / 4))  # mean mu, variance 4 mu: φ = 4
            rows.append(dict(indicator_id="violence", area_id=area, level="district", period=year, numerator=y))
    t = pd.DataFrame(rows).assign(denominator=10_000.0)
    t["estimate"] = 1000 * t["numerator"] / t["denominator"]
    for col in ("ci_low", "ci_high", "n_unweighted", "n_effective"):
        t[col] = np.nan
    t = t.assign(pipeline="fam", unit="per_1000", source="offences", suppressed=False, flags="", method="")
    t = t[indicators.COLUMNS]
    fit = smf.glm("numerator ~ C(area_id) + C(period)", t, family=sm.families.Poisson(),
                  offset=np.log(t["denominator"])).fit()
    phi = fit.pearson_chi2 / fit.df_resid
    assert phi > 1.5
    ch = changes.change_table(pipeline, t, 2018)
    yoy = ch[ch["comparison"] == "previous_year"].set_index("area_id")
    assert yoy["dispersion"].to_numpy() == pytest.approx(np.full(5, phi), rel=1e-6)
    for area, r in yoy.iterrows():
        y = t.set_index(["area_id", "period"])["numerator"]
        score = test_poisson_2indep(y[(area, 2018)], 1.0, y[(area, 2017)], 1.0, method="score").statistic
        exact = sps.binomtest(int(y[(area, 2018)]), int(y[(area, 2018)] + y[(area, 2017)]), 0.5).pvalue
        assert r["p_exact"] == pytest.approx(exact, rel=1e-9)
        assert r["p_adjusted"] == pytest.approx(max(exact, 2 * sps.norm.sf(abs(score) / np.sqrt(phi))), rel=1e-6)
        assert r["pvalue"] == r["p_adjusted"] >= r["p_exact"]
    q = sps.false_discovery_control(yoy["p_adjusted"].to_numpy(), method="bh")
    assert yoy["qvalue"].to_numpy() == pytest.approx(q, rel=1e-9)
