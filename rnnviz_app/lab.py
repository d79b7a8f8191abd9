"""Pure helpers for the gates, BPTT and gradient-lab pages (no streamlit): presets from the lecture notes,
plain-language gate sentences, the many-to-one BPTT example with its finite-difference check and
gradient-descent steps, and the lab's inputs, w_h sweeps and clipping numbers.

Every number comes from the core (rnnviz); this module only chooses inputs and puts numbers into words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import rnnviz as rv
from rnnviz import presets

from .equations import md_escape
from .model import initial_state, make_cell

# --------------------------------------------------------------------------------------------------------
# Presets (the lecture notes' LSTM/GRU examples)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    text: str  # goes into the corpus box as is (one line = one sentence)
    trained: str = ""  # the network of rnnviz.presets it loads ("riya_lstm", "riya_gru"); "" = untrained


PRESETS: tuple[Preset, ...] = (
    Preset("riya", "Riya · Delhi · London", presets.RIYA_TEXT, "riya_lstm"),
    Preset("riya_gru", "GRU keep vs update", presets.RIYA_GRU_TEXT, "riya_gru"),
    Preset("clouds", "Clouds in the sky", "The clouds are in the sky"),
)
PRESET_BY_KEY: dict[str, Preset] = {p.key: p for p in PRESETS}
TRAINED_PRESETS = {"riya_lstm": presets.riya_lstm, "riya_gru": presets.riya_gru}  # trained once per process


def trained_note(kind: str, trace: rv.Trace, tokens: Sequence[str]) -> str:
    """What a trained Riya preset does on the sentence on screen, in numbers and words: the forget gate
    (LSTM) or update gate (GRU) on the units that hold the city; "" when the sentence does not name Delhi
    and then London."""
    gate = "f" if kind == "LSTM" else "z"
    g = presets.gate_numbers(trace, tokens, gate)
    if g is None:
        return ""
    units = " and ".join(str(u + 1) for u in g["units"])
    second, between = g["second_city"], g["between"]
    if kind == "LSTM":
        return (f"**At ‘london’ the forget gate of the city units (units {units}) is f = {second:.2f}**: "
                f"{1 - second:.0%} of what they held about Delhi is dropped and the input gate writes "
                f"London. On the other words after ‘delhi’ it is {g['elsewhere']:.2f} on average: the city "
                "is kept. (The handwritten notes' illustration: Delhi → 0.10 at the new city.)")
    return (f"**Update gate z of the city units (units {units})**: {between:.2f} on average between ‘delhi’ "
            f"and ‘london’ — the past is kept — and {second:.2f} at ‘london’ — replaced by the new city. "
            "These are PyTorch's and Keras' z (hₜ = (1 − z)·h̃ + z·hₜ₋₁: z near 1 keeps hₜ₋₁). The "
            "handwritten notes write hₜ = (1 − z)·hₜ₋₁ + z·h̃, so their z is our 1 − z: "
            f"{1 - between:.2f} between the cities and {1 - second:.2f} at ‘london’. (Their worked example's "
            "numbers, 0.9 “keep the past” and 0.1 “update”, read like our z.)")


# --------------------------------------------------------------------------------------------------------
# Gates in words
# --------------------------------------------------------------------------------------------------------


def step_label(tokens: Sequence[str], t: int) -> str:
    """Axis label of 0-based step t: "t=2 · was"."""
    return f"t={t + 1} · {tokens[t]}"


def share_phrase(mean: float, what: str, verb: str = "kept") -> str:
    """Words for a mean gate value in [0, 1]: the share of `what` that is `verb`."""
    if mean < 0.1:
        return f"almost none of {what} is {verb}"
    if mean < 0.4:
        return f"most of {what} is not {verb}"
    if mean <= 0.6:
        return f"about half of {what} is {verb}"
    if mean <= 0.9:
        return f"most of {what} is {verb}"
    return f"almost all of {what} is {verb}"


def gate_sentence(trace: rv.Trace, tokens: Sequence[str], t: int, prefix: bool = True) -> str:
    """One plain-language line for 0-based step t, computed from the gate values (means over units);
    prefix=False leaves out the leading "t = 4 ‘london’:"."""
    head = f"t = {t + 1} ‘{tokens[t]}’:" if prefix else ""
    g = {k: float(np.mean(v[t])) for k, v in trace.gates.items()}
    if trace.cell == "LSTM":
        f, i, o = g["f"], g["i"], g["o"]
        forget = ("most of the cell state is replaced" if f < 0.4 and i >= 0.5
                  else share_phrase(f, "the cell state", "kept"))
        body = (f"mean forget gate f = {f:.2f} — {forget} (on average {f:.0%} of each value of cₜ₋₁ "
                f"survives); input gate i = {i:.2f} — {share_phrase(i, 'the candidate c̃', 'written in')}; "
                f"output gate o = {o:.2f} — {share_phrase(o, 'tanh(cₜ)', 'let out as h')}.")
    elif trace.cell == "GRU":
        z, r = g["z"], g["r"]
        keep = ("h mostly takes the new candidate h̃" if z < 0.4
                else "h is a mix of the old state and the candidate h̃" if z <= 0.6
                else "h mostly keeps the old state hₜ₋₁")
        body = (f"mean update gate z = {z:.2f} — {keep} "
                f"(hₜ = (1 − z)·h̃ + z·hₜ₋₁: {z:.0%} of the old state is kept); "
                f"reset gate r = {r:.2f} — {share_phrase(r, 'hₜ₋₁', 'used by the candidate')}.")
    elif trace.activation == "relu":
        on = int(np.sum(trace.pre["a"][t] > 0))
        body = (f"hₜ = relu(aₜ): {on} of {trace.H} units are on (a > 0); "
                f"no gate decides what to keep — every step overwrites h.")
    else:
        h = trace.h[t]
        sat = int(np.sum(np.abs(h) > 0.9))
        body = (f"hₜ = tanh(aₜ), mean |h| = {float(np.mean(np.abs(h))):.2f}, {sat} of {trace.H} units "
                f"saturated (|h| > 0.9); no gate decides what to keep — every step overwrites h.")
    return f"{head} {body}" if prefix else body


# --------------------------------------------------------------------------------------------------------
# BPTT (many-to-one, the seeds' sentiment example)
# --------------------------------------------------------------------------------------------------------


def many_to_one_loss(head: rv.SigmoidHead, y: float):
    """The seeds' loss as a callable for rv.gradcheck: trace → (L, dL/dh) with dL/dh zero except at T."""

    def loss(trace: rv.Trace) -> tuple[float, np.ndarray]:
        step = head.backward(trace.h[-1], y)
        dh = np.zeros_like(trace.h)
        dh[-1] = step.dh_T
        return step.loss, dh

    return loss


