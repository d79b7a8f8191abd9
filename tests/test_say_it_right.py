"""Issue 10, "say it right": every sentence, legend and badge agrees with the chart beside it and with the
lecture notes. One test (or a few) per item; each fails if the wrong statement comes back."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from apptools import decode, open_page, set_widget
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_weights

CELLS = ("SimpleRNN", "LSTM", "GRU")


def charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart(at: AppTest, words: str) -> dict:
    for spec in charts(at):
        if words in spec["layout"]["title"]["text"]:
            return spec
    raise AssertionError(f"no chart titled …{words}…: {[s['layout']['title']['text'] for s in charts(at)]}")


def plain(html: str) -> str:
    """Plotly text without its <sub> tags: "W<sub>xh</sub> 15" → "W_xh 15"."""
    return re.sub(r"<sub>(.*?)</sub>", r"_\1", html)


def page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [s.value for s in at.success] + [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


# --------------------------------------------------------------------------- item 4: weights drawn vs counted


@pytest.mark.parametrize("kind", CELLS)
def test_weights_title_counts_what_the_heatmaps_draw(kind: str) -> None:
    cell = rv.cell_class(kind)(5, 3, seed=0)
    fig = fig_weights.weight_heatmaps(cell, ["movie", "was", "good", "bad", "not"])
    drawn = sum(np.size(trace.z) for trace in fig.data)
    title = plain(fig.layout.title.text)
    subtitle = plain(fig.layout.title.subtitle.text)
    assert f"{drawn} weights drawn" in title  # the number in the title is the number of cells drawn
    assert f"W_xh {cell.W_xh.size} + W_hh {cell.W_hh.size}" in title
    biases = sum(cell.params[b].size for b in cell.bias_names)
    assert f"the {biases} biases" in subtitle and f"Keras' {cell.num_params()} parameters" in subtitle
    assert drawn + biases == cell.num_params()
    assert "biases not shown" not in title  # the old title called all 27 "numbers" above 24 drawn


def test_weights_split_seeds_numbers() -> None:
    split = eq.param_split(rv.SimpleRNN(5, 3, seed=0))
    assert (split.W_xh, split.W_hh, split.cell_bias_total, split.cell_total) == (15, 9, 3, 27)
    assert eq.weights_drawn(split) == ("24 weights drawn (W_xh 15 + W_hh 9)",
                                       "+ the 3 biases b_h (not drawn) = Keras' 27 parameters of this layer")


def test_weights_page_title_follows_the_cell_and_size() -> None:
    at = open_page("pages/weights.py")
    assert "24 weights drawn" in plain(chart(at, "weights drawn")["layout"]["title"]["text"])
    set_widget(at, "w_hidden", 4)  # 5·4 + 4·4 = 36 drawn, + 4 biases = Keras' 40
    spec = chart(at, "weights drawn")
    drawn = sum(decode(d["z"]).size for d in spec["data"])
    assert drawn == 36 and "36 weights drawn" in plain(spec["layout"]["title"]["text"])
    assert "Keras' 40 parameters" in plain(spec["layout"]["title"]["subtitle"]["text"])
    set_widget(at, "w_cell", "GRU")  # 3·(20 + 16) = 108 drawn; b_xh + b_hh = 24; Keras 132
    spec = chart(at, "weights drawn")
    assert "108 weights drawn" in plain(spec["layout"]["title"]["text"])
    subtitle = plain(spec["layout"]["title"]["subtitle"]["text"])
    assert "the 24 biases b_xh + b_hh (not drawn) = Keras' 132" in subtitle
