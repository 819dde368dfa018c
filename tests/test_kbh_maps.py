"""The koebenhavn district maps (issue 10): the 10 administrative districts of geo/kk_bydele.geojson, Nørrebro
replaced by Indre and Ydre Nørrebro from the Nørrebro neighbourhoods; the survey districts without a polygon of their
own are named under the map, checked here against the boundary files' names read with the json module.

Without the shared folder the tests skip with a message (TRYGHED_SHARED_DATA names another copy); in CI they fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from realdata import need
from tryghed import config, figures
from tryghed.errors import InputError

PIPELINE = Path(__file__).resolve().parents[1] / "pipelines" / "koebenhavn.yml"
FILES = ("geo/kk_bydele.geojson", "geo/norrebro_neighbourhoods.geojson")


@pytest.fixture(scope="module")
def geo(shared_data):
    return need(shared_data, *FILES)


def _names(path: Path, prop: str) -> set[str]:
    with open(path, encoding="utf-8") as fh:
        return {str(f["properties"][prop]) for f in json.load(fh)["features"]}


def _expected_without_polygon(geo: Path) -> tuple[set[str], set[str]]:
    """Survey districts (YAML, read with yaml) whose name no polygon of kk_bydele bears and that are not made of
    Nørrebro neighbourhoods; and the kk_bydele polygons that are no survey district (json, by hand)."""
    spec = yaml.safe_load(PIPELINE.read_text(encoding="utf-8"))
    districts = {}
    for a in spec["areas"]:
        if a["level"] == "district":
            name = a["name"]["da"] if isinstance(a["name"], dict) else a["name"]
            districts[a["id"]] = (name, {name, *a.get("aliases", [])})
    bydele = _names(geo / "geo/kk_bydele.geojson", "navn") - {"Nørrebro"}  # Nørrebro is drawn in two halves
    neighbourhoods = _names(geo / "geo/norrebro_neighbourhoods.geojson", "neighbourhood_name")
    assert neighbourhoods == {"Blagardskvarteret", "Guldbergskvarteret", "Haraldsgade-kvarteret",
                              "Mimersgade-kvarteret", "Stefansgade"}
    halves = {"indre-noerrebro", "ydre-noerrebro"}
    without = {name for a, (name, n) in districts.items() if a not in halves and not (n & bydele)}
    named = {x for _, n in districts.values() for x in n}
    return without, {b for b in bydele if b not in named}


def test_the_plan_matches_the_boundary_files(geo):
    pipe = config.load_pipeline("koebenhavn")
    plan = figures.district_map_plan(pipe, geo)
    without, grey = _expected_without_polygon(geo)
    assert without == {"Christianshavn", "Kongens Enghave", "Vesterbro"}  # by hand: the README's 13 vs 10
    assert grey == {"Vesterbro-Kongens Enghave"}
    assert {pipe.area(a).name["da"] for a in plan["without_polygon"]} == without
    assert set(plan["unmatched"]) == grey
    # 10 polygons − Nørrebro − Vesterbro-Kongens Enghave + Indre and Ydre Nørrebro = 10 shaded survey districts
    assert len(plan["shapes"]) == 10 and {"indre-noerrebro", "ydre-noerrebro"} <= set(plan["shapes"])
    assert len(plan["shapes"]["indre-noerrebro"]) == 2 and len(plan["shapes"]["ydre-noerrebro"]) == 3


@pytest.mark.parametrize("lang", ["da", "en"])
def test_names_under_the_map_in_the_report_language(geo, tmp_path, lang):
    pipe = config.load_pipeline("koebenhavn")
    districts = [a for a in pipe.areas if a.level == "district"]
    values = {a.id: float(70 + i) for i, a in enumerate(districts)}
    table = pd.DataFrame({"indicator_id": "safe_neighbourhood", "area_id": list(values), "level": "district",
                          "period": 2026, "estimate": list(values.values()), "suppressed": False})
    made = figures.district_maps(pipe, table, 2026, lang, geo, tmp_path, demo=False)
    assert made["figure"].tolist() == ["map_districts_safe_neighbourhood"]  # no rates in the table: one map
    note = made["note"].iloc[0]
    without, _ = _expected_without_polygon(geo)
    ids = {a.name["da"]: a.id for a in districts}
    head = "Bydele i undersøgelsen uden eget område på kortet" if lang == "da" else \
        "Survey districts without a polygon of their own on the map"
    assert note.startswith(head)
    listed = note.split(": ", 1)[1].split(").")[0] + ")"
    expected = ", ".join(f"{pipe.area(ids[n]).name[lang]} ({int(values[ids[n]])}\u00a0%)" if lang == "da" else
                         f"{pipe.area(ids[n]).name[lang]} ({int(values[ids[n]])}%)" for n in sorted(without))
    assert listed == expected
    svg = (tmp_path / "map_districts_safe_neighbourhood.svg").read_text(encoding="utf-8")
    for n in without:
        for word in n.split():
            assert word in svg
    manifest = json.loads((tmp_path / "figures.json").read_text(encoding="utf-8"))
    assert manifest["map_districts_safe_neighbourhood"]["kind"] == "district_map"


def test_no_map_without_the_boundaries(tmp_path):
    pipe = config.load_pipeline("koebenhavn")
    table = pd.DataFrame({"indicator_id": ["safe_neighbourhood"], "area_id": ["valby"], "level": ["district"],
                          "period": [2026], "estimate": [np.float64(80.0)], "suppressed": [False]})
    assert figures.district_map_plan(pipe, tmp_path) is None
    assert figures.district_maps(pipe, table, 2026, "da", tmp_path, tmp_path / "out").empty


def test_a_group_naming_no_polygon_is_an_input_error(geo, tmp_path):
    pipe = config.load_pipeline("koebenhavn")
    spec = pipe.district_map
    layers = list(spec.layers)
    layers[1] = layers[1].model_copy(update={"groups": {"indre-noerrebro": ("Blaagaard",)}})
    object.__setattr__(pipe, "district_map", spec.model_copy(update={"layers": tuple(layers)}))
    with pytest.raises(InputError, match="blaagaard"):
        figures.district_map_plan(pipe, geo)


def test_a_map_of_an_unknown_indicator_is_a_config_error_naming_the_key(tmp_path):
    from tryghed.errors import ConfigError

    text = PIPELINE.read_text(encoding="utf-8").replace("indicators: [safe_neighbourhood, reported_offences]",
                                                        "indicators: [safe_neighbourhod]")
    (tmp_path / "k.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"district_map\.indicators\[0\].*'safe_neighbourhod'"):
        config.load_pipeline(tmp_path / "k.yml")
