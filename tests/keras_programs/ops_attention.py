"""Follows keras.io's "Introduction to Keras for engineers" guide, its custom layers written with
``keras.ops`` (the backend-agnostic NumPy-like API): a single-head self-attention layer whose
query, key and value projections are weights of its own, with scores from ``ops.einsum``,
``ops.softmax`` over the keys and ``ops.matmul`` with the values, inside a subclassed model that
pools the sequence with ``ops.mean``.

The task is one that attention solves: each of 256 synthetic sequences has 6 tokens of 4
features, and the target is the average of feature 1 weighted by the softmax of feature 0.
"""

import math

import numpy as np

import numkeras as keras
from numkeras import layers, ops

SEQUENCE_LENGTH = 6
FEATURES = 4


class SelfAttention(layers.Layer):
    """softmax(Q K^T / sqrt(d)) V for the projections Q, K, V of the input tokens."""

    def __init__(self, key_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.key_dim = key_dim

    def build(self, input_shape):
        shape = (input_shape[-1], self.key_dim)
        self.query = self.add_weight(shape=shape, initializer="glorot_uniform", name="query")
        self.key = self.add_weight(shape=shape, initializer="glorot_uniform", name="key")
        self.value = self.add_weight(shape=shape, initializer="glorot_uniform", name="value")

    def call(self, inputs):
        q = ops.matmul(inputs, self.query)
        k = ops.matmul(inputs, self.key)
        v = ops.matmul(inputs, self.value)
        scores = ops.einsum("bqd,bkd->bqk", q, k) / math.sqrt(self.key_dim)
        self.last_attention = ops.softmax(scores, axis=-1)
        return ops.matmul(self.last_attention, v)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.key_dim)


class AttentionRegressor(keras.Model):
    """Self-attention, mean over the tokens, one linear output."""

    def __init__(self, key_dim: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.attention = SelfAttention(key_dim)
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(ops.mean(self.attention(inputs), axis=1))


def make_data(n: int = 256, seed: int = 29) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, SEQUENCE_LENGTH, FEATURES)).astype("float32")
    weights = np.exp(2.0 * x[:, :, 0])
    weights /= weights.sum(axis=1, keepdims=True)
    y = (weights * x[:, :, 1]).sum(axis=1, keepdims=True)
    return x, y.astype("float32")


def main() -> dict:
    keras.utils.set_random_seed(30)
    x, y = make_data()
    model = AttentionRegressor()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    loss_before = model.evaluate(x, y, batch_size=64, verbose=0)
    model.fit(x, y, batch_size=32, epochs=12, verbose=0)
    loss_after = model.evaluate(x, y, batch_size=64, verbose=0)

    model(x[:8])
    attention = ops.convert_to_numpy(model.attention.last_attention)
    return {
        "loss_before": float(loss_before),
        "loss_after": float(loss_after),
        "baseline_mse": float(np.var(y)),
        "attention_shape": attention.shape,
        "attention_rows_sum_to_one": bool(np.allclose(attention.sum(axis=-1), 1, atol=1e-5)),
    }
