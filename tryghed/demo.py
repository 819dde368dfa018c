"""The deterministic, seeded demo data set, written in the real format of each source.

Everything here is synthetic. The city-level figures are calibrated to come close to the Sikker By programme's
published baselines (17.5 % unsafe at night in 2013, 12 -> 5 local areas needing an extraordinary effort in
2010 -> 2013, 283 closure days over 9 institutions in 2013, 1.1 % of 15-25-year-olds charged in 2013, about 300-350
persons in the gang log); every other number is invented. The folder gets a ``SYNTHETIC.md`` marker that makes every
report built on it carry a "demo data - synthetic" banner.

The subfolder ``ishoej/`` holds the Ishøj pipeline's demo: invented StatBank extracts in the layouts of the real web
exports (STRAF11 by offence type as a wide latin-1 CSV, FOLK1A as an xlsx), with its own marker.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .stable import freeze_xlsx

SEED = 20140101
YEARS = list(range(2010, 2018))
MARKER = "SYNTHETIC.md"

#: Survey districts: (name, population 2013 in thousands, logit offset of feeling unsafe, youth-charge factor,
#: share of the city's gang log).
DISTRICTS = [
    ("Indre By", 27, 0.00, 0.9, 0.04),
    ("Christianshavn", 12, 0.10, 1.2, 0.05),
    ("Østerbro", 74, -0.40, 0.6, 0.03),
    ("Indre Nørrebro", 34, 0.50, 1.8, 0.16),
    ("Ydre Nørrebro", 45, 0.60, 1.6, 0.17),
    ("Vesterbro", 40, 0.40, 1.2, 0.08),
    ("Kongens Enghave", 16, 0.30, 1.3, 0.05),
    ("Valby", 52, -0.20, 0.9, 0.06),
    ("Vanløse", 38, -0.30, 0.7, 0.02),
    ("Brønshøj-Husum", 41, 0.10, 1.0, 0.07),
    ("Bispebjerg", 50, 0.50, 1.5, 0.18),
    ("Amager Øst", 53, -0.20, 0.8, 0.04),
    ("Amager Vest", 65, -0.10, 0.9, 0.05),
]
#: Administrative district of each survey district (for the institution and safety-index files).
ADMIN = {
    "Indre By": "Indre By", "Christianshavn": "Indre By", "Østerbro": "Østerbro",
    "Indre Nørrebro": "Nørrebro", "Ydre Nørrebro": "Nørrebro", "Vesterbro": "Vesterbro/Kongens Enghave",
    "Kongens Enghave": "Vesterbro/Kongens Enghave", "Valby": "Valby", "Vanløse": "Vanløse",
    "Brønshøj-Husum": "Brønshøj-Husum", "Bispebjerg": "Bispebjerg", "Amager Øst": "Amager Øst",
    "Amager Vest": "Amager Vest",
}

#: Calibration targets (city level). 2013 values are the programme's baselines; 2017's jump in the survey mimics
#: the real series break when the survey moved to Epinion.
UNSAFE_NIGHT = {2010: 19.0, 2011: 18.6, 2012: 18.0, 2013: 17.5, 2014: 17.0, 2015: 16.4, 2016: 16.0, 2017: 18.5}
#: Local areas in the two highest categories by data year; each edition of the index describes the year before it
#: (the 2014 edition describes 2013), so the demo file holds the editions 2010-2018 (data years 2009-2017).
INTENSIVE_AREAS = {2009: 12, 2010: 12, 2011: 9, 2012: 5, 2013: 5, 2014: 4, 2015: 4, 2016: 3, 2017: 3}
CLOSURES = {  # year: (closure days, institutions)
    2010: (310, 11), 2011: (296, 10), 2012: (301, 10), 2013: (283, 9),
    2014: (251, 8), 2015: (232, 8), 2016: (204, 7), 2017: (178, 6),
}
#: Unsafe in the neighbourhood (any time of day), city level: invented, in the range of the published series.
UNSAFE_NEIGHBOURHOOD = {2010: 11.0, 2011: 10.0, 2012: 9.0, 2013: 8.0, 2014: 7.1, 2015: 6.5, 2016: 6.0, 2017: 9.0}
YOUTH_CHARGED_PCT = {2010: 1.45, 2011: 1.35, 2012: 1.22, 2013: 1.10, 2014: 1.04, 2015: 0.96, 2016: 0.90, 2017: 0.86}
#: Persons charged with violent or other serious crime, by age band (percent of the band) and the share of them
#: charged with violence; invented, of the order of the programme's 1.1 % of 15-25-year-olds in 2013.
YOUTH_BANDS_PCT = {"14-17": {2010: 1.30, 2011: 1.22, 2012: 1.10, 2013: 1.00, 2014: 0.95, 2015: 0.88, 2016: 0.80,
                             2017: 0.76},
                   "18-25": {2010: 1.55, 2011: 1.45, 2012: 1.32, 2013: 1.20, 2014: 1.12, 2015: 1.04, 2016: 0.98,
                             2017: 0.94}}
YOUTH_VIOLENT_SHARE = 0.45
#: Each youth age band's population as a share of the 15-25 band (14-17 is four years, 18-25 eight).
YOUTH_BAND_OF_15_25 = {"14-17": 0.34, "18-25": 0.72}
GANG_LOG_TOTAL = {2010: 330, 2011: 345, 2012: 340, 2013: 335, 2014: 325, 2015: 320, 2016: 310, 2017: 290}
SURVEY_N = 3600
AGE_BANDS = {"0-14": 0.15, "15-25": 0.18, "26-64": 0.56, "65+": 0.11}

TOLERANCES = {
    # Unsafe answers are drawn stratified (exact count per district x sex cell); the random weights still move
    # the weighted estimate, so it must fall within 1 pp of the target (its SE is about 0.7 pp).
    "unsafe_night_pp": 1.0,
    "youth_charged_pp": 0.05,
}


def _logit(p):
    return np.log(p / (1 - p))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def _population(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for name, pop2013, *_ in DISTRICTS:
        for year in YEARS:
            total = pop2013 * 1000 * (1 + 0.012 * (year - 2013))
            for band, share in AGE_BANDS.items():
                rows.append((year, name, band, int(round(total * share * (1 + rng.normal(0, 0.01))))))
    return pd.DataFrame(rows, columns=["aar", "bydel", "aldersgruppe", "antal"])


def _survey(rng: np.random.Generator, population: pd.DataFrame) -> pd.DataFrame:
    pops = population.groupby(["aar", "bydel"])["antal"].sum()
    offsets = {d[0]: d[2] for d in DISTRICTS}
    frames = []
    for year in YEARS:
        pop = pops.loc[year].reindex([d[0] for d in DISTRICTS])
        share = pop / pop.sum()
        # Allocation: proportional, but at least 180 answers per district (as the real survey boosts small ones).
        n_d = np.maximum(180, np.round(share * SURVEY_N)).astype(int)
        # Intercept such that the population-weighted true share hits the calibration target.
        target = UNSAFE_NIGHT[year] / 100
        lo, hi = -6.0, 2.0
        offs = np.array([offsets[d] for d in pop.index])
        for _ in range(60):
            mid = (lo + hi) / 2
            p_true = (share.values * 0.5 * (_expit(mid + offs + 0.35) + _expit(mid + offs - 0.35))).sum()
            lo, hi = (mid, hi) if p_true < target else (lo, mid)
        intercept = (lo + hi) / 2
        for d, n in zip(pop.index, n_d):
            sex = rng.choice(["K", "M"], size=n)
            age = rng.choice(["16-29", "30-49", "50-64", "65+"], size=n, p=[0.28, 0.34, 0.21, 0.17])
            # Stratified draw: each district x sex cell gets exactly round(n_cell * p_cell) unsafe answers, so
            # the city estimate sits close to its calibration target.
            unsafe = np.zeros(n, dtype=bool)
            for s_code, shift in (("K", 0.35), ("M", -0.35)):
                cell = np.flatnonzero(sex == s_code)
                k = int(round(cell.size * _expit(intercept + offsets[d] + shift)))
                unsafe[rng.choice(cell, size=k, replace=False)] = True
            answer = np.where(unsafe, rng.choice([4, 5], size=n, p=[0.7, 0.3]),
                              rng.choice([1, 2, 3], size=n, p=[0.45, 0.4, 0.15]))
            answer = np.where(rng.random(n) < 0.03, 9, answer)
            design = share[d] * SURVEY_N / n  # inverse of the district's sampling fraction relative to the city
            weight = design * np.exp(rng.normal(0, 0.45, size=n))
            frames.append(pd.DataFrame({
                "aar": year, "bydel": d, "koen": sex, "aldersgruppe": age,
                "vaegt": np.round(weight, 4), "tryg_aften_nat": answer,
            }))
    out = pd.concat(frames, ignore_index=True)
    # Weights sum to the number of answers each year, as vendors deliver them.
    out["vaegt"] = np.round(out["vaegt"] / out.groupby("aar")["vaegt"].transform("mean"), 4)
    out.insert(0, "respondent_id", [f"R{y}-{i:05d}" for y, i in zip(out["aar"], out.groupby("aar").cumcount() + 1)])
    return out


def _neighbourhood_item(survey: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Add the item ``tryg_nabolag`` (safe in the neighbourhood, 1 = very safe ... 5 = very unsafe, 9 = don't know).

    Drawn from its own random stream (so the other files keep their numbers): an answer is more often unsafe where
    the same respondent feels unsafe at night, and the weighted city share of 4-5 comes close to
    :data:`UNSAFE_NEIGHBOURHOOD`.
    """
    rng = np.random.default_rng([seed, 1000])
    offsets = {d[0]: d[2] for d in DISTRICTS}
    out = survey.copy()
    night = out["tryg_aften_nat"].isin([4, 5]).to_numpy(float)
    offs = out["bydel"].map(offsets).to_numpy(float)
    w = out["vaegt"].to_numpy(float)
    u = rng.random(len(out))
    answer = np.zeros(len(out), dtype=int)
    for year in YEARS:
        m = (out["aar"] == year).to_numpy()
        target = UNSAFE_NEIGHBOURHOOD[year] / 100
        lo, hi = -8.0, 2.0
        for _ in range(60):
            mid = (lo + hi) / 2
            p = _expit(mid + offs[m] + 1.8 * night[m])
            lo, hi = (mid, hi) if (w[m] * p).sum() / w[m].sum() < target else (lo, mid)
        p = _expit((lo + hi) / 2 + offs[m] + 1.8 * night[m])
        unsafe = u[m] < p
        answer[m] = np.where(unsafe, rng.choice([4, 5], size=m.sum(), p=[0.75, 0.25]),
                             rng.choice([1, 2, 3], size=m.sum(), p=[0.5, 0.38, 0.12]))
    answer = np.where(rng.random(len(out)) < 0.02, 9, answer)
    out.insert(out.columns.get_loc("tryg_aften_nat") + 1, "tryg_nabolag", answer)
    return out


