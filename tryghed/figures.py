"""Plotting functions in one house style, without side effects on the caller's matplotlib.

Every drawing runs inside ``with house_style():`` (:func:`matplotlib.pyplot.rc_context`), so importing this module
or drawing a report figure never changes a user's other plots. The house style: the Okabe–Ito colour-blind-safe
palette, the report language's decimal mark and thousands separator on the value axes, a line and band broken at
each declared series break, a source line under every figure, a "DEMO" watermark inside every figure drawn from the
synthetic demo data, 200 dpi PNGs and byte-stable SVGs with a ``<title>`` and ``<desc>``.
"""

from __future__ import annotations

import html
import io
import json
import re
import struct
import zlib
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
import numpy as np
import pandas as pd
from matplotlib.collections import PatchCollection
from matplotlib.colors import Normalize
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FixedLocator, Formatter, FuncFormatter

from .config import PEER_LEVELS
from .figure_data import MANIFEST, read_manifest, segments, write_manifest  # noqa: F401 - their home before

#: Okabe & Ito (2008) colour-blind-safe colours; red (target) and orange (break) also differ by marker and line.
PALETTE = {"line": "#0072B2", "band": "#56B4E9", "target": "#D55E00", "baseline": "#555555", "break": "#E69F00",
           "reference": "#000000", "demo": "#C00000"}

#: The house style (used through :func:`house_style`, never set globally).
HOUSE_RC = {
    "svg.hashsalt": "tryghed", "svg.fonttype": "none", "figure.dpi": 100, "savefig.dpi": 200,
    "font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9, "ytick.labelsize": 9,
    "legend.fontsize": 9, "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.grid.axis": "y", "grid.color": "#dddddd", "grid.linewidth": 0.8, "axes.edgecolor": "#888888",
    "axes.facecolor": "white", "figure.facecolor": "white", "axes.axisbelow": True,
}

DPI = 200


def house_style():
    """The house style as a context manager: ``with house_style(): ...`` (restores the caller's rcParams)."""
    return plt.rc_context(HOUSE_RC)


class LocaleFormatter(Formatter):
    """Tick labels with the report language's decimal mark and thousands separator (Babel via ``i18n.number``),
    with just enough decimals to tell the ticks apart."""

    def __init__(self, lang: str):
        self.lang = lang
        self.decimals = 0

    def set_locs(self, locs):
        super().set_locs(locs)
        finite = [float(v) for v in locs if np.isfinite(v)]
        self.decimals = next((d for d in range(5) if all(abs(round(v, d) - v) < 1e-9 for v in finite)), 4)

    def __call__(self, x, pos=None):
        from .i18n import number

        return number(x, self.lang, self.decimals)


def _year_formatter() -> FuncFormatter:
    """Years as written ("2017", never "2.017"); ticks between whole years are left blank."""
    return FuncFormatter(lambda v, _pos: str(int(round(v))) if abs(v - round(v)) < 1e-9 else "")


