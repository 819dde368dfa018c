"""The effects section of the index page and the effects.csv notes, in Danish and in English (issue 12).

The evaluations run on small panels written here (10 areas × 10 years, one treated); the expected numbers are the
rate ratios of the evaluation formatted by Babel called directly, the placebo p a hand count (1/10), and the word
lists are written by hand.
"""

import math
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from babel.numbers import format_decimal

from tryghed import effects, report

AREAS = {f"A{a}": (f"Bydel {a}", f"District {a}") for a in range(10)}
#: English words that must not be on a Danish page (whole words, case-insensitive).
ENGLISH = ["placebo p", "consistent", "rate ratio", "descriptive", "withheld", "parallel", "distinguished",
           "spill-over", "the", "and", "of", "with", "before", "after", "reported", "effect", "areas", "districts",
           "change", "not", "assumes", "test of", "fake", "leads"]
#: Danish words that must not be on an English page.
DANISH = ["forenelig", "kan ikke skelnes", "beskrivende", "rate-forhold", "tilbageholdt", "parallelle", "smitte",
          "områder", "bydele", "og", "ikke", "med", "før", "efter", "fra", "til", "ændring", "antagelser", "figurer",
          "falske", "indsatsen", "rapporteret", "pr"]


def _panel(effect, seed=3):
    """10 areas × 10 years; area A0 treated from 2015 with rate ratio ``effect``."""
    rng = np.random.default_rng(seed)
    rows = []
    for a in range(10):
        for y in range(2010, 2020):
            mu = 800 * (1 + 0.1 * a) * math.exp(-0.02 * (y - 2010)) * (effect if a == 0 and y >= 2015 else 1)
            rows.append({"area_id": f"A{a}", "period": y, "count": rng.poisson(mu), "exposure": 50000.0})
    return pd.DataFrame(rows)


PIPELINE = SimpleNamespace(
    areas=[SimpleNamespace(id=a, level="district", name={"da": da, "en": en}) for a, (da, en) in AREAS.items()],
    indicators=[SimpleNamespace(id="crime", name={"da": "Anmeldt kriminalitet", "en": "Reported crime"})])
FIGS = [["its", "effect_its_crime_A0"], ["event", "effect_event_crime_A0"], ["placebo", "effect_placebo_crime_A0"]]


@pytest.fixture(scope="module")
def strong():
    """A0's effect (rate ratio 0.7) is far larger than any placebo's: placebo p = 1/10."""
    return effects.evaluate_results({"indicator": "crime", "treated": ["A0"], "start": 2015,
                                     "designs": ["its", "did", "placebo", "synthetic"]}, _panel(0.7))


@pytest.fixture(scope="module")
def null():
    """No planted effect: A0 is an ordinary area."""
    return effects.evaluate_results({"indicator": "crime", "treated": ["A0"], "start": 2015,
                                     "designs": ["its", "did", "placebo"]}, _panel(1.0, seed=11))


class _Text(HTMLParser):
    """The words a reader meets: text and every image's alternative text."""

    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.parts.append(a.get("alt") or "")


def _render(res, lang):
    facts = res.facts()
    facts["figures"] = FIGS
    section = effects.page_section([facts], PIPELINE, lang, notebook_href="08_effects.html")
    html = report._env().get_template("_effects.html.j2").render(effects=section)
    p = _Text()
    p.feed(html)
    return html, " ".join(" ".join(p.parts).split()).replace("\u00a0", " ")


def _absent(words, text):
    return [w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.IGNORECASE)]


def _pct(rr, locale):
    return format_decimal(100 * (rr - 1), format="#,##0.0", locale=locale).replace("-", "\u2212")


@pytest.mark.parametrize("which", ["strong", "null"])
def test_danish_section_has_no_english_word_and_english_no_danish_word(which, request):
    res = request.getfixturevalue(which)
    _, da = _render(res, "da")
    _, en = _render(res, "en")
    assert _absent(ENGLISH, da) == []
    assert _absent(DANISH, en) == []
    # the selection is not empty: the section says something in each language
    assert len(da.split()) > 150 and len(en.split()) > 150


def test_section_gives_the_effect_with_its_interval_first_in_the_locale(strong):
    html, da = _render(strong, "da")
    _, en = _render(strong, "en")
    rr, lo, hi = strong.did.estimate, strong.did.ci_low, strong.did.ci_high
    assert lo < rr < hi < 1
    # the DiD rate ratio as a percentage change with its interval, Babel's Danish and English formats
    assert f"{_pct(rr, 'da_DK')} % (95 %-KI fra {_pct(lo, 'da_DK')} til {_pct(hi, 'da_DK')} %)" in da
    assert f"{_pct(rr, 'en_GB')}% (95% CI from {_pct(lo, 'en_GB')} to {_pct(hi, 'en_GB')}%)" in en
    assert format_decimal(rr, format="0.000", locale="da_DK") in da and "," in _pct(rr, "da_DK")
    # effect first: the DiD row comes before the placebo p and the verdict
    assert da.index(_pct(rr, "da_DK")) < da.index("placebo-p") < da.index("forenelig med")
    # the machine-readable estimate is the evaluation's, at full precision
    assert re.search(r'data-design="did" data-estimate="([^"]+)"', html).group(1) == repr(rr)


