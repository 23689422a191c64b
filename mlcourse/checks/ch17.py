"""Checks of chapter 17 (detection): the IoU of two boxes given in different formats, and two things to build:
Gaussian soft-NMS and the sensitivities of a FROC curve."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

BOX_A_17_1 = (20.0, 30.0, 20.0, 10.0)   # box A in "center_xywh": (cx, cy, w, h)
BOX_B_17_1 = (15.0, 28.0, 35.0, 40.0)   # box B in "xyxy": (x1, y1, x2, y2)
FP_RATES_17_3 = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0)   # false positives per image at which 17.3 is checked


def _iou_matrix(a: Any, b: Any) -> np.ndarray:
    """IoU of every box of `a` with every box of `b` (xyxy, continuous coordinates), shape (len(a), len(b))."""
    a = np.asarray(a, dtype=float).reshape(-1, 4)
    b = np.asarray(b, dtype=float).reshape(-1, 4)
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0.0, None), axis=-1)
    union = np.prod(a[:, 2:] - a[:, :2], axis=1)[:, None] + np.prod(b[:, 2:] - b[:, :2], axis=1)[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _overlap_17_1(a: tuple[float, ...]) -> tuple[float, float, float]:
    """Intersection and the two areas of box `a` (xyxy) and box B of exercise 17.1."""
    b = BOX_B_17_1
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter, (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])


@exercise("17.1", "numeric", "the IoU of a center_xywh box and an xyxy box")
def _check_17_1(answer: Any) -> None:
    value = as_number(answer, "17.1")
    cx, cy, w, h = BOX_A_17_1
    inter, area_a, area_b = _overlap_17_1((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    if abs(value - inter / (area_a + area_b - inter)) <= 1e-3:
        return
    corner = _overlap_17_1((cx, cy, cx + w, cy + h))
    if abs(value - corner[0] / (corner[1] + corner[2] - corner[0])) <= 1e-3:
        fail("The first two numbers of box A are its centre, not its corner.",
             "convert A to xyxy first: half the width and half the height either side of the centre")
    if abs(value - inter / min(area_a, area_b)) <= 1e-3:
        fail("You divided the intersection by the smaller box; IoU divides by the union of the two.")
    if abs(value - 2 * inter / (area_a + area_b)) <= 1e-3:
        fail("That is the Dice coefficient of the two boxes, not their IoU.")
    if abs(value - inter / (area_a + area_b)) <= 1e-3:
        fail("The sum of the two areas counts the overlap twice.", "union = area A + area B - intersection")
    fail("Not the IoU of the two boxes.", "convert both boxes to xyxy, then intersection area / union area")


_DECAYS = {"gaussian": lambda iou, sigma: np.exp(-iou ** 2 / sigma),
           "linear": lambda iou, sigma: 1.0 - iou,
           "unsquared": lambda iou, sigma: np.exp(-iou / sigma)}


def _soft_nms(boxes: np.ndarray, scores: np.ndarray, sigma: float, threshold: float, decay: str = "gaussian",
              reselect: bool = True) -> tuple[list[int], np.ndarray]:
    """Soft-NMS with a choice of decay; reselect=False keeps boxes in the order of their original scores."""
    iou = _iou_matrix(boxes, boxes)
    current = np.asarray(scores, dtype=float).copy()
    remaining = [i for i in range(len(current)) if current[i] >= threshold]
    if not reselect:
        remaining.sort(key=lambda i: -current[i])
    keep: list[int] = []
    kept: list[float] = []
    while remaining:
        pick = max(remaining, key=lambda i: current[i]) if reselect else remaining[0]
        keep.append(pick)
        kept.append(float(current[pick]))
        remaining.remove(pick)
        for i in remaining:
            current[i] *= _DECAYS[decay](iou[pick, i], sigma)
        remaining = [i for i in remaining if current[i] >= threshold]
    return keep, np.array(kept)


def _soft_nms_reference(boxes: np.ndarray, scores: np.ndarray, sigma: float = 0.5,
                        score_threshold: float = 0.001) -> tuple[list[int], np.ndarray]:
    """Gaussian soft-NMS: (keep, scores); a box that starts below score_threshold is never kept, ties go to the lower
    index."""
    return _soft_nms(boxes, scores, sigma, score_threshold)


def _greedy_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, score_threshold: float) -> list[int]:
    """Hard NMS: the indices kept when every box overlapping a kept one by more than iou_threshold is removed."""
    iou = _iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in np.argsort(-np.asarray(scores, dtype=float), kind="stable"):
        if scores[i] >= score_threshold and all(iou[i, j] <= iou_threshold for j in keep):
            keep.append(int(i))
    return keep


def _soft_nms_cases() -> list[tuple[np.ndarray, np.ndarray, float, float, str]]:
    """Hidden (boxes, scores, sigma, score_threshold, description) cases of soft-NMS."""
    rng = np.random.default_rng(1717)
    cluster = np.array([[10, 10, 50, 50], [12, 11, 52, 49], [9, 13, 48, 52], [14, 8, 51, 47], [80, 80, 110, 120.0]])
    corners = rng.uniform(0, 60, size=(12, 2))
    random12 = np.concatenate([corners, corners + rng.uniform(15, 40, size=(12, 2))], axis=1)
    scores12 = np.round(rng.uniform(0.02, 1.0, 12), 4)
    scores12[11] = 0.03                                     # starts below the threshold: never kept
    reorder = np.array([[0, 0, 40, 40], [2, 2, 40, 42], [30, 30, 70, 70.0]])
    return [(np.zeros((0, 4)), np.zeros(0), 0.5, 0.001, "an empty input"),
            (np.array([[5, 5, 25, 30.0]]), np.array([0.7]), 0.5, 0.001, "a single box"),
            (cluster, np.array([0.9, 0.85, 0.8, 0.7, 0.6]), 0.5, 0.001, "four overlapping boxes and a distant one"),
            (np.array([[10, 20, 40, 60.0]] * 2), np.array([0.6, 0.8]), 0.5, 0.001, "two identical boxes"),
            (random12, scores12, 0.3, 0.05,
             "12 random boxes with sigma 0.3 and score_threshold 0.05"),
            (reorder, np.array([0.95, 0.9, 0.6]), 0.5, 0.001, "a box whose decayed score falls below a lower one")]


def _pair(got: Any, what: str) -> tuple[list[int], np.ndarray]:
    """The student's (keep, new_scores) as a list of ints and a float array, or feedback on their form."""
    if got is None:
        fail(f"For {what}, your function returned None; return the pair (keep, new_scores).")
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"For {what}, your function did not return a pair; return (keep, new_scores).")
    keep, new = np.asarray(got[0]), np.asarray(got[1])
    if keep.ndim != 1 or new.ndim != 1:
        fail(f"For {what}, keep and new_scores should each be a 1-D sequence, one entry per kept box.")
    if keep.dtype == bool:
        fail("keep should hold the indices of the kept boxes, not a mask.")
    if keep.size and not np.all(np.asarray(keep, dtype=float) == np.round(np.asarray(keep, dtype=float))):
        fail("keep should hold integer indices into the input boxes.")
    if len(keep) != len(new):
        fail(f"For {what}, keep and new_scores have different lengths; give one score per kept box.")
    return [int(i) for i in keep], np.asarray(new, dtype=float)


