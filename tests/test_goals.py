"""Programme goals group the scorecard; a count names what it counts (``goals:``, ``goal:``, ``unit_label:``)."""

import re

import numpy as np
import pandas as pd
import pytest

from tryghed import config, i18n, report
from tryghed.errors import ConfigError

BASE = config.pipeline_path("sikker-by").read_text(encoding="utf-8")
# the tests set goals and labels themselves, whatever the shipped YAML declares
BASE = re.sub(r"(?m)^goals:\n(?:  .*\n)+", "", BASE)
BASE = re.sub(r"(?m)^    (goal|unit_label|unit_label_one): .*\n", "", BASE)
GOALS = ("goals:\n  - {id: safety, name: {da: Øget tryghed, en: More safety}}\n"
         "  - {id: crime, name: {da: Mindre kriminalitet, en: Less crime}}\n")


def _pipeline(tmp_path, *, goals=GOALS, per_indicator=None, labels=None):
    """sikker-by with ``goals`` and, per indicator id, a goal and a unit label (inserted after its ``kind:``)."""
    text = BASE.replace("indicators:\n", goals + "indicators:\n", 1) if goals else BASE
    for ind_id, goal in (per_indicator or {}).items():
        text = _after_kind(text, ind_id, f"    goal: {goal}\n")
    for ind_id, label in (labels or {}).items():
        text = _after_kind(text, ind_id, f"    unit_label: {label}\n")
    path = tmp_path / "p.yml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _after_kind(text, ind_id, line):
    head = f"  - id: {ind_id}\n"
    start = text.index(head)
    kind = text.index("    kind: ", start)
    end = text.index("\n", kind) + 1
    return text[:end] + line + text[end:]


def test_goals_and_labels_are_read(tmp_path):
    path, _ = _pipeline(tmp_path, per_indicator={"unsafe_night": "safety", "reported_crime": "crime"},
                        labels={"intensive_areas": "{da: lokalområder, en: local areas}"})
    p = config.load_pipeline(path)
    assert [g.id for g in p.goals] == ["safety", "crime"]
    assert p.goals[1].name["da"] == "Mindre kriminalitet"
    assert p.indicator("unsafe_night").goal == "safety"
    assert p.indicator("gang_members").goal is None
    assert p.indicator("intensive_areas").unit_label["en"] == "local areas"


def test_an_unknown_goal_names_the_key_the_line_and_the_closest_goal(tmp_path):
    path, text = _pipeline(tmp_path, per_indicator={"closure_days": "safty"})
    with pytest.raises(ConfigError) as e:
        config.load_pipeline(path)
    msg = str(e.value)
    line = text[: text.index("goal: safty")].count("\n") + 1
    assert f"line {line}: 'indicators.closure_days.goal'" in msg
    assert "did you mean 'safety'?" in msg and "safety, crime" in msg


def test_a_goal_without_goals_says_to_declare_them(tmp_path):
    path, _ = _pipeline(tmp_path, goals="", per_indicator={"closure_days": "safety"})
    with pytest.raises(ConfigError, match=r"'indicators.closure_days.goal'.*declares no 'goals:'"):
        config.load_pipeline(path)


def test_repeated_goal_ids_and_a_misspelt_goal_key_are_errors(tmp_path):
    path, _ = _pipeline(tmp_path, goals=GOALS + "  - {id: safety, name: Igen}\n")
    with pytest.raises(ConfigError, match="goal ids must be unique; repeated: safety"):
        config.load_pipeline(path)
    path, _ = _pipeline(tmp_path, per_indicator={"closure_days": "safety"})
    path.write_text(path.read_text(encoding="utf-8").replace("    goal: safety", "    gaol: safety"), "utf-8")
    with pytest.raises(ConfigError, match=r"unknown key 'gaol'.*did you mean 'goal'"):
        config.load_pipeline(path)