def _safety_index(rng: np.random.Generator) -> pd.DataFrame:
    # 35 local areas within the districts, as in the published Tryghedsindeks.
    names = [d[0] for d in DISTRICTS]
    weights = np.array([d[1] for d in DISTRICTS], dtype=float)
    per = np.maximum(1, np.round(weights / weights.sum() * 35)).astype(int)
    while per.sum() > 35:
        per[per.argmax()] -= 1
    while per.sum() < 35:
        per[per.argmin()] += 1
    areas = []
    for d, k, (_, _, off, *_rest) in zip(names, per, DISTRICTS):
        for _ in range(k):
            areas.append((d, off + rng.normal(0, 0.5)))
    risk = np.array([a[1] for a in areas])
    cats = ["minimal", "reduceret", "ordinær", "intensiveret", "markant"]
    rows = []
    # editions 2010-2017 draw from the shared stream (as many draws as before, so the files after it keep their
    # numbers); the 2018 edition (data year 2017) from its own stream
    streams = [(edition, rng) for edition in YEARS] + [(YEARS[-1] + 1, np.random.default_rng([SEED, 2018]))]
    for edition, stream in streams:
        n_high = INTENSIVE_AREAS[edition - 1]
        noisy = risk + stream.normal(0, 0.15, size=len(risk))
        rank = np.argsort(-noisy)
        for pos, idx in enumerate(rank):
            if pos < n_high:
                cat = "markant" if pos < max(1, n_high // 4) else "intensiveret"
            else:
                cat = cats[2] if pos < 20 else (cats[1] if pos < 30 else cats[0])
            d, _ = areas[idx]
            rows.append((edition, int(idx) + 1, f"Distrikt {int(idx) + 1}", ADMIN[d], cat))
    df = pd.DataFrame(rows, columns=["udgave", "distrikt_nr", "distrikt", "bydel", "kategori"])
    return df.sort_values(["udgave", "distrikt_nr"]).reset_index(drop=True)


def _split(rng: np.random.Generator, total: int, parts: int, low: int = 1) -> list[int]:
    """Split ``total`` into ``parts`` positive integers (each at least ``low``)."""
    cuts = np.sort(rng.choice(np.arange(1, total - parts * (low - 1)), size=parts - 1, replace=False))
    sizes = np.diff(np.concatenate([[0], cuts, [total - parts * (low - 1)]])) + (low - 1)
    return [int(s) for s in sizes]


def _closures(rng: np.random.Generator) -> pd.DataFrame:
    kinds = ["Børnehaven", "Fritidsklubben", "Ungdomsklubben", "Vuggestuen", "Fritidshjemmet"]
    places = ["Mjølnerparken", "Blågården", "Tingbjerg", "Husum", "Sydhavn", "Folehaven", "Urbanplanen",
              "Akacieparken", "Lundtoftegade", "Bispeparken", "Nordvest", "Ragnhildgade", "Sjælør", "Valby Syd"]
    districts = ["Nørrebro", "Nørrebro", "Brønshøj-Husum", "Brønshøj-Husum", "Vesterbro/Kongens Enghave",
                 "Valby", "Amager Vest", "Amager Vest", "Nørrebro", "Bispebjerg", "Bispebjerg", "Nørrebro",
                 "Vesterbro/Kongens Enghave", "Valby"]
    institutions = [(f"{kinds[i % len(kinds)]} {places[i]}", districts[i]) for i in range(len(places))]
    reasons = ["Uro og utryghed i området", "Skudepisode i nærområdet", "Trusler mod personale",
               "Konflikt mellem grupperinger", "Hærværk og brandstiftelse"]
    rows = []
    for year in YEARS:
        days, n_inst = CLOSURES[year]
        chosen = rng.choice(len(institutions), size=n_inst, replace=False)
        per_inst = _split(rng, days, n_inst, low=3)
        for inst_idx, inst_days in zip(chosen, per_inst):
            n_ep = int(min(3, max(1, inst_days // 12)))
            ep_days = _split(rng, inst_days, n_ep, low=1) if n_ep > 1 else [inst_days]
            month_starts = np.sort(rng.choice(np.arange(1, 12), size=n_ep, replace=False))
            for m, length in zip(month_starts, ep_days):
                start = np.busday_offset(f"{year}-{m:02d}-01", int(rng.integers(0, 10)), roll="forward")
                end = np.busday_offset(start, length - 1)
                if end.astype("datetime64[Y]").astype(int) + 1970 != year:
                    start = np.busday_offset(f"{year}-12-31", -(length - 1), roll="backward")
                    end = np.busday_offset(start, length - 1)
                plan_lag = int(rng.choice([0, 1, 2, 3, 4, 6], p=[0.2, 0.3, 0.2, 0.15, 0.1, 0.05]))
                plan = np.busday_offset(start, plan_lag)
                name, district = institutions[inst_idx]
                rows.append({
                    "Institution": name,
                    "Bydel": district,
                    "Lukket fra": pd.Timestamp(start).date(),
                    "Lukket til": pd.Timestamp(end).date(),
                    "Lukkedage": int(np.busday_count(start, end + np.timedelta64(1, "D"))),
                    "Årsag": reasons[int(rng.integers(0, len(reasons)))],
                    "Genåbningsplan modtaget": pd.Timestamp(plan).date(),
                })
    return pd.DataFrame(rows).sort_values(["Lukket fra", "Institution"]).reset_index(drop=True)


def _youth_charged(rng: np.random.Generator, population: pd.DataFrame) -> pd.DataFrame:
    factors = {d[0]: d[3] for d in DISTRICTS}
    youth = population[population["aldersgruppe"] == "15-25"].set_index(["aar", "bydel"])["antal"]
    rows = []
    for year in YEARS:
        pop = youth.loc[year]
        f = pd.Series(factors).reindex(pop.index)
        scale = YOUTH_CHARGED_PCT[year] / 100 * pop.sum() / (pop * f).sum()
        for d in pop.index:
            rows.append((year, d, int(round(pop[d] * scale * f[d]))))
    return pd.DataFrame(rows, columns=["aar", "bydel", "sigtede_15_25"])


def _youth_bands(population: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Persons charged by age band (14-17, 18-25) and offence (``vold`` / ``anden grov``), and the bands' population.

    From its own random stream (the other files keep their numbers): binomial draws around
    :data:`YOUTH_BANDS_PCT`, scaled by each district's youth-charge factor; the violent share is
    :data:`YOUTH_VIOLENT_SHARE`.
    """
    rng = np.random.default_rng([seed, 1425])
    factors = {d[0]: d[3] for d in DISTRICTS}
    youth = population[population["aldersgruppe"] == "15-25"].set_index(["aar", "bydel"])["antal"]
    pops, counts = [], []
    for year in YEARS:
        for band, of in YOUTH_BAND_OF_15_25.items():
            pop = (youth.loc[year] * of * np.exp(rng.normal(0, 0.01, size=len(youth.loc[year])))).round().astype(int)
            f = pd.Series(factors).reindex(pop.index)
            scale = YOUTH_BANDS_PCT[band][year] / 100 * pop.sum() / (pop * f).sum()
            for d in pop.index:
                pops.append((year, d, band, int(pop[d])))
                p = min(0.5, scale * f[d])
                n = int(rng.binomial(int(pop[d]), p))
                violent = int(rng.binomial(n, YOUTH_VIOLENT_SHARE))
                counts += [(year, d, band, "vold", violent), (year, d, band, "anden grov", n - violent)]
    return (pd.DataFrame(counts, columns=["aar", "bydel", "aldersgruppe", "kriminalitet", "sigtede"]),
            pd.DataFrame(pops, columns=["aar", "bydel", "aldersgruppe", "antal"]))


def _gang_log(rng: np.random.Generator) -> pd.DataFrame:
    shares = pd.Series({d[0]: d[4] for d in DISTRICTS})
    shares = shares / shares.sum()
    rows = []
    for year in YEARS:
        prev = GANG_LOG_TOTAL.get(year - 1, GANG_LOG_TOTAL[year])
        for q in range(1, 5):
            total = prev + (GANG_LOG_TOTAL[year] - prev) * q / 4 + rng.normal(0, 4)
            drift = shares * np.exp(rng.normal(0, 0.05, size=len(shares)))
            if year >= 2015:  # the partnership's focus: Indre Nørrebro's share falls
                drift["Indre Nørrebro"] *= 1 - 0.07 * (year - 2014)
            counts = np.round(drift / drift.sum() * total).astype(int)
            for d, c in counts.items():
                rows.append((f"{year}K{q}", d, int(c)))
    return pd.DataFrame(rows, columns=["kvartal", "bydel", "personer"])


def _write_xlsx(df: pd.DataFrame, path: Path, title: str) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Lukninger"
    ws.append([title])
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        ws.append(list(row))
    for col in ("C", "D", "G"):
        for cell in ws[col][2:]:
            cell.number_format = "yyyy-mm-dd"
    wb.properties.creator = "tryghed demo generator"
    wb.save(path)
    freeze_xlsx(path)


FILES = {
    "survey": "tryghedsundersoegelse_2010-2017.csv",
    "safety_index": "tryghedsindeks_2010-2017.csv",
    "closures": "lukkedage_institutioner_2010-2017.xlsx",
    "youth_charged": "sigtede_15-25_2010-2017.csv",
    "gang_log": "bandelog_2010-2017.csv",
    "population": "befolkning_bydel_2010-2017.csv",
    "youth_bands": "sigtede_alder_kriminalitet_2010-2017.csv",
    "population_bands": "befolkning_ung_2010-2017.csv",
}


def write_demo(out_dir: Path, seed: int = SEED) -> list[Path]:
    """Write the demo data set into ``out_dir`` and return the files written.

    Parameters
    ----------
    out_dir : Path
        Target folder (created if missing).
    seed : int
        Seed of the random generator; the same seed gives byte-identical files.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    population = _population(rng)
    survey = _neighbourhood_item(_survey(rng, population), seed)
    index = _safety_index(rng)
    closures = _closures(rng)
    youth = _youth_charged(rng, population)
    gang = _gang_log(rng)
    youth_bands, population_bands = _youth_bands(population, seed)

    written = []

    def csv(df, key, **kw):
        p = out_dir / FILES[key]
        df.to_csv(p, index=False, sep=";", lineterminator="\n", **kw)
        written.append(p)

    csv(survey, "survey", decimal=",")
    csv(index, "safety_index")
    csv(youth, "youth_charged")
    csv(gang, "gang_log")
    csv(population, "population")
    csv(youth_bands, "youth_bands")
    csv(population_bands, "population_bands")
    p = out_dir / FILES["closures"]
    _write_xlsx(closures, p, "Uplanlagte lukninger af kommunale institutioner pga. uro (DEMO - syntetiske data)")
    written.append(p)
    marker = out_dir / MARKER
    marker.write_text(
        "# Demo data - synthetic\n\n"
        f"Every file in this folder was generated by `tryghed demo-data` (tryghed.demo, seed {seed}).\n"
        "The numbers are invented; only the city-level figures were calibrated to come close to the\n"
        "Sikker By programme's published 2013 baselines. Never present them as official statistics.\n",
        encoding="utf-8",
    )
    written.append(marker)
    written += write_statbank_demo(out_dir / ISHOEJ_DIR, seed=seed)
    from .demo_norrebro import NORREBRO_DIR, write_norrebro_demo
    from .efforts import DEMO_DIR, write_demo_registers

    written += write_norrebro_demo(out_dir / NORREBRO_DIR, seed=seed)
    written += write_demo_registers(out_dir / DEMO_DIR)
    return written


#: The Ishøj demo: its folder below the demo folder and its files (the names pipelines/ishoej.yml declares).
ISHOEJ_DIR = "ishoej"
ISHOEJ_FILES = {
    "offences": "dst/straf11_offences_by_type_municipality_2007Q1-2019Q3.csv",
    "dst_population": "dst/folk1a_population_municipality_2008Q1-2022Q4.xlsx",
}
#: English StatBank area name: (invented population in 2008, invented crime level relative to the country).
STATBANK_AREAS = {
    "All Denmark": (5_475_000, 1.0), "Ishøj": (20_700, 1.25), "Albertslund": (27_800, 1.3),
    "Høje-Taastrup": (46_800, 1.15), "Brøndby": (33_900, 1.3), "Vallensbæk": (13_900, 0.9),
    "Hvidovre": (49_700, 1.1), "Viborg": (91_800, 0.75),
}
#: STRAF11 offence types of the demo with an invented yearly rate per 1,000 residents in 2008.
STATBANK_OFFENCES = {
    "Burglary - business and community": 2.0, "Residential burglaries": 3.5, "Burglary (uninhabited buildings)": 1.0,
    "Theft from conveyances": 4.0, "Shoplifting, etc.": 3.0, "Other kinds of theft": 12.0,
    "Theft of/taking vehicle without the owners consent (TWOC)": 1.5,
    "Theft of/taking moped without the owners consent (TWOC)": 0.5,
    "Theft of/taking bicycle without the owners consent (TWOC)": 6.0,
    "Theft of/taking other objects without the owners consent (TWOC)": 0.5, "Robbery": 0.4,
    "Crimes of violence, total": 5.5, "Malicious damage to property": 5.0, "Trafficking of drugs, etc.": 0.6,
    "Smuggling etc. of drugs": 0.1, "Euphoriants Act": 3.0,
}


def write_statbank_demo(out_dir: Path, seed: int = SEED) -> list[Path]:
    """Write the Ishøj demo: invented STRAF11 (2007Q1-2019Q3) and FOLK1A (2008Q1-2022Q4) extracts and the marker.

    Offences are Poisson draws around an invented rate that falls 4 % a year; the population grows 0.5 % a year.
    """
    out_dir = Path(out_dir)
    (out_dir / "dst").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 183])

    def pop(base: int, year: int, quarter: int) -> int:
        return int(round(base * (1.005 ** (year - 2008 + (quarter - 1) / 4))))

    quarters = [(y, q) for y in range(2007, 2020) for q in range(1, 5) if (y, q) <= (2019, 3)]
    lines = ["REGION,TYPE OF OFFENCE," + ",".join(f"{y}Q{q}" for y, q in quarters)]
    for area, (base, level) in STATBANK_AREAS.items():
        for offence, rate in STATBANK_OFFENCES.items():
            lam = [pop(base, y, q) / 1000 * rate * level * 0.96 ** (y - 2008) / 4 for y, q in quarters]
            label = f'"{offence}"' if "," in offence else offence
            lines.append(f"{area},{label}," + ",".join(str(int(v)) for v in rng.poisson(lam)))
    written = [out_dir / ISHOEJ_FILES["offences"]]
    written[0].write_bytes(("\n".join(lines) + "\n").encode("latin-1"))

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "FOLK1A"
    periods = [f"{y}Q{q}" for y in range(2008, 2023) for q in range(1, 5)]
    ws.append(["Population at the first day of the quarter by sex, region and time (DEMO - synthetic data)"])
    ws.append(["Units: Number"])
    ws.append([None, None, *periods])
    for i, (area, (base, _)) in enumerate(STATBANK_AREAS.items()):
        ws.append(["Total" if i == 0 else None, area, *(pop(base, int(p[:4]), int(p[-1])) for p in periods)])
    wb.properties.creator = "tryghed demo generator"
    p = out_dir / ISHOEJ_FILES["dst_population"]
    wb.save(p)
    freeze_xlsx(p)
    written.append(p)
    marker = out_dir / MARKER
    marker.write_text(
        "# Demo data - synthetic\n\n"
        f"Every file in this folder was generated by `tryghed demo-data` (tryghed.demo, seed {seed}) in the layouts\n"
        "of Statistics Denmark's StatBank web exports. The numbers are invented: never present them as official\n"
        "statistics. Real runs of the Ishøj pipeline pass --raw (e.g. ../shared/data).\n",
        encoding="utf-8",
    )
    written.append(marker)
    return written


def is_demo(raw_dir: Path) -> bool:
    """True when ``raw_dir`` holds the synthetic demo data set (it carries the marker file)."""
    return (Path(raw_dir) / MARKER).is_file()
