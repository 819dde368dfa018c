"""Sikker By completion (issue 10): the safety index's editions, an index that ends, youth by age band and offence.

Expected values are hand counts from small tables written here or from the raw demo files read with the csv module.
"""

import csv
import math

import numpy as np
import pandas as pd
import pytest

from tryghed import config, demo, indicators, run
from tryghed.errors import InputError
from tryghed.sources.registers import read_register_counts
from tryghed.sources.safety_index import read_safety_index


@pytest.fixture(scope="module")
def pipeline():
    return config.load_pipeline("sikker-by")


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_edition_y_describes_year_y_minus_1(tmp_path):
    p = _write(tmp_path / "index.csv", "udgave;distrikt_nr;distrikt;bydel;kategori\n"
                                       "2014;1;Distrikt 1;Indre By;markant\n2014;2;Distrikt 2;Valby;ordinær\n"
                                       "2013;1;Distrikt 1;Indre By;intensiveret\n")
    df = read_safety_index(p)
    assert df["year"].tolist() == [2013, 2013, 2012]
    assert df["edition"].tolist() == [2014, 2014, 2013]


def test_a_data_year_column_is_read_as_it_is(tmp_path):
    p = _write(tmp_path / "index.csv", "data_aar;distrikt_nr;distrikt;bydel;kategori\n"
                                       "2013;1;Distrikt 1;Indre By;markant\n")
    df = read_safety_index(p)
    assert df["year"].tolist() == [2013]
    assert df["edition"].tolist() == [2014]


