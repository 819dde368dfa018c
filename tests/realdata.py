"""The shared real files (``../shared/data``) as the tests read them by hand: their names, the check that a file is
there (fail in CI, skip elsewhere), and independent readers (the csv module and openpyxl cell by cell) that give
the expected numbers without the package's own StatBank adapter."""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path

import openpyxl
import pytest

STRAF11 = "dst/straf11_offences_by_type_municipality_2007Q1-2019Q3.csv"
STRAF11_TOTAL = "dst/straf11_total_municipality_2007Q1-2022Q4.xlsx"
FOLK1A = "dst/folk1a_population_municipality_2008Q1-2022Q4.xlsx"
#: Citizen-directed crime (the group of pipelines/shared/offence_groups.yml) as the English web CSV labels it.
CITIZEN_LABELS = [
    "Burglary - business and community", "Residential burglaries", "Burglary (uninhabited buildings)",
    "Theft from conveyances", "Shoplifting, etc.", "Other kinds of theft",
    "Theft of/taking vehicle without the owners consent (TWOC)",
    "Theft of/taking moped without the owners consent (TWOC)",
    "Theft of/taking bicycle without the owners consent (TWOC)",
    "Theft of/taking other objects without the owners consent (TWOC)", "Robbery", "Crimes of violence, total",
    "Malicious damage to property",
]


def need(folder: Path, *names: str) -> Path:
    """``folder`` when it holds every file of ``names``; otherwise fail (CI) or skip (elsewhere) naming the first
    missing file."""
    for name in names:
        if not (folder / name).is_file():
            message = f"shared data file missing: {folder / name}"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
    return folder


def offences_by_hand(path: Path, area: str | None, labels, year: int, quarters=(1, 2, 3, 4)) -> int:
    """Reported offences of ``labels`` in ``quarters`` of ``year``: the web CSV's quarter columns summed (csv
    module, latin-1). ``area`` is a municipality name, or None for the whole country (every row not a region)."""
    total, seen = 0, set()
    for row in _csv_rows(*_version(path)):
        here = row["REGION"] == area if area else not row["REGION"].startswith("Region ")
        if here and row["TYPE OF OFFENCE"] in labels:
            total += sum(int(row[f"{year}Q{q}"]) for q in quarters)
            seen.add(row["TYPE OF OFFENCE"])
    assert seen == set(labels)
    return total


def xlsx_cell(path: Path, area: str | None, period: str) -> int:
    """The cell of ``area`` (column B) under the header ``period`` of a StatBank xlsx export (openpyxl); None: the
    sum of every row with a number."""
    rows = _xlsx_rows(*_version(path))
    header = next(r for r in rows if period in r)
    col = header.index(period)
    body = [r for r in rows[rows.index(header) + 1:] if r[1] and isinstance(r[col], int | float)]
    if area is None:
        return int(sum(r[col] for r in body))
    [value] = [r[col] for r in body if r[1] == area]
    return int(value)


# The by-hand readers read a file once per test process (the tests ask for many cells of the same few files): the
# rows as the csv module and openpyxl give them, kept read-only, and read again when the file changes.
def _version(path: Path) -> tuple[str, int, int]:
    st = Path(path).stat()
    return str(Path(path).resolve()), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=8)
def _csv_rows(path: str, mtime_ns: int, size: int) -> tuple[dict[str, str], ...]:
    """Every row of a web CSV (latin-1) as the csv module's DictReader gives it."""
    with open(path, encoding="latin-1", newline="") as fh:
        return tuple(csv.DictReader(fh))


@functools.lru_cache(maxsize=8)
def _xlsx_rows(path: str, mtime_ns: int, size: int) -> tuple[tuple, ...]:
    """The first worksheet's rows as openpyxl's read-only ``iter_rows(values_only=True)`` gives them."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return tuple(book.worksheets[0].iter_rows(values_only=True))
    finally:
        book.close()
