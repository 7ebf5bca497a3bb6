"""ONNX export: each converter against numkeras's own predictions, run by ONNX Runtime.

Every model here is tiny and has random weights (BatchNormalization and Normalization get
non-trivial statistics); it is exported, checked by ``onnx.checker`` (full check), run by
ONNX Runtime on the CPU at two batch sizes (two sequence lengths for models with a dynamic
time axis), and compared with ``model.predict`` within float32 rounding.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from numkeras import activations, layers, models, ops
from numkeras.export import onnx as onnx_export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def randomize(model: models.Model, seed: int = 0) -> None:
    """Random weights: normal values, positive ones for variances (so the statistics of
    BatchNormalization and Normalization are non-trivial but valid)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        if variable.dtype.kind != "f":
            continue
        if "variance" in (variable.name or ""):
            value = rng.uniform(0.5, 2.0, variable.shape)
        else:
            value = rng.normal(0.0, 0.5, variable.shape)
        variable.assign(value.astype(variable.dtype))


def sample(shape: tuple, batch: int, rng: np.random.Generator, dtype: str) -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return rng.integers(0, 10, (batch, *shape)).astype(dtype)
    return rng.normal(0.0, 1.0, (batch, *shape)).astype(dtype)


def check(model: models.Model, tmp_path, time_steps: tuple[int, ...] = (4,)) -> onnx.ModelProto:
    """Export ``model``, check the file, and compare ONNX Runtime's outputs with predict's at
    batch sizes 1 and 5 (and each of ``time_steps`` for inputs with a dynamic axis 1)."""
    path = tmp_path / "model.onnx"
    model.export(path, format="onnx", verbose=False)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    for batch in (1, 5):
        for steps in time_steps:
            xs = [
                sample(tuple(steps if n is None else n for n in t.shape[1:]), batch, rng, t.dtype)
                for t in model.inputs
            ]
            got = session.run(None, dict(zip([i.name for i in session.get_inputs()], xs)))
            expected = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
            expected = expected if isinstance(expected, list) else [expected]
            assert len(got) == len(expected)
            for g, e in zip(got, expected):
                np.testing.assert_allclose(g, e, **TOLERANCE)
    return proto


def chain(input_shape: tuple, *stack: layers.Layer, dtype: str = "float32") -> models.Model:
    model = models.Sequential([layers.Input(input_shape, dtype=dtype), *stack])
    randomize(model)
    return model


