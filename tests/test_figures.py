"""Figures draw what the report promises: breaks, readable axes in the report's language, source and demo marks."""

import json
import re
import struct
import subprocess
import sys
import zlib

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from tryghed import figures

ROWS = [dict(area_id=a, period=y, estimate=10.0 + i, ci_low=9.0, ci_high=11.0 + i)
        for a in ("a", "b", "c") for i, y in enumerate(range(2014, 2019))]


def test_small_multiples_draw_the_break_in_every_panel_and_do_not_join_the_line_across_it():
    fig = figures.small_multiples(pd.DataFrame(ROWS), title="t", ylabel="%", names={}, ncols=2, breaks=[2017])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3
    for ax in panels:
        xs = [tuple(line.get_xdata()) for line in ax.lines]
        assert (2016.5, 2016.5) in xs
        # the estimate is drawn as two pieces, 2014-2016 and 2017-2018: no line spans 2016 -> 2017
        assert (2014, 2015, 2016) in xs and (2017, 2018) in xs
        assert not any(2016 in x and 2017 in x for x in xs)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["estimate", "95% CI", "series break"]
    no_break = figures.small_multiples(pd.DataFrame(ROWS), title="t", ylabel="%", names={}, ncols=2)
    assert all(len(ax.lines) == 1 for ax in no_break.axes if ax.get_visible())
    plt.close("all")


def test_every_bottom_panel_has_year_labels_and_the_city_is_a_reference_line():
    city = pd.DataFrame({"estimate": [12.0, 12.5, 13.0, 13.5, 14.0]}, index=range(2014, 2019))
    fig = figures.small_multiples(pd.DataFrame(ROWS), title="t", ylabel="%", names={}, ncols=2, breaks=[2017],
                                  reference=city, reference_label="City")
    fig.canvas.draw()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    # 3 panels in 2 columns: panel b (top right) has no panel below it, so it carries its own year labels
    labelled = [ax for ax in panels if any(t.get_text() for t in ax.get_xticklabels())]
    assert len(labelled) == 2
    for ax in labelled:
        # first year, break year and last year, written out (never "2.017")
        assert [t.get_text() for t in ax.get_xticklabels()] == ["2014", "2017", "2018"]
        dashed = [line for line in ax.lines if line.get_linestyle() == "--"]
        assert [tuple(line.get_ydata()) for line in dashed] == [(12.0, 12.5, 13.0), (13.5, 14.0)]
    assert "City" in [t.get_text() for t in fig.legends[0].get_texts()]
    plt.close("all")


@pytest.mark.parametrize(("lang", "ticks", "expected"), [
    ("da", [0, 2.5, 5, 7.5], ["0,0", "2,5", "5,0", "7,5"]),
    ("en", [0, 2.5, 5, 7.5], ["0.0", "2.5", "5.0", "7.5"]),
    # Danish thousands separator is a point, English a comma (Dansk Sprognævn; Babel's da_DK/en_GB)
    ("da", [0, 1000, 2000], ["0", "1.000", "2.000"]),
    ("en", [0, 1000, 2000], ["0", "1,000", "2,000"]),
    ("da", [-0.5, 0, 0.5], ["\u22120,5", "0,0", "0,5"]),
])
def test_value_axis_uses_the_report_languages_number_convention(lang, ticks, expected):
    f = figures.LocaleFormatter(lang)
    f.set_locs(ticks)
    assert [f(t) for t in ticks] == expected


def test_segments_and_year_ticks():
    assert [list(s) for s in figures.segments([2010, 2011, 2016, 2017, 2018], [2017])] == \
        [[2010, 2011, 2016], [2017, 2018]]
    assert [list(s) for s in figures.segments([2010, 2011], [])] == [[2010, 2011]]
    assert figures.year_ticks(range(2010, 2018), [2017]) == [2010, 2013, 2017]
    assert figures.year_ticks(range(2010, 2018), []) == [2010, 2013, 2017]
    assert figures.year_ticks([2015, 2016], []) == [2015, 2016]