def test_a_unit_label_on_a_share_is_an_error(tmp_path):
    path, _ = _pipeline(tmp_path, labels={"unsafe_night": "{da: personer, en: persons}"})
    with pytest.raises(ConfigError, match=r"'indicators.unsafe_night.unit_label'.*unit is 'percent'"):
        config.load_pipeline(path)


def test_units_carry_their_label_into_every_statement():
    areas = i18n.Unit("count", {"da": "lokalområder", "en": "local areas"})
    assert areas == "count"                                         # still the unit code for every rule
    assert i18n.value(5.0, areas, "da") == "5\u00a0lokalområder"
    assert i18n.change_size(-2.0, areas, "en") == "\u22122\u00a0local areas"
    assert i18n.change_size(-26.0, "days", "da") == "\u221226\u00a0dage"  # the default word of days
    assert i18n.value(3.0, "count", "da") == "3"                     # a bare count without a label



def test_a_count_of_exactly_one_takes_the_singular():
    """"−1 institution", never "−1 institutioner": after exactly one the unit's singular, in both languages; a
    decimal, a thousand or a label without a singular keep the plural (no guessed Danish ending)."""
    areas = i18n.Unit("count", {"da": "lokalområder", "en": "local areas"}, {"da": "lokalområde", "en": "local area"})
    nbsp, minus = "\u00a0", "\u2212"
    assert i18n.value(1.0, areas, "da") == f"1{nbsp}lokalområde"
    assert i18n.change_size(-1.0, areas, "en") == f"{minus}1{nbsp}local area"
    assert i18n.change_size(1.0, areas, "da") == f"+1{nbsp}lokalområde"
    assert i18n.value(2.0, areas, "da") == f"2{nbsp}lokalområder"
    assert i18n.value(1000.0, areas, "da") == f"1.000{nbsp}lokalområder"
    assert i18n.change_size(-1.0, "days", "da") == f"{minus}1{nbsp}dag"
    assert i18n.change_size(-1.0, "days", "en") == f"{minus}1{nbsp}day"
    assert i18n.value(1.0, "days", "en", decimals=1) == f"1.0{nbsp}days"
    # no change reads as no change, never as a level of zero
    assert i18n.change_size(0.0, areas, "da") == f"±0{nbsp}lokalområder"
    assert i18n.change_size(-0.0004, "percent", "en") == f"±0.00{nbsp}percentage points"
    assert i18n.change_size(-0.04, "percent", "da") == f"{minus}0,04{nbsp}procentpoint"
    assert i18n.value(1.0, i18n.Unit("count", {"da": "personer", "en": "persons"}), "da") == f"1{nbsp}personer"
    assert i18n.unit_label(config.load_pipeline("sikker-by").indicator("closed_institutions"), "da") == \
        "institutioner"                                              # a column or an axis names the plural


def test_unit_label_one_is_read_and_needs_its_plural(tmp_path):
    path, _ = _pipeline(tmp_path, labels={"intensive_areas": "{da: lokalområder, en: local areas}\n"
                                          "    unit_label_one: {da: lokalområde, en: local area}"})
    ind = config.load_pipeline(path).indicator("intensive_areas")
    assert i18n.value(1.0, i18n.indicator_unit(ind), "da") == "1\u00a0lokalområde"
    path.write_text(path.read_text(encoding="utf-8").replace("    unit_label: {da: lokalområder, en: local areas}\n",
                                                             ""), "utf-8")
    with pytest.raises(ConfigError, match=r"unit_label_one is given without unit_label"):
        config.load_pipeline(path)
    shipped = config.load_pipeline("sikker-by")
    labelled = [i for i in shipped.indicators if i.unit_label is not None]
    assert len(labelled) == 4 and all(i.unit_label_one is not None for i in labelled)

