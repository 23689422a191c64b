"""Checks of chapter 03: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.exercises import ExerciseFailed, check


def standardise(X_train, X_other):
    X_train = np.asarray(X_train, dtype=float)
    mean, sd = X_train.mean(axis=0), X_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (X_train - mean) / sd, (np.asarray(X_other, dtype=float) - mean) / sd


def loo_accuracy(X, y, k):
    from sklearn.model_selection import LeaveOneOut, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k, algorithm="brute")
    return cross_val_score(knn, np.asarray(X), np.asarray(y).ravel(), cv=LeaveOneOut()).mean()


def test_right_answers_pass(capsys):
    check("03.1", standardise)
    check("03.2", 784 / 6)
    check("03.2", 130.7)
    check("03.3", loo_accuracy)  # scikit-learn's own leave-one-out agrees with the check
    assert capsys.readouterr().out.count("correct") == 4


def own_statistics(X_train, X_other):
    X_train, X_other = np.asarray(X_train, float), np.asarray(X_other, float)
    return ((X_train - X_train.mean(0)) / X_train.std(0), (X_other - X_other.mean(0)) / X_other.std(0))


def global_statistics(X_train, X_other):
    X_train = np.asarray(X_train, float)
    return (X_train - X_train.mean()) / X_train.std(), (np.asarray(X_other) - X_train.mean()) / X_train.std()


def sample_sd(X_train, X_other):
    X_train = np.asarray(X_train, float)
    m, s = X_train.mean(0), X_train.std(0, ddof=1)
    return (X_train - m) / s, (np.asarray(X_other) - m) / s


def nan_on_constant(X_train, X_other):
    X_train = np.asarray(X_train, float)
    m, s = X_train.mean(0), X_train.std(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_train - m) / s, (np.asarray(X_other) - m) / s


@pytest.mark.parametrize("fn, feedback", [
    (own_statistics, "its own statistics"),
    (global_statistics, "one mean and one standard deviation"),
    (sample_sd, "ddof=1"),
    (nan_on_constant, "constant training feature"),
    (lambda a, b: a, "pair"),
    (standardise(np.ones((3, 2)), np.ones((1, 2))), "function itself"),
])
def test_wrong_standardise_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("03.1", fn)


@pytest.mark.parametrize("value, feedback", [
    (784 / 12, "variance of ONE"),
    (784 / 3, "origin"),
    (np.sqrt(784 / 6), "not a squared distance"),
    (1 / 6, "single coordinate"),
    (100.0, "Not the right value"),
    ("a lot", "expected a single number"),
])
def test_wrong_numbers_fail(value, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("03.2", value)
    assert "130.6" not in str(err.value) and "784 / 6" not in str(err.value)


def with_self(X, y, k):
    X, y = np.asarray(X, float), np.asarray(y).ravel()
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
    classes = np.unique(y)
    votes = (y[nearest][:, :, None] == classes).sum(1)
    return np.mean(classes[votes.argmax(1)] == y)


def ties_to_largest(X, y, k):
    X, y = np.asarray(X, float), np.asarray(y).ravel()
    d2 = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    nearest = np.argsort(d2, axis=1, kind="stable")[:, :k]
    classes = np.unique(y)
    votes = (y[nearest][:, :, None] == classes).sum(1)
    pick = votes.shape[1] - 1 - votes[:, ::-1].argmax(1)
    return np.mean(classes[pick] == y)


@pytest.mark.parametrize("fn, feedback", [
    (with_self, "votes for itself"),
    (ties_to_largest, "not right"),
    (lambda X, y, k: "high", "not a number"),
    (lambda X, y, k: 1 / 0, "raised ZeroDivisionError"),
])
def test_wrong_loo_fails(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("03.3", fn)


@pytest.mark.parametrize("id", ["03.1", "03.2", "03.3"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)
