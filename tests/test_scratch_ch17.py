"""The from-scratch code of notebook 17 (cells tagged 'scratch'): IoU against Keras, matching, AP and greedy NMS
on hand cases, including empty predictions, no true boxes, ties and degenerate boxes."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("17_detection.ipynb")


def test_box_iou_matches_keras_and_a_hand_case(ns):
    rng = np.random.default_rng(17)
    corner = rng.uniform(0, 50, size=(40, 2))
    boxes = np.concatenate([corner, corner + rng.uniform(0.5, 15, size=(40, 2))], axis=1).astype("float32")
    ours = ns["box_iou"](boxes[:20], boxes[20:])
    theirs = keras.ops.convert_to_numpy(
        keras.utils.bounding_boxes.compute_iou(boxes[:20], boxes[20:], bounding_box_format="xyxy"))
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert ns["box_iou"]([[0, 0, 2, 2]], [[1, 1, 3, 3], [5, 5, 6, 6]]).tolist() == [[1 / 7, 0.0]]


@pytest.mark.parametrize("bad, match", [
    ([[2, 0, 1, 1]], "x2 <= x1"),
    ([[0, 0, 1, 0]], "y2 <= y1"),
    ([[0, 0, np.nan, 1]], "NaN"),
])
def test_box_iou_refuses_degenerate_boxes_naming_the_argument(ns, bad, match):
    with pytest.raises(ValueError, match=match) as err:
        ns["box_iou"]([[0, 0, 1, 1]], bad)
    assert "boxes_b" in str(err.value)


def test_matching_counts_duplicates_and_misses(ns):
    truth = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=float)
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 55, 55]], dtype=float)
    assert ns["match_image"](boxes, [0.5, 0.9, 0.7], truth).tolist() == [False, True, False]  # best score wins
    assert ns["match_image"](boxes, [0.8, 0.8, 0.1], truth).tolist() == [True, False, False]  # tie: lower index
    assert ns["match_image"](np.zeros((0, 4)), np.zeros(0), truth).tolist() == []
    assert ns["match_image"](boxes, [0.3, 0.2, 0.1], np.zeros((0, 4))).tolist() == [False] * 3
    assert ns["match_image"](boxes[:1] + 2, [0.9], truth).tolist() == [False]                  # IoU 0.47 < 0.5
    assert ns["match_image"](boxes[:1] + 2, [0.9], truth, iou_threshold=0.4).tolist() == [True]


def test_average_precision_hand_values(ns):
    ap = ns["average_precision"]
    assert ap([0.9, 0.8], [True, True], 2) == 1.0
    assert ap([0.9, 0.8, 0.7], [False, True, True], 2) == pytest.approx(2 / 3)   # precisions 1/2, 2/3 at recall 1/2, 1
    assert ap([0.9, 0.8], [True, False], 2) == 0.5
    assert ap([0.9, 0.8], [True, False], 2, points=101) == pytest.approx(51 / 101)
    assert ap([0.9], [True], 4, points=11) == pytest.approx(3 / 11)               # recalls 0, 0.1, 0.2 reached
    assert ap([], [], 3) == 0.0 and ap([], [], 3, points=101) == 0.0
    with pytest.raises(ValueError, match="n_true must be positive"):
        ap([0.5], [False], 0)


def test_detection_ap_over_images(ns):
    truth = [np.array([[0, 0, 10, 10]], float), np.zeros((0, 4)), np.array([[5, 5, 9, 9]], float)]
    perfect = [(t, np.ones(len(t))) for t in truth]
    assert ns["detection_ap"](perfect, truth) == 1.0
    with_fp = perfect[:1] + [(np.array([[0, 0, 3, 3]], float), np.array([2.0]))] + perfect[2:]
    assert ns["detection_ap"](with_fp, truth) == pytest.approx(2 / 3)   # the false positive is ranked first


def test_nms_greedy_order_ties_and_bad_input(ns):
    nms = ns["nms"]
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [20, 20, 30, 30], [0, 0, 10, 10]], dtype=float)
    assert nms(boxes, [0.9, 0.8, 0.7, 0.95]).tolist() == [3, 2]
    assert nms(boxes, [0.5, 0.5, 0.5, 0.5]).tolist() == [0, 2]            # ties: the lower index is kept
    assert nms(boxes, [0.9, 0.8, 0.7, 0.95], iou_threshold=0.9).tolist() == [3, 1, 2]
    assert nms(np.zeros((0, 4)), np.zeros(0)).tolist() == []
    assert nms(np.zeros((0, 4)), np.zeros(0)).dtype.kind == "i"
    with pytest.raises(ValueError, match="one score per box"):
        nms(boxes, [0.9, 0.8])
