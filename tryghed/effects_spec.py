"""The ``effects:`` block of a pipeline YAML: its model, kept apart from the estimators in :mod:`tryghed.effects` so
that reading a configuration (``tryghed validate``, every run) does not import statsmodels."""
from __future__ import annotations

import datetime
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import ConfigError

DESIGNS = ("its", "did", "placebo", "synthetic")

_YEAR = re.compile(r"^\s*(\d{4})\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[QK]([1-4])\s*$", re.IGNORECASE)
_HALF = re.compile(r"^\s*(\d{4})\s*H([12])\s*$", re.IGNORECASE)


def _is_period_text(v: str) -> bool:
    return any(rx.match(v) for rx in (_YEAR, _MONTH, _QUARTER, _HALF))



class Evaluation(BaseModel):
    """One entry of a pipeline's ``effects:`` block.

    ``{indicator: ID, treated: [AREA, ...], start: 2017 or "2017-01", designs: [its, did, placebo, synthetic],
    comparison: [AREA, ...]}``; areas by id or name; ``comparison`` defaults to every other area of the treated
    areas' level. ``did`` also gives the event study and the in-time placebos.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str
    treated: tuple[str, ...]
    start: int | str
    designs: tuple[Literal["its", "did", "placebo", "synthetic"], ...] = DESIGNS
    comparison: tuple[str, ...] | None = None

    @field_validator("treated", "comparison", mode="before")
    @classmethod
    def _listify(cls, v):
        if isinstance(v, (str, int)):
            return (str(v),)
        return tuple(str(a) for a in v) if v is not None else None

    @field_validator("treated")
    @classmethod
    def _some(cls, v):
        if not v:
            raise ValueError("at least one treated area is needed")
        return v

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, v):
        if isinstance(v, datetime.date):        # YAML reads an unquoted 2017-01-01 as a date: its month
            return f"{v.year}-{v.month:02d}"
        if isinstance(v, bool) or not isinstance(v, (int, str)):
            raise ValueError("a year (2017), a quarter ('2017Q1') or a month ('2017-01')")
        if isinstance(v, str) and not _is_period_text(v):
            raise ValueError("a year (2017), a quarter ('2017Q1') or a month ('2017-01')")
        return int(v) if isinstance(v, str) and _YEAR.match(v) else v


def parse_evaluations(value, *, where: str = "effects") -> tuple[Evaluation, ...]:
    """The ``effects:`` block as Evaluations; a bad entry raises ConfigError naming its key and the fix."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"{where}: expected a list of evaluations, got {type(value).__name__}. Write each "
                          "evaluation as a '- indicator: ...' item.")
    out = []
    for i, item in enumerate(value):
        try:
            out.append(item if isinstance(item, Evaluation) else Evaluation.model_validate(item))
        except ValidationError as e:
            err = e.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise ConfigError(f"{where}[{i}].{loc}: {err['msg']}. An evaluation has indicator, treated, start, "
                              "designs (its, did, placebo, synthetic) and optionally comparison.") from None
    return tuple(out)
