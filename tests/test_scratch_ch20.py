"""The from-scratch code of notebook 20 (cells tagged 'scratch'): the step timer of section 2, the
matrix-product peak of section 3, and the rotation of volumes that Dask runs in parallel in section 7."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import ndimage

from tests.notebook_code import scratch_namespace

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def ns():
    given = {"keras": keras, "ops": keras.ops, "np": np, "time": time, "ndimage": ndimage,
             "SEED": 42, "MATMUL_N": 64, "AUG_COPIES": 2}
    return scratch_namespace("20_scaling_up.ipynb", given)


def test_the_step_timer_records_every_batch_of_the_last_epoch(ns):
    x_in = keras.Input((4,))
    model = keras.Model(x_in, keras.layers.Dense(2, activation="softmax")(x_in))
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.random.default_rng(0).normal(size=(50, 4)).astype("float32"), np.arange(50) % 2
    timer = ns["StepTimer"]()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[timer])
    assert len(timer.inside) == len(timer.between) == 4            # ceil(50 / 16) batches, of the last epoch only
    assert min(timer.inside) > 0 and min(timer.between) >= 0
    assert timer.epoch_seconds >= sum(timer.inside) + sum(timer.between) - 1e-6


def test_the_peak_is_a_positive_rate_that_counts_two_flops_per_mac(ns, monkeypatch):
    assert 0 < ns["matmul_flops"](n=32, repeats=2) < 1e15
    ticks = iter(np.arange(0.0, 100.0, 0.5))                        # every timed product "takes" 0.5 s
    monkeypatch.setitem(ns, "time", type("FakeTime", (), {"perf_counter": staticmethod(lambda: next(ticks))}))
    assert ns["matmul_flops"](n=10, repeats=3) == pytest.approx(2 * 10**3 / 0.5)


def test_rotations_do_not_depend_on_how_the_volumes_are_chunked(ns):
    volumes = np.random.default_rng(1).integers(0, 256, size=(5, 9, 9, 9)).astype(np.uint8)
    whole = ns["rotate_volumes"](volumes, 0, copies=2)
    parts = np.concatenate([ns["rotate_volumes"](volumes[:2], 0, copies=2),
                            ns["rotate_volumes"](volumes[2:], 2, copies=2)])
    assert whole.shape == (10, 9, 9, 9) and whole.dtype == np.float32
    np.testing.assert_array_equal(whole, parts)
    assert not np.array_equal(whole[0], whole[1])                   # two copies, two different rotations
    assert not np.array_equal(ns["rotate_volumes"](volumes, 0, seed=1), ns["rotate_volumes"](volumes, 0))


def test_a_rotation_by_zero_degrees_returns_the_volume(ns):
    volumes = np.random.default_rng(2).integers(0, 256, size=(2, 8, 8, 8)).astype(np.uint8)
    same = ns["rotate_volumes"](volumes, 0, copies=1, max_degrees=0.0)
    np.testing.assert_allclose(same, volumes.astype(np.float32), atol=1e-3)
