"""The report's words and files: one language, verdicts worded (not decided), exports a Danish Excel opens,
offline notebook pages and the catalogue."""

import base64
import csv
import io
import json
import re

import nbformat
import openpyxl
import pandas as pd
import pytest

from tryghed import config, i18n, report

# ----------------------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("x", "lang", "d", "expected"), [
    # Danish: point for thousands, comma for decimals; English (en_GB): comma and point (Dansk Sprognævn, CLDR)
    (1234.5, "da", 1, "1.234,5"), (1234.5, "en", 1, "1,234.5"),
    (-0.04, "da", 2, "\u22120,04"), (0.0, "da", 1, "0,0"), (float("nan"), "da", 1, "–"),
])
def test_numbers_follow_the_language(x, lang, d, expected):
    assert i18n.number(x, lang, d) == expected


def test_values_carry_their_unit_and_interval():
    assert i18n.value_with_interval(18.6, 17.2, 20.0, "percent", "da") == \
        "18,6\u00a0% (95 %-KI 17,2\u2060–\u206020,0\u00a0%)"
    assert i18n.value(283, "days", "en") == "283\u00a0days"
    assert i18n.change_size(-26, "days", "da") == "\u221226\u00a0dage"
    assert i18n.pvalue(0.0004, "da") == "p\u00a0<\u00a00,001"


# ------------------------------------------------------------------------------------------ verdicts in words
ROW = {"flags": "", "change": -2.5, "pvalue": 0.012, "qvalue": 0.03, "method": "unpooled z (Kish effective n)"}


def test_the_change_statement_words_the_verdict_column_and_never_overrules_it():
    # the test layer says "not significant" although p < 0.05 (e.g. a family correction it applied): i18n obeys
    text = i18n.change_statement({**ROW, "verdict": "no_significant_change"}, "percent", "da")
    assert text.startswith("ingen statistisk signifikant ændring (")
    text = i18n.change_statement({**ROW, "pvalue": 0.2, "qvalue": 0.2, "verdict": "significant_decrease"},
                                 "percent", "en")
    assert text.startswith("statistically significant decrease (")
    # not tested, with its reason
    text = i18n.change_statement({**ROW, "change": -26.0, "verdict": "not_tested",
                                  "verdict_reason": "too_few_clusters"}, "days", "da")
    assert text == "\u221226\u00a0dage (for få institutioner til en test)"


def test_every_tested_statement_names_its_test():
    da = i18n.change_statement(ROW, "percent", "da")
    assert da == ("statistisk signifikant fald (\u22122,5\u00a0procentpoint; z-test på effektive "
                  "stikprøvestørrelser, p\u00a0=\u00a00,012, q\u00a0=\u00a00,030)")
    en = i18n.change_statement({**ROW, "change": 1.03, "pvalue": 0.85, "qvalue": 0.85, "scale": "ratio",
                                "method": "exact conditional Poisson test, score interval"}, "per_1000", "en")
    assert en == "no statistically significant change (+3.0%, rate ratio 1.030; exact conditional Poisson test, " \
                 "p\u00a0=\u00a00.850)"


DANISH_FORBIDDEN = re.compile(r"bootstrap|institutions|Fingertips|\bPI\b|resamples|unpooled|percentile|score test|"
                              r"slope|GLM|confident|effective")


@pytest.mark.parametrize("method", [
    "unpooled z (Kish effective n)", "unpooled z (counts as n)", "score test, Newcombe interval (effective counts)",
    "score test adjusted for overdispersion (z/√φ, φ = 4.56), widened score interval",
    "exact conditional Poisson test, score interval",
    "bootstrap over 9 institutions (4000 resamples, percentile interval)",
    "descriptive (not a sample: no test)", "no test across a series break",
    "WLS slope with design SEs (§1.5 i); chi-square test for trend, Fingertips rules (§1.5 ii)",
    "quasi-Poisson GLM (overdispersion), log-population offset (§2.3)", "something new from stats",
])
def test_danish_test_names_are_danish(method):
    name = i18n.method_name(method, "da")
    assert name and not DANISH_FORBIDDEN.search(name), name


