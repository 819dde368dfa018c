"""The ``national:`` block of a pipeline YAML (``pipelines/shared/national.yml``): its model, kept apart from the funnel
limits and most similar groups in :mod:`tryghed.national` so that reading a configuration (``tryghed validate``, every
run) does not import pandas, babel or the national view's code."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .names import Names


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimilarVariable(_Model):
    """One socio-economic variable of the most similar groups: a column of the file, its name, and a transform."""

    column: str
    name: Names
    #: Take the natural logarithm before standardising (for skewed sizes such as the population).
    log: bool = False


class SimilarSpec(_Model):
    """Most similar groups: which file, which year, which variables, which distance, how many neighbours."""

    #: A CSV (UTF-8) relative to the raw folder, one row per municipality and year.
    file: str
    name_column: str = "municipality"
    year_column: str = "year"
    #: The year of the variables, or ``report`` for the report year.
    year: int | Literal["report"] = "report"
    variables: tuple[SimilarVariable, ...] = Field(min_length=2)
    #: Euclidean distance on the standardised variables (z-scores over the municipalities, population SD).
    distance: Literal["euclidean"] = "euclidean"
    k: int = Field(7, ge=1, le=30)

    @field_validator("variables")
    @classmethod
    def _unique(cls, v):
        cols = [x.column for x in v]
        if len(set(cols)) != len(cols):
            raise ValueError("variables repeats a column; list each once")
        return v


class FunnelSpec(_Model):
    """Funnel plots: the two coverages of the limits, the method, and whether overdispersion widens them."""

    limits: tuple[float, float] = (0.95, 0.998)
    method: Literal["exact_poisson", "normal"] = "exact_poisson"
    overdispersion: Literal["family", "none"] = "family"

    @model_validator(mode="after")
    def _ordered(self):
        inner, outer = self.limits
        if not 0 < inner < outer < 1:
            raise ValueError("limits must be two coverages with 0 < inner < outer < 1, e.g. [0.95, 0.998]")
        return self


class NationalSpec(_Model):
    """The national view of a pipeline: most similar groups and funnel plots."""

    similar: SimilarSpec
    funnel: FunnelSpec = FunnelSpec()


def load_spec(path: str | Path) -> NationalSpec:
    """Read and validate a national block (``pipelines/shared/national.yml``).

    Raises
    ------
    ConfigError
        Naming the file, the key path and what was wrong.
    """
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read as YAML ({exc}). Fix the file.") from None
    try:
        return NationalSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"'{'.'.join(str(p) for p in e['loc'])}': {e['msg']}"
                             for e in exc.errors(include_url=False))
        raise ConfigError(f"{path}: {problems}. Correct the values (see pipelines/shared/national.yml).") from None
