"""Tests for mlcourse.metrics: agreement with scikit-learn, hand-computed cases and error messages."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    precision_score,
    recall_score,
    roc_auc_score,
)

from mlcourse import metrics as M

SEEDS = [0, 1, 2]


def _softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax, used to make realistic multi-class scores."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _binary_case(seed: int, n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """Random binary labels with informative probabilities."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = 1 / (1 + np.exp(-(1.5 * (2 * y - 1) + rng.normal(0, 1.5, n))))
    return y, p


def _multiclass_case(seed: int, n: int = 400, n_classes: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """Random multi-class labels (every class present) with softmax scores."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n - n_classes)])
    logits = rng.normal(0, 1, (n, n_classes))
    logits[np.arange(n), y] += 1.5
    return y, _softmax(logits)


def _multilabel_case(seed: int, n: int = 500, n_labels: int = 14) -> tuple[np.ndarray, np.ndarray]:
    """Random multi-label (ChestMNIST-like, 14 rare findings) labels with sigmoid scores."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, n_labels)) < 0.1).astype(int)
    y[0], y[1] = 1, 0  # every label has a positive and a negative case
    p = 1 / (1 + np.exp(-(-2.0 + 1.5 * y + rng.normal(0, 1, (n, n_labels)))))
    return y, p


# ----------------------------------------------------------------------------- MedMNIST protocol vs sklearn


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_1d_scores_match_sklearn(seed):
    y, p = _binary_case(seed)
    assert M.medmnist_auc(y, p, "binary-class") == pytest.approx(roc_auc_score(y, p), abs=1e-9)
    assert M.medmnist_acc(y, p, "binary-class") == pytest.approx(accuracy_score(y, p > 0.5), abs=1e-9)
    assert M.medmnist_acc(y, p, "binary-class", threshold=0.3) == pytest.approx(
        accuracy_score(y, p > 0.3), abs=1e-9
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_two_column_and_column_vector_inputs_match_1d(seed):
    y, p = _binary_case(seed)
    two_col = np.stack([1 - p, p], axis=1)  # softmax with 2 units: last column = P(class 1)
    y_col = y.reshape(-1, 1)  # MedMNIST stores labels as (N, 1)
    expected = M.evaluate(y, p, "binary-class")
    for yt, ys in [(y, two_col), (y_col, two_col), (y_col, p.reshape(-1, 1)), (y_col, p)]:
        got = M.evaluate(yt, ys, "binary-class")
        assert got["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-9)
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("task, n_classes", [("multi-class", 9), ("ordinal-regression", 5)])
def test_multiclass_and_ordinal_match_sklearn(seed, task, n_classes):
    y, p = _multiclass_case(seed, n_classes=n_classes)
    per_class = [roc_auc_score(y == i, p[:, i]) for i in range(n_classes)]
    auc = M.medmnist_auc(y.reshape(-1, 1), p, task)
    assert auc == pytest.approx(np.mean(per_class), abs=1e-9)
    # with softmax scores sklearn's macro one-vs-rest AUC is the same number
    assert auc == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"), abs=1e-9)
    assert M.medmnist_acc(y, p, task) == pytest.approx(accuracy_score(y, p.argmax(axis=1)), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_multilabel_14_labels_matches_sklearn(seed):
    y, p = _multilabel_case(seed)
    task = "multi-label, binary-class"
    assert M.medmnist_auc(y, p, task) == pytest.approx(roc_auc_score(y, p, average="macro"), abs=1e-9)
    per_label_acc = [accuracy_score(y[:, j], p[:, j] > 0.5) for j in range(14)]
    assert M.medmnist_acc(y, p, task) == pytest.approx(np.mean(per_label_acc), abs=1e-9)
    assert M.medmnist_acc(y, p, task) == pytest.approx(1 - hamming_loss(y, p > 0.5), abs=1e-9)
    assert M.evaluate(y, p, task) == {"acc": M.medmnist_acc(y, p, task), "auc": M.medmnist_auc(y, p, task)}


def test_evaluate_returns_python_floats():
    y, p = _binary_case(0)
    result = M.evaluate(y, p, "binary-class")
    assert set(result) == {"acc", "auc"}
    assert all(type(v) is float for v in result.values())


# ----------------------------------------------------------------------------- MedMNIST protocol, by hand


def test_binary_hand_case():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    # AUC = share of (positive, negative) pairs ranked correctly:
    # 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes -> 3/4
    # ACC at 0.5: predictions 0,0,0,1 -> right, right, wrong, right -> 3/4
    assert M.medmnist_auc(y, p, "binary-class") == 0.75
    assert M.medmnist_acc(y, p, "binary-class") == 0.75
    # MedMNIST uses a strict ">": a score exactly at the threshold is negative
    assert M.medmnist_acc([1], [0.5], "binary-class") == 0.0


def test_multiclass_hand_case():
    y = [0, 1, 2, 2]
    p = [
        [0.6, 0.3, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.3, 0.6],
        [0.5, 0.2, 0.3],
    ]
    # argmax = 0, 1, 2, 0 -> 3 of 4 right.
    # One-vs-rest AUCs: class 0: the positive (0.6) beats 0.2, 0.1, 0.5 -> 1.
    # class 1: the positive (0.5) beats 0.3, 0.3, 0.2 -> 1.
    # class 2: positives 0.6, 0.3 vs negatives 0.1, 0.3: 0.6>0.1, 0.6>0.3, 0.3>0.1, 0.3=0.3 (half) -> 3.5/4.
    # mean = (1 + 1 + 0.875) / 3 = 0.958333...
    assert M.medmnist_acc(y, p, "multi-class") == 0.75
    assert M.medmnist_auc(y, p, "multi-class") == pytest.approx(2.875 / 3, abs=1e-12)
    assert M.medmnist_auc(y, p, "ordinal-regression") == pytest.approx(2.875 / 3, abs=1e-12)


def test_multilabel_high_acc_mediocre_auc_chestmnist_effect():
    # Two rare findings in 10 images, one positive each; the model never scores above 0.5,
    # i.e. it predicts "no finding" everywhere.
    y = np.zeros((10, 2), dtype=int)
    y[0, 0] = 1
    y[1, 1] = 1
    p = np.array(
        [
            [0.2, 0.1],
            [0.1, 0.25],
            [0.1, 0.1],
            [0.1, 0.1],
            [0.1, 0.1],
            [0.3, 0.1],
            [0.3, 0.3],
            [0.3, 0.3],
            [0.3, 0.3],
            [0.3, 0.3],
        ]
    )
    # ACC: every prediction is 0, so each label is right on its 9 negatives -> 9/10 per label -> 0.9.
    # AUC label 0: the positive (0.2) beats the four 0.1 negatives, loses to the five 0.3 -> 4/9.
    # AUC label 1: the positive (0.25) beats the five 0.1 negatives, loses to the four 0.3 -> 5/9.
    # mean AUC = (4/9 + 5/9) / 2 = 0.5: chance level, despite 90% "accuracy".
    result = M.evaluate(y, p, "multi-label, binary-class")
    assert result["acc"] == pytest.approx(0.9, abs=1e-12)
    assert result["auc"] == pytest.approx(0.5, abs=1e-12)


# ----------------------------------------------------------------------------- binary diagnostic metrics


@pytest.mark.parametrize("seed", SEEDS)
def test_diagnostic_metrics_match_sklearn(seed):
    y, p = _binary_case(seed)
    pred = (p >= 0.5).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
    assert M.confusion_counts(y, pred) == {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    assert M.sensitivity(y, pred) == pytest.approx(recall_score(y, pred), abs=1e-9)
    assert M.specificity(y, pred) == pytest.approx(recall_score(y, pred, pos_label=0), abs=1e-9)
    assert M.ppv(y, pred) == pytest.approx(precision_score(y, pred), abs=1e-9)
    assert M.npv(y, pred) == pytest.approx(precision_score(y, pred, pos_label=0), abs=1e-9)
    assert M.f1(y, pred) == pytest.approx(f1_score(y, pred), abs=1e-9)
    report = M.binary_report(y, p, threshold=0.5)
    assert report["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-9)
    assert report["acc"] == pytest.approx(accuracy_score(y, pred), abs=1e-9)
    assert report["sensitivity"] == pytest.approx(recall_score(y, pred), abs=1e-9)


def test_diagnostic_metrics_hand_case():
    y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    p = [0.9, 0.8, 0.5, 0.3, 0.7, 0.6, 0.4, 0.2, 0.1, 0.05]
    # Positive when p >= 0.5: predictions 1, 1, 1, 0, 1, 1, 0, 0, 0, 0
    # TP = 3 (0.9, 0.8, 0.5), FN = 1 (0.3), FP = 2 (0.7, 0.6), TN = 4
    # sensitivity 3/4, specificity 4/6, PPV 3/5, NPV 4/5, F1 = 2*3 / (2*3 + 2 + 1) = 6/9, ACC 7/10
    # AUC: 0.9 and 0.8 beat all 6 negatives, 0.5 beats 4, 0.3 beats 3 -> 19/24
    report = M.binary_report(y, p, threshold=0.5)
    expected = {
        "acc": 0.7,
        "auc": 19 / 24,
        "sensitivity": 0.75,
        "specificity": 4 / 6,
        "ppv": 0.6,
        "npv": 0.8,
        "f1": 6 / 9,
        "threshold": 0.5,
        "tp": 3,
        "fp": 2,
        "tn": 4,
        "fn": 1,
    }
    assert report == pytest.approx(expected, abs=1e-12)
    pred = (np.asarray(p) >= 0.5).astype(int)
    assert M.confusion_counts(y, pred) == {"tp": 3, "fp": 2, "tn": 4, "fn": 1}
    assert M.f1(y, pred) == pytest.approx(2 / 3, abs=1e-12)
    # the MedMNIST ACC uses ">" instead: the case scored exactly 0.5 becomes a false negative
    assert M.medmnist_acc(y, p, "binary-class") == pytest.approx(0.6, abs=1e-12)


def test_zero_denominators_give_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(M.sensitivity([0, 0, 0], [0, 1, 0]))  # no positive cases
        assert np.isnan(M.specificity([1, 1], [1, 0]))  # no negative cases
        assert np.isnan(M.ppv([1, 0], [0, 0]))  # nothing predicted positive
        assert np.isnan(M.npv([1, 0], [1, 1]))  # nothing predicted negative
        assert np.isnan(M.f1([0, 0], [0, 0]))  # no positives at all
        assert M.f1([1, 0], [0, 0]) == 0.0  # positives missed: F1 is defined and 0
        report = M.binary_report([1, 1, 1], [0.9, 0.2, 0.7])
        assert np.isnan(report["auc"]) and np.isnan(report["specificity"])
        assert report["sensitivity"] == pytest.approx(2 / 3)


def test_binary_metrics_accept_bool_and_column_vectors():
    y = np.array([[1], [0], [1], [0]])
    pred = np.array([True, False, False, False])
    assert M.confusion_counts(y, pred) == {"tp": 1, "fp": 0, "tn": 2, "fn": 1}
    assert M.sensitivity(y, pred) == 0.5


# ----------------------------------------------------------------------------- thresholds


def test_youden_hand_case():
    y = [0, 0, 1, 0, 1, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    # 4 positives, 3 negatives; positive when p >= t:
    # t=0.7: sens 1/4, spec 1   -> J 0.25      t=0.4: sens 3/4, spec 2/3 -> J 0.4167
    # t=0.6: sens 2/4, spec 1   -> J 0.5       t=0.3: sens 1,   spec 2/3 -> J 0.6667
    # t=0.5: sens 3/4, spec 1   -> J 0.75 (max) t=0.2: sens 1,  spec 1/3 -> J 0.3333
    threshold, j = M.youden_threshold(y, p)
    assert threshold == 0.5
    assert j == pytest.approx(0.75, abs=1e-12)
    report = M.binary_report(y, p, threshold=threshold)  # the threshold reproduces its ROC point
    assert report["sensitivity"] + report["specificity"] - 1 == pytest.approx(j, abs=1e-12)


def test_youden_tie_takes_highest_threshold():
    y = [0, 0, 0, 1, 0, 1, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    # t=0.6: sens 3/4, spec 1 -> J 0.75;  t=0.4: sens 1, spec 3/4 -> J 0.75; the higher one wins
    assert M.youden_threshold(y, p) == (0.6, pytest.approx(0.75, abs=1e-12))


@pytest.mark.parametrize("seed", SEEDS)
def test_youden_is_the_best_threshold_by_brute_force(seed):
    y, p = _binary_case(seed, n=120)
    threshold, j = M.youden_threshold(y, p)
    best = max(np.mean(p[y == 1] >= t) + np.mean(p[y == 0] < t) - 1 for t in np.unique(p))
    assert j == pytest.approx(best, abs=1e-12)
    assert np.mean(p[y == 1] >= threshold) + np.mean(p[y == 0] < threshold) - 1 == pytest.approx(j, abs=1e-12)


def test_youden_exact_tie_found_despite_rounding():
    # 5 positives, 10 negatives. t=0.9: tp 1, fp 1 -> J = 1/5 - 1/10 = 0.1; t=0.4: tp 4, fp 7 -> J = 4/5 - 7/10
    # = 0.1 too, but 0.8 - 0.7 in floating point is 0.10000000000000009. The highest threshold must win.
    y = [0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0]
    p = [.5, .7, .2, .7, .5, 1, .6, .7, .9, 0, .2, .4, .5, .4, .2]
    threshold, j = M.youden_threshold(y, p)
    assert threshold == 0.9
    assert j == pytest.approx(0.1, abs=1e-12)


def _youden_reference(y: np.ndarray, p: np.ndarray) -> tuple[float, Fraction]:
    """Brute force with exact fractions: the highest threshold among those with the largest J."""
    n_pos, n_neg = int(np.sum(y == 1)), int(np.sum(y == 0))
    best_t, best_j = None, None
    for t in sorted(set(p.tolist()), reverse=True):
        tp = int(np.sum((p >= t) & (y == 1)))
        fp = int(np.sum((p >= t) & (y == 0)))
        j = Fraction(tp, n_pos) - Fraction(fp, n_neg)
        if best_j is None or j > best_j:
            best_t, best_j = t, j
    return best_t, best_j


def test_youden_matches_exact_brute_force_on_many_tied_cases():
    rng = np.random.default_rng(2024)
    ties = 0
    for _ in range(400):
        n = int(rng.integers(4, 30))
        y = rng.integers(0, 2, n)
        if y.min() == y.max():
            y[0] = 1 - y[0]
        p = rng.integers(0, 11, n) / 10  # few distinct scores: many ties of J
        expected_t, expected_j = _youden_reference(y, p)
        threshold, j = M.youden_threshold(y, p)
        assert threshold == expected_t, (y.tolist(), p.tolist())
        assert j == pytest.approx(float(expected_j), abs=1e-12)
        n_pos, n_neg = int(np.sum(y == 1)), int(np.sum(y == 0))
        js = [Fraction(int(np.sum((p >= t) & (y == 1))), n_pos) - Fraction(int(np.sum((p >= t) & (y == 0))), n_neg)
              for t in set(p.tolist())]
        ties += js.count(expected_j) > 1
    assert ties > 20  # the check really exercised ties


def test_youden_accepts_unbounded_scores():
    y = [0, 0, 1, 0, 1, 1, 1]
    logits = [-3.0, -2.0, -1.0, 0.5, 2.0, 4.0, 7.5]
    threshold, _ = M.youden_threshold(y, logits)
    assert threshold == 2.0
    report = M.binary_report(y, logits, threshold=threshold)  # logits: thresholds outside [0, 1] are fine
    assert report["sensitivity"] == 0.75 and report["specificity"] == 1.0


def test_threshold_for_sensitivity_hand_case():
    y = [0, 0, 1, 0, 1, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
    # sensitivity at t (p >= t): 0.7 -> 1/4, 0.6 -> 2/4, 0.5 -> 3/4, 0.4 -> 3/4, 0.3 -> 1
    assert M.threshold_for_sensitivity(y, p, 0.25) == 0.7
    assert M.threshold_for_sensitivity(y, p, 0.5) == 0.6
    assert M.threshold_for_sensitivity(y, p, 0.75) == 0.5  # highest of 0.5 and 0.4
    assert M.threshold_for_sensitivity(y, p, 0.8) == 0.3
    assert M.threshold_for_sensitivity(y, p, 1.0) == 0.3


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("target", [0.5, 0.8, 0.9, 0.95])
def test_threshold_for_sensitivity_by_brute_force(seed, target):
    y, p = _binary_case(seed, n=150)
    pos = p[y == 1]
    expected = max(t for t in np.unique(p) if np.mean(pos >= t) >= target)
    got = M.threshold_for_sensitivity(y, p, target)
    assert got == expected
    assert M.binary_report(y, p, threshold=got)["sensitivity"] >= target


# ----------------------------------------------------------------------------- bootstrap


def _auc(y, s):
    return M.medmnist_auc(y, s, "binary-class")


def _acc(y, s):
    return M.medmnist_acc(y, s, "binary-class")


def _multilabel_auc(y, s):
    return M.medmnist_auc(y, s, "multi-label, binary-class")


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    y, p = _binary_case(0, n=200)
    a = M.bootstrap_ci(_auc, y, p, n_boot=200, seed=7)
    b = M.bootstrap_ci(_auc, y, p, n_boot=200, seed=7)
    c = M.bootstrap_ci(_auc, y, p, n_boot=200, seed=8)
    assert a == b
    assert a != c
    assert a["estimate"] == _auc(y, p)
    assert a["low"] <= a["estimate"] <= a["high"]
    assert a["n_boot"] == 200 and a["n_skipped"] == 0


def test_bootstrap_interval_narrows_with_more_data():
    small = M.bootstrap_ci(_auc, *_binary_case(1, n=80), n_boot=200)
    large = M.bootstrap_ci(_auc, *_binary_case(1, n=2000), n_boot=200)
    assert large["high"] - large["low"] < 0.5 * (small["high"] - small["low"])


def test_bootstrap_alpha_controls_width():
    y, p = _binary_case(2, n=200)
    ci95 = M.bootstrap_ci(_acc, y, p, n_boot=200, alpha=0.05)
    ci80 = M.bootstrap_ci(_acc, y, p, n_boot=200, alpha=0.20)
    assert ci95["low"] <= ci80["low"] <= ci80["high"] <= ci95["high"]


def test_bootstrap_skips_undefined_resamples_unless_stratified():
    y = np.array([1, 0, 0, 0, 0, 0])  # one positive: many plain resamples miss it and AUC is undefined
    p = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    plain = M.bootstrap_ci(_auc, y, p, n_boot=200, stratified=False)
    assert 0 < plain["n_skipped"] < 200
    strat = M.bootstrap_ci(_auc, y, p, n_boot=200, stratified=True)
    assert strat["n_skipped"] == 0
    assert strat["estimate"] == strat["low"] == strat["high"] == 1.0


def test_bootstrap_works_for_multilabel_without_stratification():
    y, p = _multilabel_case(0, n=300, n_labels=4)
    ci = M.bootstrap_ci(_multilabel_auc, y, p, n_boot=30, stratified=False)
    assert ci["low"] <= ci["estimate"] <= ci["high"]


# ----------------------------------------------------------------------------- calibration


def test_ece_hand_case():
    y = [0, 0, 1, 1, 1]
    p = [0.2, 0.4, 0.6, 0.8, 1.0]
    # 2 bins: [0, 0.5) holds 0.2, 0.4 -> mean 0.3, positives 0/2 -> gap 0.3, weight 2/5
    #         [0.5, 1] holds 0.6, 0.8, 1.0 -> mean 0.8, positives 3/3 -> gap 0.2, weight 3/5
    # ECE = 2/5 * 0.3 + 3/5 * 0.2 = 0.12 + 0.12 = 0.24
    assert M.expected_calibration_error(y, p, n_bins=2) == pytest.approx(0.24, abs=1e-12)
    curve = M.reliability_curve(y, p, n_bins=2)
    np.testing.assert_allclose(curve["bin_edges"], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(curve["mean_predicted"], [0.3, 0.8], atol=1e-12)
    np.testing.assert_allclose(curve["fraction_positive"], [0.0, 1.0])
    np.testing.assert_array_equal(curve["counts"], [2, 3])


def test_ece_perfectly_calibrated_is_near_zero():
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    y = (rng.random(p.size) < p).astype(int)  # the outcome happens with exactly the stated probability
    assert M.expected_calibration_error(y, p) < 0.01


def test_ece_over_confident_is_larger():
    rng = np.random.default_rng(1)
    z = rng.normal(0, 1.5, 50_000)
    p_true = 1 / (1 + np.exp(-z))
    y = (rng.random(z.size) < p_true).astype(int)
    p_over = 1 / (1 + np.exp(-3 * z))  # same ranking, pushed towards 0 and 1
    calibrated, over = M.expected_calibration_error(y, p_true), M.expected_calibration_error(y, p_over)
    assert calibrated < 0.02
    assert over > 0.08
    # same ranking, so the AUC does not see the problem at all
    assert roc_auc_score(y, p_over) == pytest.approx(roc_auc_score(y, p_true), abs=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_reliability_curve_matches_sklearn_calibration_curve(seed):
    y, p = _binary_case(seed, n=500)
    p = np.concatenate([p, [0.0, 1.0]])  # include both ends of [0, 1]
    y = np.concatenate([y, [0, 1]])
    curve = M.reliability_curve(y, p, n_bins=10)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    filled = curve["counts"] > 0
    np.testing.assert_allclose(curve["fraction_positive"][filled], prob_true, atol=1e-9)
    np.testing.assert_allclose(curve["mean_predicted"][filled], prob_pred, atol=1e-9)
    assert curve["counts"].sum() == y.size


def test_reliability_curve_empty_bins_are_nan():
    curve = M.reliability_curve([0, 1], [0.05, 0.95], n_bins=5)
    np.testing.assert_array_equal(curve["counts"], [1, 0, 0, 0, 1])
    assert np.isnan(curve["mean_predicted"][1:4]).all() and np.isnan(curve["fraction_positive"][1:4]).all()
    assert M.expected_calibration_error([0, 1], [0.05, 0.95], n_bins=5) == pytest.approx(0.05, abs=1e-12)


def test_two_column_probabilities_use_the_last_column():
    y, p = _binary_case(0)
    two_col = np.stack([1 - p, p], axis=1)
    assert M.expected_calibration_error(y, two_col) == M.expected_calibration_error(y, p)


# ----------------------------------------------------------------------------- bad input


def _raises(fragment: str, func, *args, **kwargs) -> None:
    with pytest.raises(ValueError, match=fragment):
        func(*args, **kwargs)


def test_mismatched_lengths():
    _raises("different numbers of cases", M.medmnist_auc, [0, 1, 0], [0.2, 0.8], "binary-class")
    _raises("different numbers of cases", M.sensitivity, [0, 1, 0], [0, 1])
    _raises("different numbers of cases", M.expected_calibration_error, [0, 1], [0.1, 0.2, 0.3])
    _raises("different numbers of cases", M.bootstrap_ci, _auc, [0, 1, 0], [0.2, 0.8])


def test_labels_outside_the_task():
    _raises(r"only 0 \(negative\) and 1", M.medmnist_auc, [0, 1, 2], [0.1, 0.5, 0.9], "binary-class")
    _raises(r"label 9, outside 0\.\.8", M.medmnist_acc, np.arange(10), np.full((10, 9), 1 / 9), "multi-class")
    _raises(r"label -1, outside 0\.\.2", M.medmnist_auc, [-1, 0, 1, 2], np.full((4, 3), 1 / 3),
            "ordinal-regression")
    _raises("only 0", M.medmnist_auc, [[0, 2], [1, 0]], [[0.1, 0.2], [0.3, 0.4]], "multi-label, binary-class")
    _raises("non-integer", M.medmnist_auc, [0.2, 0.9], [0, 1], "binary-class")  # arguments swapped
    _raises("only 0", M.sensitivity, [0, 1, 2], [0, 1, 1])
    _raises("y_pred must hold integer class labels.*threshold the scores", M.ppv, [0, 1, 1], [0.2, 0.7, 0.9])
    _raises("y_pred must contain only 0", M.npv, [0, 1, 1], [0, 1, 2])


def test_wrong_shapes():
    _raises("argmax", M.medmnist_auc, np.eye(3), _softmax(np.eye(3)), "multi-class")
    _raises("n_classes >= 2", M.medmnist_auc, [0, 1, 2], [0.1, 0.5, 0.9], "multi-class")
    _raises("same shape", M.medmnist_auc, np.zeros((4, 14)), np.zeros((4, 13)), "multi-label, binary-class")
    _raises(r"\(N, 2\)", M.medmnist_auc, [0, 1, 1], np.full((3, 3), 1 / 3), "binary-class")


def test_unknown_task():
    with pytest.raises(ValueError, match="Valid tasks") as info:
        M.evaluate([0, 1], [0.2, 0.8], "binary")
    for task in M.TASKS:
        assert repr(task) in str(info.value)


def test_probabilities_out_of_range():
    _raises(r"probabilities in \[0, 1\]", M.expected_calibration_error, [0, 1], [-0.1, 0.8])
    _raises("sigmoid", M.reliability_curve, [0, 1], [0.2, 3.5])


def test_single_class_auc_is_undefined():
    _raises("AUC is undefined", M.medmnist_auc, [1, 1, 1], [0.2, 0.5, 0.9], "binary-class")
    _raises("AUC for class 2 is undefined", M.medmnist_auc, [0, 1, 0, 1], np.full((4, 3), 1 / 3), "multi-class")
    y = np.array([[1, 0], [0, 0], [1, 0]])  # label 1 has no positive case
    _raises("AUC for label 1 is undefined", M.medmnist_auc, y, np.full((3, 2), 0.5), "multi-label, binary-class")
    _raises("ROC curve", M.youden_threshold, [0, 0, 0], [0.1, 0.2, 0.3])
    _raises("ROC curve", M.threshold_for_sensitivity, [1, 1], [0.1, 0.2], 0.9)
    _raises("undefined on the full data", M.bootstrap_ci, _auc, [1, 1, 1], [0.2, 0.5, 0.9])


def test_other_bad_arguments():
    _raises("NaN", M.medmnist_auc, [0, 1], [0.2, np.nan], "binary-class")
    _raises("threshold", M.medmnist_acc, [0, 1], [0.2, 0.8], "binary-class", threshold="0.5")
    _raises(r"\[0, 1\]", M.threshold_for_sensitivity, [0, 1], [0.2, 0.8], 95)
    _raises("n_boot", M.bootstrap_ci, _auc, [0, 1], [0.2, 0.8], n_boot=0)
    _raises("alpha", M.bootstrap_ci, _auc, [0, 1], [0.2, 0.8], alpha=5)
    _raises("stratified=False", M.bootstrap_ci, lambda a, b: 0.5, np.eye(3), np.eye(3))
    _raises("n_bins", M.expected_calibration_error, [0, 1], [0.2, 0.8], n_bins=0)
    _raises("empty", M.medmnist_auc, [], [], "binary-class")


def test_probability_thresholds_must_lie_in_0_1():
    y, p = [0, 1, 0, 1], [0.1, 0.8, 0.3, 0.6]
    for bad in (50, -0.1, 1.5):
        _raises(r"scores are probabilities; threshold must lie in \[0, 1\]", M.medmnist_acc, y, p, "binary-class",
                threshold=bad)
        _raises(r"scores are probabilities; threshold must lie in \[0, 1\]", M.binary_report, y, p, threshold=bad)
    _raises("threshold", M.binary_report, y, p, threshold=float("nan"))
    _raises("threshold", M.medmnist_acc, y, p, "binary-class", threshold=float("inf"))
    _raises("threshold", M.binary_report, y, p, threshold=True)
    assert M.medmnist_acc(y, p, "binary-class", threshold=1.0) == 0.5  # the ends of [0, 1] are allowed
    assert M.binary_report(y, p, threshold=0.0)["sensitivity"] == 1.0


@pytest.mark.parametrize("bad", [
    np.array([0.1, 0.8, 0.3, 0.6]) + 0j,
    ["0.1", "0.8", "0.3", "0.6"],
    np.array([0.1, 0.8, 0.3, 0.6], dtype=object),
    "abcd",
])
def test_scores_must_be_real_numbers(bad):
    y = [0, 1, 0, 1]
    calls = [
        lambda: M.medmnist_auc(y, bad, "binary-class"),
        lambda: M.medmnist_acc(y, bad, "binary-class"),
        lambda: M.binary_report(y, bad),
        lambda: M.youden_threshold(y, bad),
        lambda: M.threshold_for_sensitivity(y, bad, 0.9),
        lambda: M.expected_calibration_error(y, bad),
        lambda: M.reliability_curve(y, bad),
        lambda: M.bootstrap_ci(_auc, y, bad, n_boot=5),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="y_score|y_prob"):
            call()


def test_labels_must_be_real_numbers():
    with pytest.raises(TypeError, match="y_true must be an array of class labels, got the string"):
        M.medmnist_auc("abc", [0.1, 0.8, 0.3], "binary-class")
    with pytest.raises(TypeError, match="y_true"):
        M.sensitivity(["0", "1"], [0, 1])
    with pytest.raises(TypeError, match="y_pred.*complex"):
        M.sensitivity([0, 1], np.array([0, 1]) + 0j)
    with pytest.raises(ValueError, match="y_true could not be turned into an array"):
        M.medmnist_auc([[0], [1, 0]], [0.1, 0.8], "binary-class")


def test_numeric_arguments_refuse_strings_and_nan():
    y, p = [0, 1, 0, 1], [0.1, 0.8, 0.3, 0.6]
    _raises("target must be a number", M.threshold_for_sensitivity, y, p, "0.9")
    _raises("target must be finite", M.threshold_for_sensitivity, y, p, float("nan"))
    _raises("alpha must be a number", M.bootstrap_ci, _auc, y, p, alpha="x")
    _raises("alpha must be finite", M.bootstrap_ci, _auc, y, p, alpha=float("nan"))
    _raises("seed must be a non-negative integer", M.bootstrap_ci, _auc, y, p, seed="x")


# ----------------------------------------------------------------------------- paired comparisons, seeds


def test_paired_bootstrap_separates_a_better_model_and_calls_a_copy_level():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    good, worse = y + rng.normal(0, 0.8, 400), y + rng.normal(0, 2.0, 400)

    def auc(t, s):
        return M.medmnist_auc(t, s, "binary-class")

    res = M.paired_bootstrap_diff(auc, y, good, worse, n_boot=300)
    assert res["estimate"] == pytest.approx(auc(y, good) - auc(y, worse))
    assert 0 < res["low"] < res["estimate"] < res["high"] and res["verdict"] == "A beats B"
    assert M.paired_bootstrap_diff(auc, y, worse, good, n_boot=300)["verdict"] == "B beats A"
    assert M.paired_bootstrap_diff(auc, y, good, good + 1e-9 * rng.normal(size=400), n_boot=200)["verdict"] \
        == "level"
    two = M.paired_bootstrap_diff(auc, y, np.stack([-good, good], 1), np.stack([-worse, worse], 1), n_boot=300)
    assert two["estimate"] == pytest.approx(res["estimate"]) and two["low"] == pytest.approx(res["low"])
    with pytest.raises(ValueError, match="same cases"):
        M.paired_bootstrap_diff(auc, y, good, worse[:-1])


def test_seed_summary_is_the_median_with_the_range():
    assert M.seed_summary([0.9, 0.7, 0.8]) == {"median": 0.8, "min": 0.7, "max": 0.9, "n": 3}
    assert M.format_seeds([0.9, 0.7, 0.8]) == "0.800 (0.700\u20130.900, 3 seeds)"
    assert M.format_seeds([0.91234], digits=2) == "0.91 (1 seed)"
    with pytest.raises(ValueError, match="empty"):
        M.seed_summary([])


@pytest.mark.parametrize("case", range(6))
def test_rank_auc_equals_scikit_learn_with_and_without_ties(case):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(case)
    n = int(rng.integers(5, 400))
    y = rng.integers(0, 2, n)
    y[:2] = [0, 1]                                            # both classes present
    scores = [rng.random(n), rng.integers(0, 4, n).astype(float), np.round(rng.normal(size=n), 1)][case % 3]
    assert M.rank_auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_rank_auc_edge_cases_and_bad_input():
    assert M.rank_auc([0, 1], [0.3, 0.3]) == 0.5          # one tie: half a correct pair
    assert M.rank_auc([1, 0, 1], [0.9, 0.1, 0.8]) == 1.0
    with pytest.raises(ValueError, match="only negative"):
        M.rank_auc([0, 0, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="0/1 labels"):
        M.rank_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="same length"):
        M.rank_auc([0, 1, 1], [0.1, 0.2])


def test_medmnist_auc_matches_scikit_learn_per_task():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, 120)
    s = rng.random((120, 2))
    assert M.medmnist_auc(y, s, "binary-class") == pytest.approx(roc_auc_score(y, s[:, 1]), abs=1e-12)
    yk = rng.integers(0, 4, 200)
    sk = rng.dirichlet(np.ones(4), 200)
    ovr = np.mean([roc_auc_score(yk == k, sk[:, k]) for k in range(4)])
    assert M.medmnist_auc(yk, sk, "multi-class") == pytest.approx(ovr, abs=1e-12)