def test_bootstrap_name_in_danish_keeps_the_number_of_institutions():
    assert i18n.method_name("bootstrap over 9 institutions (4000 resamples, percentile interval)", "da") == \
        "genudtræk over 9 institutioner (percentilinterval)"
    assert i18n.method_name("score test adjusted for overdispersion (z/√φ, φ = 4.56), widened", "da") == \
        "score-test justeret for overspredning (φ = 4,6)"


TREND = {"first_period": 2010, "last_period": 2016, "slope": -0.61, "slope_unit": "pp/yr", "ci_low": -0.94,
         "ci_high": -0.28, "pvalue": 0.0004, "marker": "no_significant_change", "flags": "",
         "method": "WLS slope with design SEs (§1.5 i); chi-square test for trend, Fingertips rules (§1.5 ii)"}


def test_trend_headline_has_one_test_and_the_second_test_goes_to_the_details():
    text = i18n.trend_statement(TREND, "percent", "da")
    assert text.startswith("statistisk signifikant fald 2010–2016: \u22120,61\u00a0procentpoint om året")
    assert "ingen signifikant trend" not in text and "Fingertips" not in text
    assert "vægtet regressionshældning" in text
    assert "99,8" in i18n.trend_details(TREND, "da") and "Fingertips" not in i18n.trend_details(TREND, "da")
    # the verdict column wins over the p-value
    assert i18n.trend_statement({**TREND, "verdict": "no_significant_change"}, "percent", "en").startswith(
        "no statistically significant trend 2010–2016")


def test_rate_trend_in_words():
    row = {"first_period": 2008, "last_period": 2018, "slope": 0.911, "slope_unit": "rate ratio/yr",
           "ci_low": 0.88, "ci_high": 0.94, "pvalue": 0.0001, "flags": "",
           "method": "quasi-Poisson GLM (overdispersion), log-population offset (§2.3)"}
    text = i18n.trend_statement(row, "per_1000", "da")
    # 1 - 0.911 = 0.089: "falder ca. 8,9 % om året"
    assert "falder ca. 8,9\u00a0% om året" in text and "quasi-Poisson-regression" in text


# --------------------------------------------------------------------------------------------------- exports
def test_danish_csv_opens_in_columns_and_xlsx_keeps_numbers(tmp_path):
    df = pd.DataFrame({"Indikator": ["Andel utrygge", "Lukkedage"], "Estimat": [18.6, 178.0],
                       "p-værdi": [0.0123, float("nan")], "År": [2017, 2017]})
    csv_path, xlsx_path = report.write_exports(df, tmp_path, "scorecard", lang="da",
                                               notes=[("Demodata", "syntetiske tal")])
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Indikator", "Estimat", "p-værdi", "År"], ["Andel utrygge", "18,6", "0,0123", "2017"],
                    ["Lukkedage", "178", "", "2017"]]
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb["scorecard"]
    assert ws["B2"].value == 18.6 and ws["B2"].data_type == "n" and ws["C2"].number_format == "0.000"
    assert ws["D2"].value == 2017 and ws["C3"].value is None
    assert ws["A1"].font.bold and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:D3"
    assert ws.column_dimensions["A"].width >= len("Andel utrygge")
    assert [[c.value for c in r] for r in wb["Noter"].iter_rows(min_row=2)] == [["Demodata", "syntetiske tal"]]
    en_csv, _ = report.write_exports(df, tmp_path / "en", "scorecard", lang="en")
    assert en_csv.read_text(encoding="utf-8-sig").splitlines()[1] == "Andel utrygge,18.6,0.0123,2017"


def test_exports_are_byte_stable(tmp_path):
    df = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    first = [p.read_bytes() for p in report.write_exports(df, tmp_path / "1", lang="da")]
    second = [p.read_bytes() for p in report.write_exports(df, tmp_path / "2", lang="da")]
    assert first == second


# ---------------------------------------------------------------------------------------- rendered notebooks
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")).decode()


