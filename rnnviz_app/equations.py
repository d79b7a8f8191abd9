"""Equation strings and the few derived numbers the pages show, as pure functions (no streamlit).

Everything here reads the core's trace and cell: the terms of a step (x_t W_xh, h_{t-1} W_hh, b, the
pre-activation, the activation) come straight from `trace.x_part`, `trace.h_part`, `trace.pre`,
`trace.gates`; only element-wise products that the trace does not store (f ⊙ c_{t-1}, i ⊙ c̃, …) are
formed here, and the tests check that they add up to the trace's c_t and h_t.

Also the escaping every page needs before it shows what a user typed: LaTeX (\\text{}), Markdown and
the HTML subset Plotly renders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import rnnviz as rv

# --------------------------------------------------------------------------- escaping user text

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "#": r"\#",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
}
# Markdown, HTML and Streamlit's $LaTeX$; a ":" only where it could open a :colour[…] directive or an
# :emoji: name. The rest ("-", "+", "#", "(", ".") means something only at the start of a line (a list item,
# a heading), which _MD_LINE_START covers (md_escape makes one line of the text), so "x-y (1): ok." keeps
# reading the same in the page's source.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|&]|:(?=[\w/]))")
_MD_LINE_START = re.compile(r"^(\d+)(?=[.)])|^(?=[-+#])")


def latex_escape(text: str) -> str:
    """Text made safe inside LaTeX's \\text{…}: the ten special characters escaped, newlines flattened."""
    text = " ".join(str(text).split())
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


def latex_text(text: str) -> str:
    """`\\text{…}` around escaped user text (a word in an equation)."""
    return r"\text{" + latex_escape(text) + "}"


def md_escape(text: str) -> str:
    """User text safe inside st.markdown (also st.info, st.error, captions): one line, every Markdown,
    HTML and LaTeX metacharacter backslash-escaped, no list or heading marker at its start."""
    text = _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _MD_LINE_START.sub(lambda m: (m.group(1) or "") + "\\", text, count=1)


def html_escape(text: str) -> str:
    """User text safe inside a Plotly label (Plotly renders a small HTML subset): & < > escaped."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def shorten(text: str, n: int = 40) -> str:
    """At most n characters, with an ellipsis when cut."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def time_label(t: int, token: str, width: int = 12) -> str:
    """The label of a time step on every time axis: "t=2 · was" (1-based t, token escaped for Plotly)."""
    return f"t={t} · {html_escape(shorten(token, width))}"


# --------------------------------------------------------------------------- numbers

DIGITS = 3
MAX_LATEX_UNITS = 6  # vectors longer than this are shown as a table, not inline in LaTeX


def fmt(v: float, digits: int = DIGITS) -> str:
    """A number rounded for display; never "-0.000"."""
    s = f"{float(v):.{digits}f}"
    return s[1:] if s.startswith("-") and float(s) == 0.0 else s


def latex_row(values: Sequence[float], digits: int = DIGITS) -> str:
    """A row vector [a  b  c] in LaTeX (the project writes vectors as rows: x_t is 1×V, h_t is 1×H)."""
    cells = r" & ".join(fmt(v, digits) for v in values)
    return r"\begin{bmatrix}" + cells + r"\end{bmatrix}"


# --------------------------------------------------------------------------- one time step, term by term


@dataclass(frozen=True, eq=False)
class Term:
    """One vector of a step's arithmetic, with its name in LaTeX and in plain text (for tables)."""

    latex: str
    label: str
    values: np.ndarray  # (H,)


@dataclass(frozen=True, eq=False)
class GateBlock:
    """σ or tanh of a sum: the summands, their sum (the pre-activation), the activation."""

    name: str  # "a" (SimpleRNN), "i" "f" "g" "o" (LSTM), "r" "z" "n" (GRU)
    title: str  # "forget gate" (plain text; the symbol is in the LaTeX)
    terms: tuple[Term, ...]
    pre: Term
    out: Term
    act_latex: str  # \tanh, \sigma, \operatorname{relu}


@dataclass(frozen=True, eq=False)
class StepEquations:
    """Everything the step panel writes for time step t (1-based): blocks in order, then the state update."""

    kind: str
    t: int
    token: str
    token_id: int
    V: int
    H: int
    blocks: tuple[GateBlock, ...]
    update: tuple[Term, ...]  # LSTM: f⊙c_{t-1}, i⊙c̃, c_t, tanh c_t, h_t; GRU: (1-z)⊙h̃, z⊙h_{t-1}, h_t


