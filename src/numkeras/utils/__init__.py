"""Utilities: labels to one-hot, normalisation, padding sequences, seeding, plots, progress bars."""

from ..backend import set_random_seed
from .data_utils import PyDataset, Sequence, pack_x_y_sample_weight, unpack_x_y_sample_weight
from .gradient_plot import plot_model_gradients
from .numerical import normalize, to_categorical
from .plotting import plot_history
from .sequence_utils import pad_sequences

__all__ = [
    "PyDataset",
    "Sequence",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "normalize",
    "pad_sequences",
    "plot_history",
    "plot_model_gradients",
    "set_random_seed",
    "to_categorical",
]
