"""Bad input: every broken input a user will meet ends the run with exit code 2 and one line that names the file,
the place and the fix, with no traceback; nothing is written to the raw folder and nothing under --out.

Each case is a small named mutation of a fresh copy of the demo data, run through the real command in-process.
The copy is the sikker-by demo: the other pipelines' demos in their sub-folders (Ishøj, Nørrebro, the effort
registers, 11 MB of the 13) are left out; sikker-by reads none of them.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from tryghed import cli, demo, demo_norrebro, efforts
from tryghed.errors import InputError
from tryghed.sources import read_closure_log, read_gang_log

YEAR = 2017
#: The demo's sub-folders of other pipelines, not copied (sikker-by reads only the files at the top).
OTHER_DEMOS = shutil.ignore_patterns(demo.ISHOEJ_DIR, demo_norrebro.NORREBRO_DIR, efforts.DEMO_DIR)


def _csv_rows(path: Path) -> list[list[str]]:
    return [line.split(";") for line in path.read_text(encoding="utf-8").splitlines()]


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    path.write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8")


def _set_cell(path: Path, row: int, column: str, value: str) -> str:
    """Set one field of a ``;`` file (``row`` counts the header as row 1); return the old value."""
    rows = _csv_rows(path)
    j = rows[0].index(column)
    old, rows[row - 1][j] = rows[row - 1][j], value
    _write_rows(path, rows)
    return old


def _sheet(path: Path):
    """The closure workbook, its sheet and the sheet row (1-based) of its header."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Institution")
    return wb, ws, header


def _sheet_col(ws, header: int, name: str) -> int:
    return next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == name)


@dataclass(frozen=True)
class Case:
    """One broken input: ``mutate(raw_dir) -> (file name, place, fix)`` patterns the message must match."""

    id: str
    mutate: Callable[[Path], tuple[str, str, str]]
    year: int = YEAR


def latin1_encoding(d):
    p = d / demo.FILES["population"]
    text = p.read_text(encoding="utf-8")
    line = next(n for n, s in enumerate(text.splitlines(), start=1) if not s.isascii())
    p.write_bytes(text.encode("latin-1"))
    return p.name, rf"line {line}\b", "UTF-8.*iconv"


def utf16_encoding(d):
    p = d / demo.FILES["gang_log"]
    p.write_text(p.read_text(encoding="utf-8"), encoding="utf-16")
    return p.name, r"line 1\b", "UTF-8"


def thousands_separator(d):
    p = d / demo.FILES["population"]
    value = int(_csv_rows(p)[4][3])
    assert value >= 1000
    _set_cell(p, 5, "antal", f"{value // 1000}.{value % 1000:03d}")
    return p.name, r"row 5\b.*'antal'", "without thousands separators"


def thousands_and_decimal_mark(d):
    p = d / demo.FILES["survey"]
    _set_cell(p, 8, "vaegt", "1.234,5")
    return p.name, r"row 8\b.*'vaegt'", "without thousands separators"


def decimal_comma_in_count(d):
    p = d / demo.FILES["youth_charged"]
    _set_cell(p, 7, "sigtede_15_25", "12,5")
    return p.name, r"row 7\b.*'sigtede_15_25'.*whole number", "whole number"


def decimal_comma_in_comma_separated_file(d):
    p = d / demo.FILES["survey"]
    rows = _csv_rows(p)
    p.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")  # weights keep their decimal comma
    return p.name, r"row 2\b.*fields but the header has", "Quote fields"


def mixed_decimal_marks(d):
    p = d / demo.FILES["survey"]
    _set_cell(p, 40, "vaegt", "0.75")
    return p.name, r"row 40\b.*'vaegt'.*decimal commas and decimal points", "one decimal mark"


def missing_column(d):
    p = d / demo.FILES["survey"]
    rows = _csv_rows(p)
    j = rows[0].index("vaegt")
    _write_rows(p, [r[:j] + r[j + 1:] for r in rows])
    return p.name, r"\(header\).*column 'weight' is missing", "export it again"


def renamed_column(d):
    p = d / demo.FILES["safety_index"]
    rows = _csv_rows(p)
    rows[0][rows[0].index("kategori")] = "klassifikation"
    _write_rows(p, rows)
    return p.name, r"\(header\).*column 'category' is missing.*klassifikation", "Rename the column"


