"""Checks of chapter 06: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.naive_bayes import BernoulliNB

from mlcourse.exercises import ExerciseFailed, check


def bernoulli_pixel_probabilities(X, y, alpha=1.0):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    return np.array([(X[y == c].sum(axis=0) + alpha) / ((y == c).sum() + 2 * alpha) for c in np.unique(y)])


def via_sklearn(X, y, alpha=1.0):
    return np.exp(BernoulliNB(alpha=alpha).fit(np.asarray(X, dtype=float), y).feature_log_prob_)


def unsmoothed(X, y, alpha=1.0):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    return np.array([X[y == c].mean(axis=0) for c in np.unique(y)])


def off_probabilities(X, y, alpha=1.0):
    return 1 - bernoulli_pixel_probabilities(X, y, alpha)


def transposed(X, y, alpha=1.0):
    return bernoulli_pixel_probabilities(X, y, alpha).T


def wrong_denominator(X, y, alpha=1.0):
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    return np.array([(X[y == c].sum(axis=0) + alpha) / ((y == c).sum() + alpha) for c in np.unique(y)])


def _odds(p):
    p = np.asarray(p, dtype=float)
    return p / (1 - p)


def adjust_to_prevalence(p, train_prevalence, new_prevalence):
    odds = _odds(p) * _odds(new_prevalence) / _odds(train_prevalence)
    return odds / (1 + odds)


def adjust_by_bayes(p, train_prevalence, new_prevalence):
    # the same correction written as a reweighting of both classes, then normalised
    p = np.asarray(p, dtype=float)
    sick = p * new_prevalence / train_prevalence
    healthy = (1 - p) * (1 - new_prevalence) / (1 - train_prevalence)
    return sick / (sick + healthy)


def scale_probabilities(p, train_prevalence, new_prevalence):
    return np.asarray(p) * new_prevalence / train_prevalence


def inverted_correction(p, train_prevalence, new_prevalence):
    return adjust_to_prevalence(p, new_prevalence, train_prevalence)


def returns_odds(p, train_prevalence, new_prevalence):
    return _odds(p) * _odds(new_prevalence) / _odds(train_prevalence)


def forgets_old_prior(p, train_prevalence, new_prevalence):
    odds = _odds(p) * _odds(new_prevalence)
    return odds / (1 + odds)


def unchanged(p, train_prevalence, new_prevalence):
    return np.asarray(p, dtype=float)


def min_cost_threshold(cost_fp, cost_fn, train_prevalence, new_prevalence):
    r = cost_fp / (cost_fn * _odds(new_prevalence) / _odds(train_prevalence))
    return float(r / (1 + r))


def threshold_swapped_costs(cost_fp, cost_fn, train_prevalence, new_prevalence):
    return min_cost_threshold(cost_fn, cost_fp, train_prevalence, new_prevalence)


def threshold_no_prevalence(cost_fp, cost_fn, train_prevalence, new_prevalence):
    return cost_fp / (cost_fp + cost_fn)


def threshold_inverted_prevalence(cost_fp, cost_fn, train_prevalence, new_prevalence):
    return min_cost_threshold(cost_fp, cost_fn, new_prevalence, train_prevalence)


def threshold_as_odds(cost_fp, cost_fn, train_prevalence, new_prevalence):
    return float(cost_fp / (cost_fn * _odds(new_prevalence) / _odds(train_prevalence)))


def test_right_answers_pass(capsys):
    pre_odds = 0.3 / 0.7 * (0.1 / 0.8)
    check("06.1", pre_odds / (1 + pre_odds))
    check("06.2", bernoulli_pixel_probabilities)
    check("06.2", via_sklearn)
    check("06.3", adjust_to_prevalence)
    check("06.3", adjust_by_bayes)
    check("06.4", min_cost_threshold)
    assert capsys.readouterr().out.count("correct") == 6


@pytest.mark.parametrize("id, answer, feedback", [
    ("06.1", 0.125, "likelihood ratio"),
    ("06.1", 0.3 * 0.125, "multiply odds"),
    ("06.1", 0.3 / 0.7 * 0.125, "post-test odds"),
    ("06.1", 1 - 0.0508475, "NO disease"),
    ("06.1", 0.3, "does change"),
    ("06.1", 5.08, "between 0 and 1"),
    ("06.1", 0.2, "Not the post-test"),
    ("06.2", unsmoothed, "not smoothed"),
    ("06.2", off_probabilities, "OFF"),
    ("06.2", transposed, "shape"),
    ("06.2", wrong_denominator, "probabilities are wrong"),
    ("06.2", np.zeros((2, 3)), "function itself"),
    ("06.3", scale_probabilities, "ratio of the prevalences"),
    ("06.3", inverted_correction, "wrong way"),
    ("06.3", returns_odds, "returned odds"),
    ("06.3", forgets_old_prior, "did not divide out"),
    ("06.3", unchanged, "did not change"),
    ("06.3", 0.2, "function itself"),
    ("06.4", threshold_swapped_costs, "swapped"),
    ("06.4", threshold_no_prevalence, "ignores the change of prevalence"),
    ("06.4", threshold_inverted_prevalence, "wrong way"),
    ("06.4", threshold_as_odds, "on the odds"),
    ("06.4", lambda c_fp, c_fn, pt, pn: 0.5, "threshold is wrong"),
    ("06.4", 0.09, "function itself"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check(id, answer)
    assert "0.0508" not in str(err.value) and "0.0909" not in str(err.value)


@pytest.mark.parametrize("id", ["06.1", "06.2", "06.3", "06.4"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


@pytest.mark.parametrize("id", ["06.2", "06.3", "06.4"])
def test_an_unfinished_stub_is_not_hidden(id):
    def stub(*args):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check(id, stub)
