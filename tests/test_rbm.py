"""mlcourse.rbm: the RBM's formulas against brute force, training, determinism, input checks, scikit-learn."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mlcourse.rbm import RBM, binarise, sigmoid, softplus


def tiny_rbm(seed: int = 1) -> RBM:
    """3 visible x 2 hidden units with random parameters of a visible size."""
    rng = np.random.default_rng(seed)
    rbm = RBM(n_hidden=2, seed=seed)
    rbm.initialise(3)
    rbm.W = rng.normal(0, 1.5, (3, 2))
    rbm.a = rng.normal(0, 1, 3)
    rbm.b = rng.normal(0, 1, 2)
    return rbm


def all_states(n: int) -> np.ndarray:
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def joint(rbm: RBM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (v, h) pair of the tiny RBM and its exact probability exp(-E) / Z."""
    V, H = all_states(3), all_states(2)
    pairs = [(v, h) for v in V for h in H]
    v = np.array([p[0] for p in pairs])
    h = np.array([p[1] for p in pairs])
    unnorm = np.exp(-rbm.energy(v, h))
    return v, h, unnorm / unnorm.sum()


def test_energy_formula():
    rbm = tiny_rbm()
    v, h = np.array([[1.0, 0.0, 1.0]]), np.array([[0.0, 1.0]])
    expected = -(rbm.a[0] + rbm.a[2]) - rbm.b[1] - (rbm.W[0, 1] + rbm.W[2, 1])
    assert rbm.energy(v, h)[0] == pytest.approx(expected)


def test_conditionals_match_brute_force():
    rbm = tiny_rbm()
    v, h, p = joint(rbm)
    for state in all_states(3):
        rows = np.all(v == state, axis=1)
        p_h1 = (p[rows, None] * h[rows]).sum(axis=0) / p[rows].sum()      # p(h_j = 1 | v) exactly
        np.testing.assert_allclose(rbm.hidden_probabilities(state[None])[0], p_h1, rtol=1e-10)
    for state in all_states(2):
        rows = np.all(h == state, axis=1)
        p_v1 = (p[rows, None] * v[rows]).sum(axis=0) / p[rows].sum()      # p(v_i = 1 | h) exactly
        np.testing.assert_allclose(rbm.visible_probabilities(state[None])[0], p_v1, rtol=1e-10)


def test_free_energy_identity_and_marginal():
    rbm = tiny_rbm()
    V, H = all_states(3), all_states(2)
    for state in V:
        log_sum = np.log(np.exp(-rbm.energy(np.repeat(state[None], len(H), 0), H)).sum())
        assert rbm.free_energy(state[None])[0] == pytest.approx(-log_sum, rel=1e-10)
    v, _, p = joint(rbm)
    marg = np.array([p[np.all(v == s, axis=1)].sum() for s in V])
    fe = np.exp(-rbm.free_energy(V))
    np.testing.assert_allclose(fe / fe.sum(), marg, rtol=1e-10)


def test_sigmoid_and_softplus_are_stable():
    x = np.array([-1000.0, -5.0, 0.0, 5.0, 1000.0])
    assert np.all(np.isfinite(sigmoid(x))) and sigmoid(np.array([0.0]))[0] == 0.5
    np.testing.assert_allclose(softplus(x[1:4]), np.log1p(np.exp(x[1:4])))
    assert softplus(np.array([1000.0]))[0] == pytest.approx(1000.0)


def toy_data(n: int = 400, seed: int = 0) -> np.ndarray:
    """Noisy copies of four 16-pixel prototypes."""
    rng = np.random.default_rng(seed)
    protos = np.array([[1] * 8 + [0] * 8, [0] * 8 + [1] * 8, [1, 0] * 8, [0, 1] * 8], dtype=float)
    X = protos[rng.integers(0, 4, n)]
    flip = rng.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X)


