"""Gradient-flow analysis: exact Jacobian norms, the w_h experiment, finite differences, clipping.

The lecture's vanishing/exploding argument is a product of step Jacobians,
    dh_T/dh_t = ∏_{s=t+1}^{T} ∂h_s/∂h_{s-1},   ∂h_s/∂h_{s-1} = diag(f'(a_s)) W_hh^T  (SimpleRNN),
so ‖dh_T/dh_t‖ ≤ (γ·‖W_hh‖)^(T−t) with γ = max |f'|. Everything here computes these products exactly; the
running product is renormalised at every step and its scale kept as a log10, so a norm of 1e-400 or 1e+400
is still a number on the page, and a value past float range is flagged as overflow, never passed on as inf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .cells import Cell, Trace, global_norm, orthogonal, sigmoid

LOG10_MAX = float(np.log10(np.finfo(np.float64).max))  # ≈ 308.25: beyond this a float64 overflows


def _spectral_norm(m: np.ndarray) -> np.ndarray:
    """Largest singular value of each (…, a, b) matrix."""
    if m.shape[-1] == 1 or m.shape[-2] == 1:
        return np.sqrt(np.sum(m * m, axis=(-2, -1)))
    return np.linalg.svd(m, compute_uv=False)[..., 0]


def _log10(v: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log10(v)


def chain_log10_norms(A: np.ndarray, H: int, g: np.ndarray | None = None):
    """log10 ‖dh_T/dh_t‖ for every t from step Jacobians A (…, T, S, S), A[t] = ∂s_t/∂s_{t-1}.

    Only the h-block (the first H rows and columns of the state) is measured: for an LSTM h_t is perturbed
    with c_t held fixed, and later cell states respond through the full [h; c] products.
    With g (…, H) = dL/dh_T, also returns log10 ‖g · dh_T/dh_t‖ = log10 ‖dL/dh_t‖.
    """
    log_jac, log_g, _ = _chain(lambda t: A[..., t, :, :], A.shape[-3], A.shape[:-3], A.shape[-1], H, g)
    return log_jac, log_g


def _chain(A_at, T: int, batch: tuple, S: int, H: int, g: np.ndarray | None):
    """The backward product dh_T/dh_t = A_T ⋯ A_{t+1}, renormalised at every step (scale kept as log10).

    A_at(t) gives the (…, S, S) step Jacobian at t, so a batch of K grids never holds all T Jacobians at
    once. Returns (log10 ‖dh_T/dh_t‖, log10 ‖g·dh_T/dh_t‖ or None, the h-blocks of every A_t).
    """
    P = np.broadcast_to(np.eye(S), (*batch, S, S)).copy()  # running product, renormalised
    log_scale = np.zeros(batch)
    blocks = np.empty((*batch, T, H, H))
    factors = np.empty((*batch, T, H, H))
    scales = np.empty((*batch, T))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for t in range(T - 1, -1, -1):
            blocks[..., t, :, :] = P[..., :H, :H]  # dh_T/dh_t up to 10^scale
            scales[..., t] = log_scale
            A_t = A_at(t)
            factors[..., t, :, :] = A_t[..., :H, :H]  # ∂h_t/∂h_{t-1} with c_{t-1} held
            if t == 0:
                break
            P = P @ A_t  # dh_T/dh_{t-1} = dh_T/dh_t · ∂s_t/∂s_{t-1}
            s = np.sqrt(np.sum(P * P, axis=(-2, -1)))
            s = np.where((s > 0) & np.isfinite(s), s, 1.0)
            P = P / s[..., None, None]
            log_scale = log_scale + np.log10(s)
        finite = np.isfinite(blocks).all(axis=(-2, -1))
        safe = np.where(finite[..., None, None], blocks, 0.0)
        log_jac = np.where(finite, _log10(_spectral_norm(safe)) + scales, np.inf)
        log_g = None
        if g is not None:
            v = np.einsum("...h,...thk->...tk", g, safe)
            log_g = np.where(finite, _log10(np.sqrt(np.sum(v * v, axis=-1))) + scales, np.inf)
    return log_jac, log_g, factors


def jacobian_norms(cell: Cell, trace: Trace) -> np.ndarray:
    """(T,): entry t is the spectral norm of dh_T/dh_t (the last entry is 1); inf marks a float overflow."""
    log_jac, _ = chain_log10_norms(cell.step_jacobians(trace), cell.hidden_size)
    with np.errstate(over="ignore"):
        return np.where(log_jac > LOG10_MAX, np.inf, 10.0**log_jac)


# --------------------------------------------------------------------------------------------------------
# The w_h experiment
# --------------------------------------------------------------------------------------------------------

SWEEP_MODES = ("orthogonal", "rescale")


def _at_step(arrs, t: int):
    """The forward arrays of one time step, keeping a length-1 time axis: (1, K, …)."""
    if isinstance(arrs, dict):
        return {k: _at_step(v, t) for k, v in arrs.items()}
    return arrs[t : t + 1]


def recurrent_direction(cell: Cell, mode: str = "orthogonal", seed: int = 0) -> np.ndarray:
    """Q with W_hh = w_h · Q: each gate block of Q has spectral radius 1.

    "orthogonal": a fixed orthogonal matrix per gate block from `seed` (hidden size 1: exactly 1, the
    seeds' scalar w_h). "rescale": the cell's own W_hh with each block divided by its spectral radius.
    """
    H, G = cell.hidden_size, cell.n_blocks
    if mode == "orthogonal":
        if H == 1:
            return np.ones((1, G))
        rng = np.random.default_rng(seed)
        return np.concatenate([orthogonal(rng, H, H) for _ in range(G)], axis=1)
    if mode == "rescale":
        blocks = []
        for k in range(G):
            block = cell.W_hh[:, k * H : (k + 1) * H]
            rho = float(np.max(np.abs(np.linalg.eigvals(block))))
            if not rho > 0:
                raise ValueError(f"W_hh block {k} has spectral radius {rho}: it cannot be rescaled")
            blocks.append(block / rho)
        return np.concatenate(blocks, axis=1)
    raise ValueError(f"mode must be 'orthogonal' or 'rescale', got {mode!r}")


@dataclass(frozen=True, eq=False)
class WhSweep:
    """Exact gradient flow for a grid of K recurrent scales w_h on one sequence of T steps.

    Arrays are (K, T) with column t the time step h_t (0-based, so T-1-t steps back from the end), all as
    log10 so that nothing overflows: log10_jac = log10 ‖dh_T/dh_t‖, log10_loss_grad = log10 ‖dL/dh_t‖ for
    the many-to-one loss, log10_factor = log10 ‖∂h_t/∂h_{t-1}‖, log10_bound = (T−1−t)·log10(γ|w_h|)
    (SimpleRNN only), log10_forget = log10 max_j ∏_{s>t} f_s[j] (LSTM only: the cell-state path).
    overflow[k] is True when a value of row k is past float range (> 1.8e308) or the forward pass
    overflowed; overflow_step[k] is the first such time step t (-1 when none).
    """

    cell: str
    activation: str
    mode: str
    w_h: np.ndarray
    log10_jac: np.ndarray
    log10_loss_grad: np.ndarray
    log10_factor: np.ndarray
    log10_bound: np.ndarray | None
    log10_forget: np.ndarray | None
    gamma: float | None
    yhat: np.ndarray
    overflow: np.ndarray
    overflow_step: np.ndarray
    forward_overflow: np.ndarray

    @property
    def T(self) -> int:
        return self.log10_jac.shape[1]

    @property
    def steps_back(self) -> np.ndarray:
        return np.arange(self.T)[::-1]

    @staticmethod
    def _linear(log10: np.ndarray | None) -> np.ndarray | None:
        if log10 is None:
            return None
        with np.errstate(over="ignore"):
            return np.where(log10 > LOG10_MAX, np.inf, 10.0**log10)

    @property
    def jac_norm(self) -> np.ndarray:
        """‖dh_T/dh_t‖ as floats; an overflowed entry is inf and flagged in `overflow`."""
        return self._linear(self.log10_jac)

    @property
    def loss_grad_norm(self) -> np.ndarray:
        return self._linear(self.log10_loss_grad)

    @property
    def factor_norm(self) -> np.ndarray:
        return self._linear(self.log10_factor)

    @property
    def bound(self) -> np.ndarray | None:
        return self._linear(self.log10_bound)

    @property
    def forget_product(self) -> np.ndarray | None:
        return self._linear(self.log10_forget)

    def index_of(self, w_h: float) -> int:
        """Row of the grid value nearest to w_h."""
        return int(np.argmin(np.abs(self.w_h - w_h)))


def wh_sweep(cell: Cell, x, w_h, *, mode: str = "orthogonal", seed: int = 0, h0=None, c0=None,
             w_o=None, b_o: float = 0.0, y: float = 1.0) -> WhSweep:
    """Set W_hh = w_h · Q for every w_h of the grid and measure the exact gradient flow on x (T, D).

    One batched forward pass over the whole grid (no Python loop over w_h): the K recurrent products are
    w_h[k] · (h Q). The loss is the seeds' many-to-one head ŷ = σ(h_T w_o + b_o) with label y.
    """
    w = np.atleast_1d(np.asarray(w_h, dtype=np.float64))
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all():
        raise ValueError(f"w_h must be a finite number or 1-D grid, got shape {np.shape(w_h)}")
    Q = recurrent_direction(cell, mode, seed)
    base = cell.replace(W_hh=Q)
    x, h0v, c0v = base._check_inputs(x, h0, c0)
    K, H = w.size, cell.hidden_size
    scale = w[:, None]
    if w_o is None:
        w_o = np.full(H, 1.0 / np.sqrt(H))
    w_o = np.asarray(w_o, dtype=np.float64).reshape(-1)
    if w_o.shape != (H,):
        raise ValueError(f"w_o must have {H} values, got shape {w_o.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        arrs = base._forward(x, np.repeat(h0v[None], K, 0),
                             None if c0v is None else np.repeat(c0v[None], K, 0), scale)
        h_T = arrs["h"][-1]  # (K, H)
        yhat = sigmoid(h_T @ w_o + b_o)
        g_T = (yhat - y)[:, None] * w_o[None, :]  # dL/dh_T for binary cross-entropy
    fwd_bad = ~np.isfinite(arrs["h"]).all(axis=2).T  # (K, T)
    T = x.shape[0]
    S = cell.state_size

    def A_at(t: int) -> np.ndarray:  # (K, S, S): the step Jacobians of the whole grid at time t
        return base._jacobians(_at_step(arrs, t), scale)[0]

    log_jac, log_g, F = _chain(A_at, T, (K,), S, H, np.where(np.isfinite(g_T), g_T, 0.0))
    F_ok = np.isfinite(F).all(axis=(-2, -1))
    with np.errstate(invalid="ignore"):
        log_factor = np.where(F_ok, _log10(_spectral_norm(np.where(F_ok[..., None, None], F, 0.0))), np.inf)
    steps_back = np.arange(T)[::-1]
    log_bound = None
    gamma = cell.act_grad_max  # γ = max |f'|: only a SimpleRNN has the simple bound (γ·|w_h|)^(T−t)
    if gamma is not None:
        with np.errstate(invalid="ignore"):  # 0 · log10(0) at the last step: the bound there is 1
            log_bound = steps_back[None, :] * _log10(gamma * np.abs(w))[:, None]
        log_bound = np.where(steps_back[None, :] == 0, 0.0, log_bound)
    log_forget = None
    if cell.has_cell_state:
        log_f = _log10(arrs["gates"]["f"]).transpose(1, 0, 2)  # (K, T, H)
        # ∏_{s=t+1}^{T} f_s: a reversed cumulative sum of logs, shifted so that the last entry is 1
        rev = np.cumsum(log_f[:, ::-1], axis=1)[:, ::-1]
        tail = np.concatenate([rev[:, 1:], np.zeros((K, 1, H))], axis=1)
        log_forget = tail.max(axis=2)
    too_big = (log_jac > LOG10_MAX) | (log_g > LOG10_MAX) | fwd_bad | (log_factor > LOG10_MAX)
    overflow = too_big.any(axis=1)
    # the earliest time step at which a value left float range (the product grows backwards in time)
    last_bad = T - 1 - np.argmax(too_big[:, ::-1], axis=1)
    first_fwd = np.argmax(fwd_bad, axis=1)
    step = np.where(fwd_bad.any(axis=1), first_fwd, last_bad)
    return WhSweep(cell=cell.kind, activation=cell.activation, mode=mode, w_h=w,
                   log10_jac=log_jac, log10_loss_grad=log_g, log10_factor=log_factor, log10_bound=log_bound,
                   log10_forget=log_forget, gamma=gamma, yhat=np.where(np.isfinite(yhat), yhat, np.nan),
                   overflow=overflow, overflow_step=np.where(overflow, step, -1),
                   forward_overflow=fwd_bad.any(axis=1))


def regime(log10_jac_first: float, steps_back: int, vanish: float = -3.0, explode: float = 3.0) -> str:
    """'vanishing' / 'stable' / 'exploding' from log10 ‖dh_T/dh_1‖ over `steps_back` steps."""
    if steps_back <= 0:
        return "stable"
    if log10_jac_first <= vanish:
        return "vanishing"
    if log10_jac_first >= explode:
        return "exploding"
    return "stable"


# --------------------------------------------------------------------------------------------------------
# Finite differences and clipping
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GradCheck:
    """Analytic BPTT gradients beside central finite differences; rel_error per parameter."""

    analytic: Mapping[str, np.ndarray]
    numeric: Mapping[str, np.ndarray]
    rel_error: Mapping[str, float]
    max_abs_error: Mapping[str, float]
    eps: float

    @property
    def worst(self) -> float:
        return max(self.rel_error.values())

    def passed(self, tol: float = 1e-6) -> bool:
        return self.worst <= tol


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-12)."""
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))


