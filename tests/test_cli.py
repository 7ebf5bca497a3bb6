"""`numkeras hello` end to end, and the command's help."""

import subprocess
import sys

import pytest

from numkeras import cli


def test_help_explains_every_hello_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["hello", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--epochs",
        "--batch-size",
        "--activation",
        "--loss",
        "--optimizer",
        "--lr",
        "--dropout",
        "--sample",
        "--out",
        "--seed",
        "--model",
        "--device",
    ):
        assert option in out


def test_top_level_help_names_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "numkeras", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("hello", "recipe", "serve"):
        assert command in out


@pytest.mark.slow
def test_hello_one_epoch_on_the_sample(tmp_path, capsys):
    assert (
        cli.main(["hello", "--epochs", "1", "--sample", "--out", str(tmp_path), "--verbose", "2"])
        == 0
    )
    out = capsys.readouterr().out
    assert "MNIST sample packaged with numkeras" in out
    accuracy = float(out.split("Accuracy of Testing Set:")[1].split()[0])
    assert accuracy > 0.9
    assert "Total loss on Testing Set:" in out
    assert (tmp_path / "mnist_mlp.numkeras").is_file()
    assert (tmp_path / "mnist_mlp_curves.png").is_file()
    assert "true 7 read" in out  # the first official test digit is a 7


def test_hello_offers_every_optimizer_and_only_those(capsys):
    from numkeras.optimizers import ALL_OPTIMIZERS

    with pytest.raises(SystemExit):
        cli.main(["hello", "--help"])
    assert "--optimizer {" + ",".join(ALL_OPTIMIZERS) + "}" in capsys.readouterr().out
    parser = cli.build_parser()
    for name in ALL_OPTIMIZERS:
        assert parser.parse_args(["hello", "--optimizer", name]).optimizer == name
    with pytest.raises(SystemExit):
        parser.parse_args(["hello", "--optimizer", "lbfgs"])


def test_hello_on_the_gpu_without_cupy_is_one_clear_error(device_restored, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    assert cli.main(["hello", "--device", "gpu", "--epochs", "1", "--sample"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("numkeras hello: error: ")
    assert "pip install 'numkeras[gpu]'" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert "Data:" not in captured.out  # stopped before loading data or building a model


@pytest.mark.slow
def test_hello_on_the_stand_in_gpu_gives_the_cpus_accuracy(
    device_restored, stand_in, monkeypatch, tmp_path, capsys
):
    # --device gpu selects whatever backend._cupy returns: here the strict stand-in, which
    # refuses every implicit trip to the host. No dropout, whose masks the device draws from
    # its own generator: the rest is bit-equal to the CPU with the same seed.
    monkeypatch.setattr(device_restored, "_cupy", lambda: stand_in)
    scores = {}
    for device in ("cpu", "gpu"):
        argv = ["hello", "--epochs", "1", "--sample", "--dropout", "0", "--verbose", "0"]
        assert cli.main([*argv, "--out", str(tmp_path / device), "--device", device]) == 0
        assert device_restored.device() == device
        out = capsys.readouterr().out
        scores[device] = [line for line in out.splitlines() if "Testing Set:" in line]
        assert (tmp_path / device / "mnist_mlp.numkeras").is_file()
    assert len(scores["gpu"]) == 2 and scores["gpu"] == scores["cpu"]
    assert float(scores["gpu"][1].split(":")[1]) > 0.9
