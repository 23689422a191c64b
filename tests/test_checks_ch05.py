"""Checks of chapter 05: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def _gini(y):
    y = np.asarray(y)
    if y.size == 0:
        return 0.0
    _, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    return 1.0 - np.sum(p ** 2)


def gini_gain(y, go_left):
    y, go_left = np.asarray(y), np.asarray(go_left, dtype=bool)
    n_left = go_left.sum()
    return _gini(y) - (n_left * _gini(y[go_left]) + (len(y) - n_left) * _gini(y[~go_left])) / len(y)


def unweighted_gain(y, go_left):
    y, go_left = np.asarray(y), np.asarray(go_left, dtype=bool)
    return _gini(y) - (_gini(y[go_left]) + _gini(y[~go_left])) / 2


def crashes_on_empty_child(y, go_left):
    y, go_left = np.asarray(y), np.asarray(go_left, dtype=bool)
    left, right = y[go_left], y[~go_left]
    p_left = np.bincount(left) / len(left)  # fails when left is empty
    if len(right) == 0:
        raise ZeroDivisionError("empty child")
    return _gini(y) - (len(left) * (1 - np.sum(p_left ** 2)) + len(right) * _gini(right)) / len(y)


def test_right_answers_pass(capsys):
    check("05.1", 0.375)
    check("05.1", 1 - (0.75 ** 2 + 0.25 ** 2))
    check("05.2", gini_gain)
    check("05.3", 1 - (1 - 1 / 455) ** 455)
    check("05.3", 0.63)  # a simulation estimate is accepted
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("id, answer, feedback", [
    ("05.1", 0.8113, "entropy"),
    ("05.1", 0.625, "sum of the squared"),
    ("05.1", 0.25, "misclassification"),
    ("05.1", 0.5, "Not the Gini"),
    ("05.1", 30, "between 0 and 0.5"),
    ("05.1", "a lot", "expected a single number"),
    ("05.2", unweighted_gain, "equal weights"),
    ("05.2", crashes_on_empty_child, "empty child"),
    ("05.2", 0.5, "function itself"),
    ("05.3", 0.368, "out-of-bag"),
    ("05.3", 1.0, "replacement"),
    ("05.3", 455, "between 0 and 1"),
    ("05.3", 0.5, "Not the expected"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check(id, answer)
    assert "0.375" not in str(err.value) and "0.632" not in str(err.value)


@pytest.mark.parametrize("id", ["05.1", "05.2", "05.3"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


def test_an_unfinished_stub_is_not_hidden():
    def stub(y, go_left):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("05.2", stub)