_LSTM_TITLES = {"i": "input gate", "f": "forget gate", "g": "candidate cell state", "o": "output gate"}
_LSTM_SYMBOL = {"i": "i_t", "f": "f_t", "g": r"\tilde{c}_t", "o": "o_t"}
_GRU_TITLES = {"r": "reset gate", "z": "update gate", "n": "candidate hidden state"}
_GRU_SYMBOL = {"r": "r_t", "z": "z_t", "n": r"\tilde{h}_t"}
_PLAIN_SYMBOL = {"i": "i_t", "f": "f_t", "g": "c̃_t", "o": "o_t", "r": "r_t", "z": "z_t", "n": "h̃_t"}


def _row_pick(W: str, token_id: int) -> str:
    return rf"x_t W_{{{W}}} = W_{{{W}}}[{token_id},:]"


def _simple_rnn_step(cell: rv.Cell, trace: rv.Trace, k: int, token_id: int):
    """h_t = f(x_t W_xh + h_{t-1} W_hh + b): one block, no state update beyond it."""
    act = r"\tanh" if cell.activation == "tanh" else r"\operatorname{relu}"
    block = GateBlock(
        "a", f"h_t = {cell.activation}(a_t)",
        (Term(_row_pick("xh", token_id), "x_t·W_xh", trace.x_part[k]),
         Term("h_{t-1} W_{hh}", "h_{t-1}·W_hh", trace.h_part[k]),
         Term("b", "b", np.asarray(cell.b_h))),
        Term("a_t", "a_t (sum)", trace.pre["a"][k]),
        Term("h_t", "h_t", trace.h[k]), act)
    return [block], []


def _lstm_step(cell: rv.Cell, trace: rv.Trace, k: int, token_id: int):
    """i, f, c̃, o from x_t W_x· + h_{t-1} W_h· + b_·; then c_t = f ⊙ c_{t-1} + i ⊙ c̃, h_t = o ⊙ tanh(c_t)."""
    blocks = []
    for g in cell.gate_names:
        blocks.append(GateBlock(
            g, _LSTM_TITLES[g],
            (Term(_row_pick("x" + g, token_id), f"x_t·W_x{g}", cell.gate_block(trace.x_part[k], g)),
             Term(f"h_{{t-1}} W_{{h{g}}}", f"h_{{t-1}}·W_h{g}", cell.gate_block(trace.h_part[k], g)),
             Term(f"b_{g}", f"b_{g}", cell.gate_block(np.asarray(cell.b_h), g))),
            Term(f"a^{{({g})}}_t", f"a({g}) sum", trace.pre[g][k]),
            Term(_LSTM_SYMBOL[g], _PLAIN_SYMBOL[g], trace.gates[g][k]),
            r"\tanh" if g == "g" else r"\sigma"))
    i, f, g = (trace.gates[n][k] for n in ("i", "f", "g"))
    update = [
        Term(r"f_t \odot c_{t-1}", "f_t⊙c_{t-1}", f * trace.c_prev[k]),
        Term(r"i_t \odot \tilde{c}_t", "i_t⊙c̃_t", i * g),
        Term(r"c_t = f_t \odot c_{t-1} + i_t \odot \tilde{c}_t", "c_t", trace.c[k]),
        Term(r"\tanh(c_t)", "tanh(c_t)", trace.tanh_c[k]),
        Term(r"h_t = o_t \odot \tanh(c_t)", "h_t", trace.h[k]),
    ]
    return blocks, update


def _gru_step(cell: rv.Cell, trace: rv.Trace, k: int, token_id: int):
    """r, z from both sides' products and biases, h̃ with r ⊙ (h_{t-1} W_hn + b_hn), then the mix."""
    r = trace.gates["r"][k]
    blocks = []
    for g in cell.gate_names:
        x_g = cell.gate_block(trace.x_part[k], g)
        bx_g = cell.gate_block(np.asarray(cell.b_xh), g)
        hp_g = cell.gate_block(trace.h_part[k], g)
        bh_g = cell.gate_block(np.asarray(cell.b_hh), g)
        terms = [Term(_row_pick("x" + g, token_id), f"x_t·W_x{g}", x_g),
                 Term(f"b_{{x{g}}}", f"b_x{g}", bx_g)]
        if g == "n":
            terms.append(Term(r"r_t \odot (h_{t-1} W_{hn} + b_{hn})", "r_t⊙(h_{t-1}·W_hn + b_hn)",
                              r * (hp_g + bh_g)))
        else:
            terms += [Term(f"h_{{t-1}} W_{{h{g}}}", f"h_{{t-1}}·W_h{g}", hp_g),
                      Term(f"b_{{h{g}}}", f"b_h{g}", bh_g)]
        blocks.append(GateBlock(
            g, _GRU_TITLES[g], tuple(terms),
            Term(f"a^{{({g})}}_t", f"a({g}) sum", trace.pre[g][k]),
            Term(_GRU_SYMBOL[g], _PLAIN_SYMBOL[g], trace.gates[g][k]),
            r"\tanh" if g == "n" else r"\sigma"))
    z, n = trace.gates["z"][k], trace.gates["n"][k]
    update = [
        Term(r"(1 - z_t) \odot \tilde{h}_t", "(1−z_t)⊙h̃_t", (1.0 - z) * n),
        Term(r"z_t \odot h_{t-1}", "z_t⊙h_{t-1}", z * trace.h_prev[k]),
        Term(r"h_t = (1 - z_t) \odot \tilde{h}_t + z_t \odot h_{t-1}", "h_t", trace.h[k]),
    ]
    return blocks, update


