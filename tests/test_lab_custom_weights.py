"""The gradient lab on uploaded weights: the user's own W_hh, rescaled to spectral radius w_h."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import rnnviz as rv
from rnnviz_app import lab, session, state
from rnnviz_app.weights_io import load_weights

REPO_ROOT = Path(__file__).resolve().parent.parent


def _upload(cell) -> object:
    buf = io.BytesIO()
    np.savez(buf, **cell.to_torch(), w_o=np.linspace(-1, 1, cell.hidden_size), b_o=np.array([0.3]))
    return load_weights(buf.getvalue())


def test_lab_uses_the_uploaded_cell_and_rescales_its_own_w_hh():
    cell = rv.GRU(5, 4, seed=9)
    custom = _upload(cell)
    settings = {**state.defaults(), "lab_cell": "SimpleRNN", "hidden": 3, "lab_len": "sentence"}
    spec = lab.lab_spec(settings, 5, [0, 1, 2], 1.0, custom)
    assert (spec.cell, spec.H, spec.mode("GRU"), spec.mode("LSTM")) == ("GRU", 4, "rescale", "orthogonal")
    model = lab.lab_model(spec)
    # each gate block rescaled to radius 1: w_h = that block's own radius gives back the uploaded W_hh
    radius = max(abs(np.linalg.eigvals(cell.W_hh[:, :4])))
    np.testing.assert_allclose(radius * model.Q[:, :4], cell.W_hh[:, :4], rtol=1e-12)
    np.testing.assert_array_equal(model.head.w_o, custom.head.w_o)
    point = lab.lab_point(spec, 1.3)
    direct = rv.wh_sweep(cell, rv.one_hot_ids([0, 1, 2], 5), 1.3, mode="rescale",
                         w_o=custom.head.w_o, b_o=custom.head.b_o, y=1.0)
    np.testing.assert_allclose(point.point.log10_jac, direct.log10_jac)
    assert set(point.cells) == {"SimpleRNN", "LSTM", "GRU"}


def test_a_zero_recurrent_matrix_falls_back_to_orthogonal():
    custom = _upload(rv.SimpleRNN(5, 2).replace(W_hh=np.zeros((2, 2))))
    spec = lab.lab_spec(state.defaults(), 5, [0, 1], None, custom)
    assert spec.mode("SimpleRNN") == "orthogonal"
    assert np.isfinite(lab.lab_point(spec, 0.8).point.log10_jac[0, -1])


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=30)
    app.run()
    return app


def test_lab_page_runs_on_uploaded_weights(at):
    at.session_state[session.CUSTOM_KEY] = _upload(rv.LSTM(5, 3, seed=2))
    at.switch_page("pages/lab.py").run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(m.value for m in at.markdown)
    assert "LSTM, H = 3 (your weights)" in shown
    assert any("uploaded cell" in c.value for c in at.caption)
