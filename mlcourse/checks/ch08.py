"""Checks of chapter 08 (perceptron to MLP): parameters of a dense layer, the sigmoid's derivative,
inverted dropout, the label-smoothed softmax cross-entropy and its gradient."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from mlcourse.exercises import as_number, exercise, fail

D_08_1, H_08_1 = 128 * 128, 256  # flattened 128x128 grey image into Dense(256)


_EXP_HINT = "for large |z| avoid exp(z) of a large positive number; exp(-|z|) is always safe"
_SOFTMAX_HINT = "subtract each row's maximum logit before exponentiating, and take log p from log-sum-exp"


def _call(fn: Any, what: str, *args: Any, hint: str = _EXP_HINT) -> Any:
    """Call a student's function; turn its exception (and numerical warnings) into feedback."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                return fn(*args)
    except NotImplementedError:
        raise
    except FloatingPointError as err:
        fail(f"For {what} your function hit a floating-point problem ({err}).", hint)
    except RuntimeWarning as err:
        fail(f"For {what} your function warned: {err}.", hint)
    except Exception as err:  # noqa: BLE001 - any error of the student's code becomes feedback
        fail(f"For {what} your function raised {type(err).__name__}: {err}")
    return None


@exercise("08.1", "numeric", "parameters of a dense layer on a flattened 128x128 image")
def _check_08_1(answer: Any) -> None:
    value = as_number(answer, "08.1")
    right = D_08_1 * H_08_1 + H_08_1
    if value == right:
        return
    if value == D_08_1 * H_08_1:
        fail("Close: that counts the weights only.", "a Dense layer also has one bias per unit")
    if value in (128 * H_08_1 + H_08_1, 128 * H_08_1):
        fail("You used 128 inputs, but the flattened image has one input per pixel.",
             "how many pixels has a 128x128 image?")
    if value in (D_08_1 * H_08_1 + D_08_1,):
        fail("That adds one bias per input; biases belong to the units.", "count one bias per unit of the layer")
    if value in (D_08_1 + H_08_1, D_08_1 * 3 * H_08_1 + H_08_1):
        fail("Not the right count.", "every input is connected to every unit (and the image has one channel)")
    fail("Not the right count.", "a Dense layer with d inputs and h units has d * h weights and h biases")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@exercise("08.2", "code", "derivative of the sigmoid")
def _check_08_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (sigmoid_derivative), not its result.")
    z = np.array([-6.0, -2.0, -0.5, 0.0, 0.3, 1.0, 4.0])
    right = _sigmoid(z) * (1 - _sigmoid(z))
    got = _call(fn, "an array of moderate values", z.copy())
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(f"Your function returned {type(got).__name__}, not an array of numbers.")
    if got.shape != z.shape:
        fail(f"For an input of shape {z.shape} the result has shape {got.shape}.", "work element-wise")
    if not np.allclose(got, right, rtol=1e-6, atol=1e-12):
        if np.allclose(got, z * (1 - z)):
            fail("You computed z (1 - z): the formula s (1 - s) needs s = sigma(z), not z itself.")
        if np.allclose(got, _sigmoid(z)):
            fail("That is the sigmoid itself, not its derivative.")
        if np.allclose(got, _sigmoid(z) * (1 - z)):
            fail("You computed sigma(z) (1 - z).", "both factors involve sigma(z)")
        if np.allclose(got, np.exp(-z) / (1 + np.exp(-z))):
            fail("That is 1 - sigma(z), one of the two factors only.")
        fail("The values are not sigma'(z).",
             "differentiate 1 / (1 + e^-z); the result can be written with sigma(z) only")
    one = _call(fn, "a single number z = 0", 0.0)
    try:
        one = float(np.asarray(one, dtype=float).ravel()[0]) if np.size(one) == 1 else None
    except (TypeError, ValueError):
        one = None
    if one is None or abs(one - 0.25) > 1e-9:
        fail("For the single number z = 0 the result should be one number.", "convert the input with np.asarray first")
    big = np.array([-1000.0, -50.0, 50.0, 1000.0])
    got = np.asarray(_call(fn, "large |z| (z = -1000, -50, 50, 1000)", big.copy()), dtype=float)
    if got.shape != big.shape or not np.all(np.isfinite(got)):
        fail("For large |z| your function returns nan or inf.", "exp(-|z|) is between 0 and 1 and never overflows")
    e = np.exp(-np.abs(big))
    if not np.allclose(got, e / (1 + e) ** 2, rtol=1e-6, atol=1e-15):
        fail("For large |z| the values are wrong (sigma'(z) is close to 0 there, and sigma'(-z) = sigma'(z)).",
             "write sigma'(z) with e = exp(-|z|) only")


