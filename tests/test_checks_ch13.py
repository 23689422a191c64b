"""Checks of chapter 13: right answers pass, typical wrong ones fail with feedback (never the answer),
and a missing answer fails."""

from __future__ import annotations

import pytest

from mlcourse.exercises import ExerciseFailed, check

CONV_PARAMS = 3 * 3 * 64 * 128 + 128                      # 73,856
CONV_MACS = 14 * 14 * 3 * 3 * 64 * 128                    # 14,450,688
BLOCK_PARAMS = 9 * 64 * 128 + 9 * 128 * 128 + 64 * 128 + 3 * 4 * 128   # 230,912


def test_right_answers_pass(capsys):
    check("13.1", CONV_PARAMS)
    check("13.1", float(CONV_PARAMS))
    check("13.2", CONV_MACS)
    check("13.3", BLOCK_PARAMS)
    check("13.4", 24 + 6 * 12)
    check("13.5", "c")
    check("13.5", " (C) ")
    assert capsys.readouterr().out.count("correct") == 7


@pytest.mark.parametrize("answer, feedback", [
    (3 * 3 * 64 * 128, "kernel weights only"),
    (3 * 3 * 128 + 128, "all input channels"),
    (3 * 3 * 64 * 128 + 64, "one bias per filter"),
    (14 * 14 * 3 * 3 * 64 * 128, "shared across positions"),
    (1000, "Not the right count"),
    ("many", "expected a single number"),
])
def test_wrong_conv_parameter_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.1", answer)
    assert str(CONV_PARAMS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (2 * CONV_MACS, "floating-point operations"),
    (CONV_PARAMS, "parameter count"),
    (28 * 28 * 3 * 3 * 64 * 128, "output is 14x14"),
    (14 * 14 * 3 * 3 * 128, "all input channels"),
    (12345, "Not the right number"),
])
def test_wrong_macs_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.2", answer)
    assert str(CONV_MACS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (9 * 64 * 128 + 9 * 128 * 128 + 2 * 4 * 128, "projection shortcut is missing"),
    (9 * 64 * 128 + 9 * 128 * 128 + 64 * 128 + 2 * 4 * 128, "its own batch normalisation"),
    (9 * 64 * 128 + 9 * 128 * 128 + 64 * 128, "batch normalisation layers are missing"),
    (BLOCK_PARAMS - 3 * 2 * 128, "trainable count"),
    (BLOCK_PARAMS + 3 * 128, "no bias"),
    (2 * 9 * 64 * 128 + 64 * 128 + 3 * 4 * 128, "128 input channels"),
    (100, "Not the right count"),
])
def test_wrong_block_counts_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.3", answer)
    assert str(BLOCK_PARAMS) not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (72, "input channels are missing"),
    (12, "all that came before"),
    (36, "all that came before"),
    (48, "transition layer"),
    (24 * 2 ** 6, "linearly"),
    (50, "Not the right number"),
])
def test_wrong_dense_block_widths_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("13.4", answer)
    assert "96" not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    ("a", "ZIP codes"),
    ("b", "NIPS"),
    ("d", "AlexNet"),
    ("e", "not one of the letters"),
    (1998, "not one of the letters"),
])
def test_wrong_years_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("13.5", answer)


@pytest.mark.parametrize("id", ["13.1", "13.2", "13.3", "13.4", "13.5", "13.7", "13.8"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


# ----------------------------------------------------------------------------- 13.7 receptive field


def receptive_field(stack):
    r, jump = 1, 1
    for k, s in stack:
        r += (k - 1) * jump
        jump *= s
    return r


def test_13_7_right_function_passes(capsys):
    check("13.7", receptive_field)
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, feedback", [
    (lambda stack: 1 + sum(k - 1 for k, _ in stack), "ignores the strides"),
    (lambda stack: sum(k for k, _ in stack), "counts the overlap"),
    (lambda stack: receptive_field(stack) - 1, "Off by one"),
    (lambda stack: "big", "not a number"),
    (lambda stack: 1 / 0, "ZeroDivisionError"),
])
def test_13_7_typical_mistakes_get_feedback(wrong, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as excinfo:
        check("13.7", wrong)
    assert "jump" not in str(excinfo.value)


def test_13_7_stride_applied_too_early_is_named():
    def early(stack):
        r, jump = 1, 1
        for k, s in stack:
            jump *= s
            r += (k - 1) * jump
        return r
    with pytest.raises(ExerciseFailed, match="only affects the layers after it"):
        check("13.7", early)


# ----------------------------------------------------------------------------- 13.8 bottleneck block


def bottleneck_block(x, filters, stride, *, bias=False, project=True, expansion=4, momentum=0.9):
    from keras import layers

    y = layers.Conv2D(filters, 1, use_bias=bias)(x)
    y = layers.ReLU()(layers.BatchNormalization(momentum=momentum)(y))
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=bias)(y)
    y = layers.ReLU()(layers.BatchNormalization(momentum=momentum)(y))
    y = layers.BatchNormalization(momentum=momentum)(layers.Conv2D(expansion * filters, 1, use_bias=bias)(y))
    shortcut = x
    if project and (stride != 1 or x.shape[-1] != expansion * filters):
        shortcut = layers.BatchNormalization(momentum=momentum)(
            layers.Conv2D(expansion * filters, 1, strides=stride, use_bias=bias)(x))
    return layers.ReLU()(layers.Add()([y, shortcut]))


def test_13_8_right_block_passes(capsys):
    check("13.8", bottleneck_block)
    assert "correct" in capsys.readouterr().out


def test_13_8_an_always_projecting_block_is_told_when_a_projection_is_needed():
    def always(x, filters, stride):
        from keras import layers
        main = layers.Conv2D(filters, 1, use_bias=False)(x)
        main = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(main))
        main = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(main)
        main = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(main))
        main = layers.BatchNormalization(momentum=0.9)(layers.Conv2D(4 * filters, 1, use_bias=False)(main))
        short = layers.BatchNormalization(momentum=0.9)(layers.Conv2D(4 * filters, 1, strides=stride,
                                                                      use_bias=False)(x))
        return layers.ReLU()(layers.Add()([main, short]))
    with pytest.raises(ExerciseFailed, match="exactly when the stride or the number of channels changes"):
        check("13.8", always)


@pytest.mark.parametrize("kwargs, feedback", [
    ({"bias": True}, "have a bias"),
    ({"expansion": 1}, "expands the channels by a factor of 4"),
    ({"momentum": 0.99}, "momentum"),
    ({"project": False}, "projection"),
])
def test_13_8_typical_mistakes_get_feedback(kwargs, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("13.8", lambda x, f, s: bottleneck_block(x, f, s, **kwargs))


def test_13_8_no_shortcut_and_wrong_return_get_feedback():
    from keras import layers

    def plain(x, filters, stride):
        y = layers.Conv2D(4 * filters, 3, strides=stride, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization(momentum=0.9)(y))
    with pytest.raises(ExerciseFailed, match="shortcut is missing"):
        check("13.8", plain)
    with pytest.raises(ExerciseFailed, match="not a 4-D Keras tensor"):
        check("13.8", lambda x, f, s: None)
    with pytest.raises(ExerciseFailed):
        check("13.8", None)
