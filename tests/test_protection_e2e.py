"""End to end: demo data seeded with CPR numbers and small person counts; neither may reach anything shared."""

import io
import re
import shutil

import openpyxl
import pandas as pd
import pytest

from tryghed import cli, config
from tryghed.run import run_pipeline

KEY = "a-test-key-of-more-than-16-bytes-0123456789"
#: Youth charged is published by district: Indre By (district) = Indre By + Christianshavn (survey districts) = 1 + 2.
#: The gang log is published by survey district: Christianshavn at the end of 2017 = 3.
SMALL_YOUTH = {"Indre By": 1, "Christianshavn": 2}
SMALL_GANG = 3


def _cprs(n: int) -> list[str]:
    """Synthetic CPR-shaped numbers with valid dates (1950s births, serial 1xxx -> 1900s century rule)."""
    out = []
    for i in range(n):
        day, month, year = 1 + i % 28, 1 + (i // 28) % 12, 50 + (i // 336) % 50
        out.append(f"{day:02d}{month:02d}{year:02d}-{1000 + i % 9000:04d}")
    return out


@pytest.fixture(scope="module")
def seeded(demo_dir, tmp_path_factory):
    """The demo data with respondent ids replaced by CPR numbers and two small person counts."""
    d = tmp_path_factory.mktemp("seeded") / "raw"
    shutil.copytree(demo_dir, d)
    survey = d / "tryghedsundersoegelse_2010-2017.csv"
    df = pd.read_csv(survey, sep=";", dtype=str)
    cprs = _cprs(len(df))
    df = df.rename(columns={"respondent_id": "cpr"})
    df["cpr"] = cprs
    survey.write_text(df.to_csv(sep=";", index=False), encoding="utf-8")
    youth = d / "sigtede_15-25_2010-2017.csv"
    y = pd.read_csv(youth, sep=";", dtype=str)
    for area, n in SMALL_YOUTH.items():
        y.loc[(y["bydel"] == area) & (y["aar"] == "2017"), "sigtede_15_25"] = str(n)
    youth.write_text(y.to_csv(sep=";", index=False), encoding="utf-8")
    gang = d / "bandelog_2010-2017.csv"
    g = pd.read_csv(gang, sep=";", dtype=str)
    g.loc[(g["bydel"] == "Christianshavn") & (g["kvartal"] == "2017K4"), "personer"] = str(SMALL_GANG)
    gang.write_text(g.to_csv(sep=";", index=False), encoding="utf-8")
    return d, cprs


def test_cpr_numbers_stop_the_run_naming_file_and_column_only(seeded, tmp_path, capsys):
    raw, cprs = seeded
    code = cli.main(["run", "sikker-by", "--year", "2017", "--raw", str(raw), "--out", str(tmp_path), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "tryghedsundersoegelse_2010-2017.csv" in err and "'cpr'" in err and "Traceback" not in err
    assert not any(c in err or c.replace("-", "") in err for c in cprs[:50])
    assert not (tmp_path / "reports").exists() and not (tmp_path / "data").exists()


@pytest.fixture(scope="module")
def protected_run(seeded, tmp_path_factory):
    raw, cprs = seeded
    work = tmp_path_factory.mktemp("pseudo")
    text = config.pipeline_path("sikker-by").read_text(encoding="utf-8")
    text = text.replace("    file: tryghedsundersoegelse_2010-2017.csv\n",
                        "    file: tryghedsundersoegelse_2010-2017.csv\n    pseudonymise: [cpr]\n")
    yml = work / "sikker-by-pseudo.yml"
    yml.write_text(text, encoding="utf-8")
    out = work / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRYGHED_PSEUDONYM_KEY", KEY)   # the notebooks' kernel inherits the environment
        run_pipeline(yml, 2017, raw_dir=raw, out_root=out, progress=False,
                     environ={"TRYGHED_PSEUDONYM_KEY": KEY})
    return out, cprs


def _texts(path):
    """Every string a written file holds: parquet cells, xlsx cells, or the decoded text."""
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        yield from (str(v) for col in df.columns for v in df[col].tolist())
        yield from map(str, df.columns)
    elif path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
        for ws in wb.worksheets:
            yield from (str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    elif path.suffix == ".png":
        yield path.read_bytes().decode("latin-1")
    else:
        yield path.read_bytes().decode("utf-8", errors="replace")


def test_no_cpr_number_in_any_file_the_run_wrote(protected_run):
    out, cprs = protected_run
    written = [p for p in out.rglob("*") if p.is_file()]
    assert len(written) > 40
    # every CPR-shaped digit run in a file (with or without the hyphen), looked up among the seeded numbers
    seeded = {c.replace("-", "") for c in cprs}
    assert all(re.fullmatch(r"\d{10}", c) for c in seeded) and len(seeded) == len(set(cprs))
    shaped = re.compile(r"(?<!\d)(\d{6})-?(\d{4})(?!\d)")
    leaks = [str(p.relative_to(out)) for p in written
             if any(a + b in seeded for a, b in shaped.findall("\n".join(_texts(p))))]
    assert leaks == []
    staged = pd.read_parquet(out / "data/processed/sikker-by/2017/demo-da/staged/survey.parquet")
    assert staged["respondent_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert staged["respondent_id"].nunique() == len(set(cprs))


def test_small_person_counts_are_withheld_and_cannot_be_recovered(protected_run):
    out, _ = protected_run
    base = out / "data/processed/sikker-by/2017/demo-da"
    true = pd.read_parquet(base / "indicators.parquet")
    pub = pd.read_parquet(base / "published.parquet")
    for ind, area, level, n in (("youth_charged", "indre-by", "district", 3),
                                ("gang_members", "s-christianshavn", "survey_district", SMALL_GANG)):
        key = (true["indicator_id"] == ind) & (true["area_id"] == area) & (true["period"] == 2017)
        assert true.loc[key, "numerator"].item() == n          # the analyst's table keeps the true count
        row = pub[key].iloc[0]
        assert row["suppressed"] and "disclosure" in row["flags"] and pd.isna(row["numerator"])
        assert pd.isna(row["estimate"]) and pd.isna(row["ci_low"])
        # recovery by subtraction: the city (published) is the sum of the areas at this level, so at least one
        # more area must be withheld in 2017
        city = pub[(pub["indicator_id"] == ind) & (pub["area_id"] == "kbh") & (pub["period"] == 2017)]
        assert city["numerator"].notna().item()
        same = pub[(pub["indicator_id"] == ind) & (pub["level"] == level) & (pub["period"] == 2017)]
        assert same["numerator"].isna().sum() >= 2
    # the Danish export: ';'-separated with a BOM (what a Danish Excel opens in columns)
    areas = pd.read_csv(out / "reports/sikker-by/2017/demo-da/areas.csv", dtype=str, sep=";", encoding="utf-8-sig")
    row = areas[(areas["Indikator"].str.contains("15–25")) & (areas["Niveau"] == "Bydel")
                & (areas["Område"] == "Indre By")]
    assert row["2017"].tolist() == ["*"]
    notes = (out / "reports/sikker-by/2017/demo-da/index.html").read_text(encoding="utf-8")
    assert "Diskretionering (METHODS.md §6)" in notes and "Personantal under 5" in notes
