"""Checks of chapter 20: right answers pass, typical wrong ones fail with the hint meant for them and never the
answer, a missing answer or a stub says it is not written yet, and the MACs reference agrees with Keras."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mlcourse.checks import ch20
from mlcourse.exercises import EXERCISES, ExerciseFailed, check

# ----------------------------------------------------------------------------- 20.1 conv2d_macs


def conv2d_macs(height, width, c_in, c_out, kernel, strides=1, padding="same", groups=1, *, ignore_stride=False,
                input_size=False, floor_same=False, no_plus_one=False, no_groups=False, flops=False, one_group=False,
                swap=False, valid_as_same=False, unrounded=False):
    """A student's conv2d_macs with switches for the mistakes the check recognises."""
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    if swap:
        kh, kw, sh, sw = kw, kh, sw, sh
    if ignore_stride:
        sh = sw = 1
    if valid_as_same:
        padding = "same"
    if input_size:
        h_out, w_out = height, width
    elif padding == "same":
        rounding = (lambda v: v) if unrounded else math.floor if floor_same else math.ceil
        h_out, w_out = rounding(height / sh), rounding(width / sw)
    elif padding == "valid":
        h_out, w_out = (height - kh) // sh + (0 if no_plus_one else 1), (width - kw) // sw + (0 if no_plus_one else 1)
    else:
        raise ValueError(f"unknown padding {padding!r}")
    per_filter = kh * kw * c_in if no_groups else kh * kw * c_in // groups
    filters = c_out // groups if one_group else c_out
    return (2 if flops else 1) * h_out * w_out * filters * per_filter


