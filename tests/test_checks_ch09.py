"""Checks of chapter 09: right answers pass, typical wrong ones fail with feedback (never the answer), None
fails, and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check

keras = pytest.importorskip("keras")
ops = keras.ops
EPS = 1e-7


def _parts(x, x_hat, mu, lv):
    # per-image pixel arrays in keras.ops: cross-entropy, entropy floor (0 log 0 = 0), and the KL pieces
    x = ops.convert_to_tensor(x, dtype="float32")
    p = ops.clip(ops.convert_to_tensor(x_hat, dtype="float32"), EPS, 1 - EPS)
    t = ops.clip(x, EPS, 1 - EPS)
    n = ops.shape(x)[0]
    bce = ops.reshape(-(x * ops.log(p) + (1 - x) * ops.log(1 - p)), (n, -1))
    floor = ops.reshape(-(x * ops.log(t) + (1 - x) * ops.log(1 - t)), (n, -1))
    kl_terms = 1.0 + lv - ops.square(mu) - ops.exp(lv)
    return bce, floor, kl_terms


def neg_elbo_above_floor(x, x_hat, mu, lv):
    bce, floor, kl_terms = _parts(x, x_hat, mu, lv)
    return ops.sum(bce - floor, axis=1) - 0.5 * ops.sum(kl_terms, axis=1)


def neg_elbo_numpy(x, x_hat, mu, lv):
    # a NumPy version that writes the reconstruction as a sum of Bernoulli KLs; it must pass too
    p = np.clip(x_hat, EPS, 1 - EPS)
    t = np.clip(x, EPS, 1 - EPS)
    kl_pix = x * np.log(t / p) + (1 - x) * np.log((1 - t) / (1 - p))
    return kl_pix.reshape(len(x), -1).sum(1) + 0.5 * np.sum(mu**2 + np.exp(lv) - 1 - lv, axis=1)


def no_floor(x, x_hat, mu, lv):
    bce, _, kl_terms = _parts(x, x_hat, mu, lv)
    return ops.sum(bce, axis=1) - 0.5 * ops.sum(kl_terms, axis=1)


def kl_sign(x, x_hat, mu, lv):
    bce, floor, kl_terms = _parts(x, x_hat, mu, lv)
    return ops.sum(bce - floor, axis=1) + 0.5 * ops.sum(kl_terms, axis=1)


def pixel_mean(x, x_hat, mu, lv):
    bce, floor, kl_terms = _parts(x, x_hat, mu, lv)
    return ops.mean(bce - floor, axis=1) - 0.5 * ops.sum(kl_terms, axis=1)


def log_var_as_log_sd(x, x_hat, mu, lv):
    bce, floor, _ = _parts(x, x_hat, mu, lv)
    return ops.sum(bce - floor, axis=1) - 0.5 * ops.sum(1 + 2 * lv - mu**2 - ops.exp(2 * lv), axis=1)


def batch_mean(x, x_hat, mu, lv):
    return ops.mean(neg_elbo_above_floor(x, x_hat, mu, lv))


def naive_floor(x, x_hat, mu, lv):
    # t * log(t) without care at t = 0 and t = 1: NaN on real images
    x = ops.convert_to_tensor(x, dtype="float32")
    p = ops.clip(ops.convert_to_tensor(x_hat, dtype="float32"), EPS, 1 - EPS)
    n = ops.shape(x)[0]
    excess = x * (ops.log(x) - ops.log(p)) + (1 - x) * (ops.log(1 - x) - ops.log(1 - p))
    return ops.sum(ops.reshape(excess, (n, -1)), axis=1) + 0.5 * ops.sum(mu**2 + ops.exp(lv) - 1 - lv, axis=1)


def kl_gaussians(mq, lq, mp, lp):
    mq, lq, mp, lp = (np.asarray(a, dtype=float) for a in (mq, lq, mp, lp))
    return 0.5 * (lp - lq + (np.exp(lq) + (mq - mp) ** 2) / np.exp(lp) - 1.0)


def reparameterise(mu, log_var, eps):
    return np.asarray(mu) + np.exp(0.5 * np.asarray(log_var)) * np.asarray(eps)


def test_right_answers_pass(capsys):
    check("09.1", neg_elbo_above_floor)
    check("09.1", neg_elbo_numpy)
    check("09.2", kl_gaussians)
    check("09.3", reparameterise)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("fn, feedback", [
    (no_floor, "floor of the images is not subtracted"),
    (lambda x, xh, m, lv: no_floor(x, xh, m, lv) + 0.0 * x.sum(), "not subtracted"),
    (kl_sign, "wrong sign"),
    (pixel_mean, "averaged over the pixels"),
    (log_var_as_log_sd, "log of the standard deviation"),
    (batch_mean, "shape"),
    (naive_floor, "NaN or infinite"),
    (lambda x, xh, m, lv: ops.sum(_parts(x, xh, m, lv)[0] - _parts(x, xh, m, lv)[1], axis=1), "KL term is missing"),
    (lambda x, xh, m, lv: None, "returned None"),
    (lambda x, xh, m: x, "raised TypeError"),
    (lambda x, xh, m, lv: ops.sum(ops.reshape(ops.abs(x - xh), (x.shape[0], -1)), axis=1), "Wrong values"),
])
def test_wrong_elbo_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("09.1", fn)
    assert "entr(" not in str(err.value) and "ops.clip" not in str(err.value)


@pytest.mark.parametrize("fn, feedback", [
    (lambda mq, lq, mp, lp: kl_gaussians(mp, lp, mq, lq), "not symmetric"),
    (lambda mq, lq, mp, lp: -kl_gaussians(mq, lq, mp, lp), "sign is wrong"),
    (lambda mq, lq, mp, lp: 2 * kl_gaussians(mq, lq, mp, lp), "twice too large"),
    (lambda mq, lq, mp, lp: 0.5 * (np.asarray(mq) ** 2 + np.exp(lq) - 1.0 - np.asarray(lq)), "second Gaussian"),
    (lambda mq, lq, mp, lp: 0.5 * (lp - lq + np.exp(lq) / np.exp(lp) + (mq - mp) ** 2 - 1.0), "not scaled"),
    (lambda mq, lq, mp, lp: kl_gaussians(mq, lq, mp, lp) + 0.5, "term is missing"),
    (lambda mq, lq, mp, lp: np.sum(kl_gaussians(mq, lq, mp, lp)), "shape"),
    (lambda mq, lq, mp, lp: np.abs(mq - mp), "Wrong values"),
    (lambda mq, lq, mp, lp: None, "returned None"),
    (lambda mq, lq: mq, "raised TypeError"),
])
def test_wrong_kl_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("09.2", fn)
    assert "exp(lp)" not in str(err.value)


def test_log_var_used_as_variance_fails():
    def kl(mq, lq, mp, lp):
        with np.errstate(all="ignore"):
            return 0.5 * (np.log(lp) - np.log(lq) + (lq + (mq - mp) ** 2) / lp - 1.0)
    with pytest.raises(ExerciseFailed):
        check("09.2", kl)


@pytest.mark.parametrize("fn, feedback", [
    (lambda m, lv, e: m + np.exp(lv) * e, "variance"),
    (lambda m, lv, e: m + lv * e, "log_var itself"),
    (lambda m, lv, e: np.exp(0.5 * lv) * e, "mean is missing"),
    (lambda m, lv, e: m + e, "not scaled"),
    (lambda m, lv, e: m, "Not the right z"),
    (lambda m, lv, e: None, "returned None"),
    (lambda m, lv, e: (m + np.exp(0.5 * lv) * e)[:2], "shape"),
])
def test_wrong_reparameterisations_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("09.3", fn)


@pytest.mark.parametrize("id", ["09.1", "09.2", "09.3"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


@pytest.mark.parametrize("id", ["09.1", "09.2", "09.3"])
def test_student_stub_raises_not_implemented(id):
    def stub(*args):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check(id, stub)
