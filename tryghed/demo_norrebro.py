"""The Nørrebro partnership's deterministic, seeded SYNTHETIC demo, in the real formats of each source.

Everything here is invented. Calibrated to the implementation plan's published baselines: citizen-directed crime
58.2 (Indre Nørrebro) and 40.5 (Ydre Nørrebro) reports per 1,000 residents in 2016 (exact to one decimal), 290
registered gang and biker members in the Copenhagen police district at the end of Q1 2017 (116 rockers, 116 gang
members, 58 others), 65 concern talks (home visits) with young people on Indre Nørrebro in 2016.

Planted effect, for the effect evaluation to recover: from :data:`EFFECT_FROM` citizen-directed crime on Indre and
Ydre Nørrebro is multiplied by :data:`EFFECT_RATE_RATIO`; the other survey districts follow the common trend only.
Planted problems, for the report to show: the gang register lacks Vanløse in :data:`GAP_QUARTER` (a stated gap), and
the activity log falls short of two goals (:data:`SHORTFALLS`).

:func:`write_incident_export` also writes incident-level files of any size for the ingest benchmark.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .stable import freeze_xlsx

SEED = 20161201
MARKER = "SYNTHETIC.md"
#: Sub-folder of the demo folder the Nørrebro demo goes to (beside ``ishoej/``).
NORREBRO_DIR = "norrebro"
YEARS = list(range(2012, 2021))
FILES = {
    "police_monthly": "politi_anmeldelser_maaned_2012-2020.csv",
    "police_incidents": "politi_anmeldelser_2012-2020.csv",
    "population": "befolkning_nabolag_2012-2020.csv",
    "gang_register": "bandeopgoerelse_kvartal_2014-2020.csv",
    "ssp_log": "ssp_bekymringssamtaler_2015-2020.csv",
    "activity_log": "aktivitetslog_2017-2020.xlsx",
    "assessment": "politiets_vurdering.md",
    "survey": "tryghedsundersoegelse_noerrebro_2015-2020.csv",
    "boundaries": "geo/norrebro_neighbourhoods.geojson",
}
#: Schematic boundaries (lon/lat boxes) of Nørrebro's five neighbourhoods for the demo's maps: SYNTHETIC, not the
#: municipality's boundaries (the real file, with the same names, is geo/norrebro_neighbourhoods.geojson of the real
#: data). Each of the plan's hotspots falls inside its half.
BOUNDARIES = {
    "Blagardskvarteret": (12.545, 55.683, 12.565, 55.689),
    "Guldbergskvarteret": (12.545, 55.689, 12.565, 55.695),
    "Stefansgade": (12.530, 55.693, 12.545, 55.698),
    "Mimersgade-kvarteret": (12.530, 55.698, 12.545, 55.703),
    "Haraldsgade-kvarteret": (12.530, 55.703, 12.545, 55.710),
}

INDRE, YDRE = "Indre Nørrebro", "Ydre Nørrebro"
#: Survey district: (population 1 January 2016, citizen-directed reports per 1,000 in 2016, share of the police
#: district's gang register). Nørrebro's rates are the plan's baselines; everything else is invented.
DISTRICTS = {
    "Indre By": (52_500, 96.0, 0.04),
    "Christianshavn": (12_400, 52.0, 0.05),
    "Østerbro": (77_600, 31.0, 0.03),
    INDRE: (34_100, 58.2, 0.16),
    YDRE: (45_000, 40.5, 0.17),
    "Vesterbro": (42_100, 61.0, 0.08),
    "Kongens Enghave": (16_800, 44.0, 0.05),
    "Valby": (54_300, 33.0, 0.06),
    "Vanløse": (39_600, 27.0, 0.02),
    "Brønshøj-Husum": (42_700, 30.0, 0.07),
    "Bispebjerg": (52_200, 46.0, 0.15),
    "Amager Øst": (55_600, 34.0, 0.04),
    "Amager Vest": (68_000, 41.0, 0.05),
}
#: The rest of the Copenhagen police district (its gang register covers more than the municipality).
POLICE_REST = ("Frederiksberg, Tårnby og Dragør", 0.09)
POPULATION_GROWTH = 0.01
#: Common trend of citizen-directed crime, all districts: a factor per year.
TREND = 0.97
EFFECT_RATE_RATIO = 0.85
EFFECT_FROM = "2017-01"
EFFECT_AREAS = (INDRE, YDRE)
#: Citizen-directed offence codes and their shares of the reports (the YAML's list; DST offence types).
CITIZEN_CODES = {
    "1316": 0.03, "1320": 0.06, "1324": 0.02, "1328": 0.07, "1332": 0.08, "1336": 0.22, "1339": 0.02,
    "1342": 0.01, "1345": 0.22, "1348": 0.02, "1380": 0.02, "1252": 0.06, "1255": 0.02, "1258": 0.005,
    "1260": 0.005, "1292": 0.04, "1390": 0.10,
}
#: Other codes the export holds (not citizen-directed), with their rate per 1,000 a year.
OTHER_CODES = {"1210": 1.0, "1220": 0.5, "1304": 1.5, "1357": 6.0, "1435": 1.5, "3210": 8.0, "3410": 1.0}

GANG_TOTAL = {  # police-district stock at the end of the quarter
    "2014": 335, "2015": 330, "2016": 310, "2017": 290, "2018": 275, "2019": 262, "2020": 250,
}
GANG_MIX = {"Rocker": 0.4, "Bande": 0.4, "Øvrige": 0.2}
GAP_AREA, GAP_QUARTER = "Vanløse", "2018K2"

ACTIVITY_GOALS = [  # (id, Danish name, per, min, max)
    ("samarbejdsforum", "Samarbejdsforum med boligorganisationerne", "year", 2, 3),
    ("informationsaften", "Informationsaften for boligpersonale", "year", 1, 2),
    ("temamoede", "Temamøde for medarbejdere der møder bandemedlemmer", "year", 1, 2),
    ("operativ_styregruppe", "Operativ styregruppe", "year", 4, 4),
    ("sikker_by_styregruppe", "Sikker By-styregruppen", "half_year", 1, None),
    ("netvaerksmoede", "Netværksmøde med de boligsociale helhedsplaner", "year", None, None),
    ("tryghedsdialog", "Tryghedsdialogmøde", "year", None, None),
]
#: (activity id, year): the number held, short of the goal.
SHORTFALLS = {("operativ_styregruppe", 2019): 3, ("informationsaften", 2018): 0}
HOME_VISITS_INDRE_2016 = 65
#: Share (percent) who feel unsafe in their neighbourhood: the plan's 2017 baselines on Nørrebro (exact), then a fall
#: of a percentage point a year from 2018; the other districts are invented and flat.
UNSAFE_2017 = {INDRE: 11.0, YDRE: 8.0}
UNSAFE_OTHER = 6.0
SURVEY_YEARS = list(range(2015, 2021))
#: answers per district and year: 400 who answered and 12 'ved ikke'
SURVEY_ANSWERS, SURVEY_DONT_KNOW = 400, 12

_SEASON = 1 + 0.12 * np.cos(2 * np.pi * (np.arange(12) - 6) / 12)
SEASON = _SEASON / _SEASON.mean()


def population(name: str, year: int) -> int:
    """The demo's population of a survey district on 1 January of ``year``."""
    return int(round(DISTRICTS[name][0] * (1 + POPULATION_GROWTH) ** (year - 2016)))