def year_ticks(years, breaks=()) -> list[int]:
    """At most four readable year ticks for a small panel: the first and last year, each break year, and a middle
    year when that leaves room."""
    years = sorted(int(y) for y in years)
    if not years:
        return []
    ticks = {years[0], years[-1], *(int(b) for b in breaks if years[0] < b <= years[-1])}
    if len(ticks) < 3 and years[-1] - years[0] >= 4:
        ticks.add(years[0] + (years[-1] - years[0]) // 2)
    ticks = sorted(ticks)
    while len(ticks) > 4:
        ticks.pop(len(ticks) // 2)
    return ticks


def _draw_series(ax, s: pd.DataFrame, breaks, *, color: str, band: bool = True, label: str | None = None,
                 band_label: str | None = None, **line_kw) -> None:
    """The estimate line and its interval band, each broken at the series breaks."""
    for k, piece in enumerate(segments(s.index.to_numpy(), breaks)):
        part = s.loc[piece]
        kw = dict(line_kw)
        if len(part) == 1 and "marker" not in kw:
            kw["marker"] = "_"  # a one-year piece of a line without markers would not show
            kw["markersize"] = 10
        ax.plot(part.index, part["estimate"], color=color, label=label if k == 0 else None, **kw)
        if band and "ci_low" in part and part["ci_low"].notna().any() and len(part) == 1:
            # a one-year piece has no band to fill: its interval is drawn as an error bar
            ax.errorbar(part.index, part["estimate"], yerr=[part["estimate"] - part["ci_low"],
                        part["ci_high"] - part["estimate"]], fmt="none", ecolor=PALETTE["band"], elinewidth=6,
                        alpha=0.6)
        elif band and "ci_low" in part and part["ci_low"].notna().any():
            ax.fill_between(part.index, part["ci_low"], part["ci_high"], color=PALETTE["band"], alpha=0.4, lw=0,
                            label=band_label if k == 0 else None)


def trend_chart(series: pd.DataFrame, ax: plt.Axes, *, title: str, ylabel: str, baseline: tuple | None = None,
                targets: list[tuple] = (), breaks: list[int] = (), labels: dict | None = None,
                lang: str = "en") -> plt.Figure:
    """A measure's trend with its 95 % interval band, the baseline, target points and series breaks.

    Parameters
    ----------
    series : DataFrame
        Indexed by period with ``estimate`` and optional ``ci_low``/``ci_high``.
    ax : Axes
        Where to draw.
    title, ylabel : str
        The title and the value axis label (with the unit).
    baseline : (year, value), optional
        Drawn as a grey square.
    targets : list of (year, value, label)
        Drawn as stars (no imagined path towards them).
    breaks : list of int
        Years that start a new series: a vertical line before the year, and the line and band are not joined
        across it.
    labels : dict, optional
        Legend texts: ``estimate``, ``ci``, ``baseline``, ``break``.
    lang : {"da", "en"}
        The decimal mark on the value axis.

    Returns
    -------
    Figure
        ``ax.figure``.
    """
    labels = labels or {}
    series = series.sort_index()
    x = series.index.to_numpy()
    _draw_series(ax, series, breaks, color=PALETTE["line"], label=labels.get("estimate", "estimate"),
                 band_label=labels.get("ci", "95% CI"), marker="o", lw=2)
    if baseline is not None and baseline[1] is not None:
        ax.scatter([baseline[0]], [baseline[1]], marker="s", s=60, color=PALETTE["baseline"], zorder=5,
                   label=labels.get("baseline", "baseline"))
    for year, value, text in targets:
        ax.scatter([year], [value], marker="*", s=180, color=PALETTE["target"], zorder=6, label=text)
    for i, b in enumerate(breaks):
        ax.axvline(b - 0.5, color=PALETTE["break"], linestyle=":", lw=2,
                   label=labels.get("break", "series break") if i == 0 else None)
    ax.set_title(title, loc="left", y=1.0)  # y given: the title is not re-placed on every draw (same place)
    ax.set_ylabel(ylabel)
    ticks = np.unique(np.concatenate([x, [t[0] for t in targets]])).astype(int)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(_year_formatter())
    if len(ticks) > 8:
        ax.tick_params(axis="x", labelrotation=45)
    low = series["ci_low"] if "ci_low" in series else series["estimate"]
    ymin = min(0.0, float(np.nanmin(low.fillna(series["estimate"]))))
    ax.set_ylim(bottom=ymin)
    ax.yaxis.set_major_formatter(LocaleFormatter(lang))
    ax.legend(loc="best", frameon=False)
    return ax.figure


def small_multiples(table: pd.DataFrame, *, title: str, ylabel: str, names: dict[str, str], ncols: int = 4,
                    breaks: list[int] = (), break_label: str = "series break", lang: str = "en",
                    reference: pd.DataFrame | None = None, reference_label: str = "",
                    labels: dict | None = None) -> plt.Figure:
    """One small panel per area (``area_id``, ``period``, ``estimate``, ``ci_low``, ``ci_high``) on shared axes.

    Every panel shows the series breaks (the line and band broken at them), the ``reference`` series (the city,
    indexed by period with ``estimate``) as a dashed black line, and readable year labels: at most four years,
    written on every panel that has no panel below it. One legend under the panels names each element.
    """
    labels = labels or {}
    areas = list(dict.fromkeys(table["area_id"]))
    nrows = int(np.ceil(len(areas) / ncols))
    fig = plt.figure(figsize=(3.2 * ncols, 2.5 * nrows + 0.8))
    grid = fig.add_gridspec(nrows, ncols)
    axes: list[plt.Axes] = []
    for k in range(len(areas)):  # only the panels drawn: the grid's empty cells get no Axes
        axes.append(fig.add_subplot(grid[k // ncols, k % ncols], sharex=axes[0] if axes else None,
                                    sharey=axes[0] if axes else None))
    years = np.sort(table["period"].unique())
    for ax, area in zip(axes, areas):
        s = table[table["area_id"] == area].set_index("period").sort_index()
        if reference is not None and len(reference):
            _draw_series(ax, reference.sort_index(), breaks, color=PALETTE["reference"], band=False,
                         label=reference_label or None, linestyle="--", lw=1)
        _draw_series(ax, s, breaks, color=PALETTE["line"], label=labels.get("estimate", "estimate"),
                     band_label=labels.get("ci", "95% CI"), marker=".", lw=1.6)
        for b in breaks:
            ax.axvline(b - 0.5, color=PALETTE["break"], linestyle=":", lw=1.5)
        ax.set_title(names.get(area, area), fontsize=9.5, y=1.0)
    shown = len(areas)
    for k, ax in enumerate(axes):
        # the lowest panel of its column carries the year labels, the first column the values
        ax.tick_params(axis="x", labelbottom=k + ncols >= shown, labelsize=8)
        ax.tick_params(axis="y", labelleft=k % ncols == 0)
        ax.xaxis.set_major_locator(FixedLocator(year_ticks(years, breaks)))
        ax.xaxis.set_major_formatter(_year_formatter())
        ax.yaxis.set_major_formatter(LocaleFormatter(lang))
    if len(years):
        axes[0].set_xlim(years.min() - 0.4, years.max() + 0.4)
    low = table["ci_low"].fillna(table["estimate"]) if "ci_low" in table else table["estimate"]
    axes[0].set_ylim(bottom=min(0.0, float(np.nanmin(low))) if len(low) else 0.0)
    handles = [plt.Line2D([], [], color=PALETTE["line"], marker=".", lw=1.6,
                          label=labels.get("estimate", "estimate"))]
    if "ci_low" in table and table["ci_low"].notna().any():
        handles.append(plt.Rectangle((0, 0), 1, 1, color=PALETTE["band"], alpha=0.4, label=labels.get("ci", "95% CI")))
    if reference is not None and len(reference) and reference_label:
        handles.append(plt.Line2D([], [], color=PALETTE["reference"], linestyle="--", lw=1, label=reference_label))
    if breaks:
        handles.append(plt.Line2D([], [], color=PALETTE["break"], linestyle=":", lw=1.5, label=break_label))
    fig.supylabel(ylabel, fontsize=10)
    fig.suptitle(title, fontsize=11, x=0.01, ha="left")
    tight_layout_once(fig, rect=(0, 0.06, 1, 1))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, bbox_to_anchor=(0.5, 0.0))
    return fig


def tight_layout_once(fig: plt.Figure, **kwargs) -> None:
    """``fig.tight_layout(**kwargs)`` measuring each Axes once, leaving no layout engine on the figure.

    With a ``rect``, matplotlib's tight layout measures every Axes twice, before anything has moved, and gets the
    same boxes both times; here the second measurement is the first one remembered, so the layout is the same
    (byte-identical files) at half the cost. Afterwards the figure holds no layout engine: a figure that keeps
    one (matplotlib leaves a placeholder) makes every ``savefig`` lay it out once more in a dry draw.
    """
    measured: dict[tuple, object] = {}

    def once(ax, measure):
        def get_tightbbox(renderer=None, *args, **kw):
            if args or set(kw) - {"for_layout_only"}:
                return measure(renderer, *args, **kw)
            key = (id(ax), id(renderer), kw.get("for_layout_only", False))
            if key not in measured:
                measured[key] = measure(renderer, **kw)
            return measured[key]
        return get_tightbbox

    for ax in fig.axes:
        ax.get_tightbbox = once(ax, ax.get_tightbbox)
    try:
        fig.tight_layout(**kwargs)
    finally:
        for ax in fig.axes:
            vars(ax).pop("get_tightbbox", None)
    fig.set_layout_engine(None)


def finish(fig: plt.Figure, *, source: str, demo: bool, lang: str) -> plt.Figure:
    """Add the source line under the figure and, on demo data, the "DEMO" watermark across it (both are drawn
    into the figure, so they travel with every PNG and SVG copy)."""
    from .i18n import LABELS

    fig.text(0.01, -0.01, source, fontsize=8, color="#444444", ha="left", va="top")
    if demo:
        fig.text(0.5, 0.5, LABELS[lang]["demo_short"], fontsize=34, color=PALETTE["demo"], alpha=0.16,
                 rotation=18, ha="center", va="center", fontweight="bold", zorder=100)
        fig.text(0.99, -0.01, LABELS[lang]["demo_short"], fontsize=8, color=PALETTE["demo"], fontweight="bold",
                 ha="right", va="top")
    return fig


def _svg_title(path: Path, title: str, desc: str) -> None:
    """Give the SVG an accessible ``<title>`` and ``<desc>`` right after its opening tag (matplotlib writes the
    ``<title>`` itself from the ``Title`` metadata)."""
    text = path.read_text(encoding="utf-8")
    m = re.search(r"<svg[^>]*>", text)
    if not m:
        return
    head, rest = text[: m.end()], text[m.end():]
    t = re.match(r"\s*<title>.*?</title>", rest, flags=re.S)
    if t:
        head, rest = head + t.group(0), rest[t.end():]
    elif title:
        head += f"\n <title>{html.escape(title, quote=False)}</title>"
    if desc and "<desc>" not in rest[:200]:
        head += f"\n <desc>{html.escape(desc, quote=False)}</desc>"
    path.write_text(head + rest, encoding="utf-8")


def write_png(path: Path, rgba: np.ndarray, *, dpi: int, text: dict[str, str] | None = None) -> Path:
    """Write an 8-bit PNG of ``rgba`` (rows x columns x 4), RGB when every pixel is opaque, with ``dpi`` in its
    ``pHYs`` chunk and ``text`` (keyword -> text) in ``tEXt``, or ``iTXt`` for text beyond Latin-1.

    Every row is stored unfiltered (filter type 0) and deflated at zlib level 6 (PNG, W3C 2003, §9 and §10). A
    chart is mostly rows of one colour, which deflate finds as repeats on its own: on the report's figures this is
    about 20 % smaller than Pillow's file (RGBA, a filter chosen per row), at well under half the CPU time,
    since choosing the filter costs more than deflating. No timestamp: the same pixels give the same bytes.
    """
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width, _ = rgba.shape
    opaque = bool((rgba[..., 3] == 255).all())
    channels = 3 if opaque else 4
    rows = np.empty((height, 1 + channels * width), np.uint8)  # each row: its filter type (0), then the pixels
    rows[:, 0] = 0
    np.copyto(rows[:, 1:].reshape(height, width, channels), rgba[..., :channels])
    parts = [b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2 if opaque else 6,
                                                                0, 0, 0))]
    for key, value in (text or {}).items():
        try:
            parts.append(chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1")))
        except UnicodeEncodeError:  # keyword, no compression, no language, no translated keyword, UTF-8 text
            parts.append(chunk(b"iTXt", key.encode("latin-1") + b"\0\0\0\0\0" + value.encode("utf-8")))
    per_metre = round(dpi / 0.0254)
    parts += [chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
              chunk(b"IDAT", zlib.compress(rows, 6)), chunk(b"IEND", b"")]
    Path(path).write_bytes(b"".join(parts))
    return Path(path)


#: Inches drawn around the figure when it is rasterised, for what lies outside it (the source line under it).
MARGIN = 0.5

#: Inches of white kept around the drawn content (matplotlib's ``pad_inches``).
PAD = 0.15


def _raster(fig: plt.Figure, box) -> np.ndarray:
    """The figure drawn by Agg at :data:`DPI` on the canvas ``box`` (inches, figure coordinates), rows x columns x
    RGBA."""
    from matplotlib.transforms import Bbox

    box = Bbox(box)
    pixels = io.BytesIO()
    fig.savefig(pixels, format="rgba", bbox_inches=box, dpi=DPI)
    width = int(box.width * DPI)  # the canvas savefig draws on: the box's size in pixels, truncated as Agg does
    rgba = np.frombuffer(pixels.getbuffer(), np.uint8)
    if width < 1 or rgba.size % (4 * width):
        raise RuntimeError(f"{rgba.size} bytes of pixels are not rows of {width} RGBA pixels")
    return rgba.reshape(-1, width, 4)


def _within(fig: plt.Figure, canvas) -> bool:
    """Whether the figure's texts and legends, its Axes' frames and their legends lie inside ``canvas`` (inches);
    what an Axes draws around its frame (ticks, titles) reaches the canvas' edge before it can leave it."""
    renderer = fig.canvas.get_renderer()
    artists = [*fig.texts, *fig.legends, *fig.axes, *(ax.legend_ for ax in fig.axes if ax.legend_ is not None)]
    limit = canvas.transformed(fig.dpi_scale_trans)
    return all(limit.x0 <= b.x0 and b.x1 <= limit.x1 and limit.y0 <= b.y0 and b.y1 <= limit.y1
               for b in (a.get_window_extent(renderer) for a in artists if a.get_visible()))


def _drawn_box(fig: plt.Figure) -> tuple[np.ndarray, object]:
    """The figure rasterised and cropped to what it draws plus :data:`PAD`, and that box in inches (for the SVG).

    The figure is drawn once on a canvas :data:`MARGIN` wider than it on every side, and the box is read off the
    pixels that differ from the background. That one draw replaces measuring every artist's extent first
    (``bbox_inches="tight"``), which costs as much as a draw. When a figure text, a legend or an Axes' frame lies
    outside the canvas, or something is drawn up to its edge (it might reach further), the figure is measured
    and drawn the usual way instead.
    """
    from matplotlib.transforms import Bbox

    w, h = fig.get_size_inches()
    canvas = Bbox.from_extents(-MARGIN, -MARGIN, w + MARGIN, h + MARGIN)
    if _within(fig, canvas):
        rgba = _raster(fig, canvas)
        pixels = rgba.view(np.uint32)[..., 0]  # one number per pixel
        ink = pixels != pixels[0, 0]
        rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
        height, width = ink.shape
        if len(rows) and rows[0] > 0 and cols[0] > 0 and rows[-1] < height - 1 and cols[-1] < width - 1:
            pad = round(PAD * DPI)
            r0, r1 = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, height)
            c0, c1 = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, width)
            box = Bbox.from_extents(canvas.x0 + c0 / DPI, canvas.y0 + (height - r1) / DPI, canvas.x0 + c1 / DPI,
                                    canvas.y0 + (height - r0) / DPI)
            return rgba[r0:r1, c0:c1], box
    box = fig.get_tightbbox(fig.canvas.get_renderer()).padded(PAD)
    return _raster(fig, box), box