_STEP_TERMS = {"SimpleRNN": _simple_rnn_step, "LSTM": _lstm_step, "GRU": _gru_step}  # one per rv.CELL_KINDS


def step_equations(cell: rv.Cell, trace: rv.Trace, ids: Sequence[int], tokens: Sequence[str],
                   t: int) -> StepEquations:
    """The terms of step t (1-based) for a SimpleRNN, LSTM or GRU, read from the trace."""
    if not 1 <= t <= trace.T:
        raise ValueError(f"time step t must lie in 1..{trace.T}, got {t}")
    if cell.kind not in _STEP_TERMS:
        raise ValueError(f"unknown cell kind {cell.kind!r}")
    k = t - 1
    token_id = int(ids[k])
    blocks, update = _STEP_TERMS[cell.kind](cell, trace, k, token_id)
    return StepEquations(cell.kind, t, str(tokens[k]), token_id, trace.D, trace.H, tuple(blocks),
                         tuple(update))


_GATE_LATEX = {"i": "i", "f": "f", "g": r"\tilde{c}", "o": "o", "r": "r", "z": "z", "n": r"\tilde{h}"}


def shapes_latex(kind: str, V: int, H: int) -> str:
    """The step's matrix shapes, e.g. x_t (1×V) · W_xh (V×H) + h_{t-1} (1×H) · W_hh (H×H) + b (1×H)."""
    cls = rv.cell_class(kind)
    G = cls.n_blocks
    GH = f"{G * H}" if G > 1 else f"{H}"
    bias = "b" if len(cls.bias_names) == 1 else "b_x + b_h"
    core = (rf"\underset{{(1\times {V})}}{{x_t}} \cdot \underset{{({V}\times {GH})}}{{W_{{xh}}}}"
            rf" \;+\; \underset{{(1\times {H})}}{{h_{{t-1}}}} \cdot \underset{{({H}\times {GH})}}{{W_{{hh}}}}"
            rf" \;+\; \underset{{(1\times {GH})}}{{{bias}}} \;\longrightarrow\; (1\times {GH})")
    if G > 1:
        names = ", ".join(_GATE_LATEX[g] for g in cls.gate_names)
        core += rf"\;=\; \text{{{G} blocks of {H}: }} {names}"
    return core


def block_latex(block: GateBlock, digits: int = DIGITS) -> str:
    """An aligned LaTeX block: each summand, the sum, the activation — one vector per line."""
    lines = []
    for n, term in enumerate(block.terms):
        plus = "" if n == 0 else r"+\;"
        lines.append(rf"{plus}{term.latex} &= {latex_row(term.values, digits)}")
    lines.append(rf"{block.pre.latex} &= {latex_row(block.pre.values, digits)}")
    lines.append(rf"{block.out.latex} = {block.act_latex}({block.pre.latex}) &= "
                 rf"{latex_row(block.out.values, digits)}")
    return r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"


def update_latex(terms: Sequence[Term], digits: int = DIGITS) -> str:
    lines = [rf"{term.latex} &= {latex_row(term.values, digits)}" for term in terms]
    return r"\begin{aligned}" + r"\\ ".join(lines) + r"\end{aligned}"


def step_table(eq: StepEquations):
    """Every vector of the step as rows of a table (columns = hidden units): for H too wide for LaTeX."""
    import pandas as pd

    rows, labels = [], []
    for block in eq.blocks:
        prefix = "" if block.name == "a" else f"{block.name}: "
        for term in (*block.terms, block.pre, block.out):
            labels.append(prefix + term.label)
            rows.append(np.round(np.asarray(term.values, dtype=float), DIGITS))
    for term in eq.update:
        labels.append("update: " + term.label)
        rows.append(np.round(np.asarray(term.values, dtype=float), DIGITS))
    return pd.DataFrame(np.vstack(rows), index=labels, columns=[f"unit {j + 1}" for j in range(eq.H)])


# --------------------------------------------------------------------------- why not an ANN (home page)