def descend(cell, head: rv.SigmoidHead, x, y: float, h0, c0, lr: float, n: int):
    """n gradient-descent steps from (cell, head); returns the n + 1 ManyToOne examples and the last
    (cell, head). Deterministic: the same inputs give the same path."""
    if n < 0:
        raise ValueError(f"the number of steps must be >= 0, got {n}")
    examples = [rv.many_to_one(cell, head, x, y, h0, c0)]
    for _ in range(n):
        cell, head = rv.sgd_step(cell, head, examples[-1], lr)
        examples.append(rv.many_to_one(cell, head, x, y, h0, c0))
    return examples, cell, head


def state_factor_norms(cell, trace: rv.Trace) -> np.ndarray:
    """(T,) spectral norm of each step Jacobian ∂s_t/∂s_{t−1} (s = h, or [h; c] for an LSTM)."""
    A = cell.step_jacobians(trace)
    return np.linalg.svd(A, compute_uv=False)[:, 0]


def entry_sums(per_step: np.ndarray) -> np.ndarray:
    """(T,) the signed sum of the entries of each δ_t (adds up over t to the sum of the gradient)."""
    return per_step.reshape(per_step.shape[0], -1).sum(axis=1)


def frobenius(per_step: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(per_step.reshape(per_step.shape[0], -1) ** 2, axis=1))


