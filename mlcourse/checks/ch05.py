"""Checks of chapter 05 (decision trees and ensembles): out-of-bag error, boosting with stumps, grouped permutation.

Each check calls the student's function on its own data (never the notebook's) and compares the result
with a reference computed here; typical wrong versions are recognised by recomputing them too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# ----------------------------------------------------------------------------- 05.1 out-of-bag error


def _two_class_data(rng: np.random.Generator, n: int, p: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian classes (0/1) in p dimensions."""
    y = (rng.random(n) < 0.45).astype(int)
    X = rng.normal(size=(n, p)) + noise * y[:, None] * np.linspace(1.0, 0.2, p)[None]
    return X, y


def _bootstraps(rng: np.random.Generator, y: np.ndarray, n_trees: int, always: tuple[int, ...] = ()) -> list:
    """Index arrays drawn with replacement, each holding both classes; cases in `always` are in every one."""
    n, out = len(y), []
    while len(out) < n_trees:
        idx = rng.integers(0, n, size=n)
        idx[:len(always)] = always
        if len(np.unique(y[idx])) == 2:
            out.append(idx)
    return out


def _oob_variants(X: np.ndarray, y: np.ndarray, bootstraps: list, make_tree: Any) -> dict[str, float]:
    """The right OOB error (and accepted tie and hard-vote variants) and the typical wrong answers."""
    n = len(y)
    p_sum, votes, hard_sum = np.zeros(n), np.zeros(n), np.zeros(n)
    p_all, per_tree, p_in, n_in = np.zeros(n), [], np.zeros(n), np.zeros(n)
    for idx in bootstraps:
        tree = make_tree().fit(X[idx], y[idx])
        p = tree.predict_proba(X)[:, 1]
        out = np.ones(n, dtype=bool)
        out[idx] = False
        p_sum[out] += p[out]
        hard_sum[out] += p[out] > 0.5
        votes[out] += 1
        p_all += p
        p_in[~out] += p[~out]
        n_in[~out] += 1
        if out.any():
            per_tree.append(np.mean((p[out] > 0.5) != y[out]))
    seen = votes > 0
    mean_p = p_sum[seen] / votes[seen]
    right = {
        "soft": np.mean((mean_p > 0.5) != y[seen]),
        "soft, ties to 1": np.mean((mean_p >= 0.5) != y[seen]),
        "hard": np.mean((hard_sum[seen] / votes[seen] > 0.5) != y[seen]),
        "hard, ties to 1": np.mean((hard_sum[seen] / votes[seen] >= 0.5) != y[seen]),
    }
    wrong_seen = (mean_p > 0.5) != y[seen]
    wrong = {
        "all trees": np.mean((p_all / len(bootstraps) > 0.5) != y),
        "in-bag": np.mean((p_in[n_in > 0] / n_in[n_in > 0] > 0.5) != y[n_in > 0]),
        "per-tree mean": float(np.mean(per_tree)),
        "unseen count as errors": (wrong_seen.sum() + (~seen).sum()) / n,
        "unseen count as right": wrong_seen.sum() / n,
        "accuracy": 1 - right["soft"],
        "count": float(wrong_seen.sum()),
    }
    return {"right": right, "wrong": wrong, "n_unseen": int((~seen).sum())}


def _oob_cases() -> list[tuple[np.ndarray, np.ndarray, list, Any, str]]:
    """Hidden cases: (X, y, bootstraps, make_tree, description)."""
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(51)
    cases = []
    X, y = _two_class_data(rng, 40, 2, 1.5)
    cases.append((X, y, _bootstraps(rng, y, 25), lambda: DecisionTreeClassifier(random_state=0),
                  "40 cases, 25 fully grown trees"))
    X, y = _two_class_data(rng, 60, 4, 1.0)
    cases.append((X, y, _bootstraps(rng, y, 31), lambda: DecisionTreeClassifier(max_depth=1, random_state=0),
                  "60 cases, 31 stumps"))
    X, y = _two_class_data(rng, 30, 3, 1.2)
    cases.append((X, y, _bootstraps(rng, y, 4, always=(0, 1, 2, 3)),
                  lambda: DecisionTreeClassifier(max_depth=3, random_state=0),
                  "30 cases, 4 trees, some cases inside every bootstrap sample"))
    return cases


