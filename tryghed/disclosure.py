"""Statistical disclosure control for published tables of person counts (METHODS.md §6).

Two modes:

``"DK"`` (default, stricter Danish practice)
    Primary suppression of person counts 1 ≤ n < k, suppression of zeros that reveal an attribute of a whole small
    group, and complementary suppression over linked tables until no suppressed cell can be recovered exactly from
    the published cells (an exact rank test, not only the one-suppressed-cell-per-line heuristic).
``"rounding"`` (NHS Digital style, for dashboards)
    Every count, totals and the city included, is published as 0, "*" or a multiple of 5: 1–7 -> "*" (at every
    level), ≥ 8 -> nearest multiple of 5; totals come from unrounded data and are rounded afterwards. Where a
    rounded total would still pin the cells starred under it (an integer attack over every published value finds
    one possible value), another cell of the line is starred ("complementary").

The engine works on a generic representation, cell values plus a list of linear :class:`Equation` s (a total equals
the sum of its members; a published year-on-year change equals the difference of two cells), so a district × sex
table with margins (:func:`protect_crosstab`) and the hierarchical area × year indicator table
(:func:`protect_indicator_table`) share the same code (:func:`protect_cells`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from . import stats

log = logging.getLogger(__name__)

MODES = ("DK", "rounding")
#: What a suppressed count shows in a display table.
SUPPRESSED = "*"
#: The ``flags`` entry of an indicator-table row withheld by the disclosure rules.
FLAG = "disclosure"
#: The ``flags`` entry of a survey share withheld for precision (METHODS.md §1.3, rule 7); the wording of i18n.
PRECISION_FLAG = "too_few_answers"
#: A null-space row shorter than this counts as zero: the cell is a linear function of the published cells.
_TOL = 1e-9


# --------------------------------------------------------------------------------------------------------------------
# Generic representation


@dataclass(frozen=True)
class Equation:
    """One published linear identity ``sum(coef * value[cell]) = constant`` between cells of linked tables.

    Build it with :meth:`sum_of` (a total and its members: rows, columns, a district and its survey districts, the
    city and its districts) or :meth:`difference` (a published change between two periods). ``total`` names the
    cell that is the group total of an additive line; it is ``None`` for a difference.
    """

    cells: tuple[int, ...]
    coefs: tuple[float, ...]
    total: int | None = None

    def __post_init__(self):
        if len(self.cells) != len(self.coefs):
            raise ValueError("an equation needs one coefficient per cell")
        if len(self.cells) < 2 or len(set(self.cells)) != len(self.cells):
            raise ValueError(f"an equation needs at least two distinct cells, got {self.cells}")

    @classmethod
    def sum_of(cls, *, total: int, members: Sequence[int]) -> Equation:
        """``value[total] = sum(value[m] for m in members)``."""
        return cls(cells=(int(total), *map(int, members)), coefs=(1.0, *([-1.0] * len(members))), total=int(total))

    @classmethod
    def difference(cls, *, later: int, earlier: int) -> Equation:
        """A published change ``value[later] − value[earlier]``."""
        return cls(cells=(int(later), int(earlier)), coefs=(1.0, -1.0))

    @property
    def members(self) -> tuple[int, ...]:
        return tuple(c for c in self.cells if c != self.total)


@dataclass(frozen=True, eq=False)
class CellProtection:
    """What :func:`protect_cells` publishes, cell by cell (arrays in the order of the input values).

    ``reason`` is ``""`` (published as is), ``"rounded"`` (published rounded), ``"primary"`` (1 ≤ n < k),
    ``"group"`` (a zero revealing an attribute of a whole small group), ``"given"`` (suppressed by the caller),
    ``"complementary"`` (suppressed so that other cells cannot be recovered) or ``"star"`` (1–7 in rounding mode).
    """

    suppressed: np.ndarray
    published: np.ndarray
    reason: tuple[str, ...]
    display: tuple[str, ...]
    unresolved: int


def _as_values(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if not np.isfinite(v).all() or (v < 0).any():
        raise ValueError("person counts must be finite and non-negative")
    return v


def _matrix(n: int, equations: Sequence[Equation]) -> np.ndarray:
    a = np.zeros((len(equations), n))
    for r, eq in enumerate(equations):
        if max(eq.cells) >= n:
            raise ValueError(f"an equation names cell {max(eq.cells)}, but there are only {n} cells")
        a[r, list(eq.cells)] = eq.coefs
    return a


def _null_space(m: np.ndarray) -> np.ndarray:
    """An orthonormal basis of ``{y : m y = 0}`` as columns (SVD; exact enough for small integer matrices)."""
    n = m.shape[1]
    if m.shape[0] == 0:
        return np.eye(n)
    _, s, vh = np.linalg.svd(m)
    tol = max(m.shape) * np.finfo(float).eps * (s[0] if s.size else 0.0)
    rank = int((s > tol).sum())
    return vh[rank:].T


def _forced_zero(m: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which cells are 0 in every non-negative solution of ``m x = m values`` (only true zeros can be).

    Non-negativity can pin a cell that the linear equations alone leave free, e.g. two suppressed zeros whose
    published sum is 0. A candidate is pinned when its maximum is at most 1e-7 (small LPs, scipy HiGHS): one LP
    maximises the sum of the open candidates, and every candidate its solution lifts above 1e-7 is free; that is
    repeated while it frees some. When the sum's maximum is at most 1e-7, so is each open candidate's (all are
    non-negative): they are pinned. Otherwise (no candidate lifted above 1e-7 by itself, or the sum unbounded) each
    open candidate is maximised on its own. The answer is the per-cell LPs', usually from one or two LPs.
    """
    out = np.zeros(m.shape[1], dtype=bool)
    if m.shape[0] == 0:
        return out
    b = m @ values
    todo = np.flatnonzero(values == 0)
    while todo.size > 1:
        c = np.zeros(m.shape[1])
        c[todo] = -1.0
        res = linprog(c, A_eq=m, b_eq=b, bounds=(0, None), method="highs")
        if res.status != 0:
            break
        if -res.fun <= 1e-7:
            out[todo] = True
            return out
        lifted = res.x[todo] > 1e-7
        if not lifted.any():
            break
        todo = todo[~lifted]
    for j in todo:
        c = np.zeros(m.shape[1])
        c[j] = -1.0
        res = linprog(c, A_eq=m, b_eq=b, bounds=(0, None), method="highs")
        out[j] = res.status == 0 and -res.fun <= 1e-7
    return out


