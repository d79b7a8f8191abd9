"""Unit tests of the gates/BPTT/lab helpers and figure builders against the core's numbers (no streamlit)."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import json
import struct
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest

import rnnviz as rv
from rnnviz_app import fig_bptt, fig_gates, fig_lab, lab, state, theme
from rnnviz_app.model import build_model

CELLS = ("SimpleRNN", "LSTM", "GRU")
RIYA = lab.PRESET_BY_KEY["riya"].text


def settings(**over):
    return {**state.defaults(), **over}


def view_of(**over):
    return build_model(settings(**over))


def validated(fig: go.Figure) -> dict:
    """The figure as plotly would send it, after plotly's full validation (builders may skip it)."""
    return go.Figure(fig.to_dict()).to_dict()


def trace_by_meta(fig: go.Figure, key: str) -> dict:
    for d in fig.to_dict()["data"]:
        if d.get("meta") == key:
            return d
    raise AssertionError(f"no trace {key!r}: {[d.get('meta') for d in fig.to_dict()['data']]}")


def arr(v) -> np.ndarray:
    """A data array of a figure dict: plotly ≥ 6 encodes numpy arrays as {"dtype", "bdata", "shape"}."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        shape = v.get("shape")
        if isinstance(shape, str):
            shape = [int(n) for n in shape.split(",")]
        return a.reshape(shape) if shape else a
    return np.asarray(v)


def png_pixels(uri: str) -> np.ndarray:
    """The (h, w, 4) pixels of a data:image/png URI as theme.heat_image writes it (8-bit RGBA, filter 0)."""
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    pos, idat = 8, b""
    while pos < len(data):
        n, tag = struct.unpack(">I", data[pos:pos + 4])[0], data[pos + 4:pos + 8]
        if tag == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + 4 * w)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(h, w, 4)


def as_float(ys) -> np.ndarray:
    if isinstance(ys, dict):
        return arr(ys).astype(float)
    return np.array([np.nan if v is None else v for v in ys], dtype=float)


def spec_for(**over) -> lab.LabSpec:
    s = settings(**over)
    v = build_model(s)
    return lab.lab_spec(s, v.V, v.ids, v.label)


# ------------------------------------------------------------------------------------------- gates in words


def test_presets_are_the_lecture_examples() -> None:
    assert rv.tokenize(RIYA)[18] == "london"
    assert "riya" in rv.tokenize(RIYA) and "delhi" in rv.tokenize(RIYA)
    assert lab.PRESET_BY_KEY["clouds"].text == "The clouds are in the sky"


@pytest.mark.parametrize("cell", CELLS)
def test_gate_sentence_reads_the_trace(cell: str) -> None:
    v = view_of(corpus=RIYA, cell=cell)
    t = 18
    line = lab.gate_sentence(v.trace, v.tokens, t)
    assert line.startswith("t = 19 ‘london’:")
    if cell == "LSTM":
        f = float(np.mean(v.trace.gates["f"][t]))
        assert f"forget gate f = {f:.2f}" in line and f"{f:.0%}" in line
        assert f"input gate i = {float(np.mean(v.trace.gates['i'][t])):.2f}" in line
    elif cell == "GRU":
        z = float(np.mean(v.trace.gates["z"][t]))
        assert f"update gate z = {z:.2f}" in line and "(1 − z)·h̃ + z·hₜ₋₁" in line
        assert f"{z:.0%} of the old state is kept" in line
    else:
        assert "no gate" in line and f"mean |h| = {float(np.mean(np.abs(v.trace.h[t]))):.2f}" in line
    assert not lab.gate_sentence(v.trace, v.tokens, t, prefix=False).startswith("t =")


def test_share_phrase_bands() -> None:
    assert lab.share_phrase(0.05, "c") == "almost none of c is kept"
    assert lab.share_phrase(0.31, "c") == "most of c is not kept"
    assert lab.share_phrase(0.5, "c") == "about half of c is kept"
    assert lab.share_phrase(0.8, "c") == "most of c is kept"
    assert lab.share_phrase(0.95, "c") == "almost all of c is kept"


def test_lstm_forget_low_and_input_high_says_replaced() -> None:
    v = view_of(cell="LSTM")
    gates = dict(v.trace.gates)
    gates["f"] = np.full_like(gates["f"], 0.31)
    gates["i"] = np.full_like(gates["i"], 0.8)
    tr = dataclasses.replace(v.trace, gates=gates)
    line = lab.gate_sentence(tr, v.tokens, 0)
    assert "mean forget gate f = 0.31 — most of the cell state is replaced" in line


# ------------------------------------------------------------------------------------------- gate heatmaps


@pytest.mark.parametrize(("cell", "keys"), [("LSTM", ["i", "f", "g", "o", "c", "h"]),
                                            ("GRU", ["r", "z", "n", "h"]), ("SimpleRNN", ["a", "h"])])
def test_gates_figure_has_every_panel_with_the_core_numbers(cell: str, keys: list[str]) -> None:
    v = view_of(corpus=RIYA, cell=cell, hidden=4)
    sentences = [lab.gate_sentence(v.trace, v.tokens, t) for t in range(v.T)]
    fig = fig_gates.gates_figure(v.trace, v.tokens, step=19, sentences=sentences)
    d = validated(fig)
    heat = [t for t in d["data"] if t["type"] == "heatmap"]
    assert [p.key for p in fig_gates.panels(v.trace)] == keys and len(heat) == len(keys)
    tr = v.trace
    source = {**tr.gates, "c": tr.c, "h": tr.h, "a": tr.pre.get("a")}
    lay = d["layout"]
    for k, (panel, h) in enumerate(zip(fig_gates.panels(tr), heat, strict=True)):
        np.testing.assert_array_equal(arr(h["z"]), source[panel.key].T)  # rows = units, cols = time
        assert list(arr(h["x"])) == list(range(1, v.T + 1))
        assert list(arr(h["y"])) == [4, 3, 2, 1]  # unit 1 on top
        picture = png_pixels(lay["images"][k]["source"])
        scale, lo, hi = fig_gates.colour_range(panel, tr)
        want = theme.colours(source[panel.key].T, scale, lo, hi)  # the colours of the core's numbers
        cell_h, cell_w = picture.shape[0] // 4, picture.shape[1] // v.T
        np.testing.assert_array_equal(picture[cell_h // 2::cell_h, cell_w // 2::cell_w, :3], want)
        assert "%{z:.4f}" in h["hovertemplate"] and h["customdata"][0][18] == "london"
        want = {"gate": "coloraxis", "state": "coloraxis2", "pre": "coloraxis3"}[panel.scale]
        assert h["coloraxis"] == want
        axis = lay["yaxis" if k == 0 else f"yaxis{k + 1}"]
        assert axis["ticktext"] == ["unit 1", "unit 2", "unit 3", "unit 4"]
        assert axis["tickvals"] == [4, 3, 2, 1]
        assert h["opacity"] == 0  # the picture shows the cells; the trace keeps hover and the colour bar
    assert lay["xaxis"]["ticktext"][18] == "t=19 · london"
    if cell != "SimpleRNN":
        assert (lay["coloraxis"]["cmin"], lay["coloraxis"]["cmax"]) == theme.GATE_RANGE
        assert lay["coloraxis"]["colorscale"][0][1] == go.Figure(
            layout={"coloraxis": {"colorscale": theme.GATE_SCALE}}).layout.coloraxis.colorscale[0][1]
    assert (lay["coloraxis2"]["cmin"], lay["coloraxis2"]["cmax"]) == theme.STATE_RANGE
    outlines = [t for t in d["data"] if str(t.get("meta", "")).startswith("now-")]
    assert len(outlines) == len(keys)  # one per panel, on the panel's own axes
    assert all((min(arr(t["x"])), max(arr(t["x"]))) == (18.5, 19.5) for t in outlines)
    sentence = next(t for t in d["data"] if t.get("meta") == "sentence")["text"][0]
    assert sentence.replace("<br>", " ").startswith("t = 19 ‘london’:")
    assert "over time" in lay["title"]["text"] and lay["meta"] == fig_gates.CHART_META


def test_gates_frames_move_the_outline_and_the_sentence_in_the_browser() -> None:
    v = view_of(corpus=RIYA, cell="LSTM", hidden=3)
    sentences = [lab.gate_sentence(v.trace, v.tokens, t) for t in range(v.T)]
    d = validated(fig_gates.gates_figure(v.trace, v.tokens, step=1, sentences=sentences))
    assert [f["name"] for f in d["frames"]] == [str(t) for t in range(1, v.T + 1)]
    moving = {i: t["meta"] for i, t in enumerate(d["data"]) if t["type"] == "scatter"}
    for f in d["frames"]:
        t = int(f["name"])
        assert {moving[i] for i in f["traces"]} == set(moving.values())  # the heatmaps are sent once
        for i, part in zip(f["traces"], f["data"], strict=True):
            if moving[i] == "sentence":
                assert part["text"][0] == fig_gates.wrap(sentences[t - 1])
            else:
                assert (min(arr(part["x"])), max(arr(part["x"]))) == (t - 0.5, t + 0.5)
    slider = d["layout"]["sliders"][0]
    assert slider["active"] == 0 and slider["transition"]["duration"] == 0
    assert all(s["args"][1]["frame"]["redraw"] is False for s in slider["steps"])
    assert [b["label"] for b in d["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    assert fig_gates.wrap("a <b> & c") == "a &lt;b&gt; &amp; c"  # user words stay text


def test_gates_figure_rejects_mismatched_tokens() -> None:
    v = view_of(cell="LSTM")
    with pytest.raises(ValueError, match="tokens"):
        fig_gates.gates_figure(v.trace, v.tokens[:-1])


# ------------------------------------------------------------------------------------------- BPTT helpers


def test_descend_lowers_the_loss_on_the_default_review() -> None:
    v = view_of()
    examples, _, _ = lab.descend(v.cell, v.head, v.x, v.label, v.h0, v.c0, lr=0.5, n=3)
    assert len(examples) == 4
    losses = [e.loss for e in examples]
    assert all(b < a for a, b in itertools.pairwise(losses))
    c1, h1 = rv.sgd_step(v.cell, v.head, examples[0], 0.5)  # the core's step, by hand
    np.testing.assert_array_equal(examples[1].grads.W_hh, rv.many_to_one(c1, h1, v.x, v.label).grads.W_hh)
    again, _, _ = lab.descend(v.cell, v.head, v.x, v.label, v.h0, v.c0, lr=0.5, n=3)
    assert [e.loss for e in again] == losses  # reproducible
    with pytest.raises(ValueError):
        lab.descend(v.cell, v.head, v.x, 1.0, v.h0, v.c0, 0.5, -1)


@pytest.mark.parametrize("cell", CELLS)
def test_per_step_terms_add_up_to_the_gradient(cell: str) -> None:
    v = view_of(cell=cell, h0="random")
    ex = rv.many_to_one(v.cell, v.head, v.x, 1.0, v.h0, v.c0)
    factors = lab.state_factor_norms(v.cell, ex.trace)
    A = v.cell.step_jacobians(ex.trace)
    np.testing.assert_allclose(factors, [np.linalg.norm(a, 2) for a in A])
    rows = lab.per_step_rows(ex, factors, v.tokens)
    assert [r["word"] for r in rows[:-2]] == list(v.tokens)
    total, grad = rows[-2], rows[-1]
    for name in ("W_hh", "W_xh"):
        assert total[f"Σ entries δₜ({name})"] == pytest.approx(grad[f"Σ entries δₜ({name})"], abs=1e-12)
        assert lab.sum_gap(ex, name) < 1e-12
    np.testing.assert_allclose([r["‖∂L/∂hₜ‖"] for r in rows[:-2]], np.linalg.norm(ex.grads.dh, axis=1))
    assert lab.total_grad_norm(ex) == pytest.approx(np.sqrt(
        ex.grads.global_norm() ** 2 + sum(float(np.sum(g * g)) for g in ex.head.grads.values())))


@pytest.mark.parametrize("cell", CELLS)
def test_gradcheck_of_the_many_to_one_loss_agrees(cell: str) -> None:
    v = view_of(cell=cell)
    loss = lab.many_to_one_loss(v.head, 1.0)
    L, dh = loss(v.trace)
    assert pytest.approx(rv.bce(v.yhat, 1.0)) == L
    assert np.all(dh[:-1] == 0) and np.allclose(dh[-1], v.head.backward(v.trace.h[-1], 1.0).dh_T)
    check = rv.gradcheck(v.cell, v.x, v.h0, v.c0, loss=loss)
    head_err = lab.head_gradcheck(v.head, v.trace.h[-1], 1.0)
    assert set(head_err) == {"w_o", "b_o"} and max(e for e, _ in head_err.values()) < 1e-7
    rows = lab.gradcheck_rows(check, head_err, v.head.backward(v.trace.h[-1], 1.0).grads)
    assert all(r["agrees"] == "✓ yes" for r in rows)
    assert {r["gradient of L with respect to"] for r in rows} >= {f"weight {n}" for n in v.cell.params}
    assert lab.agreement_exponent(rows) <= -6
    assert lab.gradcheck_cost(v.cell, v.T) == 2 * v.T * (v.cell.num_params() + v.T * v.V + v.H)


# ------------------------------------------------------------------------------------------- BPTT figures


def test_contributions_figure_bars_are_the_per_step_terms() -> None:
    v = view_of(h0="random")
    ex = rv.many_to_one(v.cell, v.head, v.x, 1.0, v.h0)
    fig = fig_bptt.contributions_figure(ex, v.tokens)
    d = validated(fig)
    falls = [t for t in d["data"] if t["type"] == "waterfall"]
    assert len(falls) == 2
    for w, name in zip(falls, ("W_hh", "W_xh"), strict=True):
        y = as_float(w["y"])
        np.testing.assert_allclose(y[:-1], ex.grads.per_step[name].reshape(v.T, -1).sum(axis=1))
        assert y[-1] == pytest.approx(float(ex.grads.params[name].sum()))
        assert y[:-1].sum() == pytest.approx(y[-1], abs=1e-12)  # the bars end at the total
        assert list(w["measure"]) == ["relative"] * v.T + ["total"]
        assert list(w["x"]) == ["δ₁ · movie", "δ₂ · was", "δ₃ · good", "Σ = total"]
    assert "sum over time steps" in d["layout"]["title"]["text"]


def test_contributions_first_w_hh_term_is_zero_with_zero_h0() -> None:
    v = view_of()  # h0 = zeros: δ₁(W_hh) = h₀ᵀ·(…) = 0
    ex = rv.many_to_one(v.cell, v.head, v.x, 1.0)
    y = as_float(fig_bptt.contributions_figure(ex, v.tokens).to_dict()["data"][0]["y"])
    assert y[0] == 0.0


@pytest.mark.parametrize("cell", CELLS)
def test_chain_figure_shows_the_factor_and_gradient_norms(cell: str) -> None:
    v = view_of(cell=cell)
    ex = rv.many_to_one(v.cell, v.head, v.x, 1.0, v.h0, v.c0)
    factors = lab.state_factor_norms(v.cell, ex.trace)
    d = validated(fig_bptt.chain_figure(ex, factors, v.tokens, lstm=cell == "LSTM"))
    texts = [a.get("text", "") for a in d["layout"]["annotations"]]
    for t in range(v.T):
        assert f"{factors[t]:.2g}" in texts
        assert f"{np.linalg.norm(ex.grads.dh[t]):.2g}" in texts
        assert v.tokens[t] in texts
    assert f"ŷ = {ex.yhat:.3f}" in texts and f"L = {ex.loss:.3f}" in texts
    assert list(d["data"][0]["text"]) == ["h₀", "h₁", "h₂", "h₃", "ŷ", "L"]
    assert ("[h<sub>t</sub>; c<sub>t</sub>]" in " ".join(texts)) == (cell == "LSTM")


def test_descent_figure_plots_loss_and_prediction() -> None:
    v = view_of()
    examples, _, _ = lab.descend(v.cell, v.head, v.x, 1.0, v.h0, v.c0, 0.5, 4)
    d = validated(fig_bptt.descent_figure(examples))
    np.testing.assert_allclose(as_float(d["data"][0]["y"]), [e.loss for e in examples])
    np.testing.assert_allclose(as_float(d["data"][1]["y"]), [e.yhat for e in examples])


# ------------------------------------------------------------------------------------------- the lab


def test_generated_ids_are_seeded_and_in_range() -> None:
    a = lab.generated_ids(5, 120, seed=3)
    assert len(a) == 120 and set(a) <= set(range(5)) and a == lab.generated_ids(5, 120, seed=3)
    assert a != lab.generated_ids(5, 120, seed=4)
    drive = np.array([[1.0, -1], [1, 1], [-1, -1], [1, 1]])  # words 1 and 3 switch on both units
    assert set(lab.generated_ids(4, 50, 0, drive)) == {1, 3}
    with pytest.raises(ValueError):
        lab.generated_ids(0, 5, 0)


def test_lab_spec_sentence_and_generated() -> None:
    s = spec_for(lab_len="sentence")
    assert s.ids == (0, 1, 2) and s.y == 1.0 and s.T == 3
    g = spec_for(lab_T=150)
    assert g.T == 150 and g.y == 0.0 and g.source == "generated"
    r = spec_for(lab_T=150, lab_act="relu")
    cell = rv.SimpleRNN(5, 3, activation="relu", seed=0)
    on = ((cell.W_xh + cell.b_h) > 0).sum(axis=1)
    assert set(r.ids) <= set(np.flatnonzero(on == on.max()))
    assert spec_for(corpus="a b c").y == 0.0  # no label


@pytest.mark.parametrize("cell", CELLS)
def test_lab_point_matches_the_grid_and_the_many_to_one_gradient(cell: str) -> None:
    spec = spec_for(lab_cell=cell, lab_T=60, hidden=4)
    grid = lab.sweep(spec, lab.WH_GRID)
    k = grid.index_of(1.5)
    point = lab.sweep(spec, 1.5)
    np.testing.assert_allclose(point.log10_jac[0], grid.log10_jac[k])
    m = lab.lab_model(spec)
    ex = rv.many_to_one(m.cell.replace(W_hh=1.5 * m.Q), m.head, m.x, spec.y, m.h0, m.c0)
    np.testing.assert_allclose(point.log10_loss_grad[0], np.log10(np.linalg.norm(ex.grads.dh, axis=1)),
                               atol=1e-9)
    np.testing.assert_allclose(10 ** point.log10_jac[0], rv.jacobian_norms(m.cell.replace(W_hh=1.5 * m.Q),
                                                                           ex.trace), rtol=1e-9)
    clipped = lab.clip_at(spec, 1.5, 0.5)
    assert clipped.pre_norm == pytest.approx(lab.total_grad_norm(ex))
    assert clipped.post_norm == pytest.approx(min(0.5, clipped.pre_norm))


def test_regime_badges_from_the_core() -> None:
    spec = spec_for(lab_act="relu", lab_T=120)
    low, high = lab.regime_of(lab.sweep(spec, 0.5)), lab.regime_of(lab.sweep(spec, 2.0))
    assert low.name == "vanishing" and "after 119 steps back" in low.text
    assert high.name == "exploding" and "e+" in high.text
    cut = lab.regime_of(lab.sweep(spec, 0.0))
    assert cut.name == "cut" and "W_hh = 0" in cut.text
    assert lab.regime_of(lab.sweep(spec_for(lab_len="sentence", corpus="hello"), 1.0)).name == "stable"


def test_fmt_pow_and_fmt_float() -> None:
    assert lab.fmt_pow(np.log10(3.2e-11)) == "3.2e-11"
    assert lab.fmt_pow(400.5) == "3.2e+400"
    assert lab.fmt_pow(-np.inf) == "0" and lab.fmt_pow(np.inf) == "overflow"
    assert lab.fmt_pow(np.log10(9.999)) == "1.0e+01"
    assert lab.fmt_float(np.inf).startswith("overflow") and lab.fmt_float(0.5) == "0.5"
    assert lab.fmt_float(2.14e18) == "2.14e+18"


@pytest.mark.parametrize("cell", CELLS)
def test_norms_figure_plots_the_core_log_norms(cell: str) -> None:
    spec = spec_for(lab_cell=cell, lab_T=80)
    point = lab.sweep(spec, 1.2)
    d = validated(fig_lab.norms_figure(point))
    jac = next(t for t in d["data"] if t.get("meta") == "jac")
    back = arr(jac["x"])
    np.testing.assert_array_equal(back, np.arange(80))  # x = steps back, ascending
    np.testing.assert_allclose(as_float(jac["y"]), point.log10_jac[0][::-1])
    loss = next(t for t in d["data"] if t.get("meta") == "loss")
    np.testing.assert_allclose(as_float(loss["y"]), point.log10_loss_grad[0][::-1])
    has_bound = any(t.get("meta") == "bound" for t in d["data"])
    assert has_bound == (cell == "SimpleRNN")
    if has_bound:
        bound = next(t for t in d["data"] if t.get("meta") == "bound")
        np.testing.assert_allclose(as_float(bound["y"]), np.arange(80) * np.log10(1.2))
    assert "w<sub>h</sub> = 1.20" in d["layout"]["title"]["text"]
    assert d["layout"]["xaxis"]["title"]["text"].startswith("steps back")
    assert "log scale" in d["layout"]["yaxis"]["title"]["text"]
    assert "<sup>" in " ".join(d["layout"]["yaxis"]["ticktext"])  # ticks read 10^k


def test_norms_figure_marks_exact_zeros_instead_of_blank() -> None:
    spec = spec_for(lab_act="relu", lab_T=40)
    point = lab.sweep(spec, 0.0)  # W_hh = 0: every dh_T/dh_t with t < T is exactly 0
    d = validated(fig_lab.norms_figure(point))
    jac = trace_by_meta(go.Figure(d), "jac")
    assert as_float(jac["y"])[0] == 0.0 and np.isnan(as_float(jac["y"])[1:]).all()
    zero = trace_by_meta(go.Figure(d), "jac-zero")
    assert arr(zero["x"]).tolist() == list(range(1, 40))
    assert d["layout"]["yaxis"]["ticktext"][0] == "0 (exact)"
    assert all("0 exactly" in t for t in zero["text"])


def test_overflow_is_labelled_not_nan() -> None:
    # far outside the lab's slider: the product passes 1.8e308 and the core flags it
    cell = rv.SimpleRNN(1, 1, activation="relu", seed=0).replace(W_xh=np.ones((1, 1)), b_h=np.ones(1))
    x = np.ones((120, 1))
    point = rv.wh_sweep(cell, x, 1e4)
    assert point.overflow[0]
    d = validated(fig_lab.norms_figure(point))
    jac = next(t for t in d["data"] if t.get("meta") == "jac")
    y = as_float(jac["y"])
    assert np.isfinite(y[~np.isnan(y)]).all() and np.nanmax(y) > rv.LOG10_MAX
    notes = " ".join(a["text"] for a in d["layout"]["annotations"])
    assert "overflow: > 1.8e308" in notes
    assert any(s["y0"] == rv.LOG10_MAX for s in d["layout"]["shapes"])
    assert lab.regime_of(point).name == "exploding" and "overflows" in lab.regime_of(point).text
    grid = rv.wh_sweep(cell, x, np.array([0.5, 1e4]))
    pd_ = validated(fig_lab.phase_figure(grid, 1e4))
    assert any("overflow (> 1.8e308)" in a["text"] for a in pd_["layout"]["annotations"])
    assert any("overflow" in t.get("hovertemplate", "") for t in pd_["data"][1:])


def test_phase_figure_is_the_sweep() -> None:
    spec = spec_for(lab_act="relu", lab_T=50)
    sweep = lab.sweep(spec, lab.WH_GRID)
    d = validated(fig_lab.phase_figure(sweep, 1.37))
    heat = d["data"][0]
    assert heat["type"] == "heatmap"
    z, cd = as_float(heat["z"]), as_float(heat["customdata"])
    L = sweep.log10_jac[:, ::-1]
    ok = np.isfinite(L)
    assert z.shape == (61, 50)
    np.testing.assert_allclose(cd[ok], L[ok], rtol=1e-6, atol=1e-5)  # float32
    c = fig_lab.phase_clamp(sweep)
    assert np.nanmax(np.abs(z)) <= c and heat["zmid"] == 0
    np.testing.assert_allclose(as_float(heat["y"]), lab.WH_GRID)
    assert any(s["y0"] == 1.37 for s in d["layout"]["shapes"])
    assert any("your w<sub>h</sub> = 1.37" in a["text"] for a in d["layout"]["annotations"])
    zero = next(t for t in d["data"][1:] if "0 exactly" in t["hovertemplate"])  # the w_h = 0 row
    assert not np.isnan(as_float(zero["z"])[0, 1:]).any()
    traces = fig_lab.phase_traces(sweep)
    again = validated(fig_lab.phase_figure(sweep, 2.0, traces=traces))
    np.testing.assert_array_equal(arr(again["data"][0]["z"]), arr(heat["z"]))


def test_compare_figure_has_three_cells_and_the_forget_product() -> None:
    spec = spec_for(lab_T=70)
    points = {k: lab.sweep(spec, 1.1, kind=k) for k in CELLS}
    d = validated(fig_lab.compare_figure(points))
    metas = [t.get("meta") for t in d["data"]]
    assert metas[:4] == ["SimpleRNN", "LSTM", "forget", "GRU"]
    for k in CELLS:
        y = as_float(trace_by_meta(go.Figure(d), k)["y"])
        np.testing.assert_allclose(y, points[k].log10_jac[0][::-1])
    np.testing.assert_allclose(as_float(trace_by_meta(go.Figure(d), "forget")["y"]),
                               points["LSTM"].log10_forget[0][::-1])
    with pytest.raises(ValueError):
        fig_lab.compare_figure({})


def merged(spec: dict, name: str) -> tuple[list[dict], dict]:
    """The traces and layout as Plotly.js shows them after animating to frame `name` (the frame merged
    into the figure key by key, as Plotly.animate does)."""
    frame = next(f for f in spec["frames"] if f["name"] == name)
    data = [dict(d) for d in spec["data"]]
    for i, part in zip(frame["traces"], frame["data"], strict=True):
        data[i].update(part)
    axis = frame.get("layout", {}).get("yaxis", {})
    layout = {**spec["layout"], "yaxis": {**spec["layout"]["yaxis"], **axis}}
    return data, layout


def meta(traces: list[dict], key: str) -> dict:
    return next(t for t in traces if t.get("meta") == key)


@pytest.mark.parametrize("cell", CELLS)
def test_every_w_h_frame_carries_the_exact_sweep(cell: str) -> None:
    spec = spec_for(lab_cell=cell, lab_T=30)
    grid = lab.sweep(spec, lab.WH_GRID)
    exact = lab.sweep(spec, 1.37)
    frames = fig_lab.wh_frames(grid, exact, None)
    d = validated(frames.figure(1.37))
    names = [f["name"] for f in d["frames"]]
    assert len(names) == 62 and names[:3] == ["0", "0.05", "0.1"] and names[-1] == "3"
    assert names.index("1.37") == 28 and d["layout"]["sliders"][0]["active"] == 28  # opens at the typed w_h
    assert d["layout"]["meta"] == fig_lab.LAB_META
    for name, row in zip(names, fig_lab.wh_rows(grid, exact), strict=True):
        traces, layout = merged(d, name)
        sw, k = (exact, 0) if name == "1.37" else (grid, list(grid.w_h).index(row.w_h))
        for key, values in (("jac", sw.log10_jac[k]), ("loss", sw.log10_loss_grad[k]),
                            ("bound", None if sw.log10_bound is None else sw.log10_bound[k])):
            if values is None:
                assert not any(t.get("meta") == key for t in traces)
                continue
            y = as_float(meta(traces, key)["y"])
            finite = np.isfinite(values)
            np.testing.assert_allclose(y[finite], values[finite].astype(np.float32), rtol=0, atol=1e-4)
            zeros = as_float(meta(traces, f"{key}-zero")["x"])
            np.testing.assert_array_equal(np.sort(zeros), np.sort(sw.steps_back[np.isneginf(values)]))
        regime = lab.regime_of(sw, k)
        assert regime.name.upper() in meta(traces, "headline")["text"][0]
        assert f"= {row.w_h:.2f}" in meta(traces, "headline")["text"][0]
        assert list(as_float(meta(traces, "your-wh")["y"])) == [row.w_h, row.w_h]
        lo, hi = layout["yaxis"]["range"]
        finite_all = np.concatenate([v[np.isfinite(v)] for v in (sw.log10_jac[k], sw.log10_loss_grad[k])])
        assert lo < finite_all.min() and hi > finite_all.max()  # each w_h's curves fit its own axis
    phase = meta(d["data"], "phase")
    assert arr(phase["z"]).shape == (61, 30) and phase["opacity"] == 0  # hover; the picture shows it
    assert d["layout"]["images"][0]["source"].startswith("data:image/png;base64,")


def test_w_h_frames_badge_matches_the_curve_and_stay_small() -> None:
    spec = spec_for(lab_act="relu", lab_T=200)
    grid = lab.sweep(spec, lab.WH_GRID)
    frames = fig_lab.wh_frames(grid)
    payload = json.dumps(frames.figure(1.0).to_dict())  # what Streamlit sends
    assert len(payload) < 1_000_000, len(payload)
    d = json.loads(payload)
    for name in ("0.5", "1", "2"):
        traces, _ = merged(d, name)
        jac = meta(traces, "jac")
        x, y = as_float(jac["x"]), as_float(jac["y"])
        drawn = float(y[np.argmax(x)])  # log10 ‖dh_T/dh_1‖ as drawn
        assert lab.fmt_pow(drawn) in meta(traces, "headline")["text"][0]
    assert fig_lab.frame_name(0.1 + 0.2) == "0.3" and fig_lab.frame_name(2.0) == "2"


def test_log_ticks_and_pow10_text() -> None:
    vals, texts = fig_lab.log_ticks(-31.5, 2.0)
    assert vals == list(range(-30, 1, 5)) and texts[-1] == "1" and texts[0] == "10<sup>−30</sup>"
    assert fig_lab.log_ticks(0, 3)[0] == [0, 1, 2, 3]


def test_lab_figures_carry_the_theme_and_presentation_sizes() -> None:
    point = lab.sweep(spec_for(lab_T=30), 1.0)
    normal = validated(fig_lab.norms_figure(point))["layout"]
    big = validated(fig_lab.norms_figure(point, present=True))["layout"]
    assert normal["font"]["size"] == theme.NORMAL.font and big["font"]["size"] == theme.PRESENT.font
    assert big["height"] > normal["height"] and normal["template"]["layout"]["plot_bgcolor"] == "white"