@dataclass(frozen=True)
class AnnVsRnn:
    """The seeds' argument for the current corpus: a padded one-hot input for an ANN vs a shared RNN cell."""

    B: int  # sentences
    T_max: int
    V: int
    H: int
    tokens: int  # real words in the batch (one 1 each)
    padded_input: int  # T_max · V numbers per sentence for the ANN
    padding_rows: int  # all-zero time steps added to reach T_max
    rows: int  # B · T_max
    ann_weights: int  # T_max·V·H + H
    rnn_weights: int  # the cell's count (SimpleRNN: V·H + H·H + H)
    rnn_formula: str  # plain text
    head_weights: int  # H + 1, the same Dense(1) on top of both

    @property
    def numbers(self) -> int:
        return self.rows * self.V

    @property
    def padding_share(self) -> float:
        """Share of the batch's numbers that sit in padding rows (all zeros)."""
        return self.padding_rows / self.rows if self.rows else 0.0

    @property
    def zero_share(self) -> float:
        """Share of zeros among all numbers of the padded one-hot batch (padding and one-hot zeros)."""
        return 1.0 - self.tokens / self.numbers if self.numbers else 0.0

    def ann_weights_for(self, T: int) -> int:
        return T * self.V * self.H + self.H


def param_formula(kind: str, V: int | None = None, H: int | None = None) -> str:
    """Keras' parameter count of a cell as the lecture writes it, from the registry (G gate blocks, B bias
    vectors per block): "V·H + H·H + H", "4·(V·H + H·H + H)", "3·(V·H + H·H + 2·H)"; with V and H also
    the numbers put in, "V·H + H·H + H = 5·3 + 3·3 + 3"."""
    cls = rv.cell_class(kind)
    G, B = cls.n_blocks, len(cls.bias_names)

    def formula(v: object, h: object) -> str:
        inner = f"{v}·{h} + {h}·{h} + " + (f"{B}·{h}" if B > 1 else f"{h}")
        return inner if G == 1 else f"{G}·({inner})"

    text = formula("V", "H")
    return text if V is None or H is None else f"{text} = {formula(V, H)}"


def ann_vs_rnn(lengths: Sequence[int], V: int, H: int, kind: str, rnn_weights: int) -> AnnVsRnn:
    """From the sentence lengths, V, H and the cell's parameter count (cell.num_params())."""
    lengths = [int(n) for n in lengths]
    T_max = max(lengths, default=0)
    rows = len(lengths) * T_max
    return AnnVsRnn(B=len(lengths), T_max=T_max, V=V, H=H, tokens=sum(lengths), padded_input=T_max * V,
                    padding_rows=rows - sum(lengths), rows=rows, ann_weights=T_max * V * H + H,
                    rnn_weights=int(rnn_weights), rnn_formula=param_formula(kind), head_weights=H + 1)


def weight_columns(cell: rv.Cell) -> list[str]:
    """Column names of W_xh / W_hh: "unit 1".. for a SimpleRNN, gate · unit ("f·2") for gated cells."""
    H = cell.hidden_size
    if not cell.gate_names:
        return [f"unit {u + 1}" for u in range(H)]
    return [f"{g}·{u + 1}" for g in cell.gate_names for u in range(H)]


PICK_COLOUR = "#d55e00"  # Okabe–Ito vermillion: the row that x_t picks
MAX_PICK_ROWS = 12  # the row-pick matrix is written out up to this many words…
MAX_PICK_COLS = 8  # …and this many columns


MAX_PICK_VECTOR = 6  # x_t written out as a row of 0s and 1s up to this many words


def _latin(word: str) -> bool:
    return all(ord(ch) < 0x250 for ch in word)


def row_pick_latex(x_t: Sequence[float], W: np.ndarray, token_id: int, words: Sequence[str], name: str,
                   digits: int = DIGITS) -> str:
    """x_t · W = W[id, :] written out: the one-hot row, W with its rows named by word and row `id`
    coloured and bold, and the picked row. `name` is the LaTeX name of W (e.g. W_{xh})."""
    V, H = W.shape
    if V <= MAX_PICK_VECTOR:
        x = r"\begin{bmatrix}" + " & ".join(str(round(float(v))) for v in x_t) + r"\end{bmatrix}"
    else:  # a long one-hot row would push the result off the screen
        x = rf"\operatorname{{one\text{{-}}hot}}({token_id})"
    rows, labels = [], []
    for j in range(V):
        cells = [fmt(v, digits) for v in W[j]]
        # KaTeX's fonts cover Latin letters; other scripts (Hebrew, Arabic, CJK…) are named by their id
        word = latex_text(shorten(words[j], 14)) if _latin(words[j]) else rf"\text{{id {j}}}"
        if j == token_id:
            cells = [rf"\textcolor{{{PICK_COLOUR}}}{{\mathbf{{{c}}}}}" for c in cells]
            word = rf"\textcolor{{{PICK_COLOUR}}}{{\mathbf{{{word}}}\;\rightarrow}}"
        rows.append(" & ".join(cells))
        labels.append(rf"\scriptsize {word}")
    matrix = r"\begin{bmatrix}" + r"\\ ".join(rows) + r"\end{bmatrix}"
    names = r"\begin{array}{r}" + r"\\ ".join(labels) + r"\end{array}"
    picked = latex_row(W[token_id], digits)
    return (rf"\underset{{x_t\;(1\times {V})}}{{{x}}} \cdot {names}\!\underset{{{name}\;({V}\times {H})}}"
            rf"{{{matrix}}} = {name}[{token_id},:] = {picked}")


