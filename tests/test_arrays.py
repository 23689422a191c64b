"""mlcourse.arrays: the one conversion layer for images, class labels and binary scores."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.arrays import (
    check_fraction,
    check_positive_int,
    check_positive_number,
    class_labels,
    finite_number,
    score_column,
    to_float_images,
)


def test_uint8_and_small_integer_images_are_divided_by_255_and_get_a_channel_axis():
    x = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    out = to_float_images(x)
    assert out.dtype == np.float32 and out.shape == (1, 2, 2, 1)
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]], atol=1e-7)
    np.testing.assert_allclose(to_float_images(x.astype(np.int64)), out)
    np.testing.assert_allclose(to_float_images(x.astype(np.uint16)), out)
    assert to_float_images(np.zeros((2, 4, 4, 3), np.uint8)).shape == (2, 4, 4, 3)


def test_integer_images_outside_0_255_are_refused_with_advice():
    with pytest.raises(ValueError, match=r"images has integer values in \[0, 4095\].*rescale"):
        to_float_images(np.array([[[0, 4095]]], dtype=np.uint16))
    with pytest.raises(ValueError, match="x_train has integer values"):
        to_float_images(np.array([[[-1, 3]]]), name="x_train")


def test_float_images_in_unit_range_are_kept_and_0_255_floats_are_scaled():
    unit = np.array([[[0.0, 0.5], [1.0, 0.25]]])
    np.testing.assert_allclose(to_float_images(unit)[..., 0], unit)
    np.testing.assert_allclose(to_float_images(unit * 255.0), to_float_images(unit), atol=1e-7)
    with pytest.raises(ValueError, match=r"float values in \[-1, 1\].*Undo any normalisation"):
        to_float_images(unit * 2 - 1)
    with pytest.raises(ValueError, match="float values"):
        to_float_images(unit * 300)


def test_bool_images_become_zero_and_one():
    out = to_float_images(np.array([[[True, False]]]))
    assert out.dtype == np.float32 and out.ravel().tolist() == [1.0, 0.0]


@pytest.mark.parametrize("bad, error, pattern", [
    (np.full((1, 2, 2), np.nan), ValueError, "1 NaN|4 NaN"),
    (np.array([[[0.0, np.inf]]]), ValueError, "infinite"),
    (np.ones((1, 2, 2), complex), TypeError, "complex"),
    (np.array([[["a", "b"]]]), TypeError, "real numbers"),
    (np.array([[[object(), object()]]]), TypeError, "real numbers"),
    ("image.png", TypeError, "string"),
    (np.zeros((0, 2, 2)), ValueError, "empty"),
    (np.zeros((2, 2)), ValueError, r"\(N, H, W\) or \(N, H, W, C\)"),
])
def test_bad_images_are_refused_naming_the_argument(bad, error, pattern):
    with pytest.raises(error, match=f"^my_images.*({pattern})"):
        to_float_images(bad, name="my_images")


def test_channels_last_false_keeps_any_shape():
    assert to_float_images(np.zeros((5, 5), np.uint8), channels_last=False).shape == (5, 5)
    assert to_float_images(np.zeros((2, 3, 4, 5, 6), np.uint8), channels_last=False).ndim == 5


def test_class_labels_from_every_layout():
    expected = [2, 0, 1, 2]
    assert class_labels(np.array(expected)).tolist() == expected
    assert class_labels(np.array(expected)[:, None]).tolist() == expected
    assert class_labels(np.eye(3)[expected]).tolist() == expected            # one-hot -> argmax
    assert class_labels(np.array(expected, float)).tolist() == expected      # whole-number floats
    assert class_labels([True, False]).tolist() == [1, 0]
    assert class_labels(np.array(expected, np.uint8)).dtype == np.int64


def test_class_labels_refuse_fractions_nan_ranges_and_soft_rows():
    with pytest.raises(ValueError, match="labels must be class indices; got 0.7"):
        class_labels([0, 0.7, 1])
    with pytest.raises(ValueError, match="NaN"):
        class_labels([0.0, np.nan])
    with pytest.raises(ValueError, match=r"y_train holds labels in \[0, 5\].*0\.\.2"):
        class_labels([0, 5], name="y_train", n_classes=3)
    with pytest.raises(ValueError, match="0 or more"):
        class_labels([-1, 0])
    with pytest.raises(ValueError, match="not one-hot"):
        class_labels([[0.2, 0.8], [0.9, 0.1]])
    with pytest.raises(ValueError, match="not one-hot"):
        class_labels([[1, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="4 columns, but there are 3 classes"):
        class_labels(np.eye(4), n_classes=3)
    with pytest.raises(ValueError, match="shape"):
        class_labels(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError, match="real numbers"):
        class_labels(["cat", "dog"])


def test_score_column_takes_the_positive_class():
    assert score_column([0.1, 0.9]).tolist() == [0.1, 0.9]
    assert score_column([[0.1], [0.9]]).tolist() == [0.1, 0.9]
    assert score_column([[0.9, 0.1], [0.2, 0.8]]).tolist() == [0.1, 0.8]
    assert score_column(np.array([1, 0], np.int64)).dtype == np.float64
    with pytest.raises(ValueError, match=r"probs must have shape .*one-vs-rest"):
        score_column(np.ones((2, 3)), name="probs")
    with pytest.raises(ValueError, match="NaN"):
        score_column([0.5, np.nan])


def test_small_validators():
    assert check_positive_int(3, "epochs") == 3 and check_positive_int(np.int64(2), "epochs") == 2
    assert check_positive_int(0, "warmup_epochs", minimum=0) == 0
    with pytest.raises(TypeError, match="epochs must be a whole number.*2.5.*pass 2 or 3"):
        check_positive_int(2.5, "epochs")
    with pytest.raises(TypeError, match="epochs must be a whole number"):
        check_positive_int(True, "epochs")
    with pytest.raises(ValueError, match="batch_size must be at least 1, got 0"):
        check_positive_int(0, "batch_size")
    assert check_positive_number(1e-3, "lr") == 1e-3
    for bad in (0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="lr must"):
            check_positive_number(bad, "lr")
    assert check_fraction(0.0, "label_smoothing") == 0.0 and check_fraction(1.0, "p", closed_right=True) == 1.0
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\), got 1"):
        check_fraction(1.0, "label_smoothing")
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        check_fraction(-0.1, "label_smoothing")
    with pytest.raises(TypeError, match="bool"):
        check_fraction(True, "label_smoothing")


@pytest.mark.parametrize("value", ["0.9", b"1", True, np.bool_(False)])
def test_finite_number_refuses_strings_and_bools(value):
    with pytest.raises(ValueError, match="must be a number"):
        finite_number(value, "threshold")
