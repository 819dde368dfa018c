"""Disclosure control (METHODS.md §6): hand-built tables cell by cell, and an LP check that nothing is recoverable."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from scipy.optimize import linprog

from tryghed import disclosure as dc

# --------------------------------------------------------------------------------------------------------------------
# A district × sex table of persons charged, built by hand; the last row is the city, the last column the row total.

DISTRICTS = ["Indre By", "Østerbro", "Nørrebro", "Valby", "Vanløse", "Amager"]
SEX = ["Mænd", "Kvinder", "I alt"]


def hand_table() -> pd.DataFrame:
    cells = [[12, 3], [9, 8], [20, 14], [6, 0], [2, 1], [11, 0]]
    rows = [[m, f, m + f] for m, f in cells]
    rows.append([sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows)])
    return pd.DataFrame(rows, index=[*DISTRICTS, "I alt"], columns=SEX)


def assert_display(res, rows: list[list[str]]) -> None:
    assert res.display.index.tolist() == [*DISTRICTS, "I alt"] and res.display.columns.tolist() == SEX
    assert res.display.to_numpy().tolist() == rows


def test_hand_table_adds_up():
    t = hand_table()
    assert t.loc["I alt"].tolist() == [60, 26, 86]


def test_crosstab_dk_k5_cell_by_cell():
    # k = 5, group rule limit 10.
    # Primary (1 ≤ n < 5): Indre By/Kvinder 3; Vanløse 2, 1 and its total 3.
    # Group rule: Valby's total 6 < 10 and Mænd = 6 = the total, so its 0 women reveal "all 6 are men": suppress 0.
    #   Amager's 0 is published: its total 11 is not below 10.
    # Complementary, rows first then columns:
    #   Indre By row has one suppressed cell (3): the smallest non-zero other cell is Mænd 12 (< total 15).
    #   Valby row has one (the 0): Mænd 6 ties with the total 6; a member goes before the total.
    #   The I alt column has one (Vanløse 3): the smallest district total is Valby's 6.
    # Check by hand: the 8 unknowns satisfy 6 independent-rank-5 equations; the null space has vectors touching
    # every unknown, e.g. (IB.M, IB.K, VB.M, VB.K) = (1, -1, -1, 1), so no cell is fixed.
    res = dc.protect_crosstab(hand_table(), k=5, mode="DK")
    assert_display(res, [
        ["*", "*", "15"],
        ["9", "8", "17"],
        ["20", "14", "34"],
        ["*", "*", "*"],
        ["*", "*", "*"],
        ["11", "0", "11"],
        ["60", "26", "86"],
    ])
    assert res.reason.loc["Indre By", "Kvinder"] == "primary"
    assert res.reason.loc["Indre By", "Mænd"] == "complementary"
    assert res.reason.loc["Valby", "Kvinder"] == "group"
    assert res.reason.loc["Valby", "I alt"] == "complementary"
    assert res.unresolved == 0
    assert np.isnan(res.published.loc["Valby", "Mænd"])
    assert res.published.loc["Amager", "Kvinder"] == 0


def test_crosstab_dk_k3_cell_by_cell():
    # k = 3: primary only Vanløse 2 and 1 (its total 3 and Indre By's 3 are published).
    # Group rule: Valby's 0 (6 of 6 are men, total < 10). Vanløse: no cell equals its total 3.
    # Complementary: Valby row has one suppressed cell -> Mænd 6. Vanløse already has two; columns have two each.
    # By hand: VB.M + VB.K = 6, VL.M + VL.K = 3, VB.M + VL.M = 8, VB.K + VL.K = 1; null vector (1, -1, -1, 1).
    res = dc.protect_crosstab(hand_table(), k=3, mode="DK")
    assert_display(res, [
        ["12", "3", "15"],
        ["9", "8", "17"],
        ["20", "14", "34"],
        ["*", "*", "6"],
        ["*", "*", "3"],
        ["11", "0", "11"],
        ["60", "26", "86"],
    ])


def test_crosstab_rounding_cell_by_cell():
    # 0 -> 0, 1-7 -> *, >= 8 -> nearest 5; the row totals are rounded from the unrounded totals (17 -> 15, not
    # 10 + 10); the city row is rounded too (26 -> 25, 86 -> 85; 60 stays); Indre By's 10 and total 15 stay.
    res = dc.protect_crosstab(hand_table(), k=5, mode="rounding")
    assert_display(res, [
        ["10", "*", "15"],
        ["10", "10", "15"],
        ["20", "15", "35"],
        ["*", "0", "*"],
        ["*", "*", "*"],
        ["10", "0", "10"],
        ["60", "25", "85"],
    ])
    # No star is pinned, checked by hand: Valby's men and total are both 1-7 with the 0 women (6 = 6 + 0: the pair
    # can be anything from 1 to 7); Vanløse's three stars satisfy m + w = t with each in 1-7; Indre By's women:
    # its row says 15 ± 2 - [8, 12] and its column 25 ± 2 less four ranges, both wider than one value.
    assert res.unresolved == 0 and (res.reason == "complementary").sum().sum() == 0


def test_crosstab_margins_must_add_up():
    t = hand_table()
    t.loc["Valby", "I alt"] = 7
    with pytest.raises(ValueError, match="margins"):
        dc.protect_crosstab(t)


@pytest.mark.parametrize(("n", "shown"), [
    (0, "0"), (1, "*"), (5, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15"), (17, "15"), (18, "20"),
    (25, "25"), (2465, "2465"), (2467, "2465"), (2468, "2470"),
])
def test_rounding_examples(n, shown):
    assert dc.count_label(dc.round_count(n)) == shown


def test_round_count_rejects_negative():
    with pytest.raises(ValueError):
        dc.round_count(-1)


# --------------------------------------------------------------------------------------------------------------------
# The generic engine


def test_one_suppressed_cell_in_a_line_is_recoverable():
    # 10 = 3 + 7: hiding 3 alone leaves 3 = 10 - 7.
    eq = [dc.Equation.sum_of(total=0, members=[1, 2])]
    assert dc.recoverable_cells(values=[10, 3, 7], equations=eq, suppressed=[False, True, False]).tolist() == [
        False, True, False]
    assert not dc.recoverable_cells(values=[10, 3, 7], equations=eq, suppressed=[False, True, True]).any()


def test_two_lines_recover_a_cell_no_single_line_reveals():
    # a + b = 5 and a - b = 1 (a published change) -> a = 3, b = 2, although each line has two suppressed cells.
    eqs = [dc.Equation.sum_of(total=0, members=[1, 2]), dc.Equation.difference(later=1, earlier=2)]
    assert dc.recoverable_cells(values=[5, 3, 2], equations=eqs, suppressed=[False, True, True]).tolist() == [
        False, True, True]


def test_non_negativity_pins_suppressed_zeros():
    # 0 + 0 + 9 = 9 with the two zeros hidden: linearly free, but both must be 0 as counts are non-negative.
    eq = [dc.Equation.sum_of(total=0, members=[1, 2, 3])]
    rec = dc.recoverable_cells(values=[9, 0, 0, 9], equations=eq, suppressed=[False, True, True, False])
    assert rec.tolist() == [False, True, True, False]


def test_group_zero_rule():
    eq = [dc.Equation.sum_of(total=0, members=[1, 2])]
    # 4 of 4 (total < k): the zero goes.
    assert dc.group_zero_cells(values=[4, 4, 0], equations=eq, k=5).tolist() == [False, False, True]
    # 9 of 9 (total < 10 and a cell equals it): the zero goes.
    assert dc.group_zero_cells(values=[9, 9, 0], equations=eq, k=5).tolist() == [False, False, True]
    # 10 of 10: published; an empty group: published.
    assert not dc.group_zero_cells(values=[10, 10, 0], equations=eq, k=5).any()
    assert not dc.group_zero_cells(values=[0, 0, 0], equations=eq, k=5).any()
    # 8 = 8 + 0 but k = 3 and limit 10: still goes; 7 = 4 + 3: no zero, nothing.
    assert dc.group_zero_cells(values=[8, 8, 0], equations=eq, k=3).tolist() == [False, False, True]
    assert not dc.group_zero_cells(values=[7, 4, 3], equations=eq, k=5).any()


def test_small_city_total_is_suppressed_but_large_is_exempt():
    # City = A + B. A city of 3 is a small group (rule 1); a city of 30 is exempt and never picked when others exist.
    eq = [dc.Equation.sum_of(total=0, members=[1, 2])]
    small = dc.protect_cells(values=[3, 2, 1], equations=eq, exempt=[True, False, False], k=5)
    assert small.suppressed.tolist() == [True, True, True]
    big = dc.protect_cells(values=[30, 2, 28], equations=eq, exempt=[True, False, False], k=5)
    assert big.suppressed.tolist() == [False, True, True]
    assert big.reason == ("", "primary", "complementary")


def test_bad_rules_raise():
    with pytest.raises(ValueError, match="mode"):
        dc.protect_cells(values=[1], mode="UK")
    with pytest.raises(ValueError, match="k"):
        dc.protect_cells(values=[1], k=0)
    with pytest.raises(ValueError, match="non-negative"):
        dc.protect_cells(values=[-1])


# --------------------------------------------------------------------------------------------------------------------
# Linked tables: a published change between two years


def test_published_change_forces_more_suppression():
    # City X = A + B in 2016 and 2017. 2016: 3 + 20 = 23; 2017: 9 + 30 = 39.
    # Without changes: A2016 (3) is primary, B2016 its complement (the only non-city cell of the line).
    # With the change of B published (30 - 20 = 10), B2016 = B2017 - 10 would be recoverable, so B2017 goes too,
    # and then A2017 (X2017 = A2017 + B2017 has one suppressed cell).
    parents = {"X": None, "A": "X", "B": "X"}
    rows = [("X", 2016, 23), ("A", 2016, 3), ("B", 2016, 20), ("X", 2017, 39), ("A", 2017, 9), ("B", 2017, 30)]
    table = indicator_rows("gang_members", rows)
    plain = dc.protect_indicator_table(table, parents=parents, person_ids={"gang_members"})
    assert plain.table["suppressed"].tolist() == [False, True, True, False, False, False]
    linked = dc.protect_indicator_table(table, parents=parents, person_ids={"gang_members"},
                                        published_changes=[("gang_members", "B", 2016, 2017)])
    assert linked.table["suppressed"].tolist() == [False, True, True, False, True, True]
    assert linked.record.primary == 1 and linked.record.complementary == 3


# --------------------------------------------------------------------------------------------------------------------
# The tidy indicator table

COLUMNS = ["pipeline", "indicator_id", "area_id", "level", "period", "numerator", "denominator", "estimate",
           "ci_low", "ci_high", "n_unweighted", "n_effective", "unit", "source", "suppressed", "flags", "method"]


def indicator_rows(indicator_id, rows, *, unit="count"):
    """Count rows (area, period, n) or share rows (area, period, n, population) of the tidy indicator table."""
    out = []
    for r in rows:
        area, period, n = r[:3]
        den = r[3] if len(r) > 3 else np.nan
        share = len(r) > 3
        ci = sps.binomtest(int(n), int(den)).proportion_ci(method="wilson") if share else None
        out.append(dict(pipeline="t", indicator_id=indicator_id, area_id=area, level="city" if area in ("X", "kbh")
                        else "district", period=period, numerator=float(n), denominator=float(den),
                        estimate=100 * n / den if share else float(n), ci_low=100 * ci.low if share else np.nan,
                        ci_high=100 * ci.high if share else np.nan, n_unweighted=den, n_effective=den, unit=unit,
                        source="s", suppressed=False, flags="", method="m"))
    return pd.DataFrame(out, columns=COLUMNS)


PARENTS = {"kbh": None, "A": "kbh", "B": "kbh", "C": "kbh", "D": "kbh"}


def share_table() -> pd.DataFrame:
    # Youth charged / population, 2017. City 41/715 = 3 + 32 + 0 + 6 over 300 + 400 + 6 + 9.
    shares = indicator_rows("youth_charged", [("kbh", 2017, 41, 715), ("A", 2017, 3, 300), ("B", 2017, 32, 400),
                                              ("C", 2017, 0, 6), ("D", 2017, 6, 9)], unit="percent")
    shares.loc[shares["area_id"] == "D", "flags"] = "uncertain"
    counts = indicator_rows("closed_institutions", [("kbh", 2017, 3), ("A", 2017, 2), ("B", 2017, 1),
                                                    ("C", 2017, 0), ("D", 2017, 0)])
    survey = indicator_rows("unsafe_night", [("kbh", 2017, 400), ("A", 2017, 40), ("B", 2017, 3)])
    survey["unit"] = "percent"
    survey["n_unweighted"] = survey["n_effective"] = [400.0, 40.0, 3.0]
    survey["numerator"] = [70.0, 8.0, 1.0]
    survey["estimate"] = [17.5, 20.0, 33.3]
    survey["ci_low"] = [14.0, 10.0, 5.0]
    survey["ci_high"] = [21.0, 35.0, 80.0]
    survey.loc[survey["n_unweighted"] < 50, "flags"] = "too_few_answers"
    survey.loc[survey["n_unweighted"] < 50, "suppressed"] = True
    return pd.concat([shares, counts, survey], ignore_index=True)


def rows_of(table, indicator_id):
    return table[table["indicator_id"] == indicator_id].set_index("area_id")


def test_indicator_table_dk():
    res = dc.protect_indicator_table(share_table(), parents=PARENTS, person_ids={"youth_charged"},
                                     survey_ids={"unsafe_night"}, k=5)
    y = rows_of(res.table, "youth_charged")
    # A: 3 < 5 -> count, share and CI withheld (rules 2, 3, 8).
    # C: 0 of a population of 6 (< 10, nobody charged reveals everyone's attribute) -> withheld.
    # D: 6 of 9 is published as a count, but its share has a denominator < 10 (rule 3).
    # The city line: A + C = 41 - 32 - 6 = 3 has two unknowns in [0, 3]: no complementary cell needed.
    assert y["suppressed"].to_dict() == {"kbh": False, "A": True, "B": False, "C": True, "D": True}
    for area in ("A", "C"):
        assert y.loc[area, ["numerator", "estimate", "ci_low", "ci_high"]].isna().all()
        assert y.loc[area, "flags"] == "disclosure"
    assert y.loc["D", "numerator"] == 6
    assert y.loc["D", ["estimate", "ci_low", "ci_high"]].isna().all()
    assert y.loc["D", "flags"] == "uncertain;disclosure"
    assert y.loc["B", "estimate"] == pytest.approx(8.0)
    assert y.loc["kbh", "numerator"] == 41
    assert y["denominator"].tolist() == [715, 300, 400, 6, 9]
    # Counts of institutions are not persons: untouched although 1 and 2 are small.
    assert rows_of(res.table, "closed_institutions")["numerator"].tolist() == [3, 2, 1, 0, 0]
    # Survey: 40 answers < 50 -> withheld; 3 answers < k -> the number of answers is withheld too.
    s = rows_of(res.table, "unsafe_night")
    assert s["suppressed"].tolist() == [False, True, True]
    assert s.loc["kbh", "estimate"] == 17.5
    assert s.loc[["A", "B"], ["numerator", "estimate", "ci_low", "ci_high"]].isna().all().all()
    assert s.loc["A", "n_unweighted"] == 40 and np.isnan(s.loc["B", "n_unweighted"])
    assert s.loc["A", "flags"] == "too_few_answers"
    r = res.record
    assert (r.mode, r.k, r.cells_checked, r.primary, r.group_zero, r.complementary) == ("DK", 5, 5, 1, 1, 0)
    assert (r.derived, r.small_denominator, r.survey_precision, r.answer_counts_hidden, r.unresolved) == (
        2, 1, 2, 1, 0)
    assert r.note_da.startswith("Personantal under 5 er undertrykt")
    assert r.note_en.startswith("Person counts below 5 are suppressed")
    assert "færre end 50 besvarelser" in r.note_da and "fewer than 50 answers" in r.note_en
    assert res.table.columns.tolist() == COLUMNS


def test_indicator_table_rounding():
    res = dc.protect_indicator_table(share_table(), parents=PARENTS, person_ids={"youth_charged"}, k=5,
                                     mode="rounding")
    y = rows_of(res.table, "youth_charged")
    # A 3 -> *, B 32 -> 30, C 0 -> 0, D 6 -> *, the city 41 -> 40 (every published count is 0, * or a multiple
    # of 5). No star is pinned: A + D = [38, 42] - [28, 32] = [6, 14] leaves each of them 1-7.
    assert y["numerator"].fillna(-1).tolist() == [40, -1, 30, 0, -1]
    # B's share and Wilson CI come from the rounded count: 30 / 400.
    ref = sps.binomtest(30, 400).proportion_ci(method="wilson")
    assert y.loc["B", "estimate"] == pytest.approx(7.5)
    assert (y.loc["B", "ci_low"], y.loc["B", "ci_high"]) == pytest.approx((100 * ref.low, 100 * ref.high), rel=1e-9)
    # C is published as 0 (no group rule in rounding mode) but its share has a denominator < 10.
    assert y.loc["C", "suppressed"] and math.isnan(y.loc["C", "estimate"])
    assert y.loc[["A", "D"], ["estimate", "ci_low", "ci_high"]].isna().all().all()
    # The city's share and Wilson CI come from its rounded count too: 40 / 715.
    ref = sps.binomtest(40, 715).proportion_ci(method="wilson")
    assert y.loc["kbh", "estimate"] == pytest.approx(100 * 40 / 715)
    assert (y.loc["kbh", "ci_low"], y.loc["kbh", "ci_high"]) == pytest.approx((100 * ref.low, 100 * ref.high),
                                                                              rel=1e-9)
    r = res.record
    assert (r.starred, r.rounded, r.derived, r.small_denominator, r.complementary) == (2, 2, 2, 1, 0)
    assert r.note_da.startswith("Alle personantal, også totaler og tal for hele byen, er afrundet til nærmeste 5")
    assert "survey" not in r.note_en.lower()


def test_indicator_table_rejects_unknown_area():
    with pytest.raises(ValueError, match="hierarchy"):
        dc.protect_indicator_table(share_table(), parents={"kbh": None}, person_ids={"youth_charged"})


def test_change_table_rows_touching_withheld_cells():
    published = indicator_rows("gang_members", [("A", 2016, 10), ("A", 2017, 3), ("B", 2016, 12), ("B", 2017, 14)])
    published.loc[1, ["numerator", "estimate"]] = np.nan
    published.loc[1, ["suppressed", "flags"]] = [True, "disclosure"]
    changes = pd.DataFrame(dict(
        indicator_id="gang_members", area_id=["A", "B"], period=2017, ref_period=2016, comparison="previous_year",
        ref_estimate=[10.0, 12.0], estimate=[3.0, 14.0], change=[-7.0, 2.0], ci_low=np.nan, ci_high=np.nan,
        pvalue=np.nan, qvalue=np.nan, method="descriptive", flags=["too_few_answers", ""], significant=False))
    out = dc.protect_change_table(changes, published)
    assert out.loc[0, "flags"] == "disclosure" and np.isnan(out.loc[0, "change"])
    assert np.isnan(out.loc[0, "estimate"]) and out.loc[0, "ref_estimate"] == 10
    assert out.loc[1, ["change", "estimate", "flags"]].tolist() == [2.0, 14.0, ""]


# --------------------------------------------------------------------------------------------------------------------
# Property: no suppressed cell can be recovered exactly (independent check: LP min and max of each hidden cell)


def lp_ranges(values, equations, suppressed):
    """(min, max) of every suppressed cell over non-negative solutions of the published equations.

    ``equations`` are lists of (cell, coefficient); each publishes its constant sum(coef * value) (0 for a total
    and its members, the change for a difference), so the hidden part must equal it minus the published part.

    The max is solved first. When it already exceeds the cell's true value by more than 1e-6, the min is not solved:
    the true values are a solution, so the min is at most the cell's value, which is returned in its place. A range
    ``max - min > 1e-6`` read from the result is then one the true min gives too, and a cell whose range is 1e-6 or
    less (recoverable) always gets its solved min: the checks below pass and fail exactly as with both LPs solved.
    """
    values = np.asarray(values, float)
    hidden = np.flatnonzero(suppressed)
    col = {c: j for j, c in enumerate(hidden)}
    a_eq, b_eq = [], []
    for eq in equations:
        row = np.zeros(hidden.size)
        rhs = sum(coef * values[c] for c, coef in eq)
        for c, coef in eq:
            if c in col:
                row[col[c]] += coef
            else:
                rhs -= coef * values[c]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    a_eq = np.array(a_eq) if a_eq else None
    out = {}
    for c, j in col.items():
        obj = np.zeros(hidden.size)
        obj[j] = 1.0
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq or None, bounds=(0, None), method="highs")
        assert hi.status in (0, 3)  # solved, or unbounded above
        top = math.inf if hi.status == 3 else -hi.fun
        if top - values[c] > 1e-6:
            out[c] = (values[c], top)
            continue
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq or None, bounds=(0, None), method="highs")
        assert lo.status == 0
        out[c] = (lo.fun, top)
    return out


small_counts = st.one_of(st.integers(0, 6), st.integers(0, 40))


@st.composite
def crosstabs(draw):
    nr, nc = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    cells = np.array(draw(st.lists(small_counts, min_size=nr * nc, max_size=nr * nc))).reshape(nr, nc)
    full = np.zeros((nr + 1, nc + 1), dtype=int)
    full[:nr, :nc] = cells
    full[:nr, nc] = cells.sum(axis=1)
    full[nr, :] = full[:nr, :].sum(axis=0)
    return full


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=crosstabs(), k=st.integers(2, 6))
def test_property_crosstab_nothing_recoverable(table, k):
    nr, nc = table.shape
    res = dc.protect_crosstab(pd.DataFrame(table), k=k, mode="DK")
    hidden = res.suppressed.to_numpy().ravel()
    values = table.ravel()
    # Independent equations: every row and column adds up to its margin.
    idx = np.arange(nr * nc).reshape(nr, nc)
    eqs = [[(idx[r, -1], 1.0), *((idx[r, c], -1.0) for c in range(nc - 1))] for r in range(nr)]
    eqs += [[(idx[-1, c], 1.0), *((idx[r, c], -1.0) for r in range(nr - 1))] for c in range(nc)]
    for cell, (lo, hi) in lp_ranges(values, eqs, hidden).items():
        assert hi - lo > 1e-6, f"cell {divmod(cell, nc)} = {values[cell]} is recoverable"
    # Every person count 1 <= n < k is withheld; every published cell shows its true value.
    assert hidden[(values >= 1) & (values < k)].all()
    shown = res.published.to_numpy().ravel()
    assert np.array_equal(shown[~hidden], values[~hidden])


@st.composite
def hierarchies(draw):
    """City -> 2-3 districts -> 1-3 survey districts each, over 2-3 years, with some published changes."""
    parents = {"kbh": None}
    for d in range(draw(st.integers(2, 3))):
        parents[f"d{d}"] = "kbh"
        for s in range(draw(st.integers(1, 3))):
            parents[f"d{d}s{s}"] = f"d{d}"
    leaves = [a for a in parents if a.count("s") == 1 and a != "kbh"]
    years = list(range(2015, 2015 + draw(st.integers(2, 3))))
    levels = draw(st.sampled_from([("city", "district", "survey_district"), ("city", "survey_district")]))
    values = {}
    for y in years:
        for leaf in leaves:
            values[(leaf, y)] = draw(small_counts)
        for d in [a for a in parents if parents[a] == "kbh"]:
            values[(d, y)] = sum(values[(s, y)] for s in leaves if parents[s] == d)
        values[("kbh", y)] = sum(values[(s, y)] for s in leaves)
    areas = [a for a in parents if ("city" if a == "kbh" else "survey_district" if a in leaves else "district")
             in levels]
    changes = [(a, y - 1, y) for a in areas for y in years[1:] if draw(st.booleans())]
    return parents, areas, years, values, changes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hierarchies(), k=st.integers(3, 5))
def test_property_hierarchy_with_changes_nothing_recoverable(case, k):
    parents, areas, years, values, changes = case
    rows = [(a, y, values[(a, y)]) for a in areas for y in years]
    table = indicator_rows("gang_members", rows)
    res = dc.protect_indicator_table(table, parents=parents, person_ids={"gang_members"}, k=k,
                                     published_changes=[("gang_members", *c) for c in changes])
    assert res.record.unresolved == 0
    cell = {(a, y): i for i, (a, y, _) in enumerate(rows)}
    vals = [v for *_, v in rows]
    # Independent equations: each present area = the sum of the present areas directly below it (skipping the
    # district level when it is absent), per year; each published change = later - earlier.
    eqs = []
    for y in years:
        for a in areas:
            below = [b for b in areas if parents[b] == a or (parents[b] is not None and parents[b] not in areas
                                                             and parents[parents[b]] == a)]
            if below:
                eqs.append([(cell[(a, y)], 1.0), *((cell[(b, y)], -1.0) for b in below)])
    eqs += [[(cell[(a, y)], 1.0), (cell[(a, r)], -1.0)] for a, r, y in changes]
    hidden = res.table["suppressed"].to_numpy()
    for c, (lo, hi) in lp_ranges(vals, eqs, hidden).items():
        assert hi - lo > 1e-6, f"{rows[c]} is recoverable"
    assert hidden[[1 <= v < k for v in vals]].all()
    assert (res.table["flags"] == np.where(hidden, "disclosure", "")).all()


def test_person_denominators_are_controlled_and_cannot_be_recovered():
    """A share whose denominator counts persons (identified young people, of whom some had a concern talk): the
    denominator 3 of area b is withheld, and so is a second area's, so the city's 20 + 3 + 9 = 32 does not give it
    back (hand counts)."""
    parents = {"city": None, "a": "city", "b": "city", "c": "city"}
    identified = {"a": 20, "b": 3, "c": 9}
    talks = {"a": 18, "b": 3, "c": 8}
    rows = [dict(indicator_id="cov", area_id=a, level="district", period=2020, numerator=float(talks[a]),
                 denominator=float(identified[a]), estimate=100 * talks[a] / identified[a], ci_low=1.0, ci_high=99.0,
                 n_unweighted=float(identified[a]), n_effective=float(identified[a]), unit="percent",
                 suppressed=False, flags="", method="Wilson") for a in identified]
    rows.append(dict(indicator_id="cov", area_id="city", level="city", period=2020, numerator=29.0, denominator=32.0,
                     estimate=100 * 29 / 32, ci_low=1.0, ci_high=99.0, n_unweighted=32.0, n_effective=32.0,
                     unit="percent", suppressed=False, flags="", method="Wilson"))
    table = pd.DataFrame(rows)
    out = dc.protect_indicator_table(table, parents=parents, person_ids={"cov"},
                                             denominator_person_ids={"cov"}, k=5, mode="DK").table.set_index("area_id")
    assert np.isnan(out.loc["b", "denominator"]) and np.isnan(out.loc["b", "estimate"])
    assert out.loc["b", "suppressed"] and "disclosure" in out.loc["b", "flags"]
    assert np.isnan(out.loc["b", "n_unweighted"])
    # the city's published denominator minus the published districts' must not pin b's 3
    shown = out.loc[["a", "c"], "denominator"]
    assert shown.isna().sum() >= 1
    assert out.loc["city", "denominator"] == 32
