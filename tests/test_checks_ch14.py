"""Checks of chapter 14: right answers pass, typical wrong answers fail with feedback that does not give
the answer away, and a student stub's NotImplementedError propagates."""

from __future__ import annotations

import numpy as np
import pytest

from mlcourse.checks import ch14
from mlcourse.exercises import ExerciseFailed, check


def to_lite0_input(images):
    x = np.asarray(images, dtype="float32")
    return np.repeat(((x - 127.0) / 128.0)[..., None], 3, axis=-1)


def test_right_answers_pass(capsys):
    check("14.1", 1_020_162)
    check("14.1", float(ch14.TRAINABLE_14_1))
    check("14.2", to_lite0_input)
    check("14.3", 4)
    check("14.4", "A")
    check("14.4", " a ")
    assert capsys.readouterr().out.count("correct") == 6


def test_trainable_count_matches_the_keras_model():
    keras = pytest.importorskip("keras")
    from mlcourse.models import efficientnet

    backbone = efficientnet.efficientnet_lite0((32, 32, 3), include_top=False, weights=None)
    backbone.trainable = True
    for layer in backbone.layers:
        layer.trainable = layer.name.startswith(("block15", "top_"))
    head = keras.layers.Dense(2)
    head.build((None, 1280))
    count = sum(int(np.prod(w.shape)) for w in backbone.trainable_weights + head.trainable_weights)
    assert count == ch14.TRAINABLE_14_1


@pytest.mark.parametrize("answer, feedback", [
    (ch14.TRAINABLE_14_1 + 2 * ch14._BN_CHANNELS_14, "moving mean and variance"),
    (ch14.TRAINABLE_14_1 - 2 * ch14._BN_CHANNELS_14, "Batch norm has trainable"),
    (ch14.TRAINABLE_14_1 - ch14._DENSE_14, "new classifier"),
    (ch14.TRAINABLE_14_1 - 9 * 1152 + 9 * 1152 * 1152, "one filter per channel"),
    (4_650_000, "Not the right count"),
    ("a million", "expected a single number"),
])
def test_wrong_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("14.1", answer)
    assert "1020162" not in str(err.value) and "1,020,162" not in str(err.value)


@pytest.mark.parametrize("fn, feedback", [
    (lambda x: (np.asarray(x, "float32") - 127) / 128, "one channel only"),
    (lambda x: np.repeat((np.asarray(x, "float32") / 255)[..., None], 3, -1), "not what the checkpoint saw"),
    (lambda x: np.repeat(((np.asarray(x, "float32") - 127.5) / 127.5)[..., None], 3, -1), "mean of 127"),
    (lambda x: np.repeat(((np.asarray(x, "float32") / 255 - 0.449) / 0.226)[..., None], 3, -1), "ImageNet mean/std"),
    (lambda x: np.repeat(((np.asarray(x, "float32") - 128) / 127)[..., None], 3, -1), "Wrong values"),
    (lambda x: np.zeros((2, 2)), "expected"),
    (lambda x: None, "returned None"),
    (lambda: 0, "raised TypeError"),
])
def test_wrong_scalings_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("14.2", fn)


def test_not_a_function_fails():
    with pytest.raises(ExerciseFailed, match="function itself"):
        check("14.2", np.zeros(3))


@pytest.mark.parametrize("answer, feedback", [(32, "upsampled 224x224"), (8, "upsampling factor"),
                                              (7, "size of the feature map"), (2, "Not the right stride")])
def test_wrong_strides_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("14.3", answer)
    assert "is 4" not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [("B", "best test AUC"), ("C", "neither"), ("D", "one letter"),
                                              (1, "one letter")])
def test_wrong_choices_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("14.4", answer)


def test_missing_answer_and_stub():
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check("14.1", None)

    def stub(images):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        check("14.2", stub)