def _largest_remainder(total: int, weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(-(raw - out), kind="stable")[: total - out.sum()]] += 1
    return out


def _police_monthly(rng: np.random.Generator) -> pd.DataFrame:
    codes = list(CITIZEN_CODES)
    shares = np.array(list(CITIZEN_CODES.values()))
    shares = shares / shares.sum()
    rows = []
    for name, (_, rate2016, _) in DISTRICTS.items():
        for year in YEARS:
            pop = population(name, year)
            expected = rate2016 / 1000 * pop * TREND ** (year - 2016) * SEASON / 12
            effect = np.array([EFFECT_RATE_RATIO if name in EFFECT_AREAS and f"{year}-{m:02d}" >= EFFECT_FROM else 1.0
                               for m in range(1, 13)])
            if year == 2016 and name in EFFECT_AREAS:
                # the plan's baseline, exact: the year's total is fixed and spread over the months
                total = round(rate2016 * pop / 1000)
                assert round(1000 * total / pop, 1) == rate2016
                monthly = rng.multinomial(total, SEASON / SEASON.sum())
            else:
                monthly = rng.poisson(expected * effect)
            other = rng.poisson(np.outer(SEASON / 12, np.array(list(OTHER_CODES.values())) * pop / 1000))
            for m in range(12):
                cells = dict(zip(codes, rng.multinomial(monthly[m], shares)))
                cells.update(zip(OTHER_CODES, other[m]))
                for code, n in sorted(cells.items()):
                    if n:
                        rows.append((name, f"{year}-{m + 1:02d}", code, int(n)))
    return pd.DataFrame(rows, columns=["Nabolag", "Måned", "Gerningskode", "Antal"])