def save(fig: plt.Figure, folder: Path, name: str, *, title: str = "", alt: str = "") -> list[Path]:
    """Write ``name``.png (200 dpi) and ``name``.svg without timestamps (byte-identical on rerun) and close the
    figure; ``title`` and ``alt`` go into both files' metadata and the SVG's ``<title>``/``<desc>``.

    Both files hold what the figure draws plus :data:`PAD` inches of white, also outside the figure's own box
    (as ``bbox_inches="tight"``); the box is read off the PNG's pixels (:func:`_drawn_box`).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = {**({"Title": title} if title else {}), **({"Description": alt} if alt else {})}
    with plt.rc_context({"svg.hashsalt": "tryghed", "svg.fonttype": "none"}):
        fig.set_dpi(DPI)
        pixels, box = _drawn_box(fig)
        out = [write_png(folder / f"{name}.png", pixels, dpi=DPI, text=text), folder / f"{name}.svg"]
        fig.savefig(out[1], format="svg", metadata={"Date": None, "Creator": None, **text}, bbox_inches=box,
                    dpi=DPI)
    if title or alt:
        _svg_title(out[1], title, alt)
    plt.close(fig)
    return out


def _alt_trend(ind, area_name: str, s: pd.DataFrame, year: int, lang: str) -> str:
    from .i18n import indicator_unit, value

    first = int(s.index.min())
    last = s.loc[year, "estimate"] if year in s.index else s["estimate"].iloc[-1]
    band = "ci_low" in s and s["ci_low"].notna().any()
    unit = indicator_unit(ind)
    if lang == "da":
        return (f"Linjediagram over {ind.name['da'][:1].lower()}{ind.name['da'][1:]} i {area_name} {first}–{year}"
                f"{' med 95 %-konfidensinterval' if band else ''}; {year}: {value(float(last), unit, lang)}.")
    return (f"Line chart of {ind.name['en'][:1].lower()}{ind.name['en'][1:]} in {area_name} {first}–{year}"
            f"{' with the 95% confidence interval' if band else ''}; {year}: {value(float(last), unit, lang)}.")


def _alt_areas(ind, n_areas: int, reference_name: str, band: bool, lang: str) -> str:
    name = ind.name[lang][:1].lower() + ind.name[lang][1:]
    if lang == "da":
        parts = [p for p in ("95 %-konfidensinterval" if band else "",
                             f"{reference_name} som stiplet referencelinje" if reference_name else "") if p]
        return f"Småpaneler: {name} i {n_areas} områder" + (f", hver med {' og '.join(parts)}" if parts else "") + "."
    parts = [p for p in ("its 95% confidence interval" if band else "",
                         f"{reference_name} as a dashed reference line" if reference_name else "") if p]
    return f"Small multiples: {name} in {n_areas} areas" + (f", each with {' and '.join(parts)}" if parts else "") + "."


def _indicator_figures_one(pipeline, table: pd.DataFrame, year: int, lang: str, out_dir: Path, demo: bool,
                           ind_id: str) -> list[dict]:
    """One measure's trend chart and small multiples (the work of :func:`indicator_figures` for one measure)."""
    from .changes import headline_area
    from .i18n import LABELS, source_line, unit_label

    L = LABELS[lang]
    ind = pipeline.indicator(ind_id)
    rows: list[dict] = []
    with house_style():
        area_id = headline_area(pipeline, ind)
        s = table[(table["indicator_id"] == ind.id) & (table["area_id"] == area_id) & (table["period"] <= year)]
        s = s[~s["suppressed"].astype(bool)].set_index("period").sort_index()
        if s.empty:
            return rows
        base_year = ind.baseline_year or pipeline.baseline_year
        baseline = (base_year, float(s.loc[base_year, "estimate"])) if base_year in s.index else None
        targets = []
        for t in ind.targets:
            if t.type == "level":
                targets.append((t.year, t.value, t.text[lang]))
            elif t.type == "relative" and baseline is not None:
                targets.append((t.year, baseline[1] * (1 + t.change), t.text[lang]))
        unit = unit_label(ind, lang)
        breaks = [b for b in pipeline.break_years(ind.id) if b <= year]
        source = source_line(pipeline, ind, lang, demo)
        area_name = pipeline.area(area_id).name[lang]
        title = f"{ind.name[lang]} – {area_name}"
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
        trend_chart(s, ax, title=title, ylabel=unit, baseline=baseline, targets=targets, breaks=breaks,
                    labels={"estimate": L["estimate_line"], "ci": L["ci"], "baseline": L["baseline"],
                            "break": L["break"]}, lang=lang)
        finish(fig, source=source, demo=demo, lang=lang)
        alt = _alt_trend(ind, area_name, s, year, lang)
        files = save(fig, out_dir, f"trend_{ind.id}", title=title, alt=alt)
        rows.append({"indicator_id": ind.id, "figure": f"trend_{ind.id}", "kind": "trend",
                     "files": [p.name for p in files], "title": title, "alt": alt})
        below = [lv for lv in ind.levels if lv != "city"]
        if not below:
            return rows
        # a municipality's peers are drawn beside it; a city's finest level of districts on its own
        shown = ["city", *below] if set(below) <= set(PEER_LEVELS) else [below[-1]]
        sub = table[(table["indicator_id"] == ind.id) & table["level"].isin(shown) & (table["period"] <= year)
                    & ~table["suppressed"].astype(bool)]
        if sub.empty:
            return rows
        names = {a.id: a.name[lang] for a in pipeline.areas}
        city = table[(table["indicator_id"] == ind.id) & (table["area_id"] == pipeline.city.id)
                     & (table["period"] <= year) & ~table["suppressed"].astype(bool)]
        # the city as a reference line for a rate or a share; a count's city total is the districts' sum, on
        # another scale, and would flatten their lines (it is the headline chart's own line)
        reference = city.set_index("period").sort_index()[["estimate"]] \
            if "city" not in shown and ind.unit not in ("count", "days") else None
        ref_name = f"{pipeline.city.name[lang]} ({L['city_reference']})"
        fig = small_multiples(sub, title=ind.name[lang], ylabel=unit, names=names, breaks=breaks,
                              break_label=L["break"], lang=lang, reference=reference,
                              reference_label=ref_name if reference is not None else "",
                              labels={"estimate": L["estimate_line"], "ci": L["ci"]})
        finish(fig, source=source, demo=demo, lang=lang)
        alt = _alt_areas(ind, sub["area_id"].nunique(), ref_name if reference is not None else "",
                         bool(sub["ci_low"].notna().any()), lang)
        files = save(fig, out_dir, f"areas_{ind.id}", title=ind.name[lang], alt=alt)
        rows.append({"indicator_id": ind.id, "figure": f"areas_{ind.id}", "kind": "areas",
                     "files": [p.name for p in files], "title": ind.name[lang], "alt": alt})
    return rows


