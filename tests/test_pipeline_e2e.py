"""End to end: the sikker-by chain through papermill into a temporary folder, checked against hand counts."""

import csv
import hashlib
from pathlib import Path

import openpyxl
import numpy as np
import pandas as pd
import pytest

from tryghed import changes, cli, config, demo, figures


@pytest.fixture(scope="module")
def runs(sikker_by_demo_run, sikker_by_en_run):
    """The session's shared Danish and English runs (conftest.py). That a second run on the same inputs is byte
    identical is checked against these runs by the sweep test in test_runner.py."""
    return {"da": (sikker_by_demo_run.out, sikker_by_demo_run.index),
            "en": (sikker_by_en_run.out, sikker_by_en_run.index)}


def _table(root):
    (run,) = (root / "data/processed/sikker-by/2017").iterdir()   # the root's one <source>-<lang> folder
    return pd.read_parquet(run / "indicators.parquet")


def _value(t, ind, area, year):
    row = t[(t.indicator_id == ind) & (t.area_id == area) & (t.period == year)]
    assert len(row) == 1
    return row.iloc[0]


def test_index_page_shows_every_measure_with_target_and_banner(runs):
    root, index = runs["da"]
    page = index.read_text(encoding="utf-8")
    for text in ("Andel utrygge i nabolaget", "ekstraordinær tryghedsindsats", "Uplanlagte lukkedage",
                 "15–25-årige sigtet", "bandeopgørelse", "Højst 13 % i 2017", "33 % lavere i 2017"):
        assert text in page
    assert "DEMODATA – SYNTETISKE TAL" in page
    for nb in ("01_ingest", "06_report"):
        assert f'href="{nb}.html"' in page



@pytest.mark.parametrize("lang, sep, text", [("da", ";", "DEMODATA – SYNTETISKE TAL"),
                                             ("en", ",", "DEMO DATA – SYNTHETIC")])
def test_every_exported_table_of_a_demo_run_says_the_data_are_synthetic(runs, lang, sep, text):
    """Wherever a CSV or an xlsx of a demo report ends up, each of its rows says the numbers are synthetic (the
    first column), and the numbers stay numbers beside it."""
    _, index = runs[lang]
    csvs = sorted(index.parent.glob("*.csv"))
    assert {p.name for p in csvs} >= {"scorecard.csv", "areas.csv", "changes.csv", "trends.csv"}
    for path in csvs:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=sep))
        assert rows[0][0] == "Data" and len(rows) > 1, path.name
        assert {r[0] for r in rows[1:]} == {text}, path.name
    for path in sorted(index.parent.glob("*.xlsx")):
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        cells = list(ws.iter_rows(values_only=True))
        assert cells[0][0] == "Data" and {r[0] for r in cells[1:]} == {text}, path.name
        assert any(isinstance(v, (int, float)) for r in cells[1:] for v in r[1:]), path.name

def test_rendered_notebooks_hide_code_and_carry_banner(runs):
    root, index = runs["en"]
    pages = sorted(index.parent.glob("0*.html"))
    assert len(pages) == 6
    for p in pages:
        html = p.read_text(encoding="utf-8")
        assert "DEMO DATA – SYNTHETIC" in html
        assert "load_pipeline" not in html and "RunPaths.for_notebook" not in html, p.name


