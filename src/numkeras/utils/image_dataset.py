"""Keras 3's ``image_dataset_from_directory``: a folder of class subfolders as batches of images.

``image_dataset_from_directory('photos', image_size=(64, 64), validation_split=0.2,
subset='both', seed=1)`` lists the image files under ``photos/<class>/``, gives each the index
of its class (the subfolder names, sorted), shuffles the list with ``seed``, splits off the
validation part and returns sources of ``(images, labels)`` batches that ``fit``, ``evaluate``
and ``predict`` take. Files are listed, labelled, shuffled and split exactly as Keras does
(``keras.utils.image_dataset_from_directory``), and each image is decoded by Pillow and resized
as Keras's Pillow path does (``ops.image.resize``), so the batches hold the same pixels.

Keras returns a ``tf.data.Dataset``; numkeras has no TensorFlow, so it returns a
:class:`~numkeras.utils.PyDataset` that reads its files batch by batch when asked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import backend
from ..ops import image as image_ops
from ..ops.arguments import standardize_data_format
from ..ops.conversion import convert_to_numpy
from ..ops.core import no_grad
from .data_utils import PyDataset
from .image_utils import COLOR_MODES, img_to_array, load_img

#: The file suffixes that Keras 3 reads as images (case ignored).
ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
LABEL_MODES = ("int", "categorical", "binary", None)
SUBSETS = ("training", "validation", "both")
#: The channels of each color_mode.
CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


# -- listing files (shared with ImageDataGenerator.flow_from_directory) -------------------------
def class_subdirectories(directory: str | os.PathLike[str], skip_hidden: bool) -> list[str]:
    """The names of ``directory``'s subfolders, sorted; ``skip_hidden`` leaves out those whose
    name starts with a dot (Keras 3 does, Keras 2's ``flow_from_directory`` does not)."""
    if not os.path.isdir(directory):
        raise ValueError(f"directory must be an existing folder. Received: {directory!r}")
    return [
        name
        for name in sorted(os.listdir(directory))
        if os.path.isdir(os.path.join(directory, name))
        and not (skip_hidden and name.startswith("."))
    ]


def walk_files(
    directory: str | os.PathLike[str], formats: tuple[str, ...], follow_links: bool
) -> Iterator[str]:
    """The paths of the files under ``directory`` (recursively) whose lower-cased name ends with
    one of ``formats``, in Keras's order: folders sorted by path, files by name within each."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda w: w[0]):
        for name in sorted(files):
            if name.lower().endswith(formats):
                yield os.path.join(root, name)


def index_directory(
    directory: str | os.PathLike[str],
    labels: Any,
    class_names: Sequence[str] | None,
    shuffle: bool,
    seed: int,
    follow_links: bool,
    verbose: bool,
) -> tuple[list[str], np.ndarray | None, list[str] | None]:
    """``(file_paths, labels, class_names)`` of the images in ``directory``, as Keras's
    ``dataset_utils.index_directory``.

    With ``labels='inferred'`` each subfolder is a class (``class_names`` picks and orders
    them) and its images, at any depth, get its index; otherwise every image under
    ``directory`` is listed, with ``labels`` (one per file, in listing order) or none. With
    ``shuffle`` the list is permuted by ``numpy.random.RandomState(seed)``.
    """
    directory = os.fspath(directory)
    if labels == "inferred":
        found = class_subdirectories(directory, skip_hidden=True)
        if class_names is not None and not set(class_names) <= set(found):
            raise ValueError(
                "class_names must name subfolders of directory. Expected some of "
                f"{found}, received: class_names={list(class_names)}"
            )
        folders = list(found if class_names is None else class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "class_names can only be given with labels='inferred' (and a label_mode). "
                f"Received: labels={'a list' if labels else None}, class_names={class_names!r}"
            )
        folders = [""]  # the whole tree, labelled by the list or not at all
    paths: list[str] = []
    indices: list[int] = []
    for index, folder in enumerate(folders):
        found_paths = list(
            walk_files(os.path.join(directory, folder), ALLOWLIST_FORMATS, follow_links)
        )
        paths += found_paths
        indices += [index] * len(found_paths)
    if labels == "inferred":
        label_array: np.ndarray | None = np.array(indices, dtype="int32")
        names: list[str] | None = folders
    elif labels is None:
        label_array, names = None, None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                f"labels must give one label per image file: found {len(paths)} files in "
                f"{directory!r}, received {len(labels)} labels"
            )
        label_array = np.asarray(labels)
        names = [str(label) for label in sorted(set(labels))]
    if verbose:
        classes = "" if names is None else f" belonging to {len(names)} classes"
        print(f"Found {len(paths)} files{classes}.")
    if shuffle:
        # RandomState's shuffle of a list and of an array make the same swaps, so Keras's two
        # shuffles (paths, then labels, each from a fresh RandomState(seed)) are one permutation.
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        label_array = None if label_array is None else label_array[order]
    return paths, label_array, names


def split_subset(
    paths: list[str], labels: np.ndarray | None, validation_split: float | None, subset: str
) -> tuple[list[str], np.ndarray | None]:
    """The ``'training'`` (first) or ``'validation'`` (last ``int(validation_split · n)``) part
    of the listing, as Keras's ``get_training_or_validation_split``; all of it without a
    split."""
    if not validation_split:
        return paths, labels
    keep = len(paths) - int(validation_split * len(paths))
    part = slice(None, keep) if subset == "training" else slice(keep, None)
    print(f"Using {len(paths[part])} files for {subset}.")
    return paths[part], None if labels is None else labels[part]


# -- the dataset --------------------------------------------------------------------------------
def encode_labels(labels: np.ndarray, label_mode: str, num_classes: int) -> np.ndarray:
    """Labels as Keras's datasets yield them: ``'int'`` int32 ``(n,)``, ``'binary'`` float32
    ``(n, 1)``, ``'categorical'`` float32 one-hot ``(n, num_classes)``."""
    if label_mode == "int":
        return labels.astype("int32")
    if label_mode == "binary":
        return labels.astype("float32").reshape(-1, 1)
    return np.eye(num_classes, dtype="float32")[labels]


class ImageDataset(PyDataset):
    """Batches of images read from files, with their labels; made by
    :func:`image_dataset_from_directory`.

    ``dataset[i]`` is batch ``i``: float32 images ``(batch, height, width, channels)`` (channels
    first with ``data_format='channels_first'``) and, with labels, ``(images, labels)``. With
    ``shuffle`` the order of the files is drawn again every epoch (from ``seed``), as Keras's
    shuffled dataset reshuffles on every pass. ``file_paths`` lists the files and
    ``class_names`` the classes, as the attributes of Keras's dataset.
    """

    def __init__(
        self,
        file_paths: list[str],
        labels: np.ndarray | None,
        class_names: list[str] | None,
        image_size: tuple[int, int],
        color_mode: str,
        interpolation: str,
        crop_to_aspect_ratio: bool,
        pad_to_aspect_ratio: bool,
        data_format: str,
        batch_size: int | None,
        shuffle: bool,
        seed: int,
    ):
        super().__init__()
        self.file_paths = file_paths
        self.labels = labels
        self.class_names = class_names
        self.image_size = image_size
        self.color_mode = color_mode
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.data_format = data_format
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._draw_order()

    def _draw_order(self) -> np.ndarray:
        count = len(self.file_paths)
        return self._rng.permutation(count) if self.shuffle else np.arange(count)

    def __len__(self) -> int:
        return -(-len(self.file_paths) // (self.batch_size or 1))

    def __getitem__(self, index: int) -> Any:
        if not 0 <= index < len(self):
            raise IndexError(f"index must be in [0, {len(self)}). Received: index={index}")
        if self.batch_size is None:  # unbatched: one sample per item, as Keras's batch_size=None
            rows = self._order[index : index + 1]
        else:
            rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        images = np.stack([self.load(self.file_paths[i]) for i in rows])
        labels = None if self.labels is None else self.labels[rows]
        if self.batch_size is None:
            images, labels = images[0], None if labels is None else labels[0]
        return images if labels is None else (images, labels)

    def load(self, path: str) -> np.ndarray:
        """One file as a float32 image of ``image_size``: decoded by Pillow in ``color_mode``,
        then resized by ``ops.image.resize`` (as Keras's Pillow-based loader does)."""
        pixels = img_to_array(
            load_img(path, color_mode=self.color_mode), "channels_last", "float32"
        )
        with no_grad():
            resized = image_ops.resize(
                pixels,
                self.image_size,
                interpolation=self.interpolation,
                crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                data_format="channels_last",
            )
        out = convert_to_numpy(resized).astype("float32", copy=False)
        return out.transpose(2, 0, 1) if self.data_format == "channels_first" else out

    def on_epoch_end(self) -> None:
        """Draw the next epoch's order of the files (when shuffling)."""
        self._order = self._draw_order()


def _check_arguments(
    labels: Any,
    label_mode: str | None,
    color_mode: str,
    batch_size: int | None,
    interpolation: str,
    validation_split: float | None,
    subset: str | None,
    shuffle: bool,
    seed: int | None,
    crop_to_aspect_ratio: bool,
    pad_to_aspect_ratio: bool,
) -> None:
    """Keras's checks of ``image_dataset_from_directory``'s arguments, with its rules."""
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "labels must be 'inferred', None or a list/tuple of integer labels, one per "
            f"image file. Received: labels={labels!r}"
        )
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {LABEL_MODES}. Received: {label_mode!r}")
    if color_mode not in COLOR_MODES:
        raise ValueError(f"color_mode must be one of {COLOR_MODES}. Received: {color_mode!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive integer or None. Received: batch_size={batch_size!r}"
        )
    if interpolation not in image_ops.RESIZE_INTERPOLATIONS:
        raise ValueError(
            f"interpolation must be one of {image_ops.RESIZE_INTERPOLATIONS} (numkeras's "
            f"resize). Received: interpolation={interpolation!r}"
        )
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"validation_split must be between 0 and 1. Received: {validation_split!r}"
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "subset and validation_split go together: give both or neither. Received: "
            f"validation_split={validation_split!r}, subset={subset!r}"
        )
    if subset not in (*SUBSETS, None):
        raise ValueError(f"subset must be one of {SUBSETS} or None. Received: {subset!r}")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "validation_split with shuffle=True needs a seed, so that the training and "
            "validation subsets do not overlap. Received: seed=None"
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True. Received "
            "both True"
        )


