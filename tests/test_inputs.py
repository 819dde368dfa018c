"""Configuration and source adapters: good input is read, bad input gets one clear error."""

import shutil

import pytest

from tryghed import config, sources
from tryghed.errors import ConfigError, InputError


@pytest.fixture()
def pipeline():
    return config.load_pipeline("sikker-by")


def test_pipeline_declares_the_five_measures(pipeline):
    ids = {i.id for i in pipeline.indicators}
    assert {"unsafe_night", "intensive_areas", "closure_days", "closed_institutions", "youth_charged",
            "gang_members"} <= ids
    assert len(pipeline.areas_at("district")) == 10
    assert len(pipeline.areas_at("survey_district")) == 13
    assert pipeline.ancestor_at("s-indre-noerrebro", "district") == "noerrebro"
    assert pipeline.break_years("unsafe_night") == [2017]


def test_bad_yaml_names_file_and_key(tmp_path):
    bad = tmp_path / "bad.yml"
    text = config.pipeline_path("sikker-by").read_text(encoding="utf-8").replace("kind: survey_share", "kind: poll")
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yml.*indicators.unsafe_night.kind.*'poll'.*survey_share"):
        config.load_pipeline(bad)


def test_unknown_pipeline():
    with pytest.raises(ConfigError, match="Known pipelines: .*sikker-by"):
        config.load_pipeline("nowhere")


def test_ingest_reads_demo(pipeline, demo_dir, tmp_path):
    summary = sources.ingest(pipeline, demo_dir, tmp_path)
    assert set(summary["source"]) == set(pipeline.sources)
    assert (tmp_path / "manifest.json").is_file()
    survey = sources.load_staged(tmp_path, "survey")
    assert survey["area_id"].str.startswith("s-").all()


def _copy(demo_dir, tmp_path):
    d = tmp_path / "raw"
    shutil.copytree(demo_dir, d)
    return d


def test_unknown_area_names_row_and_known(pipeline, demo_dir, tmp_path):
    d = _copy(demo_dir, tmp_path)
    p = d / pipeline.sources["youth_charged"].file
    lines = p.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(lines[3].split(";")[1], "Atlantis")
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 4.*'Atlantis'.*known: .*Indre Nørrebro"):
        sources.read_source(pipeline, "youth_charged", d)


def test_latin1_file_gets_encoding_error(pipeline, demo_dir, tmp_path):
    d = _copy(demo_dir, tmp_path)
    p = d / pipeline.sources["population"].file
    p.write_bytes(p.read_text(encoding="utf-8").encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8.*iconv"):
        sources.read_source(pipeline, "population", d)


def test_negative_count_and_duplicate_key(pipeline, demo_dir, tmp_path):
    d = _copy(demo_dir, tmp_path)
    p = d / pipeline.sources["youth_charged"].file
    lines = p.read_text(encoding="utf-8").splitlines()
    y, area, _ = lines[2].split(";")
    p.write_text("\n".join([*lines[:2], f"{y};{area};-3", *lines[3:]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 3.*-3, below the allowed 0"):
        sources.read_source(pipeline, "youth_charged", d)
    p.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="appears more than once"):
        sources.read_source(pipeline, "youth_charged", d)


def test_missing_column_and_empty_file(pipeline, demo_dir, tmp_path):
    d = _copy(demo_dir, tmp_path)
    p = d / pipeline.sources["survey"].file
    text = p.read_text(encoding="utf-8")
    p.write_text(text.replace("vaegt", "wgt", 1), encoding="utf-8")
    with pytest.raises(InputError, match="column 'weight' is missing"):
        sources.read_source(pipeline, "survey", d)
    p.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        sources.read_source(pipeline, "survey", d)


def test_decimal_comma_weights_are_read(pipeline, demo_dir):
    df = sources.read_source(pipeline, "survey", demo_dir)
    assert df["weight"].dtype.kind == "f"
    assert df.groupby("year")["weight"].mean().round(2).eq(1.0).all()


def test_unknown_area_in_the_closure_workbook_names_the_sheet_row(pipeline, demo_dir, tmp_path):
    import openpyxl

    d = _copy(demo_dir, tmp_path)
    p = d / pipeline.sources["closures"].file
    wb = openpyxl.load_workbook(p)
    ws = wb["Lukninger"]
    ws.insert_rows(2)                      # a second title row above the header: data now start in row 4
    ws.cell(row=6, column=2, value="Atlantis")
    wb.save(p)
    with pytest.raises(InputError, match=r"sheet 'Lukninger', row 6\).*'Atlantis'"):
        sources.read_source(pipeline, "closures", d)
