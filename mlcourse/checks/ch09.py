"""Checks of chapter 09 (autoencoders): the VAE's negative ELBO above the entropy floor, written in
`keras.ops`; the KL divergence between two Gaussians; and the reparameterisation trick."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import call_student, exercise, fail

_EPS = 1e-7


def _as_tensor(array: np.ndarray) -> Any:
    """A float32 tensor of the active Keras backend: the exercise asks for keras.ops code, which on PyTorch
    cannot mix NumPy arrays with tensors."""
    import keras

    return keras.ops.convert_to_tensor(np.asarray(array, dtype="float32"))


def _as_array(value: Any) -> np.ndarray:
    """A student's result (a NumPy array or a tensor of any Keras backend) as a float64 NumPy array."""
    if not isinstance(value, (np.ndarray, np.generic, float, int, list, tuple)):
        try:
            import keras

            value = keras.ops.convert_to_numpy(value)
        except Exception:  # noqa: BLE001 - anything else is left to np.asarray below
            pass
    return np.asarray(value, dtype=float)


def _bce_sum(x: np.ndarray, x_hat: np.ndarray, reduce: str = "sum") -> np.ndarray:
    p = np.clip(x_hat, _EPS, 1 - _EPS)
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p)).reshape(len(x), -1)
    return per_pixel.sum(axis=1) if reduce == "sum" else per_pixel.mean(axis=1)


def _floor(x: np.ndarray, reduce: str = "sum") -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -(np.where(x > 0, x * np.log(np.where(x > 0, x, 1)), 0.0)
              + np.where(x < 1, (1 - x) * np.log(np.where(x < 1, 1 - x, 1)), 0.0))
    h = h.reshape(len(x), -1)
    return h.sum(axis=1) if reduce == "sum" else h.mean(axis=1)


def _kl(mu: np.ndarray, log_var: np.ndarray, form: str = "right") -> np.ndarray:
    with np.errstate(all="ignore"):
        if form == "log_sd":      # z_log_var taken as log sigma
            terms = 1 + 2 * log_var - mu**2 - np.exp(2 * log_var)
        elif form == "variance":  # z_log_var taken as the variance itself
            terms = 1 + np.log(log_var) - mu**2 - log_var
        elif form == "sd":        # exp(z_log_var) taken as the standard deviation: sigma^2 = exp(2 log_var) too,
            terms = 1 + log_var - mu**2 - np.exp(2 * log_var)   # with log sigma^2 left as z_log_var
        else:
            terms = 1 + log_var - mu**2 - np.exp(log_var)
    return -0.5 * terms.sum(axis=1) if form != "mean_latent" else -0.5 * terms.mean(axis=1)


