"""Plotting functions: each takes data and an Axes and returns the Figure; one house style; deterministic files."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = {"line": "#1f4e79", "band": "#9dc3e6", "target": "#c00000", "baseline": "#7f7f7f", "break": "#ed7d31"}


def house_style() -> None:
    """Seaborn's white grid, readable sizes, and byte-stable SVG output."""
    sns.set_theme(style="whitegrid", context="notebook")
    plt.rcParams.update({"svg.hashsalt": "tryghed", "svg.fonttype": "none", "figure.dpi": 100,
                         "axes.spines.top": False, "axes.spines.right": False})


def trend_chart(series: pd.DataFrame, ax: plt.Axes, *, title: str, ylabel: str, baseline: tuple | None = None,
                targets: list[tuple] = (), breaks: list[int] = (), labels: dict | None = None) -> plt.Figure:
    """A measure's trend with its 95 % interval band, the baseline, target points and series breaks.

    Parameters
    ----------
    series : DataFrame
        Indexed by period with ``estimate`` and optional ``ci_low``/``ci_high``.
    baseline : (year, value), optional
    targets : list of (year, value, label)
    breaks : list of years where the series breaks (drawn as a vertical line before that year)
    """
    labels = labels or {}
    x = series.index.to_numpy()
    ax.plot(x, series["estimate"], marker="o", color=PALETTE["line"], label=labels.get("estimate", "estimate"))
    if "ci_low" in series and series["ci_low"].notna().any():
        ax.fill_between(x, series["ci_low"], series["ci_high"], color=PALETTE["band"], alpha=0.5,
                        label=labels.get("ci", "95% CI"))
    if baseline is not None and baseline[1] is not None:
        ax.scatter([baseline[0]], [baseline[1]], marker="s", s=60, color=PALETTE["baseline"], zorder=5,
                   label=labels.get("baseline", "baseline"))
    for year, value, text in targets:
        ax.scatter([year], [value], marker="*", s=180, color=PALETTE["target"], zorder=6, label=text)
        if baseline is not None and baseline[1] is not None and year > baseline[0]:
            ax.plot([baseline[0], year], [baseline[1], value], linestyle="--", color=PALETTE["target"], lw=1)
    for b in breaks:
        ax.axvline(b - 0.5, color=PALETTE["break"], linestyle=":", lw=2, label=labels.get("break", "series break"))
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_xticks(np.unique(np.concatenate([x, [t[0] for t in targets]])).astype(int))
    ymin = min(0, float(np.nanmin(series.get("ci_low", series["estimate"]).fillna(series["estimate"]))))
    ax.set_ylim(bottom=ymin)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return ax.figure


def small_multiples(table: pd.DataFrame, *, title: str, ylabel: str, names: dict[str, str], ncols: int = 4,
                    breaks: list[int] = (), break_label: str = "series break") -> plt.Figure:
    """One small panel per area (``area_id``, ``period``, ``estimate``, ``ci_low``, ``ci_high``), shared axes, with
    the series breaks drawn in every panel."""
    areas = list(dict.fromkeys(table["area_id"]))
    nrows = int(np.ceil(len(areas) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3 * ncols, 2.2 * nrows), sharex=True, sharey=True,
                             squeeze=False)
    for ax, area in zip(axes.flat, areas):
        s = table[table["area_id"] == area].set_index("period").sort_index()
        ax.plot(s.index, s["estimate"], color=PALETTE["line"], marker=".")
        if s["ci_low"].notna().any():
            ax.fill_between(s.index, s["ci_low"], s["ci_high"], color=PALETTE["band"], alpha=0.5)
        for b in breaks:
            ax.axvline(b - 0.5, color=PALETTE["break"], linestyle=":", lw=1.5)
        ax.set_title(names.get(area, area), fontsize=9)
    for ax in list(axes.flat)[len(areas):]:
        ax.set_visible(False)
    if breaks:
        fig.legend(handles=[plt.Line2D([], [], color=PALETTE["break"], linestyle=":", lw=1.5, label=break_label)],
                   loc="upper right", fontsize=8, frameon=False)
    fig.supylabel(ylabel, fontsize=9)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def save(fig: plt.Figure, folder: Path, name: str) -> list[Path]:
    """Write ``name``.png and ``name``.svg without timestamps (byte-identical on rerun) and close the figure."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        p = folder / f"{name}.{ext}"
        fig.savefig(p, format=ext, metadata=meta, bbox_inches="tight")
        out.append(p)
    plt.close(fig)
    return out


def indicator_figures(pipeline, table: pd.DataFrame, year: int, lang: str, out_dir: Path) -> pd.DataFrame:
    """Every measure's trend chart (headline area, periods up to ``year``) plus district small multiples.

    Returns one row per figure with its files.
    """
    from .changes import headline_area
    from .i18n import LABELS, UNITS

    house_style()
    rows = []
    for ind in pipeline.indicators:
        area_id = headline_area(pipeline, ind)
        s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id) & (table["period"] <= year)]
        s = s[~s["suppressed"]].set_index("period").sort_index()
        if s.empty:
            continue
        base_year = ind.baseline_year or pipeline.baseline_year
        baseline = (base_year, float(s.loc[base_year, "estimate"])) if base_year in s.index else None
        targets = []
        for t in ind.targets:
            if t.type == "level":
                targets.append((t.year, t.value, t.text[lang]))
            elif t.type == "relative" and baseline is not None:
                targets.append((t.year, baseline[1] * (1 + t.change), t.text[lang]))
        unit = UNITS[lang].get(ind.unit, ind.unit) or ("antal" if lang == "da" else "number")
        fig, ax = plt.subplots(figsize=(7, 4))
        area_name = pipeline.area(area_id).name[lang]
        trend_chart(s, ax, title=f"{ind.name[lang]} – {area_name}", ylabel=unit, baseline=baseline,
                    targets=targets, breaks=[b for b in pipeline.break_years(ind.id) if b <= year],
                    labels={"estimate": "estimat" if lang == "da" else "estimate", "ci": LABELS[lang]["ci"],
                            "baseline": LABELS[lang]["baseline"],
                            "break": "databrud" if lang == "da" else "series break"})
        files = save(fig, out_dir, f"trend_{ind.id}")
        rows.append({"indicator_id": ind.id, "figure": f"trend_{ind.id}", "files": [p.name for p in files]})
        below = [lv for lv in ind.levels if lv != "city"]
        if below:
            lv = below[-1]
            sub = table[(table["indicator_id"] == ind.id) & (table["level"] == lv) & (table["period"] <= year)
                        & ~table["suppressed"]]
            if not sub.empty:
                names = {a.id: a.name[lang] for a in pipeline.areas}
                fig = small_multiples(sub, title=ind.name[lang], ylabel=unit, names=names,
                                      breaks=[b for b in pipeline.break_years(ind.id) if b <= year],
                                      break_label="databrud" if lang == "da" else "series break")
                files = save(fig, out_dir, f"areas_{ind.id}")
                rows.append({"indicator_id": ind.id, "figure": f"areas_{ind.id}", "files": [p.name for p in files]})
    return pd.DataFrame(rows)
