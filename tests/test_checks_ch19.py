"""Checks of chapter 19: right answers pass, typical wrong ones fail with the hint meant for them, None fails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from mlcourse.checks import ch19
from mlcourse.exercises import EXERCISES, ExerciseFailed, check


def mondrian_sets(cal_probs, cal_labels, test_probs, alpha, marginal=False, plus_one=True, strict=False):
    """A student's Mondrian sets with switches for the mistakes the check recognises."""
    cal_probs, test_probs, cal_labels = np.asarray(cal_probs), np.asarray(test_probs), np.asarray(cal_labels)
    sets = np.zeros(test_probs.shape, dtype=bool)
    for k in range(test_probs.shape[1]):
        if marginal:
            scores = 1 - cal_probs[np.arange(len(cal_labels)), cal_labels]
        else:
            scores = 1 - cal_probs[cal_labels == k, k]
        scores = np.sort(scores)
        rank = int(np.ceil((len(scores) + plus_one) * (1 - alpha) - 1e-9))
        q = scores[rank - 1] if 0 < rank <= len(scores) else np.inf
        sets[:, k] = (1 - test_probs[:, k] < q) if strict else (1 - test_probs[:, k] <= q)
    return sets


def fit_platt(scores, labels):
    s, y = np.asarray(scores, dtype=float), np.asarray(labels, dtype=float)
    res = optimize.minimize(lambda p: np.mean(np.logaddexp(0, p[0] * s + p[1]) - y * (p[0] * s + p[1])),
                            [1.0, 0.0], method="BFGS")
    return res.x[0], res.x[1]


def test_chapter_19_exercises_are_registered():
    from mlcourse.exercises import _load_chapter

    _load_chapter("19.1")
    assert {"19.1", "19.2", "19.3"} <= set(EXERCISES)


def test_right_answers_pass():
    check("19.1", mondrian_sets)
    check("19.2", fit_platt)
    check("19.3", 19)


def test_sets_as_integers_pass():
    check("19.1", lambda *a: mondrian_sets(*a).astype(int))


def test_the_hidden_cases_have_no_rank_on_an_exact_integer_boundary():
    # Where (n_k + 1)(1 - alpha) is an integer plus rounding error, a float-naive ceil is one rank too high.
    for cal, labels, _, alpha, _ in ch19._mondrian_cases():
        for k in range(cal.shape[1]):
            product = (np.sum(labels == k) + 1) * (1 - alpha)
            assert np.ceil(product) == np.ceil(product - 1e-9), (k, product)


def test_the_hidden_cases_include_a_class_with_an_infinite_threshold_and_ties():
    infinite, ties = False, False
    for cal, labels, test, alpha, _ in ch19._mondrian_cases():
        for k in range(cal.shape[1]):
            scores = 1 - cal[labels == k, k]
            q = ch19._threshold(scores, alpha)
            infinite |= np.isinf(q)
            ties |= bool(np.any(np.isclose(1 - test[:, k], q)))
    assert infinite and ties


