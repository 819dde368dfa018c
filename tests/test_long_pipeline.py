"""A long table no one prepared for tryghed, end to end: `tryghed new` (report by year), then the pipeline's steps
01–04 in-process (the package functions the notebooks call). The expected p and q come from scipy on the generator's
own counts, never from tryghed."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from tryghed import changes, clean, cli, config, disclosure, indicators, sources
from tryghed.errors import ConfigError, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "long"


def _generator():
    spec = importlib.util.spec_from_file_location("make_city_monthly", FIXTURES / "make_city_monthly.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_city_monthly", mod)
    spec.loader.exec_module(mod)
    return mod


def _run_steps(pipeline, raw, work, year):
    """Steps 01–04 as the notebooks run them."""
    sources.ingest(pipeline, raw, work / "staged")
    dropped = clean.clean_all(pipeline, work / "staged", work / "clean")
    table = indicators.compute_all(pipeline, work / "clean")
    published = disclosure.protect_pipeline_table(pipeline, table, min_answers=indicators.MIN_ANSWERS).table
    return dropped, table, published


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """The synthetic city's monthly counts (2019–2023, and 2024 only to March: a file published mid-year)."""
    root = tmp_path_factory.mktemp("city")
    raw = root / "raw"
    raw.mkdir()
    gen = _generator()
    frame = pd.concat([gen.make_city_monthly(),
                       gen.make_city_monthly(first_year=2024, years=1, last_year_months=3, seed=7)])
    path = raw / "city_crime_by_district.csv"
    frame.drop(columns="mean").rename(columns={"district": "District", "month": "Month", "offence": "Offence",
                                               "count": "Reported offences"}).to_csv(path, index=False)
    pipes = root / "pipelines"
    rc = cli.main(["new", "city", "--from", str(path), "--report-by", "year", "--out", str(pipes)])
    assert rc == 0
    pipeline = config.load_pipeline(pipes / "city.yml")
    dropped, table, published = _run_steps(pipeline, raw, root / "work", pipeline.default_year)
    return dict(frame=frame, pipeline=pipeline, dropped=dropped, table=table, published=published, root=root)


def _yearly(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame.assign(year=frame["month"].str[:4].astype(int))
    return f.groupby(["district", "offence", "year"])["count"].sum()


def test_yearly_counts_equal_the_generators_sums(city):
    p, table = city["pipeline"], city["table"]
    assert p.period == "year" and p.default_year == 2023
    expected = _yearly(city["frame"])
    ids = {a.name["da"]: a.id for a in p.areas}
    for off in ("Burglary", "Violence", "Theft"):
        sub = table[(table["indicator_id"] == off.lower()) & (table["level"] == "district")].set_index(
            ["area_id", "period"])
        for d in ("Old Town", "Riverside"):
            for y in (2019, 2023):
                assert sub.loc[(ids[d], y), "numerator"] == expected[(d, off, y)]
                assert sub.loc[(ids[d], y), "denominator"] == 1.0
        # the whole: the sum over the 10 districts, present because each district has its count
        city_rows = table[(table["indicator_id"] == off.lower()) & (table["level"] == "city")].set_index("period")
        assert city_rows.loc[2021, "numerator"] == expected.xs(off, level="offence").xs(2021, level="year").sum()
    # 2024 has only three months: left out and said so
    assert 2024 not in set(table["period"])
    notes = " ".join(city["dropped"]["why"].astype(str))
    assert "2024 has only 3 of 12 months: left out" in notes
    assert "equal exposure" in table["method"].iloc[0]


def test_exact_p_and_bh_q_per_district_equal_scipy(city):
    """Last year vs the year before in each district: p = binomtest(k2, k1+k2, 1/2), q = BH over the districts."""
    p, published = city["pipeline"], city["published"]
    year = p.default_year
    ch = changes.change_table(p, published, year)
    expected = _yearly(city["frame"])
    ids = {a.name["da"]: a.id for a in p.areas}
    for off in ("Burglary", "Violence", "Theft"):
        fam = ch[(ch["indicator_id"] == off.lower()) & (ch["level"] == "district")
                 & (ch["comparison"] == "previous_year")].set_index("area_id")
        assert len(fam) == 10
        want_p = {}
        for d in fam.index.map({v: k for k, v in ids.items()}):
            k1, k2 = int(expected[(d, off, year - 1)]), int(expected[(d, off, year)])
            want_p[ids[d]] = sps.binomtest(k2, k1 + k2, 0.5).pvalue  # equal exposure: e2/(e1+e2) = 1/2
        got = fam["p_exact"].astype(float)
        np.testing.assert_allclose(got.to_numpy(), [want_p[a] for a in fam.index], rtol=0, atol=1e-9)
        want_q = sps.false_discovery_control([want_p[a] for a in fam.index], method="bh")
        np.testing.assert_allclose(fam["q_exact"].astype(float).to_numpy(), want_q, rtol=0, atol=1e-9)
        assert fam["family"].nunique() == 1
        assert fam["method"].str.contains("equal exposure").all()


def test_machine_readable_changes_csv(city, tmp_path):
    p, published = city["pipeline"], city["published"]
    year = p.default_year
    ch = changes.change_table(p, published, year)
    tr = changes.trend_table(p, published, year)
    expected = _yearly(city["frame"])
    names = {a.id: a.name for a in p.areas}
    for lang, sep, enc in (("da", ";", "utf-8-sig"), ("en", ",", "utf-8")):
        out = tmp_path / lang
        paths = changes.write_machine_tables(p, ch, tr, out, lang=lang)
        raw = paths[0].read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (lang == "da")
        with open(paths[0], encoding=enc, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter=sep))
        assert list(rows[0])[:15] == changes.MACHINE_COLUMNS
        assert len(rows) == int(((ch["comparison"] != "") & ch["indicator_id"].notna()).sum())
        # Old Town, burglary, last year vs the year before: the rate ratio k2/k1 at full precision
        r = next(r for r in rows if r["area_name"] == names["old-town"][lang] and r["indicator_id"] == "burglary"
                 and r["comparison"] == "previous_year")
        k1, k2 = int(expected[("Old Town", "Burglary", year - 1)]), int(expected[("Old Town", "Burglary", year)])
        num = (lambda s: float(s.replace(",", "."))) if lang == "da" else float
        assert num(r["estimate"]) == k2 / k1
        assert num(r["p_exact"]) == pytest.approx(sps.binomtest(k2, k1 + k2, 0.5).pvalue, abs=1e-12)
        if lang == "da":
            assert "." not in r["estimate"] and "," in r["estimate"]
        assert (r["period"], r["ref_period"]) == (str(year), str(year - 1))
        digits = r["p_exact"].replace(",", ".").split("e")[0].replace(".", "").lstrip("0")
        assert len(digits) >= 10 or float(r["p_exact"].replace(",", ".")) in (0.0, 1.0)
        assert r["significant"] in ("true", "false")
        with open(paths[1], encoding=enc, newline="") as fh:
            trends = list(csv.DictReader(fh, delimiter=sep))
        assert trends and {t["comparison"] for t in trends} == {"trend"}