def _png_dpi(path):
    """The pixels per metre in the PNG's pHYs chunk, read by hand (PNG spec §11.3.5.3), as dots per inch."""
    data = path.read_bytes()
    i = data.index(b"pHYs")
    x, y, unit = struct.unpack(">IIB", data[i + 4:i + 13])
    assert unit == 1
    assert zlib.crc32(data[i:i + 13]) == struct.unpack(">I", data[i + 13:i + 17])[0]
    return round(x * 0.0254), round(y * 0.0254)


def test_saved_figures_carry_source_watermark_title_and_200_dpi(tmp_path):
    series = pd.DataFrame({"estimate": [19.2, 18.8, 16.0, 18.6], "ci_low": [18, 17.5, 15, 17.2],
                           "ci_high": [20.5, 20, 17, 20]}, index=[2014, 2015, 2016, 2017])
    for demo, name in ((True, "demo"), (False, "real")):
        with figures.house_style():
            fig, ax = plt.subplots()
            figures.trend_chart(series, ax, title="Andel utrygge", ylabel="%", breaks=[2017], lang="da")
            figures.finish(fig, source="Kilde: test", demo=demo, lang="da")
            png, svg = figures.save(fig, tmp_path, name, title="Andel utrygge", alt="Linjediagram <alt>")
        text = svg.read_text(encoding="utf-8")
        assert "Kilde: test" in text
        assert ("DEMO – SYNTETISKE DATA" in text) is demo
        assert "<title>Andel utrygge</title>" in text and "<desc>Linjediagram &lt;alt&gt;</desc>" in text
        assert _png_dpi(png) == (200, 200)
        # the estimate line is broken at the break: no drawn line joins 2016 and 2017
    assert not any(2016 in line.get_xdata() and 2017 in line.get_xdata() for line in ax.lines)


