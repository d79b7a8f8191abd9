"""The trained lecture presets, retrained here from their seeded code, show what the lecture says they show.

Riya / Delhi / London (handwritten notes): at the second city the LSTM's forget gate on the units that hold
the city drops below 0.3 while it stays above 0.7 on the other words; the GRU's update gate z (PyTorch's
convention: z near 1 keeps h_{t-1}) keeps on the words between the two cities and replaces at the new one.
"""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz import presets


@pytest.fixture(scope="module")
def lstm():
    return presets.riya_lstm()


@pytest.fixture(scope="module")
def gru():
    return presets.riya_gru()


def test_lstm_forget_gate_drops_at_the_second_city_and_stays_open_elsewhere(lstm):
    prof = presets.gate_profile(lstm, "f")
    assert prof["second_city"] < 0.3
    assert prof["elsewhere"] > 0.7
    units = presets.city_units(lstm)
    assert len(units) == lstm.cell.hidden_size // 2
    tr = lstm.trace()
    t = rv.tokenize(lstm.text).index("london")
    # the city units' cell state changes sign pattern at London: the old city was dropped, not added to
    assert np.all(np.sign(tr.c[t, units]) != np.sign(tr.c[t - 1, units]))


def test_gru_update_gate_keeps_between_the_cities_and_replaces_at_the_new_one(gru):
    prof = presets.gate_profile(gru, "z")
    assert prof["second_city"] < 0.3
    assert prof["between"] > 0.7


@pytest.mark.parametrize("which", ["lstm", "gru"])
def test_presets_answer_the_lecture_sentence_and_new_biographies(which, request):
    p = request.getfixturevalue(which)
    assert p.test_accuracy >= 0.9
    assert p.history.stop_reason == "done" and p.history.loss[-1] < 0.05
    yhat = p.head.forward(p.trace().h[-1])
    assert yhat < 0.5  # Riya lives in London now: not in India
    india = p.text.replace("London", "Mumbai")
    assert p.head.forward(p.trace(india).h[-1]) > 0.5
    assert p.vocab.tokens == list(presets.BIO_WORDS) and p.cell.input_size == len(presets.BIO_WORDS)
    assert f"{p.history.epochs_run} epochs" in p.about and f"{p.test_accuracy:.0%}" in p.about


def test_biographies_are_seeded_and_labelled_by_the_last_city():
    a = presets.biographies(50, 3, p_india=0.5)
    assert a == presets.biographies(50, 3, p_india=0.5) and a != presets.biographies(50, 4, p_india=0.5)
    for toks, label in a:
        cities = [t for t in toks if t in presets.INDIA + presets.ABROAD]
        assert 1 <= len(cities) <= 4
        assert label == int(cities[-1] in presets.INDIA)
        assert set(toks) <= set(presets.BIO_WORDS)
    assert set(rv.tokenize(presets.RIYA_TEXT)) <= set(presets.BIO_WORDS)


def test_sentiment_set_is_seeded_and_not_flips_the_label():
    data = presets.sentiment_set(200, 0)
    assert data == presets.sentiment_set(200, 0) and len(data) == 200
    labels = np.array([y for _, y in data])
    assert 0.3 < labels.mean() < 0.7
    for text, y in data:
        last = text.split(" but ")[-1].split()
        good = last[-1] in ("good", "great", "fun", "brilliant", "lovely")
        assert y == int(good != ("not" in last))
    with pytest.raises(ValueError, match="n must be"):
        presets.sentiment_set(0)
