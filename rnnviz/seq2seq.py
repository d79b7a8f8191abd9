"""Encoder–decoder (seq2seq): many-to-many when input and output lengths differ, e.g. translation.

    encoder:  h_t = cell_enc(x_t, h_{t-1}),  t = 1..T           context = h_T (and c_T for an LSTM)
    decoder:  s_0 = context;  s_k = cell_dec(y_{k-1}, s_{k-1});  ŷ_k = softmax(s_k W_hy + b_y),  k = 1..K
              with y_0 = <bos>. Training feeds the true previous token y_{k-1} (teacher forcing); inference
              feeds the decoder's own most likely token back (greedy decoding) until <eos>.

The loss is the mean cross-entropy over the K output steps. BPTT runs through the decoder, hands dL/dcontext
to the encoder's last state, and runs through the encoder: the only link between the two cells is the context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .cells import ReadOnlyDict, Trace, make_cell
from .recurrent import _check_kind, cell_backward
from .text import one_hot_ids
from .train import SoftmaxHead

PARTS = ("encoder", "decoder", "head")


def _ids(values, name: str, size: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.size == 0 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be a non-empty list of token ids, got {np.asarray(values).tolist()}")
    if arr.min() < 0 or arr.max() >= size:
        raise ValueError(f"{name} must hold ids in 0..{size - 1}, got {arr.tolist()}")
    return arr.astype(np.int64)


@dataclass(frozen=True, eq=False)
class Seq2SeqStep:
    """One teacher-forced pair: both traces, the context handed over, ŷ per output step, the loss and every
    gradient (`grads` under Seq2Seq.params' names; `dx` (T, D) = dL/dx of the source)."""

    encoder_trace: Trace
    decoder_trace: Trace
    decoder_inputs: np.ndarray  # (K,) ids fed to the decoder: <bos>, y_1 … y_{K-1}
    targets: np.ndarray  # (K,)
    probs: np.ndarray  # (K, C)
    loss: float
    grads: Mapping[str, np.ndarray]
    dx: np.ndarray
    d_context: np.ndarray  # dL/dh_T of the encoder: what BPTT hands from the decoder to the encoder
    d_context_c: np.ndarray | None

    @property
    def context(self) -> np.ndarray:
        return self.encoder_trace.h[-1]


@dataclass(frozen=True, eq=False)
class Decoded:
    """Greedy decoding: the tokens emitted (ending with <eos> if it was reached), ŷ at every step, traces."""

    ids: tuple[int, ...]
    probs: np.ndarray  # (K, C)
    encoder_trace: Trace
    decoder_trace: Trace
    finished: bool  # <eos> was emitted (else stopped at max_len)

    @property
    def context(self) -> np.ndarray:
        return self.encoder_trace.h[-1]


@dataclass(frozen=True, eq=False)
class Seq2Seq:
    """Two cells and a softmax head. The decoder reads one-hot target tokens (input size = C, the target
    vocabulary, which holds `bos` and `eos`); both cells have the same hidden size; an LSTM encoder hands
    over its cell state too when the decoder is an LSTM."""

    encoder: object
    decoder: object
    head: SoftmaxHead
    bos: int = 0
    eos: int = 1

    def __post_init__(self) -> None:
        H = self.encoder.hidden_size
        if self.decoder.hidden_size != H:
            raise ValueError(f"encoder and decoder need the same hidden size, got {H} and "
                             f"{self.decoder.hidden_size}")
        C = self.decoder.input_size
        if self.head.W_hy.shape != (H, C) or self.head.b_y.shape != (C,):
            raise ValueError(f"the head's W_hy has shape {self.head.W_hy.shape}; a decoder with hidden size "
                             f"{H} over {C} target tokens needs ({H}, {C})")
        for name in ("bos", "eos"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v < C:
                raise ValueError(f"{name} must be a token id in 0..{C - 1}, got {v!r}")

    @classmethod
    def init(cls, kind: str, source_size: int, target_size: int, hidden_size: int, activation: str = "tanh",
             bos: int = 0, eos: int = 1, seed: int = 0) -> Seq2Seq:
        """Keras-like initial weights from one seed: encoder over `source_size` one-hot inputs, decoder and
        head over the `target_size` target tokens."""
        _check_kind(kind, activation)
        enc = make_cell(kind, source_size, hidden_size, activation, seed)
        dec = make_cell(kind, target_size, hidden_size, activation, seed + 1)
        return cls(enc, dec, SoftmaxHead.init(hidden_size, target_size, seed), bos, eos)

    @property
    def target_size(self) -> int:
        return self.decoder.input_size

    @property
    def _hands_c(self) -> bool:
        return self.encoder.kind == "LSTM" and self.decoder.kind == "LSTM"

    # --- parameters ---------------------------------------------------------------------------------

    @property
    def params(self) -> Mapping[str, np.ndarray]:
        """"encoder.W_xh", …, "decoder.W_hh", …, "head.W_hy", "head.b_y"."""
        out = {f"encoder.{k}": v for k, v in self.encoder.params.items()}
        out.update({f"decoder.{k}": v for k, v in self.decoder.params.items()})
        out.update({"head.W_hy": self.head.W_hy, "head.b_y": self.head.b_y})
        return ReadOnlyDict(out)

    def replace(self, **params: np.ndarray) -> Seq2Seq:
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            raise ValueError(f"unknown parameters {unknown}; a Seq2Seq has {sorted(self.params)}")
        part = {p: {k.split(".", 1)[1]: v for k, v in params.items() if k.startswith(p + ".")} for p in PARTS}
        head = SoftmaxHead(np.asarray(part["head"].get("W_hy", self.head.W_hy), dtype=np.float64),
                           np.asarray(part["head"].get("b_y", self.head.b_y), dtype=np.float64))
        return Seq2Seq(self.encoder.replace(**part["encoder"]), self.decoder.replace(**part["decoder"]), head,
                       self.bos, self.eos)

    def num_params(self) -> int:
        head = self.head.W_hy.size + self.head.b_y.size
        return self.encoder.num_params() + self.decoder.num_params() + head

    # --- forward ------------------------------------------------------------------------------------

    def encode(self, x) -> Trace:
        """The encoder over the source x (T, source_size); its last state is the context."""
        return self.encoder.forward(x)

    def _decode(self, enc: Trace, inputs: Sequence[int]) -> Trace:
        c0 = enc.c[-1] if self._hands_c else None
        return self.decoder.forward(one_hot_ids(inputs, self.target_size), enc.h[-1], c0)  # s_0 = context

    def loss(self, x, targets) -> Seq2SeqStep:
        """Teacher forcing: the decoder reads <bos>, y_1 … y_{K-1} and must emit y_1 … y_K; then BPTT
        through the decoder, the context and the encoder."""
        y = _ids(targets, "targets", self.target_size)
        enc = self.encode(x)
        inputs = np.concatenate([[self.bos], y[:-1]])  # teacher forcing: the true previous token
        dec = self._decode(enc, inputs)
        loss, ds, head_grads = self.head.backward(dec.h, y)  # mean cross-entropy over the K steps
        g_dec = self.decoder.backward(dec, ds)
        dh_enc = np.zeros_like(enc.h)
        dh_enc[-1] = g_dec.dh0  # dL/dcontext: the only way back into the encoder
        dc_T = g_dec.dc0 if self._hands_c else None
        g_enc = cell_backward(self.encoder, enc, dh_enc, dc_T)
        grads = {f"encoder.{k}": v for k, v in g_enc.params.items()}
        grads.update({f"decoder.{k}": v for k, v in g_dec.params.items()})
        grads.update({f"head.{k}": v for k, v in head_grads.items()})
        return Seq2SeqStep(encoder_trace=enc, decoder_trace=dec, decoder_inputs=inputs, targets=y,
                           probs=self.head.forward(dec.h), loss=loss, grads=ReadOnlyDict(grads), dx=g_enc.dx,
                           d_context=g_dec.dh0, d_context_c=dc_T)

    def greedy(self, x, max_len: int = 20) -> Decoded:
        """Greedy decoding: start from <bos>, feed back the most likely token, stop at <eos> or max_len."""
        if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
            raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
        enc = self.encode(x)
        inputs, out = [self.bos], []
        dec = None
        for _ in range(max_len):
            dec = self._decode(enc, inputs)  # re-run from the context: a few steps, exact and simple
            nxt = int(np.argmax(self.head.forward(dec.h[-1:])[0]))
            out.append(nxt)
            if nxt == self.eos:
                break
            inputs.append(nxt)
        return Decoded(ids=tuple(out), probs=self.head.forward(dec.h), encoder_trace=enc, decoder_trace=dec,
                       finished=out[-1] == self.eos)


__all__ = ["Decoded", "Seq2Seq", "Seq2SeqStep"]
