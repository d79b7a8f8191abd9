"""The Train page's helpers (pure: no streamlit): the data table and CSV files, the training settings as one
hashable spec with its limits, background jobs with progress and Stop, a store of finished results shared by
every session, the lecture's named fixes, and trained networks as CustomWeights for every page.

Training itself is rnnviz.train (exact BPTT); the long-dependency experiment is rnnviz.longdep.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import rnnviz as rv
from rnnviz import longdep, presets

from .model import Corpus, parse_corpus
from .weights_io import CustomWeights

OPTIMIZERS = ("adam", "sgd")
MAX_EPOCHS = 500
MAX_WORK = 150_000  # word-steps per run: epochs × words of the training sentences
TIME_LIMIT_S = 20.0  # a run stops here, whatever its settings
MAX_SNAPSHOTS = 61  # weight snapshots kept per run (epoch 0, the last epoch and evenly in between)
MAX_CSV_BYTES = 1_000_000
LABELS = ("1", "0")

# --------------------------------------------------------------------------------------------------------
# Data: presets, the table, CSV
# --------------------------------------------------------------------------------------------------------


def _lines(pairs: Sequence[tuple[str, int]]) -> str:
    return "\n".join(f"{s} | {y}" for s, y in pairs)


DATA_PRESETS: dict[str, tuple[str, str]] = {
    "reviews": ("The lecture's three reviews", _lines(presets.REVIEWS)),
    "catmatrat": ("cat · mat · rat (the BPTT example)", _lines(presets.CAT_MAT_RAT)),
    "generated": ("60 generated reviews (“not”, “but”)", _lines(presets.sentiment_set(60, 0))),
}


def corpus_rows(text: str) -> list[dict[str, str]]:
    """The corpus box as table rows {"sentence", "label"} (label "1", "0" or "" when there is none); blank
    lines are left out. A label that is not 0 or 1 stays in the sentence, as the corpus parser reads it."""
    rows = []
    for raw in text.splitlines():
        if not raw.strip():
            continue
        body, label = raw.strip(), ""
        if "|" in raw:
            head, _, lab = raw.rpartition("|")
            if lab.strip() in LABELS or not lab.strip():
                body, label = head.strip(), lab.strip()
        rows.append({"sentence": body, "label": label})
    return rows


def rows_corpus(rows: Sequence[Mapping[str, Any]]) -> str:
    """Table rows back into the corpus box's text: "sentence | label", one per line."""
    lines = []
    for r in rows:
        sentence = " ".join(str(r.get("sentence") or "").split())
        label = _label(r.get("label"))
        if not sentence:
            continue
        lines.append(f"{sentence} | {label}" if label else sentence)
    return "\n".join(lines)


def _label(value: Any) -> str:
    """"1", "0" or "" from what a table cell or CSV field holds (1, 1.0, "1", " 0 ", None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    if text in ("1.0", "0.0"):
        text = text[0]
    return text


def apply_edits(rows: Sequence[Mapping[str, Any]], edits: Mapping[str, Any]) -> list[dict[str, Any]]:
    """st.data_editor's change record ({"edited_rows": {i: {col: v}}, "added_rows": [...],
    "deleted_rows": [...]}) applied to the rows it was drawn from."""
    out = [dict(r) for r in rows]
    for i, change in (edits.get("edited_rows") or {}).items():
        i = int(i)
        if 0 <= i < len(out):
            out[i].update(change)
    deleted = {int(i) for i in edits.get("deleted_rows") or ()}
    out = [r for i, r in enumerate(out) if i not in deleted]
    out += [{"sentence": r.get("sentence", ""), "label": r.get("label", "")}
            for r in edits.get("added_rows") or ()]
    return out


def row_problems(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Plain-language notes on rows training cannot use (no words, a label other than 0 or 1, none)."""
    notes = []
    for n, r in enumerate(rows, start=1):
        sentence = str(r.get("sentence") or "")
        label = _label(r.get("label"))
        if not rv.tokenize(sentence):
            notes.append(f"Row {n} has no words and is left out.")
        elif label not in LABELS:
            shown = f"the label {label[:20]!r} is not 0 or 1" if label else "it has no label"
            notes.append(f"Row {n} (“{sentence[:40]}”): {shown}, so it is not used for training.")
    return notes


