"""`tryghed new NAME --from FILE`: the pipeline YAML written for three long tables, checked by hand, and the files it
cannot understand."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import yaml

from tryghed.errors import ConfigError, InputError
from tryghed.scaffold import NOTEBOOKS, normalise_header, scaffold, slug

FIXTURES = Path(__file__).parent / "fixtures" / "long"


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_slug_and_header_normalisation():
    assert slug("Amager Øst") == "amager-oest"
    assert slug("Hærværk på biler", "_") == "haervaerk_paa_biler"
    assert slug("Brønshøj-Husum") == "broenshoej-husum"
    assert slug("Café (i alt)") == "cafe-i-alt"
    assert normalise_header("  Antal_anmeldelser (i alt) ") == "antal anmeldelser i alt"
    assert normalise_header("Rate per 1,000") == "rate per 1000"


def test_english_monthly_counts_by_district(tmp_path):
    out = scaffold("city", FIXTURES / "city_monthly_en.csv", out_dir=tmp_path)
    assert out == tmp_path / "city.yml"
    y = _load(out)
    # the file: 3 districts, Burglary and Violence, 2022-01 to 2024-03 (2024 incomplete)
    assert y["id"] == "city" and y["period"] == "year"  # months summed to whole years (the table is yearly)
    assert (y["baseline_year"], y["default_year"]) == (2022, 2023)
    assert y["demo_raw"] == "tests/fixtures/long"
    assert y["notebooks"] == list(NOTEBOOKS) == ["01_ingest", "02_clean", "03_indicators", "04_change_tests",
                                                 "05_figures", "06_report"]
    assert y["sources"] == {"city": {"format": "long", "file": "city_monthly_en.csv", "columns": {
        "area": "District", "period": "Month", "indicator": "Offence", "count": "Reported offences"}}}
    assert y["areas"] == [
        {"id": "all-areas", "name": {"da": "Alle områder", "en": "All areas"}, "level": "city"},
        {"id": "northfield", "name": "Northfield", "level": "district", "parent": "all-areas"},
        {"id": "southbank", "name": "Southbank", "level": "district", "parent": "all-areas"},
        {"id": "old-town", "name": "Old Town", "level": "district", "parent": "all-areas"},
    ]
    common = {"kind": "rate", "source": "city", "unit": "count", "direction": "decrease",
              "levels": ["city", "district"]}
    assert y["indicators"] == [
        {"id": "burglary", **common, "select": "Burglary", "name": {"da": "Burglary", "en": "Burglary"}},
        {"id": "violence", **common, "select": "Violence", "name": {"da": "Violence", "en": "Violence"}},
    ]
    text = out.read_text(encoding="utf-8")
    assert "compared at equal exposure" in text and "count: 'Reported offences': a word of its header" in text
    assert all(len(line) <= 120 for line in text.splitlines())


def test_report_by_year(tmp_path):
    y = _load(scaffold("city", FIXTURES / "city_monthly_en.csv", out_dir=tmp_path, report_by="year"))
    assert y["period"] == "year" and y["default_year"] == 2023
    with pytest.raises(ConfigError, match="finer than the file's year"):
        scaffold("da", FIXTURES / "bydele_aar_da.csv", out_dir=tmp_path, report_by="month")


def test_danish_semicolon_file_with_a_row_for_the_whole(tmp_path):
    y = _load(scaffold("bydele", FIXTURES / "bydele_aar_da.csv", out_dir=tmp_path))
    assert y["period"] == "year" and (y["baseline_year"], y["default_year"]) == (2015, 2017)
    assert y["sources"]["bydele"]["columns"] == {"area": "bydel", "period": "år", "indicator": "type",
                                                 "count": "antal", "population": "befolkning"}
    assert y["owner"] == "Hele byen"
    assert y["areas"] == [
        {"id": "hele-byen", "name": "Hele byen", "level": "city"},
        {"id": "oesterbro", "name": "Østerbro", "level": "district", "parent": "hele-byen"},
        {"id": "noerrebro", "name": "Nørrebro", "level": "district", "parent": "hele-byen"},
        {"id": "amager-oest", "name": "Amager Øst", "level": "district", "parent": "hele-byen"},
    ]
    common = {"kind": "rate", "source": "bydele", "unit": "per_1000", "direction": "decrease",
              "levels": ["city", "district"]}
    assert y["indicators"] == [
        {"id": "indbrud", **common, "select": "Indbrud", "name": {"da": "Indbrud", "en": "Indbrud"}},
        {"id": "haervaerk", **common, "select": "Hærværk", "name": {"da": "Hærværk", "en": "Hærværk"}},
    ]


def _shares_xlsx(path: Path) -> Path:
    """Published shares with their sample sizes below a title row, on a sheet named 'Resultater' (synthetic)."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Resultater"
    ws.append(["Tryghedsundersøgelse (syntetiske tal)"])
    ws.append([])
    ws.append(["Område", "År", "Indikator", "Andel (%)", "Antal svar"])
    values = {("Hele kommunen", "Tryg i nabolaget"): 85, ("Nord", "Tryg i nabolaget"): 88,
              ("Syd", "Tryg i nabolaget"): 81, ("Hele kommunen", "Utryg om aftenen"): 12,
              ("Nord", "Utryg om aftenen"): 9, ("Syd", "Utryg om aftenen"): 15}
    for year in (2020, 2021, 2022):
        for (area, ind), v in values.items():
            ws.append([area, year, ind, v + (year - 2020) * 0.5, 1200 if area == "Hele kommunen" else 600])
    book.save(path)
    return path