def figure_workers() -> int:
    """How many processes draw a step's figures: ``TRYGHED_FIGURE_WORKERS``, else the cores (at most 2). A sweep
    sets 1 in its workers, whose cores are taken by the other runs."""
    import os

    from .run import default_workers

    text = os.environ.get("TRYGHED_FIGURE_WORKERS", "").strip()
    return int(text) if text.isdigit() and int(text) >= 1 else min(2, default_workers())


def _map_figures(fn, jobs: list[tuple]) -> list:
    """``[fn(*job) for job in jobs]``, in order, on :func:`figure_workers` processes when there are several.

    The processes are forks of this one (Linux only: they start in milliseconds with matplotlib already imported,
    and no module is imported again); each figure is drawn whole in one process with the same code and fonts, so
    the files are the same whichever process draws them. Elsewhere, or with one worker, the figures are drawn here.
    """
    import sys

    n = min(figure_workers(), len(jobs))
    if n <= 1 or not sys.platform.startswith("linux"):
        return [fn(*job) for job in jobs]
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("fork")) as pool:
        futures = [pool.submit(fn, *job) for job in jobs]
        return [f.result() for f in futures]


def indicator_figures(pipeline, table: pd.DataFrame, year: int, lang: str, out_dir: Path, *,
                      demo: bool = False, raw_dir: Path | None = None) -> pd.DataFrame:
    """Every measure's trend chart (headline area, periods up to ``year``) plus its areas as small multiples.

    With ``raw_dir`` (the run's raw folder, where the boundary files are), the pipeline's district maps
    (``district_map:``, :func:`district_maps`) are drawn too.

    Returns one row per figure: ``indicator_id``, ``figure`` (file stem), ``kind`` ("trend"/"areas"), ``files``,
    ``title`` and ``alt`` (the alternative text, in ``lang``); the same rows are written to ``figures.json`` in
    ``out_dir`` for the report page.
    """
    jobs = [(pipeline, table, year, lang, Path(out_dir), demo, ind.id) for ind in pipeline.indicators]
    rows = [row for made in _map_figures(_indicator_figures_one, jobs) for row in made]
    made = pd.DataFrame(rows, columns=["indicator_id", "figure", "kind", "files", "title", "alt"])
    write_manifest(made, out_dir)
    if raw_dir is not None and getattr(pipeline, "district_map", None) is not None:
        maps = district_maps(pipeline, table, year, lang, raw_dir, out_dir, demo=demo)
        if len(maps):
            made = pd.concat([made, maps.drop(columns="note")], ignore_index=True)
    return made


#: Longitude is shrunk by cos(56°N) so that Denmark keeps its shape on a plain lon/lat plot.
_LON_SCALE = float(np.cos(np.radians(56.0)))


def _thin(ring: np.ndarray, tol: float) -> np.ndarray:
    """Drop vertices closer than ``tol`` to the last kept one (radial-distance simplification), keeping the ends."""
    if tol <= 0 or len(ring) < 8:
        return ring
    keep, last = [0], ring[0]
    for i in range(1, len(ring) - 1):
        if abs(ring[i, 0] - last[0]) + abs(ring[i, 1] - last[1]) >= tol:
            keep.append(i)
            last = ring[i]
    keep.append(len(ring) - 1)
    return ring[keep] if len(keep) >= 4 else ring


def _patch(rings: list[np.ndarray], tol: float) -> PathPatch:
    paths = [MplPath(_thin(r, tol) * [_LON_SCALE, 1.0], closed=True) for r in rings if len(r) >= 3]
    return PathPatch(MplPath.make_compound_path(*paths))


def _centre(rings: list[np.ndarray]) -> tuple[float, float]:
    """The centroid of the largest ring (a label position), in plot coordinates."""
    ring = max(rings, key=len)
    x, y = ring[:, 0] * _LON_SCALE, ring[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    if abs(cross.sum()) < 1e-12:
        return float(x.mean()), float(y.mean())
    return (float(((x + np.roll(x, -1)) * cross).sum() / (3 * cross.sum())),
            float(((y + np.roll(y, -1)) * cross).sum() / (3 * cross.sum())))


def _frame(ax, box, zoomed: bool) -> None:
    """A map panel's frame: the zoomed panel shows only ``box``; the whole map outlines ``box`` with a rectangle."""
    if zoomed:
        ax.set_xlim(box[0], box[1])
        ax.set_ylim(box[2], box[3])
    else:
        ax.autoscale_view()
        ax.add_patch(plt.Rectangle((box[0], box[2]), box[1] - box[0], box[3] - box[2], fill=False, lw=0.8,
                                   edgecolor="#555555", zorder=4))
    ax.set_aspect("equal")
    ax.set_axis_off()


def municipality_map(shapes: dict[str, list[np.ndarray]], values: dict[str, float], *, highlight: str,
                     names: dict[str, str], title: str, label: str, note: str = "") -> plt.Figure:
    """Municipalities shaded by a rate, the highlighted one outlined; the whole country and a zoom around it.

    Parameters
    ----------
    shapes : dict
        Area code -> rings of lon/lat (``peers.load_boundaries``).
    values : dict
        Area code -> value for the areas to shade; every other area is drawn in light grey.
    highlight : str
        The code of the area to outline (it is also shaded by its value).
    names : dict
        Area code -> the name written on the map (shaded areas).
    title, label, note : str
        Figure title, colour-bar label, and a line under the map (e.g. the whole country's value).
    """
    fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(11, 5.4), gridspec_kw={"width_ratios": [1, 1.1]})
    cmap = plt.get_cmap("YlOrRd")
    shown = [v for v in values.values() if np.isfinite(v)]
    norm = Normalize(vmin=min(shown) * 0.95, vmax=max(shown) * 1.05) if shown else Normalize(0, 1)
    hx, hy = _centre(shapes[highlight])
    near = [c for c in values if c in shapes and abs(_centre(shapes[c])[0] - hx) < 0.2
            and abs(_centre(shapes[c])[1] - hy) < 0.25]
    ring_pts = np.vstack([r for c in near for r in shapes[c]]) * [_LON_SCALE, 1.0]
    pad_x, pad_y = 0.1, 0.06
    box = (ring_pts[:, 0].min() - pad_x, ring_pts[:, 0].max() + pad_x, ring_pts[:, 1].min() - pad_y,
           ring_pts[:, 1].max() + pad_y)
    for ax, tol, zoom in ((ax_all, 0.004, False), (ax_zoom, 0.0, True)):
        codes = sorted(shapes)
        if zoom:  # only the areas that reach into the zoom box
            codes = [c for c in codes if any(r[:, 0].max() * _LON_SCALE >= box[0] and r[:, 0].min() * _LON_SCALE
                                             <= box[1] and r[:, 1].max() >= box[2] and r[:, 1].min() <= box[3]
                                             for r in shapes[c])]
        patches = [_patch(shapes[c], tol) for c in codes]
        faces = [cmap(norm(values[c])) if c in values and np.isfinite(values[c]) else "#e6e6e6" for c in codes]
        coll = PatchCollection(patches, facecolors=faces, edgecolors="#ffffff", linewidths=0.3)
        ax.add_collection(coll)
        outline = _patch(shapes[highlight], tol)
        outline.set(facecolor="none", edgecolor="#1f1f1f", linewidth=1.6, zorder=3)
        ax.add_patch(outline)
        for c in values:
            if c not in shapes or (zoom and c not in near) or (not zoom and c in near):
                continue
            x, y = _centre(shapes[c])
            ax.annotate(names.get(c, c), (x, y), ha="center", va="center", fontsize=7,
                        fontweight="bold" if c == highlight else "normal", color="#1f1f1f",
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
        _frame(ax, box, zoom)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=[ax_all, ax_zoom], orientation="horizontal", fraction=0.05, pad=0.04, label=label)
    fig.suptitle(title, fontsize=11, x=0.02, ha="left")
    if note:
        fig.text(0.02, 0.01, note, fontsize=8, ha="left", va="bottom")
    return fig


