"""Checks of chapter 07: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def cluster_purity(clusters, truth):
    clusters, truth = np.ravel(clusters), np.ravel(truth)
    total = 0
    for c in np.unique(clusters):
        total += np.bincount(truth[clusters == c]).max()
    return total / len(truth)


def responsibilities(x, weights, means, variances):
    x = np.asarray(x, dtype=float)[:, None]
    dens = weights * np.exp(-(x - means) ** 2 / (2 * variances)) / np.sqrt(2 * np.pi * variances)
    return dens / dens.sum(axis=1, keepdims=True)


def m_step(X, resp):                            # a loop over components
    X, resp = np.asarray(X, dtype=float), np.asarray(resp, dtype=float)
    nk = resp.sum(axis=0)
    means = resp.T @ X / nk[:, None]
    covs = np.stack([(resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k] for k in range(len(nk))])
    return nk / len(X), means, covs


def m_step_einsum(X, resp):                     # vectorised, returning lists
    nk = resp.sum(axis=0)
    means = np.einsum("nk,nd->kd", resp, X) / nk[:, None]
    diffs = X[None] - means[:, None]
    covs = np.einsum("nk,kni,knj->kij", resp, diffs, diffs) / nk[:, None, None]
    return list(nk / nk.sum()), means.tolist(), covs


def test_right_answers_pass(capsys):
    check("07.1", 31)
    check("07.1", np.int64(31))
    check("07.2", cluster_purity)
    check("07.3", responsibilities)
    check("07.4", m_step)
    check("07.4", m_step_einsum)
    assert capsys.readouterr().out.count("correct") == 6


@pytest.mark.parametrize("id", ["07.1", "07.2", "07.3", "07.4"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


@pytest.mark.parametrize("wrong, feedback", [
    (0.9, "fraction of variance"),
    (30, "One short"),
    (71, "another fraction"),
    (13, "another fraction"),
    (784, "every component"),
    (31.5, "whole number"),
    (100, "Not the right number"),
    ("many", "number"),
])
def test_07_1_wrong_answers_fail(wrong, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("07.1", wrong)
    assert "31" not in str(err.value)


# wrong purity functions
def purity_of_classes(clusters, truth):          # majority share of the classes, ignores the clusters
    truth = np.ravel(truth)
    return np.bincount(truth).max() / len(truth)


def purity_without_ravel(clusters, truth):       # breaks on (N, 1) labels
    total = 0
    for c in np.unique(clusters):
        total += np.bincount(truth[clusters == c]).max()
    return total / len(truth)


def purity_as_count(clusters, truth):
    return cluster_purity(clusters, truth) * len(np.ravel(truth))


def purity_cluster_mean(clusters, truth):       # averages per-cluster purities instead of weighting by size
    clusters, truth = np.ravel(clusters), np.ravel(truth)
    return float(np.mean([np.bincount(truth[clusters == c]).max() / (clusters == c).sum()
                          for c in np.unique(clusters)]))


@pytest.mark.parametrize("fn", [purity_of_classes, purity_without_ravel, purity_as_count, purity_cluster_mean,
                                lambda c, t: 1.0, lambda c, t: None])
def test_07_2_wrong_functions_fail(fn):
    with pytest.raises(ExerciseFailed):
        check("07.2", fn)


def test_07_2_refuses_a_number():
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("07.2", 0.9)


# wrong responsibility functions
def no_weights(x, weights, means, variances):
    return responsibilities(x, np.full_like(weights, 1.0 / len(weights)), means, variances)


def std_for_variance(x, weights, means, variances):
    return responsibilities(x, weights, means, np.asarray(variances) ** 2)


def not_normalised(x, weights, means, variances):
    x = np.asarray(x, dtype=float)[:, None]
    return weights * np.exp(-(x - means) ** 2 / (2 * variances)) / np.sqrt(2 * np.pi * variances)


def transposed(x, weights, means, variances):
    return responsibilities(x, weights, means, variances).T


@pytest.mark.parametrize("fn, feedback", [
    (no_weights, "mixing weights"),
    (std_for_variance, "responsibilities are wrong"),
    (not_normalised, "sum to 1"),
    (transposed, "shape"),
])
def test_07_3_wrong_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("07.3", fn)


# wrong M-steps
def _parts(X, resp):
    X, resp = np.asarray(X, dtype=float), np.asarray(resp, dtype=float)
    return X, resp, resp.sum(axis=0)


def weights_as_counts(X, resp):
    w, mu, cov = m_step(X, resp)
    return w * len(X), mu, cov


def unweighted_means(X, resp):
    X, resp, nk = _parts(X, resp)
    w, _, cov = m_step(X, resp)
    return w, np.tile(X.mean(axis=0), (len(nk), 1)), cov


def means_over_n(X, resp):
    X, resp, _ = _parts(X, resp)
    w, _, cov = m_step(X, resp)
    return w, resp.T @ X / len(X), cov


def hard_assignments(X, resp):
    X, resp, _ = _parts(X, resp)
    hard = np.eye(resp.shape[1])[resp.argmax(axis=1)]
    return m_step(X, hard)


def unbiased_covariances(X, resp):
    X, resp, nk = _parts(X, resp)
    w, mu, cov = m_step(X, resp)
    return w, mu, cov * (nk / (nk - 1))[:, None, None]


def covariances_over_n(X, resp):
    X, resp, nk = _parts(X, resp)
    w, mu, cov = m_step(X, resp)
    return w, mu, cov * (nk / len(X))[:, None, None]


def uncentred_covariances(X, resp):
    X, resp, nk = _parts(X, resp)
    w, mu, _ = m_step(X, resp)
    return w, mu, np.einsum("nk,ni,nj->kij", resp, X, X) / nk[:, None, None]


def diagonal_covariances(X, resp):
    w, mu, cov = m_step(X, resp)
    return w, mu, cov * np.eye(cov.shape[1])


def standard_deviations(X, resp):
    w, mu, cov = m_step(X, resp)
    return w, mu, np.sqrt(cov)


def transposed_means(X, resp):
    w, mu, cov = m_step(X, resp)
    return w, mu.T, cov


@pytest.mark.parametrize("fn, feedback", [
    (weights_as_counts, "effective counts"),
    (unweighted_means, "mean of all points"),
    (means_over_n, "wrong normalisation"),
    (hard_assignments, "hard assignments"),
    (unbiased_covariances, "N_k - 1"),
    (covariances_over_n, "divided by n"),
    (uncentred_covariances, "about the origin"),
    (diagonal_covariances, "diagonal"),
    (standard_deviations, "standard deviations"),
    (transposed_means, "shape"),
    (lambda X, resp: m_step(X, resp)[:2], "tuple"),
    (lambda X, resp: None, "tuple"),
])
def test_07_4_wrong_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("07.4", fn)
    assert "einsum" not in str(err.value) and "resp.T @" not in str(err.value)


def test_07_4_refuses_a_result_and_reports_student_errors():
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("07.4", (np.ones(2) / 2, np.zeros((2, 1)), np.ones((2, 1, 1))))

    def broken(X, resp):
        raise KeyError("oops")

    with pytest.raises(ExerciseFailed, match="KeyError"):
        check("07.4", broken)