# -- one converter at a time --------------------------------------------------------------------
LAYER_CASES: dict[str, Callable[[], models.Model]] = {
    "dense_rank3": lambda: chain((3, 4), layers.Dense(5), layers.Dense(2, use_bias=False)),
    "relu_max": lambda: chain((6,), layers.ReLU(max_value=0.5)),
    "relu_slope": lambda: chain((6,), layers.ReLU(negative_slope=0.1)),
    "relu_threshold": lambda: chain((6,), layers.ReLU(threshold=0.3)),
    "relu_all": lambda: chain((6,), layers.ReLU(max_value=0.8, negative_slope=0.2, threshold=-0.4)),
    "leaky_relu": lambda: chain((6,), layers.LeakyReLU(0.2)),
    "prelu": lambda: chain((3, 3, 2), layers.PReLU(shared_axes=[1, 2])),
    "elu": lambda: chain((6,), layers.ELU(0.5)),
    "softmax_axis": lambda: chain((3, 4), layers.Softmax(axis=1)),
    "softmax_axes": lambda: chain((3, 4), layers.Softmax(axis=(1, 2))),
    "activation_layer_as_activation": lambda: chain(
        (4,), layers.Dense(3, activation=layers.LeakyReLU(0.1))
    ),
    "conv1d_valid": lambda: chain((7, 3), layers.Conv1D(4, 3, activation="relu")),
    "conv1d_same_strided": lambda: chain((7, 3), layers.Conv1D(4, 3, strides=2, padding="same")),
    "conv1d_same_even_kernel": lambda: chain((6, 2), layers.Conv1D(3, 2, padding="same")),
    "conv1d_causal_dilated": lambda: chain(
        (7, 2), layers.Conv1D(3, 2, padding="causal", dilation_rate=2)
    ),
    "conv2d_same_dilated": lambda: chain(
        (6, 6, 2), layers.Conv2D(3, 3, padding="same", dilation_rate=2, activation="tanh")
    ),
    "conv2d_strided_groups": lambda: chain(
        (7, 7, 4), layers.Conv2D(6, (3, 2), strides=2, padding="same", groups=2)
    ),
    "conv2d_channels_first": lambda: chain(
        (2, 5, 5), layers.Conv2D(3, 3, data_format="channels_first")
    ),
    "depthwise_conv2d": lambda: chain(
        (5, 5, 3), layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    ),
    "separable_conv2d": lambda: chain((6, 6, 3), layers.SeparableConv2D(4, 3, strides=2)),
    "separable_conv1d": lambda: chain((8, 3), layers.SeparableConv1D(4, 3, padding="same")),
    "conv2d_transpose_valid": lambda: chain((3, 3, 2), layers.Conv2DTranspose(3, 3, strides=2)),
    "conv2d_transpose_same": lambda: chain(
        (3, 4, 2), layers.Conv2DTranspose(3, 3, strides=2, padding="same")
    ),
    "conv2d_transpose_output_padding": lambda: chain(
        (3, 3, 2), layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1)
    ),
    "conv1d_transpose_wide_stride": lambda: chain((4, 2), layers.Conv1DTranspose(3, 2, strides=3)),
    "max_pool2d_same": lambda: chain((5, 5, 2), layers.MaxPooling2D(3, strides=2, padding="same")),
    "avg_pool2d_same": lambda: chain(
        (5, 5, 2), layers.AveragePooling2D(3, strides=2, padding="same")
    ),
    "max_pool2d_same_stride_1": lambda: chain(
        (4, 4, 1), layers.MaxPooling2D(2, strides=1, padding="same")
    ),
    "avg_pool1d_same_stride_1": lambda: chain(
        (5, 2), layers.AveragePooling1D(2, strides=1, padding="same")
    ),
    "avg_pool2d_valid": lambda: chain((6, 6, 2), layers.AveragePooling2D(2)),
    "max_pool1d": lambda: chain((7, 2), layers.MaxPooling1D(2)),
    "avg_pool1d_same": lambda: chain((7, 2), layers.AveragePooling1D(3, padding="same")),
    "global_pooling": lambda: chain(
        (4, 4, 3), layers.GlobalAveragePooling2D(keepdims=True), layers.GlobalMaxPooling2D()
    ),
    "global_pooling_1d": lambda: chain(
        (5, 3), layers.GlobalMaxPooling1D(keepdims=True), layers.GlobalAveragePooling1D()
    ),
    "batch_normalization": lambda: chain((4, 3), layers.BatchNormalization()),
    "batch_normalization_axis1": lambda: chain((4, 3), layers.BatchNormalization(axis=1)),
    "layer_normalization": lambda: chain((4, 3), layers.LayerNormalization()),
    "layer_normalization_axes": lambda: chain(
        (4, 3), layers.LayerNormalization(axis=[1, 2], epsilon=0.1)
    ),
    "layer_normalization_rms": lambda: chain((5,), layers.LayerNormalization(rms_scaling=True)),
    "unit_normalization": lambda: chain((3, 4), layers.UnitNormalization(axis=[1, 2])),
    "group_normalization": lambda: chain((3, 3, 4), layers.GroupNormalization(groups=2)),
    "group_normalization_axis1": lambda: chain((6, 5), layers.GroupNormalization(groups=3, axis=1)),
    "maxout": lambda: chain((3, 4), layers.Maxout(units=2, pieces=3)),
    "augmentation_at_inference": lambda: chain(
        (4, 4, 3),
        layers.RandomFlip(),
        layers.RandomRotation(0.2),
        layers.RandomTranslation(0.1, 0.1),
        layers.RandomZoom(0.1),
        layers.RandomContrast(0.2),
    ),
    "inference_identities": lambda: chain(
        (4, 4, 2),
        layers.Dropout(0.5),
        layers.SpatialDropout2D(0.3),
        layers.GaussianNoise(1.0),
        layers.GaussianDropout(0.2),
        layers.AlphaDropout(0.2),
        layers.ActivityRegularization(l1=0.1),
    ),
    "flatten": lambda: chain((2, 3, 2), layers.Flatten()),
    "flatten_channels_first": lambda: chain(
        (2, 3, 2), layers.Flatten(data_format="channels_first")
    ),
    "reshape": lambda: chain((12,), layers.Reshape((3, -1)), layers.Reshape((2, 2, 3))),
    "permute": lambda: chain((2, 3, 4), layers.Permute((3, 1, 2))),
    "repeat_vector": lambda: chain((3,), layers.RepeatVector(4)),
    "zero_padding": lambda: chain(
        (3, 3, 1),
        layers.ZeroPadding2D(((1, 0), (2, 1))),
        layers.Reshape((-1, 1)),
        layers.ZeroPadding1D((0, 2)),
    ),
    "cropping": lambda: chain(
        (6, 6, 1),
        layers.Cropping2D(((1, 0), (2, 1))),
        layers.Reshape((-1, 3)),
        layers.Cropping1D((2, 1)),
    ),
    "upsampling": lambda: chain(
        (3, 2), layers.UpSampling1D(3), layers.Reshape((3, 3, 2)), layers.UpSampling2D((2, 3))
    ),
    "upsampling_bilinear": lambda: chain(
        (3, 4, 2), layers.UpSampling2D(2, interpolation="bilinear")
    ),
    "embedding": lambda: chain((5,), layers.Embedding(10, 3), layers.Flatten(), dtype="int32"),
    "rescaling": lambda: chain((2, 3), layers.Rescaling([0.5, 2.0, -1.0], offset=0.25)),
    "time_distributed_dense": lambda: chain((4, 3), layers.TimeDistributed(layers.Dense(2))),
    "time_distributed_conv": lambda: chain(
        (3, 5, 5, 1), layers.TimeDistributed(layers.Conv2D(2, 3, activation="relu"))
    ),
}


