"""København beside Aarhus, Odense and Aalborg (pipelines/koebenhavn.yml: ``peers`` and the StatBank rates at the
municipality level) on the real StatBank files in ../shared/data/dst, and STRAF44 as an optional source.

Expected numbers come from the shared files read cell by cell (csv module for the STRAF11 web CSV, openpyxl for the
xlsx exports), never from the pipeline's own code. Without the shared folder the tests skip naming the missing file
(``TRYGHED_SHARED_DATA`` points at another copy); in CI (``CI=true``) they fail.
"""

from __future__ import annotations

import json

import pytest
import yaml

from realdata import CITIZEN_LABELS, FOLK1A, STRAF11, STRAF11_TOTAL, need, offences_by_hand, xlsx_cell
from tryghed import clean, config, indicators, peers, sources

CITIES = {"kbh": "Copenhagen", "aarhus": "Aarhus", "odense": "Odense", "aalborg": "Aalborg"}


@pytest.fixture(scope="module")
def data(shared_data):
    return need(shared_data, STRAF11, STRAF11_TOTAL, FOLK1A)


@pytest.fixture(scope="module")
def table(data, tmp_path_factory):
    """The StatBank part of koebenhavn.yml (its areas, peers, StatBank sources, groups and rates) run in-process."""
    raw = yaml.safe_load(config.pipeline_path("koebenhavn").read_text(encoding="utf-8"))
    keep = {"straf11", "folk1a", "straf11_total", "straf44", "folk1a_15_24"}
    raw["sources"] = {k: v for k, v in raw["sources"].items() if k in keep}
    raw["indicators"] = [i for i in raw["indicators"] if i["source"] in keep]
    raw["breaks"] = []
    raw.pop("district_map", None)
    work = tmp_path_factory.mktemp("bigcities")
    path = work / "koebenhavn_statbank.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    p = config.load_pipeline(path)
    sources.ingest(p, data, work / "staged")
    clean.clean_all(p, work / "staged", work / "clean")
    return p, indicators.compute_all(p, work / "clean"), work


def test_koebenhavn_declares_the_three_cities_and_the_optional_straf44():
    p = config.load_pipeline("koebenhavn")
    assert [(p.area(a).name["da"], p.area(a).code, p.area(a).level) for a in p.peers] == [
        ("Aarhus", "751", "municipality"), ("Odense", "461", "municipality"), ("Aalborg", "851", "municipality"),
        ("Hele landet", "000", "country")]
    assert p.notebooks[-1] == "07_compare_peers"
    compared = [i.id for i in p.indicators if "municipality" in i.levels]
    assert compared == ["youth_violence_decisions", "reported_crime_dst", "citizen_crime_dst"]
    assert p.sources["straf44"].optional and p.sources["straf44"].table == "STRAF44"
    assert p.sources["folk1a_15_24"].optional and p.sources["folk1a_15_24"].table == "FOLK1A"


def test_aarhus_2018_citizen_crime_per_1000_equals_the_hand_count(table, data):
    p, t, _ = table
    got = t[(t["indicator_id"] == "citizen_crime_dst") & (t["period"] == 2018)].set_index("area_id")
    for area_id, name in CITIES.items():
        n = offences_by_hand(data / STRAF11, name, CITIZEN_LABELS, 2018)
        pop = xlsx_cell(data / FOLK1A, name, "2018Q1")
        assert got.loc[area_id, "numerator"] == n and got.loc[area_id, "denominator"] == pop
        assert got.loc[area_id, "estimate"] == pytest.approx(1000 * n / pop, rel=1e-12)
    # Aarhus by hand, written out: 21,601 offences in 2018 over 340,421 residents on 1 January 2018
    assert got.loc["aarhus", "estimate"] == pytest.approx(1000 * 21601 / 340421, rel=1e-12)


def test_total_reported_crime_2022_from_the_xlsx(table, data):
    p, t, _ = table
    got = t[(t["indicator_id"] == "reported_crime_dst") & (t["period"] == 2022)].set_index("area_id")
    for area_id, name in CITIES.items():
        n = sum(xlsx_cell(data / STRAF11_TOTAL, name, f"2022Q{q}") for q in range(1, 5))
        pop = xlsx_cell(data / FOLK1A, name, "2022Q1")
        assert got.loc[area_id, "estimate"] == pytest.approx(1000 * n / pop, rel=1e-12)


def test_ranks_in_the_latest_year_each_file_covers(table, data):
    p, t, _ = table
    ranks = peers.rank_table(p, t.assign(suppressed=False), 2026)
    # STRAF11 by offence type ends in 2019Q3 and the total file in 2022Q4: each measure in its last complete year
    assert dict(zip(ranks["indicator_id"], ranks["period"])) == {"reported_crime_dst": 2022, "citizen_crime_dst": 2018}
    by_hand = {a: offences_by_hand(data / STRAF11, name, CITIZEN_LABELS, 2018)
               / xlsx_cell(data / FOLK1A, name, "2018Q1") for a, name in CITIES.items()}
    order = sorted(by_hand, key=by_hand.get, reverse=True)
    cc = ranks[ranks["indicator_id"] == "citizen_crime_dst"].set_index("area_id")
    assert [int(cc.loc[a, "rank"]) for a in order] == [1, 2, 3, 4] and (cc["of"] == 4).all()
    assert cc.loc["hele-landet", "level"] == "country" and cc["rank"].isna().sum() == 1
    [line] = [s for s in peers.rank_statements(p, ranks, "en") if "citizen" in s]
    assert line.endswith(" in 2018.")


def test_straf44_absent_is_not_supplied(table):
    p, _, work = table
    manifest = json.loads((work / "staged" / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["missing_optional"]) == {"straf44", "folk1a_15_24"}
    res = peers.youth_decision_rates(straf44=sources.load_staged(work / "staged", "straf44"),
                                     folk1a=sources.load_staged(work / "staged", "folk1a_15_24"))
    assert res.status == "not supplied" and res.table.empty