def peer_map(pipeline, ranks: pd.DataFrame, year: int, lang: str, raw_dir: Path, out_dir: Path, *,
             demo: bool | None = None) -> Path | None:
    """Draw and save the map the pipeline declares (``map:``) from the rank table; the PNG's path.

    Returns None, drawing nothing, when the pipeline declares no map or its boundary file is not in ``raw_dir``
    (the caller says that the map was skipped: :func:`tryghed.i18n.map_skipped`). ``demo`` (default: whether
    ``raw_dir`` holds the demo marker) puts the watermark on the map.
    """
    from . import peers
    from .demo import is_demo
    from .errors import InputError
    from .i18n import UNITS, number, source_line

    spec = pipeline.map
    if spec is None or not (Path(raw_dir) / spec.file).is_file():
        return None
    demo = is_demo(Path(raw_dir)) if demo is None else demo
    path = Path(raw_dir) / spec.file
    shapes = peers.load_boundaries(path, spec.code_property)
    values = peers.map_values(pipeline, ranks, spec.indicator)
    root = pipeline.city
    if root.code.zfill(3) not in shapes:
        raise InputError(path, f"no feature has {spec.code_property} = {root.code} ({root.name['da']})",
                         "Check 'map.code_property' in the pipeline YAML: it must hold Statistics Denmark's "
                         "municipality code.")
    ind = pipeline.indicator(spec.indicator)
    country = ranks[(ranks["indicator_id"] == ind.id) & (ranks["level"] == "country")]
    note = ""
    if len(country):
        r = country.iloc[0]
        note = f"{pipeline.area(r['area_id']).name[lang]}: {number(r['estimate'], lang, 1)} " \
               f"{UNITS[lang].get(ind.unit, '')}"
    names = {pipeline.area(a).code.zfill(3): pipeline.area(a).name[lang] for a in (root.id, *pipeline.peers)}
    title = f"{ind.name[lang]}, {year}"
    unit = UNITS[lang].get(ind.unit, ind.unit)
    # the unit once: "… pr. 1.000 indbyggere", never "… pr. 1.000 indbyggere (pr. 1.000)"
    label = ind.name[lang] if unit and unit in ind.name[lang] else f"{ind.name[lang]} ({unit})"
    with house_style():
        fig = municipality_map(shapes, values, highlight=root.code.zfill(3), names=names, title=title,
                               label=label, note=note)
        finish(fig, source=source_line(pipeline, ind, lang, demo) + f"; {spec.file}", demo=demo, lang=lang)
        alt = (f"Kort: {root.name[lang]} fremhævet blandt {len(values)} kommuner farvet efter "
               f"{ind.name[lang][:1].lower()}{ind.name[lang][1:]} i {year}." if lang == "da" else
               f"Map: {root.name[lang]} outlined among {len(values)} municipalities shaded by "
               f"{ind.name[lang][:1].lower()}{ind.name[lang][1:]} in {year}.")
        files = save(fig, out_dir, f"map_{ind.id}", title=title, alt=alt)
    write_manifest(pd.DataFrame([{"indicator_id": ind.id, "figure": f"map_{ind.id}", "kind": "map",
                                  "files": [p.name for p in files], "title": title, "alt": alt}]), out_dir)
    return files[0]


# ================================================================================================================
# Partnership effects (tryghed.effects): observed vs counterfactual, event-study leads and lags, placebo distribution
# ================================================================================================================

_EFFECT_LABELS = {"observed": "observed", "fitted": "fitted", "counterfactual": "without the intervention (model)",
                  "band": "95% CI", "start": "start", "reference": "no effect", "treated": "treated",
                  "placebo": "other areas (placebo)"}


def _tick_positions(n: int, most: int = 12) -> np.ndarray:
    """At most ``most`` evenly spaced tick positions over ``n`` periods."""
    step = max(1, int(np.ceil(n / most)))
    return np.arange(0, n, step)


