"""AppTest of page 5 · Train: train and read the results, Stop a long run, use the trained weights on every
page and Reset, bad CSV rows with a clear message, the lecture's fixes, and a sequence of setting changes
(widgets whose bounds depend on other settings must never crash)."""

from __future__ import annotations

import json
import time

import numpy as np
from apptools import decode, open_page, rerun, set_widget
from streamlit.testing.v1 import AppTest

from rnnviz_app import train_view as tv

PAGE = "pages/train.py"


def wait_done(at: AppTest, timeout: float = 120.0) -> AppTest:
    """Rerun until the background job is over (the Stop button is gone)."""
    deadline = time.monotonic() + timeout
    while any(b.key == "train_stop" for b in at.button):
        assert time.monotonic() < deadline, "training did not finish"
        time.sleep(0.2)
        rerun(at)
    return rerun(at)


def chart(at: AppTest, title: str) -> dict:
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(s for s in specs if title in json.dumps(s["layout"].get("title", "")))


def trace(spec: dict, meta: str) -> np.ndarray:
    t = next(t for t in spec["data"] if t.get("meta") == meta)
    return decode(t["y"])


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def frame(at: AppTest, column: str):
    """The first table on the page with this column."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def badge(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_train_then_use_the_weights_on_every_page_then_reset() -> None:
    at = open_page(PAGE)
    assert not any(t.startswith("Finished") for t in texts(at, "success"))
    at.button(key="train_start").click()
    wait_done(rerun(at))
    done = [t for t in texts(at, "success") if t.startswith("Finished after 200 of 200 epochs")]
    assert done and "training accuracy 67% → 100%" in done[0]
    loss = trace(chart(at, "Loss and accuracy per epoch"), "loss")
    assert loss.size == 201 and loss[-1] < 0.01 < loss[0]
    preds = frame(at, "correct")
    assert list(preds["correct"]) == ["✓", "✓", "✓"] and list(preds["label"]) == [1, 0, 0]
    at.button(key="train_use_weights").click()
    rerun(at)
    assert "Using your weights" in badge(at) and "training in rnnviz" in badge(at)
    assert any("Every page now runs on these trained weights" in t for t in texts(at, "success"))
    for page in ("pages/forward.py", "pages/gates.py", "pages/bptt.py", "pages/lab.py", "pages/weights.py"):
        at.switch_page(page)
        rerun(at)
        assert "training in rnnviz" in badge(at), page
    assert any("Using your weights" in t for t in texts(at, "success"))  # the weights page names them
    at.button(key="reset_custom_weights").click()
    rerun(at)
    assert "Using your weights" not in badge(at)


def test_stop_ends_a_long_run_and_keeps_what_it_learned() -> None:
    at = open_page(PAGE)
    at.button(key="train_data_generated").click()
    rerun(at)
    set_widget(at, "w_train_cell", "LSTM")
    set_widget(at, "w_train_hidden", 16)
    cap = at.slider(key="w_train_epochs").max
    set_widget(at, "w_train_epochs", cap)
    at.button(key="train_start").click()
    rerun(at)
    assert any(b.key == "train_stop" for b in at.button)
    at.button(key="train_stop").click()
    wait_done(rerun(at))
    stopped = [t for t in texts(at, "success") if t.startswith("Stopped by you after")]
    assert stopped, texts(at, "success")
    ran = int(stopped[0].split("after ")[1].split(" of")[0])
    assert 1 <= ran < cap
    assert trace(chart(at, "Loss and accuracy per epoch"), "loss").size == ran + 1
    at.button(key="train_use_weights").click()
    rerun(at)
    assert "LSTM, H=16" in badge(at)


def test_bad_csv_rows_get_a_clear_message_and_the_good_rows_load() -> None:
    at = open_page(PAGE)
    data = b"sentence,label\nthe film was great,1\nthe plot was dull,yes\n,0\nthe music was bad,0\n"
    at.file_uploader(key="train_csv_0").set_value(("reviews.csv", data, "text/csv"))
    rerun(at)
    warning = " ".join(texts(at, "warning"))
    assert "reviews.csv" in warning and "2 rows loaded; 2 left out" in warning
    assert "Line 3" in warning and "'yes' is not 0 or 1" in warning and "Line 4" in warning
    assert at.sidebar.text_area[0].value == "the film was great | 1\nthe music was bad | 0"
    table = at.dataframe[0].value
    assert list(table["sentence"]) == ["the film was great", "the music was bad"]
    broken = b"\xff\xfe not text"
    at.file_uploader(key="train_csv_1").set_value(("broken.csv", broken, "text/csv"))
    rerun(at)
    assert any("not UTF-8" in t for t in texts(at, "warning"))
    assert at.sidebar.text_area[0].value == "the film was great | 1\nthe music was bad | 0"  # nothing lost


def test_the_lecture_fixes_run_side_by_side() -> None:
    at = open_page(PAGE)
    at.button(key="train_run_fixes").click()
    wait_done(rerun(at), timeout=240)
    table = frame(at, "in the lecture")
    assert table["result"][0] == "diverged at epoch 36 (‖∂L/∂θ‖ = ∞)"
    assert all(r.startswith("loss") for r in table["result"][1:])
    spec = chart(at, "one change at a time")
    assert any(t.get("meta") == "fix0_diverged" for t in spec["data"])
    at.button(key="train_load_clip").click()
    rerun(at)
    assert at.number_input(key="w_train_clip").value == 1.0 and at.number_input(key="w_train_lr").value == 5.0
    assert at.radio(key="w_train_act").value == "relu"
    assert any("cached" in c.value for c in at.caption)  # this run was trained already: shown at once
    assert any(t.startswith("Finished after 150 of 150") for t in texts(at, "success"))


def test_a_sequence_of_setting_changes_never_crashes() -> None:
    at = open_page(PAGE)
    at.button(key="train_start").click()
    wait_done(rerun(at))
    set_widget(at, "w_train_epochs", 50)
    assert any("settings or data have changed" in t for t in texts(at, "info"))
    set_widget(at, "w_train_batch", 3)
    at.button(key="train_data_generated").click()  # 60 sentences: a lower epoch cap
    rerun(at)
    cap = at.slider(key="w_train_epochs").max
    assert cap < 500 and at.slider(key="w_train_epochs").value <= cap
    set_widget(at, "w_train_epochs", cap)
    set_widget(at, "w_train_cell", "GRU")
    set_widget(at, "w_train_hidden", 1)
    at.button(key="train_data_catmatrat").click()  # 3 sentences: batch and epochs clamp to the new bounds
    rerun(at)
    assert at.number_input(key="w_train_batch").value <= 3
    set_widget(at, "w_train_epochs", 30)
    at.button(key="train_start").click()
    wait_done(rerun(at))
    assert at.select_slider(key="train_epoch_view").value == 30  # the new run's last epoch
    at.select_slider(key="train_epoch_view").set_value(0)
    rerun(at)
    set_widget(at, "w_train_epochs", 10)
    at.button(key="train_start").click()
    wait_done(rerun(at))
    assert at.select_slider(key="train_epoch_view").value == 10
    at.sidebar.text_area[0].input("only one | 1")  # too little labelled data: a message, no traceback
    rerun(at)
    assert any("at least two sentences with a label" in t for t in texts(at, "info"))
    assert not any(b.key == "train_start" and not b.disabled for b in at.button)
    assert tv.MAX_EPOCHS == 500


def test_two_sessions_training_at_once_both_finish() -> None:
    sessions = []
    for cell in ("GRU", "LSTM"):
        at = open_page(PAGE)
        at.button(key="train_data_generated").click()
        rerun(at)
        set_widget(at, "w_train_cell", cell)
        set_widget(at, "w_train_epochs", 60)
        sessions.append(at)
    for at in sessions:
        at.button(key="train_start").click()
        rerun(at)
    for at in sessions:
        wait_done(at)
        done = [t for t in texts(at, "success") if t.startswith("Finished after 60 of 60 epochs")]
        assert done, texts(at, "success")
