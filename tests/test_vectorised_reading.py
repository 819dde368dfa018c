"""The vectorised identifier scan and text splitting find and read exactly what the row-by-row code did.

References are written here row by row with the csv module and the identifier patterns applied cell by cell (the
semantics of the scan before it was vectorised), and compared on hand-made tables, random tables and the real
STRAF11 export.
"""

import csv
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from realdata import STRAF11, need
from tryghed import identifiers as ids
from tryghed.sources import _common, statbank

# --------------------------------------------------------------------------------------------------------------------
# The identifier scan

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"^\s*(?:(?:\+|00)\s?45[\s\-]?)?(?:\d[\s\-]?){7}\d\s*$")
LETTER = re.compile(r"[^\W\d_]")


def reference_findings(df: pd.DataFrame, skip=()) -> list[tuple[int, int, str]]:
    """(position, first row, kind) per offending column, checking every cell in turn."""
    skipped = {s.lower() for s in skip}
    out = []
    for j, name in enumerate(map(str, df.columns)):
        if name.strip().lower() in skipped:
            continue
        if ids.contains_cpr(name) or EMAIL.search(name):
            out.append((j, -1, "an identifier in the header"))
            continue
        cells = ["" if (v is None or (isinstance(v, float) and np.isnan(v))) else str(v) for v in df.iloc[:, j]]

        def first(test, cells=cells):
            return next((i for i, c in enumerate(cells) if test(c)), None)

        if first(lambda c: c.strip() != "") is None:
            continue
        norm = re.sub(r"[^0-9a-zæøå]+", "_", name.strip().lower()).strip("_")
        found = None
        if (i := first(ids.contains_cpr)) is not None:
            found = (i, "a CPR number")
        elif (i := first(EMAIL.search)) is not None:
            found = (i, "an e-mail address")
        elif ids._NAME_PHONE.search(norm) and (i := first(PHONE.match)) is not None:
            found = (i, "a phone number")
        elif ids._NAME_CPR.search(norm):
            found = (first(lambda c: c.strip() != ""), "values in a column named like a CPR number")
        else:
            for pattern, kind in ((ids._NAME_PERSON, "a person's name"), (ids._NAME_ADDRESS, "an address"),
                                  (ids._NAME_EMAIL, "an e-mail address")):
                if pattern.search(norm) and (i := first(LETTER.search)) is not None:
                    found = (i, f"values in a column named like {kind}")
                    break
        if found is not None:
            out.append((j, *found))
    return out


def vectorised_findings(df, skip=()):
    return [(f.position, f.row, f.kind) for f in ids.find_identifiers(df, skip=skip)]


HAND_TABLES = [
    # the cases of tests/test_identifiers.py and a few more
    pd.DataFrame({"aar": ["2016", "2017", "2017"], "note": ["", "ok", "kontakt 010190-1234 i dag"]}),
    pd.DataFrame({"id": ["101901234", "5"], "x": ["a@b.dk", ""], "y": ["310290-1234", "4533123456"]}),
    pd.DataFrame({"telefon": ["", "+45 12 34 56 78"], "Fornavn": ["1", "Jens"], "adresse": ["", "Vej 1"]}),
    pd.DataFrame({"cpr": ["", "  ", "x"], "e-mail": ["", "", "skriv"], "navn": ["12", "13", ""]}),
    pd.DataFrame({"0101901234": ["a"], "ok": ["b"]}),
    pd.DataFrame({"navn": ["1", "2"], "adresse": ["Ågade", ""], "mail": ["", ""]}),
    pd.DataFrame({"value": [1.0, np.nan, 101901234.0], "tlf": pd.Series([12345678, None, 1], dtype=object)}),
    pd.DataFrame({"area": ["Indre By"] * 3, "count": ["12", "0", "290200-4234"]}),
]