# --------------------------------------------------------------------------- weights vs biases: 27 + 4 = 31


@dataclass(frozen=True)
class ParamSplit:
    """A many-to-one model's parameters (recurrent cell + Dense(1) head) counted one by one, so that a page
    can group them the lecture notes' way (weights vs biases) or Keras' way (per layer, bias included)."""

    kind: str
    W_xh: int  # D·G·H input weights (Keras' kernel)
    W_hh: int  # H·G·H recurrent weights (Keras' recurrent_kernel)
    cell_biases: tuple[tuple[str, int], ...]  # (("b_h", G·H),) or a GRU's (("b_xh", 3H), ("b_hh", 3H))
    w_o: int  # H output weights (the Dense layer's kernel)
    b_o: int  # 1 output bias

    @property
    def cell_weights(self) -> int:
        """What a weight heatmap of W_xh and W_hh draws."""
        return self.W_xh + self.W_hh

    @property
    def cell_bias_total(self) -> int:
        return sum(n for _, n in self.cell_biases)

    @property
    def cell_total(self) -> int:
        """Keras' count of the recurrent layer (its biases included): SimpleRNN(3) on 5 words → 27."""
        return self.cell_weights + self.cell_bias_total

    @property
    def head_total(self) -> int:
        """Keras' count of Dense(1): H weights + 1 bias."""
        return self.w_o + self.b_o

    @property
    def weights(self) -> int:
        """The lecture notes' "weights": every number that multiplies (W_xh, W_hh, w_o)."""
        return self.cell_weights + self.w_o

    @property
    def biases(self) -> int:
        """The lecture notes' "biases": every number that is added (the cell's biases and b_o)."""
        return self.cell_bias_total + self.b_o

    @property
    def total(self) -> int:
        return self.weights + self.biases

    @property
    def bias_names(self) -> str:
        """The cell's biases as a page names them: "b_h", "b_xh + b_hh"."""
        return " + ".join(name for name, _ in self.cell_biases)


def param_split(cell: rv.Cell, head: rv.SigmoidHead | None = None) -> ParamSplit:
    """Counted from the cell's own arrays (and the head's w_o; without a head, Keras' Dense(1) on H units)."""
    p = cell.params
    biases = tuple((name, int(p[name].size)) for name in cell.bias_names)
    w_o = int(np.size(head.w_o)) if head is not None else cell.hidden_size
    split = ParamSplit(kind=cell.kind, W_xh=int(p["W_xh"].size), W_hh=int(p["W_hh"].size), cell_biases=biases,
                       w_o=w_o, b_o=1)
    if split.cell_total != cell.num_params():
        raise ValueError(f"{cell.kind} has {cell.num_params()} parameters but W_xh, W_hh and "
                         f"{split.bias_names} add up to {split.cell_total}")
    return split


def weights_drawn(split: ParamSplit, html: bool = False) -> tuple[str, str]:
    """What the weight heatmaps draw and what they leave out, with the cell's own numbers: ("24 weights drawn
    (W_xh 15 + W_hh 9)", "+ the 3 biases b_h (not drawn) = Keras' 27 parameters of this layer"); with
    html=True the names carry Plotly's <sub> subscripts."""
    def name(n: str) -> str:
        return n.replace("_", "<sub>", 1) + "</sub>" if html else n

    biases = " + ".join(name(n) for n, _ in split.cell_biases)
    drawn = (f"{split.cell_weights} weights drawn ({name('W_xh')} {split.W_xh} + {name('W_hh')} "
             f"{split.W_hh})")
    rest = (f"+ the {split.cell_bias_total} biases {biases} (not drawn) = Keras' {split.cell_total} "
            "parameters of this layer")
    return drawn, rest


KERAS_LAYER_NAMES = {kind: cls.keras_name for kind, cls in rv.CELL_CLASSES.items()}  # model.summary()'s names