def test_new_refuses_to_overwrite_and_names_an_unplaceable_column(tmp_path, capsys):
    path = tmp_path / "x.csv"
    path.write_text("Where,When,What\nA,2019,x\nB,2019,y\n", encoding="utf-8")
    assert cli.main(["new", "x", "--from", str(path), "--out", str(tmp_path)]) == 2
    assert "could not place a count or a value column" in capsys.readouterr().err
    good = FIXTURES / "bydele_aar_da.csv"
    assert cli.main(["new", "b", "--from", str(good), "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "b.yml")
    assert cli.main(["new", "b", "--from", str(good), "--out", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["new", "b", "--from", str(good), "--out", str(tmp_path), "--force"]) == 0


def test_unknown_area_is_an_error_naming_the_row(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "t.csv").write_text("bydel;år;antal\nNord;2019;3\nSyd;2019;4\n", encoding="utf-8")
    from tryghed.scaffold import scaffold

    yml = scaffold("t", raw / "t.csv", out_dir=tmp_path)
    (raw / "t.csv").write_text("bydel;år;antal\nNord;2019;3\nSyd;2019;4\nVest;2020;5\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        sources.ingest(config.load_pipeline(yml), raw, tmp_path / "staged")
    assert info.value.where == "row 4" and "'Vest' is not an area" in info.value.problem


def test_missing_district_month_makes_the_year_and_the_city_missing(tmp_path):
    """One district lacks one month of one year: that year is left out for it, and the city is missing, not a
    sum over nine districts."""
    raw = tmp_path / "raw"
    raw.mkdir()
    gen = _generator()
    frame = gen.make_city_monthly(years=2, offences=("Burglary",))
    frame = frame[~((frame["district"] == "Eastgate") & (frame["month"] == "2020-05"))]
    path = raw / "c.csv"
    frame.drop(columns="mean").to_csv(path, index=False)
    from tryghed.scaffold import scaffold

    p = config.load_pipeline(scaffold("c", path, out_dir=tmp_path, indicator="offence", report_by="year"))
    _, table, _ = _run_steps(p, raw, tmp_path / "w", 2020)
    t = table.set_index(["area_id", "period"])
    assert 2020 not in set(table[table["area_id"] == "eastgate"]["period"])
    city = t.loc[(p.city.id, 2020)]
    assert np.isnan(city["estimate"]) and city["flags"] == "incomplete:Eastgate"
    assert t.loc[(p.city.id, 2019), "numerator"] == frame[frame["month"].str.startswith("2019")]["count"].sum()


def test_finer_reporting_is_refused_with_the_fix(tmp_path):
    from tryghed.scaffold import scaffold

    with pytest.raises(ConfigError, match="use --report-by year"):
        scaffold("m", FIXTURES / "city_monthly_en.csv", out_dir=tmp_path, report_by="month")


def _steps_from(tmp_path, text: str, **options):
    """Write a small long table, scaffold its pipeline (`tryghed new`) and run steps 01–03; return both."""
    from tryghed.scaffold import scaffold

    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "t.csv").write_text(text, encoding="utf-8")
    p = config.load_pipeline(scaffold("t", raw / "t.csv", out_dir=tmp_path, **options))
    _, table, published = _run_steps(p, raw, tmp_path / "w", p.default_year)
    return p, published


def test_published_share_with_n_shown_as_published_wilson_and_z(tmp_path):
    from statsmodels.stats.proportion import proportion_confint

    p, t = _steps_from(tmp_path, "område;år;indikator;andel;n\nNord;2021;Tryg;81;400\nNord;2022;Tryg;86;500\n"
                                 "Syd;2021;Tryg;70;300\nSyd;2022;Tryg;72;350\n")
    assert p.indicators[0].kind == "published_share"
    nord = t[t["area_id"] == "nord"].set_index("period")
    assert nord.loc[2022, "estimate"] == 86 and nord.loc[2022, "flags"] == ""
    lo, hi = proportion_confint(430, 500, method="wilson")  # 86 % of 500
    assert (nord.loc[2022, "ci_low"], nord.loc[2022, "ci_high"]) == pytest.approx((100 * lo, 100 * hi), rel=1e-9)
    # no row for the whole: published shares never add up
    assert set(t["level"]) == {"district"}
    ch = changes.change_table(p, t, 2022)
    ch = ch[ch["comparison"] == "previous_year"].set_index("area_id")
    se = np.sqrt(0.81 * 0.19 / 400 + 0.86 * 0.14 / 500)
    assert ch.loc["nord", "p_exact"] == pytest.approx(2 * sps.norm.sf(0.05 / se), rel=1e-9)


def test_assumed_n_is_flagged_on_every_row_and_test(tmp_path):
    p, t = _steps_from(tmp_path, "område;år;indikator;andel\nNord;2021;Utryg;11\nNord;2022;Utryg;9\n",
                       assumed_n=1000)
    assert (t["flags"] == "assumed_n").all() and (t["n_effective"] == 1000).all()
    assert t["method"].str.contains("n = 1,000 assumed").all()
    ch = changes.change_table(p, t, 2022)
    assert ch["method"].str.contains("n assumed").all()
    note = p.indicators[0].impl.note_for(p.indicators[0], p, "da")
    assert "n = 1.000 er en ANTAGELSE" in note


def test_published_rate_with_count_and_population_exact_test(tmp_path):
    p, t = _steps_from(tmp_path, "bydel;år;type;rate;antal;befolkning\nNord;2021;Vold;5,2;52;10000\n"
                                 "Nord;2022;Vold;7,1;71;10000\n")
    assert p.indicators[0].kind == "published_rate"
    row = t[t["period"] == 2022].iloc[0]
    assert (row["estimate"], row["numerator"], row["denominator"]) == (7.1, 71, 10000)
    ch = changes.change_table(p, t, 2022).iloc[0]
    assert ch["p_exact"] == pytest.approx(sps.binomtest(71, 123, 0.5).pvalue, abs=1e-12)


def test_a_share_outside_0_100_is_an_input_error_naming_the_row(tmp_path):
    from tryghed.scaffold import scaffold

    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "t.csv").write_text("område;år;andel;n\nNord;2021;81;400\n", encoding="utf-8")
    p = config.load_pipeline(scaffold("t", raw / "t.csv", out_dir=tmp_path))
    (raw / "t.csv").write_text("område;år;andel;n\nNord;2021;81;400\nNord;2022;181;400\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        sources.ingest(p, raw, tmp_path / "staged")
    assert info.value.where == "row 3" and "outside 0–100" in info.value.problem


def _yaml_pipeline(tmp_path, files: dict[str, str], sources_yaml: str, indicators_yaml: str):
    """A hand-written pipeline over small long tables: a city with districts Nord, Syd and Øst."""
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    for name, text in files.items():
        (raw / name).write_text(text, encoding="utf-8")
    yml = tmp_path / "p.yml"
    yml.write_text(f"""id: p
name: P
owner: P
baseline_year: 2021
default_year: 2022
demo_raw: {raw}
notebooks: [01_ingest]
areas:
  - {{id: by, level: city, name: Byen, aliases: [I alt]}}
  - {{id: nord, level: district, parent: by, name: Nord}}
  - {{id: syd, level: district, parent: by, name: Syd}}
  - {{id: oest, level: district, parent: by, name: Øst}}
sources:
{sources_yaml}
indicators:
{indicators_yaml}
""", encoding="utf-8")
    return config.load_pipeline(yml), raw


def test_count_sums_to_the_city_only_when_every_district_has_it(tmp_path):
    p, raw = _yaml_pipeline(
        tmp_path, {"c.csv": "bydel;år;antal\nNord;2021;3\nSyd;2021;4\nØst;2021;0\nNord;2022;5\nSyd;2022;6\n"},
        "  c: {format: long, file: c.csv, columns: {area: bydel, period: år, count: antal}}",
        "  - {id: visits, kind: count, source: c, unit: count, direction: increase, levels: [city, district], "
        "name: Besøg}")
    _, table, published = _run_steps(p, raw, tmp_path / "w", 2022)
    t = table.set_index(["area_id", "period"])
    assert t.loc[("by", 2021), "estimate"] == 7  # 3 + 4 + 0: a zero is a number
    assert np.isnan(t.loc[("by", 2022), "estimate"]) and t.loc[("by", 2022), "flags"] == "incomplete:Øst"
    ch = changes.change_table(p, published, 2022)
    assert (ch["verdict"] == "not_tested").all() and ch["family"].eq("").all()


def test_two_files_of_one_series_must_agree(tmp_path):
    files = {"a.csv": "bydel;år;andel\nI alt;2021;80\nNord;2021;78\n",
             "b.csv": "bydel;år;andel\nI alt;2022;82\nNord;2022;79\nI alt;2021;81\n"}
    src = ("  a: {format: long, file: a.csv, columns: {area: bydel, period: år, value: andel}}\n"
           "  b: {format: long, file: b.csv, columns: {area: bydel, period: år, value: andel}}")
    ind = ("  - {id: safe, kind: published_share, source: a, more_sources: [b], assumed_n: 500, unit: percent, "
           "direction: increase, levels: [city, district], name: Tryg}")
    p, raw = _yaml_pipeline(tmp_path, files, src, ind)
    with pytest.raises(InputError) as info:
        _run_steps(p, raw, tmp_path / "w", 2022)
    assert info.value.path.endswith("b.csv") and info.value.where == "row 4"
    assert "a.csv (row 2)" in info.value.problem and "value 80 vs 81" in info.value.problem
    (raw / "b.csv").write_text("bydel;år;andel\nI alt;2022;82\nNord;2022;79\nI alt;2021;80\n", encoding="utf-8")
    _, table, _ = _run_steps(p, raw, tmp_path / "w2", 2022)
    got = table.set_index(["area_id", "period"])["estimate"].to_dict()
    assert got == {("by", 2021): 80, ("by", 2022): 82, ("nord", 2021): 78, ("nord", 2022): 79}


def test_against_the_rest_needs_every_districts_count(tmp_path):
    text = "bydel;år;rate;antal\nNord;2022;50;100\nSyd;2022;40;60\nØst;2022;30;\n"
    src = "  r: {format: long, file: r.csv, columns: {area: bydel, period: år, value: rate, count: antal}}"
    ind = ("  - {id: crime, kind: published_rate, source: r, against_rest: district, unit: per_1000, "
           "direction: decrease, levels: [district], name: Anmeldelser}")
    p, raw = _yaml_pipeline(tmp_path, {"r.csv": text}, src, ind)
    _, _, published = _run_steps(p, raw, tmp_path / "w", 2022)
    rest = changes.against_rest_table(p, published, 2022)
    assert len(rest) == 3 and (rest["verdict"] == "not_tested").all()
    assert rest["method"].str.contains(r"incomplete \(Øst\)").all()
    (raw / "r.csv").write_text(text.replace("30;\n", "30;45\n"), encoding="utf-8")
    _, _, published = _run_steps(p, raw, tmp_path / "w2", 2022)
    rest = changes.against_rest_table(p, published, 2022).set_index("area_id")
    # Nord: 100 reports over 2,000 residents (100 / 50 × 1000) against Syd and Øst: 105 over 1,500 + 1,500
    assert rest.loc["nord", "p_exact"] == pytest.approx(sps.binomtest(100, 205, 2000 / 5000).pvalue, rel=1e-9)
    assert rest.loc["nord", "ref_estimate"] == pytest.approx(105 / 3000 * 1000, rel=1e-12)
