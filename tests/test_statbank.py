"""StatBank adapter: the three layouts on the real shared files, the recorded API responses, and bad inputs.

Expected numbers come from the files read by another route (the csv module, openpyxl cell by cell) or from the
figures documented in ../shared/data/README.md and ../shared/STATBANK.md, never from read_statbank itself.
"""

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import realdata
from tryghed.errors import InputError
from tryghed.sources.statbank import (
    KEY_COLUMNS,
    TIDY_COLUMNS,
    areas,
    offences,
    read_statbank,
    to_annual,
)

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"
RESOURCES = Path(__file__).resolve().parents[1] / "tryghed" / "resources"
WEB_CSV = "dst/straf11_offences_by_type_municipality_2007Q1-2019Q3.csv"
STRAF11_XLSX = "dst/straf11_total_municipality_2007Q1-2022Q4.xlsx"
FOLK1A_XLSX = "dst/folk1a_population_municipality_2008Q1-2022Q4.xlsx"


def need(shared_data: Path, name: str) -> Path:
    """The shared file, or fail (CI) / skip (elsewhere) naming the missing file."""
    return realdata.need(shared_data, name) / name


def resource_rows(name: str) -> list[dict[str, str]]:
    with open(RESOURCES / name, encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


def csv_cell(path: Path, encoding: str, **match) -> dict[str, str]:
    """The one row of a wide CSV whose columns equal ``match`` (read with the csv module)."""
    with open(path, encoding=encoding, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if all(r[k] == v for k, v in match.items())]
    assert len(rows) == 1, match
    return rows[0]


def one(df: pd.DataFrame, **match) -> pd.Series:
    rows = df
    for k, v in match.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1, match
    return rows.iloc[0]


@pytest.fixture(scope="module")
def web(shared_data):
    return read_statbank(need(shared_data, WEB_CSV))


@pytest.fixture(scope="module")
def straf11_xlsx(shared_data):
    return read_statbank(need(shared_data, STRAF11_XLSX))


# ------------------------------------------------------------------------------------------------------ code lists
def test_area_codes_match_the_dagi_municipality_list(shared_data):
    geo = need(shared_data, "geo/dk_municipalities.csv")
    with open(geo, encoding="utf-8") as fh:
        dagi = {r["lau_1"].zfill(3): r for r in csv.DictReader(fh)}
    rows = resource_rows("dst_areas.csv")
    municipalities = {r["code"]: r for r in rows if r["level"] == "municipality"}
    assert len(municipalities) == 98
    assert set(dagi) == set(municipalities) | {"411"}
    for code, r in dagi.items():
        # DAGI spells two names without the genitive s (Nordfyn, Vesthimmerland): the aliases map them too.
        assert areas().code_of(r["label_dk"]) == code
        if code in municipalities:
            assert "DK-" + municipalities[code]["parent"][1:] == r["iso_3166_2"]  # 084 <-> DK-84
    assert {r["code"] for r in rows if r["level"] == "region"} == {"081", "082", "083", "084", "085"}
    assert areas().names["000"] == "Hele landet" and areas().names["998"] == "Uoplyst kommune"


def test_offence_hierarchy_adds_up_in_the_real_export(shared_data):
    """Every parent in straf11_offences.csv is the sum of its children, for every area and quarter of the file."""
    path = need(shared_data, WEB_CSV)
    rows = resource_rows("straf11_offences.csv")
    code_of = {r["label_en"]: r["code"] for r in rows}
    with open(path, encoding="latin-1", newline="") as fh:
        data = list(csv.reader(fh))
    quarters = data[0][2:]
    values = {(r[0], code_of[r[1]]): [int(x) for x in r[2:]] for r in data[1:]}
    assert len({r[1] for r in data[1:]}) == len(rows) == 90
    children = {}
    for r in rows:
        if r["parent"]:
            children.setdefault(r["parent"], []).append(r["code"])
    assert sorted(children) == ["1", "11", "12", "13", "14", "3", "TOT"]
    checked = 0
    for (area, code), series in values.items():
        if code in children:
            for q in range(len(quarters)):
                assert series[q] == sum(values[(area, c)][q] for c in children[code]), (area, code, quarters[q])
                checked += 1
    assert checked == 105 * 7 * 51


def test_resource_files_name_their_sources():
    for name in ("dst_areas.csv", "straf11_offences.csv"):
        head = (RESOURCES / name).read_text(encoding="utf-8").splitlines()[0]
        assert head.startswith("# Statistics Denmark")


def test_code_lists_accept_codes_labels_and_code_and_value():
    assert areas().code_of("101") == areas().code_of("København") == areas().code_of("Copenhagen") == "101"
    assert areas().code_of("101 København") == "101" and areas().code_of("84") == "084"
    assert areas().code_of("0") == "000"
    assert offences().code_of("1320 Indbrud i beboelser") == offences().code_of("Residential burglaries") == "1320"
    assert offences().code_of("Nature of the offence, total") == "TOT"
    assert areas().code_of("Atlantis") is None and offences().code_of("9999") is None


# ---------------------------------------------------------------------------------------------- real shared files
def test_web_csv_reads_copenhagen_and_the_whole_grid(shared_data, web):
    path = need(shared_data, WEB_CSV)
    raw = csv_cell(path, "latin-1", REGION="Copenhagen", **{"TYPE OF OFFENCE": "Nature of the offence, total"})
    assert raw["2007Q1"] == "21462"  # shared/data/README.md: Copenhagen 2007Q1 total 21462
    row = one(web, area_code="101", offence_code="TOT", period="2007Q1")
    assert row["value"] == 21462 and row["area_name"] == "København" and row["table"] == "STRAF11"
    assert (row["year"], row["quarter"], row["missing"]) == (2007, 1, False)
    robbery = csv_cell(path, "latin-1", REGION="Ishøj", **{"TYPE OF OFFENCE": "Robbery"})
    assert one(web, area_code="183", offence_code="1380", period="2019Q3")["value"] == int(robbery["2019Q3"])
    assert list(web.columns) == TIDY_COLUMNS
    assert web["area_code"].nunique() == 105 and web["offence_code"].nunique() == 90
    assert web["period"].nunique() == 51 and len(web) == 105 * 90 * 51
    assert not web["missing"].any()
    assert web.equals(web.sort_values(KEY_COLUMNS).reset_index(drop=True))


def test_straf11_xlsx_reads_copenhagen_and_unknown_municipality(shared_data, straf11_xlsx):
    ws = openpyxl.load_workbook(need(shared_data, STRAF11_XLSX), read_only=True).active
    sheet = [list(r) for r in ws.iter_rows(values_only=True)]
    assert sheet[2][2] == "2007Q1" and sheet[3][1] == "Copenhagen" and sheet[3][2] == 21462
    unknown = next(r for r in sheet if r[1] == "Unknown municipality")
    last = sheet[2].index("2022Q4")
    assert one(straf11_xlsx, area_code="101", period="2007Q1")["value"] == 21462
    assert one(straf11_xlsx, area_code="998", period="2022Q4")["value"] == unknown[last]
    assert set(straf11_xlsx["offence_code"]) == {"TOT"} and set(straf11_xlsx["table"]) == {"STRAF11"}
    assert straf11_xlsx["area_code"].nunique() == 100  # 98 municipalities, Christiansø, unknown
    assert len(straf11_xlsx) == 100 * 64


def test_folk1a_xlsx_reads_copenhagen_2008q1(shared_data):
    path = need(shared_data, FOLK1A_XLSX)
    ws = openpyxl.load_workbook(path, read_only=True).active
    sheet = [list(r) for r in ws.iter_rows(values_only=True)]
    assert sheet[3][:3] == ["Total", "Copenhagen", 509861]  # shared/data/README.md: Copenhagen 2008Q1 = 509861
    aalborg = next(r for r in sheet if r[1] == "Aalborg")
    df = read_statbank(path)
    row = one(df, area_code="101", period="2008Q1")
    assert row["value"] == 509861 and row["table"] == "FOLK1A"
    assert (row["sex"], row["age"], row["marital_status"], row["offence_code"]) == ("TOT", "IALT", "TOT", "")
    assert one(df, area_code="851", period="2022Q4")["value"] == aalborg[sheet[2].index("2022Q4")]
    assert df["area_code"].nunique() == 99 and len(df) == 99 * 60


def test_web_csv_and_xlsx_give_the_same_tidy_table_where_they_overlap(web, straf11_xlsx):
    """2007Q1-2019Q3 totals of 98 municipalities, Christiansø and 'unknown': two exports, one table."""
    overlap = sorted(set(web["period"]) & set(straf11_xlsx["period"]))
    assert overlap[0] == "2007Q1" and overlap[-1] == "2019Q3"
    shown = web["period"].isin(overlap) & web["area_code"].isin(straf11_xlsx["area_code"])
    a = web[(web["offence_code"] == "TOT") & shown]
    b = straf11_xlsx[straf11_xlsx["period"].isin(overlap)]
    assert len(a) == 100 * 51
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


# Real STRAF11 totals (shared xlsx rows 4-6, also in the web CSV), written by hand as the API's long CSV.
LONG_LABELS = """OMRÅDE;OVERTRÆD;TID;INDHOLD
København;Overtrædelsens art i alt;2007K1;21462
København;Overtrædelsens art i alt;2007K2;24280
Frederiksberg;Overtrædelsens art i alt;2007K1;1907
Frederiksberg;Overtrædelsens art i alt;2007K2;2085
Dragør;Overtrædelsens art i alt;2007K1;184
Dragør;Overtrædelsens art i alt;2007K2;183
"""
LONG_CODES = """OMRÅDE;OVERTRÆD;TID;INDHOLD
101;TOT;2007K1;21462
101;TOT;2007K2;24280
147;TOT;2007K1;1907
147;TOT;2007K2;2085
155;TOT;2007K1;184
155;TOT;2007K2;183
"""
LONG_CODE_AND_VALUE = """OMRÅDE;OVERTRÆD;TID;INDHOLD
101 København;TOT Overtrædelsens art i alt;2007K1;21462
101 København;TOT Overtrædelsens art i alt;2007K2;24280
147 Frederiksberg;TOT Overtrædelsens art i alt;2007K1;1907
147 Frederiksberg;TOT Overtrædelsens art i alt;2007K2;2085
155 Dragør;TOT Overtrædelsens art i alt;2007K1;184
155 Dragør;TOT Overtrædelsens art i alt;2007K2;183
"""


@pytest.mark.parametrize("text", [LONG_LABELS, LONG_CODES, LONG_CODE_AND_VALUE],
                         ids=["labels", "codes", "code-and-value"])
def test_api_long_csv_equals_the_web_exports(tmp_path, text, web, straf11_xlsx):
    path = tmp_path / "straf11.csv"
    path.write_text(text, encoding="utf-8")
    long = read_statbank(path)
    keep = ["101", "147", "155"]
    for wide in (straf11_xlsx, web[web["offence_code"] == "TOT"]):
        part = wide[wide["area_code"].isin(keep) & wide["period"].isin(["2007Q1", "2007Q2"])]
        pd.testing.assert_frame_equal(long, part.reset_index(drop=True))
    assert long["value"].tolist() == [21462, 24280, 1907, 2085, 184, 183]


@pytest.mark.parametrize("encoding", ["latin-1", "utf-8", "utf-8-sig"])
def test_web_csv_in_latin1_and_utf8_reads_the_same(shared_data, tmp_path, encoding, web):
    """The first 181 lines (header, Region Hovedstaden and Copenhagen: 2 x 90 offence types) in three encodings."""
    lines = need(shared_data, WEB_CSV).read_bytes().decode("latin-1").splitlines(keepends=True)[:181]
    path = tmp_path / f"straf11_{encoding}.csv"
    path.write_bytes("".join(lines).encode(encoding))
    df = read_statbank(path)
    assert len(df) == 2 * 90 * 51 and set(df["area_name"]) == {"Region Hovedstaden", "København"}
    expected = web[web["area_code"].isin(["084", "101"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(df, expected)


def test_straf22_rape_files_need_the_offence_and_measure(shared_data):
    reported = need(shared_data, "dst/reported_rape.csv")
    charged = need(shared_data, "dst/charged_rape.csv")
    with open(reported, encoding="utf-8", newline="") as fh:
        raw = {r["kommune"]: r for r in csv.DictReader(fh, delimiter=";") if r["kommune"]}
    with pytest.raises(InputError, match="cannot tell which StatBank table"):
        read_statbank(reported)
    with pytest.raises(InputError, match="offence="):
        read_statbank(reported, table="STRAF22", measure="ANM")
    rep = read_statbank(reported, table="STRAF22", offence="1120", measure="ANM")
    chg = read_statbank(charged, table="straf22", offence="Voldtægt mv.", measure="Sigtelser")
    assert one(rep, area_code="101", year=2007)["value"] == int(raw["København"]["2007"]) == 48
    assert one(rep, area_code="000", year=2020)["value"] == int(raw["Hele landet"]["2020"])
    assert one(chg, area_code="101", year=2007)["value"] == 25  # charged_rape.csv, København 2007
    assert set(rep["measure"]) == {"ANM"} and set(chg["measure"]) == {"SIG"} and set(rep["offence_code"]) == {"1120"}
    assert (rep["quarter"] == 0).all() and rep["area_code"].nunique() == 106 and rep["year"].nunique() == 14
    # STATBANK.md §3.1: the whole country is the regions plus the unknown municipality.
    by_year = rep[rep["area_code"].isin(["081", "082", "083", "084", "085", "998"])].groupby("year")["value"].sum()
    national = rep[rep["area_code"] == "000"].set_index("year")["value"]
    pd.testing.assert_series_equal(by_year, national, check_names=False)


# ------------------------------------------------------------------------------------------------------ to_annual
def test_to_annual_sums_four_quarters_and_flags_incomplete_years(shared_data, straf11_xlsx):
    ws = openpyxl.load_workbook(need(shared_data, STRAF11_XLSX), read_only=True).active
    copenhagen = [list(r) for r in ws.iter_rows(min_row=4, max_row=4, values_only=True)][0]
    assert copenhagen[1] == "Copenhagen"
    year = to_annual(straf11_xlsx, "sum")
    row = one(year, area_code="101", year=2007)
    assert row["value"] == sum(copenhagen[2:6]) == 21462 + 24280 + 23553 + 23782
    assert (row["period"], row["quarter"], row["quarters"], row["missing"]) == ("2007", 0, 4, False)
    assert len(year) == 100 * 16

    cut = straf11_xlsx[~((straf11_xlsx["area_code"] == "101") & (straf11_xlsx["period"] == "2007Q4"))]
    suppressed = straf11_xlsx.copy()
    hit = (suppressed["area_code"] == "147") & (suppressed["period"] == "2008Q2")
    suppressed.loc[hit, ["value", "missing"]] = [np.nan, True]
    short = one(to_annual(cut, "sum"), area_code="101", year=2007)
    gap = one(to_annual(suppressed, "sum"), area_code="147", year=2008)
    for r in (short, gap):
        assert math.isnan(r["value"]) and r["missing"] and r["quarters"] == 3


def test_to_annual_first_quarter_is_the_population_on_1_january(shared_data):
    df = read_statbank(need(shared_data, FOLK1A_XLSX))
    year = to_annual(df, "first_quarter")
    assert one(year, area_code="101", year=2008)["value"] == 509861
    no_q1 = one(to_annual(df[df["period"] != "2009Q1"], "first_quarter"), area_code="101", year=2009)
    assert math.isnan(no_q1["value"]) and no_q1["missing"] and no_q1["quarters"] == 0
    with pytest.raises(ValueError, match="how"):
        to_annual(df, "mean")
    with pytest.raises(ValueError, match="quarterly"):
        to_annual(year, "sum")


# ------------------------------------------------------------------------------------------- recorded API responses
def test_bulk_response_fills_left_out_combinations_with_zero(tmp_path):
    df = read_statbank(FIXTURES / "straf11_2025K1.bulk.csv")
    assert len(df) == 3 * 10 and set(df["area_code"]) == {"000", "165", "183"}
    # STATBANK.md §2.1: Albertslund has no Opløb, Uagtsomt or Røveri rows, so they are 0, not missing.
    for code in ("1220", "1283", "1380"):
        row = one(df, area_code="165", offence_code=code)
        assert row["value"] == 0 and not row["missing"]
    assert one(df, area_code="165", offence_code="1345")["value"] == 56
    assert one(df, area_code="000", offence_code="12")["value"] == 6739  # national violence 2025K1 (S2, S19)
    assert one(df, area_code="183", offence_code="1380")["value"] == 1
    renamed = tmp_path / "straf11_2025K1.csv"
    shutil.copy(FIXTURES / "straf11_2025K1.bulk.csv", renamed)
    with pytest.raises(InputError, match="area_code=165, offence_code=1220"):
        read_statbank(renamed)  # a CSV with a hole is truncated, not zero
    pd.testing.assert_frame_equal(read_statbank(renamed, fmt="BULK"), df)


def test_folk1a_csv_response_with_labels():
    df = read_statbank(FIXTURES / "folk1a_2008K1_2020K1.csv")
    assert set(df["table"]) == {"FOLK1A"} and set(df["area_code"]) == {"101"}
    assert set(df["sex"]) == {"TOT"} and set(df["age"]) == {"IALT"}
    married = one(df, marital_status="G", period="2008Q1")
    assert married["value"] == 128556
    assert one(df, marital_status="U", period="2020Q1")["value"] == 412512
    assert one(df, marital_status="F", period="2020Q1")["value"] == 54740


def test_code_csv_bom_and_labels_give_one_table(tmp_path):
    codes = read_statbank(FIXTURES / "straf11_code.csv")
    pd.testing.assert_frame_equal(read_statbank(FIXTURES / "straf11_code_bom.csv"), codes)
    labels = tmp_path / "labels.csv"
    labels.write_text("OMRÅDE;OVERTRÆD;TID;INDHOLD\nHele landet;Straffelov i alt;2025K1;75797\n"
                      "Hele landet;Voldsforbrydelser i alt;2025K1;6739\nKøbenhavn;Straffelov i alt;2025K1;16072\n"
                      "København;Voldsforbrydelser i alt;2025K1;951\n", encoding="utf-8")
    pd.testing.assert_frame_equal(read_statbank(labels), codes)
    assert one(codes, area_code="101", offence_code="12")["value"] == 951


def test_missing_markers_are_missing_never_zero(tmp_path):
    df = read_statbank(FIXTURES / "straf11_code_missing.csv")
    row = one(df, area_code="101", offence_code="12")
    assert math.isnan(row["value"]) and row["missing"]
    assert not one(df, area_code="101", offence_code="1")["missing"]
    path = tmp_path / "markers.csv"
    path.write_text("OMRÅDE;OVERTRÆD;TID;INDHOLD\n101;1;2025K1;-\n101;1;2025K2;\n101;1;2025K3;42955,60\n"
                    "101;1;2025K4;5.932.654\n", encoding="utf-8")
    df = read_statbank(path)
    assert df["missing"].tolist() == [True, True, False, False]
    assert df["value"].iloc[2] == pytest.approx(42955.60) and df["value"].iloc[3] == 5932654


# ------------------------------------------------------------------------------------------------------ bad inputs
HEADER = "OMRÅDE;OVERTRÆD;TID;INDHOLD\n"
BAD_TEXT = [
    ("empty", "", "the file is empty", None),
    ("unknown-layout", "a;b;c\n1;2;3\n", "unknown layout", "header"),
    ("no-period-columns", "REGION,TYPE OF OFFENCE,Note\nCopenhagen,Robbery,x\n", "unknown layout", "header"),
    ("no-value-column", "OMRÅDE;OVERTRÆD;TID\n101;TOT;2007K1\n", "column 'value' is missing", "header"),
    ("no-time-column", "OMRÅDE;OVERTRÆD;INDHOLD\n101;TOT;21462\n", "column 'period' is missing", "header"),
    ("foreign-column", "OMRÅDE;FOO;TID;INDHOLD\n101;x;2007K1;1\n", "'FOO' is not a variable", "header"),
    ("non-numeric", HEADER + "101;TOT;2007K1;21462\n101;TOT;2007K2;many\n", "'many' is not a number",
     "row 3, column 'INDHOLD'"),
    ("truncated", HEADER + "101;TOT;2007K1;21462\n101;TOT;200", "truncated", "row 3"),
    ("short-row", HEADER + "101;TOT;2007K1\n101;TOT;2007K2;24280\n", "3 fields but the header has 4", "row 2"),
    ("unknown-area", HEADER + "101;TOT;2007K1;21462\nAtlantis;TOT;2007K1;5\n", "'Atlantis' is not in the StatBank",
     "row 3, column 'OMRÅDE'"),
    ("unknown-offence", HEADER + "101;Bank heist;2007K1;5\n", "'Bank heist' is not in the StatBank",
     "row 2, column 'OVERTRÆD'"),
    ("monthly", HEADER + "101;TOT;2007M01;5\n", "is a month, week or half-year", "row 2, column 'TID'"),
    ("duplicate", HEADER + "101;TOT;2007K1;21462\n101;TOT;2007K1;21462\n", "appears more than once",
     "row 3, column 'INDHOLD'"),
    ("hole", HEADER + "101;TOT;2007K1;21462\n101;TOT;2007K2;24280\n147;TOT;2007K1;1907\n",
     "(area_code=147, offence_code=TOT, period=2007Q2) is missing", None),
    ("wide-unknown-name", "REGION,TYPE OF OFFENCE,2007Q1\nCopenhagen,Robbery,5\nGotham,Robbery,7\n",
     "'Gotham' is not in the StatBank", "row 3, column 'REGION'"),
    ("wide-non-numeric", "REGION,TYPE OF OFFENCE,2007Q1\nCopenhagen,Robbery,five\n", "'five' is not a number",
     "row 2, column '2007Q1'"),
]


@pytest.mark.parametrize(("name", "text", "problem", "where"), BAD_TEXT, ids=[b[0] for b in BAD_TEXT])
def test_bad_text_input_is_one_input_error(tmp_path, name, text, problem, where):
    path = tmp_path / f"{name}.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_statbank(path)
    assert info.value.path == str(path)
    assert problem in info.value.problem
    assert info.value.where == where
    assert info.value.fix


def test_missing_file_and_wrong_table_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_statbank(tmp_path / "nope.csv")
    with pytest.raises(InputError, match=r"looks like STRAF11 \(its variables: area, offence\), not FOLK1A"):
        read_statbank(FIXTURES / "straf11_code.csv", table="FOLK1A")


def test_bad_workbooks_are_input_errors(shared_data, tmp_path):
    truncated = tmp_path / "straf11.xlsx"
    truncated.write_bytes(need(shared_data, STRAF11_XLSX).read_bytes()[:5000])
    with pytest.raises(InputError, match="damaged or truncated"):
        read_statbank(truncated)

    wb = openpyxl.Workbook()
    wb.active.append(["Reported criminal offences by type of offence, region and time"])
    wb.active.append(["Units: Number"])
    wb.active.append(["Nature of the offence, total", "Copenhagen", 21462])
    no_header = tmp_path / "no_header.xlsx"
    wb.save(no_header)
    with pytest.raises(InputError, match="no header row of periods"):
        read_statbank(no_header)

    wb = openpyxl.Workbook()
    for row in (["Reported criminal offences by type of offence, region and time"], ["Units: Number"],
                [None, None, "2007Q1", "2007Q2"], ["Nature of the offence, total", "Copenhagen", 21462, "n/a"]):
        wb.active.append(row)
    bad_value = tmp_path / "bad_value.xlsx"
    wb.save(bad_value)
    with pytest.raises(InputError) as info:
        read_statbank(bad_value)
    assert info.value.where == "row 4, column D (2007Q2)" and "'n/a' is not a number" in info.value.problem


def test_xlsx_empty_cell_and_dots_are_missing(tmp_path):
    wb = openpyxl.Workbook()
    for row in (["Reported criminal offences by type of offence, region and time"], ["Units: Number"],
                [None, None, "2007Q1", "2007Q2"], ["Nature of the offence, total", "Copenhagen", 21462, None],
                [None, "Frederiksberg", "..", 2085], [], ["A footnote."]):
        wb.active.append(row)
    path = tmp_path / "gaps.xlsx"
    wb.save(path)
    df = read_statbank(path)
    assert df["area_code"].tolist() == ["101", "101", "147", "147"]
    assert df["missing"].tolist() == [False, True, True, False]
    assert df["value"].iloc[0] == 21462 and df["value"].iloc[3] == 2085