def param_split_rows(split: ParamSplit) -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """The same parameters grouped two ways, as (group, what it holds, count) rows ending with the total:
    the lecture notes' (weights = W_xh + W_hh + w_o, biases = the cell's biases + b_o) and Keras'
    model.summary() (the recurrent layer with its biases, then Dense(1) with its bias)."""
    cell_biases = " + ".join(f"{name} {n}" for name, n in split.cell_biases)
    notes = [("weights (they multiply)", f"W_xh {split.W_xh} + W_hh {split.W_hh} + w_o {split.w_o}",
              split.weights),
             ("biases (they are added)", f"{cell_biases} + b_o {split.b_o}", split.biases),
             ("total", "", split.total)]
    layer = KERAS_LAYER_NAMES.get(split.kind, split.kind.lower())
    two_rows = " (2 rows: input and recurrent side)" if len(split.cell_biases) > 1 else ""  # GRU reset_after
    keras = [(f"{layer} ({split.kind})", f"kernel {split.W_xh} + recurrent_kernel {split.W_hh} + "
              f"bias {split.cell_bias_total}{two_rows}", split.cell_total),
             ("dense (Dense)", f"kernel {split.w_o} + bias {split.b_o}", split.head_total),
             ("Total params", "", split.cell_total + split.head_total)]
    return notes, keras


def param_split_note(split: ParamSplit) -> str:
    """Why the two splits agree (same total) and, when their two numbers look alike, what differs."""
    total = (f"Both add up to **{split.total}**: the same {split.total} numbers, grouped differently "
             f"(weights {split.weights} + biases {split.biases} = {split.kind} {split.cell_total} + Dense "
             f"{split.head_total}).")
    if split.weights == split.cell_total:  # a SimpleRNN: H output weights, H biases b_h
        return (total + f" Careful, the two {split.weights}s are not the same numbers: the notes' "
                f"{split.weights} weights include the {split.w_o} output weights w_o and no bias; Keras' "
                f"{split.cell_total} is the {split.kind} layer, its {split.cell_bias_total} biases "
                f"{split.bias_names} included and w_o not (w_o is in Dense's {split.head_total}). They "
                f"match only because the layer has as many biases as the output has weights (H = "
                f"{split.w_o}).")
    return total


# --------------------------------------------------------------------------- the gradient check's verdict


def sci(x: float, digits: int = 1) -> str:
    """A number in short scientific notation: 3.2e-07 → "3.2e-7", 1e-06 → "1e-6" (digits = 0)."""
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{x:.{digits}e}").replace("e+", "e")


def gradcheck_verdict(rows: Sequence[dict], rel_tol: float, abs_tol: float) -> str:
    """The gradient check's sentence for the weights' rows (those whose "gradient of L with respect to" starts
    with "weight"), saying which test each passed: the relative error (≤ rel_tol), or, for gradients too
    small for a relative error to mean anything, the absolute error (≤ abs_tol), with the numbers."""
    weights = [r for r in rows if r["gradient of L with respect to"].startswith("weight")]
    if not weights:
        raise ValueError("the gradient check has no weight rows")
    name = {id(r): r["gradient of L with respect to"].removeprefix("weight ") for r in weights}
    rel = [r for r in weights if r["relative error"] <= rel_tol]
    rest = [r for r in weights if r["relative error"] > rel_tol]
    absolute = [r for r in rest if r["max |analytic − numeric|"] <= abs_tol]
    failed = [r for r in rest if r["max |analytic − numeric|"] > abs_tol]
    if failed:
        return ("Some derivatives disagree with finite differences: " + ", ".join(name[id(r)] for r in failed)
                + f" (neither the relative error ≤ {sci(rel_tol, 0)} nor the absolute error ≤ "
                f"{sci(abs_tol, 0)}; see the table).")
    parts = []
    if rel:
        worst = max(r["relative error"] for r in rel)
        k = int(np.ceil(np.log10(max(worst, 1e-16))))
        who = "the weights" if len(rel) == len(weights) else ", ".join(name[id(r)] for r in rel)
        parts.append(f"The analytic gradients of {who} agree with finite differences to 1e{k} in **relative "
                     f"error** (largest {sci(worst)}; the test asks ≤ {sci(rel_tol, 0)}).")
    if absolute:
        worst_abs = max(r["max |analytic − numeric|"] for r in absolute)
        worst_rel = max(r["relative error"] for r in absolute)
        smallest = min(r["‖analytic‖"] for r in absolute)
        who = ", ".join(name[id(r)] for r in absolute)
        lead = ("The analytic gradients of the weights agree with finite differences on the **absolute "
                "error**" if not rel else f"{who} passed on the **absolute error** instead")
        parts.append(f"{lead}: max |analytic − numeric| = {sci(worst_abs)} ≤ {sci(abs_tol, 0)}, while the "
                     f"relative error is up to {sci(worst_rel)} (above {sci(rel_tol, 0)}) because "
                     f"{'these gradients are' if len(absolute) > 1 else 'this gradient is'} tiny "
                     f"(‖∂L/∂W‖ as small as {sci(smallest)}) and central differences with ε = 10⁻⁶ are only "
                     "good to about 1e-10.")
    return " ".join(parts)


# --------------------------------------------------------------------------- does the word order matter?


