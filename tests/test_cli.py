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