def test_indicators_match_hand_counts(runs, demo_dir):
    t = _table(runs["da"][0])
    # closure days and institutions in 2013, counted from the xlsx with openpyxl
    ws = openpyxl.load_workbook(demo_dir / demo.FILES["closures"]).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    y2013 = [r for r in rows if r[2].year == 2013]
    assert _value(t, "closure_days", "kbh", 2013).estimate == sum(r[4] for r in y2013)
    assert _value(t, "closed_institutions", "kbh", 2013).estimate == len({r[0] for r in y2013})
    nb = [r for r in y2013 if r[1] == "Nørrebro"]
    assert _value(t, "closure_days", "noerrebro", 2013).estimate == sum(r[4] for r in nb)

    # youth charged, Nørrebro = Indre + Ydre Nørrebro, by hand from the CSVs
    def read(name):
        with open(demo_dir / demo.FILES[name], encoding="utf-8") as fh:
            return list(csv.DictReader(fh, delimiter=";"))
    charged = {(r["aar"], r["bydel"]): int(r["sigtede_15_25"]) for r in read("youth_charged")}
    pop = {(r["aar"], r["bydel"]): int(r["antal"]) for r in read("population") if r["aldersgruppe"] == "15-25"}
    parts = ("Indre Nørrebro", "Ydre Nørrebro")
    expect = 100 * sum(charged[("2016", p)] for p in parts) / sum(pop[("2016", p)] for p in parts)
    assert _value(t, "youth_charged", "noerrebro", 2016).estimate == pytest.approx(expect, rel=1e-12)

    # survey share for Valby 2015: weighted mean by hand, 'ved ikke' (9) excluded
    ans = [r for r in read("survey") if r["aar"] == "2015" and r["bydel"] == "Valby" and r["tryg_aften_nat"] != "9"]
    w = [float(r["vaegt"].replace(",", ".")) for r in ans]
    share = 100 * sum(wi for wi, r in zip(w, ans) if r["tryg_aften_nat"] in "45") / sum(w)
    row = _value(t, "unsafe_night", "s-valby", 2015)
    assert row.estimate == pytest.approx(share, rel=1e-9)
    assert row.n_unweighted == len(ans)
    assert row.n_effective == pytest.approx(sum(w) ** 2 / sum(x * x for x in w), rel=1e-9)
    assert row.ci_low < row.estimate < row.ci_high


def test_changes_respect_the_series_break(runs):
    ch = pd.read_parquet(runs["da"][0] / "data/processed/sikker-by/2017/demo-da/changes.parquet")
    city = ch[(ch.indicator_id == "unsafe_night") & (ch.area_id == "kbh")]
    assert (city["flags"] == "series_break").all()
    assert city["pvalue"].isna().all()
    youth = ch[(ch.indicator_id == "youth_charged") & (ch.area_id == "kbh") & (ch.comparison == "previous_year")]
    assert youth["pvalue"].between(0, 1).all()


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_rerun_gives_identical_processed_tables(runs):
    # the second run (another language) recomputes every table from the same raw files
    a, b = runs["da"][0], runs["en"][0]
    for rel in ("indicators.parquet", "changes.parquet", "targets.parquet", "trends.parquet",
                "cluster_units.parquet", "staged/survey.parquet", "clean/closures.parquet"):
        path = f"data/processed/sikker-by/2017/{{}}/{rel}"
        assert _sha(a / path.format("demo-da")) == _sha(b / path.format("demo-en")), rel


def test_redrawn_figures_are_byte_identical(runs, tmp_path):
    """Two measures' figures redrawn in this process equal the kernel's, byte for byte (every figure of the run is
    compared across processes and executors in test_runner.py's sweep test)."""
    root = runs["da"][0]
    pipeline = config.load_pipeline("sikker-by")
    two = pipeline.model_copy(update={"indicators": pipeline.indicators[:2]})
    # the run read the demo data: its figures carry the watermark, so the redraw says demo too
    redrawn = figures.indicator_figures(two, _table(root), 2017, "da", tmp_path, demo=True)
    names = sorted(f for files in redrawn["files"] for f in files)
    assert len(names) >= 6 and {Path(n).suffix for n in names} == {".png", ".svg"}   # two kinds of chart each
    for name in names:
        assert _sha(root / "figures/sikker-by/2017/demo-da" / name) == _sha(tmp_path / name), name