@pytest.mark.parametrize("df", HAND_TABLES, ids=range(len(HAND_TABLES)))
def test_scan_finds_what_a_cell_by_cell_scan_finds(df):
    assert vectorised_findings(df) == reference_findings(df)
    assert vectorised_findings(df, skip=[str(df.columns[0])]) == reference_findings(df, skip=[str(df.columns[0])])


HAND_EXPECTED = [  # (column position, first data row, kind), worked out by hand
    [(1, 2, "a CPR number")],
    [(0, 0, "a CPR number"), (1, 0, "an e-mail address")],  # 310290-1234 (31 Feb) and 4533123456 (day 45) are not
    [(0, 1, "a phone number"), (1, 1, "values in a column named like a person's name"),
     (2, 1, "values in a column named like an address")],
    [(0, 2, "values in a column named like a CPR number"),  # "  " is not a value
     (1, 2, "values in a column named like an e-mail address")],  # navn holds no letters
    [(0, -1, "an identifier in the header")],
    [(1, 0, "values in a column named like an address")],
    [(0, 2, "a CPR number"), (1, 0, "a phone number")],  # 101901234.0: a CPR number that lost its 0
    [(1, 2, "a CPR number")],  # 29 February 2000
]


@pytest.mark.parametrize(("df", "expected"), list(zip(HAND_TABLES, HAND_EXPECTED)), ids=range(len(HAND_TABLES)))
def test_hand_tables_by_hand(df, expected):
    assert vectorised_findings(df) == expected


cell_text = st.one_of(
    st.sampled_from(["", " ", "010190-1234", "0101901234", "101901234", "310290-1234", "x@y.dk", "12 34 56 78",
                     "+4512345678", "Jens", "Vej 1", "4533123456", "2017-01-01", "123456", "00101901234", "Ågade"]),
    st.text(alphabet="0123456789-+@. abcxyzÆø\t", max_size=14),
)
NAMES = ["note", "navn", "telefon", "cpr", "adresse", "email", "aar", "count", "Fornavn", "mobil", "mobilitet",
         "tlf", "x"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), ncol=st.integers(1, 4), nrow=st.integers(0, 12))
def test_property_scan_equals_cell_by_cell(data, ncol, nrow):
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=ncol, max_size=ncol, unique=True))
    cols = {n: data.draw(st.lists(cell_text, min_size=nrow, max_size=nrow)) for n in names}
    df = pd.DataFrame(cols, dtype=object) if nrow else pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    assert vectorised_findings(df) == reference_findings(df)
    # the same cells as read from a CSV (Arrow-backed text, where a column of short values is skipped at once)
    assert vectorised_findings(df.astype("str")) == reference_findings(df)


# --------------------------------------------------------------------------------------------------------------------
# Splitting delimited text

field = st.one_of(st.sampled_from(["", " a ", '"q;,"', '"x""y"', "1.234,5", "..", "Nørrebro", "\u00a0 7 "]),
                  st.text(alphabet="ab1 ;,.-", max_size=6))