def _incidents_from_monthly(rng: np.random.Generator, monthly: pd.DataFrame) -> pd.DataFrame:
    """One row a report: each monthly count spread over random days of its month."""
    counts = monthly["Antal"].to_numpy()
    month = monthly["Måned"].to_numpy().astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    start = np.repeat(first, counts)
    days = np.repeat(((month + 1).astype("datetime64[D]") - first).astype(int), counts)
    date = start + (rng.random(counts.sum()) * days).astype("timedelta64[D]")
    out = pd.DataFrame({
        "Anmeldelsesdato": np.datetime_as_string(date, unit="D"),
        "Gerningskode": np.repeat(monthly["Gerningskode"].to_numpy(), counts),
        "Nabolag": np.repeat(monthly["Nabolag"].to_numpy(), counts),
    })
    return out.sort_values(["Anmeldelsesdato", "Nabolag", "Gerningskode"], kind="stable", ignore_index=True)


def _population_table() -> pd.DataFrame:
    rows = [(year, name, population(name, year)) for year in YEARS for name in DISTRICTS]
    return pd.DataFrame(rows, columns=["År", "Nabolag", "Indbyggere"])


def _gang_register(rng: np.random.Generator) -> pd.DataFrame:
    names = [*DISTRICTS, POLICE_REST[0]]
    base = np.array([*(d[2] for d in DISTRICTS.values()), POLICE_REST[1]])
    noerrebro = np.array([n in EFFECT_AREAS for n in names])
    rows = []
    for year in range(2014, 2021):
        for q in range(1, 5):
            # the stock moves linearly from this year's end-of-Q1 figure towards next year's
            this, after = GANG_TOTAL[str(year)], GANG_TOTAL.get(str(year + 1), GANG_TOTAL[str(year)] - 12)
            total = int(round(this + (after - this) * (q - 1) / 4))
            # Nørrebro's share shrinks by 6 % a quarter after Q1 2017 (the goal: fewer active members there)
            steps = max(0, (year - 2017) * 4 + q - 1)
            weights = base * np.where(noerrebro, 0.94 ** steps, 1.0) * np.exp(rng.normal(0, 0.05, len(base)))
            for group, n in zip(GANG_MIX, _largest_remainder(total, list(GANG_MIX.values()))):
                for name, k in zip(names, _largest_remainder(int(n), weights)):
                    if (name, f"{year}K{q}") != (GAP_AREA, GAP_QUARTER):
                        rows.append((f"{year}K{q}", group, name, int(k)))
    return pd.DataFrame(rows, columns=["Kvartal", "Gruppetype", "Område", "Antal"])