def counterfactual_chart(series: pd.DataFrame, ax: plt.Axes, *, title: str, ylabel: str,
                         labels: dict | None = None) -> plt.Figure:
    """Observed rate against the interrupted-time-series counterfactual with its 95 % band.

    Parameters
    ----------
    series : DataFrame
        ``ITSResult.series``: ``period`` (label), ``post`` (0/1), ``rate``, ``fitted``, ``counterfactual``,
        ``cf_low``, ``cf_high``.
    labels : dict, optional
        Legend texts (keys ``observed``, ``fitted``, ``counterfactual``, ``band``, ``start``).
    """
    labels = {**_EFFECT_LABELS, **(labels or {})}
    x = np.arange(len(series))
    post = series["post"].to_numpy() == 1
    ax.plot(x, series["rate"], linestyle="none", marker="o", ms=3, color=PALETTE["baseline"],
            label=labels["observed"])
    ax.plot(x, series["fitted"], color=PALETTE["line"], lw=1.5, label=labels["fitted"])
    ax.plot(x[post], series["counterfactual"].to_numpy()[post], color=PALETTE["target"], lw=1.5, linestyle="--",
            label=labels["counterfactual"])
    ax.fill_between(x[post], series["cf_low"].to_numpy()[post], series["cf_high"].to_numpy()[post],
                    color=PALETTE["target"], alpha=0.15, label=labels["band"])
    if post.any():
        ax.axvline(int(np.argmax(post)) - 0.5, color=PALETTE["break"], linestyle=":", lw=2, label=labels["start"])
    ticks = _tick_positions(len(series))
    ax.set_xticks(ticks)
    ax.set_xticklabels(series["period"].astype(str).to_numpy()[ticks], rotation=45 if len(series) > 24 else 0,
                       ha="right" if len(series) > 24 else "center", fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return ax.figure


def event_study_chart(table: pd.DataFrame, ax: plt.Axes, *, title: str, xlabel: str = "periods from the start",
                      ylabel: str = "rate ratio", labels: dict | None = None) -> plt.Figure:
    """Event-study leads and lags: rate ratio against the period before the start, with 95 % intervals.

    Parameters
    ----------
    table : DataFrame
        ``EventStudyResult.table``: ``rel_time, estimate, ci_low, ci_high`` (the reference period has 1, 1, 1).
    """
    labels = {**_EFFECT_LABELS, **(labels or {})}
    t = table.sort_values("rel_time")
    x, y = t["rel_time"].to_numpy(), t["estimate"].to_numpy()
    err = np.vstack([y - t["ci_low"].to_numpy(), t["ci_high"].to_numpy() - y])
    lead = x < 0
    ax.errorbar(x[lead], y[lead], yerr=err[:, lead], fmt="o", color=PALETTE["baseline"], capsize=3, ms=4)
    ax.errorbar(x[~lead], y[~lead], yerr=err[:, ~lead], fmt="o", color=PALETTE["line"], capsize=3, ms=4)
    ax.axhline(1.0, color="#444444", lw=1, label=labels["reference"])
    ax.axvline(-0.5, color=PALETTE["break"], linestyle=":", lw=2, label=labels["start"])
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return ax.figure


def placebo_chart(table: pd.DataFrame, ax: plt.Axes, *, title: str, xlabel: str = "rate ratio",
                  names: dict[str, str] | None = None, labels: dict | None = None) -> plt.Figure:
    """The placebo distribution: every area's DiD rate ratio as pseudo-treated, sorted, the treated marked.

    Parameters
    ----------
    table : DataFrame
        ``PlaceboResult.table``: ``area_id, treated (bool), estimate``.
    names : dict, optional
        Area id -> the name written on the axis.
    """
    labels = {**_EFFECT_LABELS, **(labels or {})}
    names = names or {}
    t = table.sort_values("estimate").reset_index(drop=True)
    treated = t["treated"].astype(bool).to_numpy()
    y = np.arange(len(t))
    ax.hlines(y, 1.0, t["estimate"], color="#bbbbbb", lw=1)
    ax.scatter(t["estimate"][~treated], y[~treated], color=PALETTE["baseline"], s=30, zorder=3,
               label=labels["placebo"])
    ax.scatter(t["estimate"][treated], y[treated], color=PALETTE["target"], s=60, marker="D", zorder=4,
               label=labels["treated"])
    ax.axvline(1.0, color="#444444", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels([" + ".join(names.get(a, a) for a in str(i).split("+")) for i in t["area_id"]], fontsize=8)
    ax.set_title(title, fontsize=11, loc="left")
    ax.set_xlabel(xlabel)
    ax.legend(fontsize=8, loc="best", frameon=False)
    return ax.figure


_EFFECT_LABELS_DA = {"observed": "observeret", "fitted": "modellens forløb",
                     "counterfactual": "uden indsatsen (model)", "band": "95 %-konfidensinterval", "start": "start",
                     "reference": "ingen effekt", "treated": "indsatsområdet", "placebo": "øvrige områder (placebo)"}


def _steps_from_start(unit: str, da: bool) -> str:
    if da:
        return {"year": "år", "half": "halvår", "quarter": "kvartaler", "month": "måneder"}[unit] + " fra start"
    return {"year": "years", "half": "half-years", "quarter": "quarters", "month": "months"}[unit] + " from the start"


def effect_figures(results, *, lang: str, out_dir: Path, names: dict[str, str] | None = None,
                   titles: dict[str, str] | None = None, pipeline=None, demo: bool = False) -> pd.DataFrame:
    """Save every evaluation's effect figures (``tryghed.effects.EvaluationResults``); one row per figure.

    Files: ``effect_its_<indicator>_<areas>``, ``effect_event_<...>``, ``effect_placebo_<...>``. A withheld design
    draws nothing. With ``pipeline`` each figure carries the measure's source line, and on ``demo`` data the DEMO
    watermark, like every other figure; the title goes into the files' metadata.
    """
    from .i18n import source_line

    house_style()
    da = lang == "da"
    labels = _EFFECT_LABELS_DA if da else _EFFECT_LABELS
    names = names or {}
    rows = []
    ratio = "rate-forhold" if da else "rate ratio"
    for res in results:
        ev = res.evaluation
        measure = (titles or {}).get(ev.indicator, ev.indicator)
        title = f"{measure} – {' + '.join(names.get(a, a) for a in res.treated)}"
        made = []
        if res.its is not None and not res.its.withheld:
            fig, ax = plt.subplots(figsize=(7, 4))
            made.append(("its", counterfactual_chart(res.its.series, ax, title=title, labels=labels,
                                                     ylabel="pr. 1.000" if da else "per 1,000")))
        if res.event_study is not None and not res.event_study.withheld:
            fig, ax = plt.subplots(figsize=(7, 4))
            made.append(("event", event_study_chart(res.event_study.table, ax, title=title, labels=labels,
                                                    xlabel=_steps_from_start(res.event_study.unit, da),
                                                    ylabel=ratio)))
        if res.placebo is not None and not res.placebo.withheld:
            fig, ax = plt.subplots(figsize=(7, 0.9 + 0.3 * len(res.placebo.table)))
            made.append(("placebo", placebo_chart(res.placebo.table, ax, title=title, names=names, labels=labels,
                                                  xlabel=ratio)))
        for kind, fig in made:
            name = f"effect_{kind}_{ev.indicator}_{'_'.join(res.treated)}"
            if pipeline is not None or demo:
                ind = next((i for i in pipeline.indicators if i.id == ev.indicator), None) if pipeline else None
                finish(fig, source=source_line(pipeline, ind, lang, demo) if ind is not None else "", demo=demo,
                       lang=lang)
            files = save(fig, out_dir, name, title=title)
            rows.append({"indicator_id": ev.indicator, "area_id": "+".join(res.treated), "figure": name,
                         "files": [p.name for p in files]})
    return pd.DataFrame(rows, columns=["indicator_id", "area_id", "figure", "files"])


# ================================================================================================================
# The national view (tryghed.national): funnel plots against the national rate, and a map of every municipality
# ================================================================================================================

_FUNNEL_COLOURS = {"above_outer": "#c00000", "above_inner": "#f4a582", "within": "#7f7f7f", "below_inner": "#92c5de",
                   "below_outer": "#2166ac", "no_data": "#ffffff"}


def funnel_plot(points: pd.DataFrame, limits, ax: plt.Axes, *, title: str, xlabel: str, ylabel: str,
                labels: dict | None = None, names: dict[str, str] | None = None, label_outer: bool = True
                ) -> plt.Figure:
    """A funnel plot: each unit's rate against its exposure, the target line and two pairs of control limits.

    Parameters
    ----------
    points : DataFrame
        ``area_id``, ``denominator`` (exposure), ``estimate`` (rate) and ``position``
        (:data:`tryghed.national.POSITIONS`); rows without an estimate are not drawn.
    limits : tryghed.national.FunnelLimits
        Limits over a grid of exposures (two coverages, inner first).
    labels : dict, optional
        Legend texts: ``target``, ``inner``, ``outer`` and one per position.
    names : dict, optional
        Area id -> the name written beside units outside the outer limits (``label_outer``: the six farthest
        from the target on each side).
    """
    labels = labels or {}
    names = names or {}
    e = limits.exposure
    ax.axhline(limits.target, color="#1f1f1f", lw=1.2, label=labels.get("target", "target"))
    for row, style, key in ((0, "--", "inner"), (1, "-", "outer")):
        ax.plot(e, limits.upper[row], color=PALETTE["line"], lw=1, linestyle=style,
                label=labels.get(key, f"{100 * limits.coverage[row]:g}% limits"))
        ax.plot(e, limits.lower[row], color=PALETTE["line"], lw=1, linestyle=style)
    shown = points[np.isfinite(points["estimate"].astype(float))]
    for pos, colour in _FUNNEL_COLOURS.items():
        sub = shown[shown["position"] == pos]
        if len(sub):
            ax.scatter(sub["denominator"], sub["estimate"], s=22, color=colour, edgecolor="#333333", lw=0.4,
                       zorder=3, label=labels.get(pos, pos))
    if label_outer:
        outer = shown[shown["position"].isin(["above_outer", "below_outer"])]
        far = (outer["estimate"].astype(float) - limits.target).abs()
        for r in outer.loc[far.groupby(outer["position"]).nlargest(6).index.get_level_values(-1)].itertuples():
            ax.annotate(names.get(r.area_id, r.area_id), (r.denominator, r.estimate), fontsize=6,
                        xytext=(3, 2), textcoords="offset points", color="#333333")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=11, loc="left")
    ax.legend(fontsize=7, loc="upper right", frameon=False)
    return ax.figure


#: The capital area drawn enlarged beside the national map (lon min, lon max, lat min, lat max).
CAPITAL_BOX = (12.15, 12.75, 55.50, 55.90)


def national_map(shapes: dict[str, list[np.ndarray]], values: dict[str, float], *, names: dict[str, str],
                 title: str, label: str, note: str = "", outline: dict[str, str] | None = None,
                 zoom: tuple[float, float, float, float] = CAPITAL_BOX) -> plt.Figure:
    """Every municipality shaded by a value (no value: light grey), with the capital area enlarged beside it.

    Parameters
    ----------
    shapes : dict
        Area code -> rings of lon/lat (``peers.load_boundaries``).
    values : dict
        Area code -> value; a missing or NaN value is drawn grey, never as 0.
    names : dict
        Area code -> name; the five highest values and the areas outlined in the "above" colour are named (in the
        zoom when they lie in it).
    outline : dict, optional
        Area code -> edge colour (e.g. municipalities outside the outer funnel limits).
    zoom : (lon_min, lon_max, lat_min, lat_max)
        The enlarged area (default: Copenhagen and its neighbours).
    """
    fig, (ax_all, ax_zoom) = plt.subplots(1, 2, figsize=(11, 6), gridspec_kw={"width_ratios": [1.25, 1]})
    cmap = plt.get_cmap("YlOrRd")
    outline = outline or {}
    shown = [v for v in values.values() if np.isfinite(v)]
    norm = Normalize(vmin=min(shown), vmax=max(shown)) if shown else Normalize(0, 1)
    box = (zoom[0] * _LON_SCALE, zoom[1] * _LON_SCALE, zoom[2], zoom[3])
    top = sorted((c for c in values if c in shapes and np.isfinite(values[c])), key=lambda c: -values[c])[:5]
    named = set(top) | {c for c, colour in outline.items() if c in shapes and colour == _FUNNEL_COLOURS["above_outer"]}
    for ax, tol, zoomed in ((ax_all, 0.003, False), (ax_zoom, 0.0, True)):
        codes = sorted(shapes)
        if zoomed:  # only the areas that reach into the zoom box
            codes = [c for c in codes if any(r[:, 0].max() * _LON_SCALE >= box[0] and r[:, 0].min() * _LON_SCALE
                                             <= box[1] and r[:, 1].max() >= box[2] and r[:, 1].min() <= box[3]
                                             for r in shapes[c])]
        patches = [_patch(shapes[c], tol) for c in codes]
        faces = [cmap(norm(values[c])) if c in values and np.isfinite(values[c]) else "#e6e6e6" for c in codes]
        ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="#ffffff", linewidths=0.3))
        for c, colour in outline.items():
            if c in codes:
                p = _patch(shapes[c], tol)
                p.set(facecolor="none", edgecolor=colour, linewidth=1.0 if zoomed else 0.8, zorder=3)
                ax.add_patch(p)
        for c in sorted(named):
            x, y = _centre(shapes[c])
            inside = box[0] <= x <= box[1] and box[2] <= y <= box[3]
            if inside != zoomed:
                continue
            ax.annotate(names.get(c, c), (x, y), ha="center", va="center", fontsize=6.5,
                        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.7})
        _frame(ax, box, zoomed)
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=[ax_all, ax_zoom], orientation="horizontal",
                 fraction=0.04, pad=0.03, label=label)
    fig.suptitle(title, fontsize=11, x=0.02, ha="left")
    if note:
        fig.text(0.02, 0.01, note, fontsize=8, ha="left", va="bottom")
    return fig