def csv_rows(text: str, sep: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


@settings(max_examples=200, deadline=None)
@given(data=st.data(), sep=st.sampled_from([";", ",", "\t"]), width=st.integers(1, 4), nrow=st.integers(0, 6),
       ending=st.sampled_from(["\n", "\r\n", ""]))
def test_property_split_fields_equals_the_csv_module(data, sep, width, nrow, ending):
    rows = [data.draw(st.lists(field, min_size=width, max_size=width)) for _ in range(nrow + 1)]
    line_end = "\r\n" if ending == "\r\n" else "\n"
    text = line_end.join(sep.join(r) for r in rows) + ending
    got = _common.split_fields(text, sep, strip=data.draw(st.booleans()))
    expected = csv_rows(text, sep)
    if got is None:
        # refused only when the csv module sees rows of another width, fields spanning lines or no first field
        assert len({len(r) for r in expected if r}) > 1 or not expected or not expected[0] or len(
            expected) != text.count("\n") + (0 if text.endswith("\n") else 1)
        return
    assert got.shape[0] == len(expected)
    for got_row, exp_row in zip(got.itertuples(index=False), expected):
        exp = exp_row or [""]  # a blank line
        assert len(got_row) == len(exp) or (not exp_row and not "".join(got_row))
        if exp_row:
            stripped = [str(x) for x in got_row]
            assert stripped == exp or stripped == [e.strip() for e in exp]


@pytest.mark.parametrize("text", [
    "a;b\n1;2\n",
    "a;b\n1;2",                 # no final newline
    "a;b\n1;2\n\n3;4\n",        # a blank line
    'a;b\n"x\ny";2\n',          # a field spanning lines: the csv module does it
    "a;b\n1;2;3\n",             # a long row
    "a;b\n1\n",                 # a short row
    "a;b\r1;2\r",               # old Mac line ends
])
def test_statbank_text_rows_fast_and_csv_paths_agree(tmp_path, text):
    p = tmp_path / "t.csv"
    p.write_text(text, encoding="utf-8")
    try:
        fast = statbank._text_rows(p)
    except Exception as exc:  # noqa: BLE001 - the same error either way
        with pytest.raises(type(exc)) as again:
            statbank._text_rows_csv(p, text, ";")
        assert str(again.value) == str(exc)
        return
    slow = statbank._text_rows_csv(p, text, ";")
    assert fast.header == slow.header
    assert fast.lines.tolist() == slow.lines.tolist()
    assert fast.body.astype(str).to_numpy().tolist() == slow.body.astype(str).to_numpy().tolist()


def test_read_as_text_matches_the_csv_module(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("navn;note\nJens;010190-1234\n\n;x\n", encoding="utf-8")
    df = ids.read_as_text(p)
    assert df.columns.tolist() == ["navn", "note"]
    assert df.to_numpy().tolist() == [["Jens", "010190-1234"], ["", ""], ["", "x"]]  # the blank line is a row


def test_real_straf11_export_splits_the_same_both_ways(shared_data):
    p = need(shared_data, STRAF11) / STRAF11
    text = statbank._decode(p.read_bytes())
    fast = statbank._text_rows(p)
    slow = statbank._text_rows_csv(p, text, ",")
    assert fast.header == slow.header and len(fast.header) == 2 + 51  # REGION, TYPE OF OFFENCE, 2007Q1..2019Q3
    assert fast.lines.tolist() == slow.lines.tolist()
    assert np.array_equal(fast.body.to_numpy(dtype=object), slow.body.to_numpy(dtype=object))
    table = ids.read_as_text(p)
    assert vectorised_findings(table) == reference_findings(table) == []


def test_whitespace_list_is_what_str_strip_removes():
    assert set(_common.PY_WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


def test_a_cpr_number_in_another_scripts_digits_is_still_found():
    # Python's \d is every Unicode digit: the scan's ASCII pre-filter must not hide such a value
    arabic = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in "010190-1234")
    df = pd.DataFrame({"note": ["ok", f"nr {arabic}"]})
    assert ids.contains_cpr(arabic)
    assert vectorised_findings(df) == reference_findings(df) == [(0, 1, "a CPR number")]


# --------------------------------------------------------------------------------------------------------------------
# Reading a plain text table at once, and its plain numbers, as the strict reader and to_number did cell by cell


def strict_only(monkeypatch):
    """The readers as they were: the csv module splits every table and to_number judges every cell."""
    monkeypatch.setattr(_common, "_plain_text_table", lambda text, sep: None)
    monkeypatch.setattr(_common, "_plain_numbers", lambda cells, integer: None)


def outcome(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except _common.InputError as exc:
        return exc


def assert_same(fast, slow):
    if isinstance(fast, Exception) or isinstance(slow, Exception):
        assert type(fast) is type(slow) and str(fast) == str(slow)
    elif isinstance(fast, pd.Series):
        pd.testing.assert_series_equal(fast, slow, check_exact=True)
    else:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True, check_index_type=True)


plain_field = st.one_of(st.sampled_from(["", " ", "\u00a0", "\x1c", "a", " b ", "Nørrebro", "1,5", "a\tb"]),
                        st.text(alphabet="ab1 ;,\u3000", max_size=4))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), sep=st.sampled_from([";", ",", "\t"]), width=st.integers(1, 3), nrow=st.integers(0, 5),
       ending=st.sampled_from(["\n", "\r\n", ""]))