def conv2d_macs_numpy(height, width, c_in, c_out, kernel, strides=1, padding="same", groups=1):
    """Another right form: NumPy pairs, -(-h // s) for 'same', ceil((h - k + 1) / s) for 'valid', a NumPy int."""
    k, s, size = np.broadcast_to(kernel, 2), np.broadcast_to(strides, 2), np.array([height, width])
    out = -(-size // s) if padding == "same" else np.ceil((size - k + 1) / s).astype(int)
    return np.prod(out) * c_out * np.prod(k) * (c_in // groups)


def _case_args(args):
    """A hidden case's arguments with the defaults filled in."""
    return tuple(args) + (1, "same", 1)[len(args) - 5:]


RIGHT_MACS = {ch20._conv_macs(*args) for args, _ in ch20._macs_cases()}


def assert_no_macs_answer(message):
    for value in RIGHT_MACS:
        assert str(value) not in message and f"{value:,}" not in message, value


def test_chapter_20_exercises_are_registered():
    from mlcourse.exercises import _load_chapter

    _load_chapter("20.1")
    assert {"20.1", "20.2", "20.3"} <= set(EXERCISES)
    assert [EXERCISES[k].kind for k in ("20.1", "20.2", "20.3")] == ["code", "code", "numeric"]


def test_right_conv2d_macs_pass(capsys):
    check("20.1", conv2d_macs)
    check("20.1", conv2d_macs_numpy)
    check("20.1", lambda *a: float(conv2d_macs(*a)))
    assert capsys.readouterr().out.count("correct") == 3


def test_the_hidden_cases_cover_what_the_exercise_names():
    cases = [_case_args(args) for args, _ in ch20._macs_cases()]
    assert any(p == "same" and s in (2, 3) and h % s for h, _, _, _, _, s, p, _ in cases)      # odd size, stride
    assert any(p == "valid" and s == 3 for *_, s, p, _ in cases)
    assert any(isinstance(k, tuple) and k[0] != k[1] for _, _, _, _, k, *_ in cases)
    assert any(isinstance(s, tuple) and s[0] != s[1] for *_, s, _, _ in cases)
    assert any(g > 1 for *_, g in cases) and any(k == 1 for _, _, _, _, k, *_ in cases)
    assert any(p == "valid" and k == h == w for h, w, _, _, k, _, p, _ in cases)


def test_the_macs_reference_agrees_with_keras_layers():
    import keras

    for args, what in ch20._macs_cases():
        h, w, c_in, c_out, kernel, strides, padding, groups = _case_args(args)
        layer = keras.layers.Conv2D(c_out, kernel, strides=strides, padding=padding, groups=groups, use_bias=False)
        _, h_out, w_out, channels = layer(keras.Input((h, w, c_in))).shape
        assert channels == c_out, what
        assert h_out * w_out * layer.count_params() == ch20._conv_macs(*args), what   # weights used per position


def test_the_output_sizes_agree_with_a_real_keras_convolution():
    import keras

    for h, w, c_in, kernel, strides, padding in ((27, 31, 2, 3, 2, "same"), (29, 23, 2, 4, 3, "valid"),
                                                 (40, 24, 2, (3, 5), (3, 1), "same")):
        y = keras.layers.Conv2D(1, kernel, strides=strides, padding=padding)(np.zeros((1, h, w, c_in), "float32"))
        kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
        sh, sw = (strides, strides) if isinstance(strides, int) else strides
        assert tuple(y.shape[1:3]) == (ch20._out_size(h, kh, sh, padding), ch20._out_size(w, kw, sw, padding))


@pytest.mark.parametrize("mistake, feedback", [
    ("input_size", "uses the input size"),
    ("ignore_stride", "ignores the strides"),
    ("floor_same", "one row or column short"),
    ("no_plus_one", "'valid' padding your output is one row and one column short"),
    ("no_groups", "ignores groups"),
    ("one_group", "one group only"),
    ("flops", "floating-point operations"),
    ("swap", "wrong way round"),
    ("valid_as_same", "treats 'valid' padding as 'same'"),
    ("unrounded", "not a whole number"),
])
def test_typical_macs_mistakes_get_their_hint(mistake, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("20.1", lambda *a: conv2d_macs(*a, **{mistake: True}))
    assert err.value.hint
    assert_no_macs_answer(str(err.value))


def test_two_mistakes_at_once_are_named_on_the_first_case_they_show_in():
    with pytest.raises(ExerciseFailed, match=r"For a 3x3 'same' convolution with stride 2 on an odd 27x31 input: "
                                             "With 'same'") as err:
        check("20.1", lambda *a: conv2d_macs(*a, floor_same=True, no_groups=True))
    assert_no_macs_answer(str(err.value))


@pytest.mark.parametrize("answer, feedback", [
    (lambda *a: conv2d_macs(*a) + 1, "Wrong count for a 3x3 convolution of a 32x32x3 image"),
    (lambda *a: "many", "returned str, not a number"),
    (lambda *a: None, "returned NoneType, not a number"),
    (lambda h, w, c_in, c_out, kernel: conv2d_macs(h, w, c_in, c_out, kernel), "raised TypeError"),
    (lambda *a: conv2d_macs(*a[:4], a[4] if isinstance(a[4], int) else a[4][0], *a[5:]), "Wrong count|raised"),
    (conv2d_macs(32, 32, 3, 16, 3), "function itself"),
])
def test_other_wrong_macs_answers_get_feedback(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("20.1", answer)
    assert_no_macs_answer(str(err.value))


# ----------------------------------------------------------------------------- 20.2 contiguous_shards


def contiguous_shards(n_samples, global_batch, num_processes, process_id):
    if global_batch % num_processes:
        raise ValueError("global_batch must be divisible by num_processes")
    if not 0 <= process_id < num_processes:
        raise ValueError("process_id must be in range(num_processes)")
    block = global_batch // num_processes
    starts = np.arange(n_samples // global_batch) * global_batch + process_id * block
    return (starts[:, None] + np.arange(block)).ravel()


def contiguous_shards_int32(n_samples, global_batch, num_processes, process_id):
    """Another right form: reshape the rows of the full global batches, as int32."""
    if global_batch % num_processes or process_id not in range(num_processes):
        raise ValueError("bad arguments")
    steps = n_samples // global_batch
    rows = np.arange(steps * global_batch, dtype=np.int32).reshape(steps, num_processes, global_batch // num_processes)
    return rows[:, process_id].reshape(-1)


def guarded(rows):
    """A function that checks its arguments as asked and returns `rows(n, B, P, p)` (a wrong layout)."""
    def shards(n, batch, procs, p):
        if batch % procs or not 0 <= p < procs:
            raise ValueError("bad arguments")
        return rows(n, batch, procs, p)
    return shards


def blocks(n, batch, procs, p, steps=None, order=lambda p, procs: p, step=None, start=0, extra=0):
    """Rows of a block layout with switches: how many steps, the block of which process, where a step starts."""
    b, steps = batch // procs, n // batch if steps is None else steps
    out = [np.arange(s, s + b + extra) + start
           for s in ((k * batch if step is None else step(k, b)) + order(p, procs) * b for k in range(steps))]
    return np.concatenate(out).astype(int) if out else np.arange(0)


def kept_last(n, batch, procs, p):
    """Keeps the incomplete last global batch, split between the processes as far as it goes."""
    b = batch // procs
    rows = [np.arange(k * batch + p * b, min(k * batch + (p + 1) * b, n)) for k in range(math.ceil(n / batch))]
    return np.concatenate([r for r in rows if len(r)] or [np.arange(0)])


def assert_no_rows(message):
    assert not re.search(r"\[\s*\d|\d+, \d+, \d+", message), message     # no rows printed


def test_right_shards_pass(capsys):
    check("20.2", contiguous_shards)
    check("20.2", contiguous_shards_int32)
    check("20.2", lambda *a: list(contiguous_shards(*a)) if a[0] >= a[1] else np.array([], dtype=int))
    assert capsys.readouterr().out.count("correct") == 3


def test_the_hidden_shard_cases_cover_what_the_exercise_names():
    cases = ch20._shard_cases()
    assert {procs for _, _, procs, _ in cases} >= {1, 2, 3, 4, 8}
    assert any(n % batch == 0 for n, batch, _, _ in cases) and any(n % batch for n, batch, _, _ in cases)
    assert any(n < batch for n, batch, _, _ in cases) and any(batch == procs for _, batch, procs, _ in cases)


def test_the_shard_reference_rebuilds_every_global_batch():
    for n, batch, procs, _ in ch20._shard_cases():
        shards = [ch20._shards(n, batch, procs, p) for p in range(procs)]
        assert len({len(s) for s in shards}) == 1
        b = batch // procs
        for k in range(n // batch):
            together = np.concatenate([s[k * b:(k + 1) * b] for s in shards])
            np.testing.assert_array_equal(together, np.arange(k * batch, (k + 1) * batch))
        assert sum(len(s) for s in shards) == n // batch * batch


@pytest.mark.parametrize("answer, feedback", [
    (guarded(lambda n, batch, procs, p: np.arange(n // batch * batch)[p::procs]), "strided shards"),
    (guarded(lambda n, batch, procs, p: np.arange(n)[p::procs]), "strided shards"),
    (guarded(lambda n, batch, procs, p: np.array_split(np.arange(n // batch * batch), procs)[p]),
     "one contiguous chunk of the whole dataset"),
    (guarded(lambda *a: blocks(*a, extra=1)), "one row too many"),
    (guarded(lambda *a: blocks(*a, start=1)), "starts one row too late"),
    (guarded(kept_last), "different numbers of rows"),
    (guarded(lambda n, batch, procs, p: blocks(n, batch, procs, p, steps=-(-n // batch))), "incomplete last global"),
    (guarded(lambda *a: blocks(*a, order=lambda p, procs: procs - 1 - p)), "not as contiguous blocks in process "
                                                                            "order"),
    (guarded(lambda *a: blocks(*a, step=lambda k, b: k * b)), "are not the global batch of step 1"),
    (guarded(lambda *a: blocks(*a)[::2]), "one block of global_batch // num_processes rows"),
    (guarded(lambda *a: contiguous_shards(*a).astype(float)), "integer array"),
    (guarded(lambda *a: np.array(list(contiguous_shards(*a)))), "np.array\\(\\[\\]\\) and an empty list are float"),
    (guarded(lambda *a: contiguous_shards(*a).reshape(1, -1)), "1-D array"),
    (guarded(lambda *a: None), "returned None"),
    (lambda n, batch, procs, p: contiguous_shards(n, batch - batch % procs, procs, p), "returned instead of raising"),
    (lambda n, batch, procs, p: (assert_divisible(batch, procs), contiguous_shards(n, batch, procs, p))[1],
     "raised AssertionError, not ValueError"),
    (lambda n, batch, procs, p: contiguous_shards(n, batch, procs, p % procs), "process_id = 4"),
    (lambda n, batch, procs, p: contiguous_shards(n, batch, procs, max(p, 0)), "process_id = -1"),
    (lambda n, batch, procs, p: contiguous_shards(n, batch, procs, p) if n >= batch else 1 / 0, "empty array"),
    (contiguous_shards(100, 20, 4, 0), "function itself"),
])
def test_typical_shard_mistakes_get_their_hint(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("20.2", answer)
    assert_no_rows(str(err.value))


def assert_divisible(batch, procs):
    assert batch % procs == 0, "not divisible"


def test_a_reversed_process_order_is_named_with_a_hint():
    with pytest.raises(ExerciseFailed) as err:
        check("20.2", guarded(lambda *a: blocks(*a, order=lambda p, procs: procs - 1 - p)))
    assert "processes 0 ... p - 1" in err.value.hint


# ----------------------------------------------------------------------------- 20.3 fraction of peak


def test_the_fraction_of_peak_passes(capsys):
    answer_20_3 = 2 * 3 * 5.0e6 * 2000 / 100e9
    for answer in (answer_20_3, 3 / 5, answer_20_3 + 4e-4, np.float64(answer_20_3)):
        check("20.3", answer)
    assert capsys.readouterr().out.count("correct") == 4


@pytest.mark.parametrize("answer, feedback", [
    (60, "not a percentage"),
    (60.0, "not a percentage"),
    (0.3, "multiplication and an addition"),
    (0.2, "more than one forward pass"),
    (0.1, "multiplication and an addition; and a training step costs more than one forward pass"),
    (1 / 0.6, "peak divided by"),
    (1.2, "cannot be above 1"),
    (0.45, "2 × 3 × M × images/s"),
    ("fast", "expected a single number"),
])
def test_wrong_fractions_get_their_hint(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("20.3", answer)
    message = str(err.value)
    assert "0.6" not in message and "60" not in message and "3/5" not in message and "3 / 5" not in message


# ----------------------------------------------------------------------------- missing answers and stubs


@pytest.mark.parametrize("id", ["20.1", "20.2", "20.3"])
@pytest.mark.parametrize("placeholder", [None, ...])
def test_a_missing_answer_is_not_written_yet(id, placeholder):
    with pytest.raises(ExerciseFailed, match="not written yet"):
        check(id, placeholder)


@pytest.mark.parametrize("id, stub", [
    ("20.1", lambda height, width, c_in, c_out, kernel, strides=1, padding="same", groups=1: stub_body()),
    ("20.2", lambda n_samples, global_batch, num_processes, process_id: stub_body()),
])
def test_a_stub_is_not_written_yet(id, stub):
    with pytest.raises(NotImplementedError, match=f"Exercise {id}: not written yet") as err:
        check(id, stub)
    assert type(err.value) is NotImplementedError


def stub_body():
    raise NotImplementedError
