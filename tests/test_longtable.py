"""The generic long-table reader (``format: long``): CSV, xlsx and parquet, and every bad input with its row."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from tryghed.errors import ConfigError, InputError
from tryghed.sources.long import OUTPUT_COLUMNS, check_shares, read_long

FIXTURES = Path(__file__).parent / "fixtures" / "long"
DA = {"area": "bydel", "period": "år", "indicator": "type", "count": "antal", "population": "befolkning"}
EN = {"area": "District", "period": "Month", "indicator": "Offence", "count": "Reported offences"}


def _csv(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_danish_semicolon_decimal_comma_with_bom():
    path = FIXTURES / "bydele_aar_da.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    df = read_long(path, columns=DA)
    assert tuple(df.columns) == OUTPUT_COLUMNS
    assert len(df) == 24  # 4 areas × 3 years × 2 types, counted in the file
    first = df.iloc[0]
    assert (first["row"], first["area"], first["period"], first["period_type"], first["year"], first["indicator"],
            first["count"], first["population"]) == (2, "Hele byen", "2015", "year", 2015, "Indbrud", 410, 150000.5)
    # row 5 of the file: Østerbro;2015;Hærværk;80;60000,25
    r5 = df[df["row"] == 5].iloc[0]
    assert (r5["area"], r5["indicator"], r5["count"], r5["population"]) == ("Østerbro", "Hærværk", 80, 60000.25)
    assert str(df["count"].dtype) == "Int64" and df["value"].isna().all() and df["n"].isna().all()
    assert df.attrs["columns"] == DA


def test_english_comma_monthly_counts_equal_the_csv_module():
    path = FIXTURES / "city_monthly_en.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    df = read_long(path, columns=EN)
    assert len(df) == len(rows) == 162
    assert df["count"].tolist() == [int(r["Reported offences"]) for r in rows]
    assert df["period"].tolist() == [r["Month"] for r in rows]
    assert set(df["period_type"]) == {"month"}
    assert df["row"].tolist() == list(range(2, 164))


def test_headers_match_case_and_whitespace_insensitively(tmp_path):
    path = _csv(tmp_path, "Område ;  PERIODE;Antal\nNord;2019K1;3\nNord;2019K2;4\n")
    df = read_long(path, columns={"area": "område", "period": "periode", "count": "antal"})
    assert df["period"].tolist() == ["2019Q1", "2019Q2"]
    assert df["indicator"].tolist() == ["", ""]


def test_quoted_fields_and_blank_rows_keep_row_numbers(tmp_path):
    path = _csv(tmp_path, 'area,period,count\n"Nord, øst",2019,3\n\nSyd,2019,"4"\n')
    df = read_long(path, columns={"area": "area", "period": "period", "count": "count"})
    assert df[["row", "area", "count"]].to_dict("list") == {"row": [2, 4], "area": ["Nord, øst", "Syd"],
                                                            "count": [3, 4]}


def test_mixed_measures_leave_cells_empty(tmp_path):
    path = _csv(tmp_path, "area;period;indicator;count;population;value;n\n"
                          "Nord;2020;tryg;;;86,5;410\n"
                          "Nord;2020;anmeldelser;120;15000;;\n")
    cols = {r: r for r in ("area", "period", "indicator", "count", "population", "value", "n")}
    df = read_long(path, columns=cols, shares={"tryg"})
    assert df["value"].iloc[0] == 86.5 and df["n"].iloc[0] == 410 and pd.isna(df["count"].iloc[0])
    assert df["count"].iloc[1] == 120 and df["population"].iloc[1] == 15000.0 and pd.isna(df["value"].iloc[1])


def _xlsx(path: Path, rows: list[list], *, sheet: str = "Data", before: str | None = "Forside") -> Path:
    book = openpyxl.Workbook()
    first = book.active
    if before:
        first.title = before
        first.append(["Nothing here"])
        ws = book.create_sheet(sheet)
    else:
        ws = first
        ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def test_xlsx_named_sheet_title_rows_and_numbers(tmp_path):
    path = _xlsx(tmp_path / "t.xlsx", [["Tryghedsundersøgelsen (syntetisk)"], [None], ["Område", "År", "Andel", "n"],
                                       ["Nord", 2021, 86.5, 400], [None, None, None, None], ["Syd", 2021.0, 80, 380]])
    df = read_long(path, columns={"area": "Område", "period": "År", "value": "Andel", "n": "n"}, sheet="Data",
                   shares=True)
    # sheet rows: title 1, blank 2, header 3, Nord 4, blank 5, Syd 6
    assert df[["row", "area", "period", "value", "n"]].to_dict("list") == {
        "row": [4, 6], "area": ["Nord", "Syd"], "period": ["2021", "2021"], "value": [86.5, 80.0], "n": [400, 380]}
    assert df.attrs["sheet"] == "Data"


def test_parquet_rows_count_from_one(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"area": ["Nord", "Syd"], "q": ["2019Q1", "2019Q1"], "antal": [3, 5]}).to_parquet(path)
    df = read_long(path, columns={"area": "area", "period": "q", "count": "antal"})
    assert df[["row", "count"]].to_dict("list") == {"row": [1, 2], "count": [3, 5]}
    years = tmp_path / "years.parquet"
    pd.DataFrame({"area": ["Nord", "Nord"], "aar": [2019, 2020], "antal": [3.0, 4.0]}).to_parquet(years)
    df = read_long(years, columns={"area": "area", "period": "aar", "count": "antal"})
    assert df[["period", "year", "count"]].to_dict("list") == {"period": ["2019", "2020"], "year": [2019, 2020],
                                                               "count": [3, 4]}
    bad = tmp_path / "bad.parquet"
    pd.DataFrame({"area": ["Nord", "Syd"], "q": ["2019Q1", "2019Q5"], "antal": [3, 5]}).to_parquet(bad)
    with pytest.raises(InputError, match=r"\(row 2\).*'2019Q5', which is not a period"):
        read_long(bad, columns={"area": "area", "period": "q", "count": "antal"})


# --- bad input: each names the file, the row and the fix -------------------------------------------------------------

def _bad(tmp_path, text, columns=None, **kw) -> InputError:
    path = _csv(tmp_path, text)
    with pytest.raises(InputError) as info:
        read_long(path, columns=columns or {"area": "area", "period": "period", "indicator": "indicator",
                                            "count": "count"}, **kw)
    err = info.value
    assert err.path == str(path)
    return err


HEAD = "area;period;indicator;count\n"


def test_duplicate_area_period_indicator(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;3\nSyd;2019;vold;4\nNord;2019;vold;5\n")
    assert err.where == "row 4"
    assert "(area=Nord, period=2019, indicator=vold) appears more than once (first in row 2)" in err.problem
    assert "Remove the duplicated row" in err.fix


def test_the_same_month_in_two_spellings_is_a_duplicate(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019-01;vold;3\nNord;2019M01;vold;5\n")
    assert err.where == "row 3" and "period=2019-01" in err.problem


def test_unparseable_period(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;3\nNord;2019-13;vold;5\n")
    assert err.where == "row 3"
    assert "column 'period' holds '2019-13', which is not a period" in err.problem
    assert "2017Q1" in err.fix


def test_empty_period(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;;vold;3\n")
    assert err.where == "row 2" and "column 'period' is empty" in err.problem


def test_share_outside_0_100(tmp_path):
    cols = {"area": "area", "period": "period", "value": "andel", "n": "n"}
    err = _bad(tmp_path, "area;period;andel;n\nNord;2019;86;400\nSyd;2019;101,5;380\n", cols, shares=True)
    assert err.where == "row 3"
    assert "column 'andel' holds 101.5, a share outside 0–100" in err.problem
    assert "0.86 is written 86" in err.fix


def test_share_check_only_for_the_share_indicators(tmp_path):
    path = _csv(tmp_path, "area;period;indicator;value\nNord;2019;rate;140\nNord;2019;tryg;86\n"
                          "Nord;2020;tryg;-1\n")
    df = read_long(path, columns={"area": "area", "period": "period", "indicator": "indicator", "value": "value"})
    check_shares(df[df["period"] == "2019"], path, indicators={"tryg"})  # 140 per 1,000 is no share
    with pytest.raises(InputError, match=r"\(row 4\).*holds -1, a share outside 0–100"):
        check_shares(df, path, indicators={"tryg"})


def test_count_not_whole(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;3\nSyd;2019;vold;4,5\n")
    assert err.where == "row 3"
    assert "column 'count' holds '4,5'; a whole number was expected" in err.problem


def test_negative_count(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;-2\n")
    assert err.where == "row 2" and "holds -2, below the allowed 0" in err.problem


def test_thousands_separator_in_a_count(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;12.345\n")
    assert err.where == "row 2" and "thousands separator" in err.problem


def test_missing_required_column(tmp_path):
    err = _bad(tmp_path, "area;year;count\nNord;2019;3\n", {"area": "area", "period": "period", "count": "count"})
    assert err.where == "header"
    assert "column 'period' (the period column named in 'columns') is missing; the file has: area, year, count" \
        in err.problem
    assert "Fix 'columns: {period: ...}'" in err.fix


def test_overlapping_periods(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;30\nNord;2018-12;vold;2\nNord;2019-03;vold;3\n")
    assert err.where == "row 4"
    assert "period 2019-03 overlaps period 2019 (row 2) for area Nord, indicator vold" in err.problem


def test_empty_area_and_row_without_numbers(tmp_path):
    err = _bad(tmp_path, HEAD + "Nord;2019;vold;3\n;2019;vold;3\n")
    assert err.where == "row 3" and "column 'area' is empty" in err.problem
    cols = {"area": "area", "period": "period", "count": "count", "population": "pop"}
    err = _bad(tmp_path, "area;period;count;pop\nNord;2019;3;100\nSyd;2019;;\n", cols)
    assert err.where == "row 3" and "no number in any of 'count', 'pop'" in err.problem


def test_population_zero_and_n_zero(tmp_path):
    cols = {"area": "area", "period": "period", "count": "count", "population": "pop"}
    err = _bad(tmp_path, "area;period;count;pop\nNord;2019;3;0\n", cols)
    assert err.where == "row 2" and "a population must be above 0" in err.problem
    cols = {"area": "area", "period": "period", "value": "value", "n": "n"}
    err = _bad(tmp_path, "area;period;value;n\nNord;2019;50;0\n", cols)
    assert err.where == "row 2" and "holds 0, below the allowed 1" in err.problem


def test_decimal_comma_in_a_comma_separated_file(tmp_path):
    err = _bad(tmp_path, "area,period,count,population\nNord,2019,3,100,5\n",
               {"area": "area", "period": "period", "count": "count", "population": "population"})
    assert err.where == "row 2" and "the row has 5 fields but the header has 4" in err.problem


def test_xlsx_row_numbers_and_unknown_sheet(tmp_path):
    path = _xlsx(tmp_path / "t.xlsx", [["Titel"], ["area", "period", "count"], ["Nord", "2019", 3],
                                       ["Syd", "2019", 2.5]], before=None)
    with pytest.raises(InputError) as info:
        read_long(path, columns={"area": "area", "period": "period", "count": "count"})
    assert info.value.where == "sheet 'Data', row 4" and "a whole number was expected" in info.value.problem
    with pytest.raises(InputError, match="no sheet 'Ark2' \\(it has: Data\\)"):
        read_long(path, columns={"area": "area", "period": "period", "count": "count"}, sheet="Ark2")


def test_bad_columns_mapping_is_a_config_error(tmp_path):
    path = _csv(tmp_path, HEAD + "Nord;2019;vold;3\n")
    with pytest.raises(ConfigError, match="unknown role"):
        read_long(path, columns={"area": "area", "period": "period", "antal": "count"})
    with pytest.raises(ConfigError, match="'period' role is missing"):
        read_long(path, columns={"area": "area", "count": "count"})
    with pytest.raises(ConfigError, match="'count' or a 'value'"):
        read_long(path, columns={"area": "area", "period": "period", "population": "count"})


def test_city_generator_reads_back(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_city_monthly", FIXTURES / "make_city_monthly.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    truth = mod.make_city_monthly(tmp_path / "city.csv")
    assert len(truth) == 10 * 5 * 12 * 3
    df = read_long(tmp_path / "city.csv", columns=EN)
    assert df["count"].tolist() == truth["count"].tolist()
    assert df["area"].nunique() == 10 and df["indicator"].nunique() == 3


def test_select_measure_sums_counts_and_keeps_one_population(tmp_path):
    from tryghed.sources.long import select_measure

    path = _csv(tmp_path, "area;period;indicator;count;population\n"
                          "Nord;2019;vold;3;1000\nNord;2019;trusler;4;1000\nSyd;2019;vold;5;2000\n"
                          "Syd;2019;trusler;6;2000\nNord;2020;vold;7;1010\n")
    df = read_long(path, columns={r: r for r in ("area", "period", "indicator", "count", "population")})
    one = select_measure(df, "vold")
    assert one["count"].tolist() == [3, 5, 7]
    both = select_measure(df, ["vold", "trusler"])
    # Nord 2019: 3 + 4; Syd 2019: 5 + 6; Nord 2020 has no 'trusler' row: missing, not 7
    assert both[["row", "area", "period", "count", "population"]].astype(object).where(both.notna(), None).to_dict(
        "list") == {"row": [2, 4, 6], "area": ["Nord", "Syd", "Nord"], "period": ["2019", "2019", "2020"],
                    "count": [7, 11, None], "population": [1000.0, 2000.0, 1010.0]}
    assert set(both["indicator"]) == {"vold+trusler"}
    with pytest.raises(ConfigError, match="'select' names 'tyveri'.*it holds 'vold', 'trusler'"):
        select_measure(df, ["vold", "tyveri"])


def test_select_measure_refuses_different_populations_and_published_values(tmp_path):
    from tryghed.sources.long import select_measure

    path = _csv(tmp_path, "area;period;indicator;count;population\nNord;2019;vold;3;1000\nNord;2019;trusler;4;999\n")
    df = read_long(path, columns={r: r for r in ("area", "period", "indicator", "count", "population")})
    with pytest.raises(InputError) as info:
        select_measure(df, ["vold", "trusler"])
    assert info.value.where == "row 3" and "holds 999 for Nord, 2019 (trusler) but 1000 in row 2" in \
        info.value.problem
    path = _csv(tmp_path, "area;period;indicator;value;n\nNord;2019;a;50;100\nNord;2019;b;20;100\n", "s.csv")
    df = read_long(path, columns={r: r for r in ("area", "period", "indicator", "value", "n")})
    with pytest.raises(ConfigError, match="cannot be added up"):
        select_measure(df, ["a", "b"])