def _same(keep: list[int], new: np.ndarray, result: tuple[list[int], np.ndarray]) -> bool:
    """Whether (keep, new) equals a soft-NMS result: the same indices in order, the same scores within 1e-6."""
    return keep == result[0] and new.shape == result[1].shape and np.allclose(new, result[1], atol=1e-6)


def _soft_nms_feedback(keep: list[int], new: np.ndarray, boxes: np.ndarray, scores: np.ndarray, sigma: float,
                       threshold: float, what: str) -> None:
    """Feedback on a wrong soft-NMS result for one case: the typical mistake it shows, else a general hint."""
    right = _soft_nms_reference(boxes, scores, sigma, threshold)
    if keep == right[0] and np.allclose(new, scores[keep], atol=1e-6):
        fail(f"For {what}, the right boxes are kept, but with their original scores.",
             "return each box's score after the decays, the score it had when it was picked")
    hard = (_greedy_nms(boxes, scores, 0.5, threshold), _greedy_nms(boxes, scores, 0.5, -np.inf))
    if keep != right[0] and keep in hard:
        fail(f"For {what}, overlapping boxes were removed, as hard NMS does; soft-NMS keeps them with lower scores.",
             "after each pick, lower the score of every remaining box according to its IoU with the pick")
    variants = [(dict(decay="linear"), "That is the linear variant of soft-NMS (score times 1 - IoU); "
                                       "the exercise asks for the Gaussian one.", "the Gaussian weight uses sigma"),
                (dict(decay="unsquared"), "The Gaussian decay uses the square of the IoU, not the IoU itself.", None),
                (dict(reselect=False), "Boxes were taken in the order of their original scores.",
                 "after each decay, pick the remaining box with the highest current score"),
                (dict(threshold=-np.inf), f"For {what}, boxes whose score is below score_threshold were kept.",
                 "drop a box as soon as its score is below the threshold, and never keep one that starts below it"),
                (dict(sigma=0.5), f"For {what}, the sigma you were given was not used.", None)]
    for change, message, hint in variants:
        args = dict(sigma=sigma, threshold=threshold) | change
        if _same(keep, new, _soft_nms(boxes, scores, args.pop("sigma"), args.pop("threshold"), **args)):
            fail(message, hint)
    if sorted(zip(keep, new.round(6))) == sorted(zip(right[0], right[1].round(6))) and keep != right[0]:
        fail(f"For {what}, the right boxes and scores are there, but not in the order they were selected.")
    fail(f"Wrong boxes or scores for {what}.",
         "repeat: pick the highest current score, decay the others by a Gaussian of their IoU with the pick, then drop "
         "those below the threshold")