@exercise("08.3", "code", "inverted dropout during training")
def _check_08_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (inverted_dropout), not its result.")
    a = np.random.default_rng(8).uniform(0.5, 2.0, size=(400, 250))
    original = a.copy()
    for rate in (0.5, 0.2, 0.8):
        got = _call(fn, f"rate = {rate}", a, rate, np.random.default_rng(80))
        if not np.array_equal(a, original):
            fail("Your function changed its input array.", "build a new array instead of assigning into a")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            fail(f"For rate = {rate} your function returned {type(got).__name__}, not an array.")
        if got.shape != a.shape:
            fail(f"For rate = {rate} the shape changed from {a.shape} to {got.shape}.")
        zero = got == 0
        share = zero.mean()
        if abs(share - (1 - rate)) < 0.02 and abs(rate - 0.5) > 0.1:
            fail(f"For rate = {rate} you dropped {share:.0%} of the entries.",
                 "the rate is the probability of DROPPING an entry, not of keeping it")
        if abs(share - rate) > 0.02:
            fail(f"For rate = {rate} you dropped {share:.1%} of the entries.",
                 "drop each entry independently with probability rate")
        kept = ~zero
        ratio = got[kept] / a[kept]
        if np.allclose(ratio, 1.0):
            fail(f"For rate = {rate} the kept entries are unchanged, so the expected value shrinks to (1 - rate) a.",
                 "rescale the entries that are kept")
        if np.allclose(ratio, 1 - rate):
            fail(f"For rate = {rate} you multiplied the kept entries by 1 - rate, which shrinks them further.",
                 "the expected value of each entry must stay a")
        if not np.allclose(ratio, 1 / (1 - rate)):
            fail(f"For rate = {rate} the kept entries are not rescaled correctly.",
                 "the expected value of each entry must stay a: (probability kept) x (scale) = 1")
    masks = [_call(fn, "two calls with different generators", np.ones((50, 50)), 0.5, np.random.default_rng(s))
             for s in (1, 2)]
    if np.array_equal(np.asarray(masks[0]), np.asarray(masks[1])):
        fail("Two calls with different generators gave the same mask.", "draw the mask from rng")
    got = np.asarray(_call(fn, "rate = 0", a, 0.0, np.random.default_rng(3)), dtype=float)
    if got.shape != a.shape or not np.allclose(got, a):
        fail("With rate = 0 nothing should change.")


def _smoothed_reference(z: np.ndarray, labels: np.ndarray, eps: float, *, per: str = "k",
                        mean: bool = True) -> tuple[float, np.ndarray]:
    """Loss and gradient of the label-smoothed cross-entropy (per="k": eps / K, per="k-1": eps / (K - 1))."""
    n, k = z.shape
    if per == "k":
        q = np.full((n, k), eps / k)
        q[np.arange(n), labels] += 1.0 - eps
    else:
        q = np.full((n, k), eps / (k - 1))
        q[np.arange(n), labels] = 1.0 - eps
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    scale = n if mean else 1
    return float(-np.sum(q * log_p) / scale), (np.exp(log_p) - q) / scale


