"""Unit tests (no Streamlit) of the encoding/forward figure builders and the equation helpers: every number
in a figure or an equation is the core's number."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from apptools import decode

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_encoding as fe
from rnnviz_app import fig_forward as ff
from rnnviz_app.model import build_model, parse_corpus

CELLS = ("SimpleRNN", "LSTM", "GRU")


def trace_named(fig, name: str):
    return next(d for d in fig.data if d.name == name)


def validated(fig: go.Figure) -> dict:
    """The figure as Streamlit sends it, after plotly's full validation (builders skip it)."""
    spec = fig.to_dict()
    go.Figure(spec)
    return json.loads(pio.to_json(spec, validate=False))


# --------------------------------------------------------------------------- escaping


def test_latex_escape_all_ten_specials() -> None:
    raw = r"\ { } $ # % & _ ^ ~"
    out = eq.latex_escape(raw)
    assert out == (r"\textbackslash{} \{ \} \$ \# \% \& \_ \textasciicircum{} \textasciitilde{}")
    assert eq.latex_text("a_b") == r"\text{a\_b}"
    assert eq.latex_escape("two\nlines") == "two lines"


def test_md_and_html_escape() -> None:
    md = eq.md_escape("**bold** <script> $x$ [l](u) `c` #h _u_ :red[x]")
    for raw in ("**", "<script>", "$x$", "[l]", "`c`", "_u_"):
        assert raw not in md
    assert "\\*\\*bold\\*\\*" in md and "\\:red\\[x\\]" in md
    assert eq.html_escape("<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"
    assert eq.time_label(2, "<i>x") == "t=2 · &lt;i&gt;x"


def test_fmt_never_shows_minus_zero() -> None:
    assert eq.fmt(-0.0001) == "0.000"
    assert eq.fmt(-0.1234) == "-0.123"
    assert eq.latex_row([1, -0.5]) == r"\begin{bmatrix}1.000 & -0.500\end{bmatrix}"


# --------------------------------------------------------------------------- step equations


@pytest.mark.parametrize("kind", CELLS)
@pytest.mark.parametrize("t", [1, 3])
def test_step_terms_add_up_to_the_trace(kind: str, t: int) -> None:
    view = build_model({"cell": kind, "sentence": 3, "h0": "random"})
    se = eq.step_equations(view.cell, view.trace, view.ids, view.tokens, t)
    assert (se.t, se.token, se.token_id) == (t, view.tokens[t - 1], view.ids[t - 1])
    for block in se.blocks:
        np.testing.assert_allclose(sum(term.values for term in block.terms), block.pre.values, atol=1e-12)
        expected = view.trace.pre[block.name][t - 1]
        np.testing.assert_allclose(block.pre.values, expected)
        if kind != "SimpleRNN":
            np.testing.assert_allclose(block.out.values, view.trace.gates[block.name][t - 1])
    # x_t W_xh is row `id` of W_xh (one-hot input)
    first = se.blocks[0].terms[0]
    assert f"[{view.ids[t - 1]},:]" in first.latex
    np.testing.assert_allclose(first.values, view.cell.gate_block(view.cell.W_xh[view.ids[t - 1]],
                                                                  se.blocks[0].name)
                               if kind != "SimpleRNN" else view.cell.W_xh[view.ids[t - 1]])
    if kind == "SimpleRNN":
        np.testing.assert_allclose(se.blocks[0].out.values, view.trace.h[t - 1])
    if kind == "LSTM":
        f_c, i_g, c, tanh_c, h = (term.values for term in se.update)
        np.testing.assert_allclose(f_c + i_g, c)
        np.testing.assert_allclose(c, view.trace.c[t - 1])
        np.testing.assert_allclose(view.trace.gates["o"][t - 1] * tanh_c, h)
        np.testing.assert_allclose(h, view.trace.h[t - 1])
    if kind == "GRU":
        keep_new, keep_old, h = (term.values for term in se.update)
        np.testing.assert_allclose(keep_new + keep_old, h)
        np.testing.assert_allclose(h, view.trace.h[t - 1])


def test_step_equations_reject_a_step_outside_the_sentence() -> None:
    view = build_model({})
    with pytest.raises(ValueError, match=r"1\.\.3"):
        eq.step_equations(view.cell, view.trace, view.ids, view.tokens, 4)


def test_block_latex_and_table() -> None:
    view = build_model({})
    se = eq.step_equations(view.cell, view.trace, view.ids, view.tokens, 2)
    latex = eq.block_latex(se.blocks[0])
    assert latex.startswith(r"\begin{aligned}") and latex.count(r"\begin{bmatrix}") == 5
    assert eq.latex_row(view.trace.h[1]) in latex
    table = eq.step_table(se)
    assert table.shape == (5, 3)
    np.testing.assert_allclose(table.loc["h_t"].to_numpy(), view.trace.h[1].round(3))
    lstm = build_model({"cell": "LSTM", "hidden": 7})
    se = eq.step_equations(lstm.cell, lstm.trace, lstm.ids, lstm.tokens, 1)
    assert eq.step_table(se).shape == (4 * 5 + 5, 7)


def test_shapes_latex_names_the_seeds_shapes() -> None:
    s = eq.shapes_latex("SimpleRNN", 5, 3)
    for part in (r"(1\times 5)", r"(5\times 3)", r"(3\times 3)", r"\longrightarrow\; (1\times 3)"):
        assert part in s
    assert r"(5\times 12)" in eq.shapes_latex("LSTM", 5, 3)
    assert r"(5\times 9)" in eq.shapes_latex("GRU", 5, 3)


def test_weight_columns() -> None:
    assert eq.weight_columns(rv.SimpleRNN(5, 2)) == ["unit 1", "unit 2"]
    assert eq.weight_columns(rv.GRU(5, 2)) == ["r·1", "r·2", "z·1", "z·2", "n·1", "n·2"]


# --------------------------------------------------------------------------- why not an ANN


def test_ann_vs_rnn_for_the_seeds_reviews() -> None:
    cmp = eq.ann_vs_rnn([3, 3, 4], V=5, H=3, kind="SimpleRNN", rnn_weights=27)
    assert (cmp.B, cmp.T_max, cmp.padded_input) == (3, 4, 20)
    assert (cmp.padding_rows, cmp.rows) == (2, 12)
    assert cmp.padding_share == pytest.approx(2 / 12)
    assert cmp.zero_share == pytest.approx(1 - 10 / 60)
    assert (cmp.ann_weights, cmp.rnn_weights, cmp.head_weights) == (63, 27, 4)
    assert cmp.ann_weights_for(5) == 5 * 5 * 3 + 3
    fig = fe.ann_vs_rnn_figure(cmp, "SimpleRNN")
    assert list(fig.data[0].y)[3] == 63 and set(fig.data[1].y) == {27}
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text


# --------------------------------------------------------------------------- encoding figures


def test_vocab_and_encoded_tables() -> None:
    corpus = parse_corpus("movie was good | 1\nmovie was bad | 0\nmovie was not good | 0")
    vocab = fe.vocab_table(corpus.vocab)
    assert list(vocab["word"]) == ["movie", "was", "good", "bad", "not"]
    assert vocab.iloc[4, 2] == "[0 0 0 0 1]"
    enc = fe.encoded_table(corpus)
    assert list(enc["ids"]) == ["[0, 1, 2]", "[0, 1, 3]", "[0, 1, 4, 2]"]
    assert list(enc["label"]) == ["1", "0", "0"]
    big = parse_corpus(" ".join(f"w{i}" for i in range(30)))
    assert fe.vocab_table(big.vocab).iloc[7, 2] == "a 1 at position 7, 29 zeros"


def test_one_hot_figure_is_the_core_matrix() -> None:
    view = build_model({"sentence": 3})
    fig = fe.one_hot_figure(view.x, view.tokens, view.ids, view.corpus.vocab, step=2)
    np.testing.assert_array_equal(fig.data[0].z, view.x)
    assert list(fig.data[0].y) == ["t=1 · movie", "t=2 · was", "t=3 · not", "t=4 · good"]
    assert list(fig.data[0].x) == ["movie (0)", "was (1)", "good (2)", "bad (3)", "not (4)"]
    assert "4 × 5" in fig.layout.title.text
    assert fig.layout.shapes[0].y0 == 0.5  # step 2 outlined


def test_shown_columns_cap_keeps_the_sentence_words() -> None:
    assert fe.shown_columns(10, [3], cap=24) == list(range(10))
    cols = fe.shown_columns(100, [99, 50], cap=5)
    assert len(cols) == 5 and 99 in cols and 50 in cols and cols == sorted(cols)
    assert fe.columns_note(100, cols).startswith("The vocabulary has 100 words; 5 columns")
    assert fe.columns_note(5, range(5)) is None


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_padded_batch_rows_equal_the_core_batch(padding: str) -> None:
    corpus = parse_corpus("a b c\nd e\nf g h i j\nk")
    full = rv.one_hot_batch([" ".join(t) for t in corpus.tokens], corpus.vocab, padding=padding)
    pb = fe.padded_batch(corpus, padding, rows=(0, 1))  # the longest sentence (2) is not drawn
    assert pb.shape == (4, 5, 11)
    np.testing.assert_array_equal(pb.batch, full[:2])
    np.testing.assert_array_equal(pb.mask, rv.padding_mask([3, 2], 5, padding))
    fig = fe.padded_batch_figure(pb, corpus, selected=1)
    assert "(4, 5, 11)" in fig.layout.title.text and f"padding='{padding}'" in fig.layout.title.text
    np.testing.assert_array_equal(fig.data[1].z, full[1])
    grey = [s for s in fig.layout.shapes if s.fillcolor]
    assert len(grey) == (5 - 3) + (5 - 2)  # one grey rectangle per padding row
    assert fe.batch_rows(10, 9) == (6, 7, 8, 9) and fe.batch_rows(3, 0) == (0, 1, 2)


def test_embedding_figure_is_a_row_lookup() -> None:
    view = build_model({})
    E = rv.embedding_matrix(view.V, 4, seed=0)
    fig = fe.embedding_figure(E, view.ids, view.tokens, view.corpus.vocab)
    np.testing.assert_array_equal(fig.data[0].z, E)
    np.testing.assert_array_equal(fig.data[1].z, E[list(view.ids)])
    assert fig.data[0].zmin == -fe.EMB_RANGE and fig.data[0].zmax == fe.EMB_RANGE


# --------------------------------------------------------------------------- forward figures


def shown_at(spec: dict, name: str) -> list[dict]:
    """The traces as Plotly.js shows them after animating to frame `name`: the base traces with that
    frame's partial traces merged in, key by key (what Plotly.animate does), arrays decoded."""
    frame = next(f for f in spec["frames"] if f["name"] == name)
    data = [dict(d) for d in spec["data"]]
    for i, part in zip(frame["traces"], frame["data"], strict=True):
        for key, v in part.items():
            data[i][key] = {**data[i][key], **v} if isinstance(v, dict) and "bdata" not in v else v
    return data


def by_meta(traces: list[dict], meta: str) -> dict:
    return next(d for d in traces if d.get("meta") == meta)


def columns(trace: dict, H: int, name: str = "h") -> np.ndarray:
    """The unit squares of h (or c) as (slots, H): slot j is the state column of h_{first-1+j}; NaN where
    the step is not reached yet (no square: the empty one under it shows)."""
    names = np.array([c[2] for c in trace["customdata"]])
    values = decode(trace["marker"]["color"]).astype(float)[names == name].reshape(-1, H)
    drawn = ~np.isnan(decode(trace["x"]).astype(float)[names == name].reshape(-1, H))
    assert (drawn == ~np.isnan(values)).all()  # a square is drawn exactly where its value is known
    return values


def texts(shown: list[dict]) -> tuple[list[str], list[str]]:
    """The frame's words (sans-serif labels, panel heading and row names) and the panel's vectors (mono)."""
    t = by_meta(shown, "text")
    fonts = t["textfont"]["family"]
    return ([x for x, f in zip(t["text"], fonts, strict=True) if f != ff.MONO],
            [x for x, f in zip(t["text"], fonts, strict=True) if f == ff.MONO])


def heading(shown: list[dict]) -> str:
    return next(x for x in texts(shown)[0] if x.startswith("<b>Step t"))


@pytest.mark.parametrize("kind", CELLS)
def test_every_frame_carries_its_steps_numbers(kind: str) -> None:
    view = build_model({"cell": kind, "sentence": 3})  # "movie was not good": T = 4, the whole window
    fig = ff.unrolled_figure(view, step=2)
    spec = validated(fig)
    T, H = view.T, view.H
    assert [f["name"] for f in spec["frames"]] == ["1", "2", "3", "4"]
    assert spec["layout"]["meta"] == ff.CHART_META and kind in spec["layout"]["title"]["text"]
    for k in range(1, T + 1):
        shown = shown_at(spec, str(k))
        h = columns(by_meta(shown, "states"), H)
        np.testing.assert_array_equal(h[: k + 1], np.vstack([view.trace.h0, view.trace.h[:k]]))
        assert np.isnan(h[k + 1:]).all()  # not read yet
        if kind == "LSTM":
            c = columns(by_meta(shown, "states"), H, "c")
            np.testing.assert_array_equal(c[1: k + 1], view.trace.c[:k])
        strip = decode(by_meta(shown, "x")["marker"]["color"]).reshape(T, view.V)
        np.testing.assert_array_equal(strip, view.x)  # every slot's one-hot x_t
        word = f"“{view.tokens[k - 1]}” (id {view.ids[k - 1]})"
        assert heading(shown).startswith(f"<b>Step t = {k} of {T}: {word}")
        labels, values = texts(shown)
        rows = ff.panel_rows(view, k)
        for (label, vec), text in zip(rows, values, strict=False):
            assert text == "[" + " ".join(f"{eq.fmt(v):>6}" for v in vec) + " ]", label
        np.testing.assert_allclose(rows[-1][1], view.trace.h[k - 1])  # the last vector row is h_t
        assert f"<b>t={k}<br>{view.tokens[k - 1]}</b>" in labels  # the current word is highlighted
        yhat = f"<b>{view.yhat:.3f}</b>"
        assert (yhat in labels) == (k == T) and ("?" in labels) == (k < T)  # ŷ only after the last word
        assert ("says" in values[-1]) == (k == T)
    first = shown_at(spec, "2")
    for trace in spec["data"]:  # opening at step 2 shows exactly what frame "2" shows
        same = next(d for d in first if d.get("meta") == trace.get("meta"))
        assert json.dumps(trace, sort_keys=True) == json.dumps(same, sort_keys=True)
    assert ff.frame_step(fig) == 2


def test_panel_rows_are_the_step_equations() -> None:
    view = build_model({"cell": "SimpleRNN"})
    rows = ff.panel_rows(view, 2)
    names = [r[0].split(" = ")[0] for r in rows][:2]
    assert names == ["x<sub>2</sub>·W<sub>xh</sub>", "h<sub>1</sub>·W<sub>hh</sub>"]
    np.testing.assert_array_equal(rows[0][1], view.cell.W_xh[view.ids[1]])  # the picked row
    np.testing.assert_allclose(rows[0][1] + rows[1][1] + rows[2][1], rows[3][1])  # a_t is the sum
    np.testing.assert_allclose(np.tanh(rows[3][1]), rows[4][1])
    lstm = build_model({"cell": "LSTM"})
    rows = ff.panel_rows(lstm, 3)
    assert len(rows) == 14
    gates = {name: vec for name, vec in rows if name.startswith("<b>")}
    for g, sym in (("i", "i"), ("f", "f"), ("g", "c̃"), ("o", "o")):
        act = "tanh" if g == "g" else "σ"
        shown = gates[f"<b>{sym}<sub>3</sub></b> = {act}(sum + b)"]
        np.testing.assert_array_equal(shown, lstm.trace.gates[g][2])
    gru = build_model({"cell": "GRU"})
    assert len(ff.panel_rows(gru, 1)) == 10


def test_the_window_slides_and_user_text_is_escaped() -> None:
    words = " ".join(f"w{i}" for i in range(12))
    view = build_model({"corpus": words, "hidden": 16})
    assert ff.step_window(12, 1) == (1, 4) and ff.step_window(12, 12) == (9, 12)
    assert ff.step_window(12, 6) == (4, 7) and ff.step_window(3, 2) == (1, 3)
    spec = validated(ff.unrolled_figure(view, step=1))
    shown = shown_at(spec, "6")
    t_of_slot = [c[0] for c in by_meta(shown, "states")["customdata"]][::16]
    assert t_of_slot == [3, 4, 5, 6, 7]  # h_3 … h_7 around the current step
    h = columns(by_meta(shown, "states"), 16)
    np.testing.assert_array_equal(h[:4], view.trace.h[2:6]) and np.isnan(h[4]).all()
    assert "showing t=4…7" in heading(shown)
    labels = " ".join(texts(shown)[0])
    assert "5 more" in labels and "after t=1…3" in labels and "one-hot" not in labels  # V = 12: a strip
    wide = build_model({"corpus": words + " w12", "hidden": 2})
    labels = " ".join(texts(validated(ff.unrolled_figure(wide, step=1))["data"])[0])
    assert "one-hot" in labels  # V = 13: the id only
    view = build_model({"corpus": "don't <b>stop</b> & go"})
    spec = validated(ff.unrolled_figure(view, step=1))
    for k in ("1", "2", "3", "4", "5"):
        shown = shown_at(spec, k)
        text = " ".join(texts(shown)[0])
        assert "<b>stop" not in text.replace("<b>t=", "")


def test_controls_step_and_play_in_the_browser() -> None:
    view = build_model({"sentence": 3})
    layout = validated(ff.unrolled_figure(view))["layout"]
    slider = layout["sliders"][0]
    assert slider["active"] == view.T - 1  # opens at the last step by default
    assert slider["transition"]["duration"] == 0  # no grip animation (~100 ms per step)
    assert [s["args"][0] for s in slider["steps"]] == [["1"], ["2"], ["3"], ["4"]]
    assert all(s["method"] == "animate" and s["args"][1]["frame"]["redraw"] is False for s in slider["steps"])
    play, pace = layout["updatemenus"]
    assert [b["label"] for b in play["buttons"]] == ["▶ Play", "❚❚ Pause"]
    args = play["buttons"][0]["args"]
    assert args[0] is None and args[1]["fromcurrent"] and args[1]["frame"]["redraw"] is False
    assert args[1]["frame"]["duration"] == ff.SPEEDS[ff.DEFAULT_SPEED][1]
    assert [b["label"] for b in pace["buttons"]] == [name for name, _ in ff.SPEEDS]
    assert pace["buttons"][0]["args"] == ["updatemenus[0].buttons[0].args[1].frame.duration", 2000]


@pytest.mark.parametrize("kind", CELLS)
def test_forward_payload_stays_under_a_megabyte(kind: str) -> None:
    words = " ".join(f"w{i % 30}" for i in range(40))
    view = build_model({"corpus": words, "cell": kind, "hidden": 16})
    assert view.T == 40 and view.H == 16
    payload = pio.to_json(ff.unrolled_figure(view, step=20), validate=False)
    assert len(payload.encode()) < 1_000_000, len(payload)
    static = {d["meta"] for d in json.loads(payload)["data"][:4]}
    assert static == {"strips", "bracket", "empty", "yhat-scale"}  # sent once, never in a frame
    assert all(min(f["traces"]) >= 4 for f in json.loads(payload)["frames"])
    assert len(json.loads(payload)["data"]) <= 13  # Plotly's cost per frame grows with the traces


def test_hidden_heatmap_is_the_trace() -> None:
    view = build_model({"sentence": 2})
    fig = ff.hidden_heatmap(view, step=3)
    np.testing.assert_allclose(fig.data[0].z, view.trace.h)
    assert list(fig.data[0].y) == ["t=1 · movie", "t=2 · was", "t=3 · bad"]
    assert list(fig.data[0].x) == ["unit 1", "unit 2", "unit 3"]
    assert fig.layout.coloraxis.cmin == -1 and fig.layout.coloraxis.cmax == 1
    assert fig.layout.shapes[0].y0 == 1.5
    assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
    lstm = build_model({"cell": "LSTM"})
    fig = ff.hidden_heatmap(lstm)
    np.testing.assert_allclose(fig.data[1].z, lstm.trace.c)


@pytest.mark.parametrize(("kind", "count"), [("SimpleRNN", 27), ("LSTM", 108), ("GRU", 90)])
def test_param_summary_like_keras(kind: str, count: int) -> None:
    view = build_model({"cell": kind})
    df = ff.param_summary(view.cell, view.head)
    assert list(df.columns[:3]) == ["Layer (type)", "Output Shape", "Param #"]
    assert list(df["Param #"]) == [count, 4]
    assert df.iloc[0, 1] == "(None, 3)"
    assert ff.total_params(view.cell, view.head) == count + 4


def test_row_pick_latex_writes_the_picked_row() -> None:
    view = build_model({})
    latex = eq.row_pick_latex(view.x[1], view.cell.W_xh, 1, view.corpus.vocab.tokens, "W_{xh}")
    assert r"\begin{bmatrix}0 & 1 & 0 & 0 & 0\end{bmatrix}" in latex  # x_2 = one-hot("was")
    assert latex.endswith(r"= W_{xh}[1,:] = " + eq.latex_row(view.cell.W_xh[1]))
    assert latex.count(eq.PICK_COLOUR) == 3 + 1  # the row's three numbers and its word
    assert r"\text{movie}" in latex
    wide = build_model({"corpus": "הסרט היה טוב a b c d e f g"})
    latex = eq.row_pick_latex(wide.x[1], wide.cell.W_xh, 1, wide.corpus.vocab.tokens, "W_{xh}")
    assert r"one\text{-}hot}(1)" in latex and r"\text{id 0}" in latex and "הסרט" not in latex
