"""Checks of chapter 08: right answers pass, wrong ones fail with feedback (never the answer), None fails,
and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check

RIGHT_08_1 = 128 * 128 * 256 + 256


def sigmoid_derivative(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return e / (1.0 + e) ** 2


def stable_s_times_one_minus_s(z):
    z = np.asarray(z, dtype=float)
    s = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    return s * (1 - s)


def inverted_dropout(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a / (1 - rate), 0.0)


def test_right_answers_pass(capsys):
    check("08.1", RIGHT_08_1)
    check("08.1", float(RIGHT_08_1))
    check("08.2", sigmoid_derivative)
    check("08.2", stable_s_times_one_minus_s)   # exact 0 for huge |z| is accepted
    check("08.3", inverted_dropout)
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("answer, feedback", [
    (128 * 128 * 256, "weights only"),
    (128 * 256 + 256, "128 inputs"),
    (128 * 128 * 256 + 128 * 128, "bias per input"),
    (12345, "Not the right count"),
    ("many", "expected a single number"),
])
def test_wrong_parameter_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("08.1", answer)
    assert str(RIGHT_08_1) not in str(err.value) and f"{RIGHT_08_1:,}" not in str(err.value)


def naive_overflowing(z):
    z = np.asarray(z, dtype=float)
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def z_times_one_minus_z(z):
    z = np.asarray(z, dtype=float)
    return z * (1 - z)


def the_sigmoid_itself(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def crashes(z):
    raise ValueError("oops")


@pytest.mark.parametrize("fn, feedback", [
    (naive_overflowing, "floating-point problem|warned"),
    (z_times_one_minus_z, "not z itself"),
    (the_sigmoid_itself, "sigmoid itself"),
    (crashes, "raised ValueError"),
    (lambda z: np.zeros(3), "shape"),
    (sigmoid_derivative(0.0), "function itself"),
])
def test_wrong_sigmoid_derivatives_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("08.2", fn)


def no_rescaling(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a, 0.0)


def old_scaling(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) >= rate, a * (1 - rate), 0.0)


def keep_probability_swapped(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(rng.random(a.shape) < rate, a / rate, 0.0)


def in_place(a, rate, rng):
    a *= (rng.random(a.shape) >= rate) / (1 - rate)
    return a


def fixed_mask(a, rate, rng):
    a = np.asarray(a, dtype=float)
    return np.where(np.random.default_rng(0).random(a.shape) >= rate, a / (1 - rate), 0.0)


@pytest.mark.parametrize("fn, feedback", [
    (no_rescaling, "kept entries are unchanged"),
    (old_scaling, "multiplied the kept entries by 1 - rate"),
    (keep_probability_swapped, "probability of DROPPING"),
    (in_place, "changed its input"),
    (fixed_mask, "same mask"),
    (lambda a, rate, rng: np.asarray(a), "dropped 0.0%"),
])
def test_wrong_dropouts_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("08.3", fn)


@pytest.mark.parametrize("id", ["08.1", "08.2", "08.3", "08.4"])
def test_a_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def stub(*args):
    raise NotImplementedError


@pytest.mark.parametrize("id", ["08.2", "08.3", "08.4"])
def test_a_stub_propagates_not_implemented(id):
    with pytest.raises(NotImplementedError):
        check(id, stub)


# ----------------------------------------------------------------------------- 08.4 label-smoothed cross-entropy


def _log_softmax(z):
    s = z - z.max(axis=1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=1, keepdims=True))


def _targets(z, labels, eps, spread=None):
    n, k = z.shape
    q = np.full((n, k), eps / (spread or k))
    if spread:
        q[np.arange(n), labels] = 1 - eps
    else:
        q[np.arange(n), labels] += 1 - eps
    return q


def smoothed_cross_entropy(logits, labels, smoothing):
    z = np.asarray(logits, dtype=float)
    q = _targets(z, np.asarray(labels), smoothing)
    log_p = _log_softmax(z)
    return float(-np.sum(q * log_p) / len(z)), (np.exp(log_p) - q) / len(z)


def smoothed_with_sklearn_style_loops(logits, labels, smoothing):
    z = np.array(logits, dtype=float)
    losses, grads = [], []
    for row, c in zip(z, labels):
        m = row.max()
        lse = m + np.log(np.sum(np.exp(row - m)))
        q = np.full(len(row), smoothing / len(row))
        q[c] += 1 - smoothing
        losses.append(lse * q.sum() - q @ row)
        grads.append(np.exp(row - lse) - q)
    return np.mean(losses), np.array(grads) / len(z)


def no_max_subtraction(logits, labels, smoothing):
    z = np.asarray(logits, dtype=float)
    q = _targets(z, np.asarray(labels), smoothing)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(-np.sum(q * np.log(p)) / len(z)), (p - q) / len(z)


def log_of_rounded_probabilities(logits, labels, smoothing):
    z = np.asarray(logits, dtype=float)
    q = _targets(z, np.asarray(labels), smoothing)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = np.clip(e / e.sum(axis=1, keepdims=True), 1e-12, 1)
    return float(-np.sum(q * np.log(p)) / len(z)), (p - q) / len(z)


def wrong_sign(logits, labels, smoothing):
    loss, grad = smoothed_cross_entropy(logits, labels, smoothing)
    return loss, -grad


def summed(logits, labels, smoothing):
    loss, grad = smoothed_cross_entropy(logits, labels, smoothing)
    return loss * len(logits), grad * len(logits)


def gradient_summed_only(logits, labels, smoothing):
    loss, grad = smoothed_cross_entropy(logits, labels, smoothing)
    return loss, grad * len(logits)


def smoothing_ignored(logits, labels, smoothing):
    return smoothed_cross_entropy(logits, labels, 0.0)


def spread_over_k_minus_one(logits, labels, smoothing):
    z = np.asarray(logits, dtype=float)
    q = _targets(z, np.asarray(labels), smoothing, spread=z.shape[1] - 1)
    log_p = _log_softmax(z)
    return float(-np.sum(q * log_p) / len(z)), (np.exp(log_p) - q) / len(z)


def gradient_is_probabilities(logits, labels, smoothing):
    loss, _ = smoothed_cross_entropy(logits, labels, smoothing)
    return loss, np.exp(_log_softmax(np.asarray(logits, dtype=float))) / len(logits)


def only_true_class_gradient(logits, labels, smoothing):
    loss, grad = smoothed_cross_entropy(logits, labels, smoothing)
    z = np.asarray(logits, dtype=float)
    return loss, (np.exp(_log_softmax(z)) - np.eye(z.shape[1])[labels]) / len(z)


def gradient_without_log_sum_exp_term(logits, labels, smoothing):
    loss, _ = smoothed_cross_entropy(logits, labels, smoothing)
    z = np.asarray(logits, dtype=float)
    return loss, -_targets(z, np.asarray(labels), smoothing) / len(z)


def loss_of_probabilities_not_logs(logits, labels, smoothing):
    _, grad = smoothed_cross_entropy(logits, labels, smoothing)
    z = np.asarray(logits, dtype=float)
    return float(-np.sum(_targets(z, np.asarray(labels), smoothing) * np.exp(_log_softmax(z))) / len(z)), grad


def modifies_logits(logits, labels, smoothing):
    logits -= logits.max(axis=1, keepdims=True)
    return smoothed_cross_entropy(logits, labels, smoothing)


def returns_loss_only(logits, labels, smoothing):
    return smoothed_cross_entropy(logits, labels, smoothing)[0]


def test_right_smoothed_cross_entropies_pass(capsys):
    check("08.4", smoothed_cross_entropy)
    check("08.4", smoothed_with_sklearn_style_loops)
    assert capsys.readouterr().out.count("correct") == 2


@pytest.mark.parametrize("fn, feedback", [
    (no_max_subtraction, "floating-point problem|warned|nan or inf"),
    (log_of_rounded_probabilities, "size 1000 the values are wrong"),
    (wrong_sign, "wrong sign"),
    (summed, "sum over the cases"),
    (gradient_summed_only, "sum over the cases"),
    (smoothing_ignored, "ignores the smoothing"),
    (spread_over_k_minus_one, "K - 1"),
    (gradient_is_probabilities, "targets are missing"),
    (only_true_class_gradient, "ignores the smoothing"),
    (gradient_without_log_sum_exp_term, "loss is right, but the gradient"),
    (loss_of_probabilities_not_logs, "gradient is right, but the loss"),
    (modifies_logits, "changed the logits"),
    (returns_loss_only, "not a pair"),
    (lambda z, y, e: (0.0, np.zeros(3)), "shape"),
    (smoothed_cross_entropy(np.zeros((2, 3)), np.array([0, 1]), 0.1), "function itself"),
])
def test_wrong_smoothed_cross_entropies_fail_with_feedback(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("08.4", fn)
    assert "p - q" not in str(err.value)                         # the gradient's formula is never given away