@pytest.mark.parametrize("case", list(LAYER_CASES))
def test_layer_exports_as_it_predicts(case, tmp_path):
    check(LAYER_CASES[case](), tmp_path)


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_every_activation_exports(name, tmp_path):
    check(chain((3, 4), layers.Dense(4), layers.Activation(name)), tmp_path)


def test_normalization_layer_exports_its_statistics(tmp_path):
    norm = layers.Normalization()
    norm.adapt(np.random.default_rng(0).normal(3.0, 2.0, (50, 4)).astype("float32"))
    model = models.Sequential([layers.Input((4,)), norm])
    check(model, tmp_path)
    inverted = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.25], invert=True)
    check(models.Sequential([layers.Input((2,)), inverted]), tmp_path)


# -- merging, functional graphs, nesting -------------------------------------------------------
def two_inputs(merge: layers.Layer, shape: tuple = (4,)) -> models.Model:
    a, b = layers.Input(shape, name="a"), layers.Input(shape, name="b")
    model = models.Model([a, b], merge([layers.Dense(shape[-1])(a), b]))
    randomize(model)
    return model


MERGES = {
    "add": layers.Add,
    "subtract": layers.Subtract,
    "multiply": layers.Multiply,
    "average": layers.Average,
    "maximum": layers.Maximum,
    "minimum": layers.Minimum,
    "concatenate": lambda: layers.Concatenate(axis=-1),
    "dot": lambda: layers.Dot(axes=1),
    "dot_normalized": lambda: layers.Dot(axes=1, normalize=True),
}


@pytest.mark.parametrize("merge", list(MERGES))
def test_merge_layers(merge, tmp_path):
    check(two_inputs(MERGES[merge]()), tmp_path)


def test_op_nodes_of_elementwise_arithmetic(tmp_path):
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    y = 2.0 * layers.Dense(3)(a) + 1
    y = ops.exp(-ops.abs(y)) - b / np.array([1.0, 2.0, 4.0], "float32")
    model = models.Model([a, b], ops.maximum(y, 0.1) ** 2)
    randomize(model)
    check(model, tmp_path)


def test_dot_of_sequences(tmp_path):
    check(two_inputs(layers.Dot(axes=(2, 2)), shape=(3, 4)), tmp_path)


def test_functional_shared_layers_several_outputs_and_a_nested_sequential(tmp_path):
    block = models.Sequential([layers.Input((6,)), layers.Dense(4, activation="tanh")])
    shared = layers.Dense(6, activation="relu")
    a, b = layers.Input((5,), name="left"), layers.Input((5,), name="right")
    ha, hb = block(shared(a)), block(shared(b))
    merged = layers.Concatenate()([ha, hb])
    outputs = [
        layers.Dense(3, activation="softmax", name="classes")(merged),
        layers.Add()([ha, hb]),
    ]
    model = models.Model([a, b], outputs)
    randomize(model)
    proto = check(model, tmp_path)
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert [o.name for o in proto.graph.output] == model.output_names