def _loss_and_grad(got: Any, shape: tuple[int, ...], what: str) -> tuple[float, np.ndarray]:
    """The student's (loss, grad) pair as a float and an array of the logits' shape, or feedback."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"For {what} your function returned {type(got).__name__}, not a pair (loss, grad).",
             "end with return loss, grad")
    loss, grad = got
    try:
        loss = float(np.asarray(loss, dtype=float).reshape(-1)[0]) if np.size(loss) == 1 else None
    except (TypeError, ValueError):
        loss = None
    if loss is None:
        fail(f"For {what} the loss is not a single number.", "the loss is the mean over the cases: one number")
    try:
        grad = np.asarray(grad, dtype=float)
    except (TypeError, ValueError):
        fail(f"For {what} the gradient is not an array of numbers.")
    if grad.shape != shape:
        fail(f"For {what} the gradient has shape {grad.shape}, but the logits have shape {shape}.",
             "there is one partial derivative per logit")
    if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
        fail(f"For {what} your function returned nan or inf.",
             _SOFTMAX_HINT)
    return loss, grad


def _diagnose_08_4(z: np.ndarray, labels: np.ndarray, eps: float, loss: float, grad: np.ndarray) -> None:
    """Name the typical mistake behind a wrong loss or gradient (fails; returns only if none matched)."""
    n = len(labels)
    right_loss, right_grad = _smoothed_reference(z, labels, eps)
    close = lambda a, b: np.allclose(a, b, rtol=1e-6, atol=1e-9)  # noqa: E731
    if close(grad, -right_grad):
        fail("Your gradient has the wrong sign.", "the push on each logit is predicted minus target probability")
    if close(grad, right_grad * n) or (np.isclose(loss, right_loss * n, rtol=1e-6) and not close(loss, right_loss)):
        fail("Your loss or gradient is the sum over the cases, not the mean.", "divide by the number of cases n")
    if eps > 0:
        plain_loss, plain_grad = _smoothed_reference(z, labels, 0.0)
        if close(grad, plain_grad) or np.isclose(loss, plain_loss, rtol=1e-6):
            fail("Your loss or gradient ignores the smoothing.", "the targets are q = (1 - eps) y + eps / K")
        other_loss, other_grad = _smoothed_reference(z, labels, eps, per="k-1")
        if close(grad, other_grad) or np.isclose(loss, other_loss, rtol=1e-6):
            fail("You spread eps over the K - 1 wrong classes; this exercise (like Keras) spreads eps / K over all K.",
                 "q = (1 - eps) y + eps / K")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    if close(grad, p / n) or close(grad, p):
        fail("Your gradient is (a multiple of) the probabilities alone; the targets are missing from it.")
    if close(loss, right_loss):
        fail("The loss is right, but the gradient is not.",
             "differentiate -sum_k q_k z_k + (sum_k q_k) log sum_j e^(z_j) with respect to z_k")
    if close(grad, right_grad):
        fail("The gradient is right, but the loss is not.", "the loss is the mean of -sum_k q_k log p_k")
    fail("The loss and the gradient are both wrong.",
         "compute log p with the log-sum-exp trick, then the loss -sum q log p / n and its derivative")


@exercise("08.4", "code", "label-smoothed softmax cross-entropy and its gradient")
def _check_08_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (smoothed_cross_entropy), not its result.")
    rng = np.random.default_rng(84)
    cases = [("7 cases, 4 classes, smoothing 0.1", rng.normal(0, 2, (7, 4)), rng.integers(0, 4, 7), 0.1),
             ("5 cases, 3 classes, no smoothing", rng.normal(0, 1, (5, 3)), rng.integers(0, 3, 5), 0.0),
             ("12 cases, 6 classes, smoothing 0.3", rng.normal(0, 3, (12, 6)), rng.integers(0, 6, 12), 0.3)]
    for what, z, labels, eps in cases:
        original = z.copy()
        loss, grad = _loss_and_grad(_call(fn, what, z, labels, eps, hint=_SOFTMAX_HINT), z.shape, what)
        if not np.array_equal(z, original):
            fail(f"For {what} your function changed the logits it was given.", "work on a copy")
        right_loss, right_grad = _smoothed_reference(z, labels, eps)
        if not (np.isclose(loss, right_loss, rtol=1e-6, atol=1e-9)
                and np.allclose(grad, right_grad, rtol=1e-6, atol=1e-9)):
            _diagnose_08_4(z, labels, eps, loss, grad)
    z = np.array([[1000.0, 0.0, -1000.0], [-800.0, 800.0, 0.0]])
    labels = np.array([0, 2])
    what = "logits of size 1000"
    got = _call(fn, what, z, labels, 0.1, hint=_SOFTMAX_HINT)
    loss, grad = _loss_and_grad(got, z.shape, what)
    right_loss, right_grad = _smoothed_reference(z, labels, 0.1)
    if not (np.isclose(loss, right_loss, rtol=1e-6) and np.allclose(grad, right_grad, rtol=1e-6, atol=1e-9)):
        fail("For logits of size 1000 the values are wrong, although finite.",
             "compute log p as z - max - log(sum exp(z - max)), never log of a probability that rounded to 0")
