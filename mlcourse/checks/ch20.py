"""Checks of chapter 20 (scaling up): two things to build, the multiply-accumulates of a Conv2D layer and the
rows each process feeds in data-parallel training, and the fraction of the peak FLOP/s that training reaches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mlcourse.exercises import as_number, call_student, exercise, fail


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """An int or a (rows, cols) pair as a (rows, cols) pair."""
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def _out_size(size: int, k: int, s: int, padding: str, same: str = "ceil", plus_one: bool = True) -> int:
    """The output size along one axis, with switches for the typical mistakes (floor for 'same', no + 1)."""
    if padding == "same":
        return -(-size // s) if same == "ceil" else size // s
    return (size - k) // s + (1 if plus_one else 0)


def _conv_macs(height: int, width: int, c_in: int, c_out: int, kernel: int | tuple[int, int],
               strides: int | tuple[int, int] = 1, padding: str = "same", groups: int = 1, *,
               output: str = "output", same: str = "ceil", plus_one: bool = True, use_groups: str = "divide",
               swap: bool = False, factor: int = 1) -> int:
    """The MACs of one Conv2D layer on one image, with switches for the typical mistakes (input size instead of
    output size, strides ignored, padding ignored, floor for 'same', no + 1 for 'valid', groups ignored or
    counted once, pairs read as (cols, rows), FLOPs instead of MACs)."""
    (kh, kw), (sh, sw) = _pair(kernel), _pair(strides)
    if swap:
        kh, kw, sh, sw = kw, kh, sw, sh
    if output == "no_strides":
        sh = sw = 1
    if output in ("always_same", "always_valid"):
        padding = output.removeprefix("always_")
    if output == "input":
        h_out, w_out = height, width
    else:
        h_out = _out_size(height, kh, sh, padding, same, plus_one)
        w_out = _out_size(width, kw, sw, padding, same, plus_one)
    per_position = kh * kw * c_in * c_out
    if use_groups == "divide":
        per_position //= groups
    elif use_groups == "once":
        per_position //= groups * groups
    return factor * max(h_out, 0) * max(w_out, 0) * per_position


def _macs_cases() -> list[tuple[tuple, str]]:
    """Hidden (arguments of conv2d_macs, description) cases; the first and the 1x1 one leave the defaults out."""
    return [((32, 32, 3, 16, 3), "a 3x3 convolution of a 32x32x3 image with the default arguments"),
            ((28, 28, 16, 32, 3, 2, "same", 1), "a 3x3 'same' convolution with stride 2 on 28x28"),
            ((27, 31, 8, 16, 3, 2, "same", 1), "a 3x3 'same' convolution with stride 2 on an odd 27x31 input"),
            ((50, 35, 4, 8, 5, 3, "same", 1), "a 5x5 'same' convolution with stride 3 on 50x35"),
            ((30, 30, 6, 12, 3, 1, "valid", 1), "a 3x3 'valid' convolution on 30x30"),
            ((29, 23, 3, 8, 4, 3, "valid", 1), "a 4x4 'valid' convolution with stride 3 on 29x23"),
            ((40, 24, 12, 24, (3, 5), (3, 1), "same", 1), "a 3x5 kernel with strides (3, 1), 'same', on 40x24"),
            ((33, 20, 6, 10, (1, 7), (1, 2), "valid", 1), "a 1x7 kernel with strides (1, 2), 'valid', on 33x20"),
            ((16, 16, 32, 64, 3, 1, "same", 4), "a 3x3 convolution in 4 groups, 32 -> 64 channels"),
            ((15, 15, 48, 48, 3, 2, "same", 48), "a depthwise 3x3 convolution (groups = 48) with stride 2 on 15x15"),
            ((14, 14, 64, 128, 1), "a 1x1 convolution, 64 -> 128 channels, with the default arguments"),
            ((7, 7, 256, 10, 7, 1, "valid", 1), "a 7x7 'valid' convolution of a 7x7 input")]


_MACS_MISTAKES = [
    (dict(factor=2), "That counts floating-point operations: two per multiply-accumulate.",
     "return multiply-accumulates, one per weight per output position"),
    (dict(output="input"), "Your count uses the input size: the output has fewer positions when the stride is "
                           "above 1 or the padding is 'valid'.",
     "compute the output height and width from the input size, the kernel, the stride and the padding"),
    (dict(output="no_strides"), "Your function ignores the strides.",
     "a stride of s moves the kernel s pixels at a time, so the output has about 1/s of the positions per axis"),
    (dict(same="floor"), "With 'same' padding and a stride that does not divide the size, your output is one "
                         "row or column short.",
     "'same' pads the input so that a partial last step still gives an output: round the division up"),
    (dict(plus_one=False), "For 'valid' padding your output is one row and one column short.",
     "a kernel as large as the input still has one position; count the first one too"),
    (dict(output="always_same"), "Your function treats 'valid' padding as 'same'.",
     "with 'valid' the kernel must fit inside the input, so the output loses k - 1 rows (columns) before the "
     "stride"),
    (dict(output="always_valid"), "Your function treats 'same' padding as 'valid'.",
     "'same' pads the input, so the kernel size does not shrink the output"),
    (dict(use_groups="ignore"), "Your function ignores groups.",
     "with groups = g each filter sees only c_in / g input channels"),
    (dict(use_groups="once"), "Your count covers one group only.",
     "each of the c_out filters sees c_in / groups input channels: divide c_in (not c_out too) by groups"),
    (dict(swap=True), "Your function reads the kernel and stride pairs the wrong way round.",
     "a pair is (rows, cols): the first number applies to the height, the second to the width"),
]


@exercise("20.1", "code", "the multiply-accumulates of a Conv2D layer, from its output size")
def _check_20_1(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (conv2d_macs), not its result.")
    got, right = [], []
    for args, what in _macs_cases():
        value = call_student(fn, what, *args)
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            fail(f"For {what}, your function returned {type(value).__name__}, not a number.",
                 "return the count of multiply-accumulates as an int")
        if not math.isfinite(number) or number != int(number):
            fail(f"For {what}, your function returned a number that is not a whole number.",
                 "the output height and width are whole numbers of positions: round the division by the stride "
                 "with math.ceil, math.floor or //, and divide the channels by groups with //")
        got.append(int(number))
        right.append(_conv_macs(*args))
    if got == right:
        return
    for change, message, hint in _MACS_MISTAKES:
        if got == [_conv_macs(*args, **change) for args, _ in _macs_cases()]:
            fail(message, hint)
    for (args, what), mine, want in zip(_macs_cases(), got, right):
        if mine == want:
            continue
        for change, message, hint in _MACS_MISTAKES:
            if mine == _conv_macs(*args, **change):
                fail(f"For {what}: {message}", hint)
        fail(f"Wrong count for {what}.",
             "MACs = output height * output width * c_out * (kernel height * kernel width * c_in / groups)")


def _shards(n_samples: int, global_batch: int, num_processes: int, process_id: int,
            layout: str = "contiguous") -> np.ndarray:
    """The rows process `process_id` feeds, with switches for the typical mistakes (strided shards with or without
    the remainder, one chunk of the dataset per process, a block one row too long, a block shifted by one)."""
    steps, block = n_samples // global_batch, global_batch // num_processes
    if layout == "strided":
        return np.arange(n_samples)[process_id::num_processes]
    if layout == "strided_drop":
        return np.arange(steps * global_batch)[process_id::num_processes]
    if layout == "chunk":
        return np.arange(steps * global_batch).reshape(num_processes, -1)[process_id]
    extra, shift = (1, 0) if layout == "inclusive" else (1, 1) if layout == "shift" else (0, 0)
    rows = [np.arange(k * global_batch + process_id * block + shift, k * global_batch + (process_id + 1) * block
                      + extra) for k in range(steps)]
    return np.concatenate(rows) if rows else np.arange(0)


def _shard_cases() -> list[tuple[int, int, int, str]]:
    """Hidden (n_samples, global_batch, num_processes, description) cases."""
    return [(100, 20, 4, "100 samples, global batch 20, 4 processes"),
            (103, 12, 3, "103 samples, global batch 12, 3 processes (the last global batch is incomplete)"),
            (50, 16, 1, "50 samples, global batch 16, a single process"),
            (70, 16, 2, "70 samples, global batch 16, 2 processes"),
            (1000, 64, 8, "1000 samples, global batch 64, 8 processes"),
            (10, 16, 2, "10 samples, fewer than one global batch of 16, 2 processes"),
            (37, 4, 4, "37 samples, global batch 4, 4 processes (one row per process and step)")]


_SHARD_MISTAKES = [
    ("strided_drop", "These are strided shards (every num_processes-th row): a valid layout, but not the "
                     "contiguous one asked for.",
     "in each step, process p takes one contiguous block of global_batch // num_processes rows of the global batch"),
    ("strided", "These are strided shards (every num_processes-th row), which also keep the incomplete last "
                "global batch: not the contiguous layout asked for.",
     "in each step, process p takes one contiguous block of global_batch // num_processes rows of the global batch"),
    ("chunk", "Each process got one contiguous chunk of the whole dataset, so a step's global batch is not the "
              "one of the single-device run.",
     "split each global batch, not the dataset: in step k, process p takes the p-th block of global batch k"),
    ("inclusive", "Off by one: each block has one row too many.",
     "np.arange(start, stop) stops before stop; a block has exactly global_batch // num_processes rows"),
    ("shift", "Off by one: each block starts one row too late.",
     "the first block of the first step starts at row 0"),
]


def _student_shards(fn: Any, n: int, batch: int, procs: int, what: str) -> list[np.ndarray]:
    """The student's shards of every process for one case, checked to be 1-D integer arrays."""
    empty_hint = "with fewer samples than one global batch there is no full step: return an empty array" \
        if n < batch else None
    shards = []
    for p in range(procs):
        got = call_student(fn, f"{what}, process {p}", n, batch, procs, p, hint=empty_hint)
        if got is None:
            fail(f"For {what}, process {p}, your function returned None; return the array of row indices.")
        got = np.asarray(got)
        if got.ndim != 1:
            fail(f"For {what}, process {p}, the indices should be a 1-D array; got {got.ndim} dimensions.")
        if got.dtype.kind not in "iu":
            fail(f"For {what}, process {p}, the indices should be an integer array; got dtype {got.dtype}.",
                 "np.array([]) and an empty list are float: use np.array([], dtype=int) or np.arange(0)"
                 if got.size == 0 else "build the indices with integer arithmetic (np.arange, //)")
        shards.append(got.astype(np.int64))
    return shards