def duplicated_key(d):
    p = d / demo.FILES["gang_log"]
    rows = _csv_rows(p)
    _write_rows(p, [*rows, rows[9]])
    return p.name, rf"row {len(rows) + 1}\b.*more than once \(first in row 10\)", "Remove the duplicated row"


def negative_count(d):
    p = d / demo.FILES["gang_log"]
    _set_cell(p, 12, "personer", "-4")
    return p.name, r"row 12\b.*'personer' holds -4", "at least 0"


def negative_weight(d):
    p = d / demo.FILES["survey"]
    _set_cell(p, 20, "vaegt", "-0,5")
    return p.name, r"row 20\b.*'vaegt' holds -0,5", "at least 0"


def year_typo(d):
    p = d / demo.FILES["survey"]
    _set_cell(p, 30, "aar", "20017")
    return p.name, r"row 30\b.*'aar' holds 20017", "from 1990 to 2100"


def unknown_category(d):
    p = d / demo.FILES["safety_index"]
    _set_cell(p, 6, "kategori", "høj")
    return p.name, r"row 6\b.*'kategori' holds 'høj'", "five action categories"


def unknown_area(d):
    p = d / demo.FILES["youth_charged"]
    _set_cell(p, 4, "bydel", "Atlantis")
    return p.name, r"row 4\b.*'Atlantis'.*known: ", "Correct the name, or add it as an alias"


def year_outside_data(d):
    first, last = min(demo.YEARS), max(demo.YEARS)
    files = "|".join(re.escape(f) for f in demo.FILES.values())
    return files, rf"year 2030 is outside the data of source '\w+' \({first}–{last}\)", rf"Choose a year in {first}"


def empty_file(d):
    p = d / demo.FILES["survey"]
    p.write_bytes(b"")
    return p.name, r"line 1\b.*empty", "Export the table again"


def header_only(d):
    p = d / demo.FILES["population"]
    p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    return p.name, r"row 2\b.*no data rows", "Export the table again"


def truncated_csv(d):
    p = d / demo.FILES["survey"]
    lines = p.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = 100
    p.write_text("".join(lines[:cut - 1]) + lines[cut - 1][: lines[cut - 1].index(";", 15)], encoding="utf-8")
    return p.name, rf"row {cut}\b.*ends in the middle", "cut off.*again"


def short_row(d):
    p = d / demo.FILES["gang_log"]
    rows = _csv_rows(p)
    rows[14] = rows[14][:2]
    _write_rows(p, rows)
    return p.name, r"row 15\b.*2 fields but the header has 3", "Fill in the missing fields"


def xlsx_header_missing(d):
    p = d / demo.FILES["closures"]
    wb, ws, header = _sheet(p)
    ws.delete_rows(header)
    wb.save(p)
    return p.name, rf"sheet '{ws.title}', rows 1–\d+", "header row"


def xlsx_renamed_column(d):
    p = d / demo.FILES["closures"]
    wb, ws, header = _sheet(p)
    ws.cell(header, _sheet_col(ws, header, "Lukket fra")).value = "Startdato"
    wb.save(p)
    return p.name, rf"sheet '{ws.title}', header row {header}\b.*column 'start' is missing", "Rename the column"


def xlsx_bad_date(d):
    p = d / demo.FILES["closures"]
    wb, ws, header = _sheet(p)
    ws.cell(header + 5, _sheet_col(ws, header, "Lukket fra")).value = "31.02.2017"
    wb.save(p)
    return p.name, rf"sheet '{ws.title}', row {header + 5}\b.*'Lukket fra' holds '31.02.2017'", "Write dates as"


def xlsx_negative_days(d):
    p = d / demo.FILES["closures"]
    wb, ws, header = _sheet(p)
    ws.cell(header + 3, _sheet_col(ws, header, "Lukkedage")).value = -2
    wb.save(p)
    return p.name, rf"sheet '{ws.title}', row {header + 3}\b.*'Lukkedage' holds -2", "at least 0"


def xlsx_duplicated_row(d):
    p = d / demo.FILES["closures"]
    wb, ws, header = _sheet(p)
    ws.append([c.value for c in ws[header + 7]])
    wb.save(p)
    return (p.name, rf"sheet '{ws.title}', row {ws.max_row}\b.*more than once \(first in row {header + 7}\)",
            "Remove the duplicated row")