def test_property_plain_text_tables_read_as_the_csv_module_reads_them(tmp_path_factory, data, sep, width, nrow,
                                                                       ending):
    header = data.draw(st.lists(st.sampled_from(["aar", "AAR", "bydel", " x ", "", "antal"]), min_size=width,
                                max_size=width))
    rows = [header] + [data.draw(st.lists(plain_field, min_size=width, max_size=width)) for _ in range(nrow)]
    eol = "\r\n" if ending == "\r\n" else "\n"
    p = tmp_path_factory.mktemp("plain") / "t.csv"
    p.write_bytes((eol.join(sep.join(r) for r in rows) + ending).encode("utf-8"))
    fast = outcome(_common.read_text_table, p)
    with pytest.MonkeyPatch.context() as m:
        strict_only(m)
        slow = outcome(_common.read_text_table, p)
    assert_same(fast, slow)


number_cell = st.one_of(st.sampled_from(["", " ", "007", "1,5", "1.5", "12.345", "1.234,5", "-3", "+4", "1e3", "nan",
                                         "99999999999999999999", "0,991", "3", "2017"]),
                        st.text(alphabet="0123456789,. -", max_size=5))


@settings(max_examples=200, deadline=None)
@given(st.lists(number_cell, max_size=6), st.booleans(), st.sampled_from([None, 0, 2]), st.sampled_from([None, 50]))
def test_property_plain_numbers_are_what_to_number_reads_cell_by_cell(cells, integer, minimum, maximum):
    df = pd.DataFrame({"antal": cells}, dtype=str)
    kw = {"integer": integer, "minimum": minimum, "maximum": maximum}
    if minimum is None and maximum is None:
        kw["minimum"] = 0
    fast = outcome(_common.to_number, df, "antal", "t.csv", **kw)
    with pytest.MonkeyPatch.context() as m:
        strict_only(m)
        slow = outcome(_common.to_number, df, "antal", "t.csv", **kw)
    assert_same(fast, slow)


def test_plain_paths_are_taken_and_give_the_demo_as_before(demo_dir, monkeypatch):
    """Every demo text table: read the plain way (which is taken: counted), equal to the strict reader's table."""
    taken = []
    plain_table, plain_numbers = _common._plain_text_table, _common._plain_numbers

    def counted_table(text, sep):
        got = plain_table(text, sep)
        taken.append(("table", got is not None))
        return got

    def counted_numbers(cells, integer):
        got = plain_numbers(cells, integer)
        taken.append(("numbers", got is not None))
        return got

    from tryghed import config, sources
    pipeline = config.load_pipeline("sikker-by")
    ids_ = [s for s, src in pipeline.sources.items() if src.file.endswith(".csv") and (demo_dir / src.file).is_file()]
    assert len(ids_) >= 5
    with monkeypatch.context() as m:
        m.setattr(_common, "_plain_text_table", counted_table)
        m.setattr(_common, "_plain_numbers", counted_numbers)
        fast = {s: sources.read_source(pipeline, s, demo_dir) for s in ids_}
    assert ("table", True) in taken and ("numbers", True) in taken
    strict_only(monkeypatch)
    for s in ids_:
        pd.testing.assert_frame_equal(fast[s], sources.read_source(pipeline, s, demo_dir), check_exact=True)