@exercise("17.2", "code", "Gaussian soft-NMS")
def _check_17_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (soft_nms), not its result.")
    for boxes, scores, sigma, threshold, what in _soft_nms_cases():
        got = call_student(fn, what, boxes.copy(), scores.copy(), sigma, threshold)
        keep, new = _pair(got, what)
        if not _same(keep, new, _soft_nms_reference(boxes, scores, sigma, threshold)):
            _soft_nms_feedback(keep, new, boxes, scores, sigma, threshold, what)


def _match_image(boxes: np.ndarray, scores: np.ndarray, truth: np.ndarray, iou_threshold: float,
                 duplicates: bool = False) -> np.ndarray:
    """True-positive flags of one image's detections, matched greedily in descending score order."""
    iou = _iou_matrix(boxes, truth)
    free = np.ones(iou.shape[1], dtype=bool)
    hit = np.zeros(iou.shape[0], dtype=bool)
    for i in np.argsort(-np.asarray(scores, dtype=float), kind="stable"):
        candidates = np.where(free, iou[i], -1.0)
        if candidates.size and candidates.max() >= iou_threshold:
            hit[i] = True
            free[int(np.argmax(candidates))] = duplicates
    return hit


def _froc(pred_boxes: list, pred_scores: list, true_boxes: list, fp_rates: Any, iou_threshold: float,
          duplicates: bool = False, per: str = "image", strict: bool = False) -> np.ndarray:
    """FROC sensitivities, with switches for the typical mistakes (duplicate hits, the divisor, '<' on the rate)."""
    n_true = sum(len(t) for t in true_boxes)
    if n_true == 0:
        raise ValueError("FROC needs at least one true box")
    hits = np.concatenate([np.zeros(0, dtype=bool)] + [_match_image(b, s, t, iou_threshold, duplicates)
                                                       for b, s, t in zip(pred_boxes, pred_scores, true_boxes)])
    scores = np.concatenate([np.zeros(0)] + [np.asarray(s, dtype=float).reshape(-1) for s in pred_scores])
    ordered = hits[np.argsort(-scores, kind="stable")]
    tp = np.concatenate([[0], np.cumsum(ordered)])
    fp = np.concatenate([[0], np.cumsum(~ordered)])
    divisor = {"image": len(pred_boxes), "lesion_image": sum(len(t) > 0 for t in true_boxes),
               "detection": max(len(scores), 1), "prefix": np.maximum(np.arange(len(fp)), 1)}[per]
    rate = fp / divisor
    rates = np.asarray(fp_rates, dtype=float).reshape(-1, 1)
    allowed = rate < rates if strict else rate <= rates
    return np.max(np.where(allowed, tp / n_true, 0.0), axis=1)


def _froc_reference(pred_boxes: list, pred_scores: list, true_boxes: list, fp_rates: Any,
                    iou_threshold: float = 0.5) -> np.ndarray:
    """FROC sensitivities at fp_rates (false positives per image); ties in score keep input order, and the hidden
    cases use distinct scores. Raises ValueError when there is no true box."""
    return _froc(pred_boxes, pred_scores, true_boxes, fp_rates, iou_threshold)


def _froc_images() -> tuple[list, list, list]:
    """Four images: two lesions with a duplicate and a near miss, none, one undetected, two found (with an FP)."""
    pred = [np.array([[11, 11, 31, 31], [9, 10, 29, 31], [60, 66.9, 80, 86.9]]),
            np.array([[0, 0, 10, 10], [50, 50, 70, 70], [5, 60, 25, 85.0]]),
            np.zeros((0, 4)),
            np.array([[21, 51, 41, 71], [80, 0, 95, 15], [61, 11, 81, 31.0]])]
    scores = [np.array([0.9, 0.6, 0.5]), np.array([0.95, 0.3, 0.4]), np.zeros(0), np.array([0.8, 0.7, 0.2])]
    truth = [np.array([[10, 10, 30, 30], [60, 60, 80, 80.0]]), np.zeros((0, 4)),
             np.array([[40, 40, 60, 60.0]]), np.array([[20, 50, 40, 70], [60, 10, 80, 30.0]])]
    return pred, scores, truth