@dataclass(frozen=True)
class OrderDemo:
    """The same words in reverse order: the RNN's prediction changes, a bag of words (Σ one-hot) does not."""

    yhat: float  # ŷ for the sentence as typed
    yhat_reversed: float  # ŷ for its words in reverse order (the bag of words Σ_t x_t is the same)


def order_demo(cell: rv.Cell, head: rv.SigmoidHead, x: np.ndarray, h0: np.ndarray | None = None,
               c0: np.ndarray | None = None) -> OrderDemo:
    """ŷ of the one-hot sentence x (T, V) and of x[::-1], through the same cell and head."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"x must be a (T, V) sentence with T ≥ 1, got shape {x.shape}")
    yhat = head.forward(cell.forward(x, h0, c0).h[-1])  # reads word 1 first
    yhat_rev = head.forward(cell.forward(x[::-1], h0, c0).h[-1])  # reads the last word first
    return OrderDemo(yhat=float(yhat), yhat_reversed=float(yhat_rev))


# --------------------------------------------------------------------------- the forward page's sentences


def prediction_verdict(yhat: float, label: float | None, weights: str = "seeded") -> str:
    """What ŷ says and whether it agrees with the label, for weights that are "seeded" (untrained random
    numbers: an agreement is luck), "trained" or "uploaded". One or two sentences of Markdown."""
    if weights not in ("seeded", "trained", "uploaded"):
        raise ValueError(f"weights must be 'seeded', 'trained' or 'uploaded', got {weights!r}")
    if not np.isfinite(yhat):
        return (f"ŷ is not a number ({yhat}): the hidden state overflowed, so this network predicts "
                "nothing.")
    says = "positive" if yhat >= 0.5 else "negative"  # the Dense head's threshold 0.5
    lead = f"ŷ = {fmt(yhat)} says **{says}**"
    if label is None:
        return (f"{lead}, but this sentence has no label to check it against (type “ | 1” or “ | 0” after "
                "it in the sidebar).")
    right = (yhat >= 0.5) == (label >= 0.5)
    label_text = f"the label is y = {int(label)}"
    if weights == "seeded":
        if right:
            return (f"{lead} and {label_text}: **right by chance**. The weights are seeded random numbers, "
                    "not trained, so the agreement is luck. Page 5 (Train) trains them.")
        return (f"{lead} but {label_text}: **wrong**, as a network with seeded random (untrained) weights "
                "often is. Page 5 (Train) trains them.")
    how = "trained" if weights == "trained" else "uploaded"
    verdict = "**right**" if right else "**wrong**"
    return f"{lead} and {label_text}: {verdict}, with the {how} weights."


def forget_bias_note(cell: rv.Cell) -> str | None:
    """Why b_f shows 1s while every other bias is 0 (an LSTM at its Keras initialisation); None otherwise."""
    if cell.kind != "LSTM":
        return None
    b = np.asarray(cell.b_h)  # (4H,): b_i, b_f, b_g, b_o
    b_f = cell.gate_block(b, "f")
    others = np.concatenate([cell.gate_block(b, g) for g in cell.gate_names if g != "f"])
    if not (np.all(b_f == 1.0) and np.all(others == 0.0)):
        return None
    open_f = 1.0 / (1.0 + np.exp(-1.0))  # σ(1): the forget gate with nothing else added
    return (f"**b_f = 1, every other bias 0**: Keras starts an LSTM so (unit_forget_bias=True; rnnviz "
            f"does the same). With nothing else added the forget gate is σ(1) = {open_f:.2f}, mostly open: "
            "the cell keeps most of its memory until training says otherwise.")


@dataclass(frozen=True, eq=False)
class ConcatForm:
    """One gate's pre-activation in the notes' form W·[h_{t−1}, x_t]: the glued row [h_{t−1}, x_t] times W_hh
    stacked on W_xh, and the two products it equals."""

    gate: str  # "a" (SimpleRNN), "f" (LSTM: the notes' f_t), "z" (GRU: the notes' z_t)
    t: int
    token_id: int
    hx: np.ndarray  # (H + V,): h_{t−1}, then the one-hot x_t
    W_shape: tuple[int, int]  # (H + V, H): W_hh's block over W_xh's
    product: np.ndarray  # (H,) = hx · W
    h_part: np.ndarray  # (H,) = h_{t−1} W_hh (this gate's block, from the trace)
    x_part: np.ndarray  # (H,) = x_t W_xh (this gate's block, from the trace)


CONCAT_GATE = {"SimpleRNN": "a", "LSTM": "f", "GRU": "z"}  # the gate the notes write as W·[h_{t−1}, x_t]


def concat_form(cell: rv.Cell, trace: rv.Trace, t: int) -> ConcatForm:
    """Step t (1-based) of `trace` in the concatenation form, computed by gluing and stacking."""
    if not 1 <= t <= trace.T:
        raise ValueError(f"time step t must lie in 1..{trace.T}, got {t}")
    gate = CONCAT_GATE[cell.kind]
    k = t - 1

    def block(arr: np.ndarray) -> np.ndarray:
        return arr if gate == "a" else cell.gate_block(arr, gate)

    hx = np.concatenate([trace.h_prev[k], trace.x[k]])  # (H + V,): [h_{t-1}, x_t]
    W = np.vstack([block(np.asarray(cell.W_hh)), block(np.asarray(cell.W_xh))])  # (H + V, H): [W_hh; W_xh]
    return ConcatForm(gate=gate, t=t, token_id=int(np.argmax(trace.x[k])), hx=hx, W_shape=W.shape,
                      product=hx @ W,  # (H,) one product instead of two
                      h_part=block(trace.h_part[k]), x_part=block(trace.x_part[k]))


def _one_hot_cells(x: np.ndarray, token_id: int, max_written: int = 8) -> list[str]:
    """A one-hot row's entries as array cells: all of them for a short row, else 0 ⋯ 0 1 0 ⋯ 0 with the
    1's position under it."""
    n = len(x)
    if n <= max_written:
        return [fmt(v, 0) for v in x]

    def zeros(n: int) -> list[str]:
        return [r"0\,\cdots\,0"] if n > 2 else ["0"] * n

    return [*zeros(token_id), rf"\underset{{{token_id}}}{{1}}", *zeros(n - 1 - token_id)]


