"""The Train page without Streamlit: its figure builders (rnnviz_app.fig_train) draw exactly the numbers of
the core, a diverged run is marked and never blank; its helpers (rnnviz_app.train_view) read tables and CSV
files, cap runs, stop on request or at the time limit, and turn a trained network into CustomWeights."""

from __future__ import annotations

import time

import numpy as np
import plotly.graph_objects as go
import pytest
from apptools import decode

import rnnviz as rv
from rnnviz import longdep, presets
from rnnviz_app import export, weights_io
from rnnviz_app import fig_train as ft
from rnnviz_app import train_view as tv

SETTINGS = {"train_cell": "SimpleRNN", "train_act": "tanh", "train_hidden": 3, "train_seed": 0,
            "train_opt": "adam", "train_lr": 0.05, "train_epochs": 200, "train_batch": 0, "train_clip": 0.0}
REVIEWS = tv.DATA_PRESETS["reviews"][1]


def valid(fig: go.Figure) -> go.Figure:
    """Plotly's own validation of every property (the builders may skip it for speed)."""
    return go.Figure(fig.to_dict())


def trace(fig: go.Figure, meta: str):
    return next(t for t in fig.data if t.meta == meta)


def arr(v) -> np.ndarray:
    """A trace's array as numbers (typed arrays decoded; None, a gap, is NaN)."""
    return decode(v) if isinstance(v, dict) else np.array([np.nan if x is None else x for x in np.ravel(v)],
                                                          dtype=float)


@pytest.fixture(scope="module")
def default_run() -> tv.TrainOutcome:
    spec, _ = tv.spec_from(SETTINGS, REVIEWS)
    return tv.run(spec)


@pytest.fixture(scope="module")
def diverged() -> tv.TrainOutcome:
    return tv.run(tv.fix_spec(tv.FIXES[0]))


# --------------------------------------------------------------------------- figures


def test_loss_figure_draws_the_history_from_epoch_0(default_run):
    h = default_run.history
    fig = valid(ft.loss_figure(h.loss, h.accuracy, epochs=200, initial_loss=h.initial_loss,
                               initial_accuracy=h.initial_accuracy))
    loss, acc = trace(fig, "loss"), trace(fig, "accuracy")
    np.testing.assert_allclose(arr(loss.y), [h.initial_loss, *h.loss])
    np.testing.assert_allclose(arr(acc.y), 100 * np.array([h.initial_accuracy, *h.accuracy]))
    assert list(fig.layout.xaxis.range) == [0, 200]
    assert loss.y[-1] < 0.01 and acc.y[-1] == 100


def test_a_diverged_run_is_drawn_and_named_not_blank(diverged):
    h = diverged.history
    assert h.stop_reason == "diverged" and h.diverged_at == 36
    fig = valid(ft.loss_figure(h.loss, h.accuracy, epochs=150, initial_loss=h.initial_loss,
                               initial_accuracy=h.initial_accuracy, diverged_at=h.diverged_at))
    y = trace(fig, "loss").y
    assert y[-1] is None and all(v is not None for v in y[:-1])  # NaN is a gap, every finite epoch drawn
    assert any(s.x0 == 36 for s in fig.layout.shapes)
    assert any("diverged at epoch 36" in a.text for a in fig.layout.annotations)
    g = valid(ft.grad_norm_figure(h.grad_norm, h.clipped, 0.0, diverged_at=h.diverged_at))
    assert any("∞" in a.text for a in g.layout.annotations)
    text = tv.divergence_text(diverged)
    assert "epoch 36" in text and "NaN" in text and "∞" in text


def test_grad_norm_figure_draws_the_clip_threshold_and_which_epochs_were_clipped():
    res = tv.run(tv.fix_spec(tv.FIXES[1]))  # SGD η = 5 with clipping at 1
    h = res.history
    fig = valid(ft.grad_norm_figure(h.grad_norm, h.clipped, 1.0))
    g = trace(fig, "grad_norm")
    np.testing.assert_allclose(arr(g.y), h.grad_norm)
    assert fig.layout.yaxis.type == "log"
    assert [s.y0 for s in fig.layout.shapes] == [1.0]
    colours = np.array(g.marker.color)
    assert h.clipped.any() and (~h.clipped).any()
    assert set(colours[h.clipped]) == {ft.CLIP_COLOUR} and ft.CLIP_COLOUR not in set(colours[~h.clipped])
    np.testing.assert_array_equal(h.clipped, h.grad_norm > 1.0)


