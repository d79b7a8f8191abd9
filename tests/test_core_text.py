"""Text → numbers: the seeds' vocabulary, ids, one-hot and Keras-shaped padded batch."""

import numpy as np
import pytest

import rnnviz as rv

REVIEWS = ["movie was good", "movie was bad", "movie was not good"]


def test_tokenize_rules():
    assert rv.tokenize("Movie WAS good!") == ["movie", "was", "good"]
    assert rv.tokenize("I don't know, it’s 2024") == ["i", "don't", "know", "it’s", "2024"]
    assert rv.tokenize("café naïve Größe") == ["café", "naïve", "größe"]
    assert rv.tokenize("مرحبا بالعالم") == ["مرحبا", "بالعالم"]
    assert rv.tokenize("snake_case-and/slash") == ["snake", "case", "and", "slash"]
    assert rv.tokenize("'quoted' rock'n'roll o'") == ["quoted", "rock'n'roll", "o"]
    assert rv.tokenize("!!! 😀 ...") == []
    assert rv.tokenize("") == []


def test_tokenize_rejects_non_text():
    with pytest.raises(ValueError, match="str"):
        rv.tokenize(None)


def test_seed_vocabulary_first_seen_order():
    vocab = rv.Vocabulary.from_texts(REVIEWS)
    assert vocab.tokens == ["movie", "was", "good", "bad", "not"]
    assert vocab.index == {"movie": 0, "was": 1, "good": 2, "bad": 3, "not": 4}
    assert len(vocab) == 5
    assert vocab.encode("movie was not good") == [0, 1, 4, 2]
    assert vocab.tokens == vocab.decode(range(5))
    vocab.tokens.append("x")  # a copy: the vocabulary cannot be changed from outside
    assert len(vocab) == 5 and "x" not in vocab


def test_unknown_word_is_named():
    vocab = rv.Vocabulary.from_texts(REVIEWS)
    with pytest.raises(ValueError, match="'great'"):
        vocab.encode("movie was great")


def test_one_hot_rows_pick_ids():
    vocab = rv.Vocabulary.from_texts(REVIEWS)
    x = rv.one_hot("movie was bad", vocab)
    assert x.shape == (3, 5) and x.dtype == np.float64
    np.testing.assert_array_equal(x.argmax(1), [0, 1, 3])
    np.testing.assert_array_equal(x.sum(1), 1.0)


@pytest.mark.parametrize("padding", ["post", "pre"])
def test_one_hot_batch_keras_layout(padding):
    vocab = rv.Vocabulary.from_texts(REVIEWS)
    batch = rv.one_hot_batch(REVIEWS, vocab, padding=padding)
    assert batch.shape == (3, 4, 5)  # (batch, timesteps, features)
    real = batch.sum(2)  # 1 on a word, 0 on padding
    pad_row = 3 if padding == "post" else 0
    assert real[0, pad_row] == 0 and real[1, pad_row] == 0 and real[2].all()
    mask = rv.padding_mask([3, 3, 4], 4, padding)
    np.testing.assert_array_equal(mask, real.astype(bool))
    first = batch[0][mask[0]]
    np.testing.assert_array_equal(first, rv.one_hot(REVIEWS[0], vocab))


def test_bad_padding_is_a_value_error():
    vocab = rv.Vocabulary.from_texts(REVIEWS)
    with pytest.raises(ValueError, match="'middle'"):
        rv.one_hot_batch(REVIEWS, vocab, padding="middle")


def test_embedding_is_seeded_and_dense():
    E1, E2 = rv.embedding_matrix(5, 3, seed=4), rv.embedding_matrix(5, 3, seed=4)
    np.testing.assert_array_equal(E1, E2)
    assert E1.shape == (5, 3) and np.all(E1 != 0)
    assert not np.array_equal(E1, rv.embedding_matrix(5, 3, seed=5))