def test_png_holds_the_drawn_pixels_and_its_text_as_pillow_reads_them(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(7)
    opaque = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    opaque[..., 3] = 255
    seethrough = opaque.copy()
    seethrough[2, 3, 3] = 10
    text = {"Title": "Utrygge – 2017", "Description": "Andel i procent"}  # the dash is beyond Latin-1: iTXt
    for name, pixels, mode in (("rgb", opaque, "RGB"), ("rgba", seethrough, "RGBA")):
        path = figures.write_png(tmp_path / f"{name}.png", pixels, dpi=200, text=text)
        with Image.open(path) as im:
            im.load()
            assert im.mode == mode and im.size == (7, 5)
            assert (np.asarray(im) == pixels[..., :len(mode)]).all()
            assert im.text == text
        assert _png_dpi(path) == (200, 200)
        data = path.read_bytes()
        assert data.count(b"iTXt") == 1 and data.count(b"tEXt") == 1
    assert figures.write_png(tmp_path / "again.png", opaque, dpi=200, text=text).read_bytes() == \
        (tmp_path / "rgb.png").read_bytes()


@pytest.mark.parametrize("below", [-0.01, -0.6])  # the source line's place, and text beyond the drawn margin
def test_saved_files_hold_what_is_drawn_outside_the_figure_as_matplotlibs_tight_box(tmp_path, below):
    from PIL import Image

    def draw():
        with figures.house_style():
            fig, ax = plt.subplots(figsize=(4, 3))
            ax.plot([2014, 2015], [1, 2])
            ax.set_title("Titel", loc="left")
            fig.text(0.01, below, "Kilde: test", fontsize=8, va="top")
        return fig

    with figures.house_style():  # tick labels take their size from the rcParams at drawing time
        png, svg = figures.save(draw(), tmp_path, "x")
        draw().savefig(tmp_path / "tight.png", dpi=200, bbox_inches="tight", pad_inches=0.15)
    with Image.open(png) as ours, Image.open(tmp_path / "tight.png") as theirs:
        # matplotlib's box counts each text's whole line height, ours the inked pixels: a few pixels apart
        assert abs(ours.size[0] - theirs.size[0]) <= 6 and abs(ours.size[1] - theirs.size[1]) <= 6
    assert ours.size[1] > 200 * (3 - 3 * below)  # the figure's 3 inches and the text far below them
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', svg.read_text(encoding="utf-8")).group(1))
    assert abs(width / 72 * 200 - ours.size[0]) <= 1  # the SVG holds the same box
    plt.close("all")


def test_small_multiples_make_no_panel_for_an_empty_grid_cell():
    fig = figures.small_multiples(pd.DataFrame(ROWS), title="t", ylabel="%", names={}, ncols=2)
    assert len(fig.axes) == 3  # a 2 x 2 grid holding three areas
    labelled = [(ax.xaxis.get_tick_params()["labelbottom"], ax.yaxis.get_tick_params()["labelleft"])
                for ax in fig.axes]
    # panel b (top right) has no panel below it, so it carries the years; only the left column carries values
    assert labelled == [(False, True), (True, False), (True, True)]
    plt.close("all")


def test_drawing_leaves_the_callers_matplotlib_settings_alone(tmp_path):
    before = dict(matplotlib.rcParams)
    table = pd.DataFrame(ROWS)
    fig = figures.small_multiples(table, title="t", ylabel="%", names={}, ncols=2)
    with figures.house_style():
        assert matplotlib.rcParams["svg.hashsalt"] == "tryghed"
    figures.save(fig, tmp_path, "x")
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()
    code = ("import matplotlib; before = dict(matplotlib.rcParams); import tryghed.figures; "
            "after = dict(matplotlib.rcParams); print(sorted(k for k in before if before[k] != after[k]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_manifest_collects_alt_texts(tmp_path):
    made = pd.DataFrame([{"indicator_id": "x", "figure": "trend_x", "kind": "trend", "files": ["a.png"],
                          "title": "T", "alt": "A"}])
    figures.write_manifest(made, tmp_path)
    figures.write_manifest(made.assign(figure="map_x", kind="map"), tmp_path)
    data = json.loads((tmp_path / figures.MANIFEST).read_text(encoding="utf-8"))
    assert sorted(data) == ["map_x", "trend_x"] and data["trend_x"]["alt"] == "A"


def _panels(rows=ROWS):
    fig, axes = plt.subplots(2, 2, sharex=True, sharey=True)
    for ax, a in zip(axes.flat, ("a", "b", "c")):
        s = pd.DataFrame(rows).query("area_id == @a")
        ax.plot(s["period"], s["estimate"])
        ax.set_title(f"area {a}")
    axes.flat[3].set_visible(False)
    fig.supylabel("a long value label (%)")
    fig.suptitle("a title")
    return fig


def test_tight_layout_once_places_the_axes_where_matplotlibs_tight_layout_does_and_leaves_no_engine():
    expected = _panels()
    expected.tight_layout(rect=(0, 0.06, 1, 1))  # matplotlib's own layout, measured twice
    got = _panels()
    figures.tight_layout_once(got, rect=(0, 0.06, 1, 1))
    want = [ax.get_position().bounds for ax in expected.axes]
    assert [ax.get_position().bounds for ax in got.axes] == want
    assert want != [ax.get_position().bounds for ax in _panels().axes]  # the layout did move the axes
    assert got.get_layout_engine() is None  # no placeholder engine: savefig does not lay the figure out again
    assert all("get_tightbbox" not in vars(ax) for ax in got.axes)  # the remembered measurements are gone
    plt.close("all")


def test_a_counts_district_panels_have_no_city_total_line_but_a_shares_do(sikker_by_demo_steps, tmp_path):
    """The city total of a count (gang members: about 300 against districts of 6-60) would flatten the districts'
    lines on their shared axis: only a rate or a share gets the city as a dashed reference line."""
    from tryghed import config

    cfg = config.load_pipeline("sikker-by")
    table = sikker_by_demo_steps.table()
    got = {}
    for ind_id in ("gang_members", "unsafe_night"):
        rows = figures._indicator_figures_one(cfg, table, 2017, "da", tmp_path, True, ind_id)
        got[ind_id] = next(r["alt"] for r in rows if r["kind"] == "areas")
    assert cfg.indicator("gang_members").unit == "count" and cfg.indicator("unsafe_night").unit == "percent"
    assert "referencelinje" not in got["gang_members"]
    assert "stiplet referencelinje" in got["unsafe_night"]