# -- recurrent layers ---------------------------------------------------------------------------
RECURRENT = {
    "simple_rnn": lambda: layers.SimpleRNN(4, activation="relu"),
    "simple_rnn_sequences": lambda: layers.SimpleRNN(4, return_sequences=True),
    "lstm": lambda: layers.LSTM(4),
    "lstm_sequences_backwards": lambda: layers.LSTM(3, return_sequences=True, go_backwards=True),
    "lstm_no_bias": lambda: layers.LSTM(3, use_bias=False),
    "gru": lambda: layers.GRU(4, return_sequences=True),
    "gru_reset_before": lambda: layers.GRU(4, reset_after=False, go_backwards=True),
    "bidirectional_concat": lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    "bidirectional_sum": lambda: layers.Bidirectional(layers.GRU(3), merge_mode="sum"),
    "bidirectional_ave": lambda: layers.Bidirectional(
        layers.SimpleRNN(3, return_sequences=True), merge_mode="ave"
    ),
    "bidirectional_mul": lambda: layers.Bidirectional(layers.LSTM(3), merge_mode="mul"),
}


@pytest.mark.parametrize("case", list(RECURRENT))
def test_recurrent_layers_with_a_dynamic_time_axis(case, tmp_path):
    check(chain((None, 3), RECURRENT[case]()), tmp_path, time_steps=(2, 7))


def test_recurrent_return_state_and_unmerged_bidirectional(tmp_path):
    x = layers.Input((None, 3))
    y, h, c = layers.LSTM(4, return_state=True)(x)
    forward, backward = layers.Bidirectional(layers.GRU(2), merge_mode=None)(x)
    model = models.Model(x, [y, h, c, forward, backward])
    randomize(model)
    check(model, tmp_path, time_steps=(3, 5))


