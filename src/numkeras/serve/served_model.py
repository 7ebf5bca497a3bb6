"""The model behind ``numkeras serve``: load it, check it reads digits, describe it, predict.

What ``GET /api/model`` reports, and where each part comes from:

- the architecture: the model file itself (layers, parameter counts, ``summary()``);
- the test accuracy: measured when the server starts, on the official MNIST test set (its
  10,000 digits ship with numkeras). It costs well under a second, needs no network, and is the
  accuracy of the file actually being served rather than a number someone wrote down;
- the data it was trained on: a model file does not record it, so it comes from a small JSON
  *model card* beside the model (``mnist_mlp.json`` beside ``mnist_mlp.numkeras``) when one
  exists: ``numkeras serve`` writes one whenever it trains a model, and any training script may
  write one with :func:`write_card`. Without a card it is reported as not recorded.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..utils.io_utils import atomic_write
from .preprocess import FIELD

#: Where ``numkeras hello`` saves its model, and so where ``numkeras serve`` looks by default.
DEFAULT_MODEL = Path("numkeras-out") / "mnist_mlp.numkeras"
CLASSES = 10
#: Keys of a model card that ``GET /api/model`` passes on (anything else in the file is ignored).
CARD_KEYS = ("trained_on", "epochs", "network")


def card_path(model_path: str | Path) -> Path:
    """The model card beside ``model_path``: same name, ``.json`` suffix."""
    return Path(model_path).with_suffix(".json")


def write_card(model_path: str | Path, trained_on: str, **details: Any) -> Path:
    """Write the model card of ``model_path``: the data it was trained on and how.

    Args:
        model_path: the ``.numkeras`` file the card describes.
        trained_on: one line naming the training data, e.g. ``LoadedData.source``.
        **details: more JSON-serialisable facts, e.g. ``epochs=5``, ``network="784-500-500-10"``.

    Returns:
        The card's path.
    """
    path = card_path(model_path)
    with atomic_write(path, "w") as file:
        file.write(json.dumps({"trained_on": trained_on, **details}, indent=2) + "\n")
    return path


def read_card(model_path: str | Path) -> dict[str, Any]:
    """The model card of ``model_path`` (only ``CARD_KEYS``), or ``{}`` when there is none.

    A card is a convenience beside the model, so an unreadable one is treated as absent.
    """
    try:
        card = json.loads(card_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(card, dict):
        return {}
    return {key: card[key] for key in CARD_KEYS if isinstance(card.get(key), (str, int, float))}


@dataclass
class ServedModel:
    """A trained digit classifier, ready to answer one request at a time from many threads.

    Build one with :meth:`load`. ``predict`` takes (n, 28, 28) images in [0, 1] whatever the
    model's own input layout ((n, 784) for the course's MLP, (n, 28, 28, 1) for a CNN).
    """

    model: Any
    name: str
    card: dict[str, Any] = field(default_factory=dict)
    test_accuracy: float | None = None
    test_set: str = ""
    _input_shape: tuple[int, ...] = ()
    # The engine's no-grad switch and the model's buffers are shared state: one predict at a time.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, path: str | Path, measure: bool = True) -> ServedModel:
        """Load the ``.numkeras`` file at ``path`` and check that it classifies 28x28 digits.

        Args:
            path: a model saved with ``model.save``.
            measure: measure the test accuracy on the official MNIST test set now.

        Raises:
            FileNotFoundError: there is no file at ``path``.
            ValueError: the file is not a model, or not one that reads 784 pixels and gives
                10 class probabilities, or its weights or its outputs (for a blank image and,
                when measuring, for the test digits) are not all finite numbers.
        """
        from .. import backend
        from ..models import load_model
        from ..saving.weights import non_finite_count

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No model file at {path}.")
        model = load_model(path, compile=False)
        broken = [
            weight.name
            for weight in model.weights
            if non_finite_count(backend.to_numpy(weight.data))
        ]
        if broken:
            raise ValueError(
                f"numkeras serve needs a model whose weights are finite numbers. "
                f"Received: NaN or infinity in {', '.join(broken)} of {path}"
            )
        input_shape = tuple(model.inputs[0].shape[1:])
        if int(np.prod(input_shape)) != FIELD * FIELD:
            raise ValueError(
                f"numkeras serve needs a model that reads 28x28 digits (784 "
                f"values per sample). Received: a model with input shape "
                f"{input_shape} from {path}"
            )
        served = cls(model=model, name=path.name, card=read_card(path), _input_shape=input_shape)
        probabilities = served.predict(np.zeros((1, FIELD, FIELD), np.float32))
        if probabilities.shape != (1, CLASSES):
            raise ValueError(
                f"numkeras serve needs a model with {CLASSES} outputs, one "
                f"probability per digit. Received: output shape "
                f"{probabilities.shape[1:]} from {path}"
            )
        _require_finite(probabilities, "a blank 28x28 image", path.name)
        if measure:
            served.measure_test_accuracy()
        return served

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n, 10), for ``images`` of shape (n, 28, 28) in [0, 1]:
        computed on the device the model was loaded on, returned as a NumPy array."""
        x = np.ascontiguousarray(images, dtype=np.float32).reshape((-1, *self._input_shape))
        with self._lock:
            return np.asarray(self.model.predict_on_batch(x))

    def measure_test_accuracy(self) -> float:
        """Accuracy on the official MNIST test set (10,000 digits packaged with numkeras).

        Raises:
            ValueError: the model's output for some test digit is not finite.
        """
        from ..datasets import mnist

        data = mnist.load(sample=True)
        x_test = data.x_test.reshape((-1, *self._input_shape)).astype(np.float32) / 255
        with self._lock:
            probabilities = self.model.predict(x_test, batch_size=1000, verbose=0)
        _require_finite(probabilities, "the test digits", self.name)
        self.test_accuracy = float(np.mean(probabilities.argmax(axis=1) == data.y_test))
        self.test_set = (
            f"the official MNIST test set ({len(data.y_test):,} digits, packaged "
            f"with numkeras), measured when the server started"
        )
        return self.test_accuracy

    def describe(self) -> dict[str, Any]:
        """What ``GET /api/model`` answers: architecture, training data, test accuracy."""
        lines: list[str] = []
        self.model.summary(print_fn=lines.append)
        return {
            "model": self.name,
            "input_shape": list(self._input_shape),
            "layers": [
                {
                    "name": layer.name,
                    "type": type(layer).__name__,
                    "params": int(layer.count_params()),
                }
                for layer in self.model.layers
            ],
            "params": int(self.model.count_params()),
            "summary": "\n".join(lines),
            "trained_on": self.card.get("trained_on"),
            "card": self.card,
            "test_accuracy": self.test_accuracy,
            "test_set": self.test_set,
        }


