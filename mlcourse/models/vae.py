"""The variational autoencoder of chapter 09: a reparameterised `Sampling` layer, a
`VAE` model that adds its KL term with `add_loss`, and the matching reconstruction loss.

Everything uses `keras.layers`, `keras.ops` and `keras.random` only, so it runs unchanged on the
TensorFlow, JAX and PyTorch backends. `import mlcourse` does not import this module (it imports
Keras); use `from mlcourse import models` after `mlcourse.setup()`.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

__all__ = ["Sampling", "VAE", "kl_divergence", "summed_bce", "build_dense_vae"]


def kl_divergence(z_mean: Any, z_log_var: Any) -> Any:
    """KL( N(mu, diag sigma^2) || N(0, I) ) per example, summed over the latent dimensions.

    Closed form: -1/2 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2). Returns a tensor of shape (batch,).
    NumPy arrays are accepted on every backend (they are converted to the backend's tensors first).
    """
    z_mean = ops.convert_to_tensor(z_mean)
    z_log_var = ops.convert_to_tensor(z_log_var, dtype=z_mean.dtype)
    return -0.5 * ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)


def summed_bce(y_true: Any, y_pred: Any) -> Any:
    """Binary cross-entropy summed over all pixels of each example (shape (batch,)).

    The negative log-likelihood of a Bernoulli decoder for intensities in [0, 1]. Summing over the
    pixels (and not averaging) keeps it on the same scale as the KL term, which is summed over the
    latent dimensions; Keras then averages the per-example values over the batch.
    """
    eps = 1e-7
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    p = ops.clip(y_pred, eps, 1.0 - eps)
    per_value = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.sum(ops.reshape(per_value, (ops.shape(per_value)[0], -1)), axis=-1)


@keras.saving.register_keras_serializable(package="mlcourse")
class Sampling(layers.Layer):
    """z = mu + sigma * eps with eps ~ N(0, I) and sigma = exp(log_var / 2): the reparameterisation trick.

    Called on [z_mean, z_log_var]. The noise comes from a `keras.random.SeedGenerator`, so a fixed
    `seed` gives reproducible draws on every backend.
    """

    def __init__(self, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs: Any) -> Any:
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="mlcourse")
class VAE(keras.Model):
    """A variational autoencoder from an encoder x -> [z_mean, z_log_var, z] and a decoder z -> x_hat.

    `call` returns the reconstruction and adds beta * mean_batch(KL) with `self.add_loss`; compile
    with `loss=summed_bce` (or a summed squared error) so that the training loss is the negative ELBO
    per example: reconstruction term + KL term.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = float(beta)
        if encoder.built and decoder.built:  # functional sub-models: nothing left to build
            self.built = True

    def call(self, x: Any, training: bool | None = None) -> Any:
        z_mean, z_log_var, z = self.encoder(x, training=training)
        self.add_loss(self.beta * ops.mean(kl_divergence(z_mean, z_log_var)))
        return self.decoder(z, training=training)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
        }

    @classmethod
    def from_config(cls, config: dict) -> "VAE":
        config = dict(config)
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


def build_dense_vae(input_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 2, hidden: int = 256,
                    beta: float = 1.0, seed: int | None = None) -> VAE:
    """A dense VAE: Flatten -> Dense(hidden, relu) -> (z_mean, z_log_var) -> Sampling, and the mirror
    decoder Dense(hidden, relu) -> Dense(n_pixels, sigmoid) -> Reshape. Not compiled."""
    n_pixels = 1
    for d in input_shape:
        n_pixels *= int(d)
    x_in = keras.Input(shape=input_shape, name="image")
    h = layers.Dense(hidden, activation="relu", name="enc_hidden")(layers.Flatten()(x_in))
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])
    encoder = keras.Model(x_in, [z_mean, z_log_var, z], name="encoder")

    z_in = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(hidden, activation="relu", name="dec_hidden")(z_in)
    out = layers.Reshape(input_shape)(layers.Dense(n_pixels, activation="sigmoid", name="pixels")(h))
    decoder = keras.Model(z_in, out, name="decoder")
    return VAE(encoder, decoder, beta=beta, name="vae")