def truncated_xlsx(d):
    p = d / demo.FILES["closures"]
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    return p.name, r"whole file\).*not a readable xlsx", "save it again"


def empty_xlsx(d):
    p = d / demo.FILES["closures"]
    p.write_bytes(b"")
    return p.name, r"whole file\).*empty", "Save the workbook again"


def missing_file(d):
    p = d / demo.FILES["gang_log"]
    p.unlink()
    return p.name, re.escape(str(d)), "Put the file in"


CASES = [Case(f.__name__, f) for f in (
    latin1_encoding, utf16_encoding, thousands_separator, thousands_and_decimal_mark, decimal_comma_in_count,
    decimal_comma_in_comma_separated_file, mixed_decimal_marks, missing_column, renamed_column, duplicated_key,
    negative_count, negative_weight, year_typo, unknown_category, unknown_area, empty_file, header_only,
    truncated_csv, short_row, xlsx_header_missing, xlsx_renamed_column, xlsx_bad_date, xlsx_negative_days,
    xlsx_duplicated_row, truncated_xlsx, empty_xlsx, missing_file,
)] + [Case("year_outside_data", year_outside_data, year=2030)]


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exit_2_with_one_line(case, demo_dir, tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(demo_dir, raw, ignore=OTHER_DEMOS)
    assert {p.name for p in raw.iterdir()} == {*demo.FILES.values(), demo.MARKER}  # the sikker-by demo, all of it
    file_re, place_re, fix_re = case.mutate(raw)
    before = _snapshot(raw)
    out = tmp_path / "out"

    code = cli.main(["run", "sikker-by", "--year", str(case.year), "--raw", str(raw), "--out", str(out), "--quiet"])

    captured = capsys.readouterr()
    err = captured.err
    assert code == 2
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.endswith("\n")
    assert err.startswith("tryghed: error: ")
    assert re.search(file_re, err), err
    assert re.search(place_re, err), err
    assert re.search(fix_re, err), err
    assert captured.out == ""
    assert _snapshot(raw) == before
    assert not out.exists()


def test_extra_title_rows_above_the_closure_header_are_tolerated(demo_dir, tmp_path):
    p = tmp_path / demo.FILES["closures"]
    shutil.copyfile(demo_dir / p.name, p)
    expected = read_closure_log(p)
    wb, ws, header = _sheet(p)
    ws.insert_rows(1, 2)
    ws.cell(1, 1).value = "Københavns Kommune"
    ws.cell(2, 1).value = "Udtræk fra institutionernes lukkelog"
    wb.save(p)
    pd.testing.assert_frame_equal(read_closure_log(p), expected)
    # Row numbers in messages still point at the sheet's own rows.
    ws.cell(header + 2 + 4, _sheet_col(ws, header + 2, "Lukkedage")).value = -1
    wb.save(p)
    with pytest.raises(InputError, match=rf"sheet '{ws.title}', row {header + 6}\)"):
        read_closure_log(p)


def test_blank_rows_are_skipped_and_row_numbers_stay_true(demo_dir, tmp_path):
    p = tmp_path / demo.FILES["gang_log"]
    shutil.copyfile(demo_dir / p.name, p)
    rows = _csv_rows(p)
    rows.insert(5, [""])
    rows[20][2] = "-1"  # sheet row 21 once the blank row 6 is counted
    _write_rows(p, rows)
    with pytest.raises(InputError, match=r"\(row 21\)"):
        read_gang_log(p)


def test_danish_and_iso_dates_in_a_csv_closure_log(tmp_path):
    p = tmp_path / "lukkedage.csv"
    p.write_text("Institution;Bydel;Lukket fra;Lukket til\n"
                 "Klubben A;Nørrebro;06.03.2017;08-03-2017\n"
                 "Klubben B;Valby;2017-03-06;2017-03-07\n", encoding="utf-8")
    df = read_closure_log(p)
    assert list(df["start"]) == [pd.Timestamp(2017, 3, 6)] * 2
    assert list(df["end"]) == [pd.Timestamp(2017, 3, 8), pd.Timestamp(2017, 3, 7)]
    assert list(df["days"]) == [3, 2]  # Monday 6 March 2017 onwards: working days, both ends included
