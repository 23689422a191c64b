"""Checks of chapter 18: right answers pass, typical wrong ones fail with the hint meant for them, None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.checks import ch18
from mlcourse.exercises import EXERCISES, ExerciseFailed, check


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x_t, h, c, kernel, recurrent, bias, order="ifgo", candidate=np.tanh, squash=True, forget_as_erase=False):
    """A student's LSTM step with switches for the mistakes the check recognises."""
    units = h.shape[1]
    z = x_t @ kernel + h @ recurrent + bias
    blocks = {name: z[:, k * units:(k + 1) * units] for k, name in enumerate(order)}
    i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    keep = 1 - f if forget_as_erase else f
    c_new = keep * c + i * candidate(blocks["g"])
    return o * (np.tanh(c_new) if squash else c_new), c_new


def test_chapter_18_exercises_are_registered():
    from mlcourse.exercises import _load_chapter

    _load_chapter("18.1")
    assert {"18.1", "18.2", "18.3"} <= set(EXERCISES)


def test_a_right_lstm_step_passes():
    check("18.1", lstm_step)


def test_the_reference_lstm_step_agrees_with_keras():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    keras.utils.set_random_seed(0)
    layer = keras.layers.LSTM(6, return_sequences=True)
    want = keras.ops.convert_to_numpy(layer(x))
    kernel, recurrent, bias = (np.asarray(w, dtype=float) for w in layer.get_weights())
    h = c = np.zeros((3, 6))
    for t in range(5):
        h, c = ch18._lstm_step(x[:, t].astype(float), h, c, kernel, recurrent, bias)
        np.testing.assert_allclose(h, want[:, t], atol=1e-5)


@pytest.mark.parametrize("wrong, hint", [
    (dict(order="ifog"), "wrong order"),
    (dict(order="igfo"), "forget gate and the candidate are swapped"),
    (dict(candidate=sigmoid), "candidate should use tanh"),
    (dict(squash=False), "o times tanh of the new cell"),
    (dict(forget_as_erase=True), "f keeps"),
])
def test_typical_lstm_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check("18.1", lambda *a: lstm_step(*a, **wrong))


def test_lstm_step_returning_c_h_or_one_array_or_raising_gets_feedback():
    with pytest.raises(ExerciseFailed, match="swapped"):
        check("18.1", lambda *a: lstm_step(*a)[::-1])
    with pytest.raises(ExerciseFailed, match=r"pair \(h, c\)"):
        check("18.1", lambda *a: lstm_step(*a)[0])
    with pytest.raises(ExerciseFailed, match="raised ZeroDivisionError"):
        check("18.1", lambda *a: 1 / 0)
    with pytest.raises(ExerciseFailed, match="not written yet"):
        check("18.1", None)
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("18.1", 3)


def test_lstm_step_that_changes_its_inputs_in_place_still_passes_and_a_stateless_one_fails():
    def in_place(x_t, h, c, kernel, recurrent, bias):
        out = lstm_step(x_t, h, c, kernel, recurrent, bias)
        h[:] = 0
        c[:] = 0
        return out

    check("18.1", in_place)

    def forgets_c(x_t, h, c, kernel, recurrent, bias):
        return lstm_step(x_t, h, np.zeros_like(c), kernel, recurrent, bias)

    with pytest.raises(ExerciseFailed):
        check("18.1", forgets_c)


def rnn(x, kernel, recurrent, bias):
    h = np.zeros((x.shape[0], kernel.shape[1]))
    out = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        out.append(h)
    return np.stack(out, axis=1)


def birnn(x, forward, backward):
    return np.concatenate([rnn(x, *forward), rnn(x[:, ::-1], *backward)[:, ::-1]], axis=-1)


def test_a_right_birnn_passes_and_the_reference_agrees_with_keras():
    import keras

    check("18.2", birnn)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    keras.utils.set_random_seed(1)
    layer = keras.layers.Bidirectional(keras.layers.SimpleRNN(4, return_sequences=True))
    want = keras.ops.convert_to_numpy(layer(x))
    weights = [np.asarray(w, dtype=float) for w in layer.get_weights()]
    np.testing.assert_allclose(ch18._birnn(x.astype(float), tuple(weights[:3]), tuple(weights[3:])), want,
                               atol=1e-5)


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, f, b: np.concatenate([rnn(x, *f), rnn(x[:, ::-1], *b)], axis=-1), "reversed time order"),
    (lambda x, f, b: np.concatenate([rnn(x, *f), rnn(x, *b)], axis=-1), "read the sequence forwards"),
    (lambda x, f, b: np.concatenate([rnn(x[:, ::-1], *b)[:, ::-1], rnn(x, *f)], axis=-1), "halves are swapped"),
    (lambda x, f, b: rnn(x, *f), r"shape \(N, T, 2H\)"),
    (lambda x, f, b: None, "returned None"),
    (lambda x, f, b: np.concatenate([rnn(x, *f), rnn(x[:, ::-1], *f)[:, ::-1]], axis=-1), "Wrong states"),
])
def test_typical_birnn_mistakes_get_their_hint(wrong, hint):
    with pytest.raises(ExerciseFailed, match=hint):
        check("18.2", wrong)


def test_the_gru_parameter_count_matches_keras_and_mistakes_get_hints():
    import keras

    layer = keras.layers.Bidirectional(keras.layers.GRU(32))
    layer.build((None, 10, 64))
    assert layer.count_params() == 18816
    check("18.3", 18816)
    check("18.3", 18816.0)
    for wrong, hint in [(9408, "one direction"), (18624, "two biases"), (24832, "LSTM"), (18432, "biases too"),
                        (6208, "SimpleRNN"), (12672, "recurrent weights are missing"), (1, "Not the number")]:
        with pytest.raises(ExerciseFailed, match=hint):
            check("18.3", wrong)
    with pytest.raises(ExerciseFailed, match="not written yet"):
        check("18.3", None)


def test_an_lstm_step_that_ignores_the_previous_state_is_named():
    def no_state(x_t, h, c, kernel, recurrent, bias):
        return lstm_step(x_t, 0 * h, c, kernel, recurrent, bias)

    with pytest.raises(ExerciseFailed, match="previous state"):
        check("18.1", no_state)
