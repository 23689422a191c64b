"""Checks of chapter 15 (generative adversarial networks): the optimal discriminator, the gradients of the
saturating and non-saturating generator losses, and the Frechet distance between two Gaussians."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

P_DATA_15_1, P_G_15_1 = 0.3, 0.1    # the two densities at one image x
D_15_2 = 0.01                       # the discriminator's output on a generated image early in training


@exercise("15.1", "numeric", "the optimal discriminator for two given densities")
def _check_15_1(answer: Any) -> None:
    value = as_number(answer, "15.1")
    right = P_DATA_15_1 / (P_DATA_15_1 + P_G_15_1)
    if abs(value - right) <= 1e-3:
        return
    if abs(value - P_G_15_1 / (P_DATA_15_1 + P_G_15_1)) <= 1e-3:
        fail("That is the probability the optimal discriminator gives to 'generated', not to 'real'.",
             "D(x) is the probability that x came from the data")
    if abs(value - P_DATA_15_1 / P_G_15_1) <= 1e-3:
        fail("A discriminator outputs a probability, which cannot exceed 1.", "divide by the sum of the densities")
    if abs(value - 0.5) <= 1e-3:
        fail("D = 1/2 is the optimum only where the two densities are equal; here they differ.")
    fail("Not the optimal discriminator's value.", "D*(x) = p_data(x) / (p_data(x) + p_g(x))")


@exercise("15.2", "numeric", "gradient ratio of the non-saturating and saturating generator losses at D = 0.01")
def _check_15_2(answer: Any) -> None:
    value = as_number(answer, "15.2")
    right = (1.0 - D_15_2) / D_15_2   # |d(-log D)/da| / |d log(1 - D)/da| with D = sigmoid(a)
    if abs(value - right) <= 0.01 * right:
        return
    if abs(value - 1.0 / right) <= 0.01 / right:
        fail("Your ratio is upside down.", "divide the non-saturating gradient by the saturating one")
    if abs(abs(value) - right) <= 0.01 * right:
        fail("Compare the sizes of the gradients: the ratio of magnitudes is positive.")
    if abs(value - 1.0 / D_15_2) <= 0.01 / D_15_2 or abs(value - 1.0 / D_15_2**2) <= 1e-2 / D_15_2**2:
        fail("Close, but check the derivative of the saturating loss too.",
             "with D = sigmoid(a), d log(1 - D) / da = -D and d(-log D) / da = -(1 - D)")
    fail("Not the right ratio.", "write both losses as functions of the logit a with D = sigmoid(a) and differentiate")


def _frechet_reference(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    from scipy import linalg

    covmean = np.real(linalg.sqrtm(cov1 @ cov2))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(cov1 + cov2 - 2.0 * covmean))


_FD_CASES = [
    (np.array([0.0]), np.array([[1.0]]), np.array([3.0]), np.array([[4.0]])),
    (np.array([1.0, -1.0]), np.diag([1.0, 9.0]), np.array([0.0, 1.0]), np.diag([4.0, 1.0])),
    (np.array([0.5, 0.2]), np.array([[2.0, 0.8], [0.8, 1.0]]),
     np.array([-0.3, 0.4]), np.array([[1.0, -0.3], [-0.3, 0.5]])),
    (np.array([2.0, 2.0]), np.eye(2), np.array([2.0, 2.0]), np.eye(2)),
]


@exercise("15.3", "code", "the Frechet distance between two Gaussians")
def _check_15_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (frechet_gaussian), not its result.")
    for mu1, c1, mu2, c2 in _FD_CASES:
        what = f"mu1 = {mu1.tolist()}, cov1 = {c1.tolist()}, mu2 = {mu2.tolist()}, cov2 = {c2.tolist()}"
        got = call_student(fn, what, mu1.copy(), c1.copy(), mu2.copy(), c2.copy())
        if got is None:
            fail("Your function returned None.", "return one number, the squared Frechet distance")
        try:
            value = float(np.real(np.asarray(got)).reshape(-1)[0]) if np.size(got) == 1 else None
        except (TypeError, ValueError):
            value = None
        if value is None:
            fail(f"For {what} your function returned {np.shape(got)} values; return a single number.")
        right = _frechet_reference(mu1, c1, mu2, c2)
        if abs(value - right) <= 1e-6 + 1e-6 * abs(right):
            continue
        diff = mu1 - mu2
        if right > 0 and abs(value - np.sqrt(right)) <= 1e-6 + 1e-6 * right:
            fail("You returned the distance itself; return its square, as the FID does.")
        from scipy import linalg

        half = float(diff @ diff + np.trace(c1 + c2 - np.real(linalg.sqrtm(c1 @ c2))))
        if abs(value - half) <= 1e-6 + 1e-6 * abs(half):
            fail("The cross term needs a factor of 2.", "the trace term is tr(C1 + C2 - 2 (C1 C2)^(1/2))")
        nosqrt = float(diff @ diff + np.trace(c1 + c2 - 2.0 * c1 @ c2))
        if abs(value - nosqrt) <= 1e-6 + 1e-6 * abs(nosqrt):
            fail("The cross term uses the matrix square root of C1 C2, not C1 C2 itself.",
                 "scipy.linalg.sqrtm computes a matrix square root")
        if abs(value - float(diff @ diff)) <= 1e-9 and right > float(diff @ diff) + 1e-6:
            fail("The covariance term is missing: two Gaussians with the same mean but different spreads differ.")
        fail(f"Wrong value for {what}.",
             "d^2 = |mu1 - mu2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2)); for 1-D Gaussians it is (m1-m2)^2 + (s1-s2)^2")