@pytest.mark.parametrize("kwargs, message", [
    (dict(marginal=True), "marginal sets"),
    (dict(plus_one=False), "finite-sample correction"),
    (dict(strict=True), "equals the threshold"),
])
def test_typical_mondrian_mistakes_get_their_hint(kwargs, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("19.1", lambda *a: mondrian_sets(*a, **kwargs))


def test_a_finite_threshold_for_a_rare_class_is_caught():
    def no_infinity(cal, labels, test, alpha):
        sets = np.zeros(test.shape, dtype=bool)
        for k in range(test.shape[1]):
            scores = np.sort(1 - cal[labels == k, k])
            rank = int(np.ceil((len(scores) + 1) * (1 - alpha) - 1e-9))
            q = scores[min(rank, len(scores)) - 1] if len(scores) else np.inf
            sets[:, k] = 1 - test[:, k] <= q
        return sets

    with pytest.raises(ExerciseFailed, match="infinite threshold"):
        check("19.1", no_infinity)


def test_mondrian_shape_and_type_errors_are_explained():
    with pytest.raises(ExerciseFailed, match="shape"):
        check("19.1", lambda cal, labels, test, alpha: np.zeros((2, 2), dtype=bool))
    with pytest.raises(ExerciseFailed, match="True/False"):
        check("19.1", lambda cal, labels, test, alpha: np.full(test.shape, 0.5))
    with pytest.raises(ExerciseFailed, match="returned None"):
        check("19.1", lambda *a: None)
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("19.1", mondrian_sets(*ch19._mondrian_cases()[0][:4]))


def test_the_mondrian_reference_agrees_with_crepes_where_installed():
    crepes = pytest.importorskip("crepes")
    for cal, labels, test, alpha, _ in ch19._mondrian_cases():
        conf = crepes.ConformalClassifier().fit(1 - cal[np.arange(len(labels)), labels], bins=labels)
        ours = ch19._mondrian(cal, labels, test, alpha)
        for k in range(test.shape[1]):
            if np.sum(labels == k) == 0 or ((np.sum(labels == k) + 1) * alpha) % 1 == 0:
                continue                    # at p-value = alpha exactly, crepes's float comparison includes the label
            theirs = conf.predict_set(1 - test, bins=np.full(len(test), k), confidence=1 - alpha,
                                      smoothing=False)[:, k].astype(bool)
            np.testing.assert_array_equal(ours[:, k], theirs)


def test_the_platt_reference_agrees_with_an_unpenalised_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    for s, y, _ in ch19._platt_cases():
        lr = LogisticRegression(C=1e10, tol=1e-10, max_iter=10_000).fit(s[:, None], y)
        np.testing.assert_allclose(ch19._platt_reference(s, y), [lr.coef_[0, 0], lr.intercept_[0]], atol=2e-3)


@pytest.mark.parametrize("answer, message", [
    (lambda s, y: fit_platt(s, y)[::-1], "swapped"),
    (lambda s, y: (fit_platt(s, y)[0], 0.0), "temperature scaling"),
    (lambda s, y: (1.0, 0.0), "did not move"),
    (lambda s, y: (float("nan"), 0.0), "not finite"),
    (lambda s, y: 3.0, "pair"),
])
def test_typical_platt_mistakes_get_their_hint(answer, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("19.2", answer)


def test_a_wrong_sign_is_named():
    with pytest.raises(ExerciseFailed, match="wrong sign|does not minimise"):
        check("19.2", lambda s, y: (-fit_platt(s, y)[0], fit_platt(s, y)[1]))


@pytest.mark.parametrize("answer, message", [(20, "not the smallest"), (9, "alpha = 0.1"), (1, "correction"),
                                             (25, "Not the smallest")])
def test_numeric_mistakes_get_their_hint(answer, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("19.3", answer)


def test_unwritten_answers_fail_with_a_hint():
    for exercise_id in ("19.1", "19.2", "19.3"):
        with pytest.raises((ExerciseFailed, NotImplementedError)):
            check(exercise_id, None)


def test_the_p_greater_equal_form_and_float_sets_pass():
    def geq(cal, labels, test, alpha):
        sets = np.zeros(test.shape, dtype=bool)
        for k in range(test.shape[1]):
            scores = np.sort(1 - cal[labels == k, k])
            rank = int(np.ceil((len(scores) + 1) * (1 - alpha) - 1e-9))
            q = scores[rank - 1] if rank <= len(scores) else np.inf
            sets[:, k] = test[:, k] >= 1 - q
        return sets

    check("19.1", geq)
    check("19.1", lambda *a: mondrian_sets(*a).astype(float))


def test_np_quantile_higher_gets_its_own_hint():
    def higher(cal, labels, test, alpha):
        sets = np.zeros(test.shape, dtype=bool)
        for k in range(test.shape[1]):
            scores = 1 - cal[labels == k, k]
            rank = int(np.ceil((len(scores) + 1) * (1 - alpha) - 1e-9))
            q = np.quantile(scores, rank / len(scores), method="higher") if 0 < rank <= len(scores) else np.inf
            sets[:, k] = 1 - test[:, k] <= q
        return sets

    with pytest.raises(ExerciseFailed, match="method='higher'"):
        check("19.1", higher)
