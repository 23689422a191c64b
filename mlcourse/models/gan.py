"""Generative adversarial networks for 28x28 images (chapter 15): a DCGAN generator and discriminator,
their class-conditional (ACGAN) versions and a backend-agnostic training procedure. Measures of
sample quality (Frechet distance, nearest neighbours, diversity) are in `mlcourse.sample_quality`.

Training uses the classic two-model scheme, which needs no gradient code of its own and therefore
runs unchanged on TensorFlow, JAX and PyTorch:

- the discriminator is compiled on its own and trained with `train_on_batch` on a batch of real
  images (target 1, or 1 - label_smoothing) and generated ones (target 0);
- a combined model z -> G -> D is compiled with the discriminator frozen and trained with target 1
  for the generated images: this is the non-saturating generator loss, -log D(G(z)).

The discriminator's `trainable` flag is switched on before its own step and off before the
generator step, so the generator step only ever moves the generator's weights (the tests check this
on every installed backend). Both losses are binary cross-entropies on logits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
from keras import layers

from mlcourse.arrays import check_positive_int, class_labels
from mlcourse.batchnorm import BN_MOMENTUM, check_bn_momentum

__all__ = ["GAN", "build_discriminator", "build_generator"]


def _check_image_shape(image_shape: Sequence[int]) -> tuple[int, int, int]:
    """Validate an (H, W, C) shape whose sides a DCGAN halves twice."""
    shape = tuple(int(s) for s in image_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(f"image_shape must be (height, width, channels), e.g. (28, 28, 1); got {image_shape!r}.")
    if shape[0] % 4 or shape[1] % 4:
        raise ValueError(f"height and width must be multiples of 4 (two stride-2 steps); got {shape[:2]}.")
    return shape  # type: ignore[return-value]


def _check_classes(num_classes: int | None) -> None:
    """num_classes is None (unconditional) or an int >= 2."""
    if num_classes is not None and (not isinstance(num_classes, (int, np.integer)) or num_classes < 2):
        raise ValueError(f"num_classes must be None (an unconditional GAN) or an int >= 2; got {num_classes!r}.")


def build_generator(latent_dim: int = 64, num_classes: int | None = None, *, width: int = 64,
                    image_shape: Sequence[int] = (28, 28, 1), batch_norm: bool = True,
                    output_activation: str = "tanh", embedding_dim: int = 16,
                    bn_momentum: float = BN_MOMENTUM, name: str = "generator") -> keras.Model:
    """DCGAN generator: z -> Dense -> (H/4, W/4, 2*width) -> two 4x4 stride-2 transposed convolutions -> image.

    Batch norm (momentum `bn_momentum`, 0.9) and ReLU follow the dense layer and the first transposed convolution;
    the last one has `output_activation` ('tanh' for images scaled to [-1, 1], 'sigmoid' for [0, 1]).
    With `num_classes`, the model takes [z, label] (label: int, shape (batch, 1)); the label's learned
    embedding of `embedding_dim` numbers is concatenated to z (the ACGAN generator).
    """
    h, w, c = _check_image_shape(image_shape)
    _check_classes(num_classes)
    bn_momentum = check_bn_momentum(bn_momentum)
    if latent_dim < 1 or width < 1:
        raise ValueError(f"latent_dim and width must be positive; got {latent_dim} and {width}.")
    if output_activation not in ("tanh", "sigmoid"):
        raise ValueError(f"output_activation must be 'tanh' (images in [-1, 1]) or 'sigmoid' ([0, 1]); "
                         f"got {output_activation!r}.")
    z_in = keras.Input((latent_dim,), name="z")
    inputs = [z_in]
    x = z_in
    if num_classes is not None:
        label_in = keras.Input((1,), dtype="int32", name="label")
        inputs.append(label_in)
        emb = layers.Embedding(num_classes, embedding_dim, name="label_embedding")(label_in)
        emb = layers.Flatten(name="label_flat")(emb)
        x = layers.Concatenate(name="z_and_label")([z_in, emb])

    def norm_relu(t: Any, tag: str) -> Any:
        """Batch norm (when enabled) then ReLU."""
        if batch_norm:
            t = layers.BatchNormalization(momentum=bn_momentum, name=f"{tag}_bn")(t)
        return layers.ReLU(name=f"{tag}_relu")(t)

    x = layers.Dense((h // 4) * (w // 4) * 2 * width, use_bias=not batch_norm, name="project")(x)
    x = norm_relu(layers.Reshape((h // 4, w // 4, 2 * width), name="to_map")(x), "project")
    x = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=not batch_norm, name="up1")(x)
    x = norm_relu(x, "up1")
    out = layers.Conv2DTranspose(c, 4, strides=2, padding="same", activation=output_activation, name="image")(x)
    return keras.Model(inputs if num_classes is not None else z_in, out, name=name)


def build_discriminator(image_shape: Sequence[int] = (28, 28, 1), num_classes: int | None = None, *,
                        width: int = 64, dropout: float = 0.3, name: str = "discriminator") -> keras.Model:
    """DCGAN discriminator: two 4x4 stride-2 convolutions with LeakyReLU(0.2) and dropout, then one logit.

    No batch norm, so a frozen discriminator behaves exactly like a trainable one in the generator
    step. With `num_classes` (ACGAN) it has a second head of class logits: outputs [source, class].
    """
    shape = _check_image_shape(image_shape)
    _check_classes(num_classes)
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1); got {dropout}.")
    img = keras.Input(shape, name="image")
    x = img
    for i, f in enumerate((width, 2 * width), start=1):
        x = layers.Conv2D(f, 4, strides=2, padding="same", name=f"conv{i}")(x)
        x = layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"dropout{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    source = layers.Dense(1, name="source")(x)
    if num_classes is None:
        return keras.Model(img, source, name=name)
    label = layers.Dense(num_classes, name="class")(x)
    return keras.Model(img, [source, label], name=name)


class GAN:
    """Train a DCGAN (or, when the models are conditional, an ACGAN) with the two-model scheme.

    generator: z -> image, or [z, label] -> image (see `build_generator`). discriminator: image ->
    logit, or image -> [logit, class logits] (see `build_discriminator`). Adam with beta_1 = 0.5 for
    both, as in the DCGAN paper. `label_smoothing` is one-sided: real targets become 1 - smoothing.
    Use `fit` for whole epochs, `train_step` for one batch, `sample` to draw images. Between steps
    `discriminator.trainable` is False (it is switched on only inside `discriminator_step`).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, *, d_learning_rate: float = 2e-4,
                 g_learning_rate: float = 2e-4, beta_1: float = 0.5, label_smoothing: float = 0.0,
                 seed: int = 0) -> None:
        if not 0.0 <= label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5); got {label_smoothing}.")
        g_out = tuple(generator.outputs[0].shape[1:])
        d_in = tuple(discriminator.inputs[0].shape[1:])
        if g_out != d_in:
            raise ValueError(f"the generator makes images of shape {g_out} but the discriminator expects {d_in}.")
        self.conditional = len(generator.inputs) == 2
        if self.conditional != (len(discriminator.outputs) == 2):
            raise ValueError("use a conditional generator with a two-headed (ACGAN) discriminator, or neither: "
                             "build both with the same num_classes.")
        self.generator, self.discriminator = generator, discriminator
        self.latent_dim = int(generator.inputs[0].shape[-1])
        self.image_shape = g_out
        self.num_classes = int(discriminator.outputs[1].shape[-1]) if self.conditional else None
        self.label_smoothing = float(label_smoothing)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._rng = np.random.default_rng(seed)

        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        losses: Any = [bce, keras.losses.SparseCategoricalCrossentropy(from_logits=True)] if self.conditional else bce
        discriminator.trainable = True
        discriminator.compile(optimizer=keras.optimizers.Adam(d_learning_rate, beta_1=beta_1), loss=losses)
        discriminator.trainable = False
        z_in = keras.Input((self.latent_dim,), name="z")
        inputs: Any = [z_in, keras.Input((1,), dtype="int32", name="label")] if self.conditional else z_in
        self.combined = keras.Model(inputs, discriminator(generator(inputs)), name="generator_then_discriminator")
        self.combined.compile(optimizer=keras.optimizers.Adam(g_learning_rate, beta_1=beta_1), loss=losses)
        self.history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "seconds": []}
        self.step_history: dict[str, list[float]] = {"d_loss": [], "g_loss": []}

    # sampling ---------------------------------------------------------------------------------------
    def sample_latent(self, n: int, seed: int | None = None) -> np.ndarray:
        """n latent vectors from N(0, I): from the GAN's SeedGenerator, or reproducibly from an int seed."""
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive number of latent vectors; got {n!r}.")
        z = keras.random.normal((int(n), self.latent_dim), seed=self.seed_generator if seed is None else int(seed))
        return np.asarray(keras.ops.convert_to_numpy(z), dtype="float32")

    def _labels(self, labels: Any, n: int) -> np.ndarray:
        """Labels as an int32 (n, 1) array, checked against num_classes."""
        lab = class_labels(labels, name="labels", n_classes=self.num_classes).reshape(-1, 1).astype("int32")
        if len(lab) != n:
            raise ValueError(f"got {len(lab)} labels for {n} images; pass one label per image.")
        return lab

    def _inputs(self, z: np.ndarray, labels: Any = None) -> Any:
        """The generator's input: z, or [z, labels] for a conditional GAN."""
        if self.conditional:
            if labels is None:
                raise ValueError("this GAN is conditional: pass labels (one class index per image).")
            return [z, self._labels(labels, len(z))]
        if labels is not None:
            raise ValueError("this GAN is unconditional: do not pass labels.")
        return z

    def sample(self, n: int | None = None, labels: Any = None, latent: np.ndarray | None = None,
               seed: int | None = None) -> np.ndarray:
        """Generate images (inference mode: batch norm uses its moving statistics) as a NumPy array.

        Give `latent` (shape (n, latent_dim)) for a fixed grid, or `n` (and optionally `seed`).
        A conditional GAN needs `labels`, one class index per image.
        """
        if latent is None:
            if n is None:
                n = len(np.asarray(labels).reshape(-1)) if labels is not None else None
            if n is None:
                raise ValueError("pass n (the number of images), labels, or latent vectors.")
            latent = self.sample_latent(n, seed)
        latent = np.asarray(latent, dtype="float32")
        if latent.ndim != 2 or latent.shape[1] != self.latent_dim:
            raise ValueError(f"latent must have shape (n, {self.latent_dim}); got {latent.shape}.")
        out = self.generator.predict(self._inputs(latent, labels), batch_size=256, verbose=0)
        return np.asarray(out, dtype="float32")

    # training ---------------------------------------------------------------------------------------
    def _check_real(self, real: Any) -> np.ndarray:
        """Real images as float32 with the discriminator's input shape."""
        x = np.asarray(real, dtype="float32")
        if x.ndim != 4 or tuple(x.shape[1:]) != self.image_shape:
            raise ValueError(f"real images must have shape (batch, {', '.join(map(str, self.image_shape))}); "
                             f"got {x.shape}. Add a channel axis and scale to the generator's output range.")
        if x.size and not np.isfinite(x).all():
            raise ValueError(f"real images contain {int(np.count_nonzero(~np.isfinite(x)))} NaN or infinite "
                             "value(s); drop or repair those images first.")
        if x.size and (x.min() < -1.0 - 1e-4 or x.max() > 1.0 + 1e-4):
            raise ValueError(f"real images span [{x.min():.4g}, {x.max():.4g}], outside the generator's output "
                             "range; scale uint8 images to [-1, 1] with x / 127.5 - 1 (tanh) or to [0, 1] with "
                             "x / 255 (sigmoid).")
        return x

    def discriminator_step(self, real: Any, labels: Any = None) -> float:
        """One discriminator update on a batch of real images and as many generated ones; returns its loss.

        The loss is the mean binary cross-entropy over the 2 * batch images, i.e. (L_real + L_fake) / 2,
        which is ln 2 = 0.693 when D outputs 1/2 everywhere. For an ACGAN the class cross-entropy on
        real (true labels) and generated (requested labels) images is added.
        """
        real = self._check_real(real)
        b = len(real)
        fake_labels = self._rng.integers(0, self.num_classes, size=(b, 1)).astype("int32") if self.conditional else None
        if self.conditional and labels is None:
            raise ValueError("this GAN is conditional: pass the real images' labels.")
        fake = self.generator(self._inputs(self.sample_latent(b), fake_labels), training=True)
        fake = keras.ops.convert_to_numpy(fake)
        x = np.concatenate([real, np.asarray(fake, dtype="float32")])
        target = np.concatenate([np.full((b, 1), 1.0 - self.label_smoothing), np.zeros((b, 1))]).astype("float32")
        y: Any = target
        if self.conditional:
            y = [target, np.concatenate([self._labels(labels, b), fake_labels])]
        self.discriminator.trainable = True
        logs = self.discriminator.train_on_batch(x, y, return_dict=True)
        self.discriminator.trainable = False
        return float(logs["loss"])

    def generator_step(self, batch_size: int) -> float:
        """One generator update through the frozen discriminator with target 'real': -log D(G(z))."""
        z = self.sample_latent(batch_size)
        ones = np.ones((batch_size, 1), dtype="float32")
        if self.conditional:
            labels = self._rng.integers(0, self.num_classes, size=(batch_size, 1)).astype("int32")
            logs = self.combined.train_on_batch([z, labels], [ones, labels], return_dict=True)
        else:
            logs = self.combined.train_on_batch(z, ones, return_dict=True)
        return float(logs["loss"])

    def train_step(self, real: Any, labels: Any = None) -> dict[str, float]:
        """A discriminator step then a generator step on one batch; returns {'d_loss', 'g_loss'}."""
        d_loss = self.discriminator_step(real, labels)
        g_loss = self.generator_step(len(real))
        self.step_history["d_loss"].append(d_loss)
        self.step_history["g_loss"].append(g_loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def fit(self, x: Any, y: Any = None, *, epochs: int = 1, batch_size: int = 64,
            on_epoch_end: Callable[[int, GAN], None] | None = None, verbose: bool = False,
            progress: bool = True) -> dict[str, list[float]]:
        """Train for `epochs` passes over x (shuffled, incomplete last batch dropped); returns per-epoch history.

        x: images shaped like the generator's output and scaled to its range; y: class indices for a
        conditional GAN. `on_epoch_end(epoch, gan)` is called after each epoch (epochs count from 1).
        With `progress` (the default) one bar shows the epochs with both losses and one summary line
        stays at the end; `verbose` adds a line per epoch; `progress=False, verbose=False` prints nothing.
        """
        from mlcourse.training import EpochProgress, format_seconds

        epochs = check_positive_int(epochs, "epochs")
        x = self._check_real(x)
        if self.conditional:
            if y is None:
                raise ValueError("this GAN is conditional: pass y, the class index of every image.")
            y = self._labels(y, len(x))
        elif y is not None:
            raise ValueError("this GAN is unconditional: do not pass y.")
        if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= len(x):
            raise ValueError(f"batch_size must be between 1 and the number of images ({len(x)}); got {batch_size!r}.")
        steps = len(x) // batch_size
        bar = EpochProgress(epochs, desc=f"training {self.generator.name}", enabled=progress)
        start = time.perf_counter()
        try:
            for epoch in range(1, epochs + 1):
                t0 = time.perf_counter()
                order = self._rng.permutation(len(x))
                d_sum = g_sum = 0.0
                for s in range(steps):
                    idx = order[s * batch_size:(s + 1) * batch_size]
                    out = self.train_step(x[idx], y[idx] if self.conditional else None)
                    d_sum, g_sum = d_sum + out["d_loss"], g_sum + out["g_loss"]
                self.history["d_loss"].append(d_sum / steps)
                self.history["g_loss"].append(g_sum / steps)
                self.history["seconds"].append(time.perf_counter() - t0)
                bar.update(d_loss=d_sum / steps, g_loss=g_sum / steps)
                if verbose:
                    bar.write(f"epoch {epoch}: d_loss {d_sum / steps:.3f}, g_loss {g_sum / steps:.3f}, "
                              f"{self.history['seconds'][-1]:.1f} s")
                if on_epoch_end is not None:
                    on_epoch_end(epoch, self)
        except BaseException:
            bar.close()
            raise
        bar.close(f"trained {epochs} epoch{'s' if epochs != 1 else ''} in "
                  f"{format_seconds(time.perf_counter() - start)}; last epoch d_loss "
                  f"{self.history['d_loss'][-1]:.3f}, g_loss {self.history['g_loss'][-1]:.3f}")
        return self.history