# -- the course's models end to end ---------------------------------------------------------------
def test_course_mlp(tmp_path):
    model = models.Sequential()
    with pytest.warns(UserWarning, match="Keras 1 spelling"):
        model.add(layers.Dense(input_dim=28 * 28, units=500))
    model.add(layers.Activation("sigmoid"))
    model.add(layers.Dense(units=500))
    model.add(layers.Activation("sigmoid"))
    model.add(layers.Dense(units=10))
    model.add(layers.Activation("softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="sgd")
    rng = np.random.default_rng(0)
    x = rng.random((32, 784), dtype=np.float32)
    model.fit(x, np.eye(10, dtype="float32")[rng.integers(0, 10, 32)], epochs=1, verbose=0)
    check(model, tmp_path)


def test_mnist_cnn(tmp_path):
    model = chain(
        (28, 28, 1),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(8, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(16, activation="relu"),
        layers.Dense(10, activation="softmax"),
    )
    check(model, tmp_path)


def test_consecutive_conv_and_pooling_layers_stay_channels_first(tmp_path):
    model = chain(
        (8, 8, 1),
        layers.Conv2D(4, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(4, 2, activation="elu"),
        layers.AveragePooling2D(1),
        layers.Conv2D(2, 1, activation="softmax"),
    )
    proto = check(model, tmp_path)
    ops = [node.op_type for node in proto.graph.node]
    # One transpose in, and one out before the softmax, which acts on the channels-last axis.
    assert ops.count("Transpose") == 2
    assert ops.index("Softmax") > ops.index("Transpose", 1)


def test_functional_two_branch_model(tmp_path):
    image = layers.Input((8, 8, 1), name="image")
    conv = layers.Flatten()(layers.MaxPooling2D(2)(layers.Conv2D(4, 3, padding="same")(image)))
    dense = layers.Dense(8, activation="relu")(layers.Flatten()(image))
    merged = layers.Concatenate()([conv, dense])
    model = models.Model(image, layers.Dense(3, activation="softmax")(merged))
    randomize(model)
    check(model, tmp_path)


# -- the graph's inputs, outputs and options -------------------------------------------------------
def test_batch_axis_and_time_axis_are_dynamic(tmp_path):
    model = chain((None, 3), layers.GRU(2))
    proto = check(model, tmp_path, time_steps=(1, 6))
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_param and dims[2].dim_value == 3
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.opset_import[0].version == onnx_export.DEFAULT_OPSET


def test_input_signature_fixes_sizes_and_opset_version_is_used(tmp_path):
    model = chain((4,), layers.Dense(2))
    path = tmp_path / "fixed.onnx"
    model.export(path, format="onnx", verbose=False, input_signature=[(3, 4)], opset_version=21)
    proto = onnx.load(path)
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [3, 4]
    assert proto.opset_import[0].version == 21
    with pytest.raises(ValueError, match="input_signature"):
        model.export(path, format="onnx", input_signature=[(None, 5)])
    with pytest.raises(ValueError, match="opset_version must be an integer from 18"):
        model.export(path, format="onnx", opset_version=11)


def test_verbose_says_where_the_file_went(tmp_path, capsys):
    path = tmp_path / "m.onnx"
    chain((2,), layers.Dense(1)).export(path, format="onnx")
    assert f"Saved artifact at '{path}'." in capsys.readouterr().out


# -- refusals -----------------------------------------------------------------------------------
def test_unsupported_layers_are_all_named_and_nothing_is_written(tmp_path):
    x = layers.Input((4,))
    y = layers.Lambda(lambda t: t * 2, name="code")(layers.Dense(4)(x))
    y = layers.Dense(4, activation=lambda t: t, name="custom_activation")(y)
    model = models.Model(x, layers.Masking(name="masking")(y))
    path = tmp_path / "m.onnx"
    with pytest.raises(ValueError) as error:
        model.export(path, format="onnx")
    message = str(error.value)
    assert "3 layer(s)" in message
    for name, cls in [("code", "Lambda"), ("masking", "Masking")]:
        assert f"'{name}' ({cls}): numkeras has no ONNX converter" in message
    assert "'custom_activation' (Dense): its activation '<lambda>' has no ONNX form" in message
    assert not path.exists()


def test_options_without_an_onnx_form_are_named(tmp_path):
    model = models.Sequential(
        [
            layers.Input((9, 9, 1), batch_size=4),
            layers.Conv2D(2, 3, strides=2, dilation_rate=2, padding="same", name="dilated"),
            layers.Flatten(),
            layers.RepeatVector(3),
            layers.LSTM(2, stateful=True, name="stateful"),
        ]
    )
    with pytest.raises(ValueError) as error:
        model.export(tmp_path / "m.onnx", format="onnx")
    assert "'dilated' (Conv2D): padding='same' with both strides and dilation_rate" in str(
        error.value
    )
    assert "'stateful' (LSTM): it is stateful" in str(error.value)


def test_masked_inputs_to_recurrent_layers_are_refused(tmp_path):
    model = chain((5,), layers.Embedding(10, 3, mask_zero=True), layers.LSTM(2), dtype="int32")
    with pytest.raises(ValueError, match="its input carries a mask"):
        model.export(tmp_path / "m.onnx", format="onnx")


@pytest.mark.parametrize("fmt", ["tf_saved_model", "openvino", "savedmodel"])
def test_formats_numkeras_cannot_write(fmt, tmp_path):
    model = chain((2,), layers.Dense(1))
    with pytest.raises(ValueError, match=rf"format='{fmt}'.*exports to \['onnx'\] only"):
        model.export(tmp_path / "m", format=fmt)


def test_subclassed_and_unbuilt_models_are_refused(tmp_path):
    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, inputs, training=None):
            return self.dense(inputs)

    net = Net()
    net.build((None, 3))
    with pytest.raises(ValueError, match="subclassed model.*no graph"):
        net.export(tmp_path / "m.onnx", format="onnx")
    with pytest.raises(ValueError, match="is not built"):
        models.Sequential([layers.Dense(2)]).export(tmp_path / "m.onnx", format="onnx")


def test_a_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"previous")
    real = onnx_export.atomic_write

    @contextlib.contextmanager
    def failing(target):
        with real(target) as stream:
            stream.write(b"half a model")
            raise OSError("disk full")
            yield stream

    monkeypatch.setattr(onnx_export, "atomic_write", failing)
    with pytest.raises(OSError, match="disk full"):
        chain((2,), layers.Dense(1)).export(path, format="onnx", verbose=False)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_importing_numkeras_does_not_import_onnx():
    code = "import sys, numkeras; sys.exit('onnx' in sys.modules or 'onnxruntime' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_missing_onnx_and_unknown_options_are_explained(tmp_path, monkeypatch):
    model = chain((2,), layers.Dense(1))
    with pytest.raises(TypeError, match=r"opset_version.*\['jax2tf_kwargs'\]"):
        model.export(tmp_path / "m.onnx", format="onnx", jax2tf_kwargs={})
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'numkeras\[interop\]'"):
        model.export(tmp_path / "m.onnx", format="onnx")
    assert not (tmp_path / "m.onnx").exists()