def numeric_gradient(f: Callable[[np.ndarray], float], arr, eps: float = 1e-6) -> np.ndarray:
    """Central differences (f(a + ε e_i) − f(a − ε e_i)) / 2ε for every entry i of arr, in float64."""
    arr = np.array(arr, dtype=np.float64)
    num = np.empty_like(arr)
    for idx in np.ndindex(arr.shape):
        vals = []
        for sign in (1.0, -1.0):
            bumped = arr.copy()
            bumped[idx] += sign * eps
            vals.append(f(bumped))
        num[idx] = (vals[0] - vals[1]) / (2 * eps)
    return num


def gradcheck(cell: Cell, x, h0=None, c0=None, dh=None, *, eps: float = 1e-6, seed: int = 0,
              loss: Callable[[Trace], tuple[float, np.ndarray]] | None = None) -> GradCheck:
    """Compare cell.backward with central differences (L(θ+ε) − L(θ−ε)) / 2ε in float64.

    The loss is `loss(trace) -> (L, dL/dh)`, by default L = Σ dh ⊙ h with a seeded random dh (T, H).
    Also checks dL/dx and dL/dh0 (and dL/dc0 for an LSTM).
    """
    x = np.asarray(x, dtype=np.float64)
    if loss is None:
        if dh is None:
            dh = np.random.default_rng(seed).standard_normal((x.shape[0], cell.hidden_size))
        dh_fixed = np.asarray(dh, dtype=np.float64)

        def loss(tr: Trace) -> tuple[float, np.ndarray]:
            return float(np.sum(dh_fixed * tr.h)), dh_fixed

    def L(c: Cell, xx, hh, cc) -> float:
        return loss(c.forward(xx, hh, cc))[0]

    h0 = np.zeros(cell.hidden_size) if h0 is None else np.asarray(h0, dtype=np.float64)
    if cell.has_cell_state and c0 is None:
        c0 = np.zeros(cell.hidden_size)
    trace = cell.forward(x, h0, c0)
    grads = cell.backward(trace, loss(trace)[1])
    analytic = {**grads.params, "x": grads.dx, "h0": grads.dh0}
    if cell.has_cell_state:
        analytic["c0"] = grads.dc0
    numeric = {}
    for name in analytic:
        base = {"x": x, "h0": h0, "c0": c0}.get(name)
        arr = cell.params[name] if base is None else base
        if name in cell.params:
            numeric[name] = numeric_gradient(lambda a, n=name: L(cell.replace(**{n: a}), x, h0, c0), arr, eps)
        else:
            def bumped_input(a, n=name):
                args = {"x": x, "h0": h0, "c0": c0, n: a}
                return L(cell, args["x"], args["h0"], args["c0"])

            numeric[name] = numeric_gradient(bumped_input, arr, eps)
    return GradCheck(analytic=analytic, numeric=numeric,
                     rel_error={k: relative_error(analytic[k], numeric[k]) for k in analytic},
                     max_abs_error={k: float(np.max(np.abs(analytic[k] - numeric[k]))) for k in analytic},
                     eps=eps)