def _shard_behaviour(shards: list[np.ndarray], n: int, batch: int, what: str) -> None:
    """Feedback from what the shards do: equal lengths, no incomplete batch, each step's blocks form its batch."""
    procs, steps = len(shards), n // batch
    if len({len(s) for s in shards}) > 1:
        fail(f"For {what}, the processes feed different numbers of rows.",
             "every process must run the same number of steps, or the others wait forever in the gradient "
             "all-reduce: drop the incomplete last global batch")
    if any(len(s) and (s.max() >= steps * batch or s.min() < 0) for s in shards):
        fail(f"For {what}, some rows come from the incomplete last global batch (or lie outside the data).",
             "drop the incomplete last global batch: every process must run the same number of full steps")
    block = batch // procs
    if len(shards[0]) != steps * block:
        fail(f"For {what}, each process should feed one block of global_batch // num_processes rows per full "
             "global batch.", "count the full global batches with //, and give each process one block of each")
    for k in range(steps):
        together = np.concatenate([s[k * block:(k + 1) * block] for s in shards])
        if np.array_equal(together, np.arange(k * batch, (k + 1) * batch)):
            continue
        if np.array_equal(np.sort(together), np.arange(k * batch, (k + 1) * batch)):
            fail(f"For {what}, step {k} feeds the right rows, but not as contiguous blocks in process order.",
                 "process p's block comes right after those of processes 0 ... p - 1 in the global batch")
        fail(f"For {what}, the blocks of step {k} of all processes, put together, are not the global batch of "
             f"step {k} of the single-device run.",
             "step k of the single-device run takes the global_batch consecutive rows that start at row "
             "k * global_batch")


