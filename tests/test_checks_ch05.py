"""Checks of chapter 05: right answers pass, wrong ones fail with feedback (never the answer), None fails."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeRegressor

from mlcourse.exercises import ExerciseFailed, check

# ----------------------------------------------------------------------------- 05.1 out-of-bag error


def _oob(X, y, bootstraps, make_tree, *, mode="oob", combine="soft", unseen="skip", ties_to_one=False):
    X, y = np.asarray(X), np.asarray(y)
    n = len(y)
    total, votes, per_tree = np.zeros(n), np.zeros(n), []
    for idx in bootstraps:
        tree = make_tree().fit(X[idx], y[idx])
        in_bag = np.zeros(n, dtype=bool)
        in_bag[idx] = True
        use = {"oob": ~in_bag, "all": np.ones(n, dtype=bool), "in-bag": in_bag}[mode]
        p = tree.predict_proba(X)[:, 1]
        vote = p > 0.5 if combine == "hard" else p
        total[use] += vote[use]
        votes[use] += 1
        per_tree.append(np.mean((p[~in_bag] > 0.5) != y[~in_bag]))
    if combine == "per-tree":
        return float(np.mean(per_tree))
    seen = votes > 0
    mean = total[seen] / votes[seen]
    wrong = (mean >= 0.5 if ties_to_one else mean > 0.5) != y[seen]
    if unseen == "error":
        return (wrong.sum() + (~seen).sum()) / n
    if unseen == "right":
        return wrong.sum() / n
    return float(wrong.mean())


def oob_error(X, y, bootstraps, make_tree):
    return _oob(X, y, bootstraps, make_tree)


def oob_error_hard_vote(X, y, bootstraps, make_tree):
    return _oob(X, y, bootstraps, make_tree, combine="hard")


def oob_error_loop(X, y, bootstraps, make_tree):
    # a student's plain loop over cases, ties going to class 1
    trees = [(set(idx.tolist()), make_tree().fit(X[idx], y[idx])) for idx in bootstraps]
    wrong = counted = 0
    for i in range(len(y)):
        probs = [tree.predict_proba(X[i:i + 1])[0, 1] for seen, tree in trees if i not in seen]
        if probs:
            counted += 1
            wrong += int((np.mean(probs) >= 0.5) != y[i])
    return wrong / counted


def all_trees(X, y, b, m):
    return _oob(X, y, b, m, mode="all")


def in_bag(X, y, b, m):
    return _oob(X, y, b, m, mode="in-bag")


def per_tree_mean(X, y, b, m):
    return _oob(X, y, b, m, combine="per-tree")


def unseen_as_errors(X, y, b, m):
    return _oob(X, y, b, m, unseen="error")


def unseen_as_right(X, y, b, m):
    return _oob(X, y, b, m, unseen="right")


def accuracy_instead(X, y, b, m):
    return 1 - _oob(X, y, b, m)


def one_tree_refitted(X, y, bootstraps, make_tree):
    # reuses one tree object: every prediction comes from the last fit
    tree = make_tree()
    n = len(y)
    for idx in bootstraps:
        tree.fit(X[idx], y[idx])
    out = np.ones(n, dtype=bool)
    out[bootstraps[-1]] = False
    return float(np.mean((tree.predict_proba(X[out])[:, 1] > 0.5) != y[out]))


# ----------------------------------------------------------------------------- 05.2 boosting


def _boost(X, y, X_new, n_rounds, learning_rate, *, f0=None, residual="gradient", output="p", lr=None):
    sig = lambda f: 1 / (1 + np.exp(-f))  # noqa: E731
    start = np.log(y.mean() / (1 - y.mean())) if f0 is None else f0
    f, f_new = np.full(len(y), start), np.full(len(X_new), start)
    step = learning_rate if lr is None else lr
    for _ in range(n_rounds):
        r = y - sig(f) if residual == "gradient" else (y - f if residual == "raw" else y.astype(float))
        stump = DecisionTreeRegressor(max_depth=1, random_state=0).fit(X, r)
        f, f_new = f + step * stump.predict(X), f_new + step * stump.predict(X_new)
    return sig(f_new) if output == "p" else f_new


def boost_stumps(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate)


def boost_from_zero(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate, f0=0.0)


def boost_raw_residuals(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate, residual="raw")


def boost_on_labels(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate, residual="labels")


def boost_scores(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate, output="f")


def boost_no_rate(X, y, X_new, n_rounds, learning_rate):
    return _boost(X, y, X_new, n_rounds, learning_rate, lr=1.0)


def boost_list(X, y, X_new, n_rounds, learning_rate):
    return list(_boost(X, y, X_new, n_rounds, learning_rate))[:-1]


# ----------------------------------------------------------------------------- 05.3 grouped permutation


def _drop(model, X, y, columns, order, *, kind="right"):
    s = lambda data: model.predict_proba(data)[:, 1]  # noqa: E731
    base = roc_auc_score(y, s(X))
    Xs = X.copy()
    if kind == "rows":
        Xs = X[order]
    elif kind == "first":
        Xs[:, columns[:1]] = X[order][:, columns[:1]]
    elif kind == "own order":
        rng = np.random.default_rng(0)
        for c in columns:
            Xs[:, c] = X[rng.permutation(len(X)), c]
    else:
        Xs[:, columns] = X[order][:, columns]
    shuffled = roc_auc_score(y, s(Xs))
    return {"right": base - shuffled, "rows": base - shuffled, "first": base - shuffled,
            "own order": base - shuffled, "auc": shuffled, "sign": shuffled - base}[kind]


def group_permutation_drop(model, X, y, columns, order):
    return _drop(model, X, y, columns, order)


def in_place(model, X, y, columns, order):
    base = roc_auc_score(y, model.predict_proba(X)[:, 1])
    X[:, columns] = X[order][:, columns]
    return base - roc_auc_score(y, model.predict_proba(X)[:, 1])


def whole_rows(model, X, y, columns, order):
    return _drop(model, X, y, columns, order, kind="rows")


def first_column_only(model, X, y, columns, order):
    return _drop(model, X, y, columns, order, kind="first")


def shuffled_auc(model, X, y, columns, order):
    return _drop(model, X, y, columns, order, kind="auc")


def reversed_sign(model, X, y, columns, order):
    return _drop(model, X, y, columns, order, kind="sign")


def ignores_order(model, X, y, columns, order):
    return _drop(model, X, y, columns, order, kind="own order")


def shuffles_labels(model, X, y, columns, order):
    s = model.predict_proba(X)[:, 1]
    return roc_auc_score(y, s) - roc_auc_score(y[order], s)


# ----------------------------------------------------------------------------- tests


def test_right_answers_pass(capsys):
    check("05.1", oob_error)
    check("05.1", oob_error_hard_vote)
    check("05.1", oob_error_loop)
    check("05.2", boost_stumps)
    check("05.3", group_permutation_drop)
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("id, answer, feedback", [
    ("05.1", all_trees, "including the trees that were trained on it"),
    ("05.1", in_bag, "trained on it|training error"),
    ("05.1", per_tree_mean, "single trees"),
    ("05.1", unseen_as_errors, "counted them as errors"),
    ("05.1", unseen_as_right, "denominator"),
    ("05.1", accuracy_instead, "accuracy"),
    ("05.1", one_tree_refitted, "called make_tree"),
    ("05.1", 0.05, "function itself"),
    ("05.2", boost_from_zero, "score 0"),
    ("05.2", boost_raw_residuals, "not a probability"),
    ("05.2", boost_on_labels, "fits the labels"),
    ("05.2", boost_scores, "log-odds"),
    ("05.2", boost_no_rate, "full size"),
    ("05.2", boost_list, "shape"),
    ("05.2", np.zeros(3), "function itself"),
    ("05.3", in_place, "changed the caller's X"),
    ("05.3", whole_rows, "whole rows"),
    ("05.3", first_column_only, "first column"),
    ("05.3", shuffled_auc, "not the drop"),
    ("05.3", reversed_sign, "sign"),
    ("05.3", ignores_order, "SAME row order"),
    ("05.3", shuffles_labels, "shuffled the labels"),
    ("05.3", 0.01, "function itself"),
])
def test_wrong_answers_fail_with_feedback(id, answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check(id, answer)
    assert "DecisionTreeClassifier(random_state=0)" not in str(err.value)


@pytest.mark.parametrize("id", ["05.1", "05.2", "05.3"])
def test_missing_answer_fails(id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(id, None)


@pytest.mark.parametrize("id, nargs", [("05.1", 4), ("05.2", 5), ("05.3", 5)])
def test_an_unfinished_stub_is_not_hidden(id, nargs):
    def stub(*args):
        assert len(args) == nargs
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check(id, stub)


def test_a_crashing_function_gets_feedback_not_a_traceback():
    def crashes(X, y, bootstraps, make_tree):
        return X[:, 99].mean()

    with pytest.raises(ExerciseFailed, match="IndexError"):
        check("05.1", crashes)
