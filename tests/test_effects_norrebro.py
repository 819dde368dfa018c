"""The Nørrebro demo run (SYNTHETIC data, tryghed.demo_norrebro) reports its planted partnership effect on the index
page: the section's DiD estimate is effects.csv's did row, read here with the csv module; the planted rate ratio
(dn.EFFECT_RATE_RATIO) lies in its interval; the page and the notes are Danish.

One run of the norrebro chain for the module (no other test runs it); slow.
"""

import csv
import re
from html.parser import HTMLParser

import pytest
from babel.numbers import format_decimal

from tryghed import demo_norrebro as dn

pytestmark = pytest.mark.slow

#: English words that must not be in the Danish section (whole words, case-insensitive).
ENGLISH = ["placebo p", "consistent", "rate ratio", "descriptive", "withheld", "parallel", "distinguished",
           "spill-over", "the", "and", "of", "with", "before", "after", "reported", "effect", "areas", "districts",
           "change", "not", "assumes", "fake", "leads"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from tryghed.run import run_pipeline

    raw = tmp_path_factory.mktemp("norrebro_raw")
    dn.write_norrebro_demo(raw)
    out = tmp_path_factory.mktemp("norrebro_run")
    index = run_pipeline("norrebro", None, raw_dir=raw, lang="da", out_root=out, progress=False)
    html = index.read_text(encoding="utf-8")
    with open(index.parent / "effects.csv", encoding="utf-8-sig", newline="") as fh:
        rows = {r["design"]: r for r in csv.DictReader(fh, delimiter=";")}
    return index, html, rows


def _number(cell: str) -> float:
    return float(cell.replace(",", "."))      # Danish convention: decimal comma, no thousands separator


class _Section(HTMLParser):
    """The text and image alt texts inside <section id="effects">."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and (self.depth or a.get("id") == "effects"):
            self.depth += 1
        if self.depth and tag == "img":
            self.parts.append(a.get("alt") or "")

    def handle_endtag(self, tag):
        if tag == "section" and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def _section_text(html: str) -> str:
    p = _Section()
    p.feed(html)
    return " ".join(" ".join(p.parts).split()).replace("\u00a0", " ")


def _pct(rr: float) -> str:
    return format_decimal(100 * (rr - 1), format="#,##0.0", locale="da_DK").replace("-", "\u2212")


def test_index_page_reports_the_did_row_of_effects_csv(run):
    index, html, rows = run
    did = rows["did"]
    est, lo, hi = _number(did["estimate"]), _number(did["ci_low"]), _number(did["ci_high"])
    # the machine-readable estimate on the page is the CSV's, to the last digit
    shown = re.search(r'<dd data-design="did" data-estimate="([^"]+)"', html)
    assert shown and float(shown.group(1)) == est
    # and the reader sees it as a percentage change with its interval, in Danish number format
    text = _section_text(html)
    assert f"{_pct(est)} % (95 %-KI fra {_pct(lo)} til {_pct(hi)} %)" in text
    # the planted effect is recovered: inside the interval, a fall
    assert lo < dn.EFFECT_RATE_RATIO < hi < 1


def test_the_section_is_honest_and_danish(run):
    index, html, rows = run
    text = _section_text(html)
    j = int(rows["did"]["n_placebo"])
    assert _number(rows["did"]["smallest_p"]) == pytest.approx(1 / j)
    # placebo p with the smallest attainable p in words (J = 12 survey districts: never below 0.05)
    assert f"1/{j} = {format_decimal(1 / j, format='0.000', locale='da_DK')}" in text
    assert "aldrig nå p < 0,05" in text
    assert "forenelig med" in text or "kan ikke skelnes fra de øvrige bydele" in text
    assert "Parallelle trends" in text and "Ingen smitte til sammenligningsområderne" in text
    assert "Syntetisk kontrol" in text          # not asked for in the YAML: said so
    words = [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text, re.IGNORECASE)]
    assert words == []
    # the csv's notes are Danish too
    assert "parallelle trends" in rows["did"]["notes"] and "parallel trends" not in rows["did"]["notes"]


def test_figures_inline_and_the_notebook_linked(run):
    index, html, _ = run
    section = html[html.index('<section id="effects"'):]
    section = section[:section.index("</section>")]
    imgs = re.findall(r'<img src="(figures/effect_[^"]+\.svg)" alt="([^"]+)"', section)
    assert len(imgs) == 3 and all((index.parent / src).is_file() and len(alt) > 40 for src, alt in imgs)
    assert '<a href="08_effects.html">' in section and (index.parent / "08_effects.html").is_file()
