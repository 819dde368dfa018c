"""The Ishøj pipeline and StatBank rates: configuration, rates recomputed from the raw files by another route, ranks,
the map (or the note that it was skipped), and sikker-by's optional StatBank measure.

Expected numbers come from the shared real files read with the csv module and openpyxl cell by cell, and from the
exact Poisson interval in its chi-square form (scipy), never from the pipeline's own code.
"""

import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill as pm
import pytest
import statsmodels.api as sm
from scipy.stats import chi2

from realdata import CITIZEN_LABELS, FOLK1A, STRAF11, need, offences_by_hand, xlsx_cell
from tryghed import clean, config, demo, i18n, indicators, peers, sources
from tryghed.errors import ConfigError, InputError
from tryghed.paths import NOTEBOOKS
from tryghed.run import data_notes, run_pipeline, validate
from tryghed.sources.statbank import add_country_total

GEO = "geo/dk_municipalities.geojson"
YEAR = 2018
MUNICIPALITIES = {"ishoej": "Ishøj", "albertslund": "Albertslund", "hoeje-taastrup": "Høje-Taastrup",
                  "broendby": "Brøndby", "vallensbaek": "Vallensbæk", "hvidovre": "Hvidovre", "viborg": "Viborg"}


# ------------------------------------------------------------------------------------------ independent recomputation
def population_by_hand(path: Path, area, year: int) -> int:
    """FOLK1A on 1 January: the ``{year}Q1`` cell of the municipality's row (None: the sum of every row)."""
    return xlsx_cell(path, area, f"{year}Q1")


def exact_ci(count: int, population: int) -> tuple[float, float]:
    """Garwood's exact Poisson interval per 1,000 in its chi-square form."""
    return (1000 * chi2.ppf(0.025, 2 * count) / 2 / population,
            1000 * chi2.ppf(0.975, 2 * count + 2) / 2 / population)


# --------------------------------------------------------------------------------------------------- configuration
def test_ishoej_config():
    p = config.load_pipeline("ishoej")
    assert (p.city.id, p.city.code) == ("ishoej", "183")
    assert [(p.area(a).name["da"], p.area(a).code, p.area(a).level) for a in p.peers] == [
        ("Albertslund", "165", "municipality"), ("Høje-Taastrup", "169", "municipality"),
        ("Brøndby", "153", "municipality"), ("Vallensbæk", "187", "municipality"),
        ("Hvidovre", "167", "municipality"), ("Viborg", "791", "municipality"), ("Hele landet", "000", "country")]
    assert set(p.offence_groups) == {"citizen_directed", "violence", "burglary", "drugs"}
    assert p.offence_groups["burglary"].codes == ("1316", "1320", "1324")
    assert {i.kind for i in p.indicators} == {"rate"}
    assert (p.map.file, p.map.code_property, p.map.indicator) == (GEO, "lau_1", "citizen_crime")
    assert p.notebooks[-1] == "07_compare_peers"


def test_sikker_by_declares_an_optional_statbank_measure():
    p = config.load_pipeline("sikker-by")
    assert p.sources["reported_offences"].optional and p.sources["dst_population"].optional
    ind = p.indicator("reported_crime")
    assert (ind.kind, ind.levels, ind.options["offence_group"]) == ("rate", ("city",), "citizen_directed")
    assert "76" in p.offence_groups["citizen_directed"].comparability["en"]
    assert "not comparable" in p.offence_groups["citizen_directed"].comparability["en"]
    assert "07_compare_peers" not in p.notebooks


