"""Datasets with Keras's ``load_data()``: ``mnist``, ``fashion_mnist``, ``cifar10``,
``cifar100``, ``boston_housing``, ``california_housing``, ``imdb`` and ``reuters``.

Each module's ``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` as Keras's does;
MNIST's and Fashion-MNIST's ``load()`` returns the same arrays in a :class:`LoadedData` that
also says where they came from. Files are found in numkeras's cache, Keras's cache or system
folders, or downloaded with SHA-256 checks; MNIST also ships a real offline sample, which
``mnist.load_data()`` falls back to with a warning (``mnist.load_data(sample=True)`` takes it
at once).
"""

from numkeras.datasets import (
    boston_housing,
    california_housing,
    cifar10,
    cifar100,
    fashion_mnist,
    imdb,
    mnist,
    reuters,
)
from numkeras.datasets._loader import DatasetUnavailableError, LoadedData

__all__ = [
    "DatasetUnavailableError",
    "LoadedData",
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
