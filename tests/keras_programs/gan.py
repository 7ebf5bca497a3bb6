"""Follows keras.io's "Customizing what happens in fit()" guide, its GAN example (the TensorFlow
version, whose ``tf.GradientTape`` is ``keras.GradientTape`` here): a ``GAN`` model holds a
generator and a discriminator, its ``compile`` takes one optimizer for each, and its
``train_step`` makes two updates per batch, the discriminator's on real and generated samples,
then the generator's through the discriminator; latent vectors come from ``keras.random.normal``
with the model's own ``SeedGenerator``.

Real Keras 3 on JAX has no ``GradientTape``, so this program runs on numkeras only.

The "images" are 2-D points from a Gaussian centred at (2, -1); the generator starts near the
origin and should move its samples there.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops

LATENT_DIM = 4
CENTER = np.array([2.0, -1.0], dtype="float32")


class GAN(keras.Model):
    """A generator and a discriminator trained against each other."""

    def __init__(self, discriminator, generator, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, inputs):
        # The model scores samples, so that calling it on a batch of fit's data is meaningful.
        return self.discriminator(inputs)

    def train_step(self, data):
        real = data[0] if isinstance(data, tuple) else data
        batch_size = ops.shape(real)[0]
        latent = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

        # The discriminator learns to tell generated samples (label 1) from real ones (label 0).
        samples = ops.concatenate([self.generator(latent), real], axis=0)
        labels = ops.concatenate([ops.ones((batch_size, 1)), ops.zeros((batch_size, 1))], axis=0)
        with keras.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(samples))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        # The generator learns to make the discriminator call its samples real.
        latent = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with keras.GradientTape() as tape:
            predictions = self.discriminator(self.generator(latent))
            g_loss = self.loss_fn(ops.zeros((batch_size, 1)), predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def distance_to_data(generator, seed: int = 0) -> float:
    """How far the mean of 256 generated points lies from the data's centre."""
    latent = keras.random.normal((256, LATENT_DIM), seed=seed)
    points = np.asarray(generator(latent))
    return float(np.linalg.norm(points.mean(axis=0) - CENTER))


def main() -> dict:
    keras.utils.set_random_seed(19)
    rng = np.random.default_rng(20)
    real = (CENTER + 0.3 * rng.normal(size=(256, 2))).astype("float32")

    discriminator = keras.Sequential(
        [keras.Input(shape=(2,)), layers.Dense(16, activation="relu"), layers.Dense(1)],
        name="discriminator",
    )
    generator = keras.Sequential(
        [keras.Input(shape=(LATENT_DIM,)), layers.Dense(16, activation="relu"), layers.Dense(2)],
        name="generator",
    )
    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=LATENT_DIM)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=0.005, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(learning_rate=0.005, beta_1=0.5),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    distance_before = distance_to_data(generator)
    history = gan.fit(real, batch_size=32, epochs=5, verbose=0)
    return {
        "distance_before": distance_before,
        "distance_after": distance_to_data(generator),
        "d_loss": history.history["d_loss"][-1],
        "g_loss": history.history["g_loss"][-1],
        "d_steps": int(np.asarray(gan.d_optimizer.iterations)),
        "g_steps": int(np.asarray(gan.g_optimizer.iterations)),
    }
