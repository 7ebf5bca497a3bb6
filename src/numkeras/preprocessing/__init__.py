"""Around the three steps: more training data, made by transforming the data we have.

:class:`ImageDataGenerator` (Keras's classic augmenting iterator) and the shared batched
resampling in :mod:`numkeras.preprocessing.affine` that it and the augmentation layers use.
"""