def _bad(tmp_path, old, new):
    """The ishoej YAML with ``old`` replaced by ``new``; the shared offence groups are written inline first."""
    text = config.pipeline_path("ishoej").read_text(encoding="utf-8")
    shared = (config.PIPELINES / "shared" / "offence_groups.yml").read_text(encoding="utf-8")
    inline = "offence_groups:\n" + "".join(f"  {line}\n" if line.strip() else "\n" for line in shared.splitlines()
                                          if not line.startswith("#"))
    text = text.replace("offence_groups: shared/offence_groups.yml\n", inline)
    assert old in text
    path = tmp_path / "bad.yml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, message", [
    ("Vallensbæk, Hvidovre", "Atlantis, Hvidovre", r"bad.yml, line \d+: 'peers\[3\]': .*'Atlantis'.*official name"),
    ("codes: [1316, 1320, 1324]", "codes: [1316, 1320, 1324, 13]",
     r"bad.yml, line \d+: 'offence_groups.burglary.codes': .*both 1316 and 13.*counted twice"),
    ("codes: [1316, 1320, 1324]", "codes: [1316, 1320, 1324, 9999]",
     r"'offence_groups.burglary.codes': codes has '9999', which is not a STRAF11 offence code"),
    ("codes: [1316, 1320, 1324]", "codes: [1316, 1320, 1324, 1380]",
     r"'offence_groups.burglary.definition.da': .*does not mention code 1380"),
    ("offence_group: drugs", "offence_group: guns", r"'indicators.drugs.offence_group': .*'guns'.*citizen_directed"),
    ("population: dst_population\n    offence_group: violence", "population: offences\n    offence_group: violence",
     r"'indicators.violence.population': .*'offences'.*table: FOLK1A"),
    ("code: \"183\"", "code: \"9183\"", r"'areas.ishoej.code': area 'ishoej'.*3-digit Statistics Denmark 'code'"),
    ("  indicator: citizen_crime\n", "  indicator: nowhere\n", r"'map.indicator': .*'nowhere'"),
])
def test_bad_ishoej_yaml_names_file_key_and_fix(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message):
        config.load_pipeline(_bad(tmp_path, old, new))


def test_any_source_may_be_optional(tmp_path):
    text = config.pipeline_path("sikker-by").read_text(encoding="utf-8").replace(
        "    file: bandelog_2010-2017.csv\n", "    file: bandelog_2010-2017.csv\n    optional: true\n")
    path = tmp_path / "opt.yml"
    path.write_text(text, encoding="utf-8")
    assert config.load_pipeline(path).sources["gang_log"].optional


# ------------------------------------------------------------------------------------------------------------ ranks
def test_rank_among_highest_first_ties_share_the_best_place():
    values = {"a": 3.0, "b": 5.0, "c": 5.0, "d": 1.0, "e": float("nan")}
    assert peers.rank_among(values, "b") == peers.Rank(1, 4)
    assert peers.rank_among(values, "c") == peers.Rank(1, 4)
    assert peers.rank_among(values, "a") == peers.Rank(3, 4)
    assert peers.rank_among(values, "d") == peers.Rank(4, 4)
    assert peers.rank_among(values, "e") == peers.Rank(None, 4)


def test_rank_table_on_a_hand_made_indicator_table():
    p = config.load_pipeline("ishoej")
    estimates = {"ishoej": 40.0, "albertslund": 50.0, "hoeje-taastrup": 30.0, "broendby": 60.0,
                 "vallensbaek": 20.0, "hvidovre": 45.0, "viborg": 10.0, "hele-landet": 99.0}
    table = pd.DataFrame([dict(indicator_id="violence", area_id=a, period=YEAR, estimate=v, ci_low=v - 1,
                               ci_high=v + 1, suppressed=False) for a, v in estimates.items()])
    ranks = peers.rank_table(p, table, YEAR).set_index("area_id")
    assert ranks.loc["ishoej", "rank"] == 4 and ranks.loc["broendby", "rank"] == 1  # the country is not ranked
    assert np.isnan(ranks.loc["hele-landet", "rank"]) and (ranks["of"] == 7).all()
    assert peers.rank_statements(p, ranks.reset_index(), "en") == [
        "Ishøj has the 4th highest rate of 7 municipalities for violence in 2018."]


