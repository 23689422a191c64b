"""Checks of chapter 13 (landmark architectures): parameters and multiply-accumulates of a convolution,
the parameters of a ResNet basic block with a projection shortcut, the width of a DenseNet block, and
the year of LeNet-5."""

from __future__ import annotations

from typing import Any

from mlcourse.exercises import as_number, exercise, fail

# 13.1 and 13.2: Conv2D(128, 3x3) with bias on a 64-channel input, 14x14 output ("same" padding, stride 1)
K_13, C_IN_13, C_OUT_13, HW_13 = 3, 64, 128, 14
CONV_WEIGHTS_13 = K_13 * K_13 * C_IN_13 * C_OUT_13
# 13.3: basic block 64 -> 128 channels, stride 2, bias-free convolutions, batch norm after each conv
C_IN_BLOCK, C_OUT_BLOCK = 64, 128
# 13.4: dense block on 24 channels, 6 layers of growth rate 12
K0_13, LAYERS_13, GROWTH_13 = 24, 6, 12


def _is(value: float, target: float) -> bool:
    """Exact for integers given as floats, with a little room for rounding."""
    return abs(value - target) <= 0.5


@exercise("13.1", "numeric", "parameters of a 3x3 convolution with 128 filters on 64 channels")
def _check_13_1(answer: Any) -> None:
    value = as_number(answer, "13.1")
    right = CONV_WEIGHTS_13 + C_OUT_13
    if _is(value, right):
        return
    if _is(value, CONV_WEIGHTS_13):
        fail("Close: that counts the kernel weights only.", "a Conv2D layer with use_bias=True has one bias per filter")
    if _is(value, K_13 * K_13 * C_OUT_13 + C_OUT_13) or _is(value, K_13 * K_13 * C_OUT_13):
        fail("Each filter sees all input channels, not just one.",
             "a 3x3 filter on a 64-channel input has 3*3*64 weights")
    if _is(value, CONV_WEIGHTS_13 + C_IN_13):
        fail("There is one bias per filter (output channel), not per input channel.")
    if _is(value, HW_13 * HW_13 * CONV_WEIGHTS_13) or _is(value, HW_13 * HW_13 * (CONV_WEIGHTS_13 + C_OUT_13)):
        fail("The weights are shared across positions: the image size does not enter the parameter count.")
    fail("Not the right count.", "count the weights of one filter, multiply by the number of filters, add the biases")


@exercise("13.2", "numeric", "multiply-accumulates of that convolution on a 14x14 output")
def _check_13_2(answer: Any) -> None:
    value = as_number(answer, "13.2")
    right = HW_13 * HW_13 * CONV_WEIGHTS_13
    if abs(value - right) <= 1e-6 * right:
        return
    if abs(value - 2 * right) <= 1e-6 * right:
        fail("That is the number of floating-point operations (a multiply and an add each).",
             "the exercise asks for multiply-accumulates, one per weight per output position")
    if _is(value, CONV_WEIGHTS_13 + C_OUT_13) or _is(value, CONV_WEIGHTS_13):
        fail("That is the parameter count: every weight is used once at every output position.")
    if abs(value - 28 * 28 * CONV_WEIGHTS_13) <= 1e-6 * right:
        fail("Count output positions: the layer's output is 14x14.")
    if abs(value - HW_13 * HW_13 * K_13 * K_13 * C_OUT_13) <= 1e-6 * right:
        fail("Each output value sums over all input channels too.", "one output value costs 3*3*64 MACs")
    fail("Not the right number.",
         "MACs = output height * output width * output channels * (kernel height * kernel width * input channels)")


@exercise("13.3", "numeric", "parameters of a basic block with a projection shortcut")
def _check_13_3(answer: Any) -> None:
    value = as_number(answer, "13.3")
    conv1 = 9 * C_IN_BLOCK * C_OUT_BLOCK
    conv2 = 9 * C_OUT_BLOCK * C_OUT_BLOCK
    proj = C_IN_BLOCK * C_OUT_BLOCK
    bn = 4 * C_OUT_BLOCK
    right = conv1 + conv2 + proj + 3 * bn
    if _is(value, right):
        return
    if _is(value, conv1 + conv2 + 2 * bn):
        fail("The projection shortcut is missing.",
             "when the width changes, the shortcut is a 1x1 convolution followed by batch norm")
    if _is(value, conv1 + conv2 + proj + 2 * bn):
        fail("Nearly: the projection has its own batch normalisation too.")
    if _is(value, conv1 + conv2 + proj):
        fail("The batch normalisation layers are missing.",
             "count_params() counts 4 numbers per channel for each of them")
    if _is(value, right - 3 * 2 * C_OUT_BLOCK):
        fail("That is the trainable count; count_params() also counts the moving mean and variance.")
    if _is(value, conv1 + conv2 + proj + 3 * bn + 3 * C_OUT_BLOCK):
        fail("The convolutions of the block have no bias (use_bias=False): batch norm supplies the shift.")
    if _is(value, 2 * 9 * C_IN_BLOCK * C_OUT_BLOCK + proj + 3 * bn):
        fail("The second convolution sees 128 input channels, not 64.")
    fail("Not the right count.",
         "add up conv1 (3x3, 64->128), conv2 (3x3, 128->128), the 1x1 projection and three batch norms")


@exercise("13.4", "numeric", "channels at the output of a dense block")
def _check_13_4(answer: Any) -> None:
    value = as_number(answer, "13.4")
    right = K0_13 + LAYERS_13 * GROWTH_13
    if _is(value, right):
        return
    if _is(value, LAYERS_13 * GROWTH_13):
        fail("The block's input channels are missing.",
             "a dense block concatenates its input with every new layer's output")
    if _is(value, GROWTH_13) or _is(value, K0_13 + GROWTH_13):
        fail("Each layer adds its new channels to all that came before.",
             "the width grows by the growth rate at every layer")
    if _is(value, right // 2):
        fail("That is after a transition layer with compression 0.5; the question asks at the block's output.")
    if _is(value, K0_13 * 2 ** LAYERS_13):
        fail("The width grows linearly, not by doubling.")
    fail("Not the right number.", "start from the input channels and add the growth rate once per layer")


@exercise("13.5", "choice", "when LeNet-5 was published")
def _check_13_5(answer: Any) -> None:
    choice = str(answer).strip().strip("()").lower()
    if choice not in ("a", "b", "c", "d"):
        fail(f"{answer!r} is not one of the letters a, b, c, d.")
    if choice == "a":
        fail("1989 is the year of LeCun's first convolutional network for handwritten ZIP codes, not of LeNet-5.")
    if choice == "b":
        fail("1990 is when the early network was presented at NIPS; the seven-layer LeNet-5 came later.",
             "look at the reference list: which paper describes LeNet-5?")
    if choice == "d":
        fail("2012 is AlexNet, which revived convolutional networks on ImageNet.")