def test_placebo_p_and_the_smallest_attainable_p_in_words(strong, null):
    _, da = _render(strong, "da")
    _, en = _render(strong, "en")
    assert "placebo-p = 0,100" in da and "1/10 = 0,100" in da and "aldrig nå p < 0,05" in da
    assert "placebo p = 0.100" in en and "1/10 = 0.100" in en and "never reach p < 0.05" in en
    assert "forenelig med en effekt af indsatsen" in da and "consistent with an effect of the programme" in en
    # no planted effect: the treated area is not the most extreme of the ten (hand count from the placebo table)
    t = null.placebo.table
    rank = int((t["log_estimate"].abs() >= abs(null.placebo.treated_log_estimate) - 1e-12).sum())
    assert rank > 1
    _, da0 = _render(null, "da")
    _, en0 = _render(null, "en")
    assert "kan ikke skelnes fra de øvrige bydele" in da0 and f"{rank} af de 10 områder" in da0
    assert "cannot be distinguished from the other districts" in en0 and "forenelig" not in da0


def test_assumptions_named_with_their_checks_and_synthetic_reported_or_withheld(strong):
    _, da = _render(strong, "da")
    _, en = _render(strong, "en")
    es = strong.event_study
    p = format_decimal(es.pre_trend_p, format="0.000", locale="da_DK")
    assert f"Parallelle trends samlet test af de {es.pre_trend_df} perioder (år) før start: p = {p}" in da
    assert "Ingen smitte til sammenligningsområderne kan ikke testes i panelet" in da
    assert "Parallel trends joint test of the" in en and "No spill-over into the comparison areas not testable" in en
    # annual data with 5 years before the start: the interrupted time series is descriptive, and says so
    assert "Beskrivende (færre end 8 punkter" in da and "Descriptive (fewer than 8 points" in en
    sc = strong.synthetic
    if sc.withheld:
        assert "Syntetisk kontrol ikke rapporteret:" in da and "Synthetic control not reported:" in en
    else:
        assert "Syntetisk kontrol rapporteret:" in da and "Synthetic control reported:" in en


def test_figures_inline_with_alt_text_and_the_notebook_linked(strong):
    html, _ = _render(strong, "da")
    imgs = re.findall(r'<img src="figures/(effect_\w+)\.svg" alt="([^"]+)"', html)
    assert [i for i, _ in imgs] == [f for _, f in FIGS]
    assert all(len(alt) > 40 and "Bydel 0" in alt or "Anmeldt" in alt for _, alt in imgs)
    assert '<a href="08_effects.html">' in html


def test_effects_csv_notes_follow_the_report_language(strong):
    da = effects.effects_table(strong.rows_in("da"))
    en = effects.effects_table(strong.rows_in("en"))
    assert list(da["design"]) == ["its", "did", "event_study", "placebo", "synthetic"]
    for d, e in zip(da["notes"], en["notes"]):
        assert d and e and d != e
        assert _absent([w for w in ENGLISH if w not in ("effect",)], d.replace("\u00a0", " ")) == [], d
        assert _absent(DANISH, e.replace("\u00a0", " ")) == [], e
    did_da = da.set_index("design").loc["did", "notes"].replace("\u00a0", " ")
    assert "parallelle trends" in did_da and "ingen smitte" in did_da and "1/10 = 0,100" in did_da
    # the run's own language: evaluate(..., lang="da") words the notes in Danish
    rows = effects.evaluate({"indicator": "crime", "treated": ["A0"], "start": 2015, "designs": ["its"]},
                            _panel(0.7), lang="da")
    assert rows[0]["notes"].startswith("beskrivende: færre end 8 punkter")
    withheld = effects.evaluate({"indicator": "x", "treated": ["A0"], "start": 2015, "designs": ["its"]},
                                _panel(0.7).query("period >= 2013"), lang="da")
    assert withheld[0]["notes"].startswith("tilbageholdt: for få perioder")


def test_a_pipeline_without_evaluations_has_no_section(tmp_path):
    assert effects.page_section([], PIPELINE, "da") is None
    assert effects.read_facts_json(tmp_path / "effects.json") == []
    html = report._env().get_template("_effects.html.j2").render(effects=None)
    assert "<section" not in html


def test_facts_survive_json(strong, tmp_path):
    path = tmp_path / "effects.json"
    effects.write_facts_json([strong], path, figures=pd.DataFrame(
        {"indicator_id": ["crime"], "area_id": ["A0"], "figure": ["effect_its_crime_A0"], "files": [[]]}))
    (back,) = effects.read_facts_json(path)
    assert back["did"]["estimate"] == strong.did.estimate and back["figures"] == [["its", "effect_its_crime_A0"]]
    assert back["placebo"]["p"] == pytest.approx(0.1) and back["placebo"]["rank"] == 1
