"""Checks of chapter 17: right answers pass, typical wrong ones fail with feedback, None fails."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.checks import ch17
from mlcourse.exercises import EXERCISES, ExerciseFailed, check


def iou_with(box, others):
    """IoU of one xyxy box with each row of `others`."""
    w = np.clip(np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0]), 0, None)
    h = np.clip(np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1]), 0, None)
    inter = w * h
    union = (box[2] - box[0]) * (box[3] - box[1]) + (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / (union - inter)


def gaussian(iou, sigma):
    return np.exp(-iou ** 2 / sigma)


def soft_nms_variant(boxes, scores, sigma, threshold, weight=gaussian, by_current=True, decayed=True):
    """Soft-NMS with switches for the mistakes the check recognises."""
    current = scores.astype(float).copy()
    alive = current >= threshold
    order = list(np.argsort(-scores, kind="stable"))
    keep, kept = [], []
    while alive.any():
        if by_current:
            pick = int(np.argmax(np.where(alive, current, -np.inf)))
        else:
            pick = next(int(i) for i in order if alive[i])
        keep.append(pick)
        kept.append(current[pick] if decayed else scores[pick])
        alive[pick] = False
        current[alive] *= weight(iou_with(boxes[pick], boxes[alive]), sigma)
        alive &= current >= threshold
    return np.array(keep, dtype=int), np.array(kept)


def soft_nms(boxes, scores, sigma=0.5, score_threshold=0.001):
    return soft_nms_variant(boxes, scores, sigma, score_threshold)


def soft_nms_in_place(boxes, scores, sigma=0.5, score_threshold=0.001):
    """Right, but it overwrites the caller's arrays; the check must not be fooled by that."""
    result = soft_nms(boxes, scores, sigma, score_threshold)
    scores[:] = 0.0
    boxes[:] = 0.0
    return result


def hard_nms(boxes, scores, sigma=0.5, score_threshold=0.001):
    keep = []
    for i in np.argsort(-scores, kind="stable"):
        if all(iou_with(boxes[i], boxes[[j]])[0] <= 0.5 for j in keep):
            keep.append(int(i))
    return np.array(keep, dtype=int), scores[keep]


def test_right_answers_pass(capsys):
    check("17.1", 105 / 335)
    check("17.1", 0.3134)
    check("17.2", soft_nms)
    check("17.2", soft_nms_in_place)
    check("17.3", froc)
    assert capsys.readouterr().out.count("correct") == 5


def test_kinds():
    assert [EXERCISES[i].kind for i in ("17.1", "17.2", "17.3")] == ["numeric", "code", "code"]


@pytest.mark.parametrize("answer, feedback", [
    (150 / 290, "centre, not its corner"),
    (105 / 200, "smaller box"),
    (2 * 105 / 440, "Dice"),
    (105 / 440, "overlap twice"),
    (0.9, "Not the IoU"),
    ("a third", "single number"),
])
def test_wrong_iou_values_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("17.1", answer)
    assert "0.313" not in str(err.value) and "105" not in str(err.value)


def by_index(keep, new):
    order = np.argsort(keep)
    return keep[order], new[order]


def _raises(boxes, scores, sigma=0.5, score_threshold=0.001):
    raise IndexError("index 0 is out of bounds")


WRONG_SOFT_NMS = [
    (hard_nms, "hard NMS"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, sg, t, weight=lambda iou, sigma: 1 - iou), "linear variant"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, sg, t, weight=lambda iou, sigma: np.exp(-iou / sigma)),
     "square of the IoU"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, sg, t, by_current=False), "order of their original scores"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, sg, t, decayed=False), "with their original scores"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, sg, -1.0), "below score_threshold were kept"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms_variant(b, s, 0.5, t), "sigma you were given"),
    (lambda b, s, sg=0.5, t=0.001: by_index(*soft_nms(b, s, sg, t)), "not in the order"),
    (lambda b, s, sg=0.5, t=0.001: soft_nms(b, s, sg, t)[0], "did not return a pair"),
    (lambda b, s, sg=0.5, t=0.001: (np.isin(np.arange(len(s)), soft_nms(b, s, sg, t)[0]), s), "not a mask"),
    (lambda b, s, sg=0.5, t=0.001: (soft_nms(b, s, sg, t)[0], np.r_[soft_nms(b, s, sg, t)[1], 0.0]),
     "different lengths"),
    (lambda b, s, sg=0.5, t=0.001: (soft_nms(b, s, sg, t)[0], soft_nms(b, s, sg, t)[1] * 0.9), "Wrong boxes"),
    (lambda b, s, sg=0.5, t=0.001: None, "returned None"),
    (_raises, "raised IndexError"),
]