def _froc_random_images() -> tuple[list, list, list]:
    """Eight random images: lesions found by jittered boxes, sometimes twice, plus false positives."""
    rng = np.random.default_rng(1718)
    pred, truth = [], []
    for n_lesions in (1, 0, 2, 0, 1, 3, 0, 2):
        corners = rng.uniform(0, 80, size=(n_lesions, 2))
        lesions = np.concatenate([corners, corners + rng.uniform(10, 25, size=(n_lesions, 2))], axis=1)
        found = np.repeat(lesions, rng.integers(0, 3, n_lesions), axis=0)
        corners = rng.uniform(0, 90, size=(int(rng.integers(0, 3)), 2))
        false = np.concatenate([corners, corners + rng.uniform(8, 20, size=(len(corners), 2))], axis=1)
        pred.append(np.concatenate([found + rng.normal(0, 2.5, size=found.shape), false]).reshape(-1, 4))
        truth.append(lesions)
    scores = np.split(rng.permutation(np.linspace(0.05, 0.95, sum(len(p) for p in pred))),
                      np.cumsum([len(p) for p in pred])[:-1])
    return pred, scores, truth


_PER_DETECTION = "False positives were divided by the number of detections; FROC counts them per image."


def _froc_cases() -> list[tuple[list, list, list, float, str]]:
    """Hidden (pred_boxes, pred_scores, true_boxes, iou_threshold, description) cases of FROC."""
    fixed, rand = _froc_images(), _froc_random_images()
    return [(*fixed, 0.5, "four images at IoU 0.5"), (*fixed, 0.3, "the same four images at IoU 0.3"),
            (*rand, 0.5, "eight random images at IoU 0.5")]


def _froc_feedback(results: list[np.ndarray], cases: list[tuple[list, list, list, float, str]]) -> None:
    """Feedback on wrong FROC sensitivities: a typical mistake that explains every case, else a general hint."""
    if any(np.any(np.isnan(arr)) for arr in results):
        fail("Some sensitivities are NaN.",
             "the prefix with nothing detected counts too: sensitivity 0 with no false positives")
    variants = [(dict(duplicates=True), "A lesion was counted more than once: a second detection of a lesion that "
                                        "is already found is a false positive.", None),
                (dict(per="detection"), _PER_DETECTION, None),
                (dict(per="prefix"), _PER_DETECTION, None),
                (dict(per="lesion_image"), "Average the false positives over all images, including those without "
                                           "a lesion.", None),
                (dict(strict=True), "A threshold whose false positives per image equal the rate exactly is "
                                    "allowed too.", "the rate is a maximum: at most, not fewer than"),
                (dict(iou_threshold=1e-12), "A detection that merely overlaps a lesion is not a hit.",
                 "its IoU with the lesion must reach iou_threshold"),
                (dict(iou_threshold=0.5), "The iou_threshold you were given was not used.", None)]
    for change, message, hint in variants:
        if all(np.allclose(arr, _froc(*case[:3], FP_RATES_17_3, **(dict(iou_threshold=case[3]) | change)), atol=1e-9)
               for arr, case in zip(results, cases)):
            fail(message, hint)
    if any(np.any(arr > 1 + 1e-9) for arr in results):
        fail("A sensitivity above 1 means a lesion was counted more than once.",
             "a second detection of a lesion that is already found is a false positive")
    what = next(case[4] for arr, case in zip(results, cases)
                if not np.allclose(arr, _froc_reference(*case[:3], FP_RATES_17_3, case[3]), atol=1e-9))
    fail(f"Wrong sensitivities for {what}.",
         "match per image by descending score, then pool all detections and sweep the score threshold")


def _froc_result(fn: Any, case: tuple[list, list, list, float, str]) -> np.ndarray:
    """The student's sensitivities for one case (called on copies), or feedback on their form."""
    pred, scores, truth, iou_threshold, what = case
    got = call_student(fn, what, [p.copy() for p in pred], [s.copy() for s in scores], [t.copy() for t in truth],
                       np.array(FP_RATES_17_3), iou_threshold)
    if got is None:
        fail(f"For {what}, your function returned None; return the array of sensitivities.")
    arr = np.asarray(got, dtype=float)
    if arr.shape != (len(FP_RATES_17_3),):
        fail(f"For {what}, the result has shape {arr.shape}; return one sensitivity per entry of fp_rates, "
             f"here {len(FP_RATES_17_3)}.")
    return arr


@exercise("17.3", "code", "FROC sensitivities at given false-positive rates")
def _check_17_3(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (froc), not its result.")
    cases = _froc_cases()
    results = [_froc_result(fn, case) for case in cases]
    if not all(np.allclose(arr, _froc_reference(*case[:3], FP_RATES_17_3, case[3]), atol=1e-9)
               for arr, case in zip(results, cases)):
        _froc_feedback(results, cases)