def parse_csv(data: bytes) -> tuple[list[dict[str, str]], list[str]]:
    """Rows from an uploaded CSV (columns sentence,label with a header, or two columns without one) and a
    message for every row that was left out and why. Never raises on bad content."""
    if len(data) > MAX_CSV_BYTES:
        return [], [f"The file has {len(data) / 1e6:.1f} MB; the Train page reads CSV files up to "
                    f"{MAX_CSV_BYTES / 1e6:.0f} MB."]
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as a UTF-8 CSV."]
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return [], [f"The file is not a CSV table: {exc}."]
    records = [r for r in records if any(c.strip() for c in r)]
    if not records:
        return [], ["The file has no rows."]
    start = 0
    head = [c.strip().lower() for c in records[0]]
    s_col, l_col = 0, 1
    if "sentence" in head or "text" in head:
        start = 1
        s_col = head.index("sentence") if "sentence" in head else head.index("text")
        l_col = head.index("label") if "label" in head else -1
    rows, problems = [], []
    for n, rec in enumerate(records[start:], start=start + 1):
        sentence = rec[s_col].strip() if s_col < len(rec) else ""
        label = rec[l_col].strip() if 0 <= l_col < len(rec) else ""
        if not rv.tokenize(sentence):
            problems.append(f"Line {n}: no words in the sentence column — left out.")
            continue
        if _label(label) not in LABELS:
            shown = f"the label {label[:20]!r} is not 0 or 1" if label else "there is no label"
            problems.append(f"Line {n} (“{sentence[:40]}”): {shown} — left out.")
            continue
        rows.append({"sentence": " ".join(sentence.split()), "label": _label(label)})
    if not rows and not problems:
        problems.append("The file has a header but no rows.")
    return rows, problems


def rows_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["sentence", "label"])
    for r in rows:
        writer.writerow([str(r.get("sentence") or ""), _label(r.get("label"))])
    return buf.getvalue().encode("utf-8")


