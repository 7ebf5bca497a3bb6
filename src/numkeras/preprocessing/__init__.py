"""Around the three steps: more training data, made by transforming the data we have.

:class:`ImageDataGenerator` (Keras's classic augmenting iterator) and the batched affine
resampling that it and the augmentation layers share (:mod:`numkeras.ops.image`).
"""

from .image import DirectoryIterator, ImageDataGenerator, NumpyArrayIterator

__all__ = ["DirectoryIterator", "ImageDataGenerator", "NumpyArrayIterator"]
