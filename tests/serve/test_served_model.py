"""Loading the served model: a model whose weights or outputs are not finite is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from numkeras.serve import ServedModel

from .support import nan_in_output_bias, overflow_for_any_input, overflow_for_ink, saved_model

# The overflows and NaN weights these tests provoke make NumPy and load_model warn, as they
# should; what is tested here is that serving is refused.
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def test_a_model_with_nan_weights_is_refused_naming_them(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "nan.numkeras", nan_in_output_bias)
    with (
        pytest.raises(
            ValueError,
            match=r"weights are finite numbers\. Received: NaN or "
            r"infinity in \S+/bias of .*nan\.numkeras",
        ),
        pytest.warns(UserWarning, match="holds NaN or inf weights"),
    ):  # load_model's
        ServedModel.load(path, measure=False)


def test_a_model_whose_output_on_a_blank_image_is_not_finite_is_refused(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "overflow.numkeras", overflow_for_any_input)
    with pytest.raises(
        ValueError,
        match=r"outputs are finite numbers\. Received: NaN or "
        r"infinity in the output of overflow\.numkeras for 1 "
        r"of 1 inputs \(a blank 28x28 image\)",
    ):
        ServedModel.load(path, measure=False)


def test_a_model_whose_output_on_test_digits_is_not_finite_is_refused(tmp_path: Path) -> None:
    path = saved_model(tmp_path / "ink.numkeras", overflow_for_ink)
    assert ServedModel.load(path, measure=False).predict(
        np.zeros((1, 28, 28))
    ).sum() == pytest.approx(1)
    with pytest.raises(ValueError, match=r"for 10,000 of 10,000 inputs \(the test digits\)"):
        ServedModel.load(path)