def test_demo_2014_edition_gives_the_programmes_5_areas_in_2013(demo_dir, pipeline):
    with open(demo_dir / demo.FILES["safety_index"], encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    high = sum(r["udgave"] == "2014" and r["kategori"] in ("intensiveret", "markant") for r in rows)
    assert high == 5
    df = read_safety_index(demo_dir / demo.FILES["safety_index"])
    assert int(df[(df["year"] == 2013)]["category"].isin(["intensiveret", "markant"]).sum()) == 5
    assert int(df[(df["year"] == 2010)]["category"].isin(["intensiveret", "markant"]).sum()) == 12


@pytest.fixture(scope="module")
def cut_raw(tmp_path_factory, demo_dir):
    """The demo folder with the safety index cut after its 2014 edition (data year 2013), as the real index ended."""
    import shutil

    d = tmp_path_factory.mktemp("cut") / "raw"
    shutil.copytree(demo_dir, d)
    p = d / demo.FILES["safety_index"]
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    p.write_text("".join([lines[0], *(ln for ln in lines[1:] if int(ln.split(";")[0]) <= 2014)]), encoding="utf-8")
    return d


def test_an_index_that_ended_does_not_block_2015(cut_raw, pipeline, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="tryghed.run"):
        cov = run.validate(pipeline, cut_raw, year=2015)
    index = next(c for c in cov if c.source == "safety_index")
    assert (index.first, index.last) == (2009, 2013)
    assert "source safety_index covers 2009–2013: its measures are not measured in 2015" in caplog.text


@pytest.fixture(scope="module")
def cut_clean(cut_raw, pipeline, tmp_path_factory):
    """The cut folder ingested and cleaned in-process (no kernel): the clean tables' folder."""
    from tryghed import clean, sources

    work = tmp_path_factory.mktemp("cut_tables")
    sources.ingest(pipeline, cut_raw, work / "staged")
    clean.clean_all(pipeline, work / "staged", work / "clean")
    return work / "clean"


@pytest.fixture(scope="module")
def cut_table(cut_clean, pipeline):
    return indicators.compute_all(pipeline, cut_clean, 2015)


def test_after_the_index_ends_intensive_areas_are_missing_never_zero(cut_table):
    t = cut_table[(cut_table["indicator_id"] == "intensive_areas") & (cut_table["area_id"] == "kbh")]
    assert t["period"].max() == 2013
    assert t.set_index("period").loc[2013, "estimate"] == 5
    # no 2014 or 2015 row: the report says "not measured", never a 0
    assert not (t["period"] >= 2014).any()
    # the other measures do have 2015
    assert (cut_table[cut_table["indicator_id"] == "unsafe_night"]["period"] == 2015).any()


# -- youth charged by age band and offence ---------------------------------------------------------------------------

def test_register_counts_keep_age_band_and_offence(tmp_path):
    p = _write(tmp_path / "y.csv", "aar;bydel;aldersgruppe;kriminalitet;sigtede\n"
                                   "2015;Valby;14-17;vold;3\n2015;Valby;14-17;Anden grov;4\n"
                                   "2015;Valby;18-25;vold;6\n")
    df = read_register_counts(p)
    assert list(df.columns[:5]) == ["year", "area_name", "count", "age_band", "offence"]
    assert df["offence"].tolist() == ["vold", "anden grov", "vold"]
    assert df["count"].tolist() == [3, 4, 6]


def test_register_counts_duplicate_cell_is_an_input_error(tmp_path):
    p = _write(tmp_path / "y.csv", "aar;bydel;aldersgruppe;kriminalitet;sigtede\n"
                                   "2015;Valby;14-17;vold;3\n2015;Valby;14-17;vold;4\n")
    with pytest.raises(InputError, match="more than once"):
        read_register_counts(p)


def _band_tables(pipeline, drop=()):
    leaves = pipeline.areas_at("survey_district")
    counts, pops = [], []
    for i, a in enumerate(leaves):
        for band, base in (("14-17", 1000), ("18-25", 2000)):
            pops.append(dict(area_id=a.id, area_name=a.name["da"], year=2015, age_band=band, population=base + i))
            for off, k in (("vold", 2 + i), ("anden grov", 5 + i)):
                if (a.id, band, off) not in drop:
                    counts.append(dict(area_id=a.id, area_name=a.name["da"], year=2015, age_band=band, offence=off,
                                       count=k))
    return pd.DataFrame(counts), pd.DataFrame(pops)


def _with_districts(ind):
    """The indicator at the district level too (the YAML shows the split at city level only)."""
    return ind.model_copy(update={"levels": ("city", "district")})


def test_youth_band_and_offence_shares_by_hand(pipeline):
    counts, pops = _band_tables(pipeline)
    n = len(pipeline.areas_at("survey_district"))
    ind = _with_districts(pipeline.indicator("youth_charged_18_25_violent"))
    out = indicators.compute_indicator(ind, pipeline, {"youth_bands": counts, "population_bands": pops})
    out = out.set_index(["level", "area_id", "period"])
    # city: violent 18-25 = sum over districts of (2 + i); population = sum of (2000 + i)
    num = sum(2 + i for i in range(n))
    den = sum(2000 + i for i in range(n))
    city = out.loc[("city", "kbh", 2015)]
    assert city["numerator"] == num and city["denominator"] == den
    assert city["estimate"] == pytest.approx(100 * num / den, rel=1e-12)
    # Nørrebro = Indre + Ydre Nørrebro
    ids = [a.id for a in pipeline.areas_at("survey_district")]
    i, j = ids.index("s-indre-noerrebro"), ids.index("s-ydre-noerrebro")
    nb = out.loc[("district", "noerrebro", 2015)]
    assert nb["estimate"] == pytest.approx(100 * (4 + i + j) / (4000 + i + j), rel=1e-12)
    other = indicators.compute_indicator(pipeline.indicator("youth_charged_14_17_other"), pipeline,
                                         {"youth_bands": counts, "population_bands": pops})
    c = other[(other["level"] == "city")].iloc[0]
    assert c["numerator"] == sum(5 + i for i in range(n)) and c["denominator"] == sum(1000 + i for i in range(n))


def test_a_missing_band_cell_is_missing_not_zero(pipeline):
    counts, pops = _band_tables(pipeline, drop={("s-valby", "18-25", "vold")})
    out = indicators.compute_indicator(_with_districts(pipeline.indicator("youth_charged_18_25_violent")), pipeline,
                                       {"youth_bands": counts, "population_bands": pops})
    out = out.set_index(["area_id", "period"])
    assert math.isnan(out.loc[("kbh", 2015), "estimate"])
    assert math.isnan(out.loc[("valby", 2015), "estimate"])
    assert np.isfinite(out.loc[("noerrebro", 2015), "estimate"])


def test_an_offence_the_table_never_holds_is_an_input_error(pipeline):
    counts, pops = _band_tables(pipeline)
    ind = pipeline.indicator("youth_charged_14_17_violent")
    bad = counts.assign(offence=counts["offence"].replace("vold", "violence"))
    with pytest.raises(InputError, match="selects offences 'vold'"):
        indicators.compute_indicator(ind, pipeline, {"youth_bands": bad, "population_bands": pops})


def test_demo_youth_bands_by_hand(demo_dir, cut_table):
    # 2013 city share of 14-17-year-olds charged with violence, by hand from the demo CSVs (the cut folder holds
    # the same youth files)
    def read(name):
        with open(demo_dir / demo.FILES[name], encoding="utf-8", newline="") as fh:
            return list(csv.DictReader(fh, delimiter=";"))
    k = sum(int(r["sigtede"]) for r in read("youth_bands")
            if r["aar"] == "2013" and r["aldersgruppe"] == "14-17" and r["kriminalitet"] == "vold")
    n = sum(int(r["antal"]) for r in read("population_bands") if r["aar"] == "2013" and r["aldersgruppe"] == "14-17")
    t = cut_table[(cut_table["indicator_id"] == "youth_charged_14_17_violent") & (cut_table["area_id"] == "kbh")]
    assert t.set_index("period").loc[2013, "estimate"] == pytest.approx(100 * k / n, rel=1e-12)
    assert k > 0


def test_band_indicators_are_person_counts_under_disclosure_control(pipeline):
    bands = [i for i in pipeline.indicators if i.id.startswith("youth_charged_1")]
    assert len(bands) == 4 and all(i.persons for i in bands)
    assert {i.spec.age_band for i in bands} == {"14-17", "18-25"}
    assert {o for i in bands for o in i.spec.offences} == {"vold", "anden grov"}


# -- the programme's own figures as run-time checks -------------------------------------------------------------------

def test_demo_agrees_with_the_programmes_baselines(cut_table, pipeline, caplog):
    import logging

    from tryghed import programme

    checks = {c.indicator_id: c for c in programme.programme_checks(pipeline, cut_table)}
    # every indicator with a programme baseline value is checked on 2013
    assert set(checks) == {"unsafe_night", "intensive_areas", "closure_days", "closed_institutions", "youth_charged"}
    assert all(c.checked and c.agrees and c.year == 2013 for c in checks.values())
    assert checks["closure_days"].data_value == 283 and checks["closed_institutions"].data_value == 9
    u = checks["unsafe_night"]
    assert u.rule == "interval" and u.ci_low <= 17.5 <= u.ci_high
    with caplog.at_level(logging.WARNING):
        assert programme.log_checks(pipeline, list(checks.values())) == 0
    assert caplog.text == ""
    assert programme.disagreements(pipeline, list(checks.values()), "da") == []


def test_a_doctored_closure_log_is_flagged_in_both_languages(cut_clean, pipeline, caplog):
    import logging

    from tryghed import programme

    closures = pd.read_parquet(cut_clean / "closures.parquet")
    in_2013 = closures[closures["year"] == 2013]
    # drop every closure of one institution in 2013: one institution and its days fewer, by hand
    gone = in_2013["institution"].iloc[0]
    days_gone = int(in_2013.loc[in_2013["institution"] == gone, "days"].sum())
    doctored = closures.drop(index=in_2013.index[in_2013["institution"] == gone])
    tables = {"closures": doctored}
    table = pd.concat([indicators.compute_indicator(pipeline.indicator(i), pipeline, tables)
                       for i in ("closure_days", "closed_institutions")], ignore_index=True)
    checks = {c.indicator_id: c for c in programme.programme_checks(pipeline, table)}
    assert checks["closure_days"].data_value == 283 - days_gone and not checks["closure_days"].agrees
    assert checks["closed_institutions"].data_value == 8 and not checks["closed_institutions"].agrees
    with caplog.at_level(logging.WARNING):
        assert programme.log_checks(pipeline, list(checks.values())) == 2
    assert f"the data give {283 - days_gone}\u00a0days in 2013, the programme's baseline is 283\u00a0days" \
        in caplog.text
    assert f"dataene giver {283 - days_gone}\u00a0dage i 2013, programmets udgangspunkt er 283\u00a0dage" \
        in caplog.text
    da = programme.disagreements(pipeline, list(checks.values()), "da")
    en = programme.disagreements(pipeline, list(checks.values()), "en")
    assert len(da) == len(en) == 2
    assert "dataene giver 8 i 2013, programmets udgangspunkt er 9" in da[1]
    assert "the data give 8 in 2013, the programme's baseline is 9" in en[1]


def test_the_scorecard_says_not_measured_this_year_after_the_index_ended(cut_table, pipeline):
    from tryghed import report

    changes = pd.DataFrame(columns=["indicator_id", "area_id", "comparison"])
    targets = pd.DataFrame(columns=["indicator_id", "target_no", "status"])
    for lang, text in (("da", "ikke målt i år (sidst målt 2013)"),
                       ("en", "not measured this year (last measured 2013)")):
        rows = {m["id"]: m for m in report.measures(pipeline, cut_table, changes, targets, 2015, lang)}
        assert rows["intensive_areas"]["value_text"] == text
