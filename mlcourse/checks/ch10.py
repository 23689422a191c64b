"""Checks of chapter 10 (RBMs and DBNs): the energy of one configuration, the hidden conditional
p(h = 1 | v), and the free energy F(v)."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# The configuration of exercise 10.1 (the notebook prints the same numbers).
A_10_1 = np.array([0.5, -1.0, 0.25])
B_10_1 = np.array([-0.5, 1.0])
W_10_1 = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, 1.5]])
V_10_1 = np.array([1.0, 0.0, 1.0])
H_10_1 = np.array([0.0, 1.0])


def _energy(v: np.ndarray, h: np.ndarray, W: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return float(-a @ v - b @ h - v @ W @ h)


@exercise("10.1", "numeric", "energy of one RBM configuration")
def _check_10_1(answer: Any) -> None:
    value = as_number(answer, "10.1")
    right = _energy(V_10_1, H_10_1, W_10_1, A_10_1, B_10_1)
    if abs(value - right) <= 1e-6 + 1e-3 * abs(right):
        return
    if abs(value + right) <= 1e-3:
        fail("The sign is the wrong way round.", "every term of E(v, h) carries a minus sign")
    vWh = float(V_10_1 @ W_10_1 @ H_10_1)
    if abs(value - (right + 2 * vWh)) <= 1e-3:
        fail("The interaction term has the wrong sign.", "E contains minus v^T W h")
    if abs(value - np.exp(-right)) <= 1e-3 * np.exp(-right) or abs(value - np.exp(right)) <= 1e-3 * np.exp(right):
        fail("That is an exponential of the energy (an unnormalised probability), not the energy.",
             "the energy itself is a sum of three terms, no exponential")
    full = -A_10_1.sum() - B_10_1.sum() - W_10_1.sum()
    if abs(value - full) <= 1e-3:
        fail("You summed over all units as if every unit were on.",
             "only the units with v_i = 1 and h_j = 1 contribute")
    fail("Not the right energy.",
         "write out -a.v, -b.h and -v^T W h separately; only W's entries with v_i = h_j = 1 count")


def _cases(seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]]:
    rng = np.random.default_rng(seed)
    out = []
    for m, n, N, scale in [(3, 2, 8, 1.0), (6, 4, 5, 2.0), (20, 7, 12, 0.5)]:
        v = (rng.random((N, m)) < 0.5).astype(float)
        out.append((v, rng.normal(0, scale, (m, n)), rng.normal(0, 1, m), rng.normal(0, 1, n),
                    f"{N} binary vectors, {m} visible and {n} hidden units"))
    return out


def _as_array(got: Any, shape: tuple[int, ...], what: str, name: str) -> np.ndarray:
    try:
        arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(f"For {what} {name} returned {type(got).__name__}, not an array of numbers.")
    if arr.shape != shape:
        fail(f"For {what} {name} returned shape {arr.shape}; expected {shape}.",
             "one row per input vector, as many columns as the answer has units" if len(shape) == 2
             else "one number per input vector (row of v)")
    return arr


def _sig(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@exercise("10.2", "code", "p(h = 1 | v) of a Bernoulli RBM")
def _check_10_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (p_hidden), not its result.")
    for v, W, a, b, what in _cases(102):
        got = _as_array(call_student(fn, what, v.copy(), W.copy(), b.copy()), (len(v), W.shape[1]), what, "p_hidden")
        right = _sig(v @ W + b)
        if np.allclose(got, right, atol=1e-8):
            continue
        if np.allclose(got, v @ W + b, atol=1e-8):
            fail(f"For {what} the values are not probabilities.", "pass the total input through the logistic sigmoid")
        if np.allclose(got, _sig(v @ W), atol=1e-8):
            fail(f"For {what} the hidden biases are missing.", "each hidden unit j adds its own bias b_j")
        if np.allclose(got, _sig(-(v @ W + b)), atol=1e-8):
            fail(f"For {what} you computed p(h = 0 | v).", "sigma(x) = 1 / (1 + exp(-x)); mind the sign")
        fail(f"For {what} the probabilities are not right.",
             "unit j sums W[i, j] over the visible units that are on, adds b_j and applies the sigmoid")


def _free_energy(v: np.ndarray, W: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -v @ a - np.logaddexp(0.0, v @ W + b).sum(axis=1)


@exercise("10.3", "code", "free energy F(v) of a Bernoulli RBM")
def _check_10_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (free_energy), not its result.")
    for v, W, a, b, what in _cases(103):
        got = _as_array(call_student(fn, what, v.copy(), W.copy(), a.copy(), b.copy()), (len(v),), what, "free_energy")
        right = _free_energy(v, W, a, b)
        if np.allclose(got, right, atol=1e-7):
            continue
        if np.allclose(got, -right, atol=1e-7):
            fail(f"For {what} the sign is the wrong way round.",
                 "F(v) = -log sum_h exp(-E(v, h)); F is low for likely v")
        if np.allclose(got, -np.logaddexp(0.0, v @ W + b).sum(axis=1), atol=1e-7):
            fail(f"For {what} the visible-bias term is missing.",
                 "the term -a.v does not depend on h, so it stays in F")
        if np.allclose(got, -v @ a - (v @ W + b).sum(axis=1), atol=1e-7):
            fail(f"For {what} the hidden units' term is not log(1 + exp(x)).",
                 "summing exp(-E) over h_j in {0, 1} gives 1 + exp(x_j) for each hidden unit")
        fail(f"For {what} the free energy is not right.",
             "F(v) = -a.v - sum_j log(1 + exp(b_j + v.W[:, j])), one number per row of v")
    # large inputs: the naive log(1 + exp(x)) overflows
    v = np.ones((2, 3))
    W = np.full((3, 2), 300.0)
    a, b = np.zeros(3), np.zeros(2)
    with np.errstate(over="ignore", invalid="ignore"):
        got = _as_array(call_student(fn, "large weights (inputs of 900 to the hidden units)", v, W, a, b),
                        (2,), "large weights", "free_energy")
    if not np.all(np.isfinite(got)) or not np.allclose(got, _free_energy(v, W, a, b)):
        fail("With large weights (total input 900 to each hidden unit) the result is not finite or not right: "
             "exp(900) overflows.", "compute log(1 + exp(x)) stably, e.g. with np.logaddexp(0, x)")
