"""Checks of chapter 11 (convolutional networks): the output size of a convolution, the parameters of a
Conv2D layer, the receptive field of a stack of layers, and a 'valid' 2-D cross-correlation."""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail

# 11.1: ResNet's stem on ImageNet: n = 224, k = 7, s = 2, p = 3.
N_11_1, K_11_1, S_11_1, P_11_1 = 224, 7, 2, 3
# 11.2: Conv2D(64, 3) with biases on 32 input channels.
K_11_2, C_IN_11_2, C_OUT_11_2 = 3, 32, 64
# 11.3: (kernel, stride) of conv, conv, max-pool, conv, conv (stride 2), conv.
STACK_11_3 = ((3, 1), (3, 1), (2, 2), (3, 1), (3, 2), (3, 1))


def _receptive_field(stack: tuple[tuple[int, int], ...], own_stride: bool = False) -> int:
    """r_l = r_{l-1} + (k_l - 1) * product of the strides before layer l (or up to and including it)."""
    r, jump = 1, 1
    for k, s in stack:
        if own_stride:
            jump *= s
        r += (k - 1) * jump
        if not own_stride:
            jump *= s
    return r


def _whole_number(answer: Any, id: str) -> float:
    """The answer as a number, with feedback when it is not a whole number."""
    value = as_number(answer, id)
    if not np.isfinite(value) or value != round(value):
        fail(f"Exercise {id}: expected a whole number, got {value}.", "sizes and counts are integers")
    return value


@exercise("11.1", "numeric", "output size of ResNet's 7x7 stride-2 stem on a 224x224 image")
def _check_11_1(answer: Any) -> None:
    n, k, s, p = N_11_1, K_11_1, S_11_1, P_11_1
    right = (n + 2 * p - k) // s + 1
    if isinstance(answer, (float, np.floating)) and abs(float(answer) - ((n + 2 * p - k) / s + 1)) < 1e-9:
        fail("Your answer is not a whole number: the division by the stride needs rounding down.",
             "a kernel position that sticks out beyond the padded image does not count")
    value = _whole_number(answer, "11.1")
    if value == right:
        return
    if value == (n + 2 * p - k + s - 1) // s + 1:
        fail("You rounded up; the formula rounds down.",
             "a kernel position that sticks out beyond the padded image does not count")
    if value == (n - k) // s + 1:
        fail("You left out the padding.", "the padding is added on both sides of the image")
    if value == (n + p - k) // s + 1 or value == (n + 2 * p - k) // s:
        fail("Close: check the padding (it is added on both sides) and the +1 for the first kernel position.")
    if value == n + 2 * p - k + 1:
        fail("You ignored the stride.", "the kernel jumps by the stride between positions")
    fail("Not the right output size.", "use floor((n + 2p - k) / s) + 1")


@exercise("11.2", "numeric", "parameters of a Conv2D(64, 3) layer on 32 input channels")
def _check_11_2(answer: Any) -> None:
    k, c_in, c_out = K_11_2, C_IN_11_2, C_OUT_11_2
    value = _whole_number(answer, "11.2")
    right = k * k * c_in * c_out + c_out
    if value == right:
        return
    if value == k * k * c_in * c_out:
        fail("The biases are missing.", "Conv2D adds one bias per kernel by default")
    if value in (k * k * c_out + c_out, k * k * c_out):
        fail("Each kernel spans all input channels, not just one.",
             "a 3x3 kernel on a 32-channel input has 3 x 3 x 32 weights")
    if value in (k * k * c_in * c_out + c_in, k * k * c_in + c_out, k * k * c_in + c_in):
        fail("Check which count the biases follow and how many kernels there are.",
             "there is one bias per output channel (kernel)")
    fail("Not the right number of parameters.",
         "count the weights of one kernel (height x width x input channels), multiply by the number of kernels, "
         "then add the biases")


@exercise("11.3", "numeric", "receptive field of a stack of convolutions and a pooling layer")
def _check_11_3(answer: Any) -> None:
    value = _whole_number(answer, "11.3")
    right = _receptive_field(STACK_11_3)
    if value == right:
        return
    if value == _receptive_field(STACK_11_3, own_stride=True):
        fail("You multiplied by the layer's own stride too.",
             "a layer's stride only spreads out the positions seen by the layers after it")
    if value == 1 + sum(k - 1 for k, _ in STACK_11_3):
        fail("You ignored the strides.", "after a stride-2 layer, one step in the next layer covers 2 input pixels")
    if value == _receptive_field(tuple(layer for layer in STACK_11_3 if layer != (2, 2))):
        fail("You left out the pooling layer.", "a 2x2 pooling window also widens the receptive field")
    fail("Not the right receptive field.", "use r_l = r_{l-1} + (k_l - 1) x (product of the strides before layer l), "
         "starting from r_0 = 1")


def _reference_cross_correlation(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'valid' cross-correlation S(i, j) = sum_m sum_n I(i + m, j + n) K(m, n)."""
    kh, kw = kernel.shape
    oh, ow = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((oh, ow))
    for m in range(kh):
        for n in range(kw):
            out += kernel[m, n] * image[m:m + oh, n:n + ow]
    return out


def _cases_11_4() -> list[tuple[np.ndarray, np.ndarray]]:
    """Random images and kernels, square and not, plus a 1x1 kernel and a kernel as large as the image."""
    rng = np.random.default_rng(11)
    shapes = [((6, 6), (3, 3)), ((7, 9), (2, 3)), ((8, 5), (4, 2)), ((5, 5), (1, 1)), ((4, 6), (4, 6))]
    return [(rng.normal(size=i), rng.normal(size=k)) for i, k in shapes]


@exercise("11.4", "code", "a 'valid' 2-D cross-correlation in NumPy")
def _check_11_4(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (my_cross_correlation), not its result.")
    for image, kernel in _cases_11_4():
        what = f"a {image.shape[0]}x{image.shape[1]} image and a {kernel.shape[0]}x{kernel.shape[1]} kernel"
        got = call_student(fn, what, image.copy(), kernel.copy())
        if got is None:
            fail("Your function returned None.", "return the output array")
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            fail(f"For {what} your function did not return an array of numbers.")
        right = _reference_cross_correlation(image, kernel)
        if got.shape != right.shape:
            fail(f"For {what} the output has shape {got.shape}, expected {right.shape}.",
                 "in 'valid' mode the kernel must fit entirely inside the image: (H - kh + 1) x (W - kw + 1)")
        if np.allclose(got, right, rtol=1e-7, atol=1e-9):
            continue
        if np.allclose(got, _reference_cross_correlation(image, kernel[::-1, ::-1]), rtol=1e-7, atol=1e-9):
            fail("Your function flips the kernel: that is a convolution, not a cross-correlation.",
                 "use I(i + m, j + n), not I(i - m, j - n)")
        if kernel.shape[0] == kernel.shape[1] and np.allclose(
                got, _reference_cross_correlation(image, kernel.T), rtol=1e-7, atol=1e-9):
            fail("Your function uses the transposed kernel.", "K(m, n) multiplies I(i + m, j + n): m is the row offset")
        fail(f"Wrong values for {what}.",
             "each output value is the sum of the element-wise product of the kernel and the window under it")
