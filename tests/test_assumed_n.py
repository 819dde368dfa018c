"""A published share whose sample size the YAML declares as an assumption (``assumed_n``, issue 10) is flagged in
every statement that uses it: the change words, the test's name, the trend, the scorecard cells and the exports
(changes.csv and trends.csv: ``method`` and ``flags``), in Danish and English; a share with its own n is not.

Steps 01–04 run in-process on three small long tables; the expected p comes from the unpooled z-test written out
here with scipy's normal distribution, on the assumed n."""

from __future__ import annotations

import csv

import numpy as np

import pytest
from scipy import stats as sps

from tryghed import changes, clean, config, disclosure, i18n, indicators, report, sources

WORDS = {"da": "antaget stikprøvestørrelse", "en": "assumed sample size"}
YEARS = (2019, 2020, 2021, 2022)
#: Unsafe shares without n (published as whole percents), per area and year.
UNSAFE = {"I alt": (12, 11, 10, 9), "Nord": (15, 14, 12, 9), "Syd": (10, 10, 11, 10)}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("assumed")
    raw = tmp / "raw"
    raw.mkdir()
    lines = ["område;år;indikator;andel"]
    for area, vals in UNSAFE.items():
        for y, v in zip(YEARS, vals):
            lines += [f"{area};{y};Utryg;{v}", f"{area};{y};UtrygBrud;{v}"]
    (raw / "b.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    lines = ["område;år;andel;n"] + [f"{a};{y};{80 + i};{400 + 10 * i}" for a in UNSAFE
                                       for i, y in enumerate(YEARS)]
    (raw / "a.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yml = tmp / "p.yml"
    yml.write_text(f"""id: p
name: P
owner: P
baseline_year: 2019
default_year: 2022
demo_raw: {raw}
notebooks: [01_ingest]
breaks:
  - {{indicator: unsafe_break, year: 2022, why: {{da: Ny leverandør, en: A new supplier}}}}
areas:
  - {{id: by, level: city, name: Byen, aliases: [I alt]}}
  - {{id: nord, level: district, parent: by, name: Nord}}
  - {{id: syd, level: district, parent: by, name: Syd}}
sources:
  a: {{format: long, file: a.csv, columns: {{area: område, period: år, value: andel, n: n}}}}
  b: {{format: long, file: b.csv, columns: {{area: område, period: år, indicator: indikator, value: andel}}}}
indicators:
  - {{id: safe, kind: published_share, source: a, unit: percent, direction: increase, levels: [city, district],
     name: Trygge}}
  - {{id: unsafe, kind: published_share, source: b, select: Utryg, assumed_n: {{city: 1000, district: 200}},
     unit: percent, direction: decrease, levels: [city, district], name: Utrygge}}
  - {{id: unsafe_break, kind: published_share, source: b, select: UtrygBrud, assumed_n: 500, unit: percent,
     direction: decrease, levels: [city, district], name: Utrygge (brud)}}
""", encoding="utf-8")
    p = config.load_pipeline(yml)
    sources.ingest(p, raw, tmp / "staged")
    clean.clean_all(p, tmp / "staged", tmp / "clean")
    table = indicators.compute_all(p, tmp / "clean")
    published = disclosure.protect_pipeline_table(p, table, min_answers=indicators.MIN_ANSWERS).table
    ch = changes.change_table(p, published, 2022)
    tr = changes.trend_table(p, published, 2022)
    tg = changes.target_table(p, published, 2022)
    return p, published, ch, tr, tg, tmp


ASSUMED = ("unsafe", "unsafe_break")


def test_the_change_and_trend_rows_carry_the_flag(run):
    p, published, ch, tr, _, _ = run
    flagged = ch[ch["indicator_id"].isin(ASSUMED)]
    # 3 areas × 2 comparisons (previous year, baseline) × 2 indicators, tested or across the break
    assert len(flagged) == 12 and (flagged["flags"].str.split(";").map(lambda f: "assumed_n" in f)).all()
    assert flagged["method"].str.contains("n assumed, not published", regex=False).all()
    assert (flagged[flagged["indicator_id"] == "unsafe_break"]["verdict_reason"] == "series_break").all()
    own = ch[ch["indicator_id"] == "safe"]
    assert len(own) == 6 and not own["flags"].fillna("").str.contains("assumed_n").any()
    assert not own["method"].str.contains("assumed").any()
    t = tr[tr["indicator_id"] == "unsafe"]
    assert len(t) == 3 and t["flags"].str.contains("assumed_n").all() and t["method"].str.contains("n assumed").all()
    assert not tr[tr["indicator_id"] == "safe"]["flags"].fillna("").str.contains("assumed_n").any()


def test_the_test_rests_on_the_assumed_n(run):
    _, _, ch, _, _, _ = run
    r = ch[(ch["indicator_id"] == "unsafe") & (ch["area_id"] == "nord") & (ch["comparison"] == "previous_year")]
    p1, p2, n = 0.12, 0.09, 200  # Nord 2021 and 2022, the district's assumed n
    z = (p2 - p1) / np.sqrt(p1 * (1 - p1) / n + p2 * (1 - p2) / n)
    assert r["p_exact"].iloc[0] == pytest.approx(2 * sps.norm.sf(abs(z)), rel=1e-9)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_statement_says_so(run, lang):
    p, published, ch, tr, _, _ = run
    for r in ch.to_dict("records"):
        text = i18n.change_statement(r, "percent", lang)
        test = i18n.method_name(r["method"], lang)
        if r["indicator_id"] in ASSUMED:
            assert WORDS[lang] in text, text
            if r["verdict"] != "not_tested":
                assert WORDS[lang] in test, test
        else:
            assert WORDS[lang] not in text and WORDS[lang] not in test
    for r in tr.to_dict("records"):
        text = i18n.trend_statement(r, "percent", lang)
        uses_n = r["indicator_id"] in ASSUMED and r["flags"] != "too_few_periods"  # no trend after the break
        assert (WORDS[lang] in text) == uses_n, text


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_scorecard_cells_say_so(run, lang):
    p, published, ch, tr, tg, _ = run
    card = report.scorecard(p, published, ch, tg, 2022, lang, trends=tr).set_index("indicator_id")
    L = i18n.LABELS[lang]
    assert len(card) == 3
    for iid in ASSUMED:
        assert WORDS[lang] in card.loc[iid, L["verdict"]]
    assert WORDS[lang] in card.loc["unsafe", L["trend"]]
    assert WORDS[lang] not in card.loc["safe", L["verdict"]] and WORDS[lang] not in card.loc["safe", L["trend"]]
    # what the sizes can detect rests on the assumed n too
    assert WORDS[lang] in card.loc["unsafe", L["limits"]] and WORDS[lang] not in card.loc["safe", L["limits"]]


@pytest.mark.parametrize("lang,sep", [("da", ";"), ("en", ",")])
def test_changes_csv_and_trends_csv_say_so(run, lang, sep):
    p, _, ch, tr, _, tmp = run
    paths = changes.write_machine_tables(p, ch, tr, tmp / f"report-{lang}", lang)
    for path, expected in zip(paths, (12, 3)):
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=sep))
        mine = [r for r in rows if r["indicator_id"] in ASSUMED and r["flags"] != "too_few_periods"]
        assert len(mine) == expected
        assert all("assumed_n" in r["flags"].split(";") and "n assumed, not published" in r["method"] for r in mine)
        assert not any("assumed" in r["flags"] + r["method"] for r in rows if r["indicator_id"] == "safe")


def test_the_value_with_its_interval_can_be_flagged(run):
    _, published, _, _, _, _ = run
    r = published[(published["indicator_id"] == "unsafe") & (published["area_id"] == "nord")
                  & (published["period"] == 2022)].iloc[0].to_dict()
    assert r["n_effective"] == 200
    assert i18n.assumed_n_mark("9 % (5,8–13,8)", r, "da", what="value") == \
        "9 % (5,8–13,8) (interval på en antaget stikprøvestørrelse)"
    assert i18n.assumed_n_mark("9% (5.8–13.8)", {"flags": ""}, "en", what="value") == "9% (5.8–13.8)"


