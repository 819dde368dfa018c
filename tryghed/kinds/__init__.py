"""One module per indicator kind, and the registry that maps the YAML's ``kind`` to it.

A kind declares its options model (the YAML keys besides the common ones), checks its cross-references, prepares
its source table in the clean step, builds its rows of the indicator table, chooses its change test and trend, and
says how disclosure control treats it. Adding a kind is one module here, its tests and one line in ``_KINDS``.

:data:`REGISTRY` imports a kind's module when the kind is first looked up: reading a configuration (``tryghed
validate``) imports the modules of its own kinds only (all fifteen cost about 40 ms).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from .base import Kind

#: Every kind: its YAML name (the class's ``name``) -> its module in this package and its class.
_KINDS: dict[str, tuple[str, str]] = {
    "survey_share": ("survey_share", "SurveyShare"),
    "person_share": ("person_share", "PersonShare"),
    "unit_share": ("unit_share", "UnitShare"),
    "rate": ("rate", "Rate"),
    "stock_count": ("stock_count", "StockCount"),
    "clustered_count": ("clustered_count", "ClusteredCount"),
    "published_share": ("published_share", "PublishedShare"),
    "published_rate": ("published_rate", "PublishedRate"),
    "count": ("count", "Count"),
    "police_rate": ("police_rate", "PoliceRate"),
    "quarterly_stock": ("quarterly_stock", "QuarterlyStock"),
    "coverage": ("coverage", "Coverage"),
    "activity_goal": ("activity_goal", "ActivityGoalKind"),
    "context_value": ("context_value", "ContextValue"),
    "ssp_count": ("ssp_count", "SspCount"),
}


class _Registry(Mapping[str, Kind]):
    """The kinds by name, in the order of :data:`_KINDS`; each made once, when first looked up (its module imported
    then). A read-only mapping: ``in``, iteration and ``len`` import nothing."""

    def __init__(self, kinds: dict[str, tuple[str, str]]):
        self._kinds = kinds
        self._made: dict[str, Kind] = {}

    def __getitem__(self, name: str) -> Kind:
        kind = self._made.get(name)
        if kind is None:
            module, cls = self._kinds[name]  # KeyError for a name that is not a kind
            kind = getattr(importlib.import_module(f"{__name__}.{module}"), cls)()
            if kind.name != name:
                raise RuntimeError(f"{module}.{cls} is named {kind.name!r}, but _KINDS lists it as {name!r}")
            self._made[name] = kind
        return kind

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __len__(self) -> int:
        return len(self._kinds)

    def __repr__(self) -> str:
        return f"<kinds registry: {', '.join(self._kinds)}>"


REGISTRY: Mapping[str, Kind] = _Registry(_KINDS)

__all__ = ["REGISTRY", "Kind"]