def concat_latex(form: ConcatForm, digits: int = 2) -> str:
    """Aligned lines: the glued row with its numbers, then [h_{t−1}, x_t]·[W_hh; W_xh] = h_{t−1}W_hh +
    x_tW_xh, then the three vectors (vectors longer than MAX_LATEX_UNITS keep only the symbols)."""
    H = len(form.product)
    V = len(form.hx) - H
    sub = "" if form.gate == "a" else form.gate
    Whh, Wxh = (rf"W_{{h{sub}}}", rf"W_{{x{sub}}}") if sub else (r"W_{hh}", r"W_{xh}")
    glued = r"[h_{t-1},\, x_t]"
    stacked = rf"\begin{{bmatrix}}{Whh}\\ {Wxh}\end{{bmatrix}}"
    shape = rf"\underset{{(1\times {H + V})}}{{{glued}}}\,\underset{{({H + V}\times {H})}}{{{stacked}}}"
    sums = rf"h_{{t-1}}{Whh} + x_t{Wxh}"
    if H > MAX_LATEX_UNITS:
        return shape + " = " + sums
    h_cells = [fmt(v, digits) for v in form.hx[:H]]
    x_cells = _one_hot_cells(form.hx[H:], form.token_id)
    cols = "r" * H + "|" + "c" * len(x_cells)  # a bar between h_{t-1}'s numbers and x_t's
    row = (rf"{glued} &= \left[\begin{{array}}{{{cols}}}" + " & ".join(h_cells + x_cells)
           + r"\end{array}\right]")
    rows = (rf"{shape} &= {sums}\\ &= {latex_row(form.h_part, digits)} + {latex_row(form.x_part, digits)}"
            rf" = {latex_row(form.product, digits)}")
    return r"\begin{aligned}" + row + r"\\ " + rows + r"\end{aligned}"


def word_gap(tokens: Sequence[str], first: str, second: str) -> int | None:
    """How many words after the first `first` the next `second` comes (None if either is missing):
    "the clouds are in the sky": clouds → sky = 3."""
    words = [t.lower() for t in tokens]
    if first not in words:
        return None
    i = words.index(first)
    if second not in words[i + 1:]:
        return None
    return words.index(second, i + 1) - i


def gru_reset_before(cell: rv.Cell, trace: rv.Trace) -> np.ndarray:
    """The GRU candidate with r applied before the matrix, as the handwritten notes (Keras
    reset_after=False) write it, at the trace's own r_t and h_{t−1}: tanh(x_t W_xn + b_xn + (r_t ⊙ h_{t−1})
    W_hn + b_hn), (T, H)."""
    if cell.kind != "GRU":
        raise ValueError(f"the reset convention is a GRU's; got a {cell.kind}")
    r = trace.gates["r"]  # (T, H)
    W_hn = cell.gate_block(np.asarray(cell.W_hh), "n")  # (H, H)
    x_n = cell.gate_block(trace.x_part, "n") + cell.gate_block(np.asarray(cell.b_xh), "n")  # (T, H)
    return np.tanh(x_n + (r * trace.h_prev) @ W_hn + cell.gate_block(np.asarray(cell.b_hh), "n"))  # (T, H)


def gru_reset_gap(cell: rv.Cell, trace: rv.Trace) -> float:
    """max |h̃(r before the matrix) − h̃(r after)| over the sentence's steps and units."""
    return float(np.max(np.abs(gru_reset_before(cell, trace) - trace.gates["n"])))