def per_step_rows(ex: rv.ManyToOne, factor_norms: np.ndarray, tokens: Sequence[str],
                  names: Sequence[str] = ("W_hh", "W_xh")) -> list[dict[str, Any]]:
    """The BPTT table: per step the word, ‖∂L/∂h_t‖, ‖∂s_t/∂s_{t−1}‖ and each δ_t (entry sum, norm); then
    the row Σ over t and the row of the analytic gradient (the two agree)."""
    dh = np.linalg.norm(ex.grads.dh, axis=1)
    rows = []
    for t, tok in enumerate(tokens):
        row = {"step": f"t={t + 1}", "word": tok, "‖∂L/∂hₜ‖": float(dh[t]),
               "‖∂hₜ/∂hₜ₋₁‖": float(factor_norms[t])}
        for n in names:
            per = ex.grads.per_step[n][t]
            row[f"Σ entries δₜ({n})"] = float(per.sum())
            row[f"‖δₜ({n})‖"] = float(np.linalg.norm(per))
        rows.append(row)
    total = {"step": "Σ over t", "word": "", "‖∂L/∂hₜ‖": None, "‖∂hₜ/∂hₜ₋₁‖": None}
    grad = {"step": "∂L/∂W", "word": "(BPTT total)", "‖∂L/∂hₜ‖": None, "‖∂hₜ/∂hₜ₋₁‖": None}
    for n in names:
        per, g = ex.grads.per_step[n], ex.grads.params[n]
        total[f"Σ entries δₜ({n})"] = float(entry_sums(per).sum())
        total[f"‖δₜ({n})‖"] = float(np.linalg.norm(per.sum(axis=0)))
        grad[f"Σ entries δₜ({n})"] = float(g.sum())
        grad[f"‖δₜ({n})‖"] = float(np.linalg.norm(g))
    return [*rows, total, grad]


def total_grad_norm(ex: rv.ManyToOne) -> float:
    """The global norm of the whole gradient: the cell's weights and the head's w_o, b_o."""
    sq = sum(float(np.sum(np.square(g))) for g in (*ex.grads.params.values(), *ex.head.grads.values()))
    return float(np.sqrt(sq))


def sum_gap(ex: rv.ManyToOne, name: str) -> float:
    """max |Σ_t δ_t − ∂L/∂W| over the entries: how exactly the per-step terms add up to the gradient."""
    return float(np.max(np.abs(ex.grads.per_step[name].sum(axis=0) - ex.grads.params[name])))


def head_gradcheck(head: rv.SigmoidHead, h_T, y: float, eps: float = 1e-6) -> dict[str, tuple[float, float]]:
    """(relative error, max |error|) of dL/dw_o and dL/db_o against central finite differences."""
    analytic = head.backward(h_T, y).grads
    out = {}
    for name, value in head.params.items():
        num = rv.numeric_gradient(lambda a, n=name: head.replace(**{n: a}).backward(h_T, y).loss, value, eps)
        a = np.asarray(analytic[name])
        out[name] = (rv.relative_error(a, num), float(np.max(np.abs(a - num))))
    return out


GRADCHECK_REL_TOL = 1e-6  # relative error at which analytic and numeric gradients "agree"
GRADCHECK_ABS_TOL = 1e-8  # … or absolute error, for gradients so small that float noise dominates


def gradcheck_cost(cell, T: int) -> int:
    """About how many time steps the finite-difference check runs (2 forward passes per number)."""
    n = sum(int(np.size(p)) for p in cell.params.values()) + T * cell.input_size + cell.hidden_size
    return 2 * n * T


