"""rnnviz_app.equations: one markdown escaping for every page, and texts derived from the core's registry."""

from __future__ import annotations

import pytest

import rnnviz as rv
from rnnviz_app import equations as eq
from rnnviz_app import fig_weights, session


def test_one_markdown_escaping_for_every_page() -> None:
    assert session.escape_md is eq.md_escape
    assert eq.md_escape("x-y (1): don't.") == "x-y (1): don't."  # readable: nothing to escape mid-line
    assert eq.md_escape("a*b_c <b> $x$ :red[x] a|b ~s~ `c` &amp;") == (
        r"a\*b\_c \<b\> \$x\$ \:red\[x\] a\|b \~s\~ \`c\` \&amp;")
    # the start of the text never becomes a list item or a heading; a newline never starts a new line
    assert [eq.md_escape(t) for t in ("- a", "+ a", "# a", "12. a", "3) a", "a\n- b")] == [
        r"\- a", r"\+ a", r"\# a", r"12\. a", r"3\) a", "a - b"]


@pytest.mark.parametrize("kind", rv.CELL_KINDS)
def test_param_formula_adds_up_to_the_cells_count(kind: str) -> None:
    for V, H in ((5, 3), (1, 1), (17, 8)):
        text = eq.param_formula(kind, V, H)
        symbols, numbers = text.split(" = ")
        assert symbols == eq.param_formula(kind)
        assert eval(numbers.replace("·", "*")) == rv.make_cell(kind, V, H).num_params()  # digits, ·, +, ( )
    assert eq.ann_vs_rnn([3, 3, 4], 5, 3, kind, 0).rnn_formula == eq.param_formula(kind)


def test_formulas_and_shapes_as_the_lecture_writes_them() -> None:
    assert eq.param_formula("SimpleRNN", 5, 3) == "V·H + H·H + H = 5·3 + 3·3 + 3"  # 27, as Keras says
    assert eq.param_formula("GRU") == "3·(V·H + H·H + 2·H)"
    lstm, gru = eq.shapes_latex("LSTM", 5, 3), eq.shapes_latex("GRU", 5, 3)
    assert r"\text{4 blocks of 3: } i, f, \tilde{c}, o" in lstm and "b_x + b_h" not in lstm
    assert r"\text{3 blocks of 3: } r, z, \tilde{h}" in gru and "b_x + b_h" in gru
    with pytest.raises(ValueError, match="SimpleRNN, LSTM, GRU"):
        eq.shapes_latex("Elman", 5, 3)


def test_one_weight_column_label_style() -> None:
    cell = rv.LSTM(4, 2)
    cols = eq.weight_columns(cell)
    assert cols[:3] == ["i·1", "i·2", "f·1"] and len(cols) == 8
    assert list(fig_weights.weight_heatmaps(cell).data[0].x) == cols  # the weights page: the same labels