def _raises_value_error(fn: Any, args: tuple[int, int, int, int], what: str, hint: str) -> None:
    """Feedback unless the student's function raises ValueError on `args`."""
    try:
        fn(*args)
    except ValueError:
        return
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - any other error of the student's code is feedback, not a crash
        fail(f"For {what}, your function raised {type(err).__name__}, not ValueError.", hint)
    fail(f"For {what}, your function returned instead of raising ValueError.", hint)


@exercise("20.2", "code", "the rows each process feeds in data-parallel training")
def _check_20_2(fn: Any) -> None:
    if not callable(fn):
        fail("Pass the function itself (contiguous_shards), not its result.")
    for n, batch, procs, what in _shard_cases():
        shards = _student_shards(fn, n, batch, procs, what)
        if all(np.array_equal(s, _shards(n, batch, procs, p)) for p, s in enumerate(shards)):
            continue
        for layout, message, hint in _SHARD_MISTAKES:
            if all(np.array_equal(s, _shards(n, batch, procs, p, layout)) for p, s in enumerate(shards)):
                fail(f"For {what}: {message}", hint)
        _shard_behaviour(shards, n, batch, what)
        fail(f"Wrong rows for {what}.",
             "in step k, process p feeds rows k * global_batch + p * b up to, not including, "
             "k * global_batch + (p + 1) * b, with b = global_batch // num_processes")
    _raises_value_error(fn, (100, 10, 3, 0), "a global batch of 10 on 3 processes",
                        "when global_batch is not divisible by num_processes the processes cannot take equal "
                        "blocks: raise ValueError")
    for p in (4, -1):
        _raises_value_error(fn, (100, 16, 4, p), f"process_id = {p} with 4 processes",
                            "process_id must be one of 0, ..., num_processes - 1: raise ValueError otherwise")