def gradcheck_rows(check: rv.GradCheck, head_errors: Mapping[str, tuple[float, float]],
                   analytic_head: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    """One row per checked array: what it is, ‖analytic‖, relative and absolute error, and the verdict."""
    rows = []
    items = [(k, check.analytic[k], check.rel_error[k], check.max_abs_error[k]) for k in check.analytic]
    items += [(k, np.asarray(analytic_head[k]), *head_errors[k]) for k in head_errors]
    for name, a, rel, err in items:
        what = {"x": "input x (the one-hot words)", "h0": "initial state h₀", "c0": "initial cell state c₀"}
        ok = rel <= GRADCHECK_REL_TOL or err <= GRADCHECK_ABS_TOL
        rows.append({"gradient of L with respect to": what.get(name, f"weight {name}"),
                     "shape": "×".join(str(d) for d in np.shape(a)) or "scalar",
                     "‖analytic‖": float(np.linalg.norm(a)), "relative error": float(rel),
                     "max |analytic − numeric|": float(err),
                     "agrees": "✓ yes" if ok else "✗ no"})
    return rows


def agreement_exponent(rows: Sequence[Mapping[str, Any]]) -> int:
    """k such that every weight's relative error is below 10^k (the "agrees to 1e-9" of the page)."""
    weights = [r for r in rows if r["gradient of L with respect to"].startswith("weight")]
    worst = max((r["relative error"] for r in weights), default=0.0)
    return int(np.ceil(np.log10(max(worst, 1e-16))))


# --------------------------------------------------------------------------------------------------------
# The gradient lab
# --------------------------------------------------------------------------------------------------------

WH_MAX = 3.0
WH_GRID = np.round(np.linspace(0.0, WH_MAX, 61), 10)  # 0, 0.05, …, 3 for the phase diagram
SWEEP_MODE = "orthogonal"  # W_hh = w_h · Q, Q orthogonal per gate block (hidden size 1: the scalar w_h)


@dataclass(frozen=True)
class LabSpec:
    """Everything the lab's numbers depend on except w_h (hashable: the key of the sweep cache)."""

    cell: str
    activation: str
    V: int
    H: int
    seed: int
    h0: str  # "zeros" | "random"
    source: str  # "sentence" | "generated"
    ids: tuple[int, ...]
    y: float  # the label of the many-to-one loss: the sentence's, else 0 (a generated sequence has none)
    custom: Any = field(default=None, compare=False)  # uploaded weights (weights_io.CustomWeights) or None
    custom_digest: str = ""  # identifies the upload in equality and hashing

    @property
    def T(self) -> int:
        return len(self.ids)

    def mode(self, kind: str) -> str:
        """Uploaded weights keep their own W_hh, rescaled to spectral radius w_h; seeded cells use w_h·Q."""
        if self.custom is None or kind != self.cell:
            return SWEEP_MODE
        try:
            rv.recurrent_direction(self.custom.cell, "rescale")
        except ValueError:  # a W_hh block of spectral radius 0 cannot be rescaled: use w_h·Q instead
            return SWEEP_MODE
        return "rescale"


def generated_ids(V: int, T: int, seed: int, drive: np.ndarray | None = None) -> tuple[int, ...]:
    """T token ids drawn at random (seeded) from a vocabulary of V words.

    With `drive` (V, H) = x W_xh + b for each word (the ReLU case), only words that switch on the largest
    number of units are drawn, so the input itself never turns the units off.
    """
    if V < 1 or T < 1:
        raise ValueError(f"need V >= 1 and T >= 1, got V={V}, T={T}")
    pool = np.arange(V)
    if drive is not None:
        on = (np.asarray(drive) > 0).sum(axis=1)
        pool = np.flatnonzero(on == on.max())
    rng = np.random.default_rng([seed, 2024])
    return tuple(int(i) for i in pool[rng.integers(0, pool.size, T)])


def lab_spec(settings: Mapping[str, Any], V: int, sentence_ids: Sequence[int],
             label: float | None, custom: Any = None) -> LabSpec:
    """The lab's input: the sidebar's sentence, or a generated sequence of settings["lab_T"] words.

    With uploaded weights (`custom`, a weights_io.CustomWeights) the lab cell is the uploaded one.
    """
    kind, act, H, seed = settings["lab_cell"], settings["lab_act"], settings["hidden"], settings["seed"]
    if custom is not None:
        kind, H = custom.cell.kind, custom.cell.hidden_size
        act = getattr(custom.cell, "activation", act)
    if settings["lab_len"] == "sentence":
        ids, y = tuple(int(i) for i in sentence_ids), 0.0 if label is None else float(label)
    else:
        drive = None
        if kind == "SimpleRNN" and act == "relu":
            cell = custom.cell if custom is not None else make_cell(kind, V, H, act, seed)
            drive = cell.W_xh + cell.b_h
        ids, y = generated_ids(V, int(settings["lab_T"]), seed, drive), 0.0
    return LabSpec(cell=kind, activation=act, V=V, H=H, seed=seed, h0=settings["h0"],
                   source=settings["lab_len"], ids=ids, y=y, custom=custom,
                   custom_digest="" if custom is None else custom.digest)


@dataclass(frozen=True, eq=False)
class LabModel:
    cell: Any
    head: rv.SigmoidHead
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray | None
    Q: np.ndarray  # W_hh = w_h · Q


def lab_model(spec: LabSpec, kind: str | None = None) -> LabModel:
    """The cell (of `kind`, default spec.cell), head, one-hot input and initial state of the lab."""
    kind = kind or spec.cell
    head = rv.SigmoidHead.init(spec.H, spec.seed)
    if spec.custom is not None and kind == spec.cell:
        cell = spec.custom.cell
        head = spec.custom.head or head
    else:
        cell = make_cell(kind, spec.V, spec.H, spec.activation, spec.seed)
    h0 = initial_state(spec.h0, spec.H, spec.seed)
    c0 = initial_state(spec.h0, spec.H, spec.seed + 1) if kind == "LSTM" else None
    Q = rv.recurrent_direction(cell, spec.mode(kind), spec.seed)
    return LabModel(cell=cell, head=head, x=rv.one_hot_ids(spec.ids, spec.V), h0=h0, c0=c0, Q=Q)


def sweep(spec: LabSpec, w_h, kind: str | None = None) -> rv.WhSweep:
    """rv.wh_sweep of the lab model over w_h (a number or a grid) with the head's many-to-one loss."""
    m = lab_model(spec, kind)
    return rv.wh_sweep(m.cell, m.x, w_h, mode=spec.mode(kind or spec.cell), seed=spec.seed, h0=m.h0, c0=m.c0,
                       w_o=m.head.w_o, b_o=m.head.b_o, y=spec.y)


def clip_at(spec: LabSpec, w_h: float, max_norm: float) -> rv.Clipped:
    """Global-norm clipping of the many-to-one BPTT gradient (cell and head) at W_hh = w_h · Q."""
    m = lab_model(spec)
    cell = m.cell.replace(W_hh=w_h * m.Q)
    with np.errstate(over="ignore", invalid="ignore"):
        ex = rv.many_to_one(cell, m.head, m.x, spec.y, m.h0, m.c0)
        return rv.clip_by_global_norm({**ex.grads.params, **ex.head.grads}, max_norm)


def first_zero_step(log10_row: np.ndarray) -> int:
    """Latest 0-based step t at which ‖dh_T/dh_t‖ is exactly 0 (the chain is cut there), −1 if none."""
    zero = np.flatnonzero(np.isneginf(log10_row))
    return int(zero.max()) if zero.size else -1


def fmt_pow(log10: float) -> str:
    """10**log10 as text, also beyond float range: 3.2e-11, 1.0e+400, 0, overflow."""
    if np.isneginf(log10):
        return "0"
    if not np.isfinite(log10):
        return "overflow"
    e = int(np.floor(log10))
    m = 10 ** (log10 - e)
    if m >= 9.995:
        m, e = 1.0, e + 1
    return f"{m:.1f}e{e:+03d}"


def fmt_float(v: float) -> str:
    """A norm for a metric: 4 significant digits, scientific when large or small; inf is an overflow."""
    if not np.isfinite(v):
        return "overflow (> 1.8e308)"
    return f"{v:.4g}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.2e}"


@dataclass(frozen=True)
class Regime:
    name: str  # "vanishing" | "stable" | "exploding" | "cut"
    text: str  # the numbers that decide it


def regime_of(point: rv.WhSweep, row: int = 0) -> Regime:
    """The regime badge for one row of a sweep, from ‖dh_T/dh_1‖ over T−1 steps (rv.regime)."""
    T = point.T
    lj = float(point.log10_jac[row, 0])
    steps = T - 1
    if point.overflow[row]:
        return Regime("exploding", f"‖dh_T/dh_t‖ overflows float range (> 1.8e308) at t = "
                                   f"{int(point.overflow_step[row]) + 1}")
    if steps == 0:
        return Regime("stable", "one time step: there is nothing to go back through")
    if np.isneginf(lj):
        t0 = first_zero_step(point.log10_jac[row])  # the latest t with dh_T/dh_t = 0
        if point.w_h[row] == 0:
            return Regime("cut", "W_hh = 0: no hₜ depends on hₜ₋₁, so ‖dh_T/dh_t‖ = 0 exactly for every "
                                 "t < T — nothing flows back")
        if point.activation == "relu" and point.cell == "SimpleRNN":
            why = f"at t = {t0 + 2} every ReLU unit is off (a ≤ 0, a 'dead' step)"
        else:
            why = f"the step Jacobian at t = {t0 + 2} is exactly zero"
        return Regime("cut", f"{why}, so ‖dh_T/dh_t‖ = 0 exactly for t ≤ {t0 + 1}: no gradient reaches "
                             "further back")
    name = rv.regime(lj, steps)
    return Regime(name, f"‖dh_T/dh_1‖ = {fmt_pow(lj)} after {steps} steps back")


@dataclass(frozen=True, eq=False)
class LabPoint:
    """Everything the lab shows for one w_h (what a slider move recomputes; the grid sweep is cached)."""

    spec: LabSpec
    w_h: float
    point: rv.WhSweep  # the lab cell at exactly w_h (K = 1)
    cells: Mapping[str, rv.WhSweep]  # SimpleRNN, LSTM and GRU at the same w_h on the same input
    clipped: rv.Clipped  # the many-to-one gradient at w_h, clipped at the threshold (1 when clipping is off)
    regime: Regime


def lab_point(spec: LabSpec, w_h: float, clip: float = 0.0) -> LabPoint:
    point = sweep(spec, w_h)
    cells = {kind: point if kind == spec.cell else sweep(spec, w_h, kind=kind)
             for kind in ("SimpleRNN", "LSTM", "GRU")}
    return LabPoint(spec=spec, w_h=float(w_h), point=point, cells=cells,
                    clipped=clip_at(spec, w_h, clip if clip > 0 else 1.0), regime=regime_of(point))


def lab_tokens(spec: LabSpec, vocab_tokens: Sequence[str]) -> list[str]:
    return [vocab_tokens[i] for i in spec.ids]


# --------------------------------------------------------------------------------------------------------
# The lab in words: what the regimes are on this input, what the headline and the metric measure, and
# where each setting comes from
# --------------------------------------------------------------------------------------------------------


def regime_ranges(grid: rv.WhSweep) -> list[tuple[str, float, float]]:
    """The sweep's rows (ascending w_h) grouped into runs of one regime: (name, first w_h, last w_h)."""
    runs: list[tuple[str, float, float]] = []
    for k, w in enumerate(grid.w_h):
        name = regime_of(grid, k).name
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1], float(w))
        else:
            runs.append((name, float(w), float(w)))
    return runs


