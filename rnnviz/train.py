"""Output heads, losses and a training loop (SGD exactly as the seeds write it, and Adam).

Many-to-one (the seeds' sentiment example):  ŷ = σ(h_T w_o + b_o),  L = −y log ŷ − (1−y) log(1−ŷ).
Many-to-many: ŷ_t = softmax(h_t W_hy + b_y) at every step, L = mean_t −log ŷ_t[y_t].
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .analysis import clip_by_global_norm
from .cells import Grads, ReadOnlyDict, Trace, _Cell, glorot_uniform, sigmoid


def bce(yhat: float, y: float) -> float:
    """Binary cross-entropy L = −y log ŷ − (1−y) log(1−ŷ) (ŷ clipped to [1e-15, 1 − 1e-15])."""
    p = float(np.clip(yhat, 1e-15, 1 - 1e-15))
    return float(-y * np.log(p) - (1 - y) * np.log(1 - p))


@dataclass(frozen=True, eq=False)
class SigmoidHead:
    """The many-to-one output ŷ = σ(h_T w_o + b_o); w_o (H,), the lecture's (3, 1) weights."""

    w_o: np.ndarray
    b_o: float = 0.0

    @classmethod
    def init(cls, hidden_size: int, seed: int = 0) -> SigmoidHead:
        """Keras' Dense(1) initialisation: Glorot-uniform w_o, zero bias."""
        rng = np.random.default_rng([seed, 1])
        return cls(glorot_uniform(rng, hidden_size, 1)[:, 0], 0.0)

    def num_params(self) -> int:
        return self.w_o.size + 1

    def forward(self, h_T: np.ndarray) -> float:
        return float(sigmoid(np.asarray(h_T) @ self.w_o + self.b_o))

    def backward(self, h_T: np.ndarray, y: float) -> HeadStep:
        h_T = np.asarray(h_T, dtype=np.float64)
        z = float(h_T @ self.w_o + self.b_o)  # logit
        yhat = float(sigmoid(z))
        dz = yhat - y  # dL/dz for σ + binary cross-entropy
        with np.errstate(divide="ignore"):
            dyhat = (yhat - y) / (yhat * (1 - yhat)) if 0 < yhat < 1 else np.inf * np.sign(yhat - y)
        return HeadStep(yhat=yhat, loss=bce(yhat, y), logit=z, dL_dyhat=float(dyhat), dL_dz=dz,
                        grads={"w_o": dz * h_T, "b_o": np.array(dz)}, dh_T=dz * self.w_o)

    def replace(self, **params) -> SigmoidHead:
        w_o = np.asarray(params.get("w_o", self.w_o), dtype=np.float64)
        return SigmoidHead(w_o, float(params.get("b_o", self.b_o)))

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"w_o": self.w_o, "b_o": np.array(self.b_o)}


@dataclass(frozen=True, eq=False)
class HeadStep:
    """One many-to-one head evaluation: ŷ, the loss, dL/dŷ, dL/dz, dL/dw_o, dL/db_o and dL/dh_T."""

    yhat: float
    loss: float
    logit: float
    dL_dyhat: float
    dL_dz: float
    grads: Mapping[str, np.ndarray]
    dh_T: np.ndarray


@dataclass(frozen=True, eq=False)
class SoftmaxHead:
    """Many-to-many output: a softmax over C classes at every step; W_hy (H, C), b_y (C,)."""

    W_hy: np.ndarray
    b_y: np.ndarray

    @classmethod
    def init(cls, hidden_size: int, n_classes: int, seed: int = 0) -> SoftmaxHead:
        rng = np.random.default_rng([seed, 2])
        return cls(glorot_uniform(rng, hidden_size, n_classes), np.zeros(n_classes))

    def forward(self, h: np.ndarray) -> np.ndarray:
        logits = np.asarray(h) @ self.W_hy + self.b_y  # (T, C)
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, h: np.ndarray, y: Sequence[int]) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
        """Mean cross-entropy over the T steps; returns (L, dL/dh (T, H), {W_hy, b_y} grads)."""
        y = np.asarray(y, dtype=np.int64)
        p = self.forward(h)
        T = p.shape[0]
        if y.shape != (T,) or (y < 0).any() or (y >= p.shape[1]).any():
            raise ValueError(f"y must hold {T} class ids in 0..{p.shape[1] - 1}, got {y.tolist()}")
        loss = float(-np.mean(np.log(np.clip(p[np.arange(T), y], 1e-300, None))))
        dlogits = p.copy()
        dlogits[np.arange(T), y] -= 1.0  # softmax + cross-entropy
        dlogits /= T
        return loss, dlogits @ self.W_hy.T, {"W_hy": np.asarray(h).T @ dlogits, "b_y": dlogits.sum(0)}