def _ssp_log(rng: np.random.Generator) -> pd.DataFrame:
    people = []  # (pseudonym, area, age, identified, [talks])
    ids = rng.choice(np.arange(10_000, 100_000), size=1000, replace=False)
    for area, per_year in ((INDRE, 52), (YDRE, 44)):
        for year in range(2015, 2021):
            cover = 0.8 if year < 2017 else 0.96
            for _ in range(int(rng.poisson(per_year))):
                identified = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
                talks = []
                if rng.random() < cover:
                    k = int(rng.choice([1, 2, 3], p=[0.7, 0.25, 0.05]))
                    gaps = np.cumsum(rng.integers(3, 60, size=k))
                    talks = [identified + dt.timedelta(days=int(g)) for g in gaps]
                    talks = [t for t in talks if t <= dt.date(2020, 12, 31)]
                people.append([f"P{ids[len(people)]}", area, int(rng.integers(12, 18)), identified, talks])
    # exactly 65 talks (home visits) on Indre Nørrebro in 2016: add second talks or drop extra ones
    in_2016 = [p for p in people if p[1] == INDRE and p[3].year == 2016]

    def count() -> int:
        return sum(t.year == 2016 for p in people if p[1] == INDRE for t in p[4])

    i = 0
    while count() < HOME_VISITS_INDRE_2016:
        p = in_2016[i % len(in_2016)]
        extra = (p[4][-1] if p[4] else p[3]) + dt.timedelta(days=7)
        if extra.year == 2016:
            p[4].append(extra)
        i += 1
    for p in reversed(in_2016):
        while count() > HOME_VISITS_INDRE_2016 and len(p[4]) > 1 and p[4][-1].year == 2016:
            p[4].pop()
    assert count() == HOME_VISITS_INDRE_2016
    rows = []
    for pid, area, age, identified, talks in people:
        for t in talks or [None]:
            rows.append((pid, area, age, identified.isoformat(), t.isoformat() if t else ""))
    out = pd.DataFrame(rows, columns=["Pseudonym", "Område", "Alder", "Identificeret", "Bekymringssamtale"])
    return out.sort_values(["Identificeret", "Pseudonym", "Bekymringssamtale"], ignore_index=True)


def _activity_log(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for gid, name, per, lo, hi in ACTIVITY_GOALS:
        for year in range(2017, 2021):
            if per == "half_year":
                halves = [(1, 6), (7, 12)]
                counts = [lo, lo]
            else:
                halves = [(1, 12)]
                n = (int(rng.integers(lo, hi + 1)) if lo is not None and hi is not None
                     else int(rng.integers(lo, lo + 2)) if lo is not None else int(rng.integers(2, 7)))
                counts = [SHORTFALLS.get((gid, year), n)]
            for (m0, m1), n in zip(halves, counts):
                first = dt.date(year, m0, 1)
                span = (dt.date(year, m1, 28) - first).days
                for d in sorted(rng.choice(span, size=n, replace=False)):
                    area = "Nørrebro" if gid in ("operativ_styregruppe", "sikker_by_styregruppe") else \
                        str(rng.choice([INDRE, YDRE, "Nørrebro"]))
                    people = None if gid == "tryghedsdialog" and rng.random() < 0.2 else int(rng.integers(6, 40))
                    rows.append((first + dt.timedelta(days=int(d)), name, area, people))
    rows.sort(key=lambda r: (r[0], r[1]))
    return pd.DataFrame(rows, columns=["Dato", "Aktivitet", "Område", "Deltagere"])


def _unsafe_share(name: str, year: int) -> float:
    if name not in UNSAFE_2017:
        return UNSAFE_OTHER
    return UNSAFE_2017[name] - max(0, year - 2017) * 1.0


def _survey(rng: np.random.Generator) -> pd.DataFrame:
    """Respondent microdata: 412 respondents per survey district and year (12 answer 'ved ikke', 9), equal weights;
    exactly round(share x 400) of the 400 who answered are unsafe (4 or 5), so each year's share is exact."""
    frames = []
    for year in SURVEY_YEARS:
        for name in DISTRICTS:
            n = SURVEY_ANSWERS + SURVEY_DONT_KNOW
            answer = np.zeros(n, dtype=int)
            dont_know = np.zeros(n, dtype=bool)
            dont_know[rng.choice(n, size=SURVEY_DONT_KNOW, replace=False)] = True
            answered = np.flatnonzero(~dont_know)
            k = int(round(answered.size * _unsafe_share(name, year) / 100))
            unsafe = rng.choice(answered, size=k, replace=False)
            answer[:] = rng.choice([1, 2, 3], size=n, p=[0.45, 0.4, 0.15])
            answer[unsafe] = rng.choice([4, 5], size=k, p=[0.7, 0.3])
            answer[dont_know] = 9
            frames.append(pd.DataFrame({"aar": year, "bydel": name, "vaegt": 1.0, "utryg_nabolag": answer}))
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "respondent_id", [f"N{y}-{i:05d}" for y, i in zip(out["aar"], out.groupby("aar").cumcount() + 1)])
    return out


