"""Checks of chapter 04: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf

from mlcourse.checks import ch04
from mlcourse.exercises import ExerciseFailed, check


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def logistic_gradient(w, b, X, y, lam):
    y = np.asarray(y, float).ravel()
    r = _sigmoid(np.asarray(X) @ w + b) - y
    return np.asarray(X).T @ r / len(y) + lam * np.asarray(w), r.mean()


def fit_logistic(X, y, lam, lr, epochs):
    w, b = np.zeros(np.asarray(X).shape[1]), 0.0
    for _ in range(epochs):
        gw, gb = logistic_gradient(w, b, X, y, lam)
        w, b = w - lr * gw, b - lr * gb
    return w, b


def test_right_answers_pass(capsys):
    check("04.1", logistic_gradient)
    check("04.1", lambda w, b, X, y, lam: list(logistic_gradient(w, b, X, y, lam)))   # a list is a pair too
    check("04.2", 0.4)
    check("04.3", lambda A, B, gamma: sk_rbf(A, B, gamma=gamma))
    check("04.4", fit_logistic)
    assert capsys.readouterr().out.count("correct") == 5


def test_the_objective_is_the_one_sklearn_minimises():
    """The J of 04.1 with lam = 1 / (n C) is scikit-learn's penalised logistic regression."""
    X, y, lam, *_ = ch04._descent_cases()[1]
    w, b = ch04._descent(X, y, lam, lr=1.0, epochs=5000)
    sk = LogisticRegression(C=1 / (len(y) * lam), tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.allclose(w, sk.coef_[0], atol=1e-5) and abs(b - sk.intercept_[0]) < 1e-5


def test_the_reference_gradient_matches_finite_differences():
    for w, b, X, y, lam, _ in ch04._gradient_cases():
        flat = np.asarray(y, float).ravel()
        gw, gb = ch04._gradients(w, b, X, flat, lam)["right"]
        nw, nb = ch04._finite_differences(w, b, X, flat, lam)
        assert np.allclose(gw, nw, atol=1e-7) and abs(gb - nb) < 1e-7


def _grad(variant):
    def fn(w, b, X, y, lam):
        y = np.asarray(y, float).ravel()
        n = len(y)
        r = _sigmoid(X @ w + b) - y
        return {
            "sign": (-(X.T @ r / n + lam * w), -r.mean()),
            "sum": (X.T @ r + lam * w, r.sum()),
            "sum_w": (X.T @ r + lam * w, r.mean()),
            "no_penalty": (X.T @ r / n, r.mean()),
            "half": (X.T @ r / n + 0.5 * lam * w, r.mean()),
            "bias_penalised": (X.T @ r / n + lam * w, r.mean() + lam * b),
            "no_sigmoid": (X.T @ (X @ w + b - y) / n + lam * w, (X @ w + b - y).mean()),
            "bad_b": (X.T @ r / n + lam * w, 0.0),
        }[variant]
    return fn


def unflattened(w, b, X, y, lam):
    y = np.asarray(y, float)                                  # (N, 1) labels broadcast to (N, N)
    r = _sigmoid(X @ w + b) - y
    return X.T @ r / len(y) + lam * w, float(np.mean(r))


@pytest.mark.parametrize("fn, feedback", [
    (_grad("sign"), "wrong way"),
    (_grad("sum"), "MEAN over the cases"),
    (_grad("sum_w"), "grad_w is n times too large"),
    (_grad("no_penalty"), "penalty's part of the gradient is missing"),
    (_grad("half"), "off by a factor"),
    (_grad("bias_penalised"), "penalised the bias"),
    (_grad("no_sigmoid"), "raw score"),
    (_grad("bad_b"), "grad_w agrees with finite differences"),
    (unflattened, "shape \\(N, 1\\)"),
    (lambda w, b, X, y, lam: np.zeros(3), "pair"),
    (logistic_gradient(np.zeros(2), 0.0, np.ones((2, 2)), [0, 1], 0.1), "function itself"),
    (lambda w, b, X, y, lam: 1 / 0, "raised ZeroDivisionError"),
])
def test_wrong_gradient_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("04.1", fn)
    assert "X.T @" not in str(err.value) and "p - y)" not in str(err.value)


@pytest.mark.parametrize("value, feedback", [
    (0.2, "ONE of the margin lines"),
    (5.0, "narrower"),
    (0.08, "squared norm"),
    (2 / 7, "Euclidean norm"),
    (1.0, "Not the right width"),
    ([0.4, 0.4], "single number"),
])
def test_wrong_margin_fails(value, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("04.2", value)
    assert "0.4" not in str(err.value)


def _d2(A, B):
    return ((np.asarray(A)[:, None] - np.asarray(B)[None]) ** 2).sum(-1)


@pytest.mark.parametrize("fn, feedback", [
    (lambda A, B, g: np.exp(-g * np.sqrt(_d2(A, B))), "SQUARED distance"),
    (lambda A, B, g: np.exp(g * _d2(A, B)), "sign in the exponent"),
    (lambda A, B, g: np.exp(-_d2(A, B) / g), "not a width parameter"),
    (lambda A, B, g: np.exp(-g * _d2(A, B)).T, "transposed"),
    (lambda A, B, g: np.exp(-g * _d2(A, B)) * 0.5, "not right"),
])
def test_wrong_kernel_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("04.3", fn)


def _fit(variant):
    def fn(X, y, lam, lr, epochs):
        y = np.asarray(y, float).ravel()
        n = len(y)
        w, b = np.zeros(X.shape[1]), 0.0
        steps = epochs - 1 if variant == "short" else epochs
        for _ in range(steps):
            r = _sigmoid(X @ w + b) - y
            gw, gb = X.T @ r / n + lam * w, r.mean()
            if variant == "ascent":
                w, b = w + lr * gw, b + lr * gb
            elif variant == "no_bias":
                w = w - lr * gw
            elif variant == "sum":
                w, b = w - lr * (X.T @ r + lam * w), b - lr * r.sum()
            elif variant == "sequential":
                w = w - lr * gw
                b = b - lr * (_sigmoid(X @ w + b) - y).mean()
            else:
                w, b = w - lr * gw, b - lr * gb
        return (b, w) if variant == "swapped" else (w, b)
    return fn


@pytest.mark.parametrize("fn, feedback", [
    (_fit("ascent"), "climbs the loss|not finite"),
    (_fit("no_bias"), "bias never moves"),
    (_fit("sum"), "n times too large|not finite"),
    (_fit("short"), "one step fewer"),
    (_fit("sequential"), "after w has already moved"),
    (_fit("swapped"), "weights first"),
    (lambda X, y, lam, lr, epochs: (np.zeros(X.shape[1]), 0.0), "still all zero"),
    (lambda X, y, lam, lr, epochs: fit_logistic(X, y, lam, lr, 1000), "differ from"),
    (lambda X, y, lam, lr, epochs: "done", "pair"),
    (fit_logistic(np.ones((3, 2)), [0, 1, 1], 0.1, 0.5, 2), "function itself"),
])
def test_wrong_descent_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("04.4", fn)


@pytest.mark.parametrize("id", ["04.1", "04.2", "04.3", "04.4"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)
