"""Run every workload for numkeras and its peers, one process after another, and compare.

    python benchmarks/run.py [--only w1,w1b,w1f,w1s,w2,w3,w4,w5,w6,gemm,grid] [--epochs 5]
                             [--cnn-epochs 3] [--rnn-epochs 3] [--grid-epochs 3] [--repeats 3]
                             [--device cpu|gpu] [--json benchmarks/results.json]

Each (workload, framework) pair runs in a fresh subprocess, so thread pools, JIT caches and
memory start clean. The subprocesses run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (they
slow current NumPy on some processors; see docs/performance.md) and KERAS_BACKEND set for the
Keras peers. Prints a table of medians with the ratios numkeras / peer and the targets of the
issue, and writes the raw figures as JSON.

W1f times numkeras's W1 written as a Sequential model and as a functional one (the same layers
wrapped in ``Model``), alternating, ``--repeats`` fresh processes each: both go through one fusion
pass, so they should train at the same speed. W1s does the same for W1 written as a ``Model``
subclass (the layers made in ``__init__``, applied in ``call``) against the Sequential model: the
issue's target is within 5% of it.

W6 times an LSTM(128) and a GRU(128) reading MNIST row by row (``rnn.py``) in numkeras, torch
eager and Keras 3 on JAX: ``--repeats`` rounds, each running the three frameworks one after
another (so that all see the same machine load), and the medians of the rounds.

The grid (``grid.py``) trains W1's network at other batch sizes and widths in numkeras (on
NumPy's OpenBLAS, and with the ``mkl`` extra's oneMKL) and Keras 3 on JAX, ``--repeats`` rounds
per cell, the three interleaved; each process reports its best epoch after the first, and the
table shows the medians of those over the rounds against the target numkeras/Keras-JAX <= 1.0
in every cell. Every other numkeras worker runs on NumPy's BLAS (``NUMKERAS_BLAS=numpy``).

``--device gpu`` runs every worker on the GPU (NUMKERAS_DEVICE=gpu for numkeras, CUDA for torch,
JAX_PLATFORMS=cuda for Keras on JAX, so that none falls back to the CPU unnoticed) and only what
has a meaning there: W1 (and W3 from it), W2 and the grid, against torch and Keras-JAX.
``--device cpu``, the default, pins every worker to the CPU, even on a machine with a GPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from grid import CELLS

HERE = Path(__file__).resolve().parent
MLP_PEERS = ["torch", "keras-jax", "keras-torch", "sklearn", "numpy"]
SLIDE_PEERS = ["torch", "keras-jax", "keras-torch"]
CNN_PEERS = ["torch", "keras-jax"]
RNN_PEERS = ["torch", "keras-jax"]
RNN_CELLS = {"lstm": "W6 LSTM(128)", "gru": "W6 GRU(128)"}
#: What ``--device gpu`` runs, and against which peers.
GPU_WORKLOADS = {"w1", "w2", "w3", "grid"}
GPU_PEERS = ("torch", "keras-jax")
#: JAX's platform for each device: JAX would otherwise take a GPU whenever it finds one.
JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}
#: The grid's frameworks: numkeras on NumPy's BLAS (OpenBLAS), numkeras with the ``mkl`` extra
#: (oneMKL's products), and Keras 3 on JAX.
GRID_FRAMEWORKS = ("numkeras", "numkeras-mkl", "keras-jax")
#: The products' library of each numkeras label (``NUMKERAS_BLAS``).
NUMKERAS_BLAS = {"numkeras": "numpy", "numkeras-mkl": "mkl"}
LABELS = {"numpy": "NumPy by hand", "sklearn": "scikit-learn", "torch": "torch eager"}
#: W1 written in another style against the Sequential model: the style, and the target ratio.
STYLE_PAIRS = {"w1f": ("functional", 1.03), "w1s": ("subclassed", 1.05)}


def environment(framework: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }
    env["PYTHONHASHSEED"] = "0"
    device = env.setdefault("NUMKERAS_BENCH_DEVICE", "cpu")
    env["NUMKERAS_DEVICE"] = device
    env["JAX_PLATFORMS"] = JAX_PLATFORMS[device]
    if framework in NUMKERAS_BLAS:
        env["NUMKERAS_BLAS"] = NUMKERAS_BLAS[framework]
    if framework.startswith("keras-"):
        env["KERAS_BACKEND"] = framework.split("-", 1)[1]
    return env


def worker(script: str, framework: str, *args: str, timeout: float = 1800) -> dict:
    """Run ``script`` for ``framework`` in a new process; its RESULT line as a dict."""
    module = framework.split("-", 1)[0]
    command = [sys.executable, str(HERE / script), module, *args]
    print(f"  {script} {framework} {' '.join(args)}", file=sys.stderr, flush=True)
    done = subprocess.run(
        command, env=environment(framework), capture_output=True, text=True, timeout=timeout
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
    return {"error": " / ".join(tail) or f"exit status {done.returncode}"}


def startup(repeats: int = 5) -> dict:
    """W4: ``import numkeras`` alone, and spawn-to-first-step of the W1 script (medians)."""
    env = environment("numkeras")
    imports, phases = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import numkeras"], env=env, check=True)
        imports.append(time.perf_counter() - start)
    for _ in range(repeats):
        start = time.time()
        done = subprocess.run(
            [sys.executable, str(HERE / "startup.py")],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(l for l in done.stdout.splitlines() if l.startswith("RESULT "))
        phases.append({k: v - start for k, v in json.loads(line[7:]).items()})
    return {
        "import_seconds": statistics.median(imports),
        "phases_seconds": {k: statistics.median(p[k] for p in phases) for k in phases[0]},
        "first_step_seconds": statistics.median(p["first_step"] for p in phases),
    }


def load_average() -> float:
    return os.getloadavg()[0]


def kernels_in_use() -> bool:
    """Whether numkeras runs its fused C kernels here (in a subprocess, as the workers would)."""
    done = subprocess.run(
        [sys.executable, "-c", "from numkeras import kernels; print(kernels.available())"],
        env=environment("numkeras"),
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip() == "True"


def interleaved(jobs: dict[str, tuple[str, ...]], repeats: int) -> dict:
    """``repeats`` rounds, each running every job (label -> ``worker``'s arguments) once in
    turn, so that all see the same machine load; per label, the medians of its figures over the
    rounds, and the rounds themselves."""
    rounds: dict[str, list[dict]] = {label: [] for label in jobs}
    for _ in range(repeats):
        for label, job in jobs.items():
            rounds[label].append(worker(*job))
    result: dict = {}
    for label, figures in rounds.items():
        done = [f for f in figures if "error" not in f]
        if not done:
            result[label] = {"error": figures[-1]["error"]}
            continue
        numbers = [k for k, v in done[0].items() if isinstance(v, (int, float))]
        result[label] = {k: statistics.median(f[k] for f in done) for k in numbers}
        result[label]["rounds"] = figures
    return result


def style_pair(epochs: int, repeats: int, other: str) -> dict:
    """W1f and W1s: W1 in numkeras as a Sequential model and in the ``other`` style
    (``functional`` or ``subclassed``), ``repeats`` fresh processes of each, alternating."""
    return interleaved(
        {s: ("mlp.py", "numkeras", "seed", str(epochs), s) for s in ("sequential", other)},
        repeats,
    )


def collect(
    only: set[str],
    epochs: int,
    cnn_epochs: int,
    repeats: int,
    rnn_epochs: int = 3,
    grid_epochs: int = 3,
) -> dict:
    device = os.environ.get("NUMKERAS_BENCH_DEVICE", "cpu")
    if device == "gpu":
        only &= GPU_WORKLOADS

    def peers(of: list[str]) -> list[str]:
        return [p for p in of if device == "cpu" or p in GPU_PEERS]

    results: dict = {
        "machine": {
            "device": device,
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "numkeras_kernels": kernels_in_use(),
            "load_average_at_start": load_average(),
        }
    }
    if "gemm" in only:
        print("GEMM roofline", file=sys.stderr)
        results["gemm"] = worker("roofline.py", "numpy")
    for key, variant, runs in (("w1", "seed", MLP_PEERS), ("w1b", "slide", SLIDE_PEERS)):
        if key in only or (key == "w1" and only & {"w3", "w5"}):
            print(f"{key}: {variant}-mlp", file=sys.stderr)
            results[key] = {
                f: worker("mlp.py", f, variant, str(epochs)) for f in ["numkeras", *peers(runs)]
            }
    for key, (other, _) in STYLE_PAIRS.items():
        if key in only:
            print(f"{key}: seed-mlp, Sequential and {other}", file=sys.stderr)
            results[key] = style_pair(epochs, repeats, other)
    if "w2" in only:
        print("w2: cnn", file=sys.stderr)
        results["w2"] = {
            f: worker("cnn.py", f, str(cnn_epochs)) for f in ["numkeras", *peers(CNN_PEERS)]
        }
    if "w6" in only:
        for cell in RNN_CELLS:
            print(f"w6: {cell} on MNIST rows", file=sys.stderr)
            results[f"w6_{cell}"] = interleaved(
                {f: ("rnn.py", f, cell, str(rnn_epochs)) for f in ["numkeras", *RNN_PEERS]},
                repeats,
            )
    if "grid" in only:
        results["grid"] = {}
        for batch, width in CELLS:
            print(f"grid: batch {batch}, width {width}", file=sys.stderr)
            results["grid"][f"{batch}x{width}"] = interleaved(
                {
                    f: ("grid.py", f, str(batch), str(width), str(grid_epochs))
                    for f in GRID_FRAMEWORKS
                },
                repeats,
            )
    if "w4" in only:
        print("w4: start-up", file=sys.stderr)
        results["w4"] = startup()
    results["machine"]["load_average_at_end"] = load_average()
    return results


# -- the table ----------------------------------------------------------------------------------
def _get(results: dict, *keys: str) -> float | None:
    node = results
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return node if isinstance(node, (int, float)) else None


def _framework_table(title: str, runs: dict, throughput: bool = False) -> list[str]:
    """The lines of one workload's table: a blank line, the header, then per framework its
    seconds per epoch, numkeras's over it and its test accuracy; with ``throughput`` also its
    ``predict`` images per second (W3) and numkeras's over it."""
    nk = _get(runs, "numkeras", "seconds_per_epoch")
    nk_ips = _get(runs, "numkeras", "images_per_second")
    lines = [
        "",
        f"{title:<16}{'s/epoch':>10}{'numkeras/peer':>15}{'test acc':>10}"
        + (f"{'W3 img/s':>12}{'numkeras/peer':>15}" if throughput else ""),
    ]
    for framework, figures in runs.items():
        name = LABELS.get(framework, framework)
        if "error" in figures:
            lines.append(f"  {name:<14}error: {figures['error'][:90]}")
            continue
        s = figures["seconds_per_epoch"]
        ratio = "" if framework == "numkeras" or not nk else f"{nk / s:.2f}x"
        row = f"  {name:<14}{s:>10.3f}{ratio:>15}{figures['test_accuracy']:>10.4f}"
        if throughput:
            ips = figures["images_per_second"]
            ratio = "" if framework == "numkeras" or not nk_ips else f"{nk_ips / ips:.2f}x"
            row += f"{ips:>12,.0f}{ratio:>15}"
        lines.append(row)
    return lines


def _grid_table(grid: dict) -> list[str]:
    """The grid's lines: per cell (batch x width), each framework's best epoch (the median
    over the rounds), numkeras's ratios to Keras-JAX, and numkeras's page faults per epoch."""
    lines = [
        "",
        f"{'grid batch x width':<20}{'numkeras s':>11}{'+mkl s':>9}{'Keras-JAX s':>13}"
        f"{'ratio':>8}{'+mkl ratio':>12}{'numkeras faults/epoch':>23}",
    ]
    for cell, runs in grid.items():
        nk, mkl, jx = (_get(runs, f, "best_seconds_per_epoch") for f in GRID_FRAMEWORKS)
        faults = _get(runs, "numkeras", "page_faults_per_epoch")
        row = f"  {cell:<18}"
        for value, width in ((nk, 11), (mkl, 9), (jx, 13)):
            row += f"{value:>{width}.3f}" if value else f"{'error':>{width}}"
        for value, width in ((nk, 8), (mkl, 12)):
            row += f"{value / jx:>{width - 1}.2f}x" if value and jx else f"{'n/a':>{width}}"
        lines.append(row + (f"{faults:>23,.0f}" if faults is not None else ""))
    return lines


def table(results: dict) -> tuple[str, list[tuple[str, str, bool | None]]]:
    lines: list[str] = []
    targets: list[tuple[str, str, bool | None]] = []

    def check(name: str, value: float | None, limit: float, text: str, below: bool = True):
        ok = None if value is None else (value <= limit if below else value >= limit)
        shown = "n/a" if value is None else text.format(value)
        targets.append((name, shown, ok))

    def against(title: str, runs: dict, peer: str, limit: float) -> None:
        """The target that numkeras's seconds per epoch be at most ``limit`` times ``peer``'s."""
        nk, p = (_get(runs, f, "seconds_per_epoch") for f in ("numkeras", peer))
        check(
            f"{title}: numkeras/{peer} <= {limit}", nk / p if nk and p else None, limit, "{:.2f}x"
        )

    bound = _get(results, "gemm", "epoch_bound_seconds")
    if bound:
        g = results["gemm"]
        lines.append(
            f"GEMM roofline: {g['gflops']:.1f} GFLOP/s on the W1 shapes "
            f"({g['step_mflop']:.1f} MFLOP/step, {g['epoch_gflop']:.1f} GFLOP/epoch) "
            f"-> W1 epoch >= {bound:.3f} s   BLAS: {g.get('blas')}"
        )
    for key, title in (("w1", "W1 seed-mlp"), ("w1b", "W1b slide-mlp"), ("w2", "W2 cnn")):
        runs = results.get(key)
        if not runs:
            continue
        nk = _get(runs, "numkeras", "seconds_per_epoch")
        lines.extend(_framework_table(title, runs, throughput=key == "w1"))
        if nk and bound and key in ("w1", "w1b"):
            lines.append(f"  numkeras / GEMM bound: {nk / bound:.2f}x")
        if key in ("w1", "w1b"):
            for peer, limit in (("keras-jax", 0.9), ("torch", 0.6)):
                against(title, runs, peer, limit)
            check(
                f"{title}: numkeras/GEMM bound <= 1.4",
                nk / bound if nk and bound else None,
                1.4,
                "{:.2f}x",
            )
        if key == "w2":
            against(title, runs, "torch", 1.2)
    for cell, title in RNN_CELLS.items():
        runs = results.get(f"w6_{cell}")
        if not runs:
            continue
        lines.extend(_framework_table(title, runs))
        against(title, runs, "torch", 1.0)
    for key, (other, limit) in STYLE_PAIRS.items():
        pair = results.get(key)
        if not pair:
            continue
        seq, alt = (_get(pair, style, "seconds_per_epoch") for style in ("sequential", other))
        title = f"{key.capitalize()} seed-mlp"
        lines.append("")
        lines.append(f"{title:<16}{'s/epoch':>10}{'CPU s/epoch':>13}   (medians of runs)")
        for style in ("sequential", other):
            wall, cpu = (
                _get(pair, style, k) for k in ("seconds_per_epoch", "cpu_seconds_per_epoch")
            )
            lines.append(
                f"  {style:<14}"
                + ("error" if wall is None or cpu is None else f"{wall:>10.3f}{cpu:>13.3f}")
            )
        check(
            f"{key.capitalize()}: {other}/Sequential <= {limit}",
            alt / seq if alt and seq else None,
            limit,
            "{:.3f}x",
        )
    grid = results.get("grid")
    if grid:
        lines.extend(_grid_table(grid))
        for cell, runs in grid.items():
            jx = _get(runs, "keras-jax", "best_seconds_per_epoch")
            for label in NUMKERAS_BLAS:
                nk = _get(runs, label, "best_seconds_per_epoch")
                check(
                    f"grid {cell}: {label}/keras-jax <= 1.0",
                    nk / jx if nk and jx else None,
                    1.0,
                    "{:.2f}x",
                )
    w1 = results.get("w1", {})
    if w1:
        nk_ips = _get(w1, "numkeras", "images_per_second")
        peers = [f.get("images_per_second") for k, f in w1.items() if k != "numkeras"]
        best = max((p for p in peers if p), default=None)
        check(
            "W3 inference: numkeras >= best peer img/s",
            nk_ips / best if nk_ips and best else None,
            1.0,
            "{:.2f}x of the best peer",
            below=False,
        )
        nk_acc, k_acc = (
            _get(w1, "numkeras", "test_accuracy"),
            _get(w1, "keras-jax", "test_accuracy"),
        )
        check(
            "W1 accuracy: |numkeras - Keras| <= 0.5 points",
            abs(nk_acc - k_acc) * 100 if nk_acc is not None and k_acc is not None else None,
            0.5,
            "{:.2f} points",
        )
        peak, needed = _get(w1, "numkeras", "peak_rss_bytes"), _get(w1, "numkeras", "needed_bytes")
        if peak and needed:
            lines.append("")
            lines.append(
                f"W5 memory: peak RSS {peak / 2**20:.0f} MiB for {needed / 2**20:.0f} "
                f"MiB of data, weights, gradients, slots and one batch"
            )
        check(
            "W5 memory: peak RSS / needed <= 1.5",
            peak / needed if peak and needed else None,
            1.5,
            "{:.2f}x",
        )
    w4 = results.get("w4")
    if w4:
        lines.append("")
        phases = ", ".join(f"{k} {v:.3f} s" for k, v in w4["phases_seconds"].items())
        lines.append(
            f"W4 start-up: import numkeras {w4['import_seconds']:.3f} s; "
            f"from process start: {phases}"
        )
        check("W4: import numkeras < 0.3 s", w4["import_seconds"], 0.3, "{:.3f} s")
        check("W4: first W1 step < 1 s", w4["first_step_seconds"], 1.0, "{:.3f} s")
    m = results["machine"]
    lines.append("")
    lines.append(f"device: {m['device']}")
    lines.append(
        "numkeras's fused C kernels: "
        + ("in use" if m.get("numkeras_kernels") else "NOT in use (NumPy reference paths)")
    )
    lines.append(
        f"load average: {m['load_average_at_start']:.2f} at start, "
        f"{m['load_average_at_end']:.2f} at end (near 0 for figures that count)"
    )
    return "\n".join(lines), targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="gemm,w1,w1b,w1f,w1s,w2,w3,w4,w5,w6,grid")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cnn-epochs", type=int, default=3)
    parser.add_argument("--rnn-epochs", type=int, default=3)
    parser.add_argument("--grid-epochs", type=int, default=3)
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="W1f, W1s, W6, grid: processes of each style/framework",
    )
    parser.add_argument("--device", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--json", default=str(HERE / "results.json"))
    args = parser.parse_args()
    # Every worker's environment (``environment``) derives its device from this one.
    os.environ["NUMKERAS_BENCH_DEVICE"] = args.device
    results = collect(
        set(args.only.split(",")),
        args.epochs,
        args.cnn_epochs,
        args.repeats,
        args.rnn_epochs,
        args.grid_epochs,
    )
    text, targets = table(results)
    print(text)
    print("\nTargets")
    for name, value, ok in targets:
        verdict = "n/a" if ok is None else ("met" if ok else "MISSED")
        print(f"  {verdict:<7}{name:<50}{value}")
    results["targets"] = [{"target": n, "value": v, "met": ok} for n, v, ok in targets]
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(f"\nraw figures: {args.json}")


if __name__ == "__main__":
    main()