# 20.3: a CNN of M MACs per image, a training step of 3 forward passes, a 100 GFLOP/s peak, 2000 images/s
MACS_20, PASSES_20, PEAK_20, RATE_20 = 5.0e6, 3, 100e9, 2000


def _fraction(flops_per_mac: int = 2, passes: int = PASSES_20) -> float:
    """The fraction of the peak that training reaches, with switches for the typical mistakes."""
    return flops_per_mac * passes * MACS_20 * RATE_20 / PEAK_20


@exercise("20.3", "numeric", "the fraction of the matrix-multiply peak that training reaches")
def _check_20_3(answer: Any) -> None:
    value = as_number(answer, "20.3")
    if abs(value - _fraction()) <= 1e-3:
        return
    if abs(value - 100 * _fraction()) <= 0.1:
        fail("That looks like a percentage.", "give a fraction between 0 and 1, not a percentage")
    mac = "one MAC is a multiplication and an addition"
    passes = "a training step costs more than one forward pass"
    for number, hint in ((_fraction(flops_per_mac=1), mac), (_fraction(passes=1), passes),
                         (_fraction(flops_per_mac=1, passes=1), f"{mac}; and {passes}")):
        if abs(value - number) <= 1e-3:
            fail("Not the fraction of the peak that training reaches.", hint)
    if value > 0 and abs(1 / value - _fraction()) <= 1e-3:
        fail("That is the peak divided by what training reaches.", "the fraction is achieved FLOP/s / peak FLOP/s")
    if value > 1:
        fail("A fraction of the peak cannot be above 1.",
             "write FLOP/s achieved = 2 × 3 × M × images/s, then divide by the peak (1 GFLOP/s = 1e9 FLOP/s)")
    fail("Not the fraction of the peak that training reaches.",
         "write FLOP/s achieved = 2 × 3 × M × images/s, then divide by the peak (1 GFLOP/s = 1e9 FLOP/s)")
