"""Notebook tables (tryghed.tables): labels in the report's language, numbers in its convention, no NaN, stable ids.

Expected texts are written out by hand in each convention (Danish: "." thousands, "," decimals; English the
reverse), not produced by the code under test.
"""

import math
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from tryghed import config, tables

FRAME = pd.DataFrame({
    "indicator": ["Andel utrygge", "Lukkedage", "Bander"],
    "period": [2017, 2017, 2016],
    "estimate": [1234.56, 0.1234, np.nan],
    "pvalue": [0.0004, 0.0123, np.nan],
    "level": ["city", "district", None],
    "tested": [True, False, True],
})
LABELS = {"indicator": {"da": "Indikator", "en": "Measure"}, "period": {"da": "År", "en": "Year"},
          "estimate": {"da": "Estimat", "en": "Estimate"}, "pvalue": "p", "level": {"da": "Niveau", "en": "Level"},
          "tested": {"da": "Testet", "en": "Tested"}}
WORDS = {"level": {"city": {"da": "By", "en": "City"}, "district": {"da": "Bydel", "en": "District"}}}


def _html(lang, **kw):
    return tables.styled_table(FRAME, lang=lang, uuid="tbl", labels=LABELS, words=WORDS, **kw).to_html()


class _Table(HTMLParser):
    """The header and body cells of a table, read with the standard library's HTML parser."""

    def __init__(self):
        super().__init__()
        self.head, self.rows, self._cell, self._in_body = [], [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            (self.rows[-1] if self._in_body else self.head).append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _cells(html) -> pd.DataFrame:
    """The table's body cells by column label, as text (parsed here, not by the code under test)."""
    t = _Table()
    t.feed(html)
    return pd.DataFrame(t.rows, columns=t.head, dtype=object)


def test_danish_table_has_danish_labels_decimal_commas_and_no_nan():
    html = _html("da")
    assert "nan" not in html.lower() and "None" not in html
    body = _cells(html)
    assert list(body.columns) == ["Indikator", "År", "Estimat", "p", "Niveau", "Testet"]
    assert body["Estimat"].tolist() == ["1.234,6", "0,1", "–"]        # one decimal for the column, dash for NaN
    assert body["År"].tolist() == ["2017", "2017", "2016"]            # years without a thousands separator
    assert body["p"].tolist() == ["<\u00a00,001", "0,012", "–"]
    assert body["Niveau"].tolist() == ["By", "Bydel", "–"]
    assert body["Testet"].tolist() == ["ja", "nej", "ja"]


def test_english_table_uses_the_english_convention():
    body = _cells(_html("en"))
    assert list(body.columns) == ["Measure", "Year", "Estimate", "p", "Level", "Tested"]
    assert body["Estimate"].tolist() == ["1,234.6", "0.1", "–"]
    assert body["Level"].tolist() == ["City", "District", "–"]


def test_index_hidden_caption_shown_missing_word_chosen():
    html = _html("da", caption="Hele byen", missing="ikke målt")
    assert "<caption>Hele byen</caption>" in html
    assert 'class="row_heading' not in html and "blank level0" not in html
    assert _cells(html)["Estimat"].tolist()[-1] == "ikke målt"


def test_the_html_is_the_same_on_every_render():
    first, second = _html("da"), _html("da")
    assert first == second
    assert 'id="T_tbl"' in first


def test_labels_select_and_order_the_columns_and_name_an_absent_one():
    body = _cells(tables.styled_table(FRAME, lang="da", uuid="x", labels={"period": "År", "indicator": "I"}).to_html())
    assert list(body.columns) == ["År", "I"]
    with pytest.raises(KeyError, match="no column 'estimat'"):
        tables.styled_table(FRAME, lang="da", uuid="x", labels={"estimat": "Estimat"})


def test_decimals_per_column_and_a_negative_with_a_true_minus():
    df = pd.DataFrame({"change": [-2.345, math.inf]})
    body = _cells(tables.styled_table(df, lang="da", uuid="x", decimals={"change": 1}).to_html())
    assert body["change"].tolist() == ["\u22122,3", "∞"]


def test_decimals_per_column_follow_its_values_and_per_row_when_units_differ():
    df = pd.DataFrame({"whole": [3.0, 12.0], "small": [0.125, 1.5], "mixed": [18.64, 283.0]})
    body = _cells(tables.styled_table(df, lang="da", uuid="x").to_html())
    assert body["whole"].tolist() == ["3", "12"]
    assert body["small"].tolist() == ["0,12", "1,50"]                  # 0.125 -> 0,12: Babel rounds half to even
    assert body["mixed"].tolist() == ["18,6", "283,0"]
    body = _cells(tables.styled_table(df, lang="da", uuid="x", row_decimals={"mixed": [1, 0]}).to_html())
    assert body["mixed"].tolist() == ["18,6", "283"]


def test_change_view_words_every_code_in_danish():
    cfg = config.load_pipeline("sikker-by")
    tab = pd.DataFrame([
        {"indicator_id": "unsafe_night", "area_id": "kbh", "comparison": "previous_year", "ref_period": 2016,
         "change": -2.5, "ci_low": -4.1, "ci_high": -0.9, "pvalue": 0.0123, "qvalue": 0.0246, "scale": "difference",
         "method": "unpooled z (Kish effective n)", "verdict": "significant_decrease", "verdict_reason": None},
        {"indicator_id": "intensive_areas", "area_id": "kbh", "comparison": "baseline", "ref_period": 2013,
         "change": -2.0, "ci_low": np.nan, "ci_high": np.nan, "pvalue": np.nan, "qvalue": np.nan,
         "scale": "difference", "method": "descriptive", "verdict": "not_tested", "verdict_reason": "descriptive"},
    ])
    html = tables.change_view(cfg, tab, "da", uuid="changes").to_html()
    assert "nan" not in html.lower()
    body = _cells(html)
    assert body["Indikator"].tolist() == ["Andel utrygge i nabolaget om aftenen/natten",
                                          "Lokalområder med behov for en ekstraordinær tryghedsindsats"]
    assert body["Sammenlignet med"].tolist() == ["Sidste år", "Udgangsåret"]
    assert body["Ændring"].tolist() == ["\u22122,5", "\u22122"]  # decimals of each row's unit
    assert body["Ændringens enhed"].tolist()[0] == "procentpoint"
    assert body["Test"].tolist() == ["z-test på effektive stikprøvestørrelser", "beskrivende, ingen test"]
    assert body["Vurdering"].tolist() == ["statistisk signifikant fald", "optælling; ingen statistisk test"]


def test_dates_are_written_as_dates():
    df = pd.DataFrame({"due": [pd.Timestamp("2021-06-01"), pd.NaT]})
    assert _cells(tables.styled_table(df, lang="da", uuid="x").to_html())["due"].tolist() == ["2021-06-01", "–"]