# ------------------------------------------------------------------------------------------------ smaller pieces
def test_country_needs_every_municipality(tmp_path):
    df = pd.DataFrame({"table": "FOLK1A", "area_code": ["183"], "area_name": ["Ishøj"], "offence_code": [""],
                       "sex": ["TOT"], "age": ["IALT"], "marital_status": ["TOT"], "measure": [""],
                       "period": ["2018Q1"], "year": [2018], "quarter": [1], "value": [1.0], "missing": [False]})
    with pytest.raises(InputError, match=r"whole country \(000, Hele landet\).*97 are missing"):
        add_country_total(df, tmp_path / "folk1a.xlsx")


def test_rate_change_is_worded_on_the_ratio():
    row = {"change": 0.888, "pvalue": 0.0027, "qvalue": 0.008, "scale": "ratio", "flags": ""}
    en = i18n.change_statement(row, "per_1000", "en").replace("\u00a0", " ")
    assert en == "statistically significant decrease (−11.2%, rate ratio 0.888; p = 0.003, q = 0.008)"
    da = i18n.change_statement({**row, "change": 1.03, "pvalue": 0.85, "qvalue": 0.85}, "per_1000", "da")
    assert da.replace("\u00a0", " ") == "ingen statistisk signifikant ændring (+3,0 %, rate-forhold 1,030; p = 0,850)"


def test_ishoej_demo_is_synthetic_and_valid(demo_dir):
    raw = demo_dir / demo.ISHOEJ_DIR
    assert demo.is_demo(raw)
    cov = validate(config.load_pipeline("ishoej"), raw, YEAR)
    assert [(c.source, c.first, c.last) for c in cov] == [("offences", 2007, 2018), ("dst_population", 2008, 2022)]


# ------------------------------------------------------------------------------- sikker-by: the optional measure
def _stage(pipeline, raw, work):
    sources.ingest(pipeline, raw, work / "staged")
    clean.clean_all(pipeline, work / "staged", work / "clean")
    return indicators.compute_all(pipeline, work / "clean")