def _span(lo: float, hi: float) -> str:
    return f"w_h = {lo:g}" if lo == hi else f"w_h {lo:g}–{hi:g}"


def regime_summary(grid: rv.WhSweep) -> str:
    """Every regime of the grid in one sentence, e.g. "cut at w_h = 0 · vanishing for w_h 0.05–3 · never
    exploding"; for a tanh SimpleRNN that never explodes, why (tanh′ ≤ 1 and it saturates)."""
    parts = [f"{name} for {_span(lo, hi)}" for name, lo, hi in regime_ranges(grid)]
    names = {name for name, _, _ in regime_ranges(grid)}
    if "exploding" not in names:
        parts.append("never exploding")
    text = " · ".join(parts)
    if grid.cell == "SimpleRNN" and grid.activation == "tanh" and "exploding" not in names:
        text += (". tanh′ ≤ 1, and the larger w_h, the more the units saturate (tanh′ → 0): the ceiling "
                 "(γ·w_h)ᵏ is never reached, so tanh alone does not explode here")
    elif grid.cell == "SimpleRNN" and grid.activation == "relu" and "exploding" in names:
        text += (". ReLU′ = 1 wherever a unit is on, so the ceiling (γ·w_h)ᵏ is reached and w_h > 1 "
                 "explodes: the lecture's point")
    return text + "."


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def ceiling_sentence(point: rv.WhSweep, row: int = 0) -> str:
    """‖dh_T/dh_1‖ beside its ceiling (γ·w_h)^(T−1) at one w_h (a SimpleRNN's bound); "" without a bound."""
    if point.log10_bound is None or point.T < 2:
        return ""
    actual, bound = float(point.log10_jac[row, 0]), float(point.log10_bound[row, 0])
    power = str(point.T - 1).translate(SUPERSCRIPT)
    return (f"At w_h = {float(point.w_h[row]):.2f}: ‖dh_T/dh_1‖ = {fmt_pow(actual)}, its ceiling "
            f"(γ·w_h){power} = {fmt_pow(bound)}: a ceiling, not a forecast.")