_OOB_FEEDBACK = {
    "all trees": ("Your error uses every tree for every case, including the trees that were trained on it.",
                  "a case's out-of-bag prediction comes only from the trees whose bootstrap sample lacks it"),
    "in-bag": ("Your error uses, for each case, the trees that DID see it: that is a training error.",
               "use the trees whose bootstrap sample does not contain the case"),
    "per-tree mean": ("You averaged the error rates of the single trees; bagging's error is that of the ensemble.",
                      "first combine the out-of-bag trees' probabilities per case, then count the wrong cases"),
    "unseen count as errors": ("Cases that every tree saw have no out-of-bag prediction; you counted them as errors.",
                               "skip those cases: divide by the number of cases that have at least one vote"),
    "unseen count as right": ("Cases that every tree saw have no out-of-bag prediction, but you kept them in the "
                              "denominator.", "divide by the number of cases that have at least one out-of-bag vote"),
    "accuracy": ("That is the out-of-bag accuracy, not the error rate.", "error = 1 - accuracy"),
    "count": ("That is the number of wrong cases, not the error rate.", "divide by the number of cases with a vote"),
}


@exercise("05.1", "code", "bagging by hand: the out-of-bag error")
def _check_05_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (oob_error), not its result.")
    for X, y, bootstraps, make_tree, what in _oob_cases():
        calls = []

        def counted(make_tree=make_tree, calls=calls):
            calls.append(1)
            return make_tree()

        got = as_number(call_student(fn, what, X.copy(), y.copy(), [b.copy() for b in bootstraps], counted,
                                     hint="fit make_tree() on X[idx], y[idx] for each index array idx"), "05.1")
        ref = _oob_variants(X, y, bootstraps, make_tree)
        if any(abs(got - v) < 1e-9 for v in ref["right"].values()):
            continue
        for name, value in ref["wrong"].items():
            if abs(got - value) < 1e-9 and all(abs(value - v) > 1e-9 for v in ref["right"].values()):
                feedback, hint = _OOB_FEEDBACK[name]
                fail(f"For {what}: {feedback}", hint)
        if len(calls) < len(bootstraps):
            fail(f"For {what} your function called make_tree() {len(calls)} times for {len(bootstraps)} bootstrap "
                 "samples, and the error is wrong.", "fit one fresh tree per bootstrap sample")
        if not 0 <= got <= 1:
            fail(f"For {what} your function returned {got}, which is not a rate between 0 and 1.",
                 "return the fraction of wrong out-of-bag predictions")
        fail(f"For {what} the out-of-bag error is wrong.",
             "per case: average P(class 1) over the trees that left it out, predict 1 above 0.5, compare with y")


# ----------------------------------------------------------------------------- 05.2 boosting with stumps


def _sigmoid(f: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-f))


def _boost(X: np.ndarray, y: np.ndarray, X_new: np.ndarray, n_rounds: int, lr: float, *, start: str = "log-odds",
           residual: str = "gradient", output: str = "probability") -> np.ndarray:
    """Gradient boosting with regression stumps for the log-loss, and its typical wrong versions."""
    from sklearn.tree import DecisionTreeRegressor

    mean = y.mean()
    f0 = {"log-odds": np.log(mean / (1 - mean)), "zero": 0.0, "mean": mean}[start]
    f, f_new = np.full(len(y), f0), np.full(len(X_new), f0)
    for _ in range(n_rounds):
        r = {"gradient": y - _sigmoid(f), "raw": y - f, "labels": y.astype(float)}[residual]
        stump = DecisionTreeRegressor(max_depth=1, random_state=0).fit(X, r)
        f = f + lr * stump.predict(X)
        f_new = f_new + lr * stump.predict(X_new)
    return _sigmoid(f_new) if output == "probability" else f_new


_BOOST_WRONG = [
    ({"start": "zero"}, "Your boosting starts from the score 0 (probability 0.5).",
     "start from the log-odds of class 1 in y, log(mean / (1 - mean))"),
    ({"start": "mean"}, "Your boosting starts from the mean of y used as a score; F lives on the log-odds scale.",
     "start from log(mean / (1 - mean))"),
    ({"residual": "raw"}, "Your residuals subtract the score F itself from y; F is a log-odds, not a probability.",
     "the negative gradient of the log-loss is y - sigmoid(F)"),
    ({"residual": "labels"}, "Every round fits the labels y again instead of what is still wrong.",
     "fit each stump to the residuals y - sigmoid(F) of the ensemble so far"),
    ({"output": "score"}, "You returned the scores F (log-odds), not probabilities.", "apply the sigmoid at the end"),
]


def _boost_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray, int, float, str]]:
    rng = np.random.default_rng(52)
    cases = []
    for n, p, rounds, lr, what in [(80, 2, 10, 0.5, "80 cases, 2 features, 10 rounds, learning rate 0.5"),
                                   (120, 5, 30, 0.1, "120 cases, 5 features, 30 rounds, learning rate 0.1"),
                                   (50, 3, 0, 0.3, "0 rounds (no stump at all)")]:
        X, y = _two_class_data(rng, n + 25, p, 1.2)
        cases.append((X[:n], y[:n], X[n:], rounds, lr, what))
    return cases


