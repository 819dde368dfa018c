"""The gang register's crosstab by group type × area is a published person table (issue 11): it passes disclosure
control on its own (METHODS.md §6), and consistently with the indicator table's stock per area, so that no
difference attack between the crosstab's margin and the published stock recovers a withheld cell.

The attack is written out here with scipy's LP: for every withheld cell, its smallest and largest value over all
non-negative tables that agree with every published cell of both tables. A cell is protected when they differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from tryghed import disclosure

COLS = ["rocker", "gang", "other", "total"]


def crosstab(rows: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    t = pd.DataFrame.from_dict(rows, orient="index", columns=COLS[:3]).astype(float)
    t["total"] = t.sum(axis=1)
    t.loc["all"] = t.sum()
    return t


def attack(table: pd.DataFrame, published: pd.DataFrame, known: dict[str, float]) -> dict[tuple, tuple]:
    """(min, max) of each withheld cell over the non-negative tables with the published cells, the margins'
    identities and the stock ``known`` from the indicator table (row -> its published total)."""
    nr, nc = table.shape
    idx = {(r, c): i for i, (r, c) in enumerate((r, c) for r in range(nr) for c in range(nc))}
    a, b = [], []
    for r in range(nr):  # rows: the total column is the sum of the others
        row = np.zeros(nr * nc)
        row[idx[r, nc - 1]] = 1
        for c in range(nc - 1):
            row[idx[r, c]] = -1
        a.append(row), b.append(0)
    for c in range(nc):  # columns: the last row is the sum of the rows above
        row = np.zeros(nr * nc)
        row[idx[nr - 1, c]] = 1
        for r in range(nr - 1):
            row[idx[r, c]] = -1
        a.append(row), b.append(0)
    pub = published.to_numpy(float)
    for (r, c), i in idx.items():
        if np.isfinite(pub[r, c]):
            row = np.zeros(nr * nc)
            row[i] = 1
            a.append(row), b.append(pub[r, c])
    for label, value in known.items():
        row = np.zeros(nr * nc)
        row[idx[list(table.index).index(label), nc - 1]] = 1
        a.append(row), b.append(value)
    out = {}
    for (r, c), i in idx.items():
        if np.isfinite(pub[r, c]):
            continue
        goal = np.zeros(nr * nc)
        goal[i] = 1
        lo = linprog(goal, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None), method="highs")
        hi = linprog(-goal, A_eq=np.array(a), b_eq=np.array(b), bounds=(0, None), method="highs")
        assert lo.status == 0 and hi.status == 0
        out[(table.index[r], table.columns[c])] = (lo.fun, -hi.fun)
    return out


def test_a_cell_of_3_is_withheld_and_cannot_be_recovered_with_the_published_stock():
    t = crosstab({"indre": (3, 10, 6), "ydre": (8, 12, 7), "rest": (100, 110, 54)})
    assert t.loc["all", "total"] == 310 and t.loc["indre", "total"] == 19  # by hand: 3+10+6, 111+132+67
    stock = {"indre": 19.0, "ydre": 27.0, "all": 310.0}  # the indicator table publishes these three stocks
    prot = disclosure.protect_linked_crosstab(t, margin=stock, k=5, mode="DK")
    assert prot.suppressed.loc["indre", "rocker"] and prot.reason.loc["indre", "rocker"] == "primary"
    # the stock the indicator table publishes is shown as published: the margin is consistent with it
    for row, value in stock.items():
        assert prot.published.loc[row, "total"] == value and prot.display.loc[row, "total"] == f"{value:.0f}"
    # by hand: Indre's row needs a second cell (its total is public): its smallest other, 6 others; the rocker
    # column a second one: Ydre's 8 (the whole's row last); then Ydre's row a second: its 7 others
    withheld = {(r, c) for r in t.index for c in COLS if prot.suppressed.loc[r, c]}
    assert withheld == {("indre", "rocker"), ("indre", "other"), ("ydre", "rocker"), ("ydre", "other")}
    ranges = attack(t, prot.published, stock)
    assert set(ranges) == withheld
    for cell, (lo, hi) in ranges.items():
        assert hi - lo >= 1, cell  # not pinned by the crosstab and the stock together
    assert prot.unresolved == 0


def test_a_stock_withheld_in_the_indicator_table_is_withheld_in_the_crosstab():
    """Indre Nørrebro's stock of 4 is withheld by the indicator table: the crosstab withholds it too and protects it
    together with the stock the indicator table does publish (Ydre Nørrebro, the whole)."""
    t = crosstab({"indre": (3, 1, 0), "ydre": (8, 12, 7), "rest": (100, 110, 54)})
    stock = {"indre": np.nan, "ydre": 27.0, "all": 295.0}  # Indre's stock (3+1+0 = 4) is withheld there
    alone = disclosure.protect_crosstab(t, k=5, mode="DK")
    linked = disclosure.protect_linked_crosstab(t, margin=stock, k=5, mode="DK")
    # consistency: what the indicator table withholds (Indre's 4) is withheld in the crosstab too
    assert linked.suppressed.loc["indre", "total"]
    assert linked.published.loc["ydre", "total"] == 27 and linked.published.loc["all", "total"] == 295
    known = {k: v for k, v in stock.items() if np.isfinite(v)}
    for cell, (lo, hi) in attack(t, linked.published, known).items():
        assert hi - lo >= 1, cell
    # protected alone, the crosstab would publish Indre's total of 4 cells in 1–4 apart, or hide a total the stock
    # shows: it knows nothing of the other table
    assert alone.suppressed.loc["indre", "rocker"] and linked.suppressed.loc["indre", "rocker"]
    assert all(not linked.suppressed.loc[r, "total"] for r in known)


def test_a_published_stock_that_differs_from_the_crosstab_is_refused():
    t = crosstab({"indre": (3, 10, 6), "rest": (100, 110, 54)})
    with pytest.raises(ValueError, match="both must count the same persons"):
        disclosure.protect_linked_crosstab(t, margin={"indre": 20.0}, k=5)


def test_the_gang_table_of_the_report_is_protected_with_the_published_stock(norrebro_demo):
    """The Nørrebro gang table: the demo's register with Indre Nørrebro's rockers set to 2 in the baseline quarter;
    the cell is shown as '*', and no withheld cell of the quarter can be recovered from the shown cells and the
    stock the overview shows."""
    from tryghed import config, partnership
    from tryghed.sources import read_source

    cfg = config.load_pipeline("norrebro")
    tables = {sid: pd.DataFrame() for sid in cfg.sources}
    df = read_source(cfg, "gang_register", norrebro_demo).copy()  # the demo at its own seed, read only
    hit = (df["quarter"] == "2017Q1") & (df["area_id"] == "s-indre-noerrebro") & (df["group_type"] == "rocker")
    assert hit.sum() == 1
    df.loc[hit, "count"] = 2
    tables["gang_register"] = df
    shown = partnership.gang_table(cfg, tables, 2017, "da")
    base = shown[shown["Kvartal"] == "2017K1"].set_index("Område")
    assert base.loc["Indre Nørrebro", "Rockere"] == "*"
    # the crosstab as the report draws it, with the stock the overview shows, attacked by hand
    q = df[(df["quarter"] == "2017Q1") & ~df["gap"].astype(bool)]
    ind = cfg.indicator("gang_members")
    rows = {}
    for a in ("s-indre-noerrebro", "s-ydre-noerrebro"):
        g = q[q["area_id"] == a].set_index("group_type")["count"]
        rows[a] = tuple(int(g[c]) for c in ("rocker", "gang", "other"))
    rest = q[~q["area_id"].isin(rows)].groupby("group_type")["count"].sum()
    rows["rest"] = tuple(int(rest[c]) for c in ("rocker", "gang", "other"))
    t = crosstab(rows)
    names = {"s-indre-noerrebro": "Indre Nørrebro", "s-ydre-noerrebro": "Ydre Nørrebro",
             "all": "Københavns Politikreds"}
    labels = {"rocker": "Rockere", "gang": "Bander", "other": "Øvrige", "total": "I alt"}
    published = pd.DataFrame(np.nan, index=t.index, columns=COLS)
    for r, name in names.items():
        for c, lab in labels.items():
            v = base.loc[name, lab]
            published.loc[r, c] = np.nan if v == "*" else float(v)
    stock = partnership._published_stock(cfg, ind, tables, None, "2017Q1", list(names)[:2] + ["kpk"])
    known = {("all" if a == "kpk" else a): v for a, v in stock.items() if np.isfinite(v)}
    assert known["all"] == t.loc["all", "total"]
    ranges = attack(t, published, known)
    assert ("s-indre-noerrebro", "rocker") in ranges
    for cell, (lo, hi) in ranges.items():
        if cell[0] != "rest":  # the rest row is not shown in the report
            assert hi - lo >= 1, cell