def _notebook(path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 6. Resultater / Report\n\nDansk tekst vises som \\*).\n\n"
                                              "*English text shows \\*).*"),
                nbformat.v4.new_code_cell("display(img)", outputs=[nbformat.v4.new_output(
                    "display_data", data={"image/png": PNG}, metadata={"image/png": {"alt": "Figur: test"}})])]
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("lang", ["da", "en"])
def test_rendered_notebook_is_offline_in_one_language_with_title_and_alt_text(tmp_path, lang):
    out = report.render_notebook(_notebook(tmp_path / "06_report.ipynb"), tmp_path / "06.html", demo=True,
                                 lang=lang, title="6. Resultater – Sikker By")
    page = out.read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=", page) and "cdnjs" not in page and "mathjax" not in page.lower()
    assert f'<html lang="{lang}">' in page and "<title>6. Resultater – Sikker By</title>" in page
    assert 'alt="Figur: test"' in page
    assert i18n.LABELS[lang]["demo_banner"] in page
    assert ("Dansk tekst" in page) is (lang == "da") and ("English text" in page) is (lang == "en")
    assert "*)." in page  # the escaped asterisk survives Markdown


# ------------------------------------------------------------------------------------------------ catalogue
def test_catalogue_lists_finished_reports_only(tmp_path):
    root = tmp_path / "reports"
    for rel, rec in (("sikker-by/2017/da/demo", {"pipeline": "sikker-by", "year": 2017, "lang": "da",
                                                  "source": "demo", "demo": True, "title": "Sikker By 2017"}),
                     ("sikker-by/2016/en/raw2016", {"pipeline": "sikker-by", "year": 2016, "lang": "en",
                                                    "source": "raw2016", "demo": False, "title": "Safe City 2016"}),
                     ("sikker-by/_failed/2017", {"pipeline": "sikker-by", "year": 2017, "lang": "da",
                                                 "source": "x", "demo": False, "title": "failed"})):
        (root / rel).mkdir(parents=True)
        (root / rel / "index.html").write_text("x", encoding="utf-8")
        (root / rel / report.REPORT_RECORD).write_text(json.dumps(rec), encoding="utf-8")
    page = report.write_catalogue(root).read_text(encoding="utf-8")
    hrefs = re.findall(r'<a href="([^"]+)"', page)
    assert hrefs == ["sikker-by/2017/da/demo/index.html", "sikker-by/2016/en/raw2016/index.html"]
    assert "failed" not in page and "(DEMO)" in page


def test_sparkline_is_broken_at_the_break_and_titled():
    s = pd.DataFrame({"estimate": [19.0, 18.0, 17.0, 18.6]}, index=[2014, 2015, 2016, 2017])
    svg = str(report.sparkline(s, [2017], "da"))
    assert svg.count("<polyline") == 2 and "<title>Udvikling 2014–2017</title>" in svg


def test_each_status_mark_names_its_target():
    from tryghed import config

    p = config.load_pipeline("sikker-by")
    ind = p.indicator("unsafe_night")
    tg = pd.DataFrame([{"target_no": 0, "status": "not_achieved", "projection_status": "not_classified"},
                       {"target_no": 1, "status": "not_assessable", "projection_status": "not_classified"}])
    marks = report.status_marks(ind, tg, "percent", "da")
    assert [(m.target, m.text, m.tone, m.icon) for m in marks] == [
        ("Højst 13 % i 2017", "Ikke nået", "bad", "✗"),
        ("Fald på mindst 1 procentpoint om året", "Kan ikke vurderes", "none", "–")]
    # the level target is judged on a value measured after the 2017 break: the words say so
    marks = report.status_marks(ind, tg, "percent", "da", breaks=[2017], base_year=2013)
    assert marks[0].text == "Ikke nået (målt efter databrud i 2017: ikke fuldt sammenligneligt med målets grundlag)"
    assert marks[1].text == "Kan ikke vurderes"


def test_projection_is_worded_with_its_prediction_interval():
    t = {"projection_status": "uncertain", "projection": 15.8, "pi_low": 15.5, "pi_high": 16.2, "target_year": 2017}
    text = i18n.projection_statement(t, "percent", "da")
    assert text == ("fremskrivning til 2017: 15,8\u00a0% (95 %-prædiktionsinterval 15,5\u2060–\u206016,2\u00a0%): "
                    "usikkert (prædiktionsintervallet rummer målet)")
    assert " PI " not in text