def test_sikker_by_without_statbank_files_reports_no_data(demo_dir, sikker_by_demo_steps):
    from tryghed import changes, report

    p = config.load_pipeline("sikker-by")
    validate(p, demo_dir, 2017)  # no error: the optional sources are skipped
    table = sikker_by_demo_steps.table()  # _stage(p, demo_dir, ...), done once in the session
    manifest = json.loads((sikker_by_demo_steps.staged / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["missing_optional"] == ["reported_offences", "dst_population"]
    assert "reported_crime" not in set(table["indicator_id"])
    got = {m["id"]: m for m in report.measures(p, table, changes.change_table(p, table, 2017),
                                                changes.target_table(p, table, 2017), 2017, "en",
                                                trends=changes.trend_table(p, table, 2017))}
    assert not got["reported_crime"]["has_data"] and got["reported_crime"]["value_text"] == "no data"
    notes = " ".join(data_notes(p, "en", demo_dir, manifest["missing_optional"]))
    assert "shows 'no data'" in notes and STRAF11 in notes
    assert "76 per 1,000 residents in 2009, 60 in 2018" in notes and "not comparable" in notes


def test_sikker_by_with_statbank_files_computes_copenhagen(demo_dir, shared_data, tmp_path):
    need(shared_data, STRAF11, FOLK1A)
    raw = tmp_path / "raw"
    shutil.copytree(demo_dir, raw, ignore=shutil.ignore_patterns(demo.ISHOEJ_DIR))
    (raw / "dst").mkdir()
    for name in (STRAF11, FOLK1A):
        (raw / name).symlink_to(shared_data / name)
    table = _stage(config.load_pipeline("sikker-by"), raw, tmp_path)
    row = table[(table["indicator_id"] == "reported_crime") & (table["period"] == YEAR)]
    assert list(row["area_id"]) == ["kbh"]
    n = offences_by_hand(shared_data / STRAF11, "Copenhagen", CITIZEN_LABELS, YEAR)
    pop = population_by_hand(shared_data / FOLK1A, "Copenhagen", YEAR)
    assert (row["numerator"].iloc[0], row["denominator"].iloc[0]) == (n, pop)
    assert row["estimate"].iloc[0] == pytest.approx(1000 * n / pop, rel=1e-12)


# --------------------------------------------------------------------------------------- the real run, end to end
@pytest.fixture(scope="module")
def real_run(shared_data, tmp_path_factory):
    raw = need(shared_data, STRAF11, FOLK1A, GEO)
    out = tmp_path_factory.mktemp("ishoej")
    index = run_pipeline("ishoej", YEAR, raw_dir=raw, lang="da", out_root=out, progress=False)
    return raw, out, index


def _processed(out: Path) -> Path:
    return out / "data" / "processed" / "ishoej" / str(YEAR) / "data-da"  # <source>-<lang>: the raw folder is data/


def test_rates_recomputed_from_the_raw_files(real_run):
    raw, out, _ = real_run
    table = pd.read_parquet(_processed(out) / "indicators.parquet")
    for area_id, name in (("ishoej", "Ishøj"), ("hele-landet", None)):
        n = offences_by_hand(raw / STRAF11, name, CITIZEN_LABELS, YEAR)
        pop = population_by_hand(raw / FOLK1A, name, YEAR)
        row = table[(table["indicator_id"] == "citizen_crime") & (table["area_id"] == area_id)
                    & (table["period"] == YEAR)].iloc[0]
        assert (row["numerator"], row["denominator"]) == (n, pop), area_id
        assert row["estimate"] == pytest.approx(1000 * n / pop, rel=1e-12)
        # the area is alone at its level: φ̂ of its Poisson trend over 2008-2018 (statsmodels, on the counts read
        # here); over 1 the exact interval is widened on the log scale by √φ̂ (METHODS §2.2 revised)
        years = list(range(2008, YEAR + 1))
        counts = [offences_by_hand(raw / STRAF11, name, CITIZEN_LABELS, y) for y in years]
        pops = [population_by_hand(raw / FOLK1A, name, y) for y in years]
        fit = sm.GLM(counts, sm.add_constant(np.arange(len(years), dtype=float)), family=sm.families.Poisson(),
                     offset=np.log(pops)).fit()
        phi = max(1.0, fit.pearson_chi2 / fit.df_resid)
        est = 1000 * n / pop
        lo, hi = exact_ci(n, pop)
        widened = (est * (lo / est) ** np.sqrt(phi), est * (hi / est) ** np.sqrt(phi))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(widened, rel=1e-6)
    # Ishøj's violence (one code, 12) too
    n = offences_by_hand(raw / STRAF11, "Ishøj", ["Crimes of violence, total"], YEAR)
    v = table[(table["indicator_id"] == "violence") & (table["area_id"] == "ishoej") & (table["period"] == YEAR)]
    assert v["numerator"].iloc[0] == n
    assert sorted(table["period"].unique()) == list(range(2008, 2019))  # the complete years of both files


def test_rank_table_matches_a_ranking_by_hand(real_run):
    raw, out, _ = real_run
    rates = {a: offences_by_hand(raw / STRAF11, name, CITIZEN_LABELS, YEAR)
             / population_by_hand(raw / FOLK1A, name, YEAR) for a, name in MUNICIPALITIES.items()}
    by_hand = sorted(rates, key=rates.get, reverse=True)
    ranks = pd.read_parquet(_processed(out) / "peers.parquet")
    mine = ranks[ranks["indicator_id"] == "citizen_crime"].set_index("area_id")
    assert {a: int(mine.loc[a, "rank"]) for a in MUNICIPALITIES} == {a: by_hand.index(a) + 1 for a in MUNICIPALITIES}
    assert np.isnan(mine.loc["hele-landet", "rank"]) and (mine["of"] == 7).all()
    assert (out / "reports" / "ishoej" / str(YEAR) / "data-da" / "peers.csv").is_file()


def test_index_page_map_and_definitions(real_run):
    _, out, index = real_run
    page = index.read_text(encoding="utf-8")
    for text in ("Anmeldt borgervendt kriminalitet pr. 1.000 indbyggere", "Anmeldt narkotikakriminalitet",
                 "Borgervendt kriminalitet: anmeldte forbrydelser i Danmarks Statistiks STRAF11", "1390",
                 'href="07_compare_peers.html"', "map_citizen_crime.svg"):
        assert text in page, text
    assert "DEMODATA" not in page and "sprunget over" not in page
    figures = out / "figures" / "ishoej" / str(YEAR) / "data-da"
    assert (figures / "map_citizen_crime.png").stat().st_size > 10_000
    svg = (figures / "map_citizen_crime.svg").read_text(encoding="utf-8")
    assert "pr. 1.000 indbyggere" in svg and "(pr. 1.000)" not in svg     # the colour bar names its unit once
    rendered = (index.parent / "07_compare_peers.html").read_text(encoding="utf-8")
    assert "Ishøj har den" in rendered and "Brøndby" in rendered


def test_without_boundaries_the_map_is_skipped_and_said(real_run, tmp_path):
    raw, out, _ = real_run
    bare = tmp_path / "raw"
    (bare / "dst").mkdir(parents=True)
    for name in (STRAF11, FOLK1A):
        (bare / name).symlink_to(raw / name)
    processed = tmp_path / "processed"
    shutil.copytree(_processed(out), processed)
    executed = tmp_path / "07.ipynb"
    pm.execute_notebook(NOTEBOOKS / "07_compare_peers.ipynb", executed, kernel_name="python3", progress_bar=False,
                        cwd=str(NOTEBOOKS), parameters=dict(
                            pipeline="ishoej", year=YEAR, lang="en", raw_dir=str(bare), processed_dir=str(processed),
                            figures_dir=str(tmp_path / "figures"), report_dir=str(tmp_path / "report")))
    text = json.dumps(nbformat.read(executed, as_version=4).cells[-1].outputs)
    skipped = i18n.map_skipped(GEO, "en")
    assert "skipped" in skipped and skipped in text
    assert not list((tmp_path / "figures").glob("map_*"))
    p = config.load_pipeline("ishoej")
    assert skipped in data_notes(p, "en", bare, [])
    assert i18n.map_skipped(GEO, "da") in data_notes(p, "da", bare, [])


def test_half_year_period_adds_its_section_and_files_and_going_back_removes_them(real_run, tmp_path, monkeypatch):
    """`--period half_year` on an unchanged run redraws the pages only (no kernel): the index page gets a section
    of each complete half-year and links its files; back to the yearly period, both are gone again; the same
    period twice over skips everything."""
    import tryghed.run as run_mod

    raw, out, index = real_run
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    page = copy / index.relative_to(out)

    def no_kernel(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(run_mod.pm, "execute_notebook", no_kernel)
    assert "half-years" not in page.read_text(encoding="utf-8")
    run_pipeline("ishoej", YEAR, raw_dir=raw, lang="da", out_root=copy, progress=False, period="half_year")
    text = page.read_text(encoding="utf-8")
    assert '<section id="half-years">' in text and "1. halvår 2018" in text and "2. halvår 2018" in text
    assert all((page.parent / f).is_file() and f'href="{f}"' in text for f in periods_files())
    before = page.stat().st_mtime_ns
    run_pipeline("ishoej", YEAR, raw_dir=raw, lang="da", out_root=copy, progress=False, period="half_year")
    assert page.stat().st_mtime_ns == before                     # nothing changed: every step skipped
    run_pipeline("ishoej", YEAR, raw_dir=raw, lang="da", out_root=copy, progress=False)
    text = page.read_text(encoding="utf-8")
    assert '<section id="half-years">' not in text
    assert not any((page.parent / f).exists() for f in periods_files())
    before = page.stat().st_mtime_ns
    run_pipeline("ishoej", YEAR, raw_dir=raw, lang="da", out_root=copy, progress=False)
    assert page.stat().st_mtime_ns == before                     # and that is settled: nothing is redrawn again


def periods_files() -> list[str]:
    from tryghed import periods

    return [*periods.HALF_FILES, "half_years.md"]