def test_xlsx_published_shares_with_n(tmp_path):
    path = _shares_xlsx(tmp_path / "tryghed.xlsx")
    out = scaffold("tryghed-kommune", path, out_dir=tmp_path / "pipelines")
    y = _load(out)
    assert y["sources"] == {"tryghed_kommune": {"format": "long", "file": "tryghed.xlsx", "sheet": "Resultater",
                                                "columns": {"area": "Område", "period": "År",
                                                            "indicator": "Indikator", "value": "Andel (%)",
                                                            "n": "Antal svar"}}}
    assert y["demo_raw"] == str(tmp_path)
    assert (y["period"], y["baseline_year"], y["default_year"]) == ("year", 2020, 2022)
    assert [a["id"] for a in y["areas"]] == ["hele-kommunen", "nord", "syd"]
    assert y["areas"][0]["level"] == "city" and {a["parent"] for a in y["areas"][1:]} == {"hele-kommunen"}
    common = {"kind": "published_share", "source": "tryghed_kommune", "unit": "percent",
              "levels": ["city", "district"]}
    assert y["indicators"] == [
        {"id": "tryg_i_nabolaget", **common, "select": "Tryg i nabolaget", "direction": "increase",
         "name": {"da": "Tryg i nabolaget", "en": "Tryg i nabolaget"}},
        {"id": "utryg_om_aftenen", **common, "select": "Utryg om aftenen", "direction": "decrease",
         "name": {"da": "Utryg om aftenen", "en": "Utryg om aftenen"}},
    ]