def test_since_last_report_names_values_and_changed_statuses(tmp_path):
    prev = {"pipeline": "p", "year": 2016, "lang": "da", "source": "demo", "measures": {
        "a": {"name": "A", "value_text": "16,1 %", "statuses": [["Højst 13 %", "not_assessable", "Kan ikke vurderes"],
                                                               ["Færre", "met_this_year", "Opfyldt i år"]]}}}
    for folder, rec in (("p/2016/da/demo", prev), ("p/2016/en/demo", {**prev, "lang": "en"}),
                        ("p/_failed/2016", {**prev, "measures": {}})):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / report.REPORT_RECORD).write_text(json.dumps(prev if folder.endswith("da/demo") else rec),
                                                              encoding="utf-8")
    rows = [{"id": "a", "name": "A", "value_text": "18,6 %", "has_data": True,
             "targets": [report.StatusMark("Højst 13 %", "not_achieved", "Ikke nået", "bad", "✗", ""),
                         report.StatusMark("Færre", "met_this_year", "Opfyldt i år", "good", "✓", "")]}]
    since = report.since_last_report(tmp_path, "p", 2017, "da", "demo", rows)
    assert since == {"year": 2016, "items": [{"name": "A", "before": "16,1 %", "now": "18,6 %",
                                              "statuses": [("Højst 13 %", "Kan ikke vurderes", "Ikke nået")]}]}
    assert report.since_last_report(tmp_path, "p", 2017, "da", "raw", rows) is None


def test_the_earlier_baseline_is_shown_beside_the_baseline():
    """sikker-by's intensive areas: baseline 5 (2013) and the earlier 12 (2010), both from the YAML."""
    import pandas as pd

    from tryghed import config, indicators, report

    cfg = config.load_pipeline("sikker-by")
    rows = [dict(pipeline="sikker-by", indicator_id="intensive_areas", area_id="kbh", level="city", period=y,
                 numerator=v, denominator=float("nan"), estimate=v, ci_low=float("nan"), ci_high=float("nan"),
                 n_unweighted=float("nan"), n_effective=float("nan"), unit="count", source="safety_index",
                 suppressed=False, flags="", method="") for y, v in ((2013, 5.0), (2014, 4.0))]
    table = pd.DataFrame(rows, columns=indicators.COLUMNS)
    empty = pd.DataFrame(columns=["indicator_id", "area_id", "comparison", "pvalue", "method", "flags"])
    targets = pd.DataFrame(columns=["indicator_id", "target_no", "status"])
    got = {m["id"]: m for m in report.measures(cfg, table, empty, targets, 2014, "en")}
    text = got["intensive_areas"]["base_text"].replace("\u00a0", " ")
    assert "5" in text and "(2013)" in text and "earlier: 12" in text and "(2010)" in text


def test_the_commit_is_marked_dirty_when_the_code_differs_from_it(tmp_path):
    """The footer's commit: the checkout's HEAD, with ``-dirty`` when a tracked file of the package, the notebooks
    or the pipelines was changed (an untracked file elsewhere does not count); ``unknown`` outside git."""
    import subprocess

    def git(*args):
        return subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True,
                              text=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "tryghed").mkdir()
    (tmp_path / "tryghed" / "x.py").write_text("a = 1\n", encoding="utf-8")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "one")
    head = git("rev-parse", "HEAD")
    assert len(head) == 40 and report.git_commit(tmp_path) == head
    (tmp_path / "notes.txt").write_text("not tracked\n", encoding="utf-8")
    assert report.git_commit(tmp_path) == head
    (tmp_path / "tryghed" / "x.py").write_text("a = 2\n", encoding="utf-8")
    assert report.git_commit(tmp_path) == head + "-dirty"
    assert report.git_commit(tmp_path / "nowhere") == "unknown"