def _elbo_cases() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Hidden cases: grey images with black and white pixels, colour images, binary images, a perfect copy."""
    rng = np.random.default_rng(2209)
    cases = []
    x = rng.uniform(0.05, 0.95, size=(3, 6, 5, 1))
    x[0, 0, :2, 0], x[1, 3, 4, 0], x[2, 5, 0, 0] = 0.0, 1.0, 0.0
    cases.append(("3 grey 6x5 images (some pixels exactly 0 or 1), a 2-D code", x,
                  np.clip(x + rng.normal(0, 0.1, x.shape), 0.02, 0.98),
                  rng.normal(0, 1.2, (3, 2)), rng.uniform(-1.5, 1.0, (3, 2))))
    x = rng.uniform(0.1, 0.9, size=(2, 4, 4, 3))
    cases.append(("2 colour 4x4 images, a 3-D code", x, rng.uniform(0.05, 0.95, x.shape),
                  rng.normal(0, 1.0, (2, 3)), rng.uniform(-2.0, 0.8, (2, 3))))
    x = (rng.uniform(size=(4, 5, 5, 1)) > 0.5).astype(float)
    cases.append(("4 binary 5x5 images, a 1-D code", x, rng.uniform(0.1, 0.9, x.shape),
                  rng.normal(0, 1.5, (4, 1)), rng.uniform(-1.0, 1.2, (4, 1))))
    x = rng.uniform(0.0, 1.0, size=(2, 7, 7, 1))
    x[:, 0, :, 0], x[:, -1, :, 0] = 0.0, 1.0
    cases.append(("x_hat equal to x (with pixels exactly 0 and 1) and a code at the prior", x, x.copy(),
                  np.zeros((2, 2)), np.zeros((2, 2))))
    return cases


@exercise("09.1", "code", "the VAE's negative ELBO above the entropy floor, in keras.ops")
def _check_09_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (neg_elbo_above_floor), not its result.")
    for what, x, x_hat, mu, log_var in _elbo_cases():
        args = [a.astype("float32") for a in (x, x_hat, mu, log_var)]
        try:                                   # keras.ops code gets the backend's tensors (PyTorch needs them),
            got = fn(*[_as_tensor(a) for a in args])
        except Exception:                      # noqa: BLE001 - NumPy code gets NumPy arrays, as before
            got = call_student(fn, what, *args, hint="use keras.ops functions on the four arguments")
        if got is None:
            fail("Your function returned None.", "return one value per image")
        got = _as_array(got)
        n = len(x)
        if got.shape != (n,):
            fail(f"For {what} the result has shape {got.shape}; expected one value per image, shape ({n},).",
                 "sum over the pixels and the latent dimensions of each image, not over the batch")
        if not np.all(np.isfinite(got)):
            fail(f"For {what} your function returned NaN or infinite values.",
                 "at a pixel of exactly 0 or 1, t * log(t) has the limit 0, and log of a reconstruction of "
                 "exactly 0 or 1 is infinite: keep the logarithms away from 0")
        right = _bce_sum(x, x_hat) - _floor(x) + _kl(mu, log_var)
        tol = dict(rtol=1e-4, atol=1e-3 * x[0].size + 1e-4)
        if np.allclose(got, right, **tol):
            continue
        rec = _bce_sum(x, x_hat) - _floor(x)
        wrong = [
            (_bce_sum(x, x_hat) + _kl(mu, log_var), "The entropy floor of the images is not subtracted.",
             "a perfect reconstruction of a grey image must score 0 in the reconstruction part"),
            (_bce_sum(x, x_hat) + _floor(x) + _kl(mu, log_var), "The floor is added instead of subtracted.",
             "the floor is the smallest value the cross-entropy can take"),
            (rec - _kl(mu, log_var), "The KL term has the wrong sign: a KL divergence is never negative.",
             "check the sign in front of the 1/2"),
            (rec, "The KL term is missing.", "the negative ELBO has a reconstruction part and a KL part"),
            (_bce_sum(x, x_hat, "mean") - _floor(x, "mean") + _kl(mu, log_var),
             "The reconstruction part is averaged over the pixels; it must be summed.",
             "averaging weights the KL term D times too strongly"),
            (rec + _kl(mu, log_var, "mean_latent"), "The KL term is averaged over the latent dimensions.",
             "the KL of a diagonal Gaussian is a sum over the latent dimensions"),
            (rec + _kl(mu, log_var, "log_sd"), "z_log_var is used as the log of the standard deviation.",
             "z_log_var is log sigma^2, the log of the variance"),
            (rec + _kl(mu, log_var, "sd"), "exp(z_log_var) is used as the standard deviation.",
             "exp(z_log_var) is already the variance sigma^2"),
            (rec + _kl(mu, log_var, "variance"), "z_log_var is used as if it were the variance.",
             "the variance is exp(z_log_var)"),
            (rec + 2 * _kl(mu, log_var), "The KL term is twice too large.", "there is a factor 1/2 in the KL"),
        ]
        for values, feedback, hint in wrong:
            with np.errstate(all="ignore"):
                if np.all(np.isfinite(values)) and np.allclose(got, values, **tol):
                    fail(f"For {what}: {feedback}", hint)
        fail(f"Wrong values for {what}.",
             "for each image: sum over pixels of the cross-entropy minus the binary entropy of x, "
             "plus the KL divergence summed over the latent dimensions")


def _kl_gauss(mq: np.ndarray, lq: np.ndarray, mp: np.ndarray, lp: np.ndarray) -> np.ndarray:
    return 0.5 * (lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1.0)


_KL2_CASES = [
    (np.array([1.5, -2.0, 0.3]), np.array([0.0, 0.5, -1.0]), np.array([0.5, 0.0, -0.7]), np.array([1.0, -0.5, 0.3])),
    (np.array([[0.5, -1.0], [2.0, 0.1]]), np.array([[-1.0, 0.7], [0.2, -2.5]]),
     np.array([[0.0, 1.0], [-1.0, 0.4]]), np.array([[0.8, -1.2], [0.0, 0.6]])),
    (np.array([0.4, -0.3]), np.array([0.9, -0.2]), np.array([0.4, -0.3]), np.array([0.9, -0.2])),
]


@exercise("09.2", "code", "KL divergence between two Gaussians")
def _check_09_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (kl_gaussians), not its result.")
    for mq, lq, mp, lp in _KL2_CASES:
        what = f"mu_q = {mq.tolist()}, log_var_q = {lq.tolist()}, mu_p = {mp.tolist()}, log_var_p = {lp.tolist()}"
        got = call_student(fn, what, mq.copy(), lq.copy(), mp.copy(), lp.copy())
        if got is None:
            fail("Your function returned None.", "return the array of KL values")
        got = _as_array(got)
        right = _kl_gauss(mq, lq, mp, lp)
        if got.shape != right.shape:
            fail(f"The result has shape {got.shape}, expected one value per entry, shape {right.shape}.",
                 "compute the KL element-wise; do not sum or average")
        if np.allclose(got, right, rtol=1e-6, atol=1e-9):
            continue
        with np.errstate(all="ignore"):
            wrong = [
                (_kl_gauss(mp, lp, mq, lq), "You computed KL(p || q): the divergence is not symmetric.",
                 "the expectation is taken under q, the first distribution"),
                (-right, "The sign is wrong: a KL divergence is never negative.", "check the signs of the terms"),
                (2 * right, "Your values are twice too large.", "there is a factor 1/2"),
                (0.5 * (mq**2 + np.exp(lq) - 1.0 - lq), "The second Gaussian is ignored: that is the KL to N(0, 1).",
                 "mu_p and log_var_p enter the formula"),
                (0.5 * (lp - lq + np.exp(lq) / np.exp(lp) + (mq - mp) ** 2 - 1.0),
                 "The squared difference of the means is not scaled.",
                 "measure the distance between the means in units of the second distribution's variance"),
                (0.5 * (np.log(lp) - np.log(lq) + (lq + (mq - mp) ** 2) / lp - 1.0),
                 "You used the log_var arguments as if they were variances.", "the variances are exp(log_var)"),
                (right + 0.5, "A term is missing: the result is not 0 for two equal Gaussians.",
                 "check the constant term inside the bracket"),
            ]
            for values, feedback, hint in wrong:
                if np.allclose(got, values, rtol=1e-6, atol=1e-9):
                    fail(feedback, hint)
        fail(f"Wrong values for {what}.",
             "write log q(z) - log p(z) for two Gaussians and take its expectation under q: E[(z - mu_p)^2] "
             "= sigma_q^2 + (mu_q - mu_p)^2")


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
    got = _as_array(got)
    if got.shape != mu.shape:
        fail(f"The result has shape {got.shape}, expected {mu.shape}.")
    right = mu + np.exp(0.5 * log_var) * eps
    if np.allclose(got, right, rtol=1e-6, atol=1e-9):
        zero = call_student(fn, "log_var = 0 and eps = 0", mu.copy(), np.zeros_like(mu), np.zeros_like(mu))
        if not np.allclose(_as_array(zero), mu):
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
