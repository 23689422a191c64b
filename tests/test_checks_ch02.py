"""Tests of the chapter 02 exercise checks: right answers pass, wrong ones (and None) fail with feedback."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

from mlcourse import metrics, segmentation
from mlcourse.checks import ch02
from mlcourse.exercises import EXERCISES, ExerciseFailed, check


def _ppv(sens, spec, p):
    return sens * p / (sens * p + (1 - spec) * (1 - p))


def test_all_exercises_are_registered():
    check("02.1", _ppv(0.95, 0.90, 0.01))  # imports the module
    assert {"02.1", "02.2", "02.3", "02.4"} <= set(EXERCISES)
    assert [EXERCISES[i].kind for i in ("02.1", "02.2", "02.3", "02.4")] == ["numeric", "code", "code", "numeric"]
    assert "paired bootstrap" in EXERCISES["02.2"].title


@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3", "02.4"])
def test_none_fails(exercise_id):
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check(exercise_id, None)


# ----------------------------------------------------------------------------- 02.1


def test_02_1_right(capsys):
    check("02.1", 0.0876)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, feedback", [
    (8.756, "percentage"),
    (0.95, "property of the test"),
    (0.90, "property of the test"),
    (_ppv(0.95, 0.90, 0.5), "50% prevalence"),
    (0.9995, "NPV"),
    (0.0095, "false positives are missing"),
    (0.5, "Not the right value"),
    (-0.1, "between 0 and 1"),
    ("abc", "single number"),
])
def test_02_1_wrong(wrong, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as info:
        check("02.1", wrong)
    assert "0.0875" not in str(info.value) and "0.0876" not in str(info.value)  # never the answer


# ----------------------------------------------------------------------------- 02.2


def _auc(y, s):
    """ROC AUC from ranks (as roc_auc_score, but quick), NaN when a resample has one class only."""
    n_pos = int(np.sum(y))
    if n_pos in (0, len(y)):
        return float("nan")
    return (rankdata(s)[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos))


def _paired(y, a, b, n_boot=1000, seed=0, stratified=True, paired=True, percentiles=(2.5, 97.5), skip=True):
    """A student's paired bootstrap, with switches for the typical mistakes."""
    y, a, b = np.asarray(y), np.asarray(a), np.asarray(b)
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == 1), np.flatnonzero(y == 0)] if stratified else [np.arange(len(y))]

    def draw():
        return np.concatenate([g[rng.integers(0, g.size, g.size)] for g in groups])

    diffs = []
    for _ in range(n_boot):
        ia = draw()
        ib = ia if paired else draw()
        d = _auc(y[ia], a[ia]) - _auc(y[ib], b[ib])
        if np.isfinite(d) or not skip:
            diffs.append(d)
    low, high = np.percentile(diffs, percentiles)
    return _auc(y, a) - _auc(y, b), low, high


def _library(y, a, b, n_boot=1000, seed=0):
    out = metrics.paired_bootstrap_diff(_auc, y, a, b, n_boot=n_boot, seed=seed)
    return out["estimate"], out["low"], out["high"]


def _labels_not_resampled(y, a, b, n_boot=1000, seed=0):
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        i = rng.integers(0, len(y), len(y))
        diffs.append(_auc(y, a[i]) - _auc(y, b[i]))
    low, high = np.nanpercentile(diffs, [2.5, 97.5])
    return _auc(y, a) - _auc(y, b), low, high


def _unseeded(y, a, b, n_boot=1000, seed=0):
    return _paired(y, a, b, n_boot, seed=None)


@pytest.mark.parametrize("right", [
    _paired,
    _library,
    lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, stratified=False),   # skips 1-class draws
    lambda y, a, b, n_boot=1000, seed=0: dict(zip(("estimate", "low", "high"), _paired(y, a, b, n_boot, seed))),
    lambda y, a, b, n_boot=1000, seed=0: list(_paired(y, a, b, n_boot, seed + 1)),          # another seed
], ids=["stratified", "library", "unstratified-skipping", "dict", "list"])
def test_02_2_right(right):
    check("02.2", right)


