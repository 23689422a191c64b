"""Checks of chapter 10 (RBMs and DBNs): the energy of one configuration, the hidden conditional
p(h = 1 | v), the free energy F(v) and one CD-1 update."""

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


# ----------------------------------------------------------------------------- 10.5: one CD-1 update


def _cd1_parts(v0: np.ndarray, W: np.ndarray, a: np.ndarray, b: np.ndarray, u_h: np.ndarray,
               u_v: np.ndarray) -> dict[str, np.ndarray]:
    """Every intermediate of one CD-1 step with the given uniform draws (a unit is on when u < p)."""
    ph0 = _sig(v0 @ W + b)
    h0 = (u_h < ph0).astype(float)
    pv1 = _sig(h0 @ W.T + a)
    v1 = (u_v < pv1).astype(float)
    ph1 = _sig(v1 @ W + b)
    return {"ph0": ph0, "h0": h0, "pv1": pv1, "v1": v1, "ph1": ph1}


def _cd1(v0: np.ndarray, p: dict[str, np.ndarray], pos_h: str = "ph0", neg_v: str = "v1",
         neg_h: str = "ph1") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The averaged CD-1 statistics, built from the named intermediates (the right ones by default)."""
    n = len(v0)
    dW = (v0.T @ p[pos_h] - p[neg_v].T @ p[neg_h]) / n
    return dW, (v0 - p[neg_v]).mean(axis=0), (p[pos_h] - p[neg_h]).mean(axis=0)


def _cases_10_5(seed: int) -> list[tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(seed)
    out = []
    for m, n, N, scale in [(5, 3, 6, 1.0), (12, 4, 9, 0.7), (30, 8, 16, 0.4)]:
        v0 = (rng.random((N, m)) < 0.5).astype(float)
        out.append((v0, rng.normal(0, scale, (m, n)), rng.normal(0, 0.5, m), rng.normal(0, 0.5, n),
                    rng.random((N, n)), rng.random((N, m)),
                    f"a batch of {N} binary vectors, {m} visible and {n} hidden units"))
    return out


def _three_arrays(got: Any, shapes: list[tuple[int, ...]], what: str) -> list[np.ndarray]:
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        fail(f"For {what} cd1_update returned {type(got).__name__}; expected a tuple (dW, da, db).",
             "return dW, da, db: one array for the weights and one for each bias vector")
    out = []
    for value, shape, name in zip(got, shapes, ("dW", "da", "db")):
        if value is None:
            fail(f"For {what} {name} is None.", "every parameter gets an update, the biases too")
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            fail(f"For {what} {name} is {type(value).__name__}, not an array of numbers.")
        if arr.shape != shape:
            fail(f"For {what} {name} has shape {arr.shape}; expected {shape}.",
                 "dW has the shape of W (visible x hidden); da one entry per visible unit, db one per hidden unit")
        out.append(arr)
    return out


def _diagnose_10_5(got: list[np.ndarray], v0: np.ndarray, p: dict[str, np.ndarray], what: str) -> None:
    """Name the typical mistake behind a wrong dW (the first array that is wrong)."""
    n = len(v0)
    right = _cd1(v0, p)
    close = np.allclose
    if close(got[0], -right[0], atol=1e-8):
        fail(f"For {what} dW has the wrong sign.",
             "the data term raises the probability of the data; the reconstruction term lowers that of the model")
    if close(got[0], n * right[0], atol=1e-8):
        fail(f"For {what} dW is summed over the batch, not averaged.", "divide the statistics by the batch size")
    wrong = {
        ("h0", "v1", "ph1"): "the data term uses the binary samples h0 where the chapter's recipe uses "
                             "the probabilities p(h = 1 | v0)",
        ("ph0", "pv1", "ph1"): "the reconstruction uses the probabilities p(v = 1 | h0), not a binary sample v1",
        ("ph0", "v1", "h0"): "the reconstruction term uses h0 (the data's hidden sample) instead of the hidden "
                             "probabilities of the reconstruction",
        ("ph0", "v1", "ph0"): "the reconstruction term uses the data's hidden probabilities instead of those "
                              "of the reconstruction",
    }
    for (pos_h, neg_v, neg_h), message in wrong.items():
        if close(got[0], _cd1(v0, p, pos_h, neg_v, neg_h)[0], atol=1e-8):
            fail(f"For {what} {message}.", "re-read the order: probabilities for hidden statistics, samples to "
                                           "drive the chain")
    h1 = (p["ph1"] > 0.5).astype(float)
    if close(got[0], (v0.T @ p["ph0"] - p["v1"].T @ h1) / n, atol=1e-8):
        fail(f"For {what} the reconstruction term uses binary hidden states.",
             "use the probabilities p(h = 1 | v1) for the reconstruction's hidden statistics")
    # the sampling rule: a unit is on when u < p, not u > p
    for flip_h, flip_v in ((True, False), (False, True), (True, True)):
        ph0 = p["ph0"]
        h0 = ((p["u_h"] > ph0) if flip_h else (p["u_h"] < ph0)).astype(float)
        pv1 = _sig(h0 @ p["W"].T + p["a"])
        v1 = ((p["u_v"] > pv1) if flip_v else (p["u_v"] < pv1)).astype(float)
        alt = {**p, "h0": h0, "pv1": pv1, "v1": v1, "ph1": _sig(v1 @ p["W"] + p["b"])}
        if close(got[0], _cd1(v0, alt)[0], atol=1e-8):
            fail(f"For {what} the samples are drawn the wrong way round.",
                 "a unit is on (1) when its uniform draw is below its probability: u < p")
    mean_field = {**p, "h0": p["ph0"]}
    mean_field["pv1"] = _sig(p["ph0"] @ p["W"].T + p["a"])
    mean_field["v1"] = (p["u_v"] < mean_field["pv1"]).astype(float)
    mean_field["ph1"] = _sig(mean_field["v1"] @ p["W"] + p["b"])
    if close(got[0], _cd1(v0, mean_field)[0], atol=1e-8):
        fail(f"For {what} the reconstruction is driven by p(h = 1 | v0) instead of a binary sample h0.",
             "sample h0 with u_h first, then compute p(v = 1 | h0)")
    fail(f"For {what} dW is not right.",
         "data term v0^T p(h | v0), minus the reconstruction term v1^T p(h | v1), divided by the batch size")


@exercise("10.5", "code", "one CD-1 update of a Bernoulli RBM")
def _check_10_5(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (cd1_update), not its result.")
    for v0, W, a, b, u_h, u_v, what in _cases_10_5(105):
        inputs = [x.copy() for x in (v0, W, a, b, u_h, u_v)]
        got = call_student(fn, what, *inputs)
        if not all(np.array_equal(x, y) for x, y in zip(inputs, (v0, W, a, b, u_h, u_v))):
            fail(f"For {what} your function changed one of its inputs in place.",
                 "compute the updates into new arrays; leave W, a and b as they are")
        got = _three_arrays(got, [W.shape, a.shape, b.shape], what)
        p = {**_cd1_parts(v0, W, a, b, u_h, u_v), "u_h": u_h, "u_v": u_v, "W": W, "a": a, "b": b}
        right = _cd1(v0, p)
        if not np.allclose(got[0], right[0], atol=1e-8):
            _diagnose_10_5(got, v0, p, what)
        if not np.allclose(got[1], right[1], atol=1e-8):
            if np.allclose(got[1], 0.0):
                fail(f"For {what} da is zero.", "the visible biases move too: data minus reconstruction, per pixel")
            if np.allclose(got[1], -right[1], atol=1e-8):
                fail(f"For {what} da has the wrong sign.", "data minus reconstruction, not the other way round")
            if np.allclose(got[1], len(v0) * right[1], atol=1e-8):
                fail(f"For {what} da is summed over the batch, not averaged.", "average over the rows of the batch")
            if np.allclose(got[1], (v0 - p["pv1"]).mean(axis=0), atol=1e-8):
                fail(f"For {what} da uses p(v = 1 | h0) where dW uses the sample v1.",
                     "the three updates use the same reconstruction")
            fail(f"For {what} da is not right.", "average v0 - v1 over the batch")
        if not np.allclose(got[2], right[2], atol=1e-8):
            if np.allclose(got[2], 0.0):
                fail(f"For {what} db is zero.", "the hidden biases move too")
            if np.allclose(got[2], -right[2], atol=1e-8):
                fail(f"For {what} db has the wrong sign.", "data minus reconstruction, not the other way round")
            if np.allclose(got[2], len(v0) * right[2], atol=1e-8):
                fail(f"For {what} db is summed over the batch, not averaged.", "average over the rows of the batch")
            if np.allclose(got[2], (p["h0"] - p["ph1"]).mean(axis=0), atol=1e-8):
                fail(f"For {what} db uses the sample h0 where dW uses p(h = 1 | v0).",
                     "use the same hidden statistics as in dW")
            fail(f"For {what} db is not right.", "average p(h = 1 | v0) - p(h = 1 | v1) over the batch")
