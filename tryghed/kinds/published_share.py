"""A published share (percent) with its sample size, or with a sample size the YAML declares as an assumption.

The value is shown exactly as published; the interval is Wilson's on the sample size (METHODS.md §1.3), and
changes are the z-test on it (§1.4), with the sample size as n. When the source gives no n, ``assumed_n`` (one
number, or one per area level) states it: every row then carries the flag ``assumed_n`` and every statement says
that its interval and test rest on an assumed sample size. Published shares never add up: an area is shown only
where the source publishes it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .._lazy import lazy_module
from ..significance import ALPHA
from . import long_table
from .base import ShareKind, flags as join_flags, row

stats = lazy_module("tryghed.stats")   # scipy and statsmodels load when a test is computed

ASSUMED = "assumed_n"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: the value of the source's indicator column (one: published shares cannot be added)
    select: str | None = None
    #: further long sources of the same series (e.g. one file per edition); a value two give alike is taken once
    more_sources: tuple[str, ...] = ()
    #: the sample size to assume where the source publishes none: one number, or one per area level
    #: (e.g. ``{city: 3600, district: 277}``); flagged in every statement
    assumed_n: int | dict[str, int] | None = Field(None)


def assumed_n(ind, level: str) -> float:
    """The indicator's assumed sample size at ``level`` (NaN when none is declared)."""
    a = ind.spec.assumed_n
    if isinstance(a, dict):
        a = a.get(level)
    return float(a) if a is not None else np.nan


class PublishedShare(ShareKind):
    name = "published_share"
    limits = "share"
    #: the method note of the report (Danish and English); :meth:`note_for` adds the indicator's assumed n
    note = {
        "da": "offentliggjort andel, vist som offentliggjort; Wilson-interval og ændringer med z-test på "
              "stikprøvestørrelsen (METHODS.md §1.3–1.4); offentliggjorte andele lægges ikke sammen; en antaget "
              "stikprøvestørrelse er markeret (assumed_n)",
        "en": "published share, shown as published; Wilson interval and changes by the z-test on the sample size "
              "(METHODS.md §1.3–1.4); published shares are never added up; an assumed sample size is flagged "
              "(assumed_n)"}
    Options = Options
    formats = ("long",)

    def check(self, ind, pipeline):
        long_table.check_select(ind, pipeline)
        src = pipeline.sources[ind.source]
        if "value" not in src.columns:
            raise ValueError(f"indicator '{ind.id}': a published share is read from a value column; source "
                             f"'{src.id}' names none (columns: {{value: ...}})")
        a = ind.spec.assumed_n
        if "n" not in src.columns and a is None:
            raise ValueError(f"indicator '{ind.id}': source '{src.id}' has no sample size column (columns: {{n: ...}})"
                             "; declare the sample size as an assumption with 'assumed_n: N' (flagged in every "
                             "statement), or add the n column")
        values = list(a.values()) if isinstance(a, dict) else ([a] if a is not None else [])
        if any(v < 1 for v in values):
            raise ValueError(f"indicator '{ind.id}': assumed_n must be at least 1")
        if isinstance(a, dict):
            missing = [lv for lv in ind.levels if lv not in a]
            if missing:
                raise ValueError(f"indicator '{ind.id}': assumed_n names no sample size for level "
                                 f"{', '.join(missing)}; give one per level in 'levels', or one number")

    def sources(self, ind):
        return long_table.source_ids(ind)

    def note_for(self, ind, pipeline, lang: str) -> str:
        """The method note (report.method_notes): the value as published, and the sample size assumed, if any."""
        a = ind.spec.assumed_n

        def num(v: int) -> str:
            return f"{v:,}".replace(",", ".") if lang == "da" else f"{v:,}"

        from ..i18n import LEVEL_NAMES

        sizes = (", ".join(f"{num(v)} ({LEVEL_NAMES[lang].get(level, level).lower()})" for level, v in a.items())
                 if isinstance(a, dict) else num(a) if a else "")
        if lang == "da":
            text = ("offentliggjort andel, vist som offentliggjort; Wilson-interval og ændringer med z-test på "
                    "stikprøvestørrelsen (METHODS.md §1.3–1.4); offentliggjorte andele lægges ikke sammen")
            if a is not None:
                text += (f"; stikprøvestørrelsen er ikke offentliggjort: n = {sizes} er en ANTAGELSE (markeret "
                         "som antaget stikprøvestørrelse), som intervaller og test hviler på")
            return text
        text = ("published share, shown as published; Wilson interval and changes by the z-test on the sample size "
                "(METHODS.md §1.3–1.4); published shares are never added up")
        if a is not None:
            text += (f"; the sample size is not published: n = {sizes} is an ASSUMPTION (flag assumed_n) on which "
                     "the intervals and tests rest")
        return text

    def rows(self, ind, pipeline, tables, level):
        """The published share of each area at ``level`` that the source publishes, Wilson interval on its n."""
        values = long_table.at_level(long_table.measure(ind, tables, pipeline), pipeline, level)
        out = []
        for v in values.itertuples(index=False):
            if not np.isfinite(v.value):
                out.append(row(v.area_id, v.period, flags=v.flags or "missing", method="not published"))
                continue
            n, flags = float(v.n), v.flags
            if not np.isfinite(n):
                n = assumed_n(ind, level)
                flags = join_flags(flags, ASSUMED) if np.isfinite(n) else flags
            if not np.isfinite(n):
                out.append(row(v.area_id, v.period, estimate=float(v.value), flags=join_flags(flags, "no_n"),
                               method="published share, shown as published; no sample size: no interval"))
                continue
            ci = stats.share_confint(share=float(v.value) / 100, n_effective=n)
            note = (f"n = {n:,.0f} assumed (not published)" if ASSUMED in flags.split(";") else
                    f"published n = {n:,.0f}")
            out.append(row(v.area_id, v.period, numerator=float(v.value) / 100 * n, denominator=n,
                           estimate=float(v.value), ci_low=100 * ci.ci_low, ci_high=100 * ci.ci_high,
                           n_unweighted=n, n_effective=n, flags=flags,
                           method=f"published share, shown as published; {ci.method} on {note}"))
        return out

    def compare(self, ind, ref_row, row, *, units=None, dispersion=1.0, alpha=ALPHA):
        if not (np.isfinite(ref_row["n_effective"]) and np.isfinite(row["n_effective"])):
            return long_table.not_tested(row["estimate"] - ref_row["estimate"], "difference (percentage points)",
                                         "published shares without a sample size: described, not tested",
                                         "no sample size")
        c = super().compare(ind, ref_row, row, units=units, dispersion=dispersion, alpha=alpha)
        if ASSUMED in f"{row['flags']};{ref_row['flags']}".split(";"):
            c = dataclasses.replace(c, method=f"{c.method}; n assumed, not published (flag {ASSUMED})")
        return c

    def trend(self, ind, seg, alpha=ALPHA):
        if not np.isfinite(seg["n_effective"].to_numpy(float)).all():
            return super(ShareKind, self).trend(ind, seg, alpha)
        r = super().trend(ind, seg, alpha)
        if seg["flags"].astype(str).str.contains(ASSUMED).any():
            r["method"] += f"; n assumed, not published (flag {ASSUMED})"
        return r

