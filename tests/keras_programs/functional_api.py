"""Follows keras.io's "The Functional API" guide, its model with several inputs and outputs:
support tickets whose text features and tags give a priority score (a regression) and the
department that handles them (a classification), trained with one loss per output, weighted.

The two inputs are joined with ``ops.concatenate`` on the symbolic tensors (Keras 3 records an
op on symbolic tensors as a graph node). The data is synthetic: 256 tickets, 16 text features
and 6 binary tags each; the targets are fixed functions of them.
"""

import numpy as np

import numkeras as keras
from numkeras import layers, ops

NUM_FEATURES = 16
NUM_TAGS = 6
NUM_DEPARTMENTS = 4


def make_tickets(n: int = 256, seed: int = 1) -> tuple[dict, dict]:
    """Inputs and targets keyed by the names of the model's inputs and outputs."""
    rng = np.random.default_rng(seed)
    text = rng.normal(size=(n, NUM_FEATURES)).astype("float32")
    tags = (rng.random((n, NUM_TAGS)) < 0.3).astype("float32")
    urgency = text[:, :4].sum(axis=1) + 2.0 * tags[:, 0]
    priority = (1.0 / (1.0 + np.exp(-urgency))).astype("float32")[:, None]
    department = (text[:, 4:8] + tags[:, 1:5]).argmax(axis=1)
    one_hot = np.eye(NUM_DEPARTMENTS, dtype="float32")[department]
    return {"text": text, "tags": tags}, {"priority": priority, "department": one_hot}


def build_model() -> keras.Model:
    text_input = keras.Input(shape=(NUM_FEATURES,), name="text")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")
    text_features = layers.Dense(32, activation="relu")(text_input)
    tag_features = layers.Dense(8, activation="relu")(tags_input)
    joined = ops.concatenate([text_features, tag_features], axis=-1)
    hidden = layers.Dense(32, activation="relu")(joined)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(hidden)
    department = layers.Dense(NUM_DEPARTMENTS, activation="softmax", name="department")(hidden)
    return keras.Model(
        inputs=[text_input, tags_input], outputs=[priority, department], name="tickets"
    )


def main() -> dict:
    keras.utils.set_random_seed(11)
    x, y = make_tickets()
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss={
            "priority": keras.losses.BinaryCrossentropy(),
            "department": keras.losses.CategoricalCrossentropy(),
        },
        loss_weights={"priority": 1.0, "department": 0.5},
        metrics={"department": ["accuracy"], "priority": ["mae"]},
    )
    before = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    after = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    priority, department = model.predict(x, batch_size=64, verbose=0)
    return {
        "loss_before": before["loss"],
        "loss_after": after["loss"],
        "department_accuracy": after["department_accuracy"],
        "priority_mae": after["priority_mae"],
        "output_shapes": [priority.shape[1:], department.shape[1:]],
        "layer_names": [layer.name for layer in model.layers],
    }