def test_an_overdispersion_adjusted_p_is_named_so_and_the_exact_p_is_beside_it():
    """METHODS.md §2.2: the verdict uses the adjusted p when φ̂ > 1 and the exact conditional p is always reported;
    the statement names the adjustment and φ̂, and gives both p-values (a change of drugs in Ishøj 2018)."""
    from tryghed import i18n

    row = {"method": "exact conditional Poisson test, adjusted for overdispersion (φ = 10.46: p = max(exact p, p of "
                     "z/√φ)), score interval widened by √φ", "scale": "ratio", "change": 2.023, "p_exact": 8.0e-10,
           "p_adjusted": 0.0594, "pvalue": 0.0594, "qvalue": 0.0594, "dispersion": 10.46,
           "verdict": "no_significant_change", "flags": ""}
    da = i18n.change_statement(row, "per_1000", "da")
    assert "eksakt betinget Poisson-test justeret for overspredning (φ = 10,5)" in da
    assert "p\u00a0=\u00a00,059 (ujusteret p\u00a0<\u00a00,001)" in da
    en = i18n.change_statement(row, "per_1000", "en")
    assert "adjusted for overdispersion (φ = 10.5)" in en
    assert "p\u00a0=\u00a00.059 (unadjusted p\u00a0<\u00a00.001)" in en
    plain = {**row, "method": "exact conditional Poisson test", "p_exact": 0.0594, "dispersion": 1.0}
    assert "ujusteret" not in i18n.change_statement(plain, "per_1000", "da")   # one p when nothing is adjusted


def test_demo_exports_lead_with_the_synthetic_column_and_real_ones_do_not(tmp_path):
    import openpyxl

    card = pd.DataFrame({"Indikator": ["a", "b"], "Estimat": [1.5, 2.0]})
    report.write_exports(card, tmp_path / "demo", lang="da", demo=True)
    report.write_exports(card, tmp_path / "real", lang="da")
    lines = (tmp_path / "demo" / "scorecard.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines == ["Data;Indikator;Estimat", "DEMODATA – SYNTETISKE TAL;a;1,5",
                     "DEMODATA – SYNTETISKE TAL;b;2"]
    assert (tmp_path / "real" / "scorecard.csv").read_text(encoding="utf-8-sig").splitlines()[0] == \
        "Indikator;Estimat"
    ws = openpyxl.load_workbook(tmp_path / "demo" / "scorecard.xlsx").worksheets[0]
    assert [c.value for c in ws[2]] == ["DEMODATA – SYNTETISKE TAL", "a", 1.5]   # the number stays a number


def test_a_share_too_small_to_test_says_so_not_that_it_is_a_count():
    from tryghed import i18n

    row = {"change": 6.4, "verdict": "not_tested", "flags": "too small to test: smallest expected count 2.4 is "
           "under 5 (METHODS.md §1.4)", "verdict_reason": "too small to test: smallest expected count 2.4 is under 5 "
           "(METHODS.md §1.4)", "method": "not tested (expected count under 5)"}
    da = i18n.change_statement(row, "percent", "da")
    assert da == "+6,4\u00a0procentpoint (for små tal til en test: mindste forventede antal under 5)"
    assert "optælling" not in da
    en = i18n.change_statement(row, "percent", "en")
    assert en.endswith("(too small to test: smallest expected count under 5)")
    assert i18n.change_statement({**row, "verdict_reason": "", "flags": ""}, "count", "da").endswith(
        "(optælling; ingen statistisk test)")                      # a count's change is still called so


def test_one_series_break_note_names_the_measures_it_touches():
    """sikker-by declares the 2017 change of survey provider for its three survey measures: one note, naming them,
    instead of the same sentence three times."""
    cfg = config.load_pipeline("sikker-by")
    touched = [b.indicator for b in cfg.breaks if b.year == 2017]
    assert len(touched) == 3
    empty = pd.DataFrame(columns=["indicator_id", "pvalue", "method"])
    for lang, head in (("da", "Databrud 2017"), ("en", "Series break 2017")):
        notes = [n for n in report.method_notes(cfg, empty, lang) if n.startswith(head)]
        assert len(notes) == 1
        assert all(cfg.indicator(i).name[lang] in notes[0] for i in touched)