def test_weights_and_hidden_state_figures_show_the_snapshots(default_run):
    epochs = default_run.snapshot_epochs()
    assert epochs[0] == 0 and epochs[-1] == 200 and len(epochs) <= tv.MAX_SNAPSHOTS
    snap = default_run.history.snapshots[epochs[3]]
    fig = valid(ft.weights_figure(snap, default_run.start_cell, default_run.spec.vocab, epochs[3], 2.5))
    np.testing.assert_allclose(arr(trace(fig, "W_xh").z).reshape(snap["W_xh"].shape), snap["W_xh"])
    np.testing.assert_allclose(arr(trace(fig, "W_hh").z).reshape(snap["W_hh"].shape), snap["W_hh"])
    np.testing.assert_allclose(np.ravel(arr(trace(fig, "w_o").z)), snap["w_o"])
    assert all(t.zmin == -2.5 and t.zmax == 2.5 for t in fig.data)
    np.testing.assert_allclose(default_run.history.snapshots[0]["W_hh"], default_run.start_cell.W_hh)
    x = default_run.spec.inputs()[0]
    before = default_run.start_cell.forward(x)
    after = default_run.snapshot_cell(200)[0].forward(x)
    np.testing.assert_allclose(after.h, default_run.result.cell.forward(x).h)
    hf = valid(ft.hidden_figure(before, after, default_run.spec.sentences[0], 200))
    np.testing.assert_allclose(arr(trace(hf, "before").z).reshape(before.h.T.shape), before.h.T)
    np.testing.assert_allclose(arr(trace(hf, "after").z).reshape(after.h.T.shape), after.h.T)


def test_fixes_figure_has_a_panel_per_run_and_marks_the_divergence(diverged):
    ok = tv.run(tv.fix_spec(tv.FIXES[2]))
    fig = valid(ft.fixes_figure([("η = 5", diverged.history), ("η = 2", ok.history)]))
    assert [t.meta for t in fig.data] == ["fix0", "fix0_diverged", "fix1"]
    x = trace(fig, "fix0_diverged")
    assert x.x[0] == 35 and "36" in x.text[0]
    assert fig.layout.yaxis.type == "log"


def test_long_dependency_figures_show_the_sweep_and_exact_gradients():
    cfg = longdep.LongDepConfig(ks=(2, 3), n_train=16, n_test=16, epochs=3)
    sweep = longdep.sweep(cfg)
    fig = valid(ft.longdep_accuracy_figure(sweep))
    for i, kind in enumerate(cfg.kinds):
        np.testing.assert_allclose(arr(trace(fig, kind).y), 100 * sweep.accuracy[i])
    flows = [longdep.gradient_flow(sweep.run(kind, 3)) for kind in cfg.kinds]
    ff = valid(ft.flow_figure(flows))
    np.testing.assert_allclose(arr(trace(ff, "LSTM").y), flows[1].dl_dh)
    assert ff.layout.yaxis.type == "log" and len(trace(ff, "GRU").x) == longdep.LECTURE_K + 1


# --------------------------------------------------------------------------- data, limits, runs


def test_table_rows_and_corpus_round_trip_and_edits():
    text = "movie was good | 1\nno label here\n\nmovie was bad | 0\nodd label | maybe"
    rows = tv.corpus_rows(text)
    assert rows == [{"sentence": "movie was good", "label": "1"},
                    {"sentence": "no label here", "label": ""},
                    {"sentence": "movie was bad", "label": "0"},
                    {"sentence": "odd label | maybe", "label": ""}]
    assert tv.corpus_rows(tv.rows_corpus(rows)) == rows
    edited = tv.apply_edits(rows, {"edited_rows": {1: {"label": "0"}}, "deleted_rows": [3],
                                   "added_rows": [{"sentence": "a new one", "label": 1.0}]})
    assert tv.rows_corpus(edited).splitlines() == ["movie was good | 1", "no label here | 0",
                                                   "movie was bad | 0", "a new one | 1"]
    notes = tv.row_problems([*rows, {"sentence": "!!", "label": "1"}])
    assert any("Row 2" in n and "no label" in n for n in notes)
    assert any("Row 5" in n and "no words" in n for n in notes)