# ---------------------------------------------------------------------------------------------- the scorecard
def _frames(p, year=2017):
    """A minimal published table, change and target table: every indicator of ``p`` at its headline area."""
    from tryghed.changes import headline_area

    rows = []
    for ind in p.indicators:
        for period in (year - 1, year):
            rows.append({"indicator_id": ind.id, "area_id": headline_area(p, ind), "level": "city", "period": period,
                         "estimate": 5.0 if period == year else 7.0, "ci_low": np.nan, "ci_high": np.nan,
                         "suppressed": False, "flags": "", "denominator": np.nan})
    table = pd.DataFrame(rows)
    changes = pd.DataFrame(columns=["indicator_id", "area_id", "comparison"])
    targets = pd.DataFrame(columns=["indicator_id", "target_no", "status"])
    return table, changes, targets


def test_scorecard_groups_measures_under_their_goal_and_other_measures_last(tmp_path):
    path, _ = _pipeline(tmp_path, per_indicator={"unsafe_night": "safety", "intensive_areas": "safety",
                                                 "youth_charged": "crime"},
                        labels={"intensive_areas": "{da: lokalområder, en: local areas}"})
    p = config.load_pipeline(path)
    rows = report.measures(p, *_frames(p), 2017, "da")
    groups = report.goal_groups(p, rows, "da")
    assert [(g["name"], [m["id"] for m in g["measures"]]) for g in groups] == [
        ("Øget tryghed", ["unsafe_night", "intensive_areas"]),
        ("Mindre kriminalitet", ["youth_charged"]),
        ("Andre mål", ["unsafe_neighbourhood", "safe_neighbourhood", "closure_days", "closed_institutions",
                       "closure_reopening_plan", "youth_charged_14_17_violent", "youth_charged_14_17_other",
                       "youth_charged_18_25_violent", "youth_charged_18_25_other", "gang_members",
                       "reported_crime"]),
    ]
    by_id = {m["id"]: m for m in rows}
    assert by_id["intensive_areas"]["value_text"] == "5\u00a0lokalområder"
    assert by_id["closure_days"]["value_text"] == "5\u00a0dage"
    card = report.scorecard(p, *_frames(p), 2017, "en")
    assert card.columns[0] == "Goal"
    goal_of = dict(zip(card["indicator_id"], card["Goal"]))
    assert goal_of["unsafe_night"] == "More safety" and goal_of["youth_charged"] == "Less crime"
    assert goal_of["gang_members"] == "Other measures"
    unit_of = dict(zip(card["indicator_id"], card["Unit"]))
    assert unit_of["intensive_areas"] == "local areas" and unit_of["closure_days"] == "days"
    assert unit_of["gang_members"] == "number"


def test_without_goals_one_unnamed_group_and_no_goal_column(tmp_path):
    path, _ = _pipeline(tmp_path, goals="")
    p = config.load_pipeline(path)
    rows = report.measures(p, *_frames(p), 2017, "da")
    groups = report.goal_groups(p, rows, "da")
    assert len(groups) == 1 and groups[0]["name"] == "" and len(groups[0]["measures"]) == len(p.indicators)
    card = report.scorecard(p, *_frames(p), 2017, "da")
    assert "Indsatsområde" not in card.columns


def test_sikker_by_groups_its_measures_under_the_programmes_two_goals():
    p = config.load_pipeline("sikker-by")
    assert [(g.id, g.name["da"], g.name["en"]) for g in p.goals] == [
        ("more_safety", "Øget tryghed", "More safety"), ("less_crime", "Mindre kriminalitet", "Less crime")]
    assert {i.id: i.goal for i in p.indicators} == {
        "unsafe_night": "more_safety", "unsafe_neighbourhood": "more_safety", "safe_neighbourhood": "more_safety",
        "intensive_areas": "more_safety", "closure_days": "more_safety", "closed_institutions": "more_safety",
        "closure_reopening_plan": "more_safety", "youth_charged": "less_crime",
        "youth_charged_14_17_violent": "less_crime", "youth_charged_14_17_other": "less_crime",
        "youth_charged_18_25_violent": "less_crime", "youth_charged_18_25_other": "less_crime",
        "gang_members": "less_crime", "reported_crime": "less_crime"}
    assert all(i.unit_label is not None for i in p.indicators if i.unit in config.COUNT_UNITS)
