"""Utilities: labels to one-hot, normalisation, padding sequences, seeding, plots, progress bars."""

from ..backend import set_random_seed
from .data_utils import (
    PyDataset,
    Sequence,
    pack_x_y_sample_weight,
    split_dataset,
    unpack_x_y_sample_weight,
)
from .file_utils import get_file
from .gradient_plot import plot_model_gradients
from .image_dataset import image_dataset_from_directory
from .image_utils import array_to_img, img_to_array, load_img, save_img
from .model_visualization import model_to_dot, model_to_text, plot_model
from .numerical import normalize, to_categorical
from .plotting import plot_history
from .progbar import Progbar
from .sequence_utils import pad_sequences

__all__ = [
    "array_to_img",
    "img_to_array",
    "load_img",
    "model_to_dot",
    "model_to_text",
    "plot_model",
    "save_img",
    "Progbar",
    "PyDataset",
    "Sequence",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "get_file",
    "image_dataset_from_directory",
    "normalize",
    "pad_sequences",
    "plot_history",
    "plot_model_gradients",
    "set_random_seed",
    "split_dataset",
    "to_categorical",
]
