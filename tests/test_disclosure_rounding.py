"""Rounding mode (METHODS.md §6 rule 6): every published count is 0, * or a multiple of 5, totals included, and an
integer attacker who knows every published value and the rounding rules cannot pin any starred cell to one value.

The attacker here is written independently of tryghed.disclosure: its own reading of what each published value
allows (from the rule text: 0 -> 0, 1-7 -> * at every level, >= 8 -> the nearest multiple of 5), its own equations
from the hierarchy, and scipy's milp for the integer minimum and maximum. The strong attacker is also told why each
* is there (a small count, or a larger count withheld to protect another); the plain attacker sees only *.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from tryghed import disclosure as dc

COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "numerator", "denominator", "estimate",
           "ci_low", "ci_high", "n_unweighted", "n_effective", "unit", "source", "suppressed", "flags", "method"]


def attacker_bounds(published: float, true: float, *, k: int, strong: bool = True) -> tuple[float, float]:
    """What the attacker knows of one cell. The strong attacker is told why a * is there: a small count (1-7), or
    a count that would have been rounded (>= 8) withheld to protect another cell. The plain one knows 1 or more."""
    small = max(7, k - 1)
    if math.isnan(published):
        if not strong:
            return 1, math.inf
        return (1, small) if true <= small else (small + 1, math.inf)
    if published == 0:
        return 0, 0
    lo, hi = published - 2, published + 2  # the integers that round to a multiple of 5
    return max(lo, small + 1), hi


def integer_range(cell, values, published, equations, k, strong=True, lazy_min=False):
    """min and max of one cell over whole non-negative solutions of the equations within the attacker's bounds.

    ``lazy_min``: the max is solved first, and when it exceeds the cell's true value the min is not solved: the true
    values are a solution, so the min is at most the value, which is returned in its place. ``lo < hi`` and
    ``lo == hi`` then read as with the min solved (a pinned cell, max = min = its value, always gets its solved min).
    """
    n = len(values)
    b = [attacker_bounds(published[i], values[i], k=k, strong=strong) for i in range(n)]
    a = np.zeros((len(equations), n))
    for r, eq in enumerate(equations):
        for c, coef in eq:
            a[r, c] = coef
    rhs = a @ np.asarray(values, float)
    cons = [LinearConstraint(a, rhs, rhs)] if equations else []
    bounds = Bounds([x[0] for x in b], [x[1] for x in b])
    obj = np.zeros(n)
    obj[cell] = 1
    hi = milp(-obj, constraints=cons, integrality=np.ones(n), bounds=bounds)
    top = -hi.fun if hi.status == 0 else math.inf
    if lazy_min and top > values[cell]:
        return values[cell], top
    lo = milp(obj, constraints=cons, integrality=np.ones(n), bounds=bounds)
    assert lo.status == 0, lo.message  # the true values are always a solution
    return lo.fun, top


def nearest5(n: int) -> int:
    return 5 * math.floor(n / 5 + 0.5)


def count_rows(rows):
    return pd.DataFrame([dict(pipeline="t", indicator_id="gang_members", area_id=a, level="x", period=p,
                              numerator=float(n), denominator=np.nan, estimate=float(n), ci_low=np.nan,
                              ci_high=np.nan, n_unweighted=np.nan, n_effective=np.nan, unit="count", source="s",
                              suppressed=False, flags="", method="m") for a, p, n in rows], columns=COLUMNS)


# --------------------------------------------------------------------------------------------------------------------
# By hand


def test_city_total_of_two_stars_no_longer_reveals_them():
    # The old rule published the city unrounded: 14 over two starred districts means 7 + 7. Now the city shows
    # 15 (13..17), the districts are 1-7 each and at most 14 together, so each is 6 or 7.
    eq = [dc.Equation.sum_of(total=0, members=[1, 2])]
    res = dc.protect_cells(values=[14, 7, 7], equations=eq, exempt=[True, False, False], k=5, mode="rounding")
    assert res.display == ("15", "*", "*")
    assert res.reason == ("rounded", "star", "star") and res.unresolved == 0
    for cell in (1, 2):
        assert integer_range(cell, [14, 7, 7], res.published, [[(0, 1), (1, -1), (2, -1)]], 5) == (6, 7)


def test_rounded_total_over_four_stars_gets_a_complementary_star():
    # City 68 = D1 28 + D2 40; D1 = four survey districts of 7; D2 = 20 + 20.
    # Rounded: city 70 (68..72), D1 30 (28..32), D2 40, 20, 20; the four 7s are starred (1..7 each). Four cells of at
    # most 7 summing to at least 28 are all 7: pinned. The only rounded cell of their line is D1, which is starred
    # too; the attacker then knows D1 >= 8, and D1 = city - D2 in 26..34 lets the stars sum to 26..28: each is 5..7.
    values = [68, 28, 40, 7, 7, 7, 7, 20, 20]
    eqs = [dc.Equation.sum_of(total=0, members=[1, 2]), dc.Equation.sum_of(total=1, members=[3, 4, 5, 6]),
           dc.Equation.sum_of(total=2, members=[7, 8])]
    res = dc.protect_cells(values=values, equations=eqs, exempt=[True] + [False] * 8, k=5, mode="rounding")
    assert res.display == ("70", "*", "40", "*", "*", "*", "*", "20", "20")
    assert res.reason[1] == "complementary" and res.unresolved == 0
    plain = [[(0, 1), (1, -1), (2, -1)], [(1, 1), (3, -1), (4, -1), (5, -1), (6, -1)], [(2, 1), (7, -1), (8, -1)]]
    # Without the complementary star the attacker pins every 7 ...
    rounded_only = np.array([70, 30, 40, np.nan, np.nan, np.nan, np.nan, 20, 20])
    assert integer_range(3, values, rounded_only, plain, 5) == (7, 7)
    # ... with it, none.
    for cell in (1, 3, 4, 5, 6):
        lo, hi = integer_range(cell, values, res.published, plain, 5)
        assert lo < hi
    assert integer_range(3, values, res.published, plain, 5) == (5, 7)


def test_city_counts_are_rounded_and_starred_like_every_count():
    eq = [dc.Equation.sum_of(total=0, members=[1, 2])]
    city = [True, False, False]
    assert dc.protect_cells(values=[3, 1, 2], equations=eq, exempt=city, k=5, mode="rounding").display == (
        "*", "*", "*")
    assert dc.protect_cells(values=[7, 7, 0], equations=eq, exempt=city, k=3, mode="rounding").display == (
        "*", "*", "0")
    assert dc.protect_cells(values=[9, 9, 0], equations=eq, exempt=city, k=5, mode="rounding").display == (
        "10", "10", "0")
    assert dc.protect_cells(values=[2468, 2400, 68], equations=eq, exempt=city, k=5,
                            mode="rounding").display == ("2470", "2400", "70")
    # A starred city of 2 over two starred 1s: each could be 1-6 (the city is 1-7), nothing is pinned.
    res = dc.protect_cells(values=[2, 1, 1], equations=eq, exempt=city, k=5, mode="rounding")
    assert res.display == ("*", "*", "*") and res.unresolved == 0
    assert integer_range(1, [2, 1, 1], res.published, [[(0, 1), (1, -1), (2, -1)]], 5) == (1, 6)


@pytest.mark.parametrize(("published", "reason", "k", "expected"), [
    (0.0, "", 5, (0, 0)),
    (10.0, "rounded", 5, (8, 12)),        # 8..12 round to 10; 8 is the smallest count not starred
    (15.0, "rounded", 5, (13, 17)),
    (40.0, "", 5, (38, 42)),
    (np.nan, "star", 5, (1, 7)),
    (np.nan, "star", 10, (1, 9)),         # k - 1 > 7: the small-group limit wins
    (10.0, "rounded", 10, (10, 12)),
    (np.nan, "complementary", 5, (8, math.inf)),
    (np.nan, "given", 5, (0, math.inf)),
])
def test_rounded_interval(published, reason, k, expected):
    assert dc.rounded_interval(published, reason=reason, k=k) == expected


# --------------------------------------------------------------------------------------------------------------------
# Property: random hierarchies, rounding mode, the independent integer attacker

small_counts = st.one_of(st.sampled_from([0, 1, 7, 13]), st.integers(0, 40))
# Survey districts of a district that pin their stars under the rounded total: four 7s = 28 (published 30, so
# 28..32) or six 7s = 42 (40: 38..42) force every 7; 13 + 1 + 1 + 1 + 1 = 17 (15: 13..17) forces every 1.
PINNING = [[7, 7, 7, 7], [7, 7, 7, 7, 7, 7], [13, 1, 1, 1, 1]]


@st.composite
def hierarchies(draw):
    """City -> 1-3 districts -> 1-6 survey districts each (random, or a pattern that pins), over 1-2 years."""
    parents = {"kbh": None}
    pattern = {}
    for d in range(draw(st.integers(1, 3))):
        parents[f"d{d}"] = "kbh"
        pattern[f"d{d}"] = draw(st.one_of(st.none(), st.sampled_from(PINNING)))
        for s in range(len(pattern[f"d{d}"]) if pattern[f"d{d}"] else draw(st.integers(1, 6))):
            parents[f"d{d}s{s}"] = f"d{d}"
    leaves = [a for a in parents if a.count("s") == 1]
    years = list(range(2016, 2016 + draw(st.integers(1, 2))))
    levels = draw(st.sampled_from([("city", "district", "survey_district"), ("city", "survey_district"),
                                   ("city", "district")]))
    values = {}
    for y in years:
        for leaf in leaves:
            fixed = pattern[parents[leaf]]
            values[(leaf, y)] = fixed[int(leaf.split("s")[1])] if fixed else draw(small_counts)
        for d in [a for a in parents if parents[a] == "kbh"]:
            values[(d, y)] = sum(values[(s, y)] for s in leaves if parents[s] == d)
        values[("kbh", y)] = sum(values[(s, y)] for s in leaves)
    level = {a: "city" if a == "kbh" else "survey_district" if a in leaves else "district" for a in parents}
    areas = [a for a in parents if level[a] in levels]
    return parents, areas, years, values


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hierarchies(), k=st.integers(3, 5))
def test_property_rounding_no_star_is_pinned(case, k):
    parents, areas, years, values = case
    rows = [(a, y, values[(a, y)]) for a in areas for y in years]
    res = dc.protect_indicator_table(count_rows(rows), parents=parents, person_ids={"gang_members"}, k=k,
                                     mode="rounding")
    published = res.table["numerator"].to_numpy(dtype=float)
    vals = [v for *_, v in rows]
    # Every published count is 0 or a multiple of 5: a count shown is its true value rounded to the nearest 5
    # (totals from the unrounded data), and every count of 1-7 is starred, the city's too.
    shown = ~np.isnan(published)
    assert (published[shown] % 5 == 0).all()
    for p, v in zip(published, vals):
        if 1 <= v <= 7:
            assert math.isnan(p)
        elif not math.isnan(p):
            assert p == nearest5(v)
    # Independent equations: each present area = the sum of the present areas directly below it (skipping an
    # absent level), per year.
    cell = {(a, y): i for i, (a, y, _) in enumerate(rows)}
    eqs = []
    for y in years:
        for a in areas:
            below = [b for b in areas if parents[b] == a or (parents[b] is not None and parents[b] not in areas
                                                             and parents[parents[b]] == a)]
            if below:
                eqs.append([(cell[(a, y)], 1.0), *((cell[(b, y)], -1.0) for b in below)])
    pinned = 0
    for c in np.flatnonzero(~shown):
        lo, hi = integer_range(int(c), vals, published, eqs, k, lazy_min=True)
        if lo == hi:
            # Only when every linked cell is already starred or 0 (reported); the plain attacker still cannot.
            pinned += 1
            lo, hi = integer_range(int(c), vals, published, eqs, k, strong=False, lazy_min=True)
        assert lo < hi, f"{rows[c]} is pinned to {lo} by the published table {published.tolist()}"
    assert res.record.unresolved == pinned
    assert (res.table["flags"] == np.where(~shown, "disclosure", "")).all()