def image_dataset_from_directory(
    directory: str | os.PathLike[str],
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: Sequence[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: int | tuple[int, int] = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
) -> ImageDataset | list[ImageDataset]:
    """Batches of the images in ``directory``, with Keras 3's arguments and defaults.

    Args:
        directory: with ``labels='inferred'`` (default), one subfolder per class.
        labels: ``'inferred'`` (from the subfolders), None, or one integer label per file in
            listing order (folders sorted, then files sorted).
        label_mode: ``'int'`` (default; int32 ``(batch,)``), ``'categorical'`` (float32
            one-hot), ``'binary'`` (float32 ``(batch, 1)``, two classes only) or None.
        class_names: the subfolders to read, in the order of their labels. Default: all,
            sorted.
        color_mode: ``'rgb'`` (default), ``'rgba'`` or ``'grayscale'``: 3, 4 or 1 channels.
        batch_size: default 32; None yields one sample per item.
        image_size: ``(height, width)`` every image is resized to. Default ``(256, 256)``.
        shuffle: permute the files (with ``seed``), and again every epoch. Default True;
            False keeps them in alphanumeric order.
        seed: of the shuffling; needed with ``validation_split`` and ``shuffle``.
        validation_split: fraction of the (shuffled) files kept for validation: the last
            ``int(validation_split · n)``.
        subset: ``'training'``, ``'validation'`` or ``'both'`` (a list ``[training,
            validation]``); only with ``validation_split``.
        interpolation: ``'bilinear'`` (default) or ``'nearest'``.
        follow_links: descend into subfolders that are symbolic links. Default False.
        crop_to_aspect_ratio: crop the largest centred window of ``image_size``'s aspect ratio
            before resizing. Default False.
        pad_to_aspect_ratio: pad with zeros to that aspect ratio instead. Default False.
        data_format: ``'channels_last'`` or ``'channels_first'``; default the backend's.
        verbose: print how many files and classes were found. Default True.

    Returns:
        An :class:`ImageDataset` (a ``PyDataset``), or ``[training, validation]`` for
        ``subset='both'``; each has ``class_names`` and ``file_paths``.
    """
    _check_arguments(
        labels,
        label_mode,
        color_mode,
        batch_size,
        interpolation,
        validation_split,
        subset,
        shuffle,
        seed,
        crop_to_aspect_ratio,
        pad_to_aspect_ratio,
    )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    size = image_ops.check_size(
        (image_size, image_size) if isinstance(image_size, int) else image_size
    )
    data_format = standardize_data_format(data_format)
    if seed is None:
        seed = int(backend.rng().integers(1_000_000))
    paths, label_array, names = index_directory(
        directory, labels, class_names, shuffle, seed, follow_links, verbose
    )
    if label_mode == "binary" and len(names or ()) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes. Received: class_names={names}"
        )
    if label_array is not None:
        label_array = encode_labels(label_array, label_mode, len(names or ()))

    def dataset(part: str, shuffle_part: bool) -> ImageDataset:
        part_paths, part_labels = split_subset(paths, label_array, validation_split, part)
        if not part_paths:
            raise ValueError(
                f"No {part + ' ' if validation_split else ''}images found in directory "
                f"{os.fspath(directory)!r}. Allowed formats: {ALLOWLIST_FORMATS}"
            )
        return ImageDataset(
            part_paths,
            part_labels,
            names,
            size,
            color_mode,
            interpolation,
            crop_to_aspect_ratio,
            pad_to_aspect_ratio,
            data_format,
            batch_size,
            shuffle_part,
            seed,
        )

    if subset == "both":  # Keras does not reshuffle the validation part of 'both'
        return [dataset("training", shuffle), dataset("validation", False)]
    return dataset(subset or "training", shuffle)
