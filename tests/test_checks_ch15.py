"""Checks of chapter 15: right answers pass, typical wrong ones fail with feedback, None fails."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import linalg

from mlcourse.exercises import ExerciseFailed, check


def frechet_gaussian(mu1, cov1, mu2, cov2):
    diff = np.asarray(mu1) - np.asarray(mu2)
    return float(diff @ diff + np.trace(cov1 + cov2 - 2.0 * np.real(linalg.sqrtm(cov1 @ cov2))))


def test_right_answers_pass(capsys):
    check("15.1", 0.75)
    check("15.1", 0.3 / 0.4)
    check("15.2", 99)
    check("15.2", 0.99 / 0.01)
    check("15.3", frechet_gaussian)
    assert capsys.readouterr().out.count("correct") == 5


@pytest.mark.parametrize("answer, feedback", [
    (0.25, "'generated'"),
    (3.0, "cannot exceed 1"),
    (0.5, "densities are equal"),
    (0.9, "Not the optimal"),
    ("three quarters", "expected a single number"),
])
def test_wrong_discriminator_values_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback) as err:
        check("15.1", answer)
    assert "0.75" not in str(err.value)


@pytest.mark.parametrize("answer, feedback", [
    (1 / 99, "upside down"),
    (-99, "magnitudes"),
    (100, "saturating loss too"),
    (1.0, "Not the right ratio"),
])
def test_wrong_gradient_ratios_fail(answer, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("15.2", answer)


@pytest.mark.parametrize("fn, feedback", [
    (lambda m1, c1, m2, c2: np.sqrt(frechet_gaussian(m1, c1, m2, c2)), "return its square"),
    (lambda m1, c1, m2, c2: float((m1 - m2) @ (m1 - m2) + np.trace(c1 + c2 - np.real(linalg.sqrtm(c1 @ c2)))),
     "factor of 2"),
    (lambda m1, c1, m2, c2: float((m1 - m2) @ (m1 - m2) + np.trace(c1 + c2 - 2 * c1 @ c2)), "matrix square root"),
    (lambda m1, c1, m2, c2: float((m1 - m2) @ (m1 - m2)), "covariance term is missing"),
    (lambda m1, c1, m2, c2: np.zeros(3), "single number"),
    (lambda m1, c1, m2, c2: None, "returned None"),
    (lambda m1, c1: 0.0, "raised TypeError"),
    (lambda m1, c1, m2, c2: 1.0, "Wrong value"),
])
def test_wrong_frechet_functions_fail(fn, feedback):
    with pytest.raises(ExerciseFailed, match=feedback):
        check("15.3", fn)


@pytest.mark.parametrize("id", ["15.1", "15.2", "15.3"])
def test_none_fails(id):
    with pytest.raises(ExerciseFailed):
        check(id, None)


def test_a_stub_propagates_not_implemented():
    def stub(m1, c1, m2, c2):
        raise NotImplementedError
    with pytest.raises(NotImplementedError):
        check("15.3", stub)