def _boundaries() -> str:
    import json

    features = [{"type": "Feature", "properties": {"neighbourhood_name": name, "synthetic": True},
                 "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}}
                for name, (x0, y0, x1, y1) in BOUNDARIES.items()]
    return json.dumps({"type": "FeatureCollection", "name": "norrebro_neighbourhoods (SYNTHETIC demo boxes)",
                       "features": features}, ensure_ascii=False, indent=1) + "\n"


def _write_activity_xlsx(df: pd.DataFrame, path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Aktiviteter"
    ws.append(["Aktivitetslog, For et trygt Nørrebro (DEMO - syntetiske data)"])
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append([row[0], row[1], row[2], None if pd.isna(row[3]) else int(row[3])])
    for cell in ws["A"][2:]:
        cell.number_format = "yyyy-mm-dd"
    wb.properties.creator = "tryghed demo generator"
    wb.save(path)
    freeze_xlsx(path)


ASSESSMENT = """\
> **SYNTETISK DEMO.** Denne tekst er opfundet til demodata og er ikke Københavns Politis vurdering.

# Politiets vurdering af bandemiljøet på Nørrebro (syntetisk)

Konflikten mellem grupperinger med tilknytning til Nørrebro er i perioden vurderet som lav til moderat. Der er
registreret færre aktive medlemmer med tilhørsforhold til Indre og Ydre Nørrebro end ved udgangen af 1. kvartal 2017.
Rekrutteringen af unge under 18 år vurderes fortsat at være en risiko omkring Mjølnerparken og Blågårds Plads.
"""


def write_norrebro_demo(out_dir: Path, seed: int = SEED) -> list[Path]:
    """Write the Nørrebro demo data set into ``out_dir`` and return the files written.

    Parameters
    ----------
    out_dir : Path
        Target folder (created if missing), e.g. ``data/raw/demo/norrebro``.
    seed : int
        Seed of the random generator; the same seed gives byte-identical files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    monthly = _police_monthly(rng)
    incidents = _incidents_from_monthly(rng, monthly)
    tables = {
        "police_monthly": monthly, "police_incidents": incidents, "population": _population_table(),
        "gang_register": _gang_register(rng), "ssp_log": _ssp_log(rng),
    }
    written = []
    for key, df in tables.items():
        p = out_dir / FILES[key]
        df.to_csv(p, index=False, sep=";", lineterminator="\n")
        written.append(p)
    p = out_dir / FILES["activity_log"]
    _write_activity_xlsx(_activity_log(rng), p)
    written.append(p)
    p = out_dir / FILES["assessment"]
    p.write_text(ASSESSMENT, encoding="utf-8")
    written.append(p)
    p = out_dir / FILES["boundaries"]
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(_boundaries(), encoding="utf-8")
    written.append(p)
    # the survey has its own random stream, so that adding it left every other file as it was
    p = out_dir / FILES["survey"]
    _survey(np.random.default_rng(seed + 3)).to_csv(p, index=False, sep=";", lineterminator="\n")
    written.append(p)
    marker = out_dir / MARKER
    marker.write_text(_marker_text(seed), encoding="utf-8")
    written.append(marker)
    return written


def _marker_text(seed: int) -> str:
    shortfalls = "; ".join(f"{gid} {year}: {n} held" for (gid, year), n in SHORTFALLS.items())
    return (
        "# Demo data - synthetic\n\n"
        f"Every file in this folder was generated by `tryghed demo-data` (tryghed.demo_norrebro, seed {seed}).\n"
        "The numbers and the police's assessment are invented. Never present them as official statistics or as\n"
        "the police's or the municipality's words.\n\n"
        "## Calibrated to the implementation plan's baselines\n\n"
        "- citizen-directed crime in 2016: 58.2 (Indre Nørrebro) and 40.5 (Ydre Nørrebro) reports per 1,000\n"
        "  residents, exact to one decimal (reports of the citizen-directed codes over the population on 1 January);\n"
        "- gang register, end of 2017K1: 290 in the Copenhagen police district (116 Rocker, 116 Bande, 58 Øvrige);\n"
        f"- {HOME_VISITS_INDRE_2016} concern talks (home visits) with young people on Indre Nørrebro in 2016;\n"
        "- the survey (tryghedsundersoegelse_noerrebro_2015-2020.csv, 400 answers and 12 'ved ikke' per district\n"
        "  and year, equal weights): 11 % (Indre Nørrebro) and 8 % (Ydre Nørrebro) feel unsafe in their\n"
        "  neighbourhood in 2017, exact (answers 4-5 of those not answering 9), one point less each year from 2018;\n"
        "  6 % elsewhere.\n\n"
        "The map boundaries (geo/norrebro_neighbourhoods.geojson) are schematic boxes, not the real neighbourhoods.\n\n"
        "## Planted partnership effect\n\n"
        f"Start month: {EFFECT_FROM} (the pipeline's `effects:` entry for `citizen_crime`).\n"
        f"From {EFFECT_FROM}, citizen-directed crime on Indre and Ydre Nørrebro is drawn with the rate multiplied\n"
        f"by {EFFECT_RATE_RATIO} (rate ratio {EFFECT_RATE_RATIO}, a fall of {1 - EFFECT_RATE_RATIO:.0%}); every other\n"
        f"survey district follows the common trend only (x{TREND} a year, the same seasonality). Monthly counts are\n"
        "Poisson draws (2016 on Nørrebro: a fixed total spread over the months). The incident-level export holds\n"
        "the same reports as the monthly export, each on a random day of its month.\n\n"
        "## Planted problems\n\n"
        f"- The gang register has no rows for {GAP_AREA} in {GAP_QUARTER}: a stated gap, not a zero.\n"
        f"- Activity goals not met: {shortfalls}.\n"
        "- SSP log: about 80 % of the young people identified before 2017 get a concern talk, about 96 % from\n"
        "  2017; some talks fall in the year after the identification, so a year's coverage is lower.\n"
    )


def write_incident_export(path: Path, *, rows: int = 5_000_000, seed: int = SEED, first: str = "2012-01-01",
                          last: str = "2020-12-31", codes: list[str] | None = None) -> Path:
    """Write a synthetic incident-level police export of ``rows`` reports (for the ingest benchmark).

    Neighbourhoods are drawn in proportion to the demo's populations, codes uniformly from ``codes`` (default the
    demo's codes), dates uniformly between ``first`` and ``last``; same format as the demo's incident export.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    names = list(DISTRICTS)
    weights = np.array([d[0] for d in DISTRICTS.values()], dtype=float)
    codes = codes or [*CITIZEN_CODES, *OTHER_CODES]
    day0 = np.datetime64(first, "D")
    n_days = int((np.datetime64(last, "D") - day0).astype(int)) + 1
    dates = np.datetime_as_string(day0 + np.arange(n_days), unit="D")
    table = pa.table({
        "Anmeldelsesdato": pa.DictionaryArray.from_arrays(
            pa.array(np.sort(rng.integers(0, n_days, rows)).astype(np.int32)), pa.array(dates)),
        "Gerningskode": pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, len(codes), rows).astype(np.int32)),
                                                       pa.array(codes)),
        "Nabolag": pa.DictionaryArray.from_arrays(
            pa.array(rng.choice(len(names), rows, p=weights / weights.sum()).astype(np.int32)), pa.array(names)),
    })
    table = pa.table({c: table[c].cast(pa.string()) for c in table.column_names})
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(delimiter=";", quoting_style="none"))
    return path
