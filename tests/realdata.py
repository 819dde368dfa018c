"""The shared real files (``../shared/data``) as the tests read them by hand: their names, the check that a file is
there (fail in CI, skip elsewhere), and independent readers (the csv module and openpyxl cell by cell) that give
the expected numbers without the package's own StatBank adapter."""

from __future__ import annotations

import csv
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
    with open(path, encoding="latin-1", newline="") as fh:
        for row in csv.DictReader(fh):
            here = row["REGION"] == area if area else not row["REGION"].startswith("Region ")
            if here and row["TYPE OF OFFENCE"] in labels:
                total += sum(int(row[f"{year}Q{q}"]) for q in quarters)
                seen.add(row["TYPE OF OFFENCE"])
    assert seen == set(labels)
    return total


def xlsx_cell(path: Path, area: str | None, period: str) -> int:
    """The cell of ``area`` (column B) under the header ``period`` of a StatBank xlsx export (openpyxl); None: the
    sum of every row with a number."""
    rows = list(openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
    header = next(r for r in rows if period in r)
    col = header.index(period)
    body = [r for r in rows[rows.index(header) + 1:] if r[1] and isinstance(r[col], int | float)]
    if area is None:
        return int(sum(r[col] for r in body))
    [value] = [r[col] for r in body if r[1] == area]
    return int(value)
