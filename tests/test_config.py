"""The pipeline YAML is validated by pydantic models: every mistake is a ConfigError naming file, line, key and fix."""

import re
import subprocess
import sys

import pytest

from tryghed import config
from tryghed.errors import ConfigError

BASE = config.pipeline_path("sikker-by").read_text(encoding="utf-8")


def _load(tmp_path, old, new):
    assert old in BASE, old
    text = BASE.replace(old, new, 1)
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    return path, text


def _line_of(text, needle):
    """The 1-based line of the first occurrence of ``needle``: counted here, not by the code under test."""
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize("old, new, key, hint", [
    ("    unit: percent", "    unti: percent", "indicators.unsafe_night.unti", "did you mean 'unit'"),
    ("    item: tryg_aften_nat", "    itme: tryg_aften_nat", "indicators.unsafe_night.itme", "did you mean 'item'"),
    ("disclosure:\n  k: 5", "disclosur:\n  k: 5", "disclosur", "did you mean 'disclosure'"),
    ("baseline: {year: 2013, value: 17.5}", "baseline: {year: 2013, valeu: 17.5}",
     "indicators.unsafe_night.baseline.valeu", "did you mean 'value'"),
])
def test_unknown_keys_are_errors_with_a_hint_and_the_line(tmp_path, old, new, key, hint):
    path, text = _load(tmp_path, old, new)
    with pytest.raises(ConfigError) as e:
        config.load_pipeline(path)
    msg = str(e.value)
    assert f"'{key}'" in msg and hint in msg
    bad_key = key.rsplit(".", 1)[-1]
    assert f"line {_line_of(text, bad_key + ':')}:" in msg


@pytest.mark.parametrize("old, new, pattern", [
    ("baseline_year: 2013", "baseline_year: twenty", r"'baseline_year'.*integer.*'twenty'"),
    ("    levels: [city, district, survey_district]", "    levels: city", r"'indicators.unsafe_night.levels'.*list"),
    ("kind: survey_share", "kind: survey_shares", r"'indicators.unsafe_night.kind'.*did you mean 'survey_share'"),
    ("    positive_codes: [4, 5]", "    positive_codez: [4, 5]", r"unknown key 'positive_codez'"),
    ("      - {type: level, year: 2017, value: 13.0,", "      - {type: level, year: 2017,",
     r"targets\[0\]'.*'level' target needs 'value'"),
    ("  mode: DK", "  mode: DKK", r"'disclosure.mode'.*'DK'.*'rounding'"),
    ("    levels: [district, survey_district]", "    levels: [district, bydel]",
     r"'families.district_screening.levels\[1\]'"),
    ("kind: survey_share", "kind: opinion_poll", r"not a known kind"),
    ("    source: survey\n", "    source: surveys\n", r"source 'surveys' is not among sources"),
    ("    measure: days\n", "", r"'indicators.closure_days.measure'.*required"),
])
def test_wrong_values_name_the_key(tmp_path, old, new, pattern):
    path, _ = _load(tmp_path, old, new)
    with pytest.raises(ConfigError, match=pattern):
        config.load_pipeline(path)


def test_a_cycle_of_parents_is_an_error_not_a_hang(tmp_path):
    path, _ = _load(tmp_path, "  - {id: kbh, level: city,", "  - {id: kbh, level: city, parent: valby,")
    with pytest.raises(ConfigError, match="cycle"):
        config.load_pipeline(path)


def test_sources_as_a_list_is_a_config_error(tmp_path):
    path = tmp_path / "bad.yml"
    text = re.sub(r"\nsources:\n(  \w+:\n(    .*\n|  #.*\n)*)+", "\nsources: [survey.csv]\n", BASE)
    assert "sources: [survey.csv]" in text
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match="'sources'.*map a source id"):
        config.load_pipeline(path)


def test_earlier_baseline_is_kept():
    ind = config.load_pipeline("sikker-by").indicator("intensive_areas")
    assert (ind.baseline.year, ind.baseline.value) == (2013, 5)
    assert (ind.baseline.earlier.year, ind.baseline.earlier.value) == (2010, 12)


def test_kind_options_are_typed():
    cfg = config.load_pipeline("sikker-by")
    assert cfg.indicator("unsafe_night").spec.positive_codes == (4, 5)
    assert cfg.indicator("closure_reopening_plan").options["plan_within_working_days"] == 3
    assert cfg.alpha == 0.05


def test_cli_exits_2_on_a_type_error(tmp_path):
    path, _ = _load(tmp_path, "baseline_year: 2013", "baseline_year: [2013]")
    r = subprocess.run([sys.executable, "-m", "tryghed.cli", "validate", str(path)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "baseline_year" in r.stderr


def test_a_misspelt_required_key_is_one_error_naming_the_misspelling(tmp_path):
    """'tpye' for 'type' in a target: one message, the unknown key with its hint, not first a 'type: Field
    required' that sends the reader looking for a key that is there."""
    path, text = _load(tmp_path, "      - {type: level, year: 2017, value: 13.0,", "      - {tpye: level, year: 2017, "
                       "value: 13.0,")
    with pytest.raises(ConfigError) as e:
        config.load_pipeline(path)
    lines = [x for x in str(e.value).splitlines() if x.strip()]
    assert "unknown key 'tpye'; did you mean 'type'?" in lines[0]
    assert len(lines) == 1 and "Field required" not in lines[0], lines