def test_cd1_reduces_reconstruction_error():
    X = toy_data()
    rbm = RBM(n_hidden=8, learning_rate=0.1, batch_size=20, n_epochs=1, seed=0)
    rbm.initialise(16, X)
    before = rbm.reconstruction_error(X)
    rbm.fit(X, X_val=X[:50], n_epochs=30)
    hist = rbm.history
    assert len(hist["epoch"]) == 30 and len(hist["free_energy_val"]) == 30
    assert hist["reconstruction_error"][-1] < 0.5 * before
    assert hist["reconstruction_error"][-1] < hist["reconstruction_error"][0]


@pytest.mark.parametrize("persistent, k", [(False, 1), (True, 1), (False, 3)])
def test_same_seed_same_result(persistent, k):
    X = toy_data(200)
    fits = [RBM(n_hidden=5, n_epochs=3, seed=7, persistent=persistent, k=k).fit(X) for _ in range(2)]
    np.testing.assert_array_equal(fits[0].W, fits[1].W)
    np.testing.assert_array_equal(fits[0].b, fits[1].b)
    other = RBM(n_hidden=5, n_epochs=3, seed=8, persistent=persistent, k=k).fit(X)
    assert not np.allclose(other.W, fits[0].W)


def test_bad_input_raises_clear_errors():
    X = toy_data(50)
    with pytest.raises(ValueError, match="binary"):
        RBM(n_hidden=3).fit(X * 0.5)
    with pytest.raises(ValueError, match="2-D"):
        RBM(n_hidden=3).fit(X.reshape(50, 4, 4))
    rbm = RBM(n_hidden=3, n_epochs=1).fit(X)
    with pytest.raises(ValueError, match="16 visible units"):
        rbm.transform(np.ones((2, 15)))
    with pytest.raises(ValueError, match="hidden units"):
        rbm.visible_probabilities(np.ones((2, 4)))
    with pytest.raises(ValueError, match="fit"):
        RBM(n_hidden=3).free_energy(X)
    with pytest.raises(ValueError, match="n_hidden"):
        RBM(n_hidden=0)
    with pytest.raises(ValueError, match="binary"):
        rbm.free_energy(np.full((1, 16), 2.0))