def test_share_without_n_needs_an_assumption(tmp_path):
    path = tmp_path / "andele.csv"
    path.write_text("bydel;år;andel\nNord;2020;86\nSyd;2020;80\nNord;2021;87\nSyd;2021;79\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("a", path, out_dir=tmp_path)
    assert "no sample size" in info.value.problem and "--assumed-n N" in info.value.fix
    y = _load(scaffold("a", path, out_dir=tmp_path, assumed_n=3600))
    (ind,) = y["indicators"]
    assert (ind["id"], ind["kind"], ind["assumed_n"], ind["levels"]) == ("andele", "published_share", 3600,
                                                                         ["district"])
    assert "select" not in ind and "indicator" not in y["sources"]["a"]["columns"]
    assert "An assumption, not a measurement" in (tmp_path / "a.yml").read_text(encoding="utf-8")


def test_columns_guessed_from_content_and_named_by_option(tmp_path):
    path = tmp_path / "odd.csv"
    rows = [f"{w};{p};{what};{n}" for p in ("2019Q1", "2019Q2", "2019Q3", "2019Q4")
            for w in ("Nord", "Syd", "Øst") for what, n in (("A", 3), ("B", 4))]
    path.write_text("Where;When;What;How many\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("odd", path, out_dir=tmp_path)
    assert "could not place a count or a value column (number columns left: How many)" in info.value.problem
    assert "--count HEADER" in info.value.fix and info.value.where == "header"
    y = _load(scaffold("odd", path, out_dir=tmp_path, count="How many"))
    # When: every value a period; Where (3 distinct) is the area, What (2 distinct) the indicator
    assert y["sources"]["odd"]["columns"] == {"area": "Where", "period": "When", "indicator": "What",
                                              "count": "How many"}
    assert y["period"] == "year" and y["default_year"] == 2019
    assert [i["id"] for i in y["indicators"]] == ["a", "b"]
    text = (tmp_path / "odd.yml").read_text(encoding="utf-8")
    assert "'Where': a text column, more distinct values (3) than 'What'" in text


def test_files_it_cannot_understand(tmp_path):
    three = tmp_path / "three.csv"
    three.write_text("x;y;z;period;count\na;b;c;2019;1\nd;e;f;2019;2\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("t", three, out_dir=tmp_path)
    assert "could not place the area column (text columns left: x, y, z)" in info.value.problem
    assert "--area HEADER" in info.value.fix
    split = tmp_path / "split.csv"
    split.write_text("bydel;år;måned;antal\nNord;2019;1;3\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("t", split, out_dir=tmp_path)
    assert "the period is spread over 2 columns (år, måned)" in info.value.problem
    twice = tmp_path / "twice.csv"
    twice.write_text("bydel;område;år;antal\nNord;N;2019;3\n", encoding="utf-8")
    with pytest.raises(InputError, match="more than one column could be the area column: bydel, område"):
        scaffold("t", twice, out_dir=tmp_path)
    with pytest.raises(InputError, match="the area column 'Kvarter' given as an option is not in the file"):
        scaffold("t", twice, out_dir=tmp_path, area="Kvarter")
    repeats = tmp_path / "repeats.csv"
    repeats.write_text("bydel;år;antal\nNord;2019;3\nNord;2019;4\n", encoding="utf-8")
    with pytest.raises(InputError, match="could not place the indicator column \\(no text column left\\)"):
        scaffold("t", repeats, out_dir=tmp_path)
    wide = tmp_path / "wide.csv"
    wide.write_text("kommune;2018;2019;2020\nNord;3;4;5\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("t", wide, out_dir=tmp_path)
    assert "the file is wide: its headers 2018 … 2020 are periods" in info.value.problem
    assert "unpivot" in info.value.fix
    partial = tmp_path / "partial.csv"
    partial.write_text("bydel;måned;antal\n" + "".join(f"Nord;2019-{m:02d};3\n" for m in range(1, 12)),
                       encoding="utf-8")
    with pytest.raises(InputError, match="no complete year"):
        scaffold("t", partial, out_dir=tmp_path)


def test_bad_rows_are_reported_before_any_yaml_is_written(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("bydel;år;antal\nNord;2019;3\nSyd;2019;x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scaffold("dup", path, out_dir=tmp_path)
    assert info.value.where == "row 3" and "which is not a number" in info.value.problem
    assert not (tmp_path / "dup.yml").exists()


def test_never_overwrites_without_force(tmp_path):
    out = tmp_path / "bydele.yml"
    out.write_text("# mine\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="exists already; pick another name, or pass --force"):
        scaffold("bydele", FIXTURES / "bydele_aar_da.csv", out_dir=tmp_path)
    assert out.read_text(encoding="utf-8") == "# mine\n"
    scaffold("bydele", FIXTURES / "bydele_aar_da.csv", out_dir=tmp_path, force=True)
    assert _load(out)["id"] == "bydele"
    with pytest.raises(ConfigError, match="pipeline name 'Bad Name'"):
        scaffold("Bad Name", FIXTURES / "bydele_aar_da.csv", out_dir=tmp_path)


def test_city_monthly_yaml_reads_back_to_the_generators_yearly_counts(tmp_path):
    """The synthetic city file: the YAML's source, read and summed to years, equals the generator's own counts summed
    by pandas (the lead's end-to-end test then compares each district's last two years with scipy's binomtest)."""
    import importlib.util

    from tryghed.periods import aggregate
    from tryghed.sources.long import read_long

    spec = importlib.util.spec_from_file_location("make_city_monthly", FIXTURES / "make_city_monthly.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    truth = mod.make_city_monthly(tmp_path / "city.csv", last_year_months=9)  # 2023 stops in September
    y = _load(scaffold("city", tmp_path / "city.csv", out_dir=tmp_path, report_by="year"))
    assert (y["baseline_year"], y["default_year"]) == (2019, 2022)
    assert [i["select"] for i in y["indicators"]] == ["Burglary", "Violence", "Theft"]
    assert len(y["areas"]) == 11 and y["areas"][0]["level"] == "city"
    source = y["sources"]["city"]
    df = read_long(Path(y["demo_raw"]) / source["file"], columns=source["columns"])
    agg = aggregate(df, to="year", by=["area", "indicator"], columns=["count"])
    expected = (truth.assign(year=truth["month"].str[:4].astype(int)).query("year <= 2022")
                .groupby(["district", "offence", "year"])["count"].sum())
    got = agg.table.set_index(["area", "indicator", "year"])["count"].astype(int)
    got.index.names = expected.index.names
    assert len(got) == 10 * 3 * 4
    assert got.sort_index().equals(expected.sort_index())
    assert set(agg.dropped["note"]) == {"2023 has only 9 of 12 months: left out"}
    assert len(agg.dropped) == 30
