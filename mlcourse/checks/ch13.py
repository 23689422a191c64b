"""Checks of chapter 13 (landmark architectures): parameters and multiply-accumulates of a convolution,
the parameters of a ResNet basic block with a projection shortcut, the width of a DenseNet block, the
year of LeNet-5, and two things to build: a receptive-field calculator and ResNet-50's bottleneck block."""

from __future__ import annotations

from typing import Any

from mlcourse.exercises import as_number, call_student, exercise, fail

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


# 13.7: receptive field of a stack of (kernel, stride) layers; hidden stacks the notebook does not show
RF_CASES_13 = [
    ([(3, 1), (3, 1)], "two 3x3 convolutions"),
    ([(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)], "two VGG blocks with 2x2 max-pooling"),
    ([(7, 2), (3, 2), (5, 1), (3, 1)], "an AlexNet-like start: 7x7 stride 2, 3x3 pool stride 2, then 5x5 and 3x3"),
    ([(1, 1)], "a single 1x1 convolution"),
    ([(5, 1), (2, 2), (5, 1), (2, 2)], "LeNet-5's C1, S2, C3, S4"),
    ([(3, 2), (3, 2), (3, 2), (3, 1)], "three stride-2 3x3 convolutions and a 3x3 one"),
]


def _receptive_fields(stack: list[tuple[int, int]]) -> dict[str, int]:
    """The right receptive field and the values of typical mistakes."""
    r, jump, r_late = 1, 1, 1
    for k, s in stack:
        r += (k - 1) * jump
        r_late += (k - 1) * jump * s       # the stride applied one layer too early
        jump *= s
    return {"right": r, "no_strides": 1 + sum(k - 1 for k, _ in stack), "sum": sum(k for k, _ in stack),
            "stride_early": r_late, "off_by_one": r - 1}


@exercise("13.7", "code", "the receptive field of a stack of convolutions and poolings")
def _check_13_7(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (receptive_field), not its result.")
    feedback = {
        "no_strides": ("Your function ignores the strides.",
                       "after a stride-2 layer, one step in the next layer covers two input pixels"),
        "sum": ("Adding up the kernel sizes counts the overlap of neighbouring kernels twice.",
                "two stacked 3x3 convolutions see 5x5 pixels, not 6x6"),
        "stride_early": ("A layer's stride only affects the layers after it.",
                         "multiply the step size by the stride after adding this layer's contribution"),
        "off_by_one": ("Off by one: a single 1x1 convolution sees one pixel.", None),
    }
    for stack, what in RF_CASES_13:
        got = call_student(fn, what, list(stack))
        try:
            value = float(got)
        except (TypeError, ValueError):
            fail(f"For {what} your function returned {type(got).__name__}, not a number.")
        values = _receptive_fields(stack)
        if value == values["right"]:
            continue
        for mistake, (message, hint) in feedback.items():
            if value == values[mistake]:
                fail(f"For {what}: {message}", hint)
        fail(f"For {what} the receptive field is not right.",
             "keep two numbers while walking the stack: the field so far and the distance, in input pixels, "
             "between neighbouring positions of the current layer")


# 13.8: ResNet-50's bottleneck block, built by the student, compared with a reference on hidden inputs
BOTTLENECK_CASES_13 = [((14, 14, 64), 16, 1, "a 14x14x64 input, filters=16, stride 1 (identity shortcut)"),
                       ((14, 14, 32), 16, 1, "a 14x14x32 input, filters=16, stride 1 (channels change)"),
                       ((28, 28, 64), 32, 2, "a 28x28x64 input, filters=32, stride 2")]


def _reference_bottleneck(x: Any, filters: int, stride: int) -> Any:
    """1x1 -> 3x3 (stride) -> 1x1 x4, bias-free convolutions with batch norm; projection when the shape changes."""
    from keras import layers

    y = layers.Conv2D(filters, 1, use_bias=False)(x)
    y = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(y))
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(y)
    y = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(y))
    y = layers.BatchNormalization(momentum=0.9)(layers.Conv2D(4 * filters, 1, use_bias=False)(y))
    shortcut = x
    if stride != 1 or x.shape[-1] != 4 * filters:
        shortcut = layers.BatchNormalization(momentum=0.9)(
            layers.Conv2D(4 * filters, 1, strides=stride, use_bias=False)(x))
    return layers.ReLU()(layers.Add()([y, shortcut]))


def _block_model(fn: Any, shape: tuple[int, int, int], filters: int, stride: int, what: str) -> Any:
    """A Keras model around one block built by `fn`, or feedback when building fails."""
    import keras

    x_in = keras.Input(shape)
    out = call_student(fn, what, x_in, filters, stride,
                       hint="if the shapes do not match at the addition, the shortcut needs a projection")
    if not hasattr(out, "shape") or len(out.shape) != 4:
        fail(f"For {what} your function returned {type(out).__name__}, not a 4-D Keras tensor.",
             "return the output tensor of the block")
    return keras.Model(x_in, out)


@exercise("13.8", "code", "ResNet-50's bottleneck block")
def _check_13_8(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (bottleneck_block), not its result.")
    import keras

    for shape, filters, stride, what in BOTTLENECK_CASES_13:
        student = _block_model(fn, shape, filters, stride, what)
        x_in = keras.Input(shape)
        reference = keras.Model(x_in, _reference_bottleneck(x_in, filters, stride))
        want, got = tuple(reference.output.shape[1:]), tuple(student.output.shape[1:])
        if got != want:
            if got[-1] == filters:
                fail(f"For {what} the block outputs {got[-1]} channels.",
                     "the last 1x1 convolution expands the channels by a factor of 4")
            if got[0] != want[0]:
                fail(f"For {what} the output is {got[0]}x{got[1]}.", "which convolution carries the stride?")
            fail(f"For {what} the output shape is {got}, not the block's.")
        names = {type(layer).__name__ for layer in student.layers}
        if "Add" not in names:
            fail(f"For {what} there is no addition: the shortcut is missing.",
                 "add the shortcut to the residual branch")
        convs = [layer for layer in student.layers if type(layer).__name__ == "Conv2D"]
        if any(layer.use_bias for layer in convs):
            fail(f"For {what} some convolutions have a bias.",
                 "a bias right before batch normalisation is redundant: use_bias=False")
        momenta = {round(float(layer.momentum), 6) for layer in student.layers
                   if type(layer).__name__ == "BatchNormalization"}
        if momenta and momenta != {0.9}:
            fail(f"For {what} batch normalisation uses momentum {sorted(momenta)}.", "the course uses 0.9")
        if student.count_params() != reference.count_params():
            n_ref = sum(type(layer).__name__ == "Conv2D" for layer in reference.layers)
            if len(convs) != n_ref:
                fail(f"For {what} the block has {len(convs)} convolutions, where it needs {n_ref}.",
                     "a projection shortcut is needed exactly when the stride or the number of channels changes")
            fail(f"For {what} the block has {student.count_params():,d} parameters, not the bottleneck's.",
                 "check the kernel sizes (1x1, 3x3, 1x1) and that each convolution is followed by batch norm")
        keras.backend.clear_session()
