"""`tryghed validate` stays quick: it imports no notebook, plotting or statistics machinery, and the shortcuts its
readers take (only the pipeline's areas turned into strings, numbers parsed at once, white space judged from the
first and last bytes) give exactly what the long way gives."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from realdata import FOLK1A, STRAF11, need
from tryghed import config, sources
from tryghed.errors import InputError
from tryghed.sources import _common, statbank

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"

#: Packages `tryghed validate` has no use for; papermill/nbformat alone cost 1.2 s (jsonschema builds a grammar).
HEAVY = {"papermill", "nbformat", "nbclient", "nbconvert", "jupyter_client", "ipykernel", "IPython", "zmq",
         "jsonschema", "rfc3987_syntax", "lark", "matplotlib", "seaborn", "statsmodels", "scipy", "dask",
         "distributed", "jinja2", "playwright"}

IMPORTED = """
import contextlib, io, json, sys
from tryghed import cli
for args in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m, mod in sys.modules.items()
                                                       if mod is not None})}), flush=True)
"""


def _validate(name: str, raw: Path) -> tuple[str, ...]:
    return ("validate", name, "--raw", str(raw))


@pytest.fixture(scope="module")
def imported(demo_dir, shared_data) -> dict[tuple[str, ...], set[str]]:
    """The top-level packages imported after each ``tryghed validate`` command, the commands run one after another
    in one fresh process (each exits 0): the first command's set is a fresh process's; a later one's also holds
    what the earlier ones imported, so a package absent from it was imported by none of them."""
    commands = [_validate("sikker-by", demo_dir), _validate("norrebro", demo_dir / "norrebro"),
                _validate("sikker-by-indsatser", demo_dir / "indsatser")]
    if all((shared_data / name).is_file() for name in (STRAF11, FOLK1A)):
        commands.append(_validate("ishoej", shared_data))
    r = subprocess.run([sys.executable, "-c", IMPORTED, json.dumps(commands)], capture_output=True, text=True)
    answers = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0 and [a["code"] for a in answers] == [0] * len(commands), r.stderr
    return {args: set(a["modules"]) for args, a in zip(commands, answers, strict=True)}


def test_validate_demo_imports_no_heavy_package(demo_dir, imported):
    got = imported[_validate("sikker-by", demo_dir)]   # the first command: a fresh process
    assert "pandas" in got and "tryghed" in got  # it did read the inputs
    assert got & HEAVY == set()


def test_validate_ishoej_real_files_imports_no_heavy_package(shared_data, imported):
    raw = need(shared_data, STRAF11, FOLK1A)
    got = imported[_validate("ishoej", raw)]
    assert got & HEAVY == set()
    # the workbook is read with python-calamine: openpyxl (0.3 s to import) is for writing xlsx; babel is for reports
    assert "python_calamine" in got and got & {"openpyxl", "babel"} == set()


@pytest.mark.parametrize("name", ["sikker-by", "norrebro", "sikker-by-indsatser"])
def test_validate_demo_workbooks_without_openpyxl(demo_dir, name, imported):
    raw = {"sikker-by": demo_dir, "norrebro": demo_dir / "norrebro", "sikker-by-indsatser": demo_dir / "indsatser"}
    got = imported[_validate(name, raw[name])]
    # each reads workbooks; with openpyxl never imported, python-calamine read them
    assert "python_calamine" in got and got & {"openpyxl", "babel", *HEAVY} == set()


# --------------------------------------------------------------------------------------------------------------------
# read_statbank(area_codes=...) is the whole table's rows of those areas


def the_long_way(path: Path, area_codes, whole: pd.DataFrame | None = None, **kw) -> pd.DataFrame:
    """The rows of ``area_codes`` selected from the whole table (``whole``: ``read_statbank(path, **kw)`` when the
    caller has read it already)."""
    if whole is None:
        whole = statbank.read_statbank(path, **kw)
    if "000" in area_codes:
        whole = statbank.add_country_total(whole, path)
    return whole[whole["area_code"].isin(list(area_codes))].reset_index(drop=True)


@pytest.mark.parametrize("name", ["straf11_code.csv", "straf11_code_missing.csv", "straf11_2025K1.bulk.csv",
                                  "straf44_code.csv", "folk1a_2008K1_2020K1.csv"])
def test_area_codes_select_what_the_whole_table_holds(name):
    path = FIXTURES / name
    codes = sorted(set(statbank.read_statbank(path)["area_code"]))
    for wanted in (codes[:1], codes[-2:], [*codes[:2], "999"]):
        fast = statbank.read_statbank(path, area_codes=wanted)
        assert len(fast) > 0
        pd.testing.assert_frame_equal(fast, the_long_way(path, wanted), check_exact=True)


def test_area_codes_with_the_whole_country_on_the_real_files(shared_data):
    raw = need(shared_data, STRAF11, FOLK1A)
    pipeline = config.load_pipeline("ishoej")
    for sid in ("offences", "dst_population"):
        source = pipeline.sources[sid]
        wanted = ["000", "183", "165", "791"]  # Hele landet (summed), Ishøj, Albertslund, Viborg
        fast = statbank.read_statbank(raw / source.file, table=source.table, area_codes=wanted)
        whole = statbank.read_statbank(raw / source.file, table=source.table)  # read once for both comparisons
        slow = the_long_way(raw / source.file, wanted, whole=whole)
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)
        assert set(fast["area_code"]) == set(wanted)
        # read_source gives the table attach_area_codes gives from the whole file
        pd.testing.assert_frame_equal(sources.read_source(pipeline, sid, raw),
                                      sources.attach_area_codes(whole, pipeline, source, raw / source.file),
                                      check_exact=True)


def test_area_codes_keep_the_whole_country_error():
    # a file without the whole country and without every municipality cannot give it, asked for either way
    path = FIXTURES / "folk1a_2008K1_2020K1.csv"
    with pytest.raises(InputError) as slow:
        the_long_way(path, ["000"])
    with pytest.raises(InputError) as fast:
        statbank.read_statbank(path, area_codes=["000"])
    assert str(fast.value) == str(slow.value) and "cannot be summed" in str(fast.value)


# --------------------------------------------------------------------------------------------------------------------
# numbers parsed at once: what _parse_number gives each cell

number_cell = st.one_of(
    st.sampled_from(["1", "007", "123456789012345", "1234567890123456", "12,5", "1.234.567", " 12 ", "..", "-", "",
                     "x", "1e5", "١٢", "12\u00a0000", "nan", "+3", "-4", None, True, 1.5, float("nan"), 3,
                     10**20, np.int64(5), np.float64(2.0)]),
    st.text(alphabet="0123456789.,- ", max_size=8),
    st.integers(-10**6, 10**6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(number_cell, max_size=8), st.booleans())
def test_parse_numbers_is_parse_number_cell_by_cell(cells, as_strings):
    if as_strings:
        cells = [str(c) for c in cells]
    values, missing, bad = statbank._parse_numbers(cells)
    for j, cell in enumerate(cells):
        one = statbank._parse_number(cell)
        if one is None:
            assert bad[j]
        else:
            assert not bad[j] and missing[j] == one[1]
            assert values[j] == one[0] or (np.isnan(values[j]) and np.isnan(one[0]))


def test_parse_numbers_by_hand():
    values, missing, bad = statbank._parse_numbers(["12", "1.234.567", "3,5", "..", "x", 7])
    assert values[:3].tolist() == [12.0, 1234567.0, 3.5] and values[5] == 7.0
    assert missing.tolist() == [False, False, False, True, False, False]
    assert bad.tolist() == [False, False, False, False, True, False]


# --------------------------------------------------------------------------------------------------------------------
# white space at either end, judged from the bytes: never misses a value str.strip() would change

edge_text = st.text(alphabet=st.sampled_from(list("ab1,é€\u2030\u00a1") + list(_common.PY_WHITESPACE)), max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(edge_text, max_size=6), st.booleans(), st.integers(0, 2))
def test_edge_space_check_never_misses(values, large, start):
    array = pa.array(values, type=pa.large_string() if large else pa.string()).slice(min(start, len(values)))
    kept = values[min(start, len(values)):]
    if any(v != v.strip() for v in kept):
        assert _common._may_have_edge_space(pa.chunked_array([array]))


def test_edge_space_check_by_hand():
    def check(values):
        return _common._may_have_edge_space(pa.chunked_array([pa.array(values, type=pa.string())]))

    assert not check(["1", "22", "", "Nørrebro"])
    assert check(["1", "2 "]) and check(["\u3000x"]) and check(["x\u00a0"]) and check(["\x1c"])


# --------------------------------------------------------------------------------------------------------------------
# workbooks read with python-calamine: what openpyxl gives, cell by cell and as pandas' frames


def _openpyxl_grids(path: Path) -> dict[str, list[list]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def _xlsx_files(demo_dir: Path, shared_data: Path | None) -> list[Path]:
    files = sorted(demo_dir.rglob("*.xlsx"))
    if shared_data is not None and shared_data.is_dir():
        files += sorted(shared_data.rglob("*.xlsx"))
    return files


def _cells_read_once(book: pd.ExcelFile) -> None:
    """Let pandas' openpyxl reader of ``book`` read each sheet's cells once (its own ``get_sheet_data``, 90 % of a
    parse) and give every later parse of the sheet a fresh copy of those cells: the parses below differ only in what
    pandas makes of the same cells (``dtype``, ``header``)."""
    read, seen = book._reader.get_sheet_data, {}

    def once(sheet, file_rows_needed=None):
        key = (sheet.title, file_rows_needed)
        if key not in seen:
            seen[key] = read(sheet, file_rows_needed)
        return [list(row) for row in seen[key]]  # pandas may fill header cells in place

    book._reader.get_sheet_data = once


def test_calamine_frames_are_the_openpyxl_frames(demo_dir, shared_data):
    files = _xlsx_files(demo_dir, shared_data)
    assert len(files) >= 5
    for path in files:
        book = pd.ExcelFile(path, engine="openpyxl")  # pd.read_excel(path, engine="openpyxl") opens this each time
        _cells_read_once(book)
        for kw in ({"dtype": str, "header": 0}, {"dtype": object, "header": None}, {"dtype": object}):
            expected = pd.read_excel(book, sheet_name=None, **kw)
            got = _common.read_excel(path, sheet_name=None, **kw)
            assert list(got) == list(expected)
            for name in expected:
                pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True)
        book.close()


def test_sheet_cells_are_openpyxls_cells(demo_dir, shared_data):
    for path in _xlsx_files(demo_dir, shared_data):
        first = next(iter(_openpyxl_grids(path).values()))
        assert _common.sheet_cells(path) == first, path


def test_sheet_cells_by_hand(tmp_path):
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws["B2"], ws["C2"], ws["D2"] = "2008Q1", 2008, 12.5
    ws["B3"], ws["C3"], ws["D3"] = datetime.datetime(2020, 1, 2), datetime.datetime(2020, 1, 2, 13, 5), True
    ws["B4"], ws["C4"] = "007", -3.0
    ws.merge_cells("B5:D5")
    ws["B5"] = "merged"
    book.save(tmp_path / "cells.xlsx")
    assert _common.sheet_cells(tmp_path / "cells.xlsx") == [
        [None, None, None, None],
        [None, "2008Q1", 2008, 12.5],
        [None, datetime.datetime(2020, 1, 2), datetime.datetime(2020, 1, 2, 13, 5), True],
        [None, "007", -3, None],
        [None, "merged", None, None],
    ]


def _openpyxl_only(monkeypatch):
    """Every workbook read the way it was before python-calamine: pandas' default engine (openpyxl)."""
    from tryghed.sources import long

    def no_calamine(path):
        raise RuntimeError("calamine switched off")

    monkeypatch.setattr(_common, "read_excel", lambda path, **kw: pd.read_excel(path, engine="openpyxl", **kw))
    monkeypatch.setattr(_common, "excel_file", lambda path: pd.ExcelFile(path, engine="openpyxl"))
    monkeypatch.setattr(long, "excel_file", lambda path: pd.ExcelFile(path, engine="openpyxl"))
    monkeypatch.setattr(statbank, "sheet_cells", no_calamine)


