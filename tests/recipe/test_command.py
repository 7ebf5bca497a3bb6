"""numkeras recipe: a smoke run of two quick experiments on the packaged MNIST sample, its
report, its reproducibility, and the pieces the report is made of."""

import json
import math
import sys

import pytest

from numkeras import backend
from numkeras.recipe import EXPERIMENTS, run
from numkeras.recipe.command import main
from numkeras.recipe.experiments import better
from numkeras.recipe.report import render_markdown, write_report
from numkeras.recipe.results import Claim, ExperimentResult, RecipeResults, Run
from numkeras.recipe.runner import select


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """``numkeras recipe --quick --only loss,shuffle`` into a fresh folder."""
    out = tmp_path_factory.mktemp("recipe")
    status = main(["recipe", "--quick", "--only", "loss,shuffle", "--out", str(out), "--quiet"])
    return status, out


@pytest.mark.slow
def test_smoke_run_writes_the_report(smoke):
    status, out = smoke
    assert status == 0
    page = (out / "report.md").read_text()
    assert "MNIST sample packaged with numkeras" in page
    assert "**Seed:** 1" in page
    assert "## 1. Cross-entropy instead of mean squared error" in page
    assert "## 2. Shuffle the training data every epoch" in page
    assert "| setting | switch | training accuracy | test accuracy | time (s) |" in page
    for figure in ("loss.png", "shuffle.png"):
        assert f"]({figure})" in page
        data = (out / figure).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) < 200_000


@pytest.mark.slow
def test_smoke_run_reproduces_the_course_claims_on_real_data(smoke):
    _, out = smoke
    results = json.loads((out / "results.json").read_text())
    assert results["is_sample"] and results["quick"] and results["seed"] == 1
    loss, shuffle = results["experiments"]
    assert [r["setting"] for r in loss["runs"]] == ["MSE", "cross-entropy"]
    assert all(claim["reproduced"] for e in results["experiments"] for claim in e["claims"])
    mse, ce = loss["runs"]
    assert ce["train_accuracy"] > mse["train_accuracy"] + 0.3
    assert len(mse["history"]["loss"]) == mse["epochs"] == results["scale"]["epochs"]
    fixed, shuffled = shuffle["runs"]
    assert shuffled["test_accuracy"] > 0.85 > fixed["test_accuracy"]


@pytest.mark.slow
def test_the_same_seed_gives_the_same_accuracies(smoke, tmp_path):
    _, out = smoke
    first = json.loads((out / "results.json").read_text())["experiments"][0]
    again = run(tmp_path, only="loss", seed=1, verbose=False).experiments[0]
    for before, after in zip(first["runs"], again.runs, strict=True):
        assert after.train_accuracy == before["train_accuracy"]
        assert after.test_accuracy == before["test_accuracy"]
        assert after.history["loss"] == before["history"]["loss"]


def test_unknown_experiment_is_an_error(capsys, tmp_path):
    assert main(["recipe", "--quick", "--only", "dropout", "--out", str(tmp_path)]) == 2
    assert "Received: only=['dropout']" in capsys.readouterr().out
    assert not (tmp_path / "report.md").exists()


def test_help_offers_the_device(capsys):
    with pytest.raises(SystemExit):
        main(["recipe", "--help"])
    out = capsys.readouterr().out
    assert "--device {cpu,gpu}" in out
    assert "NUMKERAS_DEVICE" in out


def test_the_gpu_without_cupy_is_one_clear_error(device_restored, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    assert (
        main(["recipe", "--quick", "--only", "batch", "--out", str(tmp_path), "--device", "gpu"])
        == 1
    )
    captured = capsys.readouterr()
    assert captured.err.startswith("numkeras recipe: error: ")
    assert "pip install 'numkeras[gpu]'" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "report.md").exists()


