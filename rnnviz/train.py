"""Output heads, losses and a training loop (SGD exactly as the seeds write it, and Adam).

Many-to-one (the seeds' sentiment example):  ŷ = σ(h_T w_o + b_o),  L = −y log ŷ − (1−y) log(1−ŷ).
Many-to-many: ŷ_t = softmax(h_t W_hy + b_y) at every step, L = mean_t −log ŷ_t[y_t].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
# Training
# --------------------------------------------------------------------------------------------------------

OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # "sgd": w ← w − η ∂L/∂w ; "adam": Kingma & Ba with bias correction
    lr: float = 0.05  # η
    epochs: int = 200  # passes over the data
    batch_size: int | None = None  # None: full batch (mean gradient over all sentences)
    clip_norm: float | None = None  # clip the global gradient norm to this value before the update
    seed: int = 0  # shuffles the sentences when batch_size is set
    snapshot_epochs: tuple[int, ...] = ()  # epochs (1-based) whose parameters are kept in the history
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


@dataclass(frozen=True, eq=False)
class History:
    """Per-epoch loss (mean BCE), accuracy (ŷ ≥ 0.5 vs label), pre-clip gradient norm; snapshots."""

    loss: np.ndarray
    accuracy: np.ndarray
    grad_norm: np.ndarray
    clipped: np.ndarray
    snapshots: Mapping[int, Mapping[str, np.ndarray]] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TrainResult:
    cell: _Cell
    head: SigmoidHead
    history: History


def evaluate(cell: _Cell, head: SigmoidHead, xs: Sequence[np.ndarray], ys: Sequence[float]):
    """(mean loss, accuracy, predictions ŷ) on labelled sentences."""
    preds = np.array([head.forward(cell.forward(x).h[-1]) for x in xs])
    losses = [bce(p, y) for p, y in zip(preds, ys, strict=True)]
    acc = float(np.mean((preds >= 0.5) == (np.asarray(ys) >= 0.5)))
    return float(np.mean(losses)), acc, preds


def train(cell: _Cell, head: SigmoidHead, xs: Sequence[np.ndarray], ys: Sequence[float],
          config: TrainConfig = TrainConfig()) -> TrainResult:
    """Train cell + head on many-to-one data; each sentence runs at its own length (no padding needed)."""
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
    order = np.arange(len(xs))
    bs = config.batch_size or len(xs)
    for epoch in range(E):
        if config.batch_size is not None:
            rng.shuffle(order)
        norms, ep_clip = [], False
        for start in range(0, len(xs), bs):
            batch = order[start : start + bs]
            total: dict[str, np.ndarray] = {}
            for j in batch:
                ex = many_to_one(cell, head, xs[j], ys[j])
                for k, g in {**ex.grads.params, **ex.head.grads}.items():
                    total[k] = total.get(k, 0.0) + g / len(batch)  # mean gradient over the batch
            if config.clip_norm is not None:
                c = clip_by_global_norm(total, config.clip_norm)
                total, pre, ep_clip = dict(c.grads), c.pre_norm, ep_clip or c.clipped
            else:
                pre = float(np.sqrt(sum(float(np.sum(g * g)) for g in total.values())))
            norms.append(pre)
            step += 1
            upd = {}
            for k, g in total.items():
                if config.optimizer == "sgd":
                    upd[k] = config.lr * g  # w ← w − η ∂L/∂w
                else:
                    m[k] = config.beta1 * m[k] + (1 - config.beta1) * g
                    v[k] = config.beta2 * v[k] + (1 - config.beta2) * g * g
                    mhat = m[k] / (1 - config.beta1**step)
                    vhat = v[k] / (1 - config.beta2**step)
                    upd[k] = config.lr * mhat / (np.sqrt(vhat) + config.eps)
            cell = cell.replace(**{k: cell.params[k] - upd[k] for k in names_c})
            head = head.replace(**{k: head.params[k] - upd[k] for k in names_h})
        loss[epoch], acc[epoch], _ = evaluate(cell, head, xs, ys)
        gnorm[epoch], clipped[epoch] = max(norms), ep_clip
        if epoch + 1 in config.snapshot_epochs:
            snaps[epoch + 1] = ReadOnlyDict({**{k: np.array(p) for k, p in cell.params.items()},
                                                 **{k: np.array(p) for k, p in head.params.items()}})
    hist = History(loss=loss, accuracy=acc, grad_norm=gnorm, clipped=clipped, snapshots=ReadOnlyDict(snaps))
    return TrainResult(cell=cell, head=head, history=hist)
