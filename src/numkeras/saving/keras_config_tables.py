"""How numkeras's configs differ from Keras 3's (and Keras 2's and 1's), as data.

:mod:`.keras_config` walks a config and applies these tables; nothing here runs. Each class
that spells its config differently has a :class:`Keys` entry: the keys it renames, the keys
only numkeras has (with the value that means "as Keras does it"), and the keys only Keras has
(with the value that means "as numkeras does it"). A key of the other side holding any other
value cannot be expressed, so the translation refuses it rather than change the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from ..optimizers.base import _KERAS_ONLY_DEFAULTS


@dataclasses.dataclass(frozen=True)
class Keys:
    """How one class's config keys differ between numkeras and Keras 3.

    Attributes:
        renamed: numkeras key -> Keras key.
        numkeras_only: numkeras key -> the value under which Keras 3 behaves the same.
        keras_only: Keras key -> the value under which numkeras behaves the same.
    """

    renamed: Mapping[str, str] = dataclasses.field(default_factory=dict)
    numkeras_only: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    keras_only: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    #: Keras keys that only tuned how Keras ran (compilation, memory use), dropped whatever
    #: they hold: numkeras computes the same with any value.
    ignored: frozenset[str] = frozenset()

    def __or__(self, other: Keys) -> Keys:
        return Keys(
            {**self.renamed, **other.renamed},
            {**self.numkeras_only, **other.numkeras_only},
            {**self.keras_only, **other.keras_only},
            self.ignored | other.ignored,
        )


#: numkeras package -> the Keras 3 module that holds the same classes.
MODULES: Mapping[str, str] = {
    "numkeras.layers": "keras.layers",
    "numkeras.initializers": "keras.initializers",
    "numkeras.regularizers": "keras.regularizers",
    "numkeras.constraints": "keras.constraints",
    "numkeras.losses": "keras.losses",
    "numkeras.metrics": "keras.metrics",
    "numkeras.optimizers": "keras.optimizers",
    "numkeras.schedules": "keras.optimizers.schedules",
    "numkeras.models": "keras.models",
}

#: What one object of each package is called in messages.
KINDS: Mapping[str, str] = {
    "numkeras.layers": "layer",
    "numkeras.initializers": "initializer",
    "numkeras.regularizers": "regularizer",
    "numkeras.constraints": "constraint",
    "numkeras.losses": "loss",
    "numkeras.metrics": "metric",
    "numkeras.optimizers": "optimizer",
    "numkeras.schedules": "learning-rate schedule",
    "numkeras.models": "model",
}

#: How Keras 3 names the module of its model classes (what its ``serialize_keras_object``
#: writes), and the ``registered_name`` it gives them.
MODEL_ENTRIES: Mapping[str, Mapping[str, Any]] = {
    "Sequential": {"module": "keras", "registered_name": None},
    "Functional": {"module": "keras.src.models.functional", "registered_name": "Functional"},
}

#: A subclassed model's ``build_config`` keys: numkeras's -> Keras 3's.
BUILD_CONFIG_KEYS: Mapping[str, str] = {"build_input_shape": "input_shape"}

#: Keras 2 names of numkeras's functional model class (Keras 2 wrote "Model", tf.keras 2.4+
#: "Functional").
FUNCTIONAL_NAMES = frozenset({"Model", "Functional"})

#: numkeras's classes that Keras 3 does not have, by package.
KERAS_LACKS: Mapping[str, frozenset[str]] = {
    "numkeras.layers": frozenset({"Maxout", "DropConnect", "OpLayer", "HostLayer"}),
    "numkeras.losses": frozenset({"LossFunctionWrapper"}),
    "numkeras.schedules": frozenset({"InverseSqrtDecay"}),
}

#: numkeras's classes that Keras 3 has but cannot rebuild from what numkeras stores, with why.
NOT_EXPORTED: Mapping[tuple[str, str], str] = {
    ("numkeras.layers", "Lambda"): (
        "Keras 3 rebuilds a Lambda layer from its Python bytecode, which numkeras never stores"
    ),
}

#: numkeras's classes that Keras 3 names otherwise: (package, numkeras name) -> Keras name.
KERAS_NAMES: Mapping[tuple[str, str], str] = {
    ("numkeras.initializers", "OrthogonalInitializer"): "Orthogonal",
    ("numkeras.initializers", "IdentityInitializer"): "Identity",
}

#: Arguments Keras 3 records in a layer call that numkeras supplies itself: ``training``
#: (Keras records the value at graph-building time and overrides it on every run, as numkeras
#: does) and ``mask`` (the mask its inputs carry, which numkeras passes along with them).
IMPLICIT_CALL_ARGUMENTS = frozenset({"training", "mask"})

#: Dtype policies numkeras can follow: a layer computes in its weights' dtype.
PLAIN_DTYPES = frozenset({"float16", "float32", "float64", "bfloat16"})

#: Keys every Keras 3 layer may write, with the value that numkeras's layers behave as.
_LAYER = Keys(keras_only={"quantization_config": None})
#: Low-rank adaptation, which numkeras's layers do not have.
_LORA = Keys(keras_only={"lora_rank": None, "lora_alpha": None})
#: Keras 3's VarianceScaling family can pick the fan axes of a kernel; numkeras takes
#: Keras's default ones.
_FAN_AXES = Keys(keras_only={"input_axes": None, "output_axes": None})
#: Keras 3's image augmentation layers take a data format; numkeras's work channels-last.
_CHANNELS_LAST = Keys(keras_only={"data_format": "channels_last"})
#: Keras 3's SpatialDropout layers take no ``trainable`` argument (they have no weights).
_NO_TRAINABLE = Keys(numkeras_only={"trainable": True})

#: Per-family keys: how every class of the family differs.
FAMILY_KEYS: Mapping[str, Keys] = {
    "numkeras.layers": _LAYER,
    "numkeras.optimizers": Keys(
        keras_only=dict(_KERAS_ONLY_DEFAULTS),
        ignored=frozenset({"jit_compile", "is_legacy_optimizer"}),
    ),
}

#: Per-class keys, by (numkeras package, class name).
CLASS_KEYS: Mapping[tuple[str, str], Keys] = {
    ("numkeras.layers", "InputLayer"): Keys(
        renamed={"batch_input_shape": "batch_shape"},
        keras_only={"sparse": False, "ragged": False, "optional": False},
    ),
    ("numkeras.layers", "BatchNormalization"): Keys(
        keras_only={"renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}
    ),
    **{("numkeras.layers", name): _LORA for name in ("Dense", "Embedding")},
    **{
        ("numkeras.layers", name): _CHANNELS_LAST
        for name in (
            "RandomTranslation",
            "RandomRotation",
            "RandomZoom",
            "RandomFlip",
            "RandomContrast",
        )
    },
    **{("numkeras.layers", f"SpatialDropout{n}D"): _NO_TRAINABLE for n in (1, 2)},
    **{
        ("numkeras.initializers", name): _FAN_AXES
        for name in (
            "VarianceScaling",
            "GlorotUniform",
            "GlorotNormal",
            "HeUniform",
            "HeNormal",
            "LecunUniform",
            "LecunNormal",
        )
    },
    ("numkeras.losses", "SparseCategoricalCrossentropy"): Keys(keras_only={"ignore_class": None}),
}


# -- Keras 1 and 2 (configs without "module", as Keras 2's .h5 files hold them) ------------------
#: Keras 1 layer classes that numkeras (and Keras 2) name otherwise. Their Keras 1 argument
#: names are renamed by numkeras.legacy's table.
LEGACY_CLASSES: Mapping[str, str] = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "AtrousConvolution1D": "Conv1D",
    "AtrousConvolution2D": "Conv2D",
}

#: Keras 1 and 2 keys that numkeras has no argument for, with the value under which numkeras
#: behaves the same, by numkeras class.
LEGACY_KEYS: Mapping[str, Keys] = {
    # Keras 1's feature-wise normalization was mode 0; modes 1 and 2 normalized per sample.
    "BatchNormalization": Keys(keras_only={"mode": 0}),
    "Embedding": Keys(keras_only={"dropout": 0.0}),
    # tf.keras 2's recurrent layers could take time-major sequences.
    **{name: Keys(keras_only={"time_major": False}) for name in ("SimpleRNN", "LSTM", "GRU")},
}

#: Keras 1 keys that only tuned how Keras ran (``consume_less`` chose the recurrent kernels'
#: memory layout), dropped whatever they hold.
LEGACY_IGNORED = frozenset({"consume_less"})

#: Keras 1 keys that gave the input shape of a layer that does not take them as its own
#: arguments: the first layer's ``batch_input_shape`` carries the same shape.
LEGACY_SHAPE_KEYS = frozenset({"input_dim", "input_length"})

#: Keras 2 values that numkeras spells otherwise, by key.
LEGACY_VALUES: Mapping[str, Mapping[Any, Any]] = {
    # Keras 2's "auto" reduction is the mean over the batch (Keras 3's default).
    "reduction": {"auto": "sum_over_batch_size"},
}

#: Keras 1's Merge layer: each simple mode as a merge layer (the keys of its config that it
#: takes), with the Merge keys that must hold these values for the mapping to mean the same.
MERGE_MODES: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "concat": ("Concatenate", {"concat_axis": "axis"}),
    "sum": ("Add", {}),
    "mul": ("Multiply", {}),
    "ave": ("Average", {}),
    "max": ("Maximum", {}),
    "dot": ("Dot", {"dot_axes": "axes"}),
}
#: Merge keys that must be empty (a Merge of Sequential branches, a computed output shape or
#: mask, arguments of a function mode, calls on other nodes).
MERGE_UNSUPPORTED = frozenset(
    {"layers", "output_shape", "output_mask", "arguments", "node_indices", "tensor_indices"}
)

#: Merge keys that describe how the others are stored (``"raw"``), or hold the arguments of
#: modes other than the layer's.
MERGE_IGNORED = frozenset(
    {"mode_type", "output_shape_type", "output_mask_type", "concat_axis", "dot_axes"}
)

#: Keras 1's regularizers and constraints, stored as ``{"name": class, **arguments}``: their
#: numkeras class and renamed arguments.
LEGACY_OBJECTS: Mapping[str, tuple[str, Mapping[str, str]]] = {
    "WeightRegularizer": ("L1L2", {}),
    "L1L2Regularizer": ("L1L2", {}),
    "ActivityRegularizer": ("L1L2", {}),
    "MaxNorm": ("MaxNorm", {"m": "max_value"}),
    "NonNeg": ("NonNeg", {}),
    "UnitNorm": ("UnitNorm", {}),
}

#: Keras 1 keys holding two parts of one argument: modern key -> the Keras 1 keys, in order.
LEGACY_JOINED: Mapping[str, tuple[str, ...]] = {"kernel_size": ("nb_row", "nb_col")}

#: Keras 1 values numkeras refuses, by key, with why.
LEGACY_REFUSED: Mapping[str, Mapping[str, str]] = {
    "dim_ordering": {
        "th": (
            "Theano's channels-first ordering, whose kernels Keras 1 stored flipped and "
            "transposed; convert the model to channels-last ('tf') in Keras first"
        ),
    },
}


# -- lookups in the tables ------------------------------------------------------------------------
#: A slot's family where the object gives no module (Keras 2's configs, nested objects), by
#: the suffix of the key that holds it.
SLOT_FAMILIES = (
    ("initializer", "numkeras.initializers"),
    ("init", "numkeras.initializers"),
    ("regularizer", "numkeras.regularizers"),
    ("constraint", "numkeras.constraints"),
    ("learning_rate", "numkeras.schedules"),
    ("optimizer", "numkeras.optimizers"),
    ("loss", "numkeras.losses"),
    ("metrics", "numkeras.metrics"),
    ("layer", "numkeras.layers"),
    ("cell", "numkeras.layers"),
)


def slot_family(key: str | None, default: str | None) -> str | None:
    """The package of the objects that a config key holds (``kernel_initializer`` holds
    initializers), else ``default``."""
    if key is not None:
        for suffix, family in SLOT_FAMILIES:
            if key.endswith(suffix) or key.endswith(suffix + "s"):
                return family
    return default


def keys_of(family: str, name: str) -> Keys:
    """How ``name`` of ``family`` differs: its family's keys and its own."""
    return FAMILY_KEYS.get(family, Keys()) | CLASS_KEYS.get((family, name), Keys())


def rename(
    config: Mapping[str, Any],
    renamed: Mapping[str, str],
    dropped: Mapping[str, Any],
    refuse: Callable[[str, Any, Any], None],
) -> dict[str, Any]:
    """``config`` with the keys of ``renamed`` renamed, and the keys of ``dropped`` removed
    when they hold their value there; any other value of them is passed to ``refuse``."""
    out = {}
    for key, value in config.items():
        if key in dropped:
            if value != dropped[key]:
                refuse(key, value, dropped[key])
            continue
        out[renamed.get(key, key)] = value
    return out
