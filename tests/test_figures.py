"""Figures draw what the report promises: the declared series break on every district panel."""

import pandas as pd

from tryghed import figures


def test_small_multiples_draw_the_break_in_every_panel():
    rows = [dict(area_id=a, period=y, estimate=10.0 + i, ci_low=9.0, ci_high=11.0 + i)
            for a in ("a", "b", "c") for i, y in enumerate(range(2014, 2019))]
    fig = figures.small_multiples(pd.DataFrame(rows), title="t", ylabel="%", names={}, ncols=2, breaks=[2017])
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == 3
    for ax in panels:
        xs = [tuple(line.get_xdata()) for line in ax.lines]
        assert (2016.5, 2016.5) in xs
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["series break"]
    no_break = figures.small_multiples(pd.DataFrame(rows), title="t", ylabel="%", names={}, ncols=2)
    assert all(len(ax.lines) == 1 for ax in no_break.axes if ax.get_visible())