def _require_finite(probabilities: np.ndarray, inputs: str, model: str) -> None:
    # A NaN or an infinity cannot be sent as JSON, and means the model reads nothing anyway:
    # refusing it when the server starts beats failing every request.
    broken = int((~np.isfinite(probabilities).all(axis=1)).sum())
    if broken:
        raise ValueError(
            f"numkeras serve needs a model whose outputs are finite numbers. "
            f"Received: NaN or infinity in the output of {model} for {broken:,} "
            f"of {len(probabilities):,} inputs ({inputs})"
        )


def train_default(path: str | Path, epochs: int, seed: int = 1, verbose: int = 1) -> Path:
    """Train ``numkeras hello``'s network on the packaged MNIST sample; save it and its card.

    The network is :func:`numkeras.recipe.networks.course_mlp` with its defaults (784-500-500-10,
    ReLU, dropout 0.2, Adam), trained with batches of 100 as in the course.
    """
    from .. import backend
    from ..datasets import mnist
    from ..recipe.networks import course_mlp
    from ..utils import to_categorical

    backend.set_random_seed(seed)
    data = mnist.load(sample=True)
    x_train = data.x_train.reshape(-1, FIELD * FIELD).astype(np.float32) / 255
    model = course_mlp()
    model.fit(
        x_train,
        to_categorical(data.y_train, CLASSES),
        batch_size=100,
        epochs=epochs,
        verbose=verbose,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    write_card(
        path,
        trained_on=data.source,
        epochs=epochs,
        network="numkeras hello's 784-500-500-10 MLP (ReLU, dropout 0.2, Adam)",
    )
    return path
