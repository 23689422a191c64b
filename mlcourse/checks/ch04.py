"""Checks of chapter 04 (support vector machines): the soft-margin objective, the margin width,
the RBF kernel and which points are support vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

W_04_2 = np.array([3.0, 4.0])


def _objective(w: np.ndarray, b: float, X: np.ndarray, y01: np.ndarray, C: float) -> dict[str, float]:
    """The right objective and the values of typical mistakes, keyed by mistake."""
    s = 2.0 * y01 - 1.0
    hinge = np.maximum(0.0, 1.0 - s * (X @ w + b))
    return {
        "right": 0.5 * w @ w + C * hinge.sum(),
        "labels01": 0.5 * w @ w + C * np.maximum(0.0, 1.0 - y01 * (X @ w + b)).sum(),
        "mean": 0.5 * w @ w + C * hinge.mean(),
        "no_half": w @ w + C * hinge.sum(),
        "norm": 0.5 * np.sqrt(w @ w) + C * hinge.sum(),
        "no_max": 0.5 * w @ w + C * (1.0 - s * (X @ w + b)).sum(),
        "no_bias": 0.5 * w @ w + C * np.maximum(0.0, 1.0 - s * (X @ w)).sum(),
    }


@exercise("04.1", "code", "the soft-margin SVM objective")
def _check_04_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (svm_objective), not its result.")
    rng = np.random.default_rng(41)
    X = rng.normal(size=(30, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=30) > 0).astype(int)
    cases = [(np.array([1.0, -0.5, 0.2]), 0.3, X, y, 1.0, "a random problem with C = 1"),
             (np.array([0.4, 0.1, -0.3]), -0.2, X, y, 10.0, "the same data with C = 10"),
             (np.array([2.0, 0.0, 0.0]), 0.0, X[:8], y[:8].reshape(-1, 1), 0.5, "labels of shape (N, 1)")]
    feedback = {
        "labels01": ("You used the 0/1 labels directly.", "convert them to -1/+1 with 2 * y - 1 first"),
        "mean": ("You averaged the hinge losses.", "the objective SUMS the hinge losses over the training points"),
        "no_half": ("The regularisation term is off by a factor.", "look at the coefficient in front of ||w||^2"),
        "norm": ("The regularisation term should use the SQUARED norm of w.", None),
        "no_max": ("Points beyond their margin must cost nothing.", "the hinge loss is max(0, 1 - margin)"),
        "no_bias": ("The bias b is missing from the score.", "the score is w.x + b"),
    }
    for w, b, Xc, yc, C, what in cases:
        got = call_student(fn, what, w.copy(), b, Xc.copy(), yc.copy(), C)
        try:
            got = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        values = _objective(w, b, Xc, np.asarray(yc, dtype=float).ravel(), C)
        if abs(got - values["right"]) <= 1e-6 * max(1.0, abs(values["right"])):
            continue
        for mistake, (message, hint) in feedback.items():
            if abs(got - values[mistake]) <= 1e-6 * max(1.0, abs(values[mistake])):
                fail(f"For {what}: {message}", hint)
        fail(f"For {what} the objective is not right.",
             "J = 1/2 ||w||^2 + C * sum_i max(0, 1 - y_i (w.x_i + b)) with y_i in {-1, +1}")


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


@exercise("04.4", "choice", "support vectors of a soft-margin SVM")
def _check_04_4(answer: Any) -> None:
    choice = str(answer).strip().strip("()").lower()
    if choice not in ("a", "b", "c", "d"):
        fail(f"{answer!r} is not one of the letters a, b, c, d.")
    if choice == "a":
        fail("That is the hard-margin picture. With slack, other points also get a non-zero weight alpha_i.",
             "which points have a non-zero hinge loss or sit exactly on the margin?")
    if choice == "c":
        fail("Points far from the hyperplane on their correct side have zero hinge loss: moving them changes nothing.")
    if choice == "d":
        fail("Every point enters J, but points beyond their margin contribute 0 and 0 to the sub-gradient.",
             "which points would change the solution if you moved them a little?")