@pytest.mark.parametrize("fn, feedback", WRONG_SOFT_NMS)
def test_wrong_soft_nms_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("17.2", fn)


@pytest.mark.parametrize("fn", [fn for fn, _ in WRONG_SOFT_NMS])
def test_soft_nms_feedback_never_shows_the_reference(fn):
    with pytest.raises(ExerciseFailed) as err:
        check("17.2", fn)
    message = str(err.value)
    for boxes, scores, sigma, threshold, _ in ch17._soft_nms_cases():
        keep, new = ch17._soft_nms_reference(boxes, scores, sigma, threshold)
        if len(keep) > 1:
            assert str(keep) not in message and str(keep)[1:-1] not in message
        for value in new:
            assert f"{value:.3f}" not in message and f"{value:.4f}" not in message


def match(boxes, scores, truth, iou_threshold, duplicates=False):
    """Per detection of one image: whether it is a true positive."""
    taken = np.zeros(len(truth), dtype=bool)
    hit = np.zeros(len(boxes), dtype=bool)
    for i in np.argsort(-scores, kind="stable"):
        if len(truth) == 0:
            break
        iou = iou_with(boxes[i], truth)
        if not duplicates:
            iou[taken] = -1.0
        best = int(np.argmax(iou))
        if iou[best] >= iou_threshold:
            hit[i] = True
            taken[best] = True
    return hit


def froc_variant(pred_boxes, pred_scores, true_boxes, fp_rates, iou_threshold=0.5, duplicates=False, per="images",
                 strict=False, empty_prefix=True):
    """FROC sensitivities with switches for the mistakes the check recognises."""
    hits = np.concatenate([match(b, s, t, iou_threshold, duplicates)
                           for b, s, t in zip(pred_boxes, pred_scores, true_boxes)])
    order = np.argsort(-np.concatenate(pred_scores), kind="stable")
    tp, fp = np.cumsum(hits[order]), np.cumsum(~hits[order])
    if empty_prefix:
        tp, fp = np.r_[0, tp], np.r_[0, fp]
    divisor = {"images": len(pred_boxes), "detections": len(hits),
               "lesion images": sum(len(t) > 0 for t in true_boxes)}[per]
    per_image = fp / divisor
    n_true = sum(len(t) for t in true_boxes)
    out = []
    for rate in fp_rates:
        ok = per_image < rate if strict else per_image <= rate
        out.append(tp[ok].max() / n_true if ok.any() else np.nan)
    return np.array(out)


def froc(pred_boxes, pred_scores, true_boxes, fp_rates, iou_threshold=0.5):
    return froc_variant(pred_boxes, pred_scores, true_boxes, fp_rates, iou_threshold)


def test_froc_reference_raises_without_true_boxes():
    with pytest.raises(ValueError):
        ch17._froc_reference([np.zeros((1, 4))], [np.ones(1)], [np.zeros((0, 4))], (1.0,))


@pytest.mark.parametrize("fn, feedback", [
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, iou, duplicates=True), "more than once"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, iou, per="detections"), "number of detections"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, iou, per="lesion images"), "including those without"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, iou, strict=True), "equal the rate exactly"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, 1e-9), "merely overlaps"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, 0.5), "iou_threshold you were given"),
    (lambda p, s, t, r, iou=0.5: froc_variant(p, s, t, r, iou, empty_prefix=False), "NaN"),
    (lambda p, s, t, r, iou=0.5: np.minimum(2 * froc(p, s, t, r, iou), 1.5), "above 1"),
    (lambda p, s, t, r, iou=0.5: froc(p, s, t, r, iou) * 0.9, "Wrong sensitivities"),
    (lambda p, s, t, r, iou=0.5: list(froc(p, s, t, r, iou))[:-1], "one sensitivity per entry"),
    (lambda p, s, t, r, iou=0.5: float(froc(p, s, t, r, iou)[-1]), "one sensitivity per entry"),
    (lambda p, s, t, r, iou=0.5: None, "returned None"),
    (lambda p, s, t: None, "raised TypeError"),
])
def test_wrong_froc_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("17.3", fn)


@pytest.mark.parametrize("ex", ["17.1", "17.2", "17.3"])
def test_missing_answer_fails(ex):
    with pytest.raises(ExerciseFailed):
        check(ex, None)