@dataclass(frozen=True, eq=False)
class ManyToOne:
    """One labelled sentence through the cell and the sigmoid head, with every gradient of BPTT."""

    trace: Trace
    head: HeadStep
    grads: Grads
    y: float

    @property
    def yhat(self) -> float:
        return self.head.yhat

    @property
    def loss(self) -> float:
        return self.head.loss


def many_to_one(cell: _Cell, head: SigmoidHead, x, y: float, h0=None, c0=None) -> ManyToOne:
    """Forward, loss and BPTT for a sentence label y ∈ {0, 1}: dL/dh is zero except at the last step."""
    if y not in (0, 1, 0.0, 1.0):
        raise ValueError(f"a many-to-one label must be 0 or 1, got {y!r}")
    trace = cell.forward(x, h0, c0)
    step = head.backward(trace.h[-1], float(y))
    dh = np.zeros_like(trace.h)
    dh[-1] = step.dh_T  # the loss only sees h_T
    return ManyToOne(trace=trace, head=step, grads=cell.backward(trace, dh), y=float(y))


def sgd_step(cell: _Cell, head: SigmoidHead, example: ManyToOne, lr: float):
    """One step of w ← w − η ∂L/∂w on the cell and the head; returns (cell, head)."""
    new_cell = cell.replace(**{k: cell.params[k] - lr * g for k, g in example.grads.params.items()})
    new_head = head.replace(**{k: head.params[k] - lr * g for k, g in example.head.grads.items()})
    return new_cell, new_head


# --------------------------------------------------------------------------------------------------------
# Batched BPTT: N sentences at once (what training runs on)
# --------------------------------------------------------------------------------------------------------
# The equations are the cells' own (rnnviz.cells), with a leading batch axis N on every state: x_t is
# (N, D), h_t (N, H). Sentences shorter than the batch are padded at the end and masked: past its last word
# a sentence's state is carried unchanged (h_t = h_{t-1}, c_t = c_{t-1}), so its h at the last step of the
# batch is its own h_T and the gradients are exactly those of the sentence alone. tests/test_core_train.py
# checks every batched gradient against the per-sentence BPTT of the cells (checked against PyTorch).


