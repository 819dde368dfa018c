"""Property tests (hypothesis, derandomised) for tryghed.stats: bad arguments raise a ValueError naming the argument,
and valid edge inputs never crash or give an interval that misses its own estimate."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tryghed import stats

FAST = settings(derandomize=True, max_examples=12, deadline=None)

NEGATIVE = st.floats(min_value=-1e6, max_value=-1e-6)
NOT_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD_COUNT = st.one_of(NEGATIVE, NOT_FINITE)
BAD_POSITIVE = st.one_of(NEGATIVE, NOT_FINITE, st.just(0.0))
BAD_SHARE = st.one_of(st.floats(min_value=1.000001, max_value=1e6), NEGATIVE, NOT_FINITE)
BAD_LEVEL = st.one_of(st.floats(min_value=1.0, max_value=10), st.floats(min_value=-10, max_value=0.0), NOT_FINITE)

YEARS = [2015, 2016, 2017, 2018, 2019, 2020]

#: valid keyword arguments of each public function
VALID = {
    "kish_effective_n": dict(weights=[1.0, 2.0, 0.5]),
    "share_confint": dict(share=0.2, n_effective=150.0, alpha=0.05),
    "share_se": dict(share=[0.2, 0.3], n_effective=[150.0, 120.0]),
    "weighted_share": dict(y=[1, 0, 1, 1], weights=[1.0, 2.0, 1.0, 0.5]),
    "person_share": dict(count=10, population=500),
    "rate_confint": dict(count=50, exposure=10000.0, per=1000.0, dispersion=1.0, alpha=0.05),
    "compare_shares": dict(share1=0.2, n_eff1=400.0, share2=0.25, n_eff2=380.0, alpha=0.05),
    "compare_rates": dict(count1=50, exposure1=1000.0, count2=60, exposure2=1000.0, dispersion=1.0, alpha=0.05),
    "family_dispersion": dict(areas=["a"] * 3 + ["b"] * 3, periods=[2018, 2019, 2020] * 2,
                              counts=[10, 12, 9, 30, 28, 35], exposure=[100.0] * 6),
    "assess_target": dict(base_value=17.5, base_year=2013, value=15.9, year=2015, target_value=13.0,
                          target_year=2017, direction="decrease"),
    "weighted_trend": dict(years=YEARS, values=[0.2, 0.19, 0.18, 0.18, 0.17, 0.16], se=[0.01] * 6, alpha=0.05),
    "compare_slope": dict(target_slope=-0.01, direction="decrease"),
    "adjust_pvalues": dict(pvalues=[0.01, 0.2, 0.04], method="fdr_bh"),
    "chi2_trend": dict(periods=YEARS, counts=[20, 19, 18, 18, 17, 16], totals=[100.0] * 6),
    "poisson_trend": dict(periods=YEARS, counts=[40, 42, 38, 35, 37, 30], exposure=[1000.0] * 6, alpha=0.05),
    "bootstrap_change": dict(values1=[3, 4, 5, 6, 7, 8], values2=[2, 4, 4, 6, 6, 9], n_boot=50, alpha=0.05),
    "project_to_target": dict(periods=YEARS, values=[20, 19, 18.5, 18, 17, 16.5], target_period=2025,
                              target_value=13.0, direction="decrease", se=[0.5] * 6, alpha=0.05),
    "detectable_change": dict(share=0.2, n_eff1=400.0, n_eff2=400.0, alpha=0.05, power=0.8),
    "verdict": dict(estimate=0.02, pvalue=0.03, alpha=0.05),
}

#: (function, argument, strategy of bad values); list arguments get the bad value at a drawn position
BAD = [
    ("kish_effective_n", "weights", BAD_COUNT),
    ("share_confint", "share", BAD_SHARE), ("share_confint", "n_effective", BAD_COUNT),
    ("share_confint", "alpha", BAD_LEVEL),
    ("share_se", "share", BAD_SHARE), ("share_se", "n_effective", BAD_POSITIVE),
    ("weighted_share", "weights", BAD_COUNT), ("weighted_share", "y", st.sampled_from([2.0, -1.0, 0.5, math.inf])),
    ("person_share", "count", BAD_COUNT), ("person_share", "population", BAD_COUNT),
    ("rate_confint", "count", BAD_COUNT), ("rate_confint", "exposure", BAD_COUNT),
    ("rate_confint", "per", BAD_POSITIVE), ("rate_confint", "dispersion", BAD_POSITIVE),
    ("rate_confint", "alpha", BAD_LEVEL),
    ("compare_shares", "share1", BAD_SHARE), ("compare_shares", "share2", BAD_SHARE),
    ("compare_shares", "n_eff1", BAD_COUNT), ("compare_shares", "n_eff2", BAD_COUNT),
    ("compare_shares", "alpha", BAD_LEVEL),
    ("compare_rates", "count1", BAD_COUNT), ("compare_rates", "count2", BAD_COUNT),
    ("compare_rates", "exposure1", BAD_POSITIVE), ("compare_rates", "exposure2", BAD_POSITIVE),
    ("compare_rates", "dispersion", BAD_POSITIVE), ("compare_rates", "alpha", BAD_LEVEL),
    ("family_dispersion", "counts", BAD_COUNT), ("family_dispersion", "exposure", BAD_POSITIVE),
    ("assess_target", "value", NOT_FINITE), ("assess_target", "target_value", NOT_FINITE),
    ("weighted_trend", "values", NOT_FINITE), ("weighted_trend", "se", BAD_POSITIVE),
    ("weighted_trend", "alpha", BAD_LEVEL),
    ("compare_slope", "target_slope", NOT_FINITE),
    ("adjust_pvalues", "pvalues", st.one_of(st.floats(min_value=1.000001, max_value=1e6), NEGATIVE,
                                            st.sampled_from([math.inf]))),
    ("chi2_trend", "counts", BAD_COUNT), ("chi2_trend", "totals", BAD_POSITIVE),
    ("poisson_trend", "counts", BAD_COUNT), ("poisson_trend", "exposure", BAD_POSITIVE),
    ("poisson_trend", "alpha", BAD_LEVEL),
    ("bootstrap_change", "values1", BAD_COUNT), ("bootstrap_change", "values2", BAD_COUNT),
    ("project_to_target", "values", NOT_FINITE), ("project_to_target", "se", BAD_COUNT),
    ("project_to_target", "alpha", BAD_LEVEL),
    ("detectable_change", "share", BAD_SHARE), ("detectable_change", "n_eff1", BAD_COUNT),
    ("detectable_change", "power", BAD_LEVEL), ("detectable_change", "alpha", BAD_LEVEL),
    ("verdict", "pvalue", st.one_of(st.floats(min_value=1.000001, max_value=1e6), NEGATIVE)),
    ("verdict", "alpha", BAD_LEVEL), ("verdict", "estimate", st.just(math.nan)),
]


def _call(name: str, **kwargs):
    if name == "compare_slope":
        kwargs["trend"] = stats.weighted_trend(years=YEARS, values=[0.2, 0.19, 0.18, 0.18, 0.17, 0.16],
                                               se=[0.01] * 6)
    return getattr(stats, name)(**kwargs)


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_arguments_are_accepted(name):
    _call(name, **VALID[name])


@pytest.mark.parametrize("name,arg,bad", BAD, ids=[f"{n}-{a}" for n, a, _ in BAD])
@FAST
@given(data=st.data())
def test_bad_argument_raises_value_error_naming_it(name, arg, bad, data):
    kwargs = dict(VALID[name])
    value = data.draw(bad)
    if isinstance(kwargs[arg], list):
        lst = list(kwargs[arg])
        lst[data.draw(st.integers(0, len(lst) - 1))] = value
        value = lst
    kwargs[arg] = value
    with pytest.raises(ValueError, match=arg):
        _call(name, **kwargs)


@pytest.mark.parametrize("name,arg", [("weighted_trend", "years"), ("chi2_trend", "periods"),
                                      ("poisson_trend", "periods"), ("project_to_target", "periods")])
@FAST
@given(i=st.integers(0, 5), j=st.integers(0, 5))
def test_duplicated_periods_raise(name, arg, i, j):
    if i == j:
        return
    periods = list(YEARS)
    periods[i] = periods[j]
    with pytest.raises(ValueError, match=arg):
        _call(name, **{**VALID[name], arg: periods})


def test_duplicated_area_period_pairs_raise():
    kw = dict(VALID["family_dispersion"])
    kw["periods"] = [2018, 2018, 2020, 2018, 2019, 2020]
    with pytest.raises(ValueError, match="periods"):
        stats.family_dispersion(**kw)


@pytest.mark.parametrize("name", ["assess_target", "compare_slope", "project_to_target"])
@FAST
@given(direction=st.text(max_size=12).filter(lambda s: s not in ("decrease", "increase")))
def test_unknown_direction_raises(name, direction):
    with pytest.raises(ValueError, match="direction"):
        _call(name, **{**VALID[name], "direction": direction})


def test_unknown_adjustment_method_raises():
    with pytest.raises(ValueError, match="method"):
        stats.adjust_pvalues(pvalues=[0.01], method="bonferonni")


# -------------------------------------------------------------------------------------- valid edges never mislead

@settings(derandomize=True, max_examples=150, deadline=None)
@given(y1=st.integers(0, 60), y2=st.integers(0, 60), e1=st.floats(0.5, 5), e2=st.floats(0.5, 5),
       phi=st.sampled_from([1.0, 1.3, 4.0]))
def test_compare_rates_interval_holds_its_estimate(y1, y2, e1, e2, phi):
    c = stats.compare_rates(count1=y1, exposure1=e1, count2=y2, exposure2=e2, dispersion=phi)
    if y1 + y2 == 0:
        assert not c.tested and math.isnan(c.pvalue) and c.verdict.code == "not_tested"
        return
    assert c.tested and 0 <= c.p_exact <= 1 and c.pvalue >= c.p_exact
    assert c.ci_low <= c.estimate <= c.ci_high and c.ci_low < c.ci_high
    assert (c.estimate == math.inf) == (y1 == 0) and (c.estimate == 0) == (y2 == 0)


@settings(derandomize=True, max_examples=100, deadline=None)
@given(counts=st.lists(st.integers(0, 15), min_size=3, max_size=8))
def test_poisson_trend_never_crashes_nor_reports_absurd_ratios(counts):
    r = stats.poisson_trend(periods=range(2010, 2010 + len(counts)), counts=counts, exposure=[1000] * len(counts))
    if sum(counts) < 10 or sum(c > 0 for c in counts) < 2:
        assert not r.tested and math.isnan(r.rate_ratio)
    else:
        # 10+ events in 2+ periods: a finite slope (the largest possible here: all but one event in the last year)
        assert r.tested and np.isfinite(r.rate_ratio) and 1e-3 < r.rate_ratio < 1e3


@settings(derandomize=True, max_examples=100, deadline=None)
@given(x1=st.integers(0, 80), n1=st.integers(1, 80), x2=st.integers(0, 80), n2=st.integers(1, 80))
def test_compare_shares_tested_iff_expected_counts_reach_five(x1, n1, x2, n2):
    x1, x2 = min(x1, n1), min(x2, n2)
    c = stats.compare_shares(share1=x1 / n1, n_eff1=n1, share2=x2 / n2, n_eff2=n2)
    pbar = (x1 + x2) / (n1 + n2)
    expected = min(n1 * pbar, n2 * pbar, n1 * (1 - pbar), n2 * (1 - pbar))
    assert c.tested == (expected >= 5 - 1e-9)
    assert math.isnan(c.pvalue) != c.tested