def recoverable_cells(*, values, equations: Sequence[Equation], suppressed) -> np.ndarray:
    """Which suppressed cells an attacker can recover exactly from the published cells and the equations.

    Parameters
    ----------
    values : array_like of float
        The true (unrounded) non-negative cell values.
    equations : sequence of Equation
        Every published identity between the cells.
    suppressed : array_like of bool
        The cells that are withheld.

    Returns
    -------
    numpy.ndarray of bool
        True for a suppressed cell whose value is the same in every non-negative solution of the equations given
        the published cells.

    Notes
    -----
    With ``M`` the equation matrix restricted to the suppressed columns, the suppressed values solve
    ``M x = b`` (``b`` known from the published cells). A cell ``i`` is fixed by the equations alone iff the unit
    vector ``e_i`` lies in the row space of ``M``, i.e. iff row ``i`` of a basis of the null space of ``M`` is zero.
    Non-negativity adds the cells that are 0 in every solution (found by LP); the affine hull of the feasible
    polytope is then ``{M x = b, x_Z = 0}`` and the same row-space test on ``[M; e_Z]`` is exact.
    """
    v = _as_values(values)
    s = np.asarray(suppressed, dtype=bool)
    out = np.zeros(v.size, dtype=bool)
    idx = np.flatnonzero(s)
    if idx.size == 0:
        return out
    m = _matrix(v.size, equations)[:, idx]
    m = m[np.any(m != 0, axis=1)]
    pinned = _forced_zero(m, v[idx])
    k = np.vstack([m, np.eye(idx.size)[pinned]])
    null = _null_space(k)
    out[idx] = np.linalg.norm(null, axis=1) < _TOL if null.shape[1] else True
    return out


# --------------------------------------------------------------------------------------------------------------------
# Rules


def _check(*, k: int, mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"disclosure mode must be one of {', '.join(MODES)}, got {mode!r}")
    if int(k) != k or k < 1:
        raise ValueError(f"the disclosure threshold k must be a whole number ≥ 1, got {k!r}")


def round_count(value: float, *, base: int = 5, star_max: int = 7) -> float:
    """A count as the rounding mode publishes it: 0 -> 0, 1..``star_max`` -> NaN ("*"), else the nearest ``base``.

    Halves round up (integers never fall on a half when ``base`` is 5).
    """
    if value < 0 or not np.isfinite(value):
        raise ValueError(f"a count must be finite and non-negative, got {value!r}")
    if value == 0:
        return 0.0
    if value <= star_max:
        return float("nan")
    return float(base * np.floor(value / base + 0.5))


def count_label(value: float) -> str:
    """The display string of a published count: ``"*"`` for a withheld (NaN) count, else the whole number."""
    return SUPPRESSED if not np.isfinite(value) else f"{value:.0f}"


def primary_cells(*, values, k: int) -> np.ndarray:
    """Cells with 1 ≤ n < k (METHODS.md §6 rule 2).

    The rule applies to city cells too: they are exempt from suppression only while the group itself is not small
    (rule 1); the exemption matters for complementary suppression, which never picks a city cell unless it must.
    """
    v = _as_values(values)
    return (v >= 1) & (v < k)


def group_zero_cells(*, values, equations: Sequence[Equation], k: int, reveal_total: int = 10) -> np.ndarray:
    """Zero cells that reveal an attribute of a whole small group (METHODS.md §6 rule 2, suggested rule).

    For every additive line (a group total and its members) with total T ≥ 1, the zero members are suppressed when
    T < ``k`` or when a member equals T while T < ``reveal_total`` ("all 4 in group X were charged" implies 0 not
    charged). A zero in an empty group (T = 0) reveals nothing about anyone and stays published.
    """
    v = _as_values(values)
    out = np.zeros(v.size, dtype=bool)
    for eq in equations:
        if eq.total is None:
            continue
        t = v[eq.total]
        members = np.asarray(eq.members)
        if t >= 1 and (t < k or (t < reveal_total and (v[members] == t).any())):
            out[members[v[members] == 0]] = True
    return out


def _candidates(cells: Iterable[int], *, v, s, exempt, totals) -> list[int]:
    """Unsuppressed cells, best complementary choice first: non-city, non-zero, smallest, a member before a total,
    then the lowest index (deterministic)."""
    return sorted({c for c in cells if not s[c]}, key=lambda c: (bool(exempt[c]), v[c] == 0, v[c], c in totals, c))


def _single_line_pass(v, equations, s, reason, exempt) -> None:
    """The textbook heuristic: while a line has exactly one suppressed cell, suppress its best candidate."""
    changed = True
    while changed:
        changed = False
        for eq in equations:
            if sum(s[c] for c in eq.cells) != 1:
                continue
            cand = _candidates(eq.cells, v=v, s=s, exempt=exempt, totals={eq.total})
            if cand:
                s[cand[0]] = True
                reason[cand[0]] = "complementary"
                changed = True


def _frees(v, equations, s, *, add: int, cell: int) -> bool:
    """Whether also suppressing ``add`` makes ``cell`` unrecoverable."""
    trial = s.copy()
    trial[add] = True
    return not recoverable_cells(values=v, equations=equations, suppressed=trial)[cell]


def _complementary(v, equations, s, reason, exempt) -> int:
    """Suppress more cells until no suppressed cell is recoverable; return how many stay recoverable (0)."""
    totals = {eq.total for eq in equations if eq.total is not None}
    while True:
        _single_line_pass(v, equations, s, reason, exempt)
        rec = recoverable_cells(values=v, equations=equations, suppressed=s)
        if not rec.any():
            return 0
        i = int(np.flatnonzero(rec)[0])
        lines = [eq for eq in equations if i in eq.cells]
        cand = _candidates((c for eq in lines for c in eq.cells), v=v, s=s, exempt=exempt, totals=totals)
        if not cand:
            linked = [eq for eq in equations if any(s[c] for c in eq.cells)]
            cand = _candidates((c for eq in linked for c in eq.cells), v=v, s=s, exempt=exempt, totals=totals)
        if not cand:
            log.warning("%d suppressed cells stay recoverable: every linked cell is already suppressed", rec.sum())
            return int(rec.sum())
        pick = next((c for c in cand if _frees(v, equations, s, add=c, cell=i)), cand[0])
        s[pick] = True
        reason[pick] = "complementary"


# --------------------------------------------------------------------------------------------------------------------
# Rounding mode: what an attacker knows, and the integer attack


