"""``fetch_dst`` and ``tryghed fetch dst`` against recorded StatBank responses (tests/fixtures/statbank/)."""

import datetime as dt
import hashlib
import io
import json
import urllib.error
from pathlib import Path

import pytest

from tryghed import cli, paths
from tryghed.fetch import (
    API_URL,
    BULK_ABOVE,
    FetchError,
    estimate_cells,
    fetch_dst,
    parse_variables,
)
from tryghed.sources.statbank import read_statbank

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"
TODAY = dt.date(2025, 5, 2)
STRAF11_VARS = {"OMRÅDE": ["000", "101"], "OVERTRÆD": ["1", "12"], "Tid": ["2025K1"]}


class Recorder:
    """An opener that records each request and answers with the next recorded response."""

    def __init__(self, *responses):
        self.responses = list(responses)
        self.requests = []

    def open(self, request, timeout=None):
        self.requests.append(request)
        status, name = self.responses.pop(0)
        payload = (FIXTURES / name).read_bytes()
        if status != 200:
            raise urllib.error.HTTPError(request.full_url, status, "Bad Request", {}, io.BytesIO(payload))
        return io.BytesIO(payload)

    def bodies(self):
        return [json.loads(r.data.decode("utf-8")) for r in self.requests]


def fetch(tmp_path, opener, table="STRAF11", variables=STRAF11_VARS, **kw):
    return fetch_dst(table, variables, out_dir=tmp_path / "raw" / "dst", log_path=tmp_path / "raw" / "README.md",
                     opener=opener, today=TODAY, **kw)


def test_fetch_posts_json_for_a_code_csv_and_saves_the_bytes(tmp_path):
    opener = Recorder((200, "straf11_code.csv"))
    result = fetch(tmp_path, opener)
    [req] = opener.requests
    assert req.full_url == API_URL == "https://api.statbank.dk/v1/data"
    assert req.get_method() == "POST"
    assert req.get_header("Content-type") == "application/json; charset=utf-8"
    assert opener.bodies() == [{
        "table": "STRAF11", "format": "CSV", "lang": "da", "valuePresentation": "Code", "timeOrder": "Ascending",
        "delimiter": "Semicolon",
        "variables": [{"code": "OMRÅDE", "values": ["000", "101"]}, {"code": "OVERTRÆD", "values": ["1", "12"]},
                      {"code": "Tid", "values": ["2025K1"]}],
    }]
    recorded = (FIXTURES / "straf11_code.csv").read_bytes()
    sha = hashlib.sha256(recorded).hexdigest()
    assert result.path == tmp_path / "raw" / "dst" / f"straf11_2025-05-02_{sha[:12]}.csv"
    assert result.path.read_bytes() == recorded
    assert (result.sha256, result.size, result.fmt, result.retried) == (sha, len(recorded), "CSV", False)
    assert result.cells == 2 * 2 * 1 * (3 + 1)
    assert read_statbank(result.path)["value"].tolist() == [75797, 6739, 16072, 951]


def test_fetch_appends_one_data_log_entry(tmp_path):
    log = tmp_path / "raw" / "README.md"
    log.parent.mkdir(parents=True)
    log.write_text("# Data log\n\nEarlier entries.\n", encoding="utf-8")
    result = fetch(tmp_path, Recorder((200, "straf11_code.csv")))
    text = log.read_text(encoding="utf-8")
    assert text.startswith("# Data log\n\nEarlier entries.\n")
    entry = text.split("Earlier entries.\n", 1)[1]
    assert f"dst/{result.path.name}" in entry and "StatBank STRAF11" in entry and "2025-05-02" in entry
    assert f"`POST {API_URL}`" in entry
    assert f"`{json.dumps(result.body, ensure_ascii=False)}`" in entry
    assert f"sha256: `{result.sha256}`" in entry
    # The same answer again: the raw file is not rewritten and the log not repeated.
    again = fetch(tmp_path, Recorder((200, "straf11_code.csv")))
    assert again.path == result.path and log.read_text(encoding="utf-8") == text


def test_request_limit_is_retried_as_bulk(tmp_path):
    opener = Recorder((400, "error_request_limit.json"), (200, "straf11_2025K1.bulk.csv"))
    variables = {"OMRÅDE": ["*"], "OVERTRÆD": ["1", "12", "1210", "1220", "1283", "1320", "1332", "1345", "1380",
                                              "1390"], "Tid": ["2025K1"]}
    result = fetch(tmp_path, opener, variables=variables)
    first, second = opener.bodies()
    assert (first["format"], second["format"]) == ("CSV", "BULK")
    assert {k: v for k, v in first.items() if k != "format"} == {k: v for k, v in second.items() if k != "format"}
    assert result.retried and result.fmt == "BULK" and result.cells is None
    assert result.path.name.endswith(".bulk.csv")
    assert "REQUEST-LIMIT" in (tmp_path / "raw" / "README.md").read_text(encoding="utf-8")
    df = read_statbank(result.path)  # a .bulk.csv is zero-filled: Albertslund had no robbery
    row = df[(df["area_code"] == "165") & (df["offence_code"] == "1380")].iloc[0]
    assert row["value"] == 0 and not row["missing"]


