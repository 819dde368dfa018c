"""STRAF44 (criminal decisions by single age 15–24, municipality and offence): the adapter on responses written in
the documented API layout (tests/fixtures/statbank/, synthetic values), ``tryghed fetch dst STRAF44``, and the rate of
decisions per 1,000 residents aged 15–24.

Expected numbers are the fixture's cells added up by hand (written out below) and Garwood's exact Poisson interval
in its chi-square form (scipy), never the package's own output.
"""

import datetime as dt
import io
import json
import math
import urllib.error
from pathlib import Path

import pandas as pd
import pytest
from scipy.stats import chi2

from tryghed import cli, config, peers
from tryghed.errors import InputError
from tryghed.fetch import STRAF44_EXAMPLE, TABLE_VARIABLES, estimate_cells, fetch_dst
from tryghed.sources.statbank import read_statbank, sum_ages

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"
STRAF44 = FIXTURES / "straf44_code.csv"
FOLK1A = FIXTURES / "folk1a_15_24_2023K1.csv"
#: København 2023, ages 15..24, as written in straf44_code.csv
KBH_2023 = [35, 49, 64, 72, 68, 61, 52, 50, 44, 39]
KBH_2023_SUM = 534                       # 35+49+64+72+68+61+52+50+44+39, added by hand
KBH_POP_2023 = 115383                    # 5961+6012+6410+8153+10874+13402+15128+16235+16710+16498, by hand
AARHUS_2023_SUM = 226                    # 16+25+30+33+27+24+23+20+15+13
AARHUS_POP_2023 = 62713                  # 3770+3812+3990+4620+6108+7440+8215+8510+8342+7906


def garwood(count, population):
    return (1000 * chi2.ppf(0.025, 2 * count) / 2 / population, 1000 * chi2.ppf(0.975, 2 * count + 2) / 2 / population)


def test_straf44_code_layout_is_read_with_its_own_codes():
    df = read_statbank(STRAF44)
    assert set(df["table"]) == {"STRAF44"}                          # detected from AFGØRELSE
    assert len(df) == 4 * 10 * 2
    assert set(df["age"]) == {str(a) for a in range(15, 25)}
    assert set(df["sex"]) == {"TOT"} and set(df["measure"]) == {"000"} and set(df["offence_code"]) == {"12"}
    assert set(df["period"]) == {"2022", "2023"} and set(df["quarter"]) == {0}
    kbh = df[(df["area_code"] == "101") & (df["year"] == 2023)].sort_values("age", key=lambda s: s.astype(int))
    assert kbh["value"].tolist() == KBH_2023
    missing = df[df["missing"]]
    assert missing[["area_code", "age", "period"]].values.tolist() == [["851", "24", "2023"]]
    assert math.isnan(missing["value"].item())                     # ".." is missing, never 0


def test_labels_and_codes_give_the_same_table():
    codes = read_statbank(STRAF44)
    codes = codes[(codes["area_code"] == "101") & (codes["period"] == "2023")].reset_index(drop=True)
    labels = read_statbank(FIXTURES / "straf44_labels.csv")
    assert labels["area_name"].eq("København").all() and labels["sex"].eq("TOT").all()  # "I alt" -> STRAF44's TOT
    pd.testing.assert_frame_equal(labels, codes)


def test_straf44_codes_are_its_own_and_folk1a_stays_folk1a(tmp_path):
    f = tmp_path / "straf44_sex.csv"
    f.write_text("OMRÅDE;OVERTRÆD;ALDER;KØN;TID;INDHOLD\n101;12;Alder i alt;Mænd;2023;10\n101;12;Alder i alt;K;2023;2\n"
                 "101;12;25-29 år;Mænd;2023;4\n101;12;25-29 år;K;2023;1\n", encoding="utf-8")
    df = read_statbank(f)                                          # no AFGØRELSE column: eliminated, its total 000
    assert set(df["table"]) == {"STRAF44"} and set(df["measure"]) == {"000"}
    assert sorted(zip(df["age"], df["sex"], df["value"])) == [("25-29", "K", 1.0), ("25-29", "M", 4.0),
                                                              ("TOT", "K", 2.0), ("TOT", "M", 10.0)]
    bad = tmp_path / "folk1a_band.csv"
    bad.write_text("OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n101;TOT;25-29;TOT;2023K1;5\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"row 2, column 'ALDER'\): FOLK1A has no age '25-29'"):
        read_statbank(bad)


def test_sum_of_ages_is_missing_when_one_age_is():
    df = read_statbank(STRAF44)
    s = sum_ages(df).set_index(["area_code", "year"])
    assert s.loc[("101", 2023), "value"] == KBH_2023_SUM and s.loc[("101", 2023), "age"] == "15-24"
    assert s.loc[("751", 2023), "value"] == AARHUS_2023_SUM
    assert s.loc[("851", 2023), "missing"] and math.isnan(s.loc[("851", 2023), "value"])
    assert s.loc[("851", 2023), "ages"] == 9
    assert s.loc[("851", 2022), "value"] == 8 + 12 + 15 + 16 + 14 + 12 + 11 + 9 + 7 + 6