def national_figures(pipeline, funnel: pd.DataFrame, year: int, lang: str, raw_dir: Path, out_dir: Path, *,
                     coverage: tuple[float, float] = (0.95, 0.998), method: str = "exact_poisson") -> pd.DataFrame:
    """Save a funnel plot per rate indicator (``funnel_<id>``) and the national map (``national_map_<id>``).

    ``funnel`` is :func:`tryghed.national.funnel_table`, made with the same ``coverage`` and ``method`` (the
    national block's ``funnel``); the limits are drawn with each family's φ̂ from the table. The map is skipped
    when the pipeline declares no map or its boundary file is not in ``raw_dir``. One row per figure with its files.
    """
    from . import national, peers
    from .i18n import UNITS
    from .i18n import number as i18n_number

    house_style()
    da = lang == "da"
    names = {a.id: a.name[lang] for a in pipeline.areas}
    unit = UNITS[lang].get("per_1000", "pr. 1.000" if da else "per 1,000")
    rows = []
    for ind_id, g in funnel.groupby("indicator_id", sort=False):
        ok = g[np.isfinite(g["estimate"].astype(float))]
        if ok.empty:
            continue
        lo, hi = float(ok["denominator"].min()), float(ok["denominator"].max())
        grid = np.geomspace(lo * 0.8, hi * 1.25, 200)
        first = ok.iloc[0]
        spec_cov = tuple(float(c) for c in coverage)
        lim = national.funnel_limits(target_rate=float(first["target"]), exposure=grid, coverage=spec_cov,
                                     dispersion=float(first["dispersion"]), method=method)
        pos_labels = {p: national.position_words(p, spec_cov, lang) for p in national.POSITIONS}
        inner, outer = (national._pct(c, lang) for c in spec_cov)
        fig, ax = plt.subplots(figsize=(8, 5))
        funnel_plot(g, lim, ax, title=f"{pipeline.indicator(ind_id).name[lang]}, {year}",
                    xlabel="indbyggere (log-skala)" if da else "residents (log scale)", ylabel=unit, names=names,
                    labels={"target": "landsraten" if da else "national rate",
                            "inner": f"{inner}-grænser" if da else f"{inner} limits",
                            "outer": f"{outer}-grænser" if da else f"{outer} limits", **pos_labels})
        files = save(fig, out_dir, f"funnel_{ind_id}")
        rows.append({"indicator_id": ind_id, "figure": f"funnel_{ind_id}", "files": [p.name for p in files]})
    spec = pipeline.map
    if spec is not None and (Path(raw_dir) / spec.file).is_file():
        shapes = peers.load_boundaries(Path(raw_dir) / spec.file, spec.code_property)
        g = funnel[funnel["indicator_id"] == spec.indicator]
        values = {str(c).zfill(3): float(v) for c, v in zip(g["code"], g["estimate"])}
        outline = {str(c).zfill(3): _FUNNEL_COLOURS[p] for c, p in zip(g["code"], g["position"])
                   if p in ("above_outer", "below_outer")}
        codes = {str(c).zfill(3): names[a] for c, a in zip(g["code"], g["area_id"])}
        note = ("Kant: uden for 99,8 %-grænserne (rød over, blå under)" if da else
                "Outline: outside the 99.8% limits (red above, blue below)")
        if len(g):
            note += f" · {pipeline.city.name[lang]}: {i18n_number(float(g['target'].iloc[0]), lang, 1)} {unit}"
        fig = national_map(shapes, values, names=codes, title=f"{pipeline.indicator(spec.indicator).name[lang]}, "
                           f"{year}", label=unit, note=note, outline=outline)
        files = save(fig, out_dir, f"national_map_{spec.indicator}")
        rows.append({"indicator_id": spec.indicator, "figure": f"national_map_{spec.indicator}",
                     "files": [p.name for p in files]})
    return pd.DataFrame(rows, columns=["indicator_id", "figure", "files"])


# ================================================================================================================
# District maps of a city (``district_map:``): boundary files matched to the survey districts by name
# ================================================================================================================

#: The words under a district map (the report's language).
DISTRICT_MAP_WORDS = {
    "da": {"no_polygon": "Bydele i undersøgelsen uden eget område på kortet", "grey": "gråt: intet tal for området",
           "map": "Kort", "skipped": "Bydelskortet er ikke tegnet: grænserne ({file}) er ikke leveret."},
    "en": {"no_polygon": "Survey districts without a polygon of their own on the map",
           "grey": "grey: no figure for the area", "map": "Map",
           "skipped": "The district map is not drawn: the boundaries ({file}) were not supplied."},
}


def _norm_name(text: str) -> str:
    return " ".join(str(text).replace("-", " ").split()).casefold()


def district_map_plan(pipeline, raw_dir: Path) -> dict | None:
    """Which polygons of the ``district_map`` layers draw which area of its level, read from the boundary files.

    A polygon is an area's when the layer's ``groups`` list it under that area, or when its name (``name_property``)
    equals the area's Danish or English name or an alias (case, spaces and hyphens aside). A later layer's
    ``replaces`` removes polygons of the earlier layers by name. Returns None when the pipeline declares no district
    map or a boundary file is not in ``raw_dir``; else a dict with ``shapes`` (area id -> rings of lon/lat),
    ``unmatched`` (polygon name -> rings: drawn grey), ``without_polygon`` (ids of the level's areas no polygon
    draws, in the YAML's order) and ``files``.
    """
    spec = getattr(pipeline, "district_map", None)
    if spec is None:
        return None
    from .errors import InputError

    by_name: dict[str, str] = {}
    for a in pipeline.areas:
        if a.level == spec.level:
            for n in (a.name["da"], a.name["en"], *a.aliases):
                by_name.setdefault(_norm_name(n), a.id)
    polygons: dict[str, tuple[str | None, list[np.ndarray], str]] = {}
    for layer in spec.layers:
        path = Path(raw_dir) / layer.file
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(path, f"the boundary file cannot be read as GeoJSON ({exc})",
                             "Download the boundaries again, or remove the file to skip the map.") from None
        for gone in layer.replaces:
            polygons.pop(_norm_name(gone), None)
        grouped = {_norm_name(p): aid for aid, names in layer.groups.items() for p in names}
        found = set()
        for i, feature in enumerate(data.get("features", [])):
            props = feature.get("properties") or {}
            if layer.name_property not in props:
                raise InputError(path, f"feature {i} has no property '{layer.name_property}' (it has: "
                                 f"{', '.join(props)})", "Set 'district_map.layers[].name_property' in the pipeline "
                                 "YAML to the property holding the area's name.")
            name = str(props[layer.name_property]).strip()
            key = _norm_name(name)
            found.add(key)
            geom = feature.get("geometry") or {}
            polys = {"Polygon": [geom.get("coordinates")], "MultiPolygon": geom.get("coordinates")}.get(
                geom.get("type"), [])
            rings = [np.asarray(ring, dtype=float)[:, :2] for poly in polys for ring in poly]
            owner = grouped.get(key) or by_name.get(key)
            earlier = polygons[key][1] if key in polygons else []
            polygons[key] = (owner, earlier + rings, name)
        lost = sorted(p for p in grouped if p not in found)
        if lost:
            raise InputError(path, f"district_map groups name polygon(s) the file does not hold: {', '.join(lost)}",
                             f"Use the names of the file's '{layer.name_property}' property in 'groups'.")
    shapes: dict[str, list[np.ndarray]] = {}
    unmatched: dict[str, list[np.ndarray]] = {}
    for owner, rings, name in polygons.values():
        if owner is None:
            unmatched[name] = rings
        else:
            shapes.setdefault(owner, []).extend(rings)
    without = [a.id for a in pipeline.areas if a.level == spec.level and a.id not in shapes]
    return {"shapes": shapes, "unmatched": unmatched, "without_polygon": without,
            "files": [layer.file for layer in spec.layers]}