@pytest.mark.parametrize("wrong, feedback", [
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, paired=False), "unrelated models"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, b, a, n_boot, seed), "wrong sign"),
    (lambda y, a, b, n_boot=1000, seed=0: (_auc(y, a),) + _paired(y, a, b, n_boot, seed)[1:], "one model"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, percentiles=(0.025, 0.975)), "too narrow"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, percentiles=(25, 75)), "too narrow"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, percentiles=(0.5, 99.5)), "too wide"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed)[::-1], "not AUC"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, stratified=False, skip=False),
     "one class"),
    (lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed)[:2], "instead of three"),
    (lambda y, a, b, n_boot=1000, seed=0: "0.1", "instead of three"),
    (lambda y, a, b, n_boot=1000, seed=0: {"diff": 0.1}, "without the keys"),
    (_labels_not_resampled, "does not contain the estimate"),
    (_unseeded, "same seed"),
    (lambda y, a, b, n_boot=1000, seed=0: (lambda e, lo, hi: (e, hi, lo))(*_paired(y, a, b, n_boot, seed)),
     "low > high"),
    (lambda y, a, b, n_boot=1000, seed=0: (lambda e, lo, hi: (e, lo - 0.3 * (hi - lo), hi - 0.3 * (hi - lo)))(
        *_paired(y, a, b, n_boot, seed)), "not where"),
    (lambda y, a: 0.0, "raised TypeError"),
    (0.05, "function itself"),
])
def test_02_2_wrong(wrong, feedback):
    with np.errstate(all="ignore"), pytest.raises(ExerciseFailed, match=feedback) as info:
        check("02.2", wrong)
    for y, a, b, _ in ch02._paired_cases():                # the feedback never gives the reference interval away
        low, high = ch02._reference_interval(y, a, b, 2000, seed=11)
        assert f"{low:.3f}" not in str(info.value) and f"{high:.3f}" not in str(info.value)


def test_02_2_unstratified_without_skipping_gets_the_class_hint():
    wrong = lambda y, a, b, n_boot=1000, seed=0: _paired(y, a, b, n_boot, seed, stratified=False, skip=False)  # noqa: E731
    with np.errstate(all="ignore"), pytest.raises(ExerciseFailed) as info:
        check("02.2", wrong)
    assert "within each class" in str(info.value)


# ----------------------------------------------------------------------------- 02.3


def _good_dice(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else 2 * np.logical_and(a, b).sum() / total


def _naive_dice(a, b):
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    return 2 * np.logical_and(a, b).sum() / (a.sum() + b.sum())


def test_02_3_right():
    check("02.3", _good_dice)
    check("02.3", segmentation.dice)


@pytest.mark.parametrize("wrong, feedback", [
    (lambda a, b: np.logical_and(a, b).sum() / max(np.logical_or(a, b).sum(), 1), "IoU"),
    (lambda a, b: 2 * np.sum(a * b) / (np.sum(a) + np.sum(b) + 1), "Dice coefficient is wrong"),
    (_naive_dice, "two empty masks"),
    (lambda a, b: None, "not a number"),
    ("my_dice", "function itself"),
])
def test_02_3_wrong(wrong, feedback):
    with np.errstate(all="ignore"), pytest.raises(ExerciseFailed, match=feedback):
        check("02.3", wrong)


# ----------------------------------------------------------------------------- 02.4


def _scores(seed=0, n=400):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(0, 1, n))))
    return y, s


def test_02_4_right():
    y, s = _scores()
    t = metrics.threshold_for_sensitivity(y, s, 0.95)
    check("02.4", (t, y, s))
    check("02.4", (t, y.reshape(-1, 1), s.reshape(-1, 1)))  # MedMNIST shapes
    check("02.4", (t, y, np.column_stack([1 - s, s])))  # two-column softmax


def test_02_4_wrong():
    y, s = _scores()
    t = metrics.threshold_for_sensitivity(y, s, 0.95)
    higher = np.sort(s[y == 1])[np.searchsorted(np.sort(s[y == 1]), t) + 1]
    with pytest.raises(ExerciseFailed, match="lower the threshold"):
        check("02.4", (higher, y, s))
    with pytest.raises(ExerciseFailed, match="higher threshold does too"):
        check("02.4", (0.0, y, s))
    with pytest.raises(ExerciseFailed, match="probabilities in"):
        check("02.4", (50, y, s))
    with pytest.raises(ExerciseFailed, match="tuple"):
        check("02.4", t)
    with pytest.raises(ExerciseFailed, match="same cases"):
        check("02.4", (t, y[:10], s))
    with pytest.raises(ExerciseFailed, match="0/1"):
        check("02.4", (t, y + 1, s))


@pytest.mark.parametrize("n, split, name", [(624, "test", "PneumoniaMNIST"), (156, "test", "BreastMNIST"),
                                            (4708, "train", "PneumoniaMNIST")])
def test_02_4_detects_a_threshold_tuned_on_another_split(n, split, name):
    y, s = _scores(seed=3, n=n)
    t = metrics.threshold_for_sensitivity(y, s, 0.95)          # "right" on those cases, but the wrong cases
    with pytest.raises(ExerciseFailed, match=f"{name}'s {split} split") as info:
        check("02.4", (t, y, s))
    assert "y_val" in str(info.value)


def test_02_4_accepts_validation_sizes():
    for n in (524, 78):                                        # PneumoniaMNIST's and BreastMNIST's validation splits
        y, s = _scores(seed=4, n=n)
        check("02.4", (metrics.threshold_for_sensitivity(y, s, 0.95), y, s))
