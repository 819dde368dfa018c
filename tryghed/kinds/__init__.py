"""One module per indicator kind, and the registry that maps the YAML's ``kind`` to it.

A kind declares its options model (the YAML keys besides the common ones), checks its cross-references, prepares
its source table in the clean step, builds its rows of the indicator table, chooses its change test and trend, and
says how disclosure control treats it. Adding a kind is one module here, its tests and one line in ``REGISTRY``.
"""

from __future__ import annotations

from .activity_goal import ActivityGoalKind
from .base import Kind
from .clustered_count import ClusteredCount
from .context_value import ContextValue
from .count import Count
from .coverage import Coverage
from .person_share import PersonShare
from .police_rate import PoliceRate
from .published_rate import PublishedRate
from .published_share import PublishedShare
from .quarterly_stock import QuarterlyStock
from .rate import Rate
from .ssp_count import SspCount
from .stock_count import StockCount
from .survey_share import SurveyShare
from .unit_share import UnitShare

REGISTRY: dict[str, Kind] = {k.name: k for k in (
    SurveyShare(), PersonShare(), UnitShare(), Rate(), StockCount(), ClusteredCount(), PublishedShare(),
    PublishedRate(), Count(), PoliceRate(), QuarterlyStock(), Coverage(), ActivityGoalKind(), ContextValue(),
    SspCount(),
)}

__all__ = ["REGISTRY", "Kind"]