def test_binarise_thresholds_after_scaling():
    images = np.array([[[0, 127], [128, 255]]], dtype=np.uint8)
    np.testing.assert_array_equal(binarise(images), [[0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(binarise(np.array([[0.2, 0.9]])), [[0.0, 1.0]])


def test_gibbs_and_pseudo_likelihood_shapes():
    X = toy_data(60)
    rbm = RBM(n_hidden=4, n_epochs=2).fit(X)
    v = rbm.gibbs(X[:10], np.random.default_rng(0))
    assert v.shape == (10, 16) and set(np.unique(v)) <= {0.0, 1.0}
    pl = rbm.pseudo_likelihood(X)
    assert pl.shape == (60,) and np.all(pl <= 0)


def test_agrees_with_scikit_learn():
    """Same settings (PCD-1, zero visible biases, lr, batch size, epochs): similar pseudo-likelihood and
    reconstruction error."""
    from sklearn.neural_network import BernoulliRBM

    X = toy_data(600, seed=3)
    test = toy_data(300, seed=4)
    ours = RBM(n_hidden=8, learning_rate=0.1, batch_size=10, n_epochs=20, persistent=True, init_visible="zero",
               seed=0).fit(X)
    theirs = BernoulliRBM(n_components=8, learning_rate=0.1, batch_size=10, n_iter=20, random_state=0).fit(X)
    pl_ours = ours.pseudo_likelihood(test).mean()
    pl_theirs = theirs.score_samples(test).mean()
    assert abs(pl_ours - pl_theirs) < 0.25 * abs(pl_theirs), (pl_ours, pl_theirs)
    recon = sigmoid(theirs.transform(test) @ theirs.components_ + theirs.intercept_visible_)
    err_theirs = np.mean((test - recon) ** 2)
    assert abs(ours.reconstruction_error(test) - err_theirs) < 0.05, (ours.reconstruction_error(test), err_theirs)


def test_visible_bias_initialisation():
    X = toy_data(100)
    X[:, 0] = 1.0
    data_init = RBM(n_hidden=3).initialise(16, X)
    assert data_init.a[0] > 5 and np.allclose(data_init.b, 0)
    assert np.allclose(RBM(n_hidden=3, init_visible="zero").initialise(16, X).a, 0)
    with pytest.raises(ValueError, match="init_visible"):
        RBM(init_visible="mean")


def test_numbers_must_be_real_and_finite():
    X = toy_data(20)
    with pytest.raises(ValueError, match="X must hold the numbers 0 and 1; got dtype <U"):
        RBM(n_hidden=2, n_epochs=1).fit(X.astype(int).astype(str))
    with pytest.raises(ValueError, match="X must hold the numbers 0 and 1; got dtype complex"):
        RBM(n_hidden=2, n_epochs=1).fit(X + 0j)
    with pytest.raises(ValueError, match="X must be an array of 0s and 1s, got the string"):
        RBM(n_hidden=2, n_epochs=1).fit("0101")
    nan_x = X.copy()
    nan_x[0, 0] = np.nan
    with pytest.raises(ValueError, match="binary"):
        RBM(n_hidden=2, n_epochs=1).fit(nan_x)
    rbm = RBM(n_hidden=3, n_epochs=1).fit(X)
    with pytest.raises(ValueError, match="h contains 1 NaN"):
        rbm.visible_probabilities(np.array([[0.0, np.nan, 1.0]]))
    with pytest.raises(TypeError, match="n_epochs"):
        rbm.fit(X, n_epochs="2")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(n_hidden="abc"), TypeError, "n_hidden must be a whole number"),
    (dict(n_hidden=True), TypeError, "n_hidden"),
    (dict(k=0), ValueError, "k \\(Gibbs steps\\) must be at least 1"),
    (dict(batch_size=0), ValueError, "batch_size must be at least 1"),
    (dict(n_epochs=-1), ValueError, "n_epochs must be at least 0"),
    (dict(learning_rate="x"), ValueError, "learning_rate must be a number"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate must be finite"),
    (dict(learning_rate=0), ValueError, "learning_rate must be greater than 0"),
    (dict(momentum=1.5), ValueError, "momentum must be in"),
    (dict(persistent="yes"), TypeError, "persistent"),
    (dict(seed="x"), TypeError, "seed"),
])
def test_constructor_arguments_are_checked(kwargs, error, message):
    with pytest.raises(error, match=message):
        RBM(**kwargs)


def test_binarise_refuses_bad_images_and_thresholds():
    with pytest.raises(ValueError, match="images contains 1 NaN"):
        binarise(np.array([[0.2, np.nan]]))
    with pytest.raises(TypeError, match="images must be an array of numbers"):
        binarise("abc")
    with pytest.raises(ValueError, match=r"images of dtype float64 must lie in \[0, 1\]"):
        binarise(np.array([[0.0, 200.0]]))
    for bad in (128, -0.1, float("nan"), "0.5", True):
        with pytest.raises(ValueError, match="threshold"):
            binarise(np.zeros((1, 4), np.uint8), bad)


def test_free_energy_monitor_sees_both_halves_of_a_sorted_file():
    # A file sorted by class: the monitor must not take F(train) on the first rows only.
    rng = np.random.default_rng(3)
    sparse, dense = (rng.random((900, 16)) < 0.1), (rng.random((900, 16)) < 0.9)
    X = np.vstack([sparse, dense]).astype(float)
    rbm = RBM(n_hidden=4, learning_rate=0.1, batch_size=50, seed=0).fit(X, X_val=X[:100], n_epochs=1)
    recorded = rbm.history["free_energy_train"][0]
    first_rows, all_rows = rbm.free_energy(X[:100]).mean(), rbm.free_energy(X).mean()
    assert abs(recorded - all_rows) < 0.25 * abs(first_rows - all_rows)


def test_free_energy_monitor_leaves_training_unchanged():
    # The monitor's subset comes from its own generator: the weights are those of a run without X_val.
    X = toy_data(300)
    with_val = RBM(n_hidden=6, seed=5).fit(X, X_val=X[:40], n_epochs=3)
    without = RBM(n_hidden=6, seed=5).fit(X, n_epochs=3)
    np.testing.assert_array_equal(with_val.W, without.W)
