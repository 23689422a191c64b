"""A Bernoulli restricted Boltzmann machine in NumPy, trained with contrastive divergence (CD-k or PCD-k).

Notation (chapter 10): visible units v in {0,1}^m, hidden units h in {0,1}^n, weights W of shape
(m, n), visible biases a (m,), hidden biases b (n,).

    E(v, h) = -a.v - b.h - v.W.h              p(v, h) = exp(-E(v, h)) / Z
    p(h_j = 1 | v) = sigmoid(b_j + v.W[:, j])   p(v_i = 1 | h) = sigmoid(a_i + W[i, :].h)
    F(v) = -a.v - sum_j log(1 + exp(b_j + v.W[:, j]))    so that  p(v) = exp(-F(v)) / Z

The class follows scikit-learn's BernoulliRBM where it can (transform, score_samples as a
pseudo-likelihood, gibbs) and adds what a course needs: free energies, reconstructions, a
per-epoch history and validation of the input. Chapter 10 stacks two of them into a DBN.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mlcourse.arrays import check_fraction, check_positive_int, check_positive_number, finite_number, real_array

__all__ = ["RBM", "sigmoid", "softplus", "binarise"]


def sigmoid(x: Any) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-x)), computed without overflow."""
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def softplus(x: Any) -> np.ndarray:
    """log(1 + exp(x)), computed without overflow."""
    x = np.asarray(x, dtype=float)
    return np.logaddexp(0.0, x)


def binarise(images: Any, threshold: float = 0.5) -> np.ndarray:
    """Images to a (N, pixels) float array of 0s and 1s: 1 where the pixel (uint8 divided by 255) > threshold.

    images: uint8 (0..255) or any other real dtype with values in [0, 1]; threshold: in [0, 1].
    """
    if isinstance(threshold, (bool, np.bool_, str, bytes)):
        raise ValueError(f"threshold must be a number in [0, 1] such as 0.5; got {threshold!r}.")
    threshold = finite_number(threshold, "threshold")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold must lie in [0, 1] (pixels are compared after uint8 / 255); got {threshold:g}. "
                         "Write 0.5, not 128.")
    x = real_array(images, "images")
    if x.ndim < 2:
        raise ValueError(f"binarise expects a batch of images, shape (N, ...); got shape {x.shape}.")
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    if scale == 1.0 and (x.min() < 0 or x.max() > 1):
        raise ValueError(f"images of dtype {x.dtype} must lie in [0, 1] (or be uint8 0..255); got values in "
                         f"[{float(x.min()):g}, {float(x.max()):g}]. Pass uint8 images, or divide 0..255 values "
                         "by 255.")
    x = x.reshape(len(x), -1).astype(float) / scale
    return (x > threshold).astype(float)


