"""The ``efforts:`` block of a pipeline YAML: its model, kept apart from the effort register's reading and scoring in
:mod:`tryghed.efforts` so that reading a configuration (``tryghed validate``, every run) does not import pandas."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import ConfigError

#: The external evidence grades of an effort (``ekstern_evidens``; aliases in :data:`tryghed.efforts.EXTERNAL_ALIASES`).
EXTERNAL = ("effective", "promising", "no_effect", "insufficient")


class Unit(BaseModel):
    """One municipality's register in the YAML: ``{municipality: Ishøj, code: "183", file: ..., units: [...]}``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    municipality: str
    code: str = Field(pattern=r"^\d{3}$")
    file: str
    units: tuple[str, ...] = ()


class EffortModel(BaseModel):
    """The ``efforts:`` block of a pipeline YAML: registers, target ages, score weights and thresholds.

    The score of an effort in a year is ``100 * (w_results * R + w_own * S + w_external * E) / weights_total``
    with R the share of its success criteria met, S the points of its own evaluation's SMS grade and E the points of
    the external evidence; it is "godt på vej" when the score is at least ``threshold`` and R at least
    ``min_results``. The weights must sum to ``weights_total``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    registers: tuple[Unit, ...] = Field(min_length=1)
    population: str | None = None
    target_ages: tuple[int, int] = (6, 25)
    weights: dict[str, float] = {"results": 0.6, "own_evaluation": 0.2, "external_evidence": 0.2}
    weights_total: float = 1.0
    threshold: float = 60.0
    min_results: float = 0.5
    partial_credit: float = 0.5
    sms_points: dict[int, float] = {1: 0.0, 2: 0.25, 3: 0.5, 4: 0.75, 5: 1.0}
    external_points: dict[str, float] = {"effective": 1.0, "promising": 0.5, "insufficient": 0.25, "no_effect": 0.0}
    principles: dict[int, dict[str, str]] = {i: {"da": f"Princip {i}", "en": f"Principle {i}"} for i in range(1, 7)}
    #: Where the principles' names come from (a URL or a document reference), shown in the report.
    principles_source: str | None = None
    #: The activity types of the registers' ``aktiviteter`` and ``aktivitetsmål`` sheets, in the Nørrebro
    #: pipeline's ``activity_goals`` form (:func:`tryghed.activities.parse_goals`): ``{id, name: {da, en}}``. The
    #: goals themselves are per effort, in the register's ``aktivitetsmål`` sheet.
    activity_types: tuple[dict[str, Any], ...] = ()
    #: The first and last year the registers cover: an activity dated outside them is an input error.
    register_years: tuple[int, int] | None = None

    @field_validator("weights")
    @classmethod
    def _weight_keys(cls, v: dict[str, float]) -> dict[str, float]:
        need = {"results", "own_evaluation", "external_evidence"}
        if set(v) != need:
            raise ValueError(f"weights must name exactly {', '.join(sorted(need))}; got {', '.join(sorted(v))}")
        if any(w < 0 for w in v.values()):
            raise ValueError("weights must not be negative")
        return v

    @field_validator("sms_points")
    @classmethod
    def _sms_keys(cls, v: dict[int, float]) -> dict[int, float]:
        if set(v) != {1, 2, 3, 4, 5}:
            raise ValueError("sms_points must give the points of grades 1, 2, 3, 4 and 5")
        return v

    @field_validator("external_points")
    @classmethod
    def _external_keys(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != set(EXTERNAL):
            raise ValueError(f"external_points must give the points of {', '.join(EXTERNAL)}")
        return v

    @field_validator("principles")
    @classmethod
    def _principle_names(cls, v: dict[int, dict[str, str]]) -> dict[int, dict[str, str]]:
        for k, names in v.items():
            if set(names) != {"da", "en"}:
                raise ValueError(f"principle {k} must be named as {{da: ..., en: ...}}")
        return v

    @field_validator("activity_types")
    @classmethod
    def _activity_types(cls, v: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
        from .activities import parse_goals

        for n, item in enumerate(v, start=1):
            extra = sorted(set(item) & {"per", "min", "max"})
            if extra:
                raise ValueError(f"entry {n} ({item.get('id', '')}) sets {', '.join(extra)}: an effort's goals go in "
                                 "its register's sheet 'aktivitetsmål', so declare only id and name here")
        try:
            parse_goals(v, where="efforts.activity_types")
        except ConfigError as exc:
            raise ValueError(str(exc).replace("activity_goals, ", "")) from None
        return v

    @model_validator(mode="after")
    def _sums(self) -> EffortModel:
        total = sum(self.weights.values())
        if not math.isclose(total, self.weights_total, rel_tol=0, abs_tol=1e-9):
            raise ValueError(f"the weights sum to {total:g}, but weights_total says {self.weights_total:g}; make "
                             "them agree")
        lo, hi = self.target_ages
        if not 0 <= lo <= hi <= 125:
            raise ValueError(f"target_ages must be [from, to] with 0 <= from <= to <= 125, not "
                             f"{list(self.target_ages)}")
        if not 0 <= self.min_results <= 1 or not 0 <= self.partial_credit <= 1:
            raise ValueError("min_results and partial_credit are shares between 0 and 1")
        if self.register_years is not None and not 1900 <= self.register_years[0] <= self.register_years[1] <= 2100:
            raise ValueError(f"register_years must be [first, last] with first <= last, not "
                             f"{list(self.register_years)}")
        return self

    @property
    def activity_goal_types(self):
        """The declared activity types as :class:`tryghed.activities.ActivityGoal` (without targets)."""
        from .activities import parse_goals

        return parse_goals(self.activity_types, where="efforts.activity_types")

    @property
    def home(self) -> Unit:
        """The municipality whose June report this is (the first register)."""
        return self.registers[0]