def _outer_sum(u: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Σ_t Σ_n u_tn^T d_tn for u (T, N, a), d (T, N, b): a weight used as u_t W gets u_t^T d_t per step.
    One small product per step: a single (a, T·N)·(T·N, b) product is large enough for OpenBLAS to start
    its threads, which on a loaded 2-core server made it ~100× slower."""
    out = np.zeros((u.shape[-1], d.shape[-1]))
    for u_t, d_t in zip(u, d, strict=True):
        out += u_t.T @ d_t  # u_t^T δ_t
    return out


def _batch_forward(cell: _Cell, X: np.ndarray, mask: np.ndarray | None) -> dict:
    """Forward over X (N, T, D) from zero states; mask (T, N, 1) is 1 where a sentence still has words.
    Every cached array is time-major, (T, N, ·)."""
    W_hh, H = cell.W_hh, cell.hidden_size
    Xt = X.transpose(1, 0, 2)  # (T, N, D)
    xW = Xt @ cell.W_xh  # (T, N, G·H): x_t W_xh for every sentence
    T, N = xW.shape[:2]
    h = np.zeros((N, H))
    hs, h_prev = np.empty((T, N, H)), np.empty((T, N, H))
    cache: dict = {"X": Xt, "h_prev": h_prev, "h": hs, "mask": mask}
    if cell.kind == "SimpleRNN":
        a = np.empty((T, N, H))
        xb = xW + cell.b_h
        for t in range(T):
            h_prev[t] = h
            a[t] = xb[t] + h @ W_hh  # a_t = x_t W_xh + h_{t-1} W_hh + b_h
            h_new = cell._act(a[t])  # h_t = f(a_t)
            h = hs[t] = h_new if mask is None else np.where(mask[t], h_new, h)  # padding: h carried
        cache["a"] = a
    elif cell.kind == "LSTM":
        act, cs, c_prev = np.empty((T, N, 4 * H)), np.empty((T, N, H)), np.empty((T, N, H))
        c = np.zeros((N, H))
        xb = xW + cell.b_h
        g_ = slice(2 * H, 3 * H)
        for t in range(T):
            h_prev[t], c_prev[t] = h, c
            z = xb[t] + h @ W_hh  # pre-activations of i, f, g, o
            gates = act[t]
            gates[:] = sigmoid(z)  # i, f, o = σ(·)
            gates[:, g_] = np.tanh(z[:, g_])  # candidate c̃ = tanh(·)
            c_new = gates[:, H : 2 * H] * c + gates[:, :H] * gates[:, g_]  # c_t = f * c_{t-1} + i * c̃
            h_new = gates[:, 3 * H :] * np.tanh(c_new)  # h_t = o * tanh(c_t)
            if mask is not None:  # padding: h and c carried
                c_new, h_new = np.where(mask[t], c_new, c), np.where(mask[t], h_new, h)
            c, h = cs[t], hs[t] = c_new, h_new
        cache.update(act=act, c=cs, c_prev=c_prev)
    else:
        act, hn = np.empty((T, N, 3 * H)), np.empty((T, N, H))
        xb = xW + cell.b_xh
        H2 = 2 * H
        for t in range(T):
            h_prev[t] = h
            hw = h @ W_hh + cell.b_hh  # h_{t-1} W_hh + b_hh
            rz = act[t, :, :H2] = sigmoid(xb[t, :, :H2] + hw[:, :H2])  # r, z
            hn[t] = hw[:, H2:]  # h_{t-1} W_hn + b_hn
            n = act[t, :, H2:] = np.tanh(xb[t, :, H2:] + rz[:, :H] * hn[t])  # candidate n
            h_new = n + rz[:, H:] * (h - n)  # (1 - z) * n + z * h_{t-1}
            h = hs[t] = h_new if mask is None else np.where(mask[t], h_new, h)  # padding: h carried
        cache.update(act=act, hn=hn)
    return cache


def _batch_backward(cell: _Cell, cache: dict, dh_T: np.ndarray) -> dict[str, np.ndarray]:
    """BPTT from dL/dh_T (N, H) (the loss sees only the last step); gradients summed over the batch.
    At a padded step the gradient passes to h_{t-1} (and c_{t-1}) unchanged and reaches no weight."""
    X, h_prev, mask, W_hh_T, H = cache["X"], cache["h_prev"], cache["mask"], cell.W_hh.T, cell.hidden_size
    T = h_prev.shape[0]
    dh_next = dh_T

    def word(t: int, g: np.ndarray) -> np.ndarray:  # the part of g that a real word's step receives
        return g if mask is None else g * mask[t]

    def passed(t: int, through: np.ndarray, g: np.ndarray) -> np.ndarray:  # to step t-1
        return through if mask is None else np.where(mask[t], through, g)

    if cell.kind == "SimpleRNN":
        fprime = cell._act_grad(cache["a"], cache["h"])  # (T, N, H) f'(a_t)
        d = np.empty_like(fprime)
        for t in range(T - 1, -1, -1):
            d[t] = word(t, dh_next) * fprime[t]  # through the activation
            dh_next = passed(t, d[t] @ W_hh_T, dh_next)  # to h_{t-1}
        return {"W_xh": _outer_sum(X, d), "W_hh": _outer_sum(h_prev, d), "b_h": d.sum((0, 1))}
    if cell.kind == "LSTM":
        act, c, c_prev = cache["act"], cache["c"], cache["c_prev"]
        d = np.empty_like(act)
        dc_next = np.zeros_like(dh_T)
        for t in range(T - 1, -1, -1):
            i, f, g, o = act[t, :, :H], act[t, :, H : 2 * H], act[t, :, 2 * H : 3 * H], act[t, :, 3 * H :]
            tc = np.tanh(c[t])
            gh = word(t, dh_next)
            dc = word(t, dc_next) + gh * o * (1 - tc * tc)  # dL/dc_t: from c_{t+1} and through h_t
            d[t, :, :H] = dc * g * i * (1 - i)  # ∂c_t/∂i = c̃, through σ
            d[t, :, H : 2 * H] = dc * c_prev[t] * f * (1 - f)  # ∂c_t/∂f = c_{t-1}
            d[t, :, 2 * H : 3 * H] = dc * i * (1 - g * g)  # ∂c_t/∂c̃ = i, through tanh
            d[t, :, 3 * H :] = gh * tc * o * (1 - o)  # ∂h_t/∂o = tanh(c_t)
            dc_next = passed(t, dc * f, dc_next)  # to c_{t-1}
            dh_next = passed(t, d[t] @ W_hh_T, dh_next)  # to h_{t-1}
        return {"W_xh": _outer_sum(X, d), "W_hh": _outer_sum(h_prev, d), "b_h": d.sum((0, 1))}
    act, hn = cache["act"], cache["hn"]
    dx, dw = np.empty_like(act), np.empty_like(act)  # grads of the x-side and h-side products
    for t in range(T - 1, -1, -1):
        r, z, n = act[t, :, :H], act[t, :, H : 2 * H], act[t, :, 2 * H :]
        gh = word(t, dh_next)
        dn = gh * (1 - z) * (1 - n * n)  # h_t = (1-z) n + z h_{t-1}; n = tanh(·)
        dz = gh * (h_prev[t] - n) * z * (1 - z)  # ∂h_t/∂z = h_{t-1} - n
        dr = dn * hn[t] * r * (1 - r)  # r multiplies (h W_hn + b_hn)
        dx[t, :, :H], dx[t, :, H : 2 * H], dx[t, :, 2 * H :] = dr, dz, dn
        dw[t, :, : 2 * H] = dx[t, :, : 2 * H]
        dw[t, :, 2 * H :] = dn * r  # the h-side of n is gated by r
        dh_next = passed(t, gh * z + dw[t] @ W_hh_T, dh_next)  # direct path z * h_{t-1} plus the gates
    return {"W_xh": _outer_sum(X, dx), "W_hh": _outer_sum(h_prev, dw), "b_xh": dx.sum((0, 1)),
            "b_hh": dw.sum((0, 1))}


@dataclass(frozen=True, eq=False)
class BatchStep:
    """N labelled sentences through cell and head at once: ŷ and L per sentence, and the gradient of the
    summed loss Σ_n L_n for every parameter of the cell and the head."""

    yhat: np.ndarray  # (N,)
    loss: np.ndarray  # (N,)
    grads: Mapping[str, np.ndarray]


def _check_batch(cell: _Cell, X, lengths) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 3 or X.shape[0] == 0 or X.shape[1] == 0 or X.shape[2] != cell.input_size:
        raise ValueError(f"X must have shape (N, T, {cell.input_size}) with N, T >= 1, got {X.shape}")
    if lengths is None:
        return X, None
    n = np.asarray(lengths)
    N, T = X.shape[:2]
    if n.shape != (N,) or n.dtype.kind not in "iu" or n.min() < 1 or n.max() > T:
        raise ValueError(f"lengths must be {N} integers in 1..{T}, got {np.asarray(lengths).tolist()}")
    if (n == T).all():
        return X, None
    return X, (np.arange(T)[:, None] < n[None, :])[:, :, None]  # (T, N, 1): True on real words


def pad_batch(xs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Sentences (T_n, D) stacked into X (N, T_max, D), zero rows after each sentence's end, and their
    lengths (N,): the input of the batched functions, which carry the state over the padding."""
    if len(xs) == 0:
        raise ValueError("need at least one sentence")
    lengths = np.array([len(x) for x in xs])
    X = np.zeros((len(xs), int(lengths.max()), np.shape(xs[0])[1]))
    for n, x in enumerate(xs):
        X[n, : len(x)] = x
    return X, lengths


def batch_last_hidden(cell: _Cell, X, lengths=None) -> np.ndarray:
    """h_T (N, H) of each sentence of X (N, T, D) (of `lengths` words, default all T), from zero states."""
    X, mask = _check_batch(cell, X, lengths)
    with np.errstate(over="ignore", invalid="ignore"):
        return _batch_forward(cell, X, mask)["h"][-1]


def batch_many_to_one(cell: _Cell, head: SigmoidHead, X, y, lengths=None) -> BatchStep:
    """Forward, loss and BPTT for N sentences at once: X (N, T, D) (padded after `lengths` words, see
    pad_batch), labels y (N,) in {0, 1}. The same numbers as many_to_one on each sentence (gradients
    summed), with one loop over time for all of them."""
    X, mask = _check_batch(cell, X, lengths)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if y.shape != (X.shape[0],) or not np.isin(y, (0.0, 1.0)).all():
        raise ValueError(f"y must hold {X.shape[0]} labels, each 0 or 1, got {y.tolist()}")
    cache = _batch_forward(cell, X, mask)
    h_T = cache["h"][-1]  # (N, H)
    yhat = sigmoid(h_T @ head.w_o + head.b_o)  # ŷ = σ(h_T w_o + b_o)
    p = np.clip(yhat, 1e-15, 1 - 1e-15)
    loss = -y * np.log(p) - (1 - y) * np.log(1 - p)  # binary cross-entropy per sentence
    dz = yhat - y  # dL/dz for σ + binary cross-entropy
    grads = _batch_backward(cell, cache, dz[:, None] * head.w_o[None, :])  # dL/dh_T = dz · w_o
    grads.update(w_o=dz @ h_T, b_o=np.array(dz.sum()))
    return BatchStep(yhat=yhat, loss=loss, grads=ReadOnlyDict(grads))


# --------------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------------

OPTIMIZERS = ("sgd", "adam")
EVAL_BATCH = 256  # sentences per batched forward pass when evaluating
STOP_REASONS = ("done", "diverged", "stopped")


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # "sgd": w ← w − η ∂L/∂w ; "adam": Kingma & Ba with bias correction
    lr: float = 0.05  # η
    epochs: int = 200  # passes over the data
    batch_size: int | None = None  # None: full batch (mean gradient over all sentences)
    clip_norm: float | None = None  # clip the global gradient norm to this value before the update
    seed: int = 0  # shuffles the sentences when batch_size is set
    snapshot_epochs: tuple[int, ...] = ()  # epochs (1-based; 0 = before training) whose parameters are kept
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 or None, got {self.batch_size!r}")
        if self.clip_norm is not None and not (self.clip_norm > 0 and np.isfinite(self.clip_norm)):
            raise ValueError(f"clip_norm must be a positive number or None, got {self.clip_norm!r}")


@dataclass(frozen=True, eq=False)
class History:
    """Per epoch: loss (mean BCE), accuracy (ŷ ≥ 0.5 vs label) and the largest pre-clip global gradient
    norm ‖∂L/∂θ‖ of its updates (and whether any was clipped), for the epochs that ran; snapshots of the
    parameters; why training ended. A run that diverged stops at the epoch whose gradient or loss stopped
    being a finite number: that epoch's loss and accuracy are NaN (the parameters are the last finite ones).
    """

    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    snapshots: Mapping[int, Mapping[str, np.ndarray]] = field(default_factory=dict)
    initial_loss: float = float("nan")  # before the first update (epoch 0)
    initial_accuracy: float = float("nan")
    stop_reason: str = "done"  # "done" | "diverged" (NaN/overflow) | "stopped" (the callback asked)
    diverged_at: int | None = None  # 1-based epoch that diverged

    @property
    def epochs_run(self) -> int:
        return int(self.loss.size)


@dataclass(frozen=True, eq=False)
class TrainResult:
    cell: _Cell
    head: SigmoidHead
    history: History


@dataclass(frozen=True, eq=False)
class EpochReport:
    """What a training callback sees after each epoch (1-based), with the parameters at that point."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float
    grad_norm: float
    clipped: bool
    cell: _Cell
    head: SigmoidHead
    diverged: bool


def evaluate(cell: _Cell, head: SigmoidHead, xs: Sequence[np.ndarray], ys: Sequence[float]):
    """(mean loss, accuracy, predictions ŷ) on labelled sentences."""
    preds = np.empty(len(xs))
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(xs), EVAL_BATCH):
            X, lengths = pad_batch(xs[start : start + EVAL_BATCH])
            h_T = batch_last_hidden(cell, X, lengths)
            preds[start : start + EVAL_BATCH] = sigmoid(h_T @ head.w_o + head.b_o)
    losses = [bce(p, y) for p, y in zip(preds, ys, strict=True)]
    acc = float(np.mean((preds >= 0.5) == (np.asarray(ys) >= 0.5)))
    if not np.isfinite(preds).all():
        return float("nan"), float("nan"), preds
    return float(np.mean(losses)), acc, preds


def _summary(step: BatchStep, y: np.ndarray) -> tuple[float, float]:
    """(mean loss, accuracy) of a batch pass over the whole data: what evaluate() returns."""
    if not np.isfinite(step.yhat).all():
        return float("nan"), float("nan")
    return float(np.mean(step.loss)), float(np.mean((step.yhat >= 0.5) == (y >= 0.5)))


def _finite(params: Mapping[str, np.ndarray]) -> bool:
    return all(np.isfinite(p).all() for p in params.values())


def train(cell: _Cell, head: SigmoidHead, xs: Sequence[np.ndarray], ys: Sequence[float],
          config: TrainConfig = TrainConfig(),
          callback: Callable[[EpochReport], bool | None] | None = None) -> TrainResult:
    """Train cell + head on many-to-one data; each sentence runs at its own length (no padding needed).

    `callback(report)` runs after every epoch; returning True stops training there (stop_reason
    "stopped"). Gradients or a loss that are no longer finite numbers (the lecture's exploding gradients)
    end training with stop_reason "diverged" instead of an exception.
    """
    if len(xs) == 0 or len(xs) != len(ys):
        raise ValueError(f"need as many labels as sentences (at least one), got {len(xs)} and {len(ys)}")
    rng = np.random.default_rng(config.seed)
    names_c, names_h = list(cell.params), list(head.params)
    m = {k: 0.0 for k in names_c + names_h}
    v = {k: 0.0 for k in names_c + names_h}
    step = 0
    E = config.epochs
    loss, acc, gnorm, clipped = np.empty(E), np.empty(E), np.empty(E), np.zeros(E, dtype=bool)
    snaps: dict[int, Mapping[str, np.ndarray]] = {}

    def snapshot(c: _Cell, h: SigmoidHead) -> Mapping[str, np.ndarray]:
        return ReadOnlyDict({**{k: np.array(p) for k, p in c.params.items()},
                             **{k: np.array(p) for k, p in h.params.items()}})

    if 0 in config.snapshot_epochs:
        snaps[0] = snapshot(cell, head)
    order = np.arange(len(xs))
    y_all = np.asarray(ys, dtype=np.float64)
    full = config.batch_size is None or config.batch_size >= len(xs)
    bs = len(xs) if full else config.batch_size
    padded = pad_batch(xs) if full else None
    # Full batch: the batch pass at the current parameters is also the evaluation after the last epoch
    # (the same forward pass), so it is computed once and its gradient used for the next update.
    ahead = batch_many_to_one(cell, head, padded[0], y_all, padded[1]) if full else None
    loss0, acc0 = _summary(ahead, y_all) if full else evaluate(cell, head, xs, ys)[:2]
    reason, diverged_at, ran = "done", None, E
    for epoch in range(E):
        if not full:
            rng.shuffle(order)
        norms, ep_clip, bad = [], False, False
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for start in range(0, len(xs), bs):
                batch = order[start : start + bs]
                if ahead is not None:
                    grads = ahead.grads
                else:
                    X, lengths = pad_batch([xs[j] for j in batch])
                    grads = batch_many_to_one(cell, head, X, y_all[batch], lengths).grads
                total = {k: g / len(batch) for k, g in grads.items()}  # mean gradient over the batch
                if config.clip_norm is not None:
                    c = clip_by_global_norm(total, config.clip_norm)  # g ← g · min(1, max_norm / ‖g‖)
                    total, pre, ep_clip = dict(c.grads), c.pre_norm, ep_clip or c.clipped
                else:
                    pre = float(np.sqrt(sum(float(np.sum(g * g)) for g in total.values())))
                norms.append(pre)
                if not (np.isfinite(pre) and _finite(total)):
                    bad = True  # the gradient overflowed: no update can be made from it
                    break
                step += 1
                upd = {}
                for k, g in total.items():
                    if config.optimizer == "sgd":
                        upd[k] = config.lr * g  # w ← w − η ∂L/∂w
                    else:
                        m[k] = config.beta1 * m[k] + (1 - config.beta1) * g  # running mean of g
                        v[k] = config.beta2 * v[k] + (1 - config.beta2) * g * g  # running mean of g²
                        mhat = m[k] / (1 - config.beta1**step)  # bias corrections
                        vhat = v[k] / (1 - config.beta2**step)
                        upd[k] = config.lr * mhat / (np.sqrt(vhat) + config.eps)
                new_cell = cell.replace(**{k: cell.params[k] - upd[k] for k in names_c})
                new_head = head.replace(**{k: head.params[k] - upd[k] for k in names_h})
                if not (_finite(new_cell.params) and _finite(new_head.params)):
                    bad = True  # the step itself overflowed: keep the last finite parameters
                    break
                cell, head = new_cell, new_head
            if bad:
                loss[epoch] = acc[epoch] = float("nan")
            elif full:
                ahead = batch_many_to_one(cell, head, padded[0], y_all, padded[1])
                loss[epoch], acc[epoch] = _summary(ahead, y_all)
            else:
                loss[epoch], acc[epoch], _ = evaluate(cell, head, xs, ys)
        gnorm[epoch], clipped[epoch] = max(norms), ep_clip
        if not np.isfinite(loss[epoch]):
            loss[epoch] = acc[epoch] = float("nan")
            reason, diverged_at, ran = "diverged", epoch + 1, epoch + 1
        if epoch + 1 in config.snapshot_epochs and reason == "done":
            snaps[epoch + 1] = snapshot(cell, head)
        if callback is not None:
            report = EpochReport(epoch=epoch + 1, epochs=E, loss=float(loss[epoch]),
                                 accuracy=float(acc[epoch]), grad_norm=float(gnorm[epoch]),
                                 clipped=bool(clipped[epoch]), cell=cell, head=head,
                                 diverged=reason == "diverged")
            if callback(report) and reason == "done":
                reason, ran = "stopped", epoch + 1
        if reason != "done":
            break
    hist = History(loss=loss[:ran].copy(), accuracy=acc[:ran].copy(), grad_norm=gnorm[:ran].copy(),
                   clipped=clipped[:ran].copy(), snapshots=ReadOnlyDict(snaps), initial_loss=loss0,
                   initial_accuracy=acc0, stop_reason=reason, diverged_at=diverged_at)
    return TrainResult(cell=cell, head=head, history=hist)
