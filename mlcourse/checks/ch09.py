"""Checks of chapter 09 (autoencoders): the compression ratio of a bottleneck, the KL divergence of a
Gaussian to the unit Gaussian, and the reparameterisation trick."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

PIXELS_09_1, CODE_09_1 = 28 * 28, 16  # a 28x28 grey image squeezed into a 16-number code


@exercise("09.1", "numeric", "compression ratio of a 16-unit bottleneck on 28x28 images")
def _check_09_1(answer: Any) -> None:
    value = as_number(answer, "09.1")
    right = PIXELS_09_1 / CODE_09_1
    if abs(value - right) <= 1e-3 * right:
        return
    if abs(value - CODE_09_1 / PIXELS_09_1) <= 1e-4:
        fail("That is the ratio the wrong way round (code size over input size).",
             "the compression ratio is how many input numbers each code number stands for")
    if abs(value - 28 / CODE_09_1) <= 1e-3 or abs(value - 3 * PIXELS_09_1 / CODE_09_1) <= 1e-3:
        fail("Check the number of input values.", "a 28x28 grey image has one value per pixel")
    fail("Not the right ratio.", "divide the number of values in the input by the number of values in the code")


def _kl_reference(mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    return 0.5 * (mu**2 + np.exp(log_var) - 1.0 - log_var)


_KL_CASES = [
    (np.array([1.5, -2.0, 0.3]), np.array([0.0, 0.0, 0.0])),
    (np.array([0.0, 0.0]), np.array([np.log(0.25), np.log(4.0)])),
    (np.array([[0.5, -1.0], [2.0, 0.1]]), np.array([[-1.0, 0.7], [0.2, -2.5]])),
    (np.array([0.0]), np.array([0.0])),
]


@exercise("09.2", "code", "KL divergence of N(mu, sigma^2) to N(0, 1)")
def _check_09_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (kl_to_standard_normal), not its result.")
    for mu, log_var in _KL_CASES:
        what = f"mu = {mu.tolist()}, log_var = {np.round(log_var, 3).tolist()}"
        got = call_student(fn, what, mu.copy(), log_var.copy())
        if got is None:
            fail("Your function returned None.", "return the array of KL values")
        got = np.asarray(got, dtype=float)
        right = _kl_reference(mu, log_var)
        if got.shape != right.shape:
            fail(f"The result has shape {got.shape}, expected one value per entry, shape {right.shape}.",
                 "compute the KL element-wise; do not sum or average")
        if np.allclose(got, right, rtol=1e-6, atol=1e-9):
            continue
        if np.allclose(got, -right, rtol=1e-6, atol=1e-9):
            fail("The sign is wrong: a KL divergence is never negative.", "check the sign in front of the 1/2")
        if np.allclose(got, 2 * right, rtol=1e-6, atol=1e-9):
            fail("Your values are twice too large.", "there is a factor 1/2 in front of the bracket")
        sigma2 = log_var  # the student treated the argument as the variance itself
        with np.errstate(all="ignore"):
            as_variance = 0.5 * (mu**2 + sigma2 - 1.0 - np.log(sigma2))
        if np.allclose(got, as_variance, rtol=1e-6, atol=1e-9, equal_nan=True):
            fail("You used log_var as if it were the variance.", "the variance is exp(log_var)")
        if np.allclose(got, 0.5 * (mu**2 + np.exp(log_var) - 1.0), rtol=1e-6, atol=1e-9):
            fail("A term is missing.", "the bracket has four terms: mu^2, sigma^2, -1 and -log sigma^2")
        fail(f"Wrong values for mu = {mu.tolist()} and log_var = {np.round(log_var, 3).tolist()}.",
             "the KL must be 0 exactly when mu = 0 and log_var = 0, and grow as mu moves away from 0")


@exercise("09.3", "code", "the reparameterisation trick")
def _check_09_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (reparameterise), not its result.")
    rng = np.random.default_rng(9)
    mu = rng.normal(size=(4, 3))
    log_var = rng.normal(size=(4, 3))
    eps = rng.normal(size=(4, 3))
    got = call_student(fn, "arrays of shape (4, 3)", mu.copy(), log_var.copy(), eps.copy())
    if got is None:
        fail("Your function returned None.", "return z, an array of the same shape as mu")
    got = np.asarray(got, dtype=float)
    if got.shape != mu.shape:
        fail(f"The result has shape {got.shape}, expected {mu.shape}.")
    right = mu + np.exp(0.5 * log_var) * eps
    if np.allclose(got, right, rtol=1e-6, atol=1e-9):
        zero = call_student(fn, "log_var = 0 and eps = 0", mu.copy(), np.zeros_like(mu), np.zeros_like(mu))
        if not np.allclose(np.asarray(zero, dtype=float), mu):
            fail("With eps = 0 the result should be mu.")
        return
    if np.allclose(got, mu + np.exp(log_var) * eps, rtol=1e-6):
        fail("You multiplied eps by the variance.", "eps must be scaled by the standard deviation")
    if np.allclose(got, mu + log_var * eps, rtol=1e-6):
        fail("You multiplied eps by log_var itself.", "turn the log-variance into a standard deviation first")
    if np.allclose(got, np.exp(0.5 * log_var) * eps, rtol=1e-6):
        fail("The mean is missing.", "z is centred on mu")
    if np.allclose(got, mu + eps, rtol=1e-6):
        fail("The spread is missing: eps is not scaled.", "scale eps by the standard deviation")
    fail("Not the right z.", "z = mean + standard deviation * eps, element-wise")