@exercise("05.2", "code", "gradient boosting with stumps, from scratch")
def _check_05_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (boost_stumps), not its result.")
    for X, y, X_new, rounds, lr, what in _boost_cases():
        got = np.asarray(call_student(fn, what, X.copy(), y.copy(), X_new.copy(), rounds, lr,
                                      hint="fit DecisionTreeRegressor(max_depth=1, random_state=0) to the residuals"),
                         dtype=float)
        expected = _boost(X, y, X_new, rounds, lr)
        if got.shape != expected.shape:
            fail(f"For {what} the result has shape {got.shape}, expected one probability per row of X_new "
                 f"{expected.shape}.", "return sigmoid(F) for X_new as a 1-D array")
        if np.allclose(got, expected, atol=1e-6):
            continue
        for change, feedback, hint in _BOOST_WRONG:
            wrong = _boost(X, y, X_new, rounds, lr, **change)
            if np.allclose(got, wrong, atol=1e-6) and not np.allclose(wrong, expected, atol=1e-6):
                fail(f"For {what}: {feedback}", hint)
        if rounds and np.allclose(got, _boost(X, y, X_new, rounds, 1.0), atol=1e-6):
            fail(f"For {what} the stumps are added at full size.", "multiply each stump's predictions by learning_rate")
        fail(f"For {what} the probabilities are wrong.",
             "F = F0 + learning_rate * (sum of the stumps), each stump fitted to y - sigmoid(F) of the rounds before")


# ----------------------------------------------------------------------------- 05.3 grouped permutation


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, s))


def _perm_cases() -> list[tuple[Any, np.ndarray, np.ndarray, list, np.ndarray, str]]:
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(53)
    cases = []
    for n, group, what in [(90, [0, 1], "two near-copies of one feature shuffled together"),
                           (70, [2], "a single column"),
                           (110, [1, 3, 4], "three columns, given in any order")]:
        z = rng.normal(size=n)
        X = np.column_stack([z + 0.1 * rng.normal(size=n), z + 0.1 * rng.normal(size=n), rng.normal(size=n),
                             rng.normal(size=n), rng.normal(size=n)])
        y = (z + 0.6 * X[:, 2] + 0.4 * X[:, 3] + 0.8 * rng.normal(size=n) > 0).astype(int)
        model = LogisticRegression().fit(X, y)
        cases.append((model, X, y, group, rng.permutation(n), what))
    return cases


def _shuffled(X: np.ndarray, columns: list, order: np.ndarray) -> np.ndarray:
    out = X.copy()
    out[:, columns] = X[order][:, columns]
    return out


@exercise("05.3", "code", "permutation importance of a group of correlated features")
def _check_05_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (group_permutation_drop), not its result.")
    for model, X, y, columns, order, what in _perm_cases():
        X_arg = X.copy()
        got = as_number(call_student(fn, what, model, X_arg, y.copy(), list(columns), order.copy(),
                                     hint="copy X, then replace its `columns` by the same columns of X[order]"),
                        "05.3")
        if not np.array_equal(X_arg, X):
            fail(f"For {what} your function changed the caller's X.", "shuffle a copy (X.copy()), not X itself")

        def score(data):
            return model.predict_proba(data)[:, 1]

        base = _auc(y, score(X))
        expected = base - _auc(y, score(_shuffled(X, columns, order)))
        if abs(got - expected) < 1e-9:
            continue
        wrong = {
            "shuffled": (_auc(y, score(_shuffled(X, columns, order))),
                         "You returned the AUC of the shuffled data, not the drop.",
                         "return AUC(original) - AUC(shuffled)"),
            "sign": (-expected, "The sign is reversed.", "a drop is AUC(original) minus AUC(shuffled)"),
            "all columns": (base - _auc(y, score(X[order]))
                            if len(columns) < X.shape[1] else np.nan,
                            "You shuffled whole rows (every column), not only the chosen columns.",
                            "keep the other columns in place; shuffle only X[:, columns]"),
            "labels": (base - _auc(y[order], score(X)),
                       "You shuffled the labels; the point is to break the link between the chosen columns and y "
                       "while every other column keeps its row.", "shuffle the chosen columns of X"),
            "first only": (base - _auc(y, score(_shuffled(X, columns[:1], order))) if len(columns) > 1 else np.nan,
                           "Only the first column of the group was shuffled.", "shuffle every column in `columns`"),
        }
        for value, feedback, hint in wrong.values():
            if np.isfinite(value) and abs(got - value) < 1e-9 and abs(value - expected) > 1e-9:
                fail(f"For {what}: {feedback}", hint)
        fail(f"For {what} the drop in AUC is wrong.",
             "apply the SAME row order to every column of the group (X[order][:, columns]); use the given order")