def badge_vs_metric(point: rv.WhSweep, grad_norm: float) -> str:
    """Why the regime headline and the ‖∂L/∂θ‖ metric can disagree: they measure different things."""
    lj = float(point.log10_jac[0, 0])
    return (f"The headline above the chart reads only ‖dh_T/dh_1‖ = {fmt_pow(lj)}: how much the first word "
            "can still move the last state (vanishing ≤ 1e-3 < stable < 1e3 ≤ exploding). ‖∂L/∂θ‖ = "
            f"{fmt_float(grad_norm)} is the size of the whole weight gradient, a sum over all {point.T} "
            "steps: the last few steps can make it large while the far ones vanish, so the two can "
            "disagree.")


def differs_from_sidebar(settings: Mapping[str, Any]) -> bool:
    """The lab's cell (or a SimpleRNN's activation) is not the sidebar's."""
    if settings["lab_cell"] != settings["cell"]:
        return True
    return settings["cell"] == "SimpleRNN" and settings["lab_act"] != settings["act"]


def settings_source(settings: Mapping[str, Any], spec: LabSpec, sentence: str, label: float | None) -> str:
    """Where each of the lab's settings comes from (Markdown): its own cell, activation and input, the
    sidebar's H, seed and h₀ (and what the sidebar says when the two differ). `sentence` and `label` are
    the sidebar's."""
    def cell_name(kind: str, act: str) -> str:
        return f"{kind} ({act})" if kind == "SimpleRNN" else kind

    if spec.custom is not None:
        cell = f"your uploaded {spec.cell}, H = {spec.H} (page 7)"
    else:
        cell = f"{cell_name(spec.cell, spec.activation)} (the lab's own choice above)"
    if spec.source == "sentence":
        y = f"label y = {int(label)}" if label is not None else "no label, so y = 0"
        source = f"the sidebar's sentence “{md_escape(sentence)}” ({spec.T} words, {y})"
    else:
        source = f"{spec.T} generated words (seeded), label y = 0"
    text = (f"**The lab runs**: cell {cell} · input: {source} · H = {spec.H}, seed {spec.seed} and "
            f"h₀ {spec.h0} from the sidebar.")
    if spec.custom is None and differs_from_sidebar(settings):
        text += (f" The sidebar's cell is {cell_name(settings['cell'], settings['act'])}: the lab does not "
                 "follow it.")
    return text