@dataclass(frozen=True, eq=False)
class Clipped:
    """Gradients after clipping by global norm: g ← g · min(1, max_norm / ‖g‖)."""

    grads: Mapping[str, np.ndarray]
    pre_norm: float
    post_norm: float
    max_norm: float
    clipped: bool


def clip_by_global_norm(grads, max_norm: float) -> Clipped:
    """Scale all gradients together so their global norm is at most max_norm (Keras' clipnorm on the set)."""
    if not (isinstance(max_norm, (int, float, np.floating)) and max_norm > 0 and np.isfinite(max_norm)):
        raise ValueError(f"max_norm must be a positive finite number, got {max_norm!r}")
    params = grads.params if hasattr(grads, "params") and not isinstance(grads, Mapping) else grads
    pre = global_norm(params.values())
    factor = 1.0 if pre <= max_norm else max_norm / pre
    out = {k: np.asarray(g, dtype=np.float64) * factor for k, g in params.items()}
    post = global_norm(out.values())
    return Clipped(grads=out, pre_norm=pre, post_norm=post, max_norm=float(max_norm), clipped=factor < 1.0)


__all__ = [
    "LOG10_MAX",
    "SWEEP_MODES",
    "Clipped",
    "GradCheck",
    "WhSweep",
    "chain_log10_norms",
    "clip_by_global_norm",
    "gradcheck",
    "jacobian_norms",
    "numeric_gradient",
    "recurrent_direction",
    "regime",
    "relative_error",
    "wh_sweep",
]