@pytest.mark.parametrize("name, sub", [("sikker-by", ""), ("norrebro", "norrebro"), ("ishoej", "ishoej")])
def test_every_workbook_source_reads_as_with_openpyxl(demo_dir, name, sub, monkeypatch):
    pipeline = config.load_pipeline(name)
    raw = demo_dir / sub
    workbooks = [sid for sid, s in pipeline.sources.items() if s.file.endswith(".xlsx") and (raw / s.file).is_file()]
    assert workbooks
    fast = {sid: sources.read_source(pipeline, sid, raw) for sid in workbooks}
    with monkeypatch.context() as m:
        _openpyxl_only(m)
        slow = {sid: sources.read_source(pipeline, sid, raw) for sid in workbooks}
    for sid in workbooks:
        pd.testing.assert_frame_equal(fast[sid], slow[sid], check_exact=True)
        assert fast[sid].attrs.keys() == slow[sid].attrs.keys()


def test_real_statbank_workbooks_read_as_with_openpyxl(shared_data, monkeypatch):
    raw = need(shared_data, FOLK1A)
    paths = sorted((raw / "dst").glob("*.xlsx"))
    fast = [statbank.read_statbank(p) for p in paths]
    with monkeypatch.context() as m:
        _openpyxl_only(m)
        slow = [statbank.read_statbank(p) for p in paths]
    for a, b in zip(fast, slow, strict=True):
        assert len(a) > 1000
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_effort_registers_read_as_with_openpyxl(demo_dir, monkeypatch):
    from tryghed import efforts

    pipeline = config.load_pipeline("sikker-by-indsatser")
    fast = efforts.read_registers(pipeline.efforts, demo_dir / "indsatser")
    with monkeypatch.context() as m:
        _openpyxl_only(m)
        slow = efforts.read_registers(pipeline.efforts, demo_dir / "indsatser")
    for table in efforts.TABLES:
        assert len(getattr(fast, table)) or table in efforts.OPTIONAL_TABLES
        pd.testing.assert_frame_equal(getattr(fast, table), getattr(slow, table), check_exact=True)


