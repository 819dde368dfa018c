"""The direct-identifier scan fails closed: any error inside it stops the ingest with exit 2 naming the file."""

import shutil

import pytest

from tryghed import cli, config, demo, identifiers, sources
from tryghed.errors import InputError


def broken_scanner(path, **kwargs):
    # A scanner that breaks the way a library upgrade or an odd sheet could break it.
    raise RuntimeError("boom inside the scanner")


def test_read_source_stops_when_the_scan_raises(demo_dir, monkeypatch):
    pipeline = config.load_pipeline("sikker-by")
    read = []
    monkeypatch.setattr(identifiers, "scan_file", broken_scanner)
    for sid, reader in list(sources.READERS.items()):
        monkeypatch.setitem(sources.READERS, sid, lambda *a, _r=reader, **k: read.append(1) or _r(*a, **k))
    source_id = next(iter(pipeline.sources))
    with pytest.raises(InputError) as err:
        sources.read_source(pipeline, source_id, demo_dir)
    msg = str(err.value)
    assert str(demo_dir / pipeline.sources[source_id].file) in msg
    assert "scan for direct identifiers" in msg and "failed (RuntimeError)" in msg
    assert "boom" not in msg  # the library's text could quote a cell value, so it is not repeated
    assert read == []  # the reader never ran


def test_ingest_writes_nothing_when_the_scan_raises(demo_dir, tmp_path, monkeypatch):
    pipeline = config.load_pipeline("sikker-by")
    monkeypatch.setattr(identifiers, "scan_file", broken_scanner)
    with pytest.raises(InputError):
        sources.ingest(pipeline, demo_dir, tmp_path / "staged")
    assert not list((tmp_path / "staged").glob("*.parquet"))


def test_validate_exits_2_naming_the_file(demo_dir, tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(demo_dir, raw)
    monkeypatch.setattr(identifiers, "scan_file", broken_scanner)
    code = cli.main(["validate", "sikker-by", "--raw", str(raw)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and err.startswith("tryghed: error: ")
    first = config.load_pipeline("sikker-by").sources
    assert any(str(raw / s.file) in err for s in first.values()), err
    assert "scan for direct identifiers" in err


@pytest.mark.parametrize(("content", "problem"), [
    (b"", "the file is empty"),
    (b"PK\x03\x04 cut off", "not a readable xlsx workbook"),
])
def test_a_workbook_the_scan_cannot_open_is_an_input_error(tmp_path, content, problem):
    p = tmp_path / "closures.xlsx"
    p.write_bytes(content)
    with pytest.raises(InputError, match=problem) as err:
        identifiers.scan_file(p)
    assert err.value.where == "whole file" and err.value.path == str(p)


def test_demo_closure_log_is_an_xlsx():
    # The cases above stand for the demo's workbook source; keep them honest if the demo changes format.
    assert demo.FILES["closures"].endswith(".xlsx")