def test_cli_bad_year_exits_2_without_traceback(demo_dir, capsys, tmp_path):
    code = cli.main(["run", "sikker-by", "--year", "2030", "--raw", str(demo_dir), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "year 2030 is outside the data" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_cli_validate_and_list(demo_dir, capsys):
    assert cli.main(["validate", "sikker-by", "--raw", str(demo_dir)]) == 0
    out = capsys.readouterr().out
    assert "configuration valid" in out and "2010–2017" in out
    assert "reported_offences" in out and "not in the raw folder (optional" in out
    assert cli.main(["list", "--raw", str(demo_dir)]) == 0
    assert "sikker-by" in capsys.readouterr().out
    assert cli.main(["validate", "sikker-by", "--raw", "/no/such/folder"]) == 2


def test_annual_target_reports_slope_within_segment(runs):
    t = _table(runs["da"][0])
    pipeline = config.load_pipeline("sikker-by")
    detail = changes.target_table(pipeline, t, 2016).query("indicator_id == 'unsafe_night' and target_type == "
                                                           "'annual_change'").iloc[0]["detail"]
    # closed-form inverse-variance slope (METHODS.md §1.5 (i)) over 2013-2016, computed here by hand
    s = t[(t.indicator_id == "unsafe_night") & (t.area_id == "kbh") & t.period.between(2013, 2016)]
    p, n, yr = s.estimate.to_numpy() / 100, s.n_effective.to_numpy(), s.period.to_numpy()
    w = n / (p * (1 - p))
    beta = ((w.sum() * (w * p * yr).sum() - (w * yr).sum() * (w * p).sum())
            / (w.sum() * (w * yr * yr).sum() - (w * yr).sum() ** 2))
    assert f"WLS slope 2013–2016: {100 * beta:+.2f} pp/yr" in detail
    after_break = changes.target_table(pipeline, t, 2017).query("indicator_id == 'unsafe_night' and "
                                                                "target_type == 'annual_change'").iloc[0]
    assert after_break["status"] == "not_assessable" and "series break" in after_break["detail"]


def test_report_states_change_trend_target_and_limits_for_every_measure(runs):
    root, index = runs["en"]
    card = pd.read_parquet(root / "data/processed/sikker-by/2017/demo-en/scorecard.parquet").set_index("indicator_id")
    pipeline = config.load_pipeline("sikker-by")
    assert set(card.index) == {i.id for i in pipeline.indicators}
    # the optional StatBank measure has no file in the demo data: reported as missing, not as an error
    assert np.isnan(card.loc["reported_crime", "Estimate"])
    measured = card.drop(index="reported_crime")
    for col in ("Verdict", "Trend", "What the data cannot tell"):
        assert measured[col].str.len().gt(1).all(), col
    # every measure with a target has a status; one without says "–" (no target), never a blank
    targeted = [i.id for i in pipeline.indicators if i.targets and i.id in measured.index]
    assert len(targeted) >= 7 and measured.loc[targeted, "Status"].str.len().gt(1).all()
    assert (measured.drop(index=targeted)["Status"] == "–").all()
    # the 2017 survey crosses the declared break: no test, and the size limit is computed from the actual n
    unsafe = card.loc["unsafe_night"].replace("\u00a0", " ", regex=True)
    assert "no test across a series break" in unsafe["Verdict"]
    ch = pd.read_parquet(root / "data/processed/sikker-by/2017/demo-en/changes.parquet")
    prev = ch[(ch.indicator_id == "unsafe_night") & (ch.area_id == "kbh") & (ch.comparison == "previous_year")]
    t = _table(root)
    a, b = _value(t, "unsafe_night", "kbh", 2016), _value(t, "unsafe_night", "kbh", 2017)
    p = (a["estimate"] + b["estimate"]) / 200
    sig = 100 * 1.959964 * (p * (1 - p) * (1 / a["n_effective"] + 1 / b["n_effective"])) ** 0.5
    assert prev.iloc[0]["significant_from"] == pytest.approx(sig, rel=1e-6)
    assert f"at least {sig:.1f} percentage points" in unsafe["What the data cannot tell"]
    assert "a 1-point fall in one year is therefore not detectable" in unsafe["What the data cannot tell"]
    # closure days: a bootstrap over institutions, not a Poisson test
    assert "bootstrap over" in ch[(ch.indicator_id == "closure_days") & (ch.area_id == "kbh")].iloc[0]["method"]
    page = index.read_text(encoding="utf-8")
    for anchor in ("METHODS.md §1.1–1.3", "(§1.5)", "METHODS.md §2.1", "METHODS.md §3.1", "(§3.2)", "METHODS.md §4"):
        assert anchor in page, anchor
