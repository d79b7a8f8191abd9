"""AppTest: page 6 (your own weights), the sidebar badge, presentation mode, the share link, downloads."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import session
from rnnviz_app.weights_io import load_weights

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGES = ["home", "encoding", "forward", "gates", "bptt", "lab", "weights"]
WORDS = ["movie", "was", "good", "bad", "not"]


def npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def lstm_file(vocab=WORDS, H: int = 2) -> bytes:
    cell = rv.LSTM(len(WORDS if vocab is None else vocab), H, seed=11)
    extra = {"vocab": np.array(vocab)} if vocab is not None else {}
    w_o = np.array([1.5, -0.5][:H] + [0.1] * (H - 2))
    return npz(**cell.to_torch(), w_o=w_o, b_o=np.array([0.2]), **extra)


def app() -> AppTest:
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def weights_page() -> AppTest:
    at = app()
    at.switch_page("pages/weights.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in at.get(kind)]


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader[0].set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def badge(at: AppTest) -> list[str]:
    return [m for m in texts(at, "markdown") if "Using your weights" in m]


def test_weights_page_shows_snippets_and_the_built_in_weights() -> None:
    at = weights_page()
    code = "\n".join(c.value for c in at.code)
    assert "state_dict()" in code and "np.savez" in code and "get_weights()" in code
    assert any("No weights uploaded" in t for t in texts(at, "info"))
    assert badge(at) == []
    assert at.get("plotly_chart"), "the weight heatmaps of the built-in cell"
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == ["Trace (CSV)", "Trace (JSON)", "Weights (.npz)", "Figure: weights (HTML)"]


def test_upload_runs_every_page_on_the_file() -> None:
    at = weights_page()
    upload(at, "my-lstm.npz", lstm_file())
    assert any("LSTM, H=2, from PyTorch" in t for t in texts(at, "success"))
    assert badge(at) and "LSTM, H=2, from PyTorch" in badge(at)[0]
    custom = at.session_state[session.CUSTOM_KEY]
    # the page's ŷ is the uploaded head on the uploaded cell
    x = rv.one_hot_ids([0, 1, 2], 5)
    yhat = custom.head.forward(custom.cell.forward(x).h[-1])
    assert any(f"{yhat:.4f}" in t for t in texts(at, "markdown"))
    # the upload decides the cell: the sidebar's cell widgets give way to the badge
    assert "w_cell" not in [r.key for r in at.radio] and "w_hidden" not in [s.key for s in at.slider]
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert badge(at), f"badge missing on {page}"


def test_bad_upload_is_a_message_and_keeps_the_earlier_weights() -> None:
    at = weights_page()
    upload(at, "good.npz", lstm_file())
    upload(at, "broken.npz", b"not a zip at all")
    errors = texts(at, "error")
    assert any("broken.npz" in e and "not an .npz" in e for e in errors)
    assert any("Still using your earlier weights" in c for c in texts(at, "caption"))
    assert "LSTM, H=2" in badge(at)[0]
    upload(at, "deep.npz", npz(**rv.GRU(5, 2).to_torch(), weight_ih_l1=np.zeros((6, 2))))
    assert any("2-layer" in e and "missing" in e for e in texts(at, "error"))
    assert at.session_state[session.CUSTOM_KEY].kind == "LSTM"


def test_cell_type_choice_rereads_the_file() -> None:
    at = weights_page()
    cell = rv.SimpleRNN(5, 3, activation="relu", seed=2)
    upload(at, "relu.npz", npz(**cell.to_torch()))
    assert "SimpleRNN (tanh)" in badge(at)[0]
    at.radio(key="w_weights_kind").set_value("SimpleRNN (relu)").run()
    assert not at.exception
    assert "SimpleRNN (relu)" in badge(at)[0]
    at.radio(key="w_weights_kind").set_value("GRU").run()
    assert any("GRU" in e and "fit a SimpleRNN" in e for e in texts(at, "error"))
    assert "SimpleRNN (relu)" in badge(at)[0]


def test_reset_goes_back_to_the_built_in_cell_and_keeps_the_settings() -> None:
    at = app()
    at.radio(key="w_cell").set_value("GRU").run()
    at.slider(key="w_hidden").set_value(5).run()
    at.switch_page("pages/weights.py").run()
    upload(at, "w.npz", lstm_file())
    assert at.session_state["cell"] == "GRU" and at.session_state["hidden"] == 5  # kept, not overwritten
    at.button(key="reset_custom_weights").click().run()
    assert not at.exception
    assert session.CUSTOM_KEY not in at.session_state
    assert badge(at) == []
    assert at.radio(key="w_cell").value == "GRU" and at.slider(key="w_hidden").value == 5
    assert at.file_uploader[0].value is None, "the uploader starts empty after a reset"
    assert any("No weights uploaded" in t for t in texts(at, "info"))


def test_corpus_words_outside_the_vocab_are_listed_not_crashed() -> None:
    at = weights_page()
    upload(at, "small.npz", lstm_file(vocab=["movie", "was", "good", "great", "film"]))
    errors = texts(at, "error")
    assert any("bad, not" in e and "vocabulary of 5 words" in e for e in errors), errors
    for page in PAGES:
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    # fixing the corpus makes it run
    at.text_area(key="w_corpus").set_value("good movie | 1\nfilm was great | 1").run()
    at.switch_page("pages/weights.py").run()
    assert not at.exception and not any("vocabulary" in e for e in texts(at, "error"))


def test_custom_weights_put_in_session_state_drive_the_forward_page() -> None:
    at = app()
    custom = load_weights(lstm_file(vocab=None, H=3))
    at.session_state[session.CUSTOM_KEY] = custom
    at.switch_page("pages/forward.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert badge(at) and "LSTM, H=3, from PyTorch" in badge(at)[0]


def test_presentation_mode_injects_only_a_style_block() -> None:
    at = app()
    assert not [m for m in texts(at, "markdown") if "<style>" in m]
    at.toggle(key="w_present").set_value(True).run()
    styles = [m for m in texts(at, "markdown") if "<style>" in m]
    assert len(styles) == 1
    css = styles[0]
    assert css.strip().startswith("<style>") and css.strip().endswith("</style>")
    assert "font-size" in css and "stTooltipIcon" in css
    assert at.query_params.get("present") in ("1", ["1"])


def test_share_link_holds_the_settings() -> None:
    at = app()
    assert any("at its default" in c for c in texts(at, "caption"))
    at.radio(key="w_cell").set_value("LSTM").run()
    at.text_area(key="w_corpus").set_value("a b & c | 1").run()
    links = [c.value for c in at.code if c.value.startswith("?")]
    assert links == ["?corpus=a+b+%26+c+%7C+1&cell=LSTM"]


@pytest.mark.parametrize("text, escaped", [("a*b_c", r"a\*b\_c"), ("<b>", r"\<b\>"), ("x-y (1)", "x-y (1)")])
def test_escape_md(text: str, escaped: str) -> None:
    assert session.escape_md(text) == escaped