def test_decisions_per_1000_aged_15_24():
    res = peers.youth_decision_rates(straf44=read_statbank(STRAF44), folk1a=read_statbank(FOLK1A))
    assert res.status == "ok"
    t = res.table.set_index(["area_code", "period"])
    kbh = t.loc[("101", 2023)]
    assert (kbh["decisions"], kbh["population"]) == (KBH_2023_SUM, KBH_POP_2023)
    assert kbh["estimate"] == pytest.approx(1000 * KBH_2023_SUM / KBH_POP_2023, rel=1e-12)
    assert (kbh["ci_low"], kbh["ci_high"]) == pytest.approx(garwood(KBH_2023_SUM, KBH_POP_2023), rel=1e-9)
    aarhus = t.loc[("751", 2023)]
    assert aarhus["estimate"] == pytest.approx(1000 * AARHUS_2023_SUM / AARHUS_POP_2023, rel=1e-12)
    # labelled decisions, never persons
    assert t["unit"].eq("decisions per 1,000 residents aged 15-24").all()
    assert all("decisions" in m and "person" not in m.replace("one person may", "") for m in
               t.loc[t["flags"] == "", "method"])
    # Aalborg 2023 misses age 24; 2022 has no FOLK1A population in the fixture: both not estimated
    assert t.loc[("851", 2023), "flags"] == "missing" and math.isnan(t.loc[("851", 2023), "estimate"])
    assert t.loc[("101", 2022), "flags"] == "missing"


def test_absent_straf44_is_not_supplied():
    res = peers.youth_decision_rates(straf44=None, folk1a=read_statbank(FOLK1A))
    assert res.status == "not supplied" and res.table.empty


def test_a_pipeline_may_declare_a_straf44_source():
    src = config.Source(id="straf44", format="statbank", table="STRAF44", file="dst/straf44.csv", optional=True)
    assert src.table == "STRAF44"


# ----------------------------------------------------------------------------------------------------------- fetch
class Recorder:
    def __init__(self, name):
        self.name, self.requests = name, []

    def open(self, request, timeout=None):
        self.requests.append(request)
        return io.BytesIO((FIXTURES / self.name).read_bytes())


def test_fetch_straf44_sends_every_variable_and_saves_the_response(tmp_path):
    opener = Recorder("straf44_code.csv")
    result = fetch_dst("STRAF44", STRAF44_EXAMPLE, out_dir=tmp_path / "dst", log_path=tmp_path / "README.md",
                       opener=opener, today=dt.date(2026, 11, 30))
    [req] = opener.requests
    body = json.loads(req.data.decode("utf-8"))
    assert body["table"] == "STRAF44" and body["format"] == "CSV" and body["valuePresentation"] == "Code"
    assert [v["code"] for v in body["variables"]] == ["OMRÅDE", "OVERTRÆD", "AFGØRELSE", "ALDER", "KØN", "Tid"]
    assert body["variables"][3]["values"] == [str(a) for a in range(15, 25)]
    assert result.path.read_bytes() == STRAF44.read_bytes()
    assert estimate_cells(STRAF44_EXAMPLE) == 5 * 1 * 1 * 10 * 1 * 1 * (6 + 1)
    assert set(read_statbank(result.path)["table"]) == {"STRAF44"}
    assert "StatBank STRAF44" in (tmp_path / "README.md").read_text(encoding="utf-8")
    # every variable of the table is known, so a large request can go as BULK
    assert TABLE_VARIABLES["STRAF44"] == ("OMRÅDE", "OVERTRÆD", "AFGØRELSE", "ALDER", "KØN", "TID")


def test_cli_fetch_dst_straf44(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("urllib.request.build_opener", lambda: Recorder("straf44_code.csv"))
    monkeypatch.setattr("tryghed.paths.ROOT", tmp_path)             # the data log goes to tmp_path/raw/README.md
    monkeypatch.setattr("tryghed.paths.DATA_RAW", tmp_path / "raw")
    monkeypatch.setattr("tryghed.paths.DEMO_RAW", tmp_path / "raw" / "demo")
    code = cli.main(["fetch", "dst", "STRAF44", "OMRÅDE=101,751,461,851", "OVERTRÆD=12", "AFGØRELSE=000",
                     "ALDER=15,16,17,18,19,20,21,22,23,24", "KØN=TOT", "Tid=2022,2023", "--out", str(tmp_path)])
    assert code == 0
    saved = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert saved.parent == tmp_path and saved.name.startswith("straf44_") and saved.suffix == ".csv"
    assert read_statbank(saved)["value"].sum(skipna=True) == read_statbank(STRAF44)["value"].sum(skipna=True)
    assert "StatBank STRAF44" in (tmp_path / "raw" / "README.md").read_text(encoding="utf-8")


def test_refused_straf44_request_names_the_table(tmp_path):
    class Refuse:
        def open(self, request, timeout=None):
            payload = b'{"errorTypeCode":"REQUEST-MISSING","message":"Der skal vaelges vaerdier for variabel: ALDER"}'
            raise urllib.error.HTTPError(request.full_url, 400, "Bad Request", {}, io.BytesIO(payload))

    from tryghed.fetch import FetchError
    with pytest.raises(FetchError, match=r"STRAF44 \(REQUEST-MISSING\)"):
        fetch_dst("STRAF44", STRAF44_EXAMPLE, out_dir=tmp_path, log_path=tmp_path / "R.md", opener=Refuse(),
                  today=dt.date(2026, 11, 30))
