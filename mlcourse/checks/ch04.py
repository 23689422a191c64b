"""Checks of chapter 04 (support vector machines): the gradient of penalised logistic regression, the
margin width, the RBF kernel and logistic regression fitted by gradient descent."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

W_04_2 = np.array([3.0, 4.0])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))               # 1 / (1 + exp(-z)) without overflow warnings


def _penalised_cross_entropy(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, lam: float) -> float:
    """Mean cross-entropy of sigma(Xw + b) against 0/1 labels, plus lam / 2 ||w||^2 (b not penalised)."""
    z = X @ w + b
    return float(np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * lam * w @ w)


def _gradients(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, lam: float) -> dict[str, tuple]:
    """The right gradient of the penalised mean cross-entropy and the results of typical mistakes."""
    n = len(y)
    r = _sigmoid(X @ w + b) - y
    right_w, right_b = X.T @ r / n + lam * w, r.mean()
    raw = X @ w + b - y                                                   # no sigmoid
    return {
        "right": (right_w, right_b),
        "sign": (-right_w, -right_b),
        "sign_data": (X.T @ (-r) / n + lam * w, -r.mean()),
        "sum": (X.T @ r + lam * w, r.sum()),
        "sum_w": (X.T @ r + lam * w, right_b),
        "sum_all": (n * right_w, n * right_b),
        "no_penalty": (X.T @ r / n, right_b),
        "half_penalty": (X.T @ r / n + 0.5 * lam * w, right_b),
        "double_penalty": (X.T @ r / n + 2.0 * lam * w, right_b),
        "bias_penalised": (right_w, right_b + lam * b),
        "no_sigmoid": (X.T @ raw / n + lam * w, raw.mean()),
    }


_GRADIENT_FEEDBACK = {
    "sign": ("Your gradient points the wrong way: it is minus the gradient (it would climb the loss).",
             "the residual is (predicted probability - label), not the other way round"),
    "sign_data": ("The data part of your gradient has the wrong sign (the penalty part is right).",
                  "the residual is (predicted probability - label), not the other way round"),
    "sum": ("The data part of your gradient is n times too large: the loss is a MEAN over the cases.",
            "divide the summed contributions by the number of cases"),
    "sum_w": ("The data part of grad_w is n times too large: the loss is a MEAN over the cases.",
              "divide the summed contributions by the number of cases, as you did for grad_b"),
    "sum_all": ("Your gradient is n times too large.", "the loss is a mean over the cases, not a sum"),
    "no_penalty": ("The penalty's part of the gradient is missing.",
                   "differentiate lam / 2 * ||w||^2 with respect to w as well"),
    "half_penalty": ("The penalty's part of the gradient is off by a factor.",
                     "the derivative of lam / 2 * ||w||^2 has no 1/2 left in it"),
    "double_penalty": ("The penalty's part of the gradient is off by a factor.",
                       "the derivative of lam / 2 * ||w||^2: the 2 of the square cancels the 1/2"),
    "bias_penalised": ("You penalised the bias: b is not part of ||w||^2.",
                       "the penalty term does not depend on b, so it adds nothing to dJ/db"),
    "no_sigmoid": ("You used the raw score w.x + b where the predicted probability belongs.",
                   "p = sigma(w.x + b) = 1 / (1 + exp(-(w.x + b)))"),
}


def _finite_differences(w: np.ndarray, b: float, X: np.ndarray, y: np.ndarray, lam: float,
                        h: float = 1e-6) -> tuple[np.ndarray, float]:
    """Central differences of the penalised cross-entropy in every coordinate of w and in b."""
    def J(ww: np.ndarray, bb: float) -> float:
        return _penalised_cross_entropy(ww, bb, X, y, lam)

    gw = np.array([(J(w + h * e, b) - J(w - h * e, b)) / (2 * h) for e in np.eye(len(w))])
    gb = (J(w, b + h) - J(w, b - h)) / (2 * h)
    return gw, float(gb)


def _gradient_cases() -> list[tuple]:
    rng = np.random.default_rng(401)
    X = rng.normal(size=(40, 3))
    y = (X @ [1.0, -2.0, 0.5] + 0.8 + rng.normal(size=40) > 0).astype(float)
    X5 = rng.normal(size=(25, 5)) * [1.0, 3.0, 0.5, 1.0, 2.0]
    y5 = rng.integers(0, 2, 25).astype(float)
    return [
        (np.array([0.3, -0.4, 0.1]), 0.2, X, y, 0.1, "a random problem with lam = 0.1"),
        (np.array([1.5, 0.5, -1.0]), -0.7, X, y, 0.0, "the same data without a penalty (lam = 0)"),
        (rng.normal(size=5), 0.4, X5, y5.reshape(-1, 1), 0.5, "labels of shape (N, 1), 5 features, lam = 0.5"),
    ]


def _as_pair(got: Any, d: int, what: str) -> tuple[np.ndarray, float]:
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"For {what} your function returned {type(got).__name__}; return a pair (grad_w, grad_b).")
    gw, gb = got
    gw = np.asarray(gw, dtype=float)
    if gw.size != d:
        fail(f"For {what} grad_w has shape {gw.shape}; it needs one value per feature, shape ({d},).",
             "grad_w has the shape of w and grad_b is one number; labels of shape (N, 1) need flattening first")
    try:
        gb = float(np.asarray(gb, dtype=float).reshape(-1)[0]) if np.size(gb) == 1 else None
    except (TypeError, ValueError):
        gb = None
    if gb is None:
        fail(f"For {what} grad_b is not a single number.", "the bias is one number, so is its derivative")
    return gw.reshape(-1), gb


@exercise("04.1", "code", "the gradient of penalised logistic regression")
def _check_04_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (logistic_gradient), not its result.")
    for w, b, X, y, lam, what in _gradient_cases():
        got = call_student(fn, what, w.copy(), b, X.copy(), y.copy(), lam)
        gw, gb = _as_pair(got, len(w), what)
        flat = np.asarray(y, dtype=float).ravel()
        numeric_w, numeric_b = _finite_differences(w, b, X, flat, lam)
        if np.allclose(gw, numeric_w, atol=1e-6) and abs(gb - numeric_b) < 1e-6:
            continue
        for mistake, (gw_wrong, gb_wrong) in _gradients(w, b, X, flat, lam).items():
            if mistake != "right" and np.allclose(gw, gw_wrong, atol=1e-8) and abs(gb - gb_wrong) < 1e-8:
                message, hint = _GRADIENT_FEEDBACK[mistake]
                fail(f"For {what}: {message}", hint)
        if np.allclose(gw, numeric_w, atol=1e-6):
            fail(f"For {what} grad_w agrees with finite differences of J, but grad_b does not.",
                 "dJ/db: the same residuals as for w, without the features")
        if abs(gb - numeric_b) < 1e-6:
            fail(f"For {what} grad_b agrees with finite differences of J, but grad_w does not.",
                 "check the residuals, the mean over cases and the penalty term")
        fail(f"For {what} your gradient disagrees with finite differences of J.",
             "J = mean cross-entropy of sigma(Xw + b) + lam / 2 ||w||^2; chapter 02 derives the data part")


@exercise("04.2", "numeric", "margin width of a linear SVM")
def _check_04_2(answer: Any) -> None:
    value = as_number(answer, "04.2")
    norm = float(np.linalg.norm(W_04_2))
    if abs(value - 2 / norm) < 1e-3:
        return
    if abs(value - 1 / norm) < 1e-3:
        fail("That is the distance from the hyperplane to ONE of the margin lines.",
             "the margin runs from the line f = -1 to the line f = +1")
    if abs(value - norm) < 1e-3 or abs(value - 2 * norm) < 1e-3:
        fail("The margin gets narrower, not wider, as w grows.", "the norm of w belongs in a denominator")
    if abs(value - 2 / norm ** 2) < 1e-3 or abs(value - 1 / norm ** 2) < 1e-3:
        fail("You divided by the squared norm of w.", "distances to a hyperplane divide by ||w||, not ||w||^2")
    if abs(value - 2 / 7) < 1e-3 or abs(value - 1 / 7) < 1e-3:
        fail("||w|| is the Euclidean norm, not the sum of the components.")
    fail("Not the right width.",
         "the distance of a point x to the line w.x + b = 0 is |w.x + b| / ||w||; b does not matter here")


@exercise("04.3", "code", "the RBF kernel matrix")
def _check_04_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (rbf_kernel), not its result.")
    rng = np.random.default_rng(43)
    A, B = rng.normal(size=(6, 4)), rng.normal(size=(3, 4))
    for gamma in (0.5, 2.0):
        d2 = ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)
        got = call_student(fn, f"gamma = {gamma}", A.copy(), B.copy(), gamma)
        got = np.asarray(got, dtype=float)
        if got.shape != (6, 3):
            if got.shape == (3, 6):
                fail("The shape is transposed.", "row i should belong to A[i], column j to B[j]")
            fail(f"For A of shape (6, 4) and B of shape (3, 4) the result has shape {got.shape}, expected (6, 3).")
        if np.allclose(got, np.exp(-gamma * d2), atol=1e-10):
            continue
        if np.allclose(got, np.exp(-gamma * np.sqrt(d2)), atol=1e-10):
            fail("You used the distance, not the SQUARED distance.", None)
        if np.allclose(got, np.exp(gamma * d2), rtol=1e-8):
            fail("The sign in the exponent is wrong: the kernel must fall from 1 towards 0 with distance.")
        as_width = np.exp(-d2 / gamma), np.exp(-d2 / (2 * gamma ** 2))
        if any(np.allclose(got, wrong, atol=1e-10) for wrong in as_width):
            fail("gamma multiplies the squared distance; it is not a width parameter sigma.")
        fail(f"For gamma = {gamma} the kernel values are not right.", "K_ij = exp(-gamma * ||a_i - b_j||^2)")
    same = np.asarray(call_student(fn, "A with itself", A.copy(), A.copy(), 1.0), dtype=float)
    if not np.allclose(np.diag(same), 1.0):
        fail("A point's kernel value with itself should be 1.")


def _descent(X: np.ndarray, y: np.ndarray, lam: float, lr: float, epochs: int, variant: str = "right"
             ) -> tuple[np.ndarray, float]:
    """Full-batch gradient descent from zeros on the penalised cross-entropy, or a typical mistake."""
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    steps = {"one_less": epochs - 1, "one_more": epochs + 1}.get(variant, epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            r = _sigmoid(X @ w + b) - y
            gw, gb = X.T @ r / n + lam * w, r.mean()
            if variant == "ascent":
                gw, gb = -gw, -gb
            elif variant == "sum":
                gw, gb = X.T @ r + lam * w, r.sum()
            elif variant == "bias_penalised":
                gb = gb + lam * b
            if variant == "no_bias":
                gb = 0.0
            if variant == "sequential":                 # b's derivative taken at the already updated w
                w = w - lr * gw
                b = b - lr * float(np.mean(_sigmoid(X @ w + b) - y))
                continue
            w, b = w - lr * gw, b - lr * gb
    return w, float(b)


def _descent_cases() -> list[tuple]:
    rng = np.random.default_rng(404)
    X = rng.normal(size=(200, 3))
    y = (X @ [1.5, -1.0, 0.0] - 1.0 + rng.logistic(size=200) > 0).astype(float)
    X2 = rng.normal(size=(120, 2))
    y2 = (X2 @ [0.5, 2.0] + 0.5 + rng.logistic(size=120) > 0).astype(float)
    return [
        (X, y, 0.01, 0.5, 3, "three steps (lam = 0.01, lr = 0.5)"),
        (X, y, 0.05, 1.0, 400, "400 steps (lam = 0.05, lr = 1.0)"),
        (X2, y2.reshape(-1, 1), 0.0, 0.5, 50, "labels of shape (N, 1), no penalty, 50 steps"),
    ]


_DESCENT_FEEDBACK = {
    "ascent": ("Your loop climbs the loss: it steps along the gradient instead of against it.",
               "a descent step subtracts lr times the gradient"),
    "sum": ("Your steps are n times too large: the gradient of a MEAN loss averages over the cases.",
            "divide the summed contributions by the number of cases"),
    "bias_penalised": ("You penalised the bias as well.", "the penalty lam / 2 ||w||^2 does not involve b"),
    "no_bias": ("The bias never moves from 0.", "update b with its own derivative in every step"),
    "one_less": ("You took one step fewer than `epochs`.", "count the steps: range(epochs) makes exactly epochs"),
    "one_more": ("You took one step more than `epochs`.", "count the steps: range(epochs) makes exactly epochs"),
    "sequential": ("b is updated with a derivative taken after w has already moved.",
              "compute both derivatives at the current (w, b) first, then update both"),
}


@exercise("04.4", "code", "logistic regression by gradient descent")
def _check_04_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (fit_logistic), not its result.")
    for X, y, lam, lr, epochs, what in _descent_cases():
        got = call_student(fn, what, X.copy(), y.copy(), lam, lr, epochs)
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            fail(f"For {what} your function returned {type(got).__name__}; return the pair (w, b).")
        w, b = np.asarray(got[0], dtype=float), got[1]
        if w.size != X.shape[1]:
            fail(f"For {what} w has shape {w.shape}; expected one weight per feature, shape ({X.shape[1]},).",
                 "return (w, b) in this order: the weights first, then the bias")
        try:
            b = float(np.asarray(b, dtype=float).reshape(-1)[0]) if np.size(b) == 1 else float("nan")
        except (TypeError, ValueError):
            b = float("nan")
        w = w.reshape(-1)
        if not (np.all(np.isfinite(w)) and np.isfinite(b)):
            fail(f"For {what} the weights are not finite numbers (nan or inf): the descent diverged.",
                 "is the step against the gradient, and is the gradient a mean over the cases?")
        flat = np.asarray(y, dtype=float).ravel()
        right_w, right_b = _descent(X, flat, lam, lr, epochs)
        if np.allclose(w, right_w, atol=1e-6) and abs(b - right_b) < 1e-6:
            continue
        for variant, (message, hint) in _DESCENT_FEEDBACK.items():
            wrong_w, wrong_b = _descent(X, flat, lam, lr, epochs, variant)
            if np.allclose(w, wrong_w, atol=1e-6, equal_nan=False) and abs(b - wrong_b) < 1e-6:
                fail(f"For {what}: {message}", hint)
        if np.allclose(w, 0.0) and b == 0.0:
            fail(f"For {what} the weights are still all zero: nothing was updated.",
                 "each step replaces w and b by w - lr * dJ/dw and b - lr * dJ/db")
        fail(f"For {what} the weights differ from {epochs} steps of gradient descent from w = 0, b = 0.",
             "start from zeros, and in each of the epochs steps move both w and b against the gradient "
             "of the mean cross-entropy plus lam / 2 ||w||^2")