def test_csv_in_and_out_with_a_message_for_every_bad_row():
    good = tv.rows_csv([{"sentence": "movie was good", "label": "1"}, {"sentence": "so, bad", "label": "0"}])
    rows, problems = tv.parse_csv(good)
    assert rows == [{"sentence": "movie was good", "label": "1"}, {"sentence": "so, bad", "label": "0"}]
    assert problems == []
    data = "sentence,label\nmovie was good,1\nmovie was bad,2\n,1\nno label at all\nfine again, 0 \n"
    rows, problems = tv.parse_csv(data.encode())
    assert [r["sentence"] for r in rows] == ["movie was good", "fine again"]
    assert len(problems) == 3
    assert "Line 3" in problems[0] and "'2' is not 0 or 1" in problems[0]
    assert "Line 4" in problems[1] and "no words" in problems[1]
    assert "Line 5" in problems[2] and "no label" in problems[2]
    assert tv.parse_csv(b"\xff\xfe\x00bad")[1][0].startswith("The file is not UTF-8")
    assert tv.parse_csv(b"")[1] == ["The file has no rows."]
    assert "MB" in tv.parse_csv(b"x" * (tv.MAX_CSV_BYTES + 1))[1][0]
    headerless, _ = tv.parse_csv(b"cat mat rat,1\nmat mat cat,0\n")
    assert len(headerless) == 2


def test_spec_uses_labelled_sentences_the_whole_vocabulary_and_the_budget():
    spec, corpus = tv.spec_from(SETTINGS, REVIEWS + "\nmovie was fun")
    assert len(spec.sentences) == 3 and spec.vocab == tuple(corpus.vocab.tokens) and "fun" in spec.vocab
    assert tv.spec_from(SETTINGS, "just one | 1\nno label")[0] is None
    big = tv.DATA_PRESETS["generated"][1]
    spec, _ = tv.spec_from({**SETTINGS, "train_epochs": 500, "train_batch": 999}, big)
    assert spec.epochs == tv.epoch_cap(spec.words) and spec.epochs * spec.words <= tv.MAX_WORK
    assert spec.batch == len(spec.sentences)
    assert f"at most {spec.epochs} epochs" in tv.limits_text(spec.words)


def test_a_run_stops_when_asked_and_at_the_time_limit():
    spec, _ = tv.spec_from({**SETTINGS, "train_epochs": 400}, tv.DATA_PRESETS["generated"][1])
    calls = []
    out = tv.run(spec, should_stop=lambda: len(calls) >= 5, on_epoch=calls.append)
    assert out.stop == "stopped" and out.history.epochs_run == 5 and not out.complete
    out = tv.run(spec, time_limit=0.0)
    assert out.stop == "time" and out.history.epochs_run == 1
    assert tv.STOP_TEXT[out.stop].startswith("stopped at the time limit")


def test_trained_weights_become_custom_weights_that_export_and_load_back(default_run):
    custom = tv.custom_weights(default_run, default_run.spec.vocab)
    assert custom.source == "rnnviz" and "training in rnnviz" in custom.summary
    assert "Train page" in custom.about and "100%" in custom.about
    data = export.weights_to_npz(custom.cell, custom.head, custom.vocab)
    back = weights_io.load_weights(data)
    np.testing.assert_allclose(back.cell.W_hh, default_run.result.cell.W_hh)
    assert back.vocab == default_run.spec.vocab and back.head.b_o == pytest.approx(custom.head.b_o)


def test_store_and_jobs_share_results_and_stop():
    store = tv.ResultStore(max_entries=2)
    store.put("a", 1)
    store.put("b", 2)
    assert store.get("a") == 1
    store.put("c", 3)
    assert store.get("b") is None and store.get("a") == 1  # least recently used dropped
    spec, _ = tv.spec_from(SETTINGS, REVIEWS)
    job = tv.train_job([spec], store).start()
    assert job.wait(60) and job.error is None and job.kind == "train"
    assert store.get(spec) is job.result[0] and job.progress["epoch"] == 200
    again = tv.train_job([spec], store).start()
    assert again.wait(60) and again.result[0] is job.result[0]  # cached by settings
    slow, _ = tv.spec_from({**SETTINGS, "train_cell": "LSTM", "train_hidden": 16, "train_epochs": 500},
                           tv.DATA_PRESETS["generated"][1])
    job = tv.train_job([slow], store).start()
    time.sleep(0.05)
    job.stop()
    assert job.wait(60) and job.result[0].stop == "stopped" and store.get(slow) is None


def test_failed_work_is_reported_not_lost():
    job = tv.Job("train", lambda j: 1 / 0).start()
    assert job.wait(10) and isinstance(job.error, ZeroDivisionError) and job.seconds >= 0


def test_presets_become_custom_weights_with_what_was_trained(default_run):
    vocab = rv.Vocabulary.from_tokens(default_run.spec.vocab)
    p = presets.TrainedPreset("demo", "Demo", default_run.result.cell, default_run.result.head, vocab,
                              "movie was good", "A SimpleRNN trained on three reviews.",
                              default_run.history, 1.0)
    custom = tv.preset_weights(p)
    assert custom.kind == "SimpleRNN" and custom.vocab == tuple(vocab.tokens) and custom.about == p.about
    assert custom.digest == "preset-demo" and custom.source == "rnnviz"