def test_a_workbook_calamine_cannot_read_gets_the_message_it_always_had(tmp_path):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(Exception) as old:
        pd.read_excel(path, engine="openpyxl", sheet_name=None, dtype=str, header=0)
    with pytest.raises(Exception) as new:
        _common.read_excel(path, sheet_name=None, dtype=str, header=0)
    assert type(new.value) is type(old.value) and str(new.value) == str(old.value)


# --------------------------------------------------------------------------------------------------------------------
# blank rows judged from the Arrow lengths; the fields of one text turned into a table once per block

@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.sampled_from(["", " ", "a", "é", "0"])), min_size=3, max_size=3),
                max_size=6), st.booleans())
def test_nonblank_rows_is_the_pandas_comparison(rows, as_str):
    df = pd.DataFrame(rows, columns=[0, 1, 2], dtype="str" if as_str else object)
    assert _common.nonblank_rows(df).tolist() == (df != "").any(axis=1).tolist()


def test_split_fields_twice_in_a_block_gives_equal_independent_tables():
    text = "a;b\n1; 2\n3;4\n"
    with _common.split_once():
        first = _common.split_fields(text, ";")
        again = _common.split_fields(text, ";")
        stripped = _common.split_fields(text, ";", strip=True)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    assert first.iloc[1, 1] == " 2" and stripped.iloc[1, 1] == "2"  # the stripped one is its own
    again.iloc[1, 0] = "changed"
    assert first.iloc[1, 0] == "1"


# --------------------------------------------------------------------------------------------------------------------
# the scan's quick pass: a text column is "plainly clean" exactly when no value has 9 characters or an "@"

@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=st.sampled_from(list("ab1@ é€æø")),
                                              max_size=10)), max_size=8), st.integers(0, 2))
def test_plainly_clean_by_definition(values, start):
    from tryghed import identifiers

    column = pd.Series(values, dtype="str").iloc[min(start, len(values)):]
    kept = [v for v in values[min(start, len(values)):] if v is not None]
    expected = all(len(v) < 9 and "@" not in v for v in kept)
    assert identifiers._plainly_clean(column) == expected


def test_plainly_clean_by_hand():
    from tryghed import identifiers

    assert identifiers._plainly_clean(pd.Series(["12", "Ishøj", ""], dtype="str"))
    assert not identifiers._plainly_clean(pd.Series(["12", "ab@c"], dtype="str"))
    assert not identifiers._plainly_clean(pd.Series(["123456789"], dtype="str"))
    assert identifiers._plainly_clean(pd.Series(["ææææææææ"], dtype="str"))  # 16 bytes, 8 characters