def _as_binary(X: Any, n_visible: int | None, what: str = "X") -> np.ndarray:
    """X as a 2-D float array of 0s and 1s with n_visible columns, or a ValueError that says why not."""
    if isinstance(X, (str, bytes)):
        raise ValueError(f"{what} must be an array of 0s and 1s, got the string {X!r:.40}.")
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(f"{what} must hold the numbers 0 and 1; got dtype {X.dtype}. "
                         "Threshold the images with mlcourse.rbm.binarise(images).")
    X = X.astype(float)
    if X.ndim == 1 and n_visible is not None and X.shape[0] == n_visible:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(f"{what} must be a 2-D array (samples, visible units); got shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError(f"{what} has no rows.")
    if n_visible is not None and X.shape[1] != n_visible:
        raise ValueError(f"{what} has {X.shape[1]} columns but the RBM has {n_visible} visible units.")
    if not np.all((X == 0.0) | (X == 1.0)):
        raise ValueError(f"{what} must be binary (only 0 and 1) for a Bernoulli RBM; "
                         "threshold the images first, e.g. mlcourse.rbm.binarise(images).")
    return X


class RBM:
    """Bernoulli-Bernoulli RBM trained with CD-k (persistent=False) or PCD-k (persistent=True).

    n_hidden: number of hidden units; learning_rate: step size of the averaged gradient;
    batch_size: minibatch size; n_epochs: passes over the data in fit(); k: Gibbs steps in the
    negative phase; init_visible: 'data' (visible biases from the pixel means) or 'zero'
    (as scikit-learn); seed: makes initialisation, shuffling and sampling reproducible.
    After fit(): W (m, n), a (m,), b (n,) and history, a dict of per-epoch lists.
    """

    def __init__(self, n_hidden: int = 64, learning_rate: float = 0.05, batch_size: int = 32,
                 n_epochs: int = 10, k: int = 1, persistent: bool = False, momentum: float = 0.0,
                 init_visible: str = "data", seed: int | None = 0) -> None:
        n_hidden = check_positive_int(n_hidden, "n_hidden")
        k = check_positive_int(k, "k (Gibbs steps)")
        batch_size = check_positive_int(batch_size, "batch_size")
        n_epochs = check_positive_int(n_epochs, "n_epochs", minimum=0)
        learning_rate = check_positive_number(learning_rate, "learning_rate")
        momentum = check_fraction(momentum, "momentum")
        if not isinstance(persistent, (bool, np.bool_)):
            raise TypeError(f"persistent must be True or False, got {persistent!r}.")
        if seed is not None:
            seed = check_positive_int(seed, "seed", minimum=0)
        self.n_hidden, self.learning_rate, self.batch_size = int(n_hidden), float(learning_rate), int(batch_size)
        self.n_epochs, self.k, self.persistent = int(n_epochs), int(k), bool(persistent)
        if init_visible not in ("data", "zero"):
            raise ValueError(f"init_visible must be 'data' or 'zero'; got {init_visible!r}.")
        self.momentum, self.init_visible, self.seed = float(momentum), init_visible, seed
        self.W: np.ndarray | None = None
        self.a: np.ndarray | None = None
        self.b: np.ndarray | None = None
        self.history: dict[str, list[float]] = {}

    # ------------------------------------------------------------------ the model
    @property
    def n_visible(self) -> int | None:
        return None if self.W is None else self.W.shape[0]

    def _need_fit(self) -> None:
        if self.W is None:
            raise ValueError("This RBM has no weights yet: call fit(X) first (or set W, a and b).")

    def initialise(self, n_visible: int, X: np.ndarray | None = None) -> "RBM":
        """Small random weights N(0, 0.01^2); hidden biases 0; visible biases 0 (init_visible='zero' or no X)
        or log(p / (1 - p)) of the data's pixel means p (init_visible='data', Hinton 2012, section 8)."""
        rng = np.random.default_rng(self.seed)
        self._rng = rng
        self.W = rng.normal(0.0, 0.01, size=(n_visible, self.n_hidden))
        if X is None or self.init_visible == "zero":
            self.a = np.zeros(n_visible)
        else:
            p = np.clip(X.mean(axis=0), 1e-3, 1 - 1e-3)
            self.a = np.log(p / (1 - p))
        self.b = np.zeros(self.n_hidden)
        self._vel = [np.zeros_like(self.W), np.zeros_like(self.a), np.zeros_like(self.b)]
        self._chain = None
        self.history = {"epoch": [], "reconstruction_error": [], "free_energy_train": [], "free_energy_val": []}
        return self

    def energy(self, v: Any, h: Any) -> np.ndarray:
        """E(v, h) = -a.v - b.h - v.W.h for each row of v (N, m) and h (N, n)."""
        self._need_fit()
        v = np.atleast_2d(real_array(v, "v").astype(float))
        h = np.atleast_2d(real_array(h, "h").astype(float))
        if v.shape[1] != self.n_visible or h.shape[1] != self.n_hidden or len(v) != len(h):
            raise ValueError(f"v must have shape (N, {self.n_visible}) and h shape (N, {self.n_hidden}); "
                             f"got {v.shape} and {h.shape}.")
        return -v @ self.a - h @ self.b - np.einsum("ni,ij,nj->n", v, self.W, h)

    def hidden_probabilities(self, v: Any) -> np.ndarray:
        """p(h_j = 1 | v) = sigmoid(b_j + v.W[:, j]), shape (N, n)."""
        self._need_fit()
        v = _as_binary(v, self.n_visible, "v")
        return sigmoid(v @ self.W + self.b)

    def visible_probabilities(self, h: Any) -> np.ndarray:
        """p(v_i = 1 | h) = sigmoid(a_i + W[i, :].h), shape (N, m)."""
        self._need_fit()
        h = np.atleast_2d(real_array(h, "h").astype(float))
        if h.ndim != 2:
            raise ValueError(f"h must be a 2-D array (samples, hidden units); got shape {h.shape}.")
        if h.shape[1] != self.n_hidden:
            raise ValueError(f"h has {h.shape[1]} columns but the RBM has {self.n_hidden} hidden units.")
        return sigmoid(h @ self.W.T + self.a)

    def transform(self, X: Any) -> np.ndarray:
        """The hidden probabilities p(h = 1 | v): the features a DBN passes to its next layer."""
        return self.hidden_probabilities(X)

    def free_energy(self, v: Any) -> np.ndarray:
        """F(v) = -a.v - sum_j softplus(b_j + v.W[:, j]), one number per row; p(v) = exp(-F(v)) / Z."""
        self._need_fit()
        v = _as_binary(v, self.n_visible, "v")
        return -v @ self.a - softplus(v @ self.W + self.b).sum(axis=1)

    def reconstruct(self, X: Any) -> np.ndarray:
        """Mean-field reconstruction p(v = 1 | h = p(h = 1 | v)), values in (0, 1)."""
        return self.visible_probabilities(self.hidden_probabilities(X))

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared difference between X and its mean-field reconstruction (per pixel)."""
        X = _as_binary(X, self.n_visible)
        return float(np.mean((X - self.reconstruct(X)) ** 2))

    def gibbs(self, v: Any, rng: np.random.Generator | None = None) -> np.ndarray:
        """One Gibbs step v -> h -> v' with binary samples; returns v' (N, m)."""
        rng = rng if rng is not None else self._generator()
        ph = self.hidden_probabilities(v)
        h = (rng.random(ph.shape) < ph).astype(float)
        pv = self.visible_probabilities(h)
        return (rng.random(pv.shape) < pv).astype(float)

    def pseudo_likelihood(self, X: Any, rng: np.random.Generator | None = None) -> np.ndarray:
        """Stochastic pseudo-log-likelihood per row, as scikit-learn's score_samples computes it.

        For each row one random pixel i is flipped; m * log sigmoid(F(v_flipped) - F(v)) estimates
        sum_i log p(v_i | v_rest). Higher (closer to 0) is better.
        """
        X = _as_binary(X, self.n_visible)
        rng = rng if rng is not None else np.random.default_rng(0)
        flipped = X.copy()
        idx = (np.arange(len(X)), rng.integers(0, X.shape[1], len(X)))
        flipped[idx] = 1.0 - flipped[idx]
        return X.shape[1] * -softplus(-(self.free_energy(flipped) - self.free_energy(X)))

    score_samples = pseudo_likelihood

    # ------------------------------------------------------------------ training
    def _generator(self) -> np.random.Generator:
        if getattr(self, "_rng", None) is None:
            self._rng = np.random.default_rng(self.seed)
        return self._rng

    def partial_fit(self, batch: Any) -> "RBM":
        """One CD-k (or PCD-k) update on one minibatch."""
        batch = _as_binary(batch, self.n_visible, "batch")
        if self.W is None:
            self.initialise(batch.shape[1], batch)
        rng = self._generator()
        ph0 = sigmoid(batch @ self.W + self.b)                       # positive phase: data-driven
        if self.persistent and self._chain is not None and len(self._chain) == len(batch):
            p_chain = sigmoid(self._chain @ self.W + self.b)        # PCD: continue the previous chain
            h = (rng.random(p_chain.shape) < p_chain).astype(float)
        else:
            h = (rng.random(ph0.shape) < ph0).astype(float)
        for _ in range(self.k):                                      # negative phase: k Gibbs steps
            v = (rng.random(batch.shape) < sigmoid(h @ self.W.T + self.a)).astype(float)
            phk = sigmoid(v @ self.W + self.b)
            h = (rng.random(phk.shape) < phk).astype(float)
        if self.persistent:
            self._chain = v
        n = len(batch)
        grads = [(batch.T @ ph0 - v.T @ phk) / n,                    # <v h>_data - <v h>_model
                 (batch - v).mean(axis=0),
                 (ph0 - phk).mean(axis=0)]
        for vel, g, param in zip(self._vel, grads, (self.W, self.a, self.b)):
            vel *= self.momentum
            vel += self.learning_rate * g
            param += vel
        return self

    def _monitor_rows(self, n_rows: int, n_monitor: int) -> np.ndarray:
        """A fixed random subset of the training rows for F(train), drawn apart from the training generator."""
        if n_monitor >= n_rows:
            return np.arange(n_rows)
        seed = None if self.seed is None else (self.seed, 1)             # a stream of its own: training unchanged
        return np.sort(np.random.default_rng(seed).choice(n_rows, n_monitor, replace=False))

    def fit(self, X: Any, X_val: Any = None, n_epochs: int | None = None) -> "RBM":
        """Train on binary X (N, m) for n_epochs (default self.n_epochs), logging one history row per epoch.

        history: reconstruction_error (training set), free_energy_train and free_energy_val (mean
        F(v); their gap grows when the model overfits, Hinton 2012, section 6). F(train) is taken on a
        fixed random subset of the training rows as large as X_val (at most 1,000 without X_val), so a
        file sorted by class is monitored on both classes.
        """
        if n_epochs is not None:
            n_epochs = check_positive_int(n_epochs, "n_epochs", minimum=0)
        X = _as_binary(X, None)
        Xv = None if X_val is None else _as_binary(X_val, X.shape[1], "X_val")
        if self.W is None:
            self.initialise(X.shape[1], X)
        rng = self._generator()
        monitor = self._monitor_rows(len(X), 1000 if Xv is None else len(Xv))
        for _ in range(self.n_epochs if n_epochs is None else n_epochs):
            order = rng.permutation(len(X))
            for start in range(0, len(X), self.batch_size):
                self.partial_fit(X[order[start:start + self.batch_size]])
            h = self.history
            h["epoch"].append(len(h["epoch"]) + 1)
            h["reconstruction_error"].append(self.reconstruction_error(X))
            h["free_energy_train"].append(float(self.free_energy(X[monitor]).mean()))
            h["free_energy_val"].append(float("nan") if Xv is None else float(self.free_energy(Xv).mean()))
        return self
