"""The from-scratch code of notebook 19 (cells tagged 'scratch'): temperature scaling against a grid search,
split conformal thresholds and sets (LAC and APS) against their definitions and crepes, and FedAvg's weighted
mean; bad input refused."""

from __future__ import annotations

import numpy as np
import pytest

from tests.notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("19_trustworthy_ai.ipynb")


def test_softmax_t_is_a_softmax_and_temperature_one_is_the_identity_on_probabilities(ns):
    p = np.array([[0.7, 0.2, 0.1], [0.05, 0.05, 0.9]])
    logits = ns["logits_from_probs"](p)
    np.testing.assert_allclose(ns["softmax_t"](logits, 1.0), p, atol=1e-12)
    hot = ns["softmax_t"](logits, 0.25)
    np.testing.assert_allclose(hot.sum(axis=1), 1.0)
    assert (hot.max(axis=1) > p.max(axis=1)).all()            # T < 1 sharpens, ranking kept
    np.testing.assert_array_equal(hot.argmax(axis=1), p.argmax(axis=1))


def test_fit_temperature_finds_the_nll_minimum_of_a_grid(ns):
    rng = np.random.default_rng(19)
    logits = 3.0 * rng.normal(size=(400, 2))                     # over-confident logits
    true_p = ns["softmax_t"](logits, 3.0)                        # the labels follow T = 3
    labels = (rng.random(400) < true_p[:, 1]).astype(int)
    t = ns["fit_temperature"](logits, labels)
    grid = np.exp(np.linspace(-2, 3, 2001))
    best = grid[np.argmin([ns["nll"](ns["softmax_t"](logits, g), labels) for g in grid])]
    assert abs(np.log(t) - np.log(best)) < 5e-3
    assert 2.0 < t < 4.5


def test_fit_temperature_refuses_mismatched_input(ns):
    with pytest.raises(ValueError, match="one label per row"):
        ns["fit_temperature"](np.zeros((3, 2)), np.zeros(4))


def test_nll_of_perfect_and_uniform_predictions(ns):
    assert ns["nll"](np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 1])) == pytest.approx(0.0, abs=1e-9)
    assert ns["nll"](np.full((5, 2), 0.5), np.zeros(5, dtype=int)) == pytest.approx(np.log(2))


@pytest.mark.parametrize("n, alpha, rank", [(9, 0.1, 9), (10, 0.1, 10), (99, 0.1, 90), (19, 0.05, 19)])
def test_conformal_threshold_takes_the_corrected_rank(ns, n, alpha, rank):
    scores = np.arange(1, n + 1, dtype=float)[::-1]               # unsorted on purpose
    assert ns["conformal_threshold"](scores, alpha) == rank


def test_conformal_threshold_is_infinite_for_too_few_scores_and_refuses_bad_alpha(ns):
    assert ns["conformal_threshold"](np.arange(18.0), 0.05) == np.inf
    with pytest.raises(ValueError, match="alpha"):
        ns["conformal_threshold"](np.arange(10.0), 1.5)
    with pytest.raises(ValueError, match="empty"):
        ns["conformal_threshold"](np.array([]), 0.1)


def test_lac_sets_cover_at_least_one_minus_alpha_on_exchangeable_data(ns):
    rng = np.random.default_rng(7)
    coverage = []
    for _ in range(300):
        logits = rng.normal(size=(201, 3))
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        y = np.array([rng.choice(3, p=row) for row in p])
        q = ns["conformal_threshold"](ns["true_class"](ns["lac_scores"](p[:200]), y[:200]), 0.1)
        coverage.append(ns["prediction_sets"](ns["lac_scores"](p[200:]), q)[0, y[200]])
    assert np.mean(coverage) >= 0.87                              # 0.9 in expectation; 300 draws


def test_aps_scores_follow_their_definition(ns):
    p = np.array([[0.5, 0.3, 0.2]])
    np.testing.assert_allclose(ns["aps_scores"](p, np.array([0.0])), [[0.0, 0.5, 0.8]])
    np.testing.assert_allclose(ns["aps_scores"](p, np.array([1.0])), [[0.5, 0.8, 1.0]])


def test_our_sets_equal_crepes_without_smoothing(ns):
    crepes = pytest.importorskip("crepes")
    rng = np.random.default_rng(3)
    p_cal, p_test = rng.dirichlet([1, 1], size=150), rng.dirichlet([1, 1], size=80)
    y_cal = (rng.random(150) < p_cal[:, 1]).astype(int)
    cal_scores = ns["true_class"](ns["lac_scores"](p_cal), y_cal)
    ours = ns["prediction_sets"](ns["lac_scores"](p_test), ns["conformal_threshold"](cal_scores, 0.1))
    theirs = crepes.ConformalClassifier().fit(cal_scores).predict_set(ns["lac_scores"](p_test), confidence=0.9,
                                                                        smoothing=False)
    np.testing.assert_array_equal(ours, theirs.astype(bool))


def test_fedavg_is_the_size_weighted_mean_and_keeps_dtypes(ns):
    a = [np.array([1.0, 2.0], dtype="float32"), np.array([[0.0]], dtype="float32")]
    b = [np.array([3.0, 6.0], dtype="float32"), np.array([[4.0]], dtype="float32")]
    out = ns["fedavg"]([a, b], [1, 3])
    np.testing.assert_allclose(out[0], [2.5, 5.0])
    np.testing.assert_allclose(out[1], [[3.0]])
    assert out[0].dtype == np.float32 and out[1].shape == (1, 1)
    np.testing.assert_allclose(ns["fedavg"]([a, a], [5, 7])[0], a[0])   # equal weights give them back


def test_fedavg_refuses_bad_sizes(ns):
    a = [np.zeros(2)]
    with pytest.raises(ValueError, match="one positive size per site"):
        ns["fedavg"]([a, a], [1])
    with pytest.raises(ValueError, match="one positive size per site"):
        ns["fedavg"]([a, a], [1, 0])