# --------------------------------------------------------------------------------------------------------
# The settings of one run
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainSpec:
    """Everything a training run depends on (hashable: the key of the result store)."""

    vocab: tuple[str, ...]
    sentences: tuple[tuple[str, ...], ...]  # the labelled sentences' tokens
    labels: tuple[int, ...]
    cell: str = "SimpleRNN"
    act: str = "tanh"
    hidden: int = 3
    seed: int = 0
    optimizer: str = "adam"
    lr: float = 0.05
    epochs: int = 200
    batch: int = 0  # 0: full batch
    clip: float = 0.0  # 0: no clipping

    @property
    def words(self) -> int:
        return sum(len(s) for s in self.sentences)

    @property
    def label(self) -> str:
        """E.g. "SimpleRNN (relu), H=16, SGD η=5, clip 1, 150 epochs"."""
        cell = f"SimpleRNN ({self.act})" if self.cell == "SimpleRNN" else self.cell
        opt = "Adam" if self.optimizer == "adam" else "SGD"
        clip = f", clip {self.clip:g}" if self.clip > 0 else ""
        batch = f", batch {self.batch}" if self.batch else ""
        return f"{cell}, H={self.hidden}, {opt} η={self.lr:g}{clip}{batch}, {self.epochs} epochs"

    def key(self) -> str:
        """A short id of the spec (names the exported file, identifies trained weights)."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:12]

    def snapshot_epochs(self) -> tuple[int, ...]:
        n = min(MAX_SNAPSHOTS, self.epochs + 1)
        return tuple(int(e) for e in np.unique(np.linspace(0, self.epochs, n).round().astype(int)))

    def config(self) -> rv.TrainConfig:
        return rv.TrainConfig(optimizer=self.optimizer, lr=self.lr, epochs=self.epochs,
                              batch_size=self.batch or None, clip_norm=self.clip or None, seed=self.seed,
                              snapshot_epochs=self.snapshot_epochs())

    def start(self) -> tuple[rv.Cell, rv.SigmoidHead]:
        """The seeded, untrained cell and head (Keras' initialisation), as the other pages build them."""
        cell = rv.make_cell(self.cell, len(self.vocab), self.hidden, self.act, self.seed)
        return cell, rv.SigmoidHead.init(self.hidden, self.seed)

    def inputs(self) -> list[np.ndarray]:
        index = {w: i for i, w in enumerate(self.vocab)}
        return [rv.one_hot_ids([index[t] for t in s], len(self.vocab)) for s in self.sentences]


def epoch_cap(words: int) -> int:
    """The most epochs a run on `words` word-steps per epoch may take: MAX_EPOCHS, or fewer so that
    epochs × words ≤ MAX_WORK."""
    return int(max(1, min(MAX_EPOCHS, MAX_WORK // max(words, 1))))


def limits_text(words: int) -> str:
    return (f"Each run is limited to {MAX_EPOCHS} epochs, to {MAX_WORK:,} word-steps (epochs × the "
            f"{words:,} words of the labelled sentences: at most {epoch_cap(words)} epochs here) and to "
            f"{TIME_LIMIT_S:g} s; a run that reaches the time limit stops and says so.")


def spec_from(settings: Mapping[str, Any], corpus_text: str) -> tuple[TrainSpec | None, Corpus]:
    """The run the page's settings describe on the labelled sentences of the corpus (None when fewer
    than two are labelled); the vocabulary is the whole corpus', so the trained weights fit every page."""
    corpus = parse_corpus(corpus_text)
    keep = [i for i, y in enumerate(corpus.labels) if y is not None]
    if len(keep) < 2:
        return None, corpus
    words = sum(len(corpus.tokens[i]) for i in keep)
    return TrainSpec(vocab=tuple(corpus.vocab.tokens), sentences=tuple(corpus.tokens[i] for i in keep),
                     labels=tuple(int(corpus.labels[i]) for i in keep), cell=settings["train_cell"],
                     act=settings["train_act"], hidden=int(settings["train_hidden"]),
                     seed=int(settings["train_seed"]), optimizer=settings["train_opt"],
                     lr=float(settings["train_lr"]),
                     epochs=min(int(settings["train_epochs"]), epoch_cap(words)),
                     batch=min(int(settings["train_batch"]), len(keep)),
                     clip=float(settings["train_clip"])), corpus


# --------------------------------------------------------------------------------------------------------
# One run and what it shows
# --------------------------------------------------------------------------------------------------------

STOP_TEXT = {
    "done": "finished",
    "diverged": "diverged",
    "stopped": "stopped by you",
    "time": f"stopped at the time limit ({TIME_LIMIT_S:g} s)",
}


@dataclass(frozen=True, eq=False)
class TrainOutcome:
    spec: TrainSpec
    start_cell: rv.Cell
    start_head: rv.SigmoidHead
    result: rv.TrainResult
    seconds: float
    stop: str  # "done" | "diverged" | "stopped" | "time"

    @property
    def history(self) -> rv.History:
        return self.result.history

    @property
    def complete(self) -> bool:
        """Ran every epoch or diverged: the same settings always give this result (worth caching)."""
        return self.stop in ("done", "diverged")

    def predictions(self) -> list[dict[str, Any]]:
        _, _, yhat = rv.evaluate(self.result.cell, self.result.head, self.spec.inputs(), self.spec.labels)
        rows = []
        for toks, y, p in zip(self.spec.sentences, self.spec.labels, yhat, strict=True):
            ok = bool(np.isfinite(p) and (p >= 0.5) == (y == 1))
            rows.append({"sentence": " ".join(toks), "label": y, "ŷ": float(p), "prediction": int(p >= 0.5),
                         "correct": "✓" if ok else "✗"})
        return rows

    def snapshot_cell(self, epoch: int) -> tuple[rv.Cell, rv.SigmoidHead]:
        snap = self.history.snapshots[epoch]
        cell = self.start_cell.replace(**{k: snap[k] for k in self.start_cell.params})
        return cell, rv.SigmoidHead(np.asarray(snap["w_o"]), float(snap["b_o"]))

    def snapshot_epochs(self) -> list[int]:
        return sorted(self.history.snapshots)


def run(spec: TrainSpec, should_stop: Callable[[], bool] = lambda: False,
        on_epoch: Callable[[rv.EpochReport], None] | None = None,
        time_limit: float = TIME_LIMIT_S) -> TrainOutcome:
    """Train as the spec says; stop early when should_stop() turns true or the time limit is reached."""
    cell, head = spec.start()
    t0 = time.perf_counter()
    why = {"stop": None}

    def callback(report: rv.EpochReport) -> bool:
        if on_epoch is not None:
            on_epoch(report)
        if should_stop():
            why["stop"] = "stopped"
        elif time.perf_counter() - t0 > time_limit and report.epoch < report.epochs:
            why["stop"] = "time"
        return why["stop"] is not None

    result = rv.train(cell, head, spec.inputs(), list(spec.labels), spec.config(), callback=callback)
    stop = why["stop"] if result.history.stop_reason == "stopped" else result.history.stop_reason
    return TrainOutcome(spec=spec, start_cell=cell, start_head=head, result=result,
                        seconds=time.perf_counter() - t0, stop=stop)


def divergence_text(outcome: TrainOutcome) -> str:
    """"Training diverged at epoch 36: …" in plain words (empty when it did not)."""
    h = outcome.history
    if h.diverged_at is None:
        return ""
    g = h.grad_norm[-1]
    what = "the gradient overflowed (‖∂L/∂θ‖ = ∞)" if not np.isfinite(g) else "the loss became NaN"
    before = h.grad_norm[:-1]
    peak = f"; the epochs before it reached ‖∂L/∂θ‖ up to {np.nanmax(before):.3g}" if before.size else ""
    return (f"Training diverged at epoch {h.diverged_at}: {what}, so the loss is NaN (not a number) from "
            f"there on{peak}. The weights shown are the last finite ones (epoch {h.diverged_at - 1}).")


def custom_weights(outcome: TrainOutcome, corpus_vocab: Sequence[str]) -> CustomWeights:
    """The trained network as the app's CustomWeights (same badge, Reset and .npz export as an upload)."""
    spec = outcome.spec
    h = outcome.history
    acc = h.accuracy[-1] if h.accuracy.size and np.isfinite(h.accuracy[-1]) else float("nan")
    about = (f"Trained on the Train page: {spec.label}, on {len(spec.sentences)} labelled sentences; "
             f"{h.epochs_run} epochs run, training accuracy {acc:.0%}.")
    return CustomWeights(cell=outcome.result.cell, head=outcome.result.head, vocab=tuple(corpus_vocab),
                         source="rnnviz", notes=(about,), digest=f"train-{spec.key()}-{h.epochs_run}",
                         file_name="", about=about)


def preset_weights(preset: presets.TrainedPreset) -> CustomWeights:
    """A trained lecture preset as CustomWeights: every page then runs on it, with the badge and Reset."""
    return CustomWeights(cell=preset.cell, head=preset.head, vocab=tuple(preset.vocab.tokens),
                         source="rnnviz", notes=(preset.about,), digest=f"preset-{preset.key}",
                         about=preset.about)


# --------------------------------------------------------------------------------------------------------
# The lecture's fixes, shown working
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fix:
    key: str
    name: str
    short: str  # the button that loads its settings
    lecture: str  # which fix of the lecture notes this is
    changes: Mapping[str, Any] = field(default_factory=dict)


FIX_DATA = "generated"
FIX_BASE = {"cell": "SimpleRNN", "act": "relu", "hidden": 16, "seed": 0, "optimizer": "sgd", "lr": 5.0,
            "epochs": 150, "batch": 0, "clip": 0.0}
FIXES: tuple[Fix, ...] = (
    Fix("high_lr", "Too high a learning rate", "η = 5 (too high)",
        "the problem: exploding gradients"),
    Fix("clip", "… the same run with gradient clipping at 1", "+ clipping at 1", "fix: gradient clipping",
        {"clip": 1.0}),
    Fix("low_lr", "… with a controlled learning rate η = 2", "η = 2", "fix: a controlled learning rate",
        {"lr": 2.0}),
    Fix("tanh", "… with tanh instead of ReLU", "tanh", "fix: a different activation function",
        {"act": "tanh"}),
    Fix("lstm", "… with an LSTM", "LSTM", "fix: LSTM", {"cell": "LSTM"}),
)


def fix_spec(fix: Fix) -> TrainSpec:
    """The fix's run on the 60 generated reviews: SimpleRNN (ReLU), H=16, SGD η=5, 150 epochs, changed as
    the fix says."""
    corpus = parse_corpus(DATA_PRESETS[FIX_DATA][1])
    settings = {**FIX_BASE, **fix.changes}
    return TrainSpec(vocab=tuple(corpus.vocab.tokens), sentences=corpus.tokens,
                     labels=tuple(int(y) for y in corpus.labels), **settings)


# --------------------------------------------------------------------------------------------------------
# Background jobs and the shared store of results
# --------------------------------------------------------------------------------------------------------


class ResultStore:
    """Finished results keyed by their settings, shared by every session of the server (the page creates
    one per process with st.cache_resource). Thread-safe, least recently used entries dropped."""

    def __init__(self, max_entries: int = 48) -> None:
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, key: Any) -> Any | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


class Job:
    """Work running in a background thread, so the page can redraw its progress and offer Stop while it
    runs (and a rerun of the page does not interrupt it). `work(job)` calls job.report(**progress) and
    checks job.stopping(); its return value becomes job.result, an exception job.error."""

    def __init__(self, kind: str, work: Callable[[Job], Any]) -> None:
        self.kind = kind  # what the page shows while it runs: "train", "fixes", "longdep"
        self._work = work
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._progress: dict[str, Any] = {}
        self.result: Any = None
        self.error: BaseException | None = None
        self.started = time.perf_counter()
        self.ended: float | None = None
        self._thread = threading.Thread(target=self._run, name="rnnviz-train", daemon=True)

    def start(self) -> Job:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self._work(self)
        except Exception as exc:  # reported on the page, never lost in the thread
            self.error = exc
        self.ended = time.perf_counter()

    def report(self, **progress: Any) -> None:
        with self._lock:
            self._progress = dict(progress)

    @property
    def progress(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._progress)

    def stop(self) -> None:
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        return not self._thread.is_alive() and self._thread.ident is not None

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.done

    @property
    def seconds(self) -> float:
        """Seconds it ran (so far)."""
        return (self.ended or time.perf_counter()) - self.started


def train_job(specs: Sequence[TrainSpec], store: ResultStore, kind: str = "train") -> Job:
    """Train each spec in turn (the ones already in the store are skipped); progress: the current spec's
    epoch and its losses so far. Result: the outcomes, in order."""

    def work(job: Job) -> list[TrainOutcome]:
        out = []
        for n, spec in enumerate(specs):
            cached = store.get(spec)
            if cached is not None:
                out.append(cached)
                continue
            def on_epoch(r: rv.EpochReport, n: int = n, spec: TrainSpec = spec,
                         seen: tuple[list, list] = ([], [])) -> None:
                seen[0].append(r.loss)
                seen[1].append(r.accuracy)
                job.report(run=n, runs=len(specs), spec=spec, epoch=r.epoch, epochs=r.epochs,
                           loss=list(seen[0]), accuracy=list(seen[1]))

            outcome = run(spec, job.stopping, on_epoch)
            if outcome.complete:
                store.put(spec, outcome)
            out.append(outcome)
            if job.stopping():
                break
        return out

    return Job(kind, work)


def longdep_job(config: longdep.LongDepConfig, store: ResultStore) -> Job:
    """The long-dependency sweep, one (cell, k) run at a time; every run is stored as it finishes, so a
    stopped sweep resumes where it was; a complete sweep also stores how long it took (key
    ("longdep seconds", config)). Result: the LongDepSweep (None when stopped)."""

    def work(job: Job) -> longdep.LongDepSweep | None:
        trained = 0
        total = len(config.ks) * len(config.kinds)
        runs = {}
        for k in config.ks:
            for kind in config.kinds:
                key = ("longdep", config, kind, k)
                got = store.get(key)
                if got is None:
                    if job.stopping():
                        return None
                    got = longdep.train_one(kind, k, config)
                    store.put(key, got)
                    trained += 1
                runs[(kind, k)] = got
                job.report(done=len(runs), total=total, kind=kind, k=k)
        if trained == total:
            store.put(("longdep seconds", config), job.seconds)
        return longdep.sweep_from(config, runs)

    return Job("longdep", work)


def stored_sweep(config: longdep.LongDepConfig, store: ResultStore) -> longdep.LongDepSweep | None:
    """The sweep if every run of it is in the store (no training), else None."""
    runs = {}
    for k in config.ks:
        for kind in config.kinds:
            got = store.get(("longdep", config, kind, k))
            if got is None:
                return None
            runs[(kind, k)] = got
    return longdep.sweep_from(config, runs)


def longdep_runs(config: longdep.LongDepConfig, k: int, store: ResultStore) -> dict[str, longdep.LongDepRun]:
    """The three cells trained for k distractors (from the store, or trained now and stored)."""
    out = {}
    for kind in config.kinds:
        key = ("longdep", config, kind, k)
        run_ = store.get(key)
        if run_ is None:
            run_ = longdep.train_one(kind, k, config)
            store.put(key, run_)
        out[kind] = run_
    return out


@dataclass(frozen=True, eq=False)
class TrainedCurve:
    """A trained cell's exact ‖dh_T/dh_t‖ on one sentence (log10, per 0-based step t), and for an LSTM
    log10 max_j ∏_{s>t} f_s[j]: the cell-state path, a product of forget gates only."""

    kind: str
    tokens: tuple[str, ...]
    log10_jac: np.ndarray
    log10_forget: np.ndarray | None

    @property
    def steps_back(self) -> np.ndarray:
        return np.arange(len(self.tokens))[::-1]


def trained_curves(runs: Mapping[str, longdep.LongDepRun], ids: Sequence[int]) -> list[TrainedCurve]:
    """The lab's comparison for trained cells: the same quantities as for untrained ones, on their own
    task's sentence `ids` (in longdep.vocabulary())."""
    words = longdep.vocabulary().tokens
    x = rv.one_hot_ids(list(ids), len(words))
    out = []
    for kind, r in runs.items():
        tr = r.cell.forward(x)
        log_jac, _ = rv.chain_log10_norms(r.cell.step_jacobians(tr), r.cell.hidden_size)
        forget = None
        if tr.c is not None:
            with np.errstate(divide="ignore"):
                log_f = np.log10(tr.gates["f"])  # (T, H)
            tail = np.cumsum(log_f[::-1], axis=0)[::-1]  # Σ_{s ≥ t} log10 f_s
            forget = np.concatenate([tail[1:], np.zeros((1, tail.shape[1]))]).max(axis=1)  # ∏_{s > t}
        out.append(TrainedCurve(kind=kind, tokens=tuple(words[i] for i in ids), log10_jac=log_jac,
                                log10_forget=forget))
    return out
