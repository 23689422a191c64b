"""The from-scratch code of notebook 15 (cells tagged 'scratch') against closed forms and SciPy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import norm

from tests.notebook_code import scratch_namespace


@pytest.fixture(scope="module")
def ns():
    return scratch_namespace("15_gans.ipynb")


def test_optimal_discriminator(ns):
    assert ns["optimal_discriminator"](0.3, 0.1) == pytest.approx(0.75)
    assert np.allclose(ns["optimal_discriminator"]([1.0, 2.0], [1.0, 2.0]), 0.5)


@pytest.mark.parametrize("mu, sd", [(0.0, 1.0), (0.7, 1.3), (3.0, 0.5), (8.0, 1.0)])
def test_value_at_optimum_is_minus_log4_plus_twice_js(ns, mu, sd):
    grid = np.linspace(-15, 20, 35001)
    dx = grid[1] - grid[0]
    p, q = norm.pdf(grid, 0, 1), norm.pdf(grid, mu, sd)
    js_scipy = jensenshannon(p, q) ** 2          # natural log, on the normalised grid masses
    assert ns["js_divergence"](p, q, dx) == pytest.approx(js_scipy, abs=1e-6)
    assert ns["value_at_optimum"](p, q, dx) == pytest.approx(-np.log(4) + 2 * js_scipy, abs=1e-5)


def test_generator_gradients_match_finite_differences(ns):
    a = np.linspace(-6, 6, 25)
    d = 1 / (1 + np.exp(-a))
    sat, nonsat = ns["generator_gradients"](d)
    h = 1e-6

    def sig(t):
        return 1 / (1 + np.exp(-t))

    fd_sat = (np.log(1 - sig(a + h)) - np.log(1 - sig(a - h))) / (2 * h)
    fd_non = (-np.log(sig(a + h)) + np.log(sig(a - h))) / (2 * h)
    assert np.allclose(sat, fd_sat, atol=1e-6)
    assert np.allclose(nonsat, fd_non, atol=1e-6)