@pytest.mark.slow
def test_the_quickest_experiment_on_the_stand_in_gpu_gives_the_cpus_numbers(
    device_restored, stand_in, monkeypatch, tmp_path
):
    # --device gpu selects what backend._cupy returns: the strict stand-in, which refuses every
    # implicit trip to the host. The batch experiment has no dropout: bit-equal to the CPU.
    monkeypatch.setattr(backend, "_cupy", lambda: stand_in)
    runs = {}
    for device in ("cpu", "gpu"):
        out = tmp_path / device
        argv = ["recipe", "--quick", "--only", "batch", "--out", str(out), "--quiet"]
        assert main([*argv, "--device", device]) == 0
        assert backend.device() == device
        experiment = json.loads((out / "results.json").read_text())["experiments"][0]
        runs[device] = [
            (r["setting"], r["train_accuracy"], r["test_accuracy"], r["history"])
            for r in experiment["runs"]
        ]
    assert len(runs["gpu"]) == 2 and runs["gpu"] == runs["cpu"]


def test_experiments_follow_the_course():
    assert list(EXPERIMENTS) == [
        "loss",
        "batch",
        "shuffle",
        "activation",
        "learning_rate",
        "optimizer",
        "overfitting",
        "augmentation",
    ]
    assert select(None) == list(EXPERIMENTS)
    assert select(["shuffle, loss", "loss"]) == ["loss", "shuffle"]
    with pytest.raises(ValueError, match="only must name experiments among"):
        select(",")


def a_run(setting, train, test, **extra):
    return Run(
        setting=setting,
        code=f"{setting}=1" if setting != "base" else "",
        train_accuracy=train,
        test_accuracy=test,
        test_loss=extra.get("test_loss", 0.3),
        seconds=1.0,
        seconds_per_epoch=0.1,
        epochs=2,
        diagnosis="good",
        history={
            "loss": [1.0, 0.5],
            "accuracy": [0.5, train],
            "val_loss": [1.0, 0.6],
            "val_accuracy": [0.5, test],
        },
    )


def test_claims_are_computed_from_the_numbers():
    base, after = a_run("base", 0.99, 0.90), a_run("after", 0.95, 0.91)
    gap = better("narrows the gap", after, base, "gap", lower=True)
    assert gap.reproduced and gap.setting == "after"
    assert gap.evidence == "gap 0.040 vs 0.090"
    assert not better("trains better", after, base).reproduced
    assert not better("ties do not count", base, base).reproduced


def synthetic_results():
    experiment = ExperimentResult(
        "demo",
        "A demo",
        "it helps",
        "two runs",
        runs=[a_run("base", 0.99, 0.90), a_run("after", 0.95, math.nan)],
    )
    experiment.claims = [Claim("after helps |a lot|", False, "test accuracy nan vs 0.900", "after")]
    experiment.notes = ["a note"]
    return RecipeResults(
        seed=7,
        quick=True,
        data_source="synthetic digits",
        is_sample=True,
        scale={
            "train_digits": 10,
            "small_train_digits": 5,
            "test_digits": 4,
            "curve_test_digits": 2,
        },
        experiments=[experiment],
        machine={"cpus": 2},
    )


def test_report_says_when_a_claim_does_not_reproduce():
    page = render_markdown(synthetic_results())
    assert "| demo | after helps \\|a lot\\| | **no** | test accuracy nan vs 0.900 |" in page
    assert "0 of 1 claims reproduced." in page
    assert "| base | (baseline) | 99.0% | 90.0% | 1.0 | 0.10 | good | - |" in page
    assert "| after | `after=1` | 95.0% | nan | 1.0 | 0.10 | good | **no** |" in page
    assert "*Note:* a note" in page
    assert "--seed 7 --data sample --only demo" in page


def test_write_report_draws_figures_and_standard_json(tmp_path):
    page = write_report(synthetic_results(), tmp_path)
    assert "![A demo](demo.png)" in page.read_text()
    assert (tmp_path / "demo.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads((tmp_path / "results.json").read_text())  # no bare NaN in the file
    assert data["experiments"][0]["runs"][1]["test_accuracy"] is None
