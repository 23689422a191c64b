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


def test_right_answers_pass(capsys):
    pre_odds = 0.3 / 0.7 * (0.1 / 0.8)
    check("06.1", pre_odds / (1 + pre_odds))
    check("06.2", bernoulli_pixel_probabilities)
    check("06.2", via_sklearn)
    check("06.3", 0.0095 / (0.0095 + 0.0495))
    check("06.4", "precision")
    check("06.4", " PPV ")
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
    ("06.3", 0.95, "sensitivity"),
    ("06.3", 0.0095, "ALL patients"),
    ("06.3", 0.0495, "false positives"),
    ("06.3", 16.1, "between 0 and 1"),
    ("06.3", 0.5, "Not the positive"),
    ("06.4", "specificity", "defined"),
    ("06.4", "accuracy", "defined"),
    ("06.4", "sensitivity", "defined"),
    ("06.4", "auc", "not one of the metrics"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check(id, answer)
    assert "0.0508" not in str(err.value) and "0.161" not in str(err.value)


@pytest.mark.parametrize("id", ["06.1", "06.2", "06.3", "06.4"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_an_unfinished_stub_is_not_hidden():
    def stub(X, y, alpha=1.0):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("06.2", stub)