def test_large_request_goes_as_bulk_at_once(tmp_path):
    variables = {"OMRÅDE": [f"{i:03d}" for i in range(106)], "OVERTRÆD": [str(i) for i in range(90)],
                 "Tid": [f"{y}K{q}" for y in range(2019, 2025) for q in range(1, 5)]}
    assert estimate_cells(variables) == 106 * 90 * 24 * 4 > BULK_ABOVE
    opener = Recorder((200, "straf11_2025K1.bulk.csv"))
    result = fetch(tmp_path, opener, variables=variables)
    assert [b["format"] for b in opener.bodies()] == ["BULK"] and not result.retried


def test_bulk_needs_every_variable(tmp_path):
    variables = {"OMRÅDE": [f"{i:03d}" for i in range(105)], "KØN": ["1", "2"], "ALDER": [str(a) for a in range(126)],
                 "Tid": [f"{y}K{q}" for y in range(2008, 2025) for q in range(1, 5)]}
    opener = Recorder()
    with pytest.raises(FetchError, match="CIVILSTAND is not given"):
        fetch(tmp_path, opener, table="FOLK1A", variables=variables)
    assert opener.requests == []
    opener = Recorder((400, "error_request_limit.json"))
    with pytest.raises(FetchError, match="OVERTRÆD is not given"):
        fetch(tmp_path, opener, variables={"OMRÅDE": ["*"], "Tid": ["*"]})
    assert len(opener.requests) == 1 and not (tmp_path / "raw" / "dst").exists()


def test_refusal_is_a_clear_error_and_saves_nothing(tmp_path):
    with pytest.raises(FetchError) as info:
        fetch(tmp_path, Recorder((400, "error_extract_notfound.json")), table="STRAF99")
    message = str(info.value)
    assert "(EXTRACT-NOTFOUND): Tabel findes ikke: STRAF99" in message and "Check the table id" in message
    assert not (tmp_path / "raw").exists()


def test_network_failure_is_a_clear_error(tmp_path):
    class Offline:
        def open(self, request, timeout=None):
            raise urllib.error.URLError("Name or service not known")

    with pytest.raises(FetchError, match="cannot reach https://api.statbank.dk/v1/data"):
        fetch(tmp_path, Offline())


@pytest.mark.parametrize(("name", "table", "variables"), [
    ("folk1a_2008K1_2020K1.csv", "FOLK1A",
     {"OMRÅDE": ["101"], "KØN": ["TOT"], "ALDER": ["IALT"], "CIVILSTAND": ["G", "U", "F"],
      "Tid": ["2008K1", "2020K1"]}),
    ("straf11_code_bom.csv", "STRAF11", STRAF11_VARS),
    ("straf11_code_missing.csv", "STRAF11", STRAF11_VARS),
])
def test_responses_are_saved_verbatim_and_read_back(tmp_path, name, table, variables):
    result = fetch(tmp_path, Recorder((200, name)), table=table, variables=variables)
    assert result.path.read_bytes() == (FIXTURES / name).read_bytes()  # BOM and all: raw files are immutable
    df = read_statbank(result.path)
    assert set(df["table"]) == {table}
    if name == "straf11_code_missing.csv":
        assert df["missing"].tolist() == [False, False, False, True]
    if table == "FOLK1A":
        assert df.loc[(df["marital_status"] == "G") & (df["period"] == "2008Q1"), "value"].item() == 128556


def test_non_table_answer_is_an_error(tmp_path):
    with pytest.raises(FetchError, match="is not a CSV table"):
        fetch(tmp_path, Recorder((200, "README.md")))


def test_cell_estimate_and_variable_parsing():
    assert estimate_cells({"A": ["1", "2"], "B": ["x", "y", "z"]}) == 2 * 3 * (2 + 1)
    assert estimate_cells({"A": ["*"]}) is None and estimate_cells({"Tid": [">=2010K1<=2015K4"]}) is None
    assert parse_variables(["OMRÅDE=000,101", "Tid=2024K1"]) == {"OMRÅDE": ["000", "101"], "Tid": ["2024K1"]}
    for bad in (["OMRÅDE"], ["OMRÅDE="], ["Tid=1", "TID=2"]):
        with pytest.raises(FetchError):
            parse_variables(bad)
    with pytest.raises(ValueError, match="today is required"):
        fetch_dst("STRAF11", STRAF11_VARS, out_dir=Path("x"), log_path=Path("y"), opener=Recorder())


def test_cli_fetch_passes_the_request_and_prints_the_file(monkeypatch, tmp_path, capsys):
    calls = []

    def fake_fetch(table, variables, **kw):
        calls.append((table, variables, kw))
        return type("R", (), {"path": tmp_path / "straf11.csv"})()

    monkeypatch.setattr("tryghed.fetch.fetch_dst", fake_fetch)
    code = cli.main(["fetch", "dst", "STRAF11", "OMRÅDE=000,101", "Tid=2024K1", "--lang", "en", "--out",
                     str(tmp_path)])
    assert code == 0 and capsys.readouterr().out.strip() == str(tmp_path / "straf11.csv")
    [(table, variables, kw)] = calls
    assert (table, variables) == ("STRAF11", {"OMRÅDE": ["000", "101"], "Tid": ["2024K1"]})
    assert kw["lang"] == "en" and kw["out_dir"] == tmp_path and kw["log_path"] == paths.DATA_RAW / "README.md"
    assert isinstance(kw["today"], dt.date)

    assert cli.main(["fetch", "dst", "STRAF11", "OMRÅDE"]) == 2
    assert "is not a variable selection" in capsys.readouterr().err
