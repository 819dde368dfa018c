"""A text in both languages (``{da: ..., en: ...}``): the one model every YAML specification names things with."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


class Names(BaseModel):
    """``{da: ..., en: ...}``; ``names["da"]`` is the Danish."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    da: str
    en: str

    def __getitem__(self, lang: str) -> str:
        return getattr(self, lang)

    def values(self):
        return (self.da, self.en)

    def get(self, lang: str, default: str | None = None) -> str | None:
        return getattr(self, lang, default)


def _names(value: Any) -> Any:
    """``{da: ..., en: ...}``, or one plain text used for both languages."""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"da": str(value), "en": str(value)}
    return value


#: A text in both languages; a plain string in the YAML stands for both.
Text = Annotated[Names, BeforeValidator(_names)]
