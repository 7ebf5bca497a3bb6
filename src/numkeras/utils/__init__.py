"""Utilities: labels to one-hot, normalisation, seeding, plots, progress bars."""

from ..backend import set_random_seed
from .numerical import normalize, to_categorical
from .plotting import plot_history

__all__ = ["normalize", "plot_history", "set_random_seed", "to_categorical"]