def _centre_of_all(rings: list[np.ndarray]) -> tuple[float, float]:
    """The area-weighted centroid of all outer rings of an area (a label position), in plot coordinates."""
    xs, ys, ws = [], [], []
    for ring in rings:
        x, y = ring[:, 0] * _LON_SCALE, ring[:, 1]
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        a = cross.sum() / 2
        if abs(a) < 1e-12:
            continue
        xs.append(((x + np.roll(x, -1)) * cross).sum() / (6 * a))
        ys.append(((y + np.roll(y, -1)) * cross).sum() / (6 * a))
        ws.append(abs(a))
    if not ws:
        return _centre(rings)
    return float(np.average(xs, weights=ws)), float(np.average(ys, weights=ws))


def _as_published(v: float, unit: str, lang: str) -> str:
    """A value with its unit, a whole number without decimals (a published 86 is shown as 86 %, not 86,0 %)."""
    from .i18n import value as fmt_value

    return fmt_value(v, unit, lang, 0 if float(v).is_integer() else None)


def district_map_note(pipeline, plan: dict, values: dict[str, float], unit: str, lang: str) -> str:
    """The line under a district map: the survey districts without a polygon of their own, each with its value,
    and what grey means."""
    w = DISTRICT_MAP_WORDS[lang]
    parts = []
    for a in plan["without_polygon"]:
        v = values.get(a, np.nan)
        name = pipeline.area(a).name[lang]
        parts.append(f"{name} ({_as_published(v, unit, lang)})" if np.isfinite(v) else name)
    text = f"{w['no_polygon']}: {', '.join(parts)}." if parts else ""
    grey = plan["unmatched"] or any(not np.isfinite(values.get(a, np.nan)) for a in plan["shapes"])
    if grey:
        text = f"{text} {w['grey'][:1].upper()}{w['grey'][1:]}.".strip()
    return text


def district_map(plan: dict, values: dict[str, float], *, names: dict[str, str], title: str, label: str,
                 note: str = "", value_text: dict[str, str] | None = None) -> plt.Figure:
    """One map of a city's districts shaded by ``values`` (area id -> value); polygons without a value grey, each
    shaded district named with its value, ``note`` under the map."""
    fig, ax = plt.subplots(figsize=(8.0, 6.4))
    fig.subplots_adjust(left=0.02, right=0.92, bottom=0.1, top=0.93)
    cmap = plt.get_cmap("YlGnBu")
    shown = [v for a, v in values.items() if a in plan["shapes"] and np.isfinite(v)]
    norm = Normalize(vmin=min(shown) * 0.98, vmax=max(shown) * 1.02) if shown else Normalize(0, 1)
    patches, faces = [], []
    for a, rings in sorted(plan["shapes"].items()):
        patches.append(_patch(rings, 0.0))
        v = values.get(a, np.nan)
        faces.append(cmap(norm(v)) if np.isfinite(v) else "#e6e6e6")
    for _, rings in sorted(plan["unmatched"].items()):
        patches.append(_patch(rings, 0.0))
        faces.append("#e6e6e6")
    ax.add_collection(PatchCollection(patches, facecolors=faces, edgecolors="#ffffff", linewidths=0.8))
    for a, rings in sorted(plan["shapes"].items()):
        x, y = _centre_of_all(rings)
        text = names.get(a, a) + (f"\n{value_text[a]}" if value_text and a in value_text else "")
        ax.annotate(text, (x, y), ha="center", va="center", fontsize=6.5, color="#1f1f1f",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    for name, rings in sorted(plan["unmatched"].items()):
        x, y = _centre(rings)
        ax.annotate(name, (x, y), ha="center", va="center", fontsize=7, color="#555555", style="italic")
    ax.autoscale_view()
    ax.set_aspect("equal")
    ax.set_axis_off()
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, orientation="vertical", fraction=0.035,
                 pad=0.02, shrink=0.6, label=label)
    ax.set_title(title, fontsize=11, loc="left")
    if note:
        import textwrap

        fig.text(0.02, 0.08, "\n".join(textwrap.wrap(note, 115)), fontsize=8, ha="left", va="top")
    return fig


def district_maps(pipeline, table: pd.DataFrame, year: int, lang: str, raw_dir: Path, out_dir: Path, *,
                  demo: bool | None = None) -> pd.DataFrame:
    """Draw a district map per indicator of ``district_map:`` for ``year`` (``map_districts_<id>``).

    Each map shades the level's areas by their published (not withheld) value in ``year`` and names under it the
    areas without a polygon of their own, with their values (:func:`district_map_note`). Nothing is drawn when the
    pipeline declares no district map, a boundary file is absent (the rows are empty: the caller says the map was
    skipped, :data:`DISTRICT_MAP_WORDS`) or an indicator has no value at the level in ``year``. Returns one row per
    map (``indicator_id, figure, kind`` "district_map", ``files, title, alt, note``), also written to the manifest.
    """
    from .demo import is_demo
    from .i18n import UNITS, source_line

    cols = ["indicator_id", "figure", "kind", "files", "title", "alt", "note"]
    plan = district_map_plan(pipeline, raw_dir)
    if plan is None:
        return pd.DataFrame(columns=cols)
    demo = is_demo(Path(raw_dir)) if demo is None else demo
    spec = pipeline.district_map
    rows = []
    with house_style():
        for iid in spec.indicators:
            ind = pipeline.indicator(iid)
            sub = table[(table["indicator_id"] == iid) & (table["level"] == spec.level) & (table["period"] == year)
                        & ~table["suppressed"].astype(bool)]
            values = {a: float(v) for a, v in zip(sub["area_id"], sub["estimate"]) if np.isfinite(v)}
            if not values:
                continue
            names = {a.id: a.name[lang] for a in pipeline.areas}
            texts = {a: _as_published(v, ind.unit, lang) for a, v in values.items()}
            note = district_map_note(pipeline, plan, values, ind.unit, lang)
            unit = UNITS[lang].get(ind.unit, ind.unit)
            title = f"{ind.name[lang]}, {year}"
            fig = district_map(plan, values, names=names, title=title, label=f"{unit}".strip() or ind.name[lang],
                               note=note, value_text=texts)
            more = [pipeline.sources[m].file for m in ind.options.get("more_sources", ()) or ()
                    if m in pipeline.sources and not demo]
            finish(fig, source=source_line(pipeline, ind, lang, demo) + "".join(f", {f}" for f in more)
                   + f"; {', '.join(plan['files'])}", demo=demo, lang=lang)
            n = sum(1 for a in values if a in plan["shapes"])
            alt = (f"{DISTRICT_MAP_WORDS[lang]['map']}: {n} bydele farvet efter {ind.name[lang][:1].lower()}"
                   f"{ind.name[lang][1:]} i {year}. {note}" if lang == "da" else
                   f"{DISTRICT_MAP_WORDS[lang]['map']}: {n} districts shaded by {ind.name[lang][:1].lower()}"
                   f"{ind.name[lang][1:]} in {year}. {note}")
            files = save(fig, out_dir, f"map_districts_{iid}", title=title, alt=alt)
            rows.append({"indicator_id": iid, "figure": f"map_districts_{iid}", "kind": "district_map",
                         "files": [p.name for p in files], "title": title, "alt": alt, "note": note})
    made = pd.DataFrame(rows, columns=cols)
    if len(made):
        write_manifest(made, out_dir)
    return made
