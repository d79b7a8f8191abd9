"""Downloads (rnnviz_app.export): tidy CSV, JSON trace, .npz weights, standalone HTML figures."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import rnnviz as rv
from rnnviz_app import export
from rnnviz_app.fig_weights import weight_heatmaps
from rnnviz_app.model import build_model


@pytest.fixture(params=["SimpleRNN", "LSTM", "GRU"])
def view(request):
    return build_model({"cell": request.param, "hidden": 3, "seed": 2, "h0": "random", "sentence": 3})


def test_tidy_table_holds_every_number_of_the_trace(view) -> None:
    df = export.trace_to_tidy(view)
    assert list(df.columns) == ["step", "token", "quantity", "unit", "value"]
    tr, T, H = view.trace, view.T, view.H
    gates = list(view.cell.gate_names) or ["a"]
    names = ["x", *(f"pre_{g}" for g in gates), *(f"gate_{g}" for g in view.cell.gate_names)]
    names += ["c", "h"] if view.cell.kind == "LSTM" else ["h"]
    assert view.cell.kind != "LSTM" or names[1:5] == ["pre_i", "pre_f", "pre_g", "pre_o"]
    assert list(dict.fromkeys(df["quantity"])) == names
    assert len(df) == T * (view.V + (len(names) - 1) * H)
    expected = {"x": tr.x, "h": tr.h, "c": tr.c, **{f"pre_{g}": a for g, a in tr.pre.items()},
                **{f"gate_{g}": a for g, a in tr.gates.items()}}
    for name in names:
        sub = df[df["quantity"] == name]
        table = sub.pivot(index="step", columns="unit", values="value").to_numpy()
        np.testing.assert_array_equal(table, expected[name])
    steps = df[df["quantity"] == "h"].drop_duplicates("step")
    assert steps["step"].tolist() == list(range(1, T + 1))
    assert steps["token"].tolist() == list(view.tokens)
    # the same table from a bare trace plus tokens
    pd.testing.assert_frame_equal(export.trace_to_tidy(view.trace, view.tokens), df)


def test_tidy_checks_its_inputs(view) -> None:
    with pytest.raises(ValueError, match="tokens for a trace"):
        export.trace_to_tidy(view.trace, ["one"])
    with pytest.raises(ValueError, match="ModelView or an rnnviz Trace"):
        export.trace_to_tidy(np.zeros(3))


def test_csv_round_trips_at_full_precision(view) -> None:
    df = export.trace_to_tidy(view)
    data = export.to_csv(df)
    assert data.startswith(b"step,token,quantity,unit,value\n")
    back = pd.read_csv(io.BytesIO(data), keep_default_na=False)
    assert back["value"].to_numpy().tolist() == df["value"].to_numpy().tolist()  # bit-exact floats
    assert back["token"].tolist() == df["token"].tolist()


def test_json_has_every_array_with_its_shape(view) -> None:
    doc = json.loads(export.trace_to_json(view.trace, view.tokens, view.cell))
    cell = doc["cell"]
    assert (cell["kind"], cell["input_size"], cell["hidden_size"]) == (view.cell.kind, view.V, view.H)
    assert cell["gate_names"] == list(view.cell.gate_names)
    assert cell["num_params"] == view.cell.num_params()
    for name, arr in view.cell.params.items():
        assert cell["params"][name]["shape"] == list(arr.shape)
        np.testing.assert_array_equal(np.array(cell["params"][name]["values"]), arr)
    assert doc["tokens"] == list(view.tokens) and doc["T"] == view.T
    tr = doc["trace"]
    for name in ("x", "h0", "h_prev", "h", "x_part", "h_part"):
        ref = getattr(view.trace, name)
        assert tr[name]["shape"] == list(ref.shape)
        np.testing.assert_array_equal(np.array(tr[name]["values"]), ref)
    for group in ("pre", "gates"):
        ref = getattr(view.trace, group)
        assert set(tr[group]) == set(ref)
        for g, a in ref.items():
            np.testing.assert_array_equal(np.array(tr[group][g]["values"]), a)
    assert ("c" in tr) == (view.cell.kind == "LSTM")


def test_json_writes_overflow_as_null() -> None:
    cell = rv.SimpleRNN(2, 1, activation="relu")
    cell = cell.replace(W_hh=np.array([[1e200]]), W_xh=np.array([[1e200], [1.0]]))
    trace = cell.forward(np.eye(2)[[0, 0, 0]])
    assert not np.all(np.isfinite(trace.h))
    doc = json.loads(export.trace_to_json(trace, ["a", "a", "a"], cell))  # strict JSON: no NaN/Infinity
    assert None in [v for row in doc["trace"]["h"]["values"] for v in row]


def test_npz_uses_pytorch_names_and_loads_without_pickle(view) -> None:
    data = export.weights_to_npz(view.cell, view.head, view.corpus.vocab.tokens)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    assert set(arrays) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "w_o", "b_o", "vocab"}
    assert arrays["vocab"].dtype.kind == "U" and arrays["vocab"].tolist() == list(view.corpus.vocab.tokens)
    np.testing.assert_array_equal(arrays["w_o"], view.head.w_o)
    assert arrays["b_o"].tolist() == [view.head.b_o]
    cls = type(view.cell)
    kw = {"activation": view.cell.activation} if view.cell.kind == "SimpleRNN" else {}
    back = cls.from_torch({k: arrays[k] for k in view.cell.to_torch()}, **kw)
    np.testing.assert_allclose(back.forward(view.x, view.h0, view.c0).h, view.trace.h, rtol=1e-12, atol=1e-12)
    # weights only
    with np.load(io.BytesIO(export.weights_to_npz(view.cell)), allow_pickle=False) as npz:
        assert set(npz.files) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    with pytest.raises(ValueError, match="vocab has 2 words"):
        export.weights_to_npz(view.cell, vocab=["a", "b"])


def test_figure_html_is_standalone_and_offline(view) -> None:
    fig = weight_heatmaps(view.cell, view.corpus.vocab.tokens)
    html = export.figure_to_html(fig).decode("utf-8")
    assert re.match(r"\s*(<!doctype html>\s*)?<html", html, flags=re.IGNORECASE)
    assert len(html) > 1_000_000  # plotly.js itself is inside
    external = re.findall(r"<(?:script|link)[^>]*\b(?:src|href)=", html, flags=re.IGNORECASE)
    assert external == [], "no external <script src> or <link href>: the file must open offline"
    assert "Plotly.newPlot" in html
    assert "W_xh[" in html and "W_hh[" in html  # the figure's own traces (their hover names) are in the file


def test_weight_heatmaps_show_the_exact_weights(view) -> None:
    fig = weight_heatmaps(view.cell, view.corpus.vocab.tokens)
    W_xh, W_hh = fig.data
    np.testing.assert_array_equal(np.asarray(W_xh.z), view.cell.W_xh)
    np.testing.assert_array_equal(np.asarray(W_hh.z), view.cell.W_hh)
    assert list(W_xh.y) == list(view.corpus.vocab.tokens)
    assert len(W_xh.x) == view.cell.W_xh.shape[1]
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    assert W_hh.colorbar.title.text == "weight"
    assert W_xh.zmin == -W_xh.zmax and W_xh.zmid == 0


def test_figure_html_of_an_empty_figure() -> None:
    html = export.figure_to_html(go.Figure())
    assert b"<html" in html[:100] and b"Plotly.newPlot" in html
