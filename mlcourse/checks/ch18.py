"""Checks of chapter 18 (sequences and volumes): two things to build, an LSTM step and a bidirectional RNN,
and the parameter count of a bidirectional GRU."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-z))


def _lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray,
               bias: np.ndarray, order: str = "ifgo", candidate: str = "tanh", squash_cell: bool = True,
               forget: str = "f") -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step in Keras's layout, with switches for the typical mistakes (gate order, activations)."""
    units = h.shape[1]
    z = x @ kernel + h @ recurrent + bias
    block = {name: z[:, k * units:(k + 1) * units] for k, name in enumerate(order)}
    i, f, o = _sigmoid(block["i"]), _sigmoid(block["f"]), _sigmoid(block["o"])
    g = np.tanh(block["g"]) if candidate == "tanh" else _sigmoid(block["g"])
    keep = f if forget == "f" else 1.0 - f
    c_new = keep * c + i * g
    return o * (np.tanh(c_new) if squash_cell else c_new), c_new


def _lstm_cases() -> list[tuple[int, int, int, int, str]]:
    """Hidden (seed, batch, inputs, units, steps) cases, with a description."""
    return [(1801, 1, 1, 1, 1, "one unit, one input, one step"),
            (1802, 4, 3, 5, 1, "a batch of 4, 3 inputs, 5 units, one step"),
            (1803, 2, 6, 4, 7, "a state carried over 7 steps")]


