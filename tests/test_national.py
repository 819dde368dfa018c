"""tryghed.national: funnel limits recomputed by hand, positions, and one most similar group recomputed with numpy.

Expected values come from closed forms (the Poisson cdf summed with math.exp, the chi-square/Poisson identity), from
scipy called directly, and from the shared socio-economic file read with the csv module.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from realdata import need
from tryghed import national
from tryghed.errors import ConfigError, InputError
from tryghed.paths import PIPELINES, ROOT

SOCIO = "dst/municipality_socio_economic_2008-2023.csv"


# ------------------------------------------------------------------------------------------------ funnel limits
def poisson_cdf(y: int, theta: float) -> float:
    """P(Y ≤ y) for Y ~ Poisson(theta), summed term by term (closed form)."""
    if y < 0:
        return 0.0
    term, total = math.exp(-theta), 0.0
    for k in range(y + 1):
        if k:
            term *= theta / k
        total += term
    return total


def limit_by_hand(p: float, theta: float) -> float:
    """Spiegelhalter (2005) appendix A.1.2: y_p the smallest y with F(y) ≥ p; α = (F(y_p) − p)/(F(y_p) − F(y_p−1));
    the count limit is y_p − α. F is the chi-square form P(Y ≤ y) = P(χ²_{2(y+1)} > 2θ), independent of ppf."""
    def cdf(y):
        return sps.chi2.sf(2 * theta, 2 * (y + 1))

    # F is increasing in y: bisect for the smallest y with F(y) ≥ p (a scan from 0 takes 30,000 steps at θ = 30,000)
    lo, hi = -1, 1
    while cdf(hi) < p:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:            # invariant: F(lo) < p ≤ F(hi), F(-1) = 0
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if cdf(mid) < p else (lo, mid)
    y = hi
    f_y = sps.chi2.sf(2 * theta, 2 * (y + 1))
    f_below = sps.chi2.sf(2 * theta, 2 * y) if y > 0 else 0.0
    return max(y - (f_y - p) / (f_y - f_below), 0.0)


def test_small_expected_count_matches_the_closed_form():
    # target 2 per 1,000 at 1,000 residents: θ = 2. Upper 95 %: F(4) = 0.947347 < 0.975 ≤ F(5) = 0.983436, so
    # y = 5 and α = (0.983436 − 0.975)/(0.983436 − 0.947347); the lower limit interpolates below 0 and is 0.
    f4, f5 = poisson_cdf(4, 2.0), poisson_cdf(5, 2.0)
    assert f4 == pytest.approx(0.947347, abs=1e-6) and f5 == pytest.approx(0.983436, abs=1e-6)
    upper = 5 - (f5 - 0.975) / (f5 - f4)
    lim = national.funnel_limits(target_rate=2.0, exposure=[1000.0], coverage=(0.95, 0.998))
    assert lim.upper[0, 0] == pytest.approx(upper, rel=1e-9)  # per 1,000 at 1,000 residents: count = rate
    assert lim.lower[0, 0] == 0.0
    # 99.8 %: upper tail 0.999, F(7) = 0.998903 < 0.999 ≤ F(8) = 0.999763
    f7, f8 = poisson_cdf(7, 2.0), poisson_cdf(8, 2.0)
    assert lim.upper[1, 0] == pytest.approx(8 - (f8 - 0.999) / (f8 - f7), rel=1e-9)


@pytest.mark.parametrize("exposure", [1_800.0, 22_988.0, 61_000.0, 613_288.0])
def test_exact_limits_recomputed_by_hand_at_several_exposures(exposure):
    target = 48.606775  # citizen-directed crime per 1,000 in Denmark, 2018
    lim = national.funnel_limits(target_rate=target, exposure=[exposure], coverage=(0.95, 0.998))
    theta = target * exposure / 1000
    for row, cov in enumerate((0.95, 0.998)):
        tail = (1 - cov) / 2
        assert lim.lower[row, 0] == pytest.approx(limit_by_hand(tail, theta) / exposure * 1000, rel=1e-7)
        assert lim.upper[row, 0] == pytest.approx(limit_by_hand(1 - tail, theta) / exposure * 1000, rel=1e-7)


def test_exact_limits_approach_the_normal_ones_at_large_exposure():
    target, e = 4.9, 2_000_000.0
    exact = national.funnel_limits(target_rate=target, exposure=[e])
    half = sps.norm.ppf(0.999) * math.sqrt(target * 1000 / e)
    assert exact.upper[1, 0] == pytest.approx(target + half, rel=2e-3)
    normal = national.funnel_limits(target_rate=target, exposure=[e], method="normal")
    assert normal.upper[1, 0] == pytest.approx(target + half, rel=1e-12)
    assert normal.lower[0, 0] == pytest.approx(target - sps.norm.ppf(0.975) * math.sqrt(target * 1000 / e))


def test_overdispersion_multiplies_the_distance_from_the_target_by_sqrt_phi():
    target, e = 9.4, [5_000.0, 50_000.0]
    plain = national.funnel_limits(target_rate=target, exposure=e)
    wide = national.funnel_limits(target_rate=target, exposure=e, dispersion=4.0)
    np.testing.assert_allclose(wide.upper - target, 2 * (plain.upper - target), rtol=1e-12)
    # a widened lower limit below 0 is 0
    np.testing.assert_allclose(wide.lower, np.maximum(target - 2 * (target - plain.lower), 0), rtol=1e-12)
    assert "φ̂ = 4.00" in wide.method
    # φ̂ ≤ 1 leaves the limits as they are
    under = national.funnel_limits(target_rate=target, exposure=e, dispersion=0.7)
    np.testing.assert_array_equal(under.upper, plain.upper)


@pytest.mark.parametrize("bad", [dict(target_rate=-1.0), dict(exposure=[0.0]), dict(coverage=(0.95, 1.0)),
                                 dict(dispersion=float("nan")), dict(method="wilson")])
def test_bad_arguments_raise(bad):
    args = dict(target_rate=5.0, exposure=[1000.0], coverage=(0.95, 0.998), dispersion=1.0, method="exact_poisson")
    with pytest.raises(ValueError):
        national.funnel_limits(**{**args, **bad})


@pytest.mark.parametrize("estimate,expected", [(10.0, "within"), (12.0, "within"), (12.5, "above_inner"),
                                               (15.1, "above_outer"), (7.5, "below_inner"), (4.0, "below_outer"),
                                               (float("nan"), "no_data")])
def test_positions(estimate, expected):
    assert national.funnel_position(estimate=estimate, inner=(8.0, 12.0), outer=(5.0, 15.0)) == expected


def test_positions_in_words():
    cov = (0.95, 0.998)
    assert national.position_words("above_outer", cov, "en") == "above the 99.8 % limit"
    assert national.position_words("above_outer", cov, "da") == "over 99,8 %-grænsen"
    assert national.position_words("below_inner", cov, "da") == "under 95 %-grænsen (inden for 99,8 %)"
    assert national.position_words("within", cov, "en") == "within the limits"
    assert national.position_words("no_data", cov, "da") == "ingen data"


# ------------------------------------------------------------------------------------------------ similar groups
def test_most_similar_on_a_line():
    z = pd.DataFrame({"x": [0.0, 1.0, 3.0, 10.0]}, index=["101", "147", "151", "153"])
    got = national.most_similar(z=z, k=2)
    assert got[got["code"] == "101"]["neighbour_code"].tolist() == ["147", "151"]
    assert got[got["code"] == "153"]["neighbour_code"].tolist() == ["151", "147"]
    assert got[got["code"] == "153"]["distance"].tolist() == [7.0, 9.0]
    assert got[got["code"] == "147"]["neighbour_code"].tolist() == ["101", "151"]
    # ties are broken by code: 147 is 1 from both 151 and 101
    tie = national.most_similar(z=pd.DataFrame({"x": [2.0, 1.0, 0.0]}, index=["151", "147", "101"]), k=1)
    assert tie[tie["code"] == "147"]["neighbour_code"].tolist() == ["101"]


def test_spec_loads_and_rejects_bad_limits(tmp_path):
    spec = national.load_spec(PIPELINES / "shared" / "national.yml")
    assert spec.similar.k == 7 and spec.funnel.limits == (0.95, 0.998)
    assert [v.column for v in spec.similar.variables] == ["total_population", "avg_income", "gini_coefficient",
                                                          "unemployment_rate", "share_of_higher_educated"]
    bad = tmp_path / "national.yml"
    bad.write_text("similar: {file: x.csv, variables: [{column: a, name: a}, {column: b, name: b}]}\n"
                   "funnel: {limits: [0.998, 0.95]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="funnel"):
        national.load_spec(bad)


def test_one_similar_group_recomputed_by_hand(shared_data):
    path = need(shared_data, SOCIO) / SOCIO
    spec = national.load_spec(PIPELINES / "shared" / "national.yml").similar
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["year"] == "2018"]
    assert len(rows) == 98
    names = [r["municipality"] for r in rows]
    x = np.array([[math.log(float(r["total_population"])), float(r["avg_income"]), float(r["gini_coefficient"]),
                   float(r["unemployment_rate"]), float(r["share_of_higher_educated"])] for r in rows])
    z = (x - x.mean(axis=0)) / x.std(axis=0)
    i = names.index("Ishøj")
    d = np.sqrt(((z - z[i]) ** 2).sum(axis=1))
    d[i] = np.inf
    nearest = [names[j] for j in np.argsort(d)[:7]]
    got = national.similar_groups(raw_dir=path.parents[1], spec=spec, year=2018)
    with (ROOT / "tryghed" / "resources" / "dst_areas.csv").open(encoding="utf-8") as fh:
        code_of = {r["name_da"]: r["code"] for r in csv.DictReader(line for line in fh if not line.startswith("#"))}
    mine = got.groups[got.groups["code"] == code_of["Ishøj"]]
    assert mine["neighbour_code"].tolist() == [code_of[n] for n in nearest]
    np.testing.assert_allclose(mine["distance"], np.sort(d)[:7], rtol=1e-12)
    assert mine["rank"].tolist() == list(range(1, 8))


def test_socio_file_errors_name_the_row(tmp_path):
    spec = national.load_spec(PIPELINES / "shared" / "national.yml").similar
    f = tmp_path / SOCIO
    f.parent.mkdir(parents=True)
    header = "municipality,year,total_population,avg_income,gini_coefficient,unemployment_rate," \
             "share_of_higher_educated\n"
    f.write_text(header + "Ishøj,2018,22996,166960,25.3,6.4,69.9\nAtlantis,2018,1,1,1,1,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3.*Atlantis|Atlantis.*row 3"):
        national.read_socio(f, spec, 2018)
    f.write_text(header + "Ishøj,2018,22996,,25.3,6.4,69.9\n", encoding="utf-8")
    with pytest.raises(InputError, match="avg_income"):
        national.read_socio(f, spec, 2018)
    with pytest.raises(InputError, match="no row for 2017"):
        national.read_socio(f, spec, 2017)
    # no file in the raw folder: no groups, and the method says so (missing is never an empty group in disguise)
    none = national.similar_groups(raw_dir=tmp_path / "elsewhere", spec=spec, year=2018)
    assert none.groups.empty and "not built" in none.method
