"""Follows keras.io's "Making new layers and models via subclassing" guide, its end-to-end
example: a variational autoencoder written as a subclassed model. The encoder gives the mean
and log-variance of a Gaussian code, a ``Sampling`` layer draws from it with
``keras.random.normal`` and its own ``SeedGenerator`` (the reparameterization trick), and the KL
divergence to the unit Gaussian joins the reconstruction loss through ``add_loss``.

The data is synthetic: 256 vectors in 20-D that lie near a 2-D curved manifold.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops

LATENT_DIM = 2


class Sampling(layers.Layer):
    """Draws z = mean + exp(log_var / 2) * epsilon, with epsilon ~ N(0, 1)."""

    def __init__(self, seed: int = 1337, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    """Maps an input to (z_mean, z_log_var, z)."""

    def __init__(self, latent_dim: int = LATENT_DIM, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.mean = layers.Dense(latent_dim)
        self.log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        h = self.hidden(inputs)
        z_mean, z_log_var = self.mean(h), self.log_var(h)
        return z_mean, z_log_var, self.sampling((z_mean, z_log_var))


class Decoder(layers.Layer):
    """Maps a code back to the input space."""

    def __init__(self, original_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(32, activation="relu")
        self.out = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


class VariationalAutoEncoder(keras.Model):
    """Encoder, decoder, and the KL term added as a loss on every call."""

    def __init__(self, original_dim: int, kl_weight: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight
        self.encoder = Encoder()
        self.decoder = Decoder(original_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        kl = -0.5 * ops.mean(
            ops.sum(1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        )
        self.add_loss(self.kl_weight * kl)
        return self.decoder(z)


def make_data(n: int = 256, dim: int = 20, seed: int = 9) -> np.ndarray:
    rng = np.random.default_rng(seed)
    codes = rng.normal(size=(n, 2))
    lift = rng.normal(size=(3, dim)) * 2.0
    features = np.stack([codes[:, 0], codes[:, 1], codes[:, 0] * codes[:, 1]], axis=1)
    return (1.0 / (1.0 + np.exp(-features @ lift))).astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(10)
    x = make_data()
    vae = VariationalAutoEncoder(original_dim=x.shape[1])
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse")
    loss_before = vae.evaluate(x, x, batch_size=64, verbose=0)
    mse_before = float(np.mean(np.square(vae.predict(x, batch_size=64, verbose=0) - x)))
    vae.fit(x, x, batch_size=32, epochs=8, verbose=0)
    loss_after = vae.evaluate(x, x, batch_size=64, verbose=0)
    mse_after = float(np.mean(np.square(vae.predict(x, batch_size=64, verbose=0) - x)))

    # The KL term of one call is in vae.losses; codes come from the encoder alone.
    vae(x[:64])
    kl_term = float(np.asarray(vae.losses[0]))
    z_mean, _, z = vae.encoder(x[:64])
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "reconstruction_mse_before": mse_before,
        "reconstruction_mse_after": mse_after,
        "kl_term": kl_term,
        "num_losses": len(vae.losses),
        "latent_shape": tuple(np.asarray(z).shape),
        "sampling_adds_noise": not np.allclose(np.asarray(z), np.asarray(z_mean)),
    }