def _lstm_weights(seed: int, batch: int, inputs: int, units: int, steps: int) -> tuple[np.ndarray, ...]:
    """Random inputs (steps, batch, inputs), a non-zero start state and cell, and weights for one case."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps, batch, inputs))
    h0, c0 = rng.normal(scale=0.5, size=(batch, units)), rng.normal(size=(batch, units))
    kernel = rng.normal(scale=0.6, size=(inputs, 4 * units))
    recurrent = rng.normal(scale=0.6, size=(units, 4 * units))
    bias = rng.normal(scale=0.5, size=4 * units)
    return x, h0, c0, kernel, recurrent, bias


def _run_lstm(step: Any, x: np.ndarray, h: np.ndarray, c: np.ndarray, weights: tuple[np.ndarray, ...],
              what: str, student: bool) -> tuple[np.ndarray, np.ndarray]:
    """Carry (h, c) through every step of x with `step` (the student's function or the reference)."""
    for t in range(x.shape[0]):
        args = (x[t].copy(), h.copy(), c.copy(), *(w.copy() for w in weights))
        got = call_student(step, what, *args) if student else step(*args)
        if student:
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                fail(f"For {what}, lstm_step should return the pair (h, c).")
            h, c = (np.asarray(v, dtype=float) for v in got)
            if h.shape != (x.shape[1], weights[1].shape[0]) or c.shape != h.shape:
                fail(f"For {what}, h and c should both have shape (N, H) = {(x.shape[1], weights[1].shape[0])}; "
                     f"got {h.shape} and {c.shape}.")
        else:
            h, c = got
    return h, c


_LSTM_MISTAKES = [
    (dict(order="ifog"), "The gates are in the wrong order.",
     "Keras's blocks are input, forget, candidate, output: the candidate is the third block, the output gate the last"),
    (dict(order="igfo"), "The forget gate and the candidate are swapped.",
     "the second block of 4H columns is the forget gate"),
    (dict(candidate="sigmoid"), "The candidate should use tanh, not the sigmoid: it is a value, not a gate.", None),
    (dict(squash_cell=False), "The new h should be o times tanh of the new cell, not o times the cell.", None),
    (dict(forget="one_minus"), "The forget gate multiplies the old cell directly: f keeps, it does not erase.", None),
]


@exercise("18.1", "code", "one step of an LSTM in Keras's layout")
def _check_18_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (lstm_step), not its result.")
    for seed, batch, inputs, units, steps, what in _lstm_cases():
        x, h0, c0, *weights = _lstm_weights(seed, batch, inputs, units, steps)
        h, c = _run_lstm(fn, x, h0, c0, tuple(weights), what, student=True)
        right_h, right_c = _run_lstm(_lstm_step, x, h0, c0, tuple(weights), what, student=False)
        if np.allclose(h, right_h, atol=1e-6) and np.allclose(c, right_c, atol=1e-6):
            continue
        if np.allclose(h, right_c, atol=1e-6) and np.allclose(c, right_h, atol=1e-6):
            fail(f"For {what}, h and c came back swapped; return (h, c) in that order.")
        for change, message, hint in _LSTM_MISTAKES:
            wrong = lambda *a, change=change: _lstm_step(*a, **change)  # noqa: E731
            wh, wc = _run_lstm(wrong, x, h0, c0, tuple(weights), what, student=False)
            if np.allclose(h, wh, atol=1e-6) and np.allclose(c, wc, atol=1e-6):
                fail(message, hint)
        if np.allclose(c, right_c, atol=1e-6):
            fail(f"For {what}, the new cell c is right but h is not.", "h = output gate * tanh(new c)")
        if np.allclose(h, _run_lstm(lambda x_t, h_t, c_t, k, r, b: _lstm_step(x_t, 0 * h_t, c_t, k, r, b), x, h0, c0,
                                    tuple(weights), what, student=False)[0], atol=1e-6):
            fail(f"For {what}, the gates do not depend on the previous state h.",
                 "every gate reads both the input of this step and the state of the previous one")
        fail(f"Wrong h or c for {what}.",
             "check the four blocks one at a time against section 4's equations: which weights, which activation")


def _rnn(x: np.ndarray, kernel: np.ndarray, recurrent: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Every state of a vanilla tanh RNN in Keras's layout, (N, T, H)."""
    h = np.zeros((x.shape[0], kernel.shape[1]))
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        states.append(h)
    return np.stack(states, axis=1)


def _birnn(x: np.ndarray, forward: tuple, backward: tuple, realign: bool = True, reverse: bool = True,
           order: str = "fb") -> np.ndarray:
    """Bidirectional RNN with switches for the typical mistakes (no re-alignment, no reversal, swapped halves)."""
    ahead = _rnn(x, *forward)
    behind = _rnn(x[:, ::-1] if reverse else x, *backward)
    if realign and reverse:
        behind = behind[:, ::-1]
    halves = [ahead, behind] if order == "fb" else [behind, ahead]
    return np.concatenate(halves, axis=-1)


def _birnn_cases() -> list[tuple[np.ndarray, tuple, tuple, str]]:
    """Hidden (x, forward, backward, description) cases of the bidirectional RNN."""
    cases = []
    for seed, n, steps, d, units, what in ((1811, 2, 1, 3, 2, "a sequence of length 1"),
                                          (1812, 3, 2, 2, 3, "sequences of length 2"),
                                          (1813, 4, 9, 3, 4, "sequences of 9 steps")):
        rng = np.random.default_rng(seed)
        pair = [tuple(rng.normal(scale=0.7, size=s) for s in ((d, units), (units, units), (units,)))
                for _ in range(2)]
        cases.append((rng.normal(size=(n, steps, d)), pair[0], pair[1], what))
    return cases


@exercise("18.2", "code", "a bidirectional RNN that returns every step")
def _check_18_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (birnn), not its result.")
    for x, forward, backward, what in _birnn_cases():
        got = call_student(fn, what, x.copy(), tuple(w.copy() for w in forward), tuple(w.copy() for w in backward))
        if got is None:
            fail(f"For {what}, your function returned None; return the (N, T, 2H) array of states.")
        got = np.asarray(got, dtype=float)
        right = _birnn(x, forward, backward)
        if got.shape != right.shape:
            fail(f"For {what}, the result should have shape (N, T, 2H) = {right.shape}; got {got.shape}.",
                 "concatenate the forward and backward states along the last axis")
        if np.allclose(got, right, atol=1e-6):
            continue
        for change, message, hint in [
            (dict(realign=False), f"For {what}, the backward states are in reversed time order.",
             "after running over the reversed sequence, reverse its states back, so that step t holds the state "
             "after reading x_T ... x_t"),
            (dict(reverse=False), f"For {what}, the backward RNN read the sequence forwards.",
             "feed the backward RNN the sequence from the last step to the first"),
            (dict(order="bf"), f"For {what}, the two halves are swapped: forward states first, then backward.", None),
        ]:
            if np.allclose(got, _birnn(x, forward, backward, **change), atol=1e-6):
                fail(message, hint)
        fail(f"Wrong states for {what}.",
             "forward: rnn_forward on x; backward: rnn_forward on x reversed in time, then reversed back")


def _gru_params(inputs: int, units: int, biases: int = 2, gates: int = 3, directions: int = 2) -> int:
    """Trainable parameters of a (bidirectional) Keras GRU or LSTM layer."""
    return directions * gates * (inputs * units + units * units + biases * units)


@exercise("18.3", "numeric", "the parameters of Bidirectional(GRU(32)) on 64 inputs")
def _check_18_3(answer: Any) -> None:
    value = as_number(answer, "18.3")
    if value == _gru_params(64, 32):
        return
    known = [(_gru_params(64, 32, directions=1), "That is one direction; Bidirectional holds two GRUs.", None),
             (_gru_params(64, 32, biases=1), "With reset_after=True (Keras's default) each block has two biases, "
                                             "one for the input part and one for the recurrent part.", None),
             (_gru_params(64, 32, biases=1, gates=4), "That is a bidirectional LSTM (four blocks); a GRU has three.",
              None),
             (_gru_params(64, 32, biases=0), "Count the biases too.", None),
             (_gru_params(64, 32, gates=1, biases=1), "That is a bidirectional SimpleRNN; a GRU has three blocks "
                                                      "(update gate, reset gate, candidate).", None),
             (2 * 3 * (64 * 32 + 2 * 32), "The recurrent weights are missing: each block also maps the previous "
                                          "state (32 numbers) to 32 units.", None)]
    for number, message, hint in known:
        if value == number:
            fail(message, hint)
    fail("Not the number of parameters of that layer.",
         "count, for one direction and one block, the weights from the inputs, from the previous state and the "
         "biases; then multiply by the blocks and the directions")