def rounded_interval(published: float, *, reason: str, k: int, base: int = 5, star_max: int = 7) -> tuple[float, float]:
    """The whole values a cell can hold, given what rounding mode published for it and why.

    Parameters
    ----------
    published : float
        The published value: 0, a multiple of ``base``, or NaN (shown as ``*``).
    reason : str
        The cell's :class:`CellProtection` reason. The attacker is assumed to know it (the strongest attacker: a
        ``*`` for a small count and a ``*`` added for protection are told apart).
    k, base, star_max : int
        As in :func:`protect_cells`; counts 1..max(``star_max``, k - 1) are starred.

    Returns
    -------
    tuple of float
        ``(lowest, highest)``; ``highest`` is ``inf`` for a cell withheld with no range implied.
    """
    small = max(star_max, k - 1)
    if reason in ("star", "primary"):
        return 1.0, float(small)
    if reason == "given":
        return 0.0, math.inf
    if reason == "complementary":
        return float(small + 1), math.inf
    if published == 0:
        return 0.0, 0.0
    half = base / 2
    lo, hi = math.ceil(published - half), math.ceil(published + half) - 1  # halves round up
    return float(max(lo, small + 1)), float(hi)


def _components(n: int, equations: Sequence[Equation]) -> list[tuple[list[int], list[int]]]:
    """Cells linked by equations, as (cells, equation indices) per connected component."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for eq in equations:
        for c in eq.cells[1:]:
            parent[find(c)] = find(eq.cells[0])
    cells: dict[int, list[int]] = {}
    for i in range(n):
        cells.setdefault(find(i), []).append(i)
    eqs: dict[int, list[int]] = {}
    for r, eq in enumerate(equations):
        eqs.setdefault(find(eq.cells[0]), []).append(r)
    return [(c, eqs.get(root, [])) for root, c in cells.items()]


def integer_ranges(*, values, equations: Sequence[Equation], lower, upper, cells: Iterable[int],
                   _movable_only: bool = False) -> np.ndarray:
    """Smallest and largest whole value of each of ``cells`` over every integer solution an attacker must consider.

    Parameters
    ----------
    values : array_like of float
        The true cell values: each equation's constant is taken from them (``sum(coef * value)``), so the attacker
        knows every published identity exactly.
    equations : sequence of Equation
    lower, upper : array_like of float
        What the published table says about each cell (:func:`rounded_interval`); ``upper`` may be ``inf``.
    cells : iterable of int
        The cells to bound.

    Returns
    -------
    numpy.ndarray
        One ``(min, max)`` row per requested cell (``max`` may be ``inf``).

    Notes
    -----
    Two mixed-integer programs per cell (scipy ``milp``, HiGHS) over the cell's connected component of equations.
    ``_movable_only`` (for :func:`_pinned`, which only asks whether ``max - min < 0.5``): the max is solved first,
    and when the true values lie within the bounds and the max exceeds the cell's true value by 0.5 or more, the
    min is not solved and the true value stands in for it (the min is at most that value).
    """
    v = _as_values(values)
    lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    want = list(cells)
    out = np.zeros((len(want), 2))
    where = {c: j for j, c in enumerate(want)}
    a_full = _matrix(v.size, equations)
    for comp, rows in _components(v.size, equations):
        asked = [c for c in comp if c in where]
        if not asked:
            continue
        col = {c: j for j, c in enumerate(comp)}
        a = a_full[np.ix_(rows, comp)] if rows else np.zeros((0, len(comp)))
        b = a @ v[comp]
        cons = [LinearConstraint(a, b, b)] if rows else []
        bounds = Bounds(lo[comp], hi[comp])
        # whole counts: an integer program; a fractional value (a weighted count) leaves the linear relaxation
        whole = np.ones(len(comp)) if np.array_equal(v[comp], np.round(v[comp])) else np.zeros(len(comp))
        feasible = _movable_only and bool(np.all((lo[comp] <= v[comp]) & (v[comp] <= hi[comp])))
        for c in asked:
            obj = np.zeros(len(comp))
            obj[col[c]] = 1.0
            ends = {}
            for sign in (-1.0, 1.0):  # the max first
                if sign > 0 and feasible and ends[-1.0] - v[c] >= 0.5:
                    ends[1.0] = v[c]  # the min is at most the true value: the cell moves by 0.5 or more
                    break
                res = milp(sign * obj, constraints=cons, integrality=whole, bounds=bounds)
                if res.status == 0:
                    end = sign * res.fun
                elif sign < 0 and not np.isfinite(hi[c]):
                    end = math.inf  # unbounded above
                else:
                    raise RuntimeError(f"the attacker's integer program for cell {c} failed: {res.message}")
                ends[sign] = end if not whole.any() or math.isinf(end) else round(end)
            out[where[c]] = (ends[1.0], ends[-1.0])
    return out


def _pinned(*, values, equations: Sequence[Equation], lower, upper, cells: Sequence[int]) -> np.ndarray:
    """Whether each of ``cells`` is pinned to one whole value (``max - min < 0.5`` in :func:`integer_ranges`)."""
    rng = integer_ranges(values=values, equations=equations, lower=lower, upper=upper, cells=cells,
                         _movable_only=True)
    return rng[:, 1] - rng[:, 0] < 0.5


def _rounding_intervals(published, reason, *, k, base, star_max) -> tuple[np.ndarray, np.ndarray]:
    pairs = [rounded_interval(p, reason=r, k=k, base=base, star_max=star_max) for p, r in zip(published, reason)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def _protect_rounded(v, equations, published, reason, exempt, *, k, base, star_max) -> int:
    """Star more cells until no starred cell is pinned to one whole value; return how many stay pinned (0).

    A published rounded total over starred cells can leave exactly one value for them (four cells of 1–7 under a
    published 30 must all be 7). While a starred cell is pinned, the rounded cell of one of its lines (non-city
    first, then the smallest, then a member before a total) whose starring unpins it is starred as well
    ("complementary"); the attacker then knows only that that cell is at least 8 (at city level: at least k).
    """
    totals = {eq.total for eq in equations if eq.total is not None}
    given_up: set[int] = set()

    def still_pinned() -> int:
        if not given_up:
            return 0
        lo, hi = _rounding_intervals(published, reason, k=k, base=base, star_max=star_max)
        return int(_pinned(values=v, equations=equations, lower=lo, upper=hi, cells=sorted(given_up)).sum())

    while True:
        stars = [i for i in np.flatnonzero(np.isnan(published)) if i not in given_up]
        if not stars or not equations:
            return still_pinned()
        lo, hi = _rounding_intervals(published, reason, k=k, base=base, star_max=star_max)
        pinned = [c for c, p in zip(stars, _pinned(values=v, equations=equations, lower=lo, upper=hi, cells=stars))
                  if p]
        if not pinned:
            return still_pinned()
        i = int(pinned[0])

        def rounded(cells) -> list[int]:
            return sorted((c for c in cells if not np.isnan(published[c]) and published[c] > 0),
                          key=lambda c: (bool(exempt[c]), v[c], c in totals, c))

        cand = rounded({c for eq in equations if i in eq.cells for c in eq.cells})
        if not cand:  # every cell of its lines is starred or 0: look further along the linked lines
            comp = next(cells for cells, _ in _components(v.size, equations) if i in cells)
            cand = rounded(comp)
        if not cand:
            log.warning("rounding mode: a starred cell stays recoverable, every linked cell is starred or 0")
            given_up.add(i)
            continue

        def frees(c: int, i: int = i) -> bool:
            trial_p, trial_r = published.copy(), list(reason)
            trial_p[c], trial_r[c] = np.nan, "complementary"
            tl, th = _rounding_intervals(trial_p, trial_r, k=k, base=base, star_max=star_max)
            return not _pinned(values=v, equations=equations, lower=tl, upper=th, cells=[i])[0]

        pick = next((c for c in cand if frees(c)), cand[0])
        published[pick] = np.nan
        reason[pick] = "complementary"


def protect_cells(*, values, equations: Sequence[Equation] = (), exempt=None, given=None, k: int = 5,
                  mode: str = "DK", reveal_total: int = 10, base: int = 5, star_max: int = 7) -> CellProtection:
    """Apply the disclosure rules of METHODS.md §6 to person-count cells linked by linear equations.

    Parameters
    ----------
    values : array_like of float
        True (unrounded) person counts, one per cell, including totals.
    equations : sequence of Equation
        Every published identity between the cells (totals and their members; published changes).
    exempt : array_like of bool, optional
        City-level cells: picked for complementary suppression only as a last resort. In DK mode they are not
        suppressed unless 1 ≤ n < k (the group itself is small); in rounding mode they are rounded like every cell.
    given : array_like of bool, optional
        Cells already withheld by the caller (e.g. a share's group rule); complementary suppression protects them.
    k : int
        Primary threshold: 1 ≤ n < k is suppressed (DK mode); 5 for sensitive topics, 3 is the DST minimum.
    mode : {"DK", "rounding"}
    reveal_total : int
        Group rule: a member equal to its group total reveals the group's attribute while the total is below this.
    base, star_max : int
        Rounding mode: counts 1..``star_max`` show "*", larger counts the nearest multiple of ``base``.

    Returns
    -------
    CellProtection
        Suppression mask, published values (NaN where withheld; rounded in rounding mode), the rule per cell,
        display strings and the number of cells left recoverable (0 unless every linked cell is suppressed).

    Notes
    -----
    DK mode: primary suppression (1 ≤ n < k), zero cells revealing a small group (:func:`group_zero_cells`), then
    complementary suppression. First the heuristic of rule 5 (while a line has exactly one suppressed cell,
    suppress its smallest non-zero unsuppressed cell, a member before the total, lowest index on ties), then the
    exact check of :func:`recoverable_cells`; while a cell is recoverable, the candidate from its lines that makes it
    unrecoverable (in the same order) is suppressed, and the heuristic runs again.
    Rounding mode (rule 6): every count is published as 0, ``*`` or a multiple of ``base``, totals and the city
    included: 1..max(``star_max``, k - 1) -> ``*`` at every level (so a small city group is starred too), larger
    counts the nearest multiple of ``base``. Totals are rounded from their own unrounded values. Then, because a
    rounded total can still pin starred cells (a total over four starred cells published as 30 means
    7 + 7 + 7 + 7), the integer attack of :func:`integer_ranges` is run on the published values with
    :func:`rounded_interval`, and while a starred cell has one possible value a rounded cell of its lines (of the
    linked lines when its own have none) is starred too ("complementary"). ``unresolved`` counts the starred cells
    that stay pinned for an attacker who knows why each ``*`` is there, which happens only when every linked cell
    is already starred or 0 (e.g. seven cells of 1 under a starred total of 7); to an attacker who sees only ``*``
    (1–7, or a withheld larger count) they are not pinned.
    """
    _check(k=k, mode=mode)
    v = _as_values(values)
    n = v.size
    ex = np.zeros(n, dtype=bool) if exempt is None else np.asarray(exempt, dtype=bool)
    gv = np.zeros(n, dtype=bool) if given is None else np.asarray(given, dtype=bool)
    equations = list(equations)
    _matrix(n, equations)
    reason = [""] * n
    s = np.zeros(n, dtype=bool)
    unresolved = 0
    if mode == "DK":
        group = group_zero_cells(values=v, equations=equations, k=k, reveal_total=reveal_total)
        for mask, label in ((primary_cells(values=v, k=k), "primary"), (group, "group"), (gv, "given")):
            for i in np.flatnonzero(mask & ~s):
                reason[i] = label
            s |= mask
        unresolved = _complementary(v, equations, s, reason, ex)
        published = np.where(s, np.nan, v)
    else:
        small = max(star_max, k - 1)
        published = np.array([round_count(x, base=base, star_max=small) for x in v])
        published[gv] = np.nan
        for i in range(n):
            if gv[i]:
                reason[i] = "given"
            elif np.isnan(published[i]):
                reason[i] = "star"
            elif published[i] != v[i]:
                reason[i] = "rounded"
        unresolved = _protect_rounded(v, equations, published, reason, ex, k=k, base=base, star_max=star_max)
        s = np.isnan(published)
    return CellProtection(suppressed=s, published=published, reason=tuple(reason),
                          display=tuple(count_label(x) for x in published), unresolved=unresolved)


# --------------------------------------------------------------------------------------------------------------------
# A two-way table with margins


@dataclass(frozen=True, eq=False)
class CrosstabProtection:
    """A protected two-way table: display strings, published values, suppression mask and rule per cell."""

    display: pd.DataFrame
    published: pd.DataFrame
    suppressed: pd.DataFrame
    reason: pd.DataFrame
    unresolved: int


def crosstab_equations(shape: tuple[int, int]) -> list[Equation]:
    """The margin identities of a table whose last row and last column are totals, cells numbered row-major.

    Rows first (each row's total = sum of its cells, the total row included), then columns (each column's
    total-row cell = sum of the column above it, the total column included).
    """
    nr, nc = shape
    cell = np.arange(nr * nc).reshape(nr, nc)
    rows = [Equation.sum_of(total=cell[r, -1], members=cell[r, :-1]) for r in range(nr)]
    cols = [Equation.sum_of(total=cell[-1, c], members=cell[:-1, c]) for c in range(nc)]
    return rows + cols


def protect_crosstab(table: pd.DataFrame, *, k: int = 5, mode: str = "DK", total_row_is_city: bool = True,
                     reveal_total: int = 10) -> CrosstabProtection:
    """Protect a two-way table of person counts (e.g. district × sex) whose last row and column are the margins.

    Parameters
    ----------
    table : pandas.DataFrame
        Whole, non-negative counts; the last row holds the column totals (all districts) and the last column the
        row totals. The margins must add up.
    k, mode, reveal_total
        As in :func:`protect_cells`.
    total_row_is_city : bool
        The total row is city level: exempt from rounding and a last-resort complementary cell.

    Returns
    -------
    CrosstabProtection
    """
    v = table.to_numpy(dtype=float)
    if not np.allclose(v[:-1, :-1].sum(axis=1), v[:-1, -1]) or not np.allclose(v[:-1, :].sum(axis=0), v[-1, :]):
        raise ValueError("the margins do not add up: the last row and column must be the totals of the cells")
    exempt = np.zeros(v.shape, dtype=bool)
    exempt[-1, :] = total_row_is_city
    res = protect_cells(values=v.ravel(), equations=crosstab_equations(v.shape), exempt=exempt.ravel(), k=k,
                        mode=mode, reveal_total=reveal_total)

    def frame(x) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(x, dtype=object).reshape(v.shape), index=table.index, columns=table.columns)

    return CrosstabProtection(display=frame(res.display), published=frame(res.published).astype(float),
                              suppressed=frame(res.suppressed).astype(bool), reason=frame(res.reason),
                              unresolved=res.unresolved)


# --------------------------------------------------------------------------------------------------------------------
# The tidy indicator table


@dataclass(frozen=True)
class DisclosureRecord:
    """Which rule was applied to how many cells of the indicator table, and the method note in both languages.

    ``primary`` 1 ≤ n < k; ``group_zero`` zeros revealing a small group (including a share whose population is
    small or wholly in the numerator); ``complementary`` cells withheld so that others cannot be recovered;
    ``derived`` shares and CIs withheld with their count (rules 3 and 8); ``small_denominator`` shares with a
    denominator below the limit; ``starred`` and ``rounded`` counts in rounding mode; ``survey_precision`` survey
    shares from too few answers; ``answer_counts_hidden`` respondent counts below k; ``unresolved`` cells that
    remain recoverable (0 unless every linked cell is withheld).
    """

    mode: str
    k: int
    cells_checked: int
    primary: int
    group_zero: int
    complementary: int
    derived: int
    small_denominator: int
    starred: int
    rounded: int
    survey_precision: int
    answer_counts_hidden: int
    unresolved: int
    note_da: str
    note_en: str


@dataclass(frozen=True, eq=False)
class ProtectedTable:
    """The published indicator table and the record of the rules applied to it."""

    table: pd.DataFrame
    record: DisclosureRecord


def method_note(*, mode: str, k: int, lang: str, min_denominator: int = 10, reveal_total: int = 10,
                min_answers: int | None = None, base: int = 5, star_max: int = 7) -> str:
    """The method note on disclosure control for the report, in Danish (``"da"``) or English (``"en"``)."""
    _check(k=k, mode=mode)
    da = lang == "da"
    if mode == "DK":
        text = (
            f"Personantal under {k} er undertrykt (vist som {SUPPRESSED}), og et nul er undertrykt, når det afslører "
            f"noget om alle i en lille gruppe (under {k} personer, eller alle i en gruppe under {reveal_total} har "
            "samme værdi). Yderligere celler er undertrykt, så ingen undertrykt celle kan regnes præcist tilbage ud "
            "fra totaler, bydele, byen og forskelle mellem år. Andele og konfidensintervaller bygget på et "
            f"undertrykt antal er også undertrykt, og andele med en nævner under {min_denominator} vises ikke."
        ) if da else (
            f"Person counts below {k} are suppressed (shown as {SUPPRESSED}), and a zero is suppressed when it reveals "
            f"something about everyone in a small group (fewer than {k} persons, or all of a group under "
            f"{reveal_total} sharing the same value). Further cells are suppressed so that no suppressed cell can be "
            "recovered exactly from totals, districts, the city or year-on-year differences. Shares and confidence "
            "intervals based on a suppressed count are suppressed too, and shares with a denominator below "
            f"{min_denominator} are not shown."
        )
    else:
        text = (
            f"Alle personantal, også totaler og tal for hele byen, er afrundet til nærmeste {base}; antal på "
            f"1–{max(star_max, k - 1)} vises som {SUPPRESSED} og 0 som 0. "
            "Totaler er beregnet af de uafrundede tal og derefter afrundet. Hvor de offentliggjorte tal stadig ville "
            f"afsløre præcis et antal bag en {SUPPRESSED} (fx en afrundet total over flere {SUPPRESSED}), er endnu et "
            f"tal i samme sum vist som {SUPPRESSED}. Andele og konfidensintervaller er beregnet af de afrundede "
            f"antal, og andele med en nævner under {min_denominator} vises ikke."
        ) if da else (
            f"All person counts, totals and city figures included, are rounded to the nearest {base}; counts of "
            f"1–{max(star_max, k - 1)} are shown as {SUPPRESSED} and 0 as 0. "
            "Totals are computed from the unrounded figures and then rounded. Where the published figures would "
            f"still reveal the exact count behind a {SUPPRESSED} (e.g. a rounded total over several "
            f"{SUPPRESSED}), another count of the same sum is shown as {SUPPRESSED} too. Shares and confidence "
            "intervals are computed from the rounded counts, and shares with a denominator below "
            f"{min_denominator} are not shown."
        )
    if min_answers is not None:
        text += (
            f" Andele fra spørgeskemaundersøgelsen vises ikke, når de bygger på færre end {min_answers} besvarelser, "
            f"og antal besvarelser under {k} vises ikke." if da else
            f" Survey shares based on fewer than {min_answers} answers are not shown, and numbers of answers below "
            f"{k} are not shown."
        )
    return text


def _add_flag(flags: pd.Series, mask, flag: str) -> pd.Series:
    def add(f: str) -> str:
        parts = [p for p in f.split(";") if p]
        return ";".join(parts if flag in parts else [*parts, flag])

    out = flags.copy()
    out[mask] = out[mask].map(add)
    return out


def _hierarchy_equations(keys: list[tuple[str, int]], parents: Mapping[str, str | None]) -> list[Equation]:
    """Per period, every present area's nearest present ancestor = the sum of the areas that map to it.

    Areas of a level absent from the table (e.g. no district level) are skipped: the survey districts then add up
    to the city. Children missing from the table are treated as published zeros.
    """
    pos = {key: i for i, key in enumerate(keys)}
    groups: dict[tuple[str, int], list[int]] = {}
    for (area, period), i in pos.items():
        up = parents[area]
        while up is not None and (up, period) not in pos:
            up = parents.get(up)
        if up is not None:
            groups.setdefault((up, period), []).append(i)
    return [Equation.sum_of(total=pos[g], members=m) for g, m in groups.items()]


def _protect_person_indicator(sub: pd.DataFrame, *, parents, changes, k, mode, min_denominator, reveal_total):
    """Protect the rows of one person-count indicator; return the new columns and the rule counts."""
    iid = sub["indicator_id"].iloc[0]
    missing = sorted(set(sub["area_id"]) - set(parents))
    if missing:
        raise ValueError(f"indicator {iid}: areas {', '.join(missing)} are not in the area hierarchy")
    num = sub["numerator"].to_numpy(dtype=float)
    den = sub["denominator"].to_numpy(dtype=float)
    has_num = np.isfinite(num)
    if (num[has_num] < 0).any():
        raise ValueError(f"indicator {iid}: person counts must be non-negative")
    rows = np.flatnonzero(has_num)
    keys = [(a, int(p)) for a, p in zip(sub["area_id"].iloc[rows], sub["period"].iloc[rows])]
    if len(set(keys)) != len(keys):
        raise ValueError(f"indicator {iid}: more than one row per area and period")
    v, d = num[rows], den[rows]
    has_den = np.isfinite(d) & (d > 0)
    # The share's own group is its population: "0 of 3" or "all 7 of 7" reveals everyone's attribute.
    den_group = has_den & ((d < k) | ((d < reveal_total) & ((v == 0) | (v == d))))
    given = sub["suppressed"].to_numpy(dtype=bool)[rows] | (den_group if mode == "DK" else False)
    equations = _hierarchy_equations(keys, parents)
    pos = {key: i for i, key in enumerate(keys)}
    # In rounding mode a change is computed from the published (rounded) counts and withheld with a starred one
    # (protect_change_table), so it tells an attacker nothing the published cells do not.
    for area, ref, period in changes if mode == "DK" else ():
        if (area, ref) in pos and (area, period) in pos:
            equations.append(Equation.difference(later=pos[(area, period)], earlier=pos[(area, ref)]))
    exempt = np.array([parents[a] is None for a, _ in keys], dtype=bool)
    res = protect_cells(values=v, equations=equations, exempt=exempt, given=given, k=k, mode=mode,
                        reveal_total=reveal_total)
    reason = np.asarray(res.reason)
    counts = dict(cells_checked=len(rows), primary=int((reason == "primary").sum()),
                  group_zero=int(((reason == "group") | ((reason == "given") & den_group & (mode == "DK"))).sum()),
                  complementary=int((reason == "complementary").sum()), starred=int((reason == "star").sum()),
                  rounded=int((reason == "rounded").sum()), derived=int((res.suppressed & has_den).sum()),
                  unresolved=res.unresolved)

    new = sub[["numerator", "estimate", "ci_low", "ci_high", "suppressed", "method"]].copy()
    idx = sub.index[rows]
    new.loc[idx, "numerator"] = res.published
    est = sub["estimate"].to_numpy(dtype=float)[rows]
    # A share scales with its count: estimate * published / true (unchanged in DK mode, rounded in rounding mode).
    scaled = np.where(v > 0, est * res.published / np.where(v > 0, v, 1.0), est)
    new.loc[idx, "estimate"] = np.where(res.suppressed, np.nan, np.where(has_den, scaled, res.published))
    new.loc[idx[res.suppressed], ["ci_low", "ci_high"]] = np.nan
    if mode == "rounding":  # every count is rounded, the city's too: shares and CIs come from the rounded counts
        percent = has_den & (sub["unit"].iloc[rows].to_numpy() == "percent") & ~res.suppressed
        new.loc[idx[has_den & ~percent], ["ci_low", "ci_high"]] = np.nan
        for j in np.flatnonzero(percent):
            ci = stats.person_share(count=int(res.published[j]), population=int(d[j]))
            new.loc[idx[j], ["estimate", "ci_low", "ci_high"]] = [100 * ci.estimate, 100 * ci.ci_low,
                                                                   100 * ci.ci_high]
            new.loc[idx[j], "method"] = f"{ci.method} from the rounded count (disclosure control)"
    small_den = has_den & (d < min_denominator) & ~res.suppressed
    new.loc[idx[small_den], ["estimate", "ci_low", "ci_high"]] = np.nan
    counts["small_denominator"] = int(small_den.sum())
    withheld = np.zeros(len(sub), dtype=bool)
    withheld[rows] = res.suppressed | small_den
    new["suppressed"] = new["suppressed"].to_numpy(dtype=bool) | withheld
    return new, withheld, counts


def protect_indicator_table(table: pd.DataFrame, *, parents: Mapping[str, str | None], person_ids: Collection[str],
                            survey_ids: Collection[str] = (), denominator_person_ids: Collection[str] = (),
                            k: int = 5, mode: str = "DK",
                            published_changes: Iterable[tuple[str, str, int, int]] = (), min_answers: int = 50,
                            min_denominator: int = 10, reveal_total: int = 10) -> ProtectedTable:
    """The published indicator table: METHODS.md §6 applied to person counts and §1.3 precision to survey shares.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy indicator table (:data:`tryghed.indicators.COLUMNS`), true unrounded values.
    parents : mapping of str to str or None
        Every area id -> its parent's id; ``None`` for the city (in DK mode exempt unless its group is small; in
        rounding mode rounded and starred like every count).
    person_ids : collection of str
        Indicators whose numerator counts persons (e.g. ``youth_charged``, ``gang_members``). Other rows (counts of
        areas, institutions, days) are exempt and pass unchanged.
    survey_ids : collection of str
        Weighted survey shares: withheld when ``n_unweighted < min_answers`` (precision, not disclosure).
    k : int
        Primary threshold (the pipeline's ``disclosure.k``).
    mode : {"DK", "rounding"}
    published_changes : iterable of (indicator_id, area_id, ref_period, period)
        Year-on-year changes that will be published whether or not their two cells are (a linked table); each adds
        the equation ``cell(period) − cell(ref_period) = change``. Changes published only where both cells are
        published need not be listed: they add nothing an attacker does not already know. Ignored in rounding
        mode, whose changes come from the published counts (:func:`protect_change_table`).
    min_answers, min_denominator, reveal_total : int
        Survey precision limit, the smallest denominator of a published share, and the group rule's limit.

    Returns
    -------
    ProtectedTable
        ``table``: same rows and columns; withheld numerators, estimates and CIs are NaN (display them with
        :func:`count_label`), ``suppressed`` is True and ``flags`` holds ``disclosure`` (``too_few_answers`` for
        survey precision). In rounding mode the published numerators are rounded and shares and their Wilson CIs
        recomputed from the rounded counts. ``record``: a :class:`DisclosureRecord`.

    Notes
    -----
    Cells are linked per indicator: within each period the nearest present ancestor of an area equals the sum of
    its areas (city = districts, district = survey districts), plus the listed changes. The denominators of
    person shares (register populations) are public core demographics and are published unchanged. A share's own
    group rule (population below k, or below ``reveal_total`` with nobody or everybody counted) applies in DK mode
    only; rounding mode publishes 0 as 0 (rule 6).
    """
    _check(k=k, mode=mode)
    out = table.copy()
    out["flags"] = out["flags"].fillna("").astype(str)
    out["suppressed"] = out["suppressed"].astype(bool)
    totals = dict.fromkeys(("cells_checked", "primary", "group_zero", "complementary", "derived", "small_denominator",
                            "starred", "rounded", "unresolved"), 0)
    changes: dict[str, list[tuple[str, int, int]]] = {}
    for iid, area, ref, period in published_changes:
        changes.setdefault(iid, []).append((area, int(ref), int(period)))
    for iid in [i for i in out["indicator_id"].unique() if i in set(person_ids)]:
        sub = out[out["indicator_id"] == iid]
        new, withheld, counts = _protect_person_indicator(sub, parents=parents, changes=changes.get(iid, ()), k=k,
                                                          mode=mode, min_denominator=min_denominator,
                                                          reveal_total=reveal_total)
        out.loc[new.index, new.columns] = new
        out["flags"] = _add_flag(out["flags"], sub.index[withheld], FLAG)
        for key, n in counts.items():
            totals[key] += n
    # Shares whose denominator counts persons too (e.g. identified young people, of whom those with a concern talk):
    # the denominators are controlled as person counts of their own, and a share over a withheld one is withheld.
    for iid in [i for i in out["indicator_id"].unique() if i in set(denominator_person_ids)]:
        sub = out[(out["indicator_id"] == iid) & np.isfinite(out["denominator"].astype(float))]
        if sub.empty:
            continue
        pseudo = sub.assign(numerator=sub["denominator"], estimate=sub["denominator"], denominator=np.nan,
                            ci_low=np.nan, ci_high=np.nan, suppressed=False, unit="count")
        new, withheld, counts = _protect_person_indicator(pseudo, parents=parents, changes=(), k=k, mode=mode,
                                                          min_denominator=min_denominator, reveal_total=reveal_total)
        out.loc[sub.index, ["denominator", "n_unweighted", "n_effective"]] = \
            np.repeat(new["numerator"].to_numpy(dtype=float)[:, None], 3, axis=1)
        gone = sub.index[withheld]
        out.loc[gone, ["numerator", "denominator", "estimate", "ci_low", "ci_high", "n_unweighted",
                       "n_effective"]] = np.nan
        out.loc[gone, "suppressed"] = True
        out["flags"] = _add_flag(out["flags"], gone, FLAG)
        for key, n in counts.items():
            totals[key] += n
    survey = out["indicator_id"].isin(set(survey_ids))
    n_unw = out["n_unweighted"].astype(float)
    few = survey & ((n_unw < min_answers) | out["suppressed"])
    out.loc[few, ["numerator", "estimate", "ci_low", "ci_high"]] = np.nan
    out.loc[few, "suppressed"] = True
    out["flags"] = _add_flag(out["flags"], few, PRECISION_FLAG)
    tiny = survey & (n_unw < k)
    out.loc[tiny, ["n_unweighted", "n_effective"]] = np.nan
    notes = {lang: method_note(mode=mode, k=k, lang=lang, min_denominator=min_denominator, reveal_total=reveal_total,
                               min_answers=min_answers if len(survey_ids) else None) for lang in ("da", "en")}
    record = DisclosureRecord(mode=mode, k=int(k), survey_precision=int(few.sum()),
                              answer_counts_hidden=int(tiny.sum()), note_da=notes["da"], note_en=notes["en"], **totals)
    if record.unresolved:
        log.warning("disclosure: %d cells stay recoverable although every linked cell is withheld", record.unresolved)
    return ProtectedTable(table=out, record=record)


def protect_change_table(changes: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Withhold every change whose period or reference period is withheld by disclosure control in ``published``.

    Run :func:`tryghed.changes.change_table` on the *published* indicator table (so tests, q-values and, in rounding
    mode, differences come from published values), then pass its result here: the rows that touch a
    disclosure-withheld cell get ``flags = "disclosure"`` instead of ``too_few_answers``, with the change, its CI,
    test and q-value blanked and the withheld estimate(s) NaN.
    """
    hidden = published["suppressed"].astype(bool) & published["flags"].fillna("").str.split(";").map(
        lambda parts: FLAG in parts)
    keys = set(zip(published.loc[hidden, "indicator_id"], published.loc[hidden, "area_id"],
                   published.loc[hidden, "period"].astype(int)))
    out = changes.copy()
    if out.empty:
        return out
    cur = np.array([k in keys for k in zip(out["indicator_id"], out["area_id"], out["period"].astype(int))])
    ref = np.array([k in keys for k in zip(out["indicator_id"], out["area_id"], out["ref_period"].astype(int))])
    hit = cur | ref
    blank = [c for c in ("change", "ci_low", "ci_high", "statistic", "pvalue", "qvalue") if c in out.columns]
    out.loc[hit, blank] = np.nan
    out.loc[cur, "estimate"] = np.nan
    out.loc[ref, "ref_estimate"] = np.nan
    out.loc[hit, "flags"] = FLAG
    out.loc[hit, "method"] = "not published (disclosure control)"
    if "significant" in out.columns:
        out.loc[hit, "significant"] = False
    return out


def protect_pipeline_table(pipeline, table: pd.DataFrame, *, min_answers: int = 50) -> ProtectedTable:
    """:func:`protect_indicator_table` with the pipeline's area hierarchy, person indicators, ``k`` and mode."""
    return protect_indicator_table(
        table, parents={a.id: a.parent for a in pipeline.areas},
        person_ids={i.id for i in pipeline.indicators if i.persons},
        survey_ids={i.id for i in pipeline.indicators if i.impl.survey},
        denominator_person_ids={i.id for i in pipeline.indicators if i.persons and i.impl.denominator_persons},
        k=pipeline.disclosure_k, mode=pipeline.disclosure_mode, min_answers=min_answers)


# --------------------------------------------------------------------------------------------------------------------
# A published crosstab whose margin another published table also shows (e.g. the gang register by group type × area
# beside the indicator table's stock per area)


def protect_linked_crosstab(table: pd.DataFrame, *, margin: pd.Series | Mapping | None = None, k: int = 5,
                            mode: str = "DK", total_row_is_city: bool = True, reveal_total: int = 10
                            ) -> CrosstabProtection:
    """Protect a two-way table of person counts on its own, consistently with another table showing its margin.

    The crosstab (rows: disjoint areas, the last row their whole; columns: e.g. group types, the last column the
    row totals) passes disclosure control as its own table (METHODS.md §6), and its total column is the same
    numbers as the stock per area that the indicator table publishes. ``margin`` gives, per row label, what that
    other table shows: a number where it publishes the row's total, NaN where it withholds it; rows not in
    ``margin`` are shown nowhere else. Consistency, so that no difference attack combines the two tables:

    * a total the other table withholds is withheld here too (rule ``"given"``), and complementary suppression
      protects it within the crosstab;
    * a total the other table publishes is public: it is shown here as published there and is never counted on as
      a complementary cell (suppressing it would hide nothing), so complementary cells are found among the other
      cells. The exact check of :func:`recoverable_cells` runs with those totals published.

    Parameters
    ----------
    table : pandas.DataFrame
        Whole, non-negative counts with margins (last row and last column), as :func:`protect_crosstab`.
    margin : Series or mapping, optional
        Row label -> the total the other table publishes (NaN: withheld there). In DK mode a published total must
        equal the row's total; in rounding mode its rounded value.
    k, mode, total_row_is_city, reveal_total
        As in :func:`protect_crosstab`.

    Returns
    -------
    CrosstabProtection
        ``unresolved`` counts suppressed cells that stay recoverable (0 unless every linked cell is public or
        withheld already).

    Raises
    ------
    ValueError
        When the margins do not add up, or a published total differs from the row's total (the two tables would
        then not describe the same persons).

    Notes
    -----
    In rounding mode the cells are rounded and starred as in :func:`protect_cells`; a public total keeps the
    value the other table publishes (the same rounding of the same count), and when the integer attack's
    complementary starring had picked it, every other rounded cell of its row is starred instead.
    """
    _check(k=k, mode=mode)
    v2 = table.to_numpy(dtype=float)
    if not np.allclose(v2[:-1, :-1].sum(axis=1), v2[:-1, -1]) or not np.allclose(v2[:-1, :].sum(axis=0), v2[-1, :]):
        raise ValueError("the margins do not add up: the last row and column must be the totals of the cells")
    nr, nc = v2.shape
    margin = pd.Series(dict(margin) if margin is not None and not isinstance(margin, pd.Series) else margin,
                       dtype=float) if margin is not None else pd.Series(dtype=float)
    unknown = [r for r in margin.index if r not in table.index]
    if unknown:
        raise ValueError(f"margin names rows the crosstab does not have: {', '.join(map(str, unknown))}")
    public = np.zeros((nr, nc), dtype=bool)
    given = np.zeros((nr, nc), dtype=bool)
    shown = np.full((nr, nc), np.nan)
    for label, value in margin.items():
        r = list(table.index).index(label)
        if not np.isfinite(value):
            given[r, -1] = True
            continue
        expected = v2[r, -1] if mode == "DK" else round_count(v2[r, -1])
        if not np.isclose(value, expected):
            raise ValueError(f"row {label!r}: the other table publishes {value:g} as its total, the crosstab's total "
                             f"is {v2[r, -1]:g}; both must count the same persons")
        public[r, -1] = True
        shown[r, -1] = value
    exempt = np.zeros((nr, nc), dtype=bool)
    exempt[-1, :] = total_row_is_city
    v = v2.ravel()
    equations = crosstab_equations(v2.shape)
    res = protect_cells(values=v, equations=equations, exempt=(exempt | public).ravel(), given=given.ravel(), k=k,
                        mode=mode, reveal_total=reveal_total)
    reason = list(res.reason)
    pub = public.ravel()
    unresolved = res.unresolved
    if mode == "DK":
        s = res.suppressed.copy()
        for i in np.flatnonzero(pub & s):  # public elsewhere: suppressing it here hides nothing
            s[i], reason[i] = False, ""
        while True:
            rec = recoverable_cells(values=v, equations=equations, suppressed=s)
            if not rec.any():
                unresolved = 0
                break
            i = int(np.flatnonzero(rec)[0])
            lines = [eq for eq in equations if i in eq.cells]
            pool = [c for eq in lines for c in eq.cells if not pub[c]]
            if not any(not s[c] for c in pool):
                pool = [c for eq in equations if any(s[x] for x in eq.cells) for c in eq.cells if not pub[c]]
            cand = _candidates(pool, v=v, s=s, exempt=exempt.ravel(),
                               totals={eq.total for eq in equations if eq.total is not None})
            if not cand:
                unresolved = int(rec.sum())
                log.warning("%d suppressed crosstab cells stay recoverable: every linked cell is public or withheld",
                            unresolved)
                break
            pick = next((c for c in cand if _frees(v, equations, s, add=c, cell=i)), cand[0])
            s[pick], reason[pick] = True, "complementary"
        published = np.where(s, np.nan, v)
    else:
        published = res.published.copy()
        for i in np.flatnonzero(pub):
            r = i // nc
            if np.isnan(published[i]) and reason[i] == "complementary":
                for c in range(r * nc, r * nc + nc - 1):
                    if not pub[c] and np.isfinite(published[c]) and published[c] != 0:
                        published[c], reason[c] = np.nan, "complementary"
            published[i], reason[i] = shown.ravel()[i], ("rounded" if shown.ravel()[i] != v[i] else "")
        s = np.isnan(published)

    def frame(x) -> pd.DataFrame:
        return pd.DataFrame(np.asarray(x, dtype=object).reshape(v2.shape), index=table.index, columns=table.columns)

    return CrosstabProtection(display=frame([count_label(x) for x in published]),
                              published=frame(published).astype(float), suppressed=frame(s).astype(bool),
                              reason=frame(reason), unresolved=unresolved)
