"""Keras 3's data parallelism: every process holds the whole model and trains on its share of
each batch, and the training loop asks the active :class:`DataParallel` to split batches, to
average the gradients, to make the logs global and to gather predictions.

Under ``mpiexec -n N`` each rank is one device, ``'cpu:<rank>'`` (``'gpu:<rank>'`` on the
CuPy engine); in a single process :func:`list_devices` names the one device there is.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import backend
from ..optimizers.base import gradients_reduced_by
from . import communicator as comm

_current: DataParallel | None = None

DEVICE_TYPES = ("cpu", "gpu")


def _device_type() -> str:
    return "gpu" if backend.backend() == "cupy" else "cpu"


def list_devices(device_type: str | None = None) -> list[str]:
    """The job's devices, one per process (rank), as Keras 3's ``list_devices``: e.g.
    ``['cpu:0', 'cpu:1']`` under ``mpiexec -n 2``.

    Args:
        device_type: ``'cpu'`` or ``'gpu'``; Defaults to None: the engine's own type.
            A type the engine does not use has no devices (``[]``).
    """
    if device_type is not None and device_type not in DEVICE_TYPES:
        raise ValueError(
            f"device_type must be one of {list(DEVICE_TYPES)} or None. "
            f"Received: device_type={device_type!r}"
        )
    kind = _device_type()
    if device_type is not None and device_type.lower() != kind:
        return []
    return [f"{kind}:{i}" for i in range(comm.size())]


class DataParallel:
    """Data parallelism, as Keras 3's ``keras.distribution.DataParallel``: the model is
    replicated on every device and each global batch is split between them.

    Set it with :func:`set_distribution` before ``fit``. Then ``fit`` broadcasts rank 0's
    weights (and optimizer state) at its start, gives each rank its slice of every batch of
    ``batch_size`` samples (the same shuffled order on all), averages the gradients with one
    all-reduce per step and applies the same update everywhere, and reports global logs;
    ``evaluate`` and ``predict`` give each rank a contiguous share of the samples and combine
    the results in order on every rank. ``train_on_batch`` and ``test_on_batch`` take the
    same global batch on every rank, as one step of ``fit`` and ``evaluate`` does.

    The averaging is done where the optimizer applies the gradients (Horovod's
    ``DistributedOptimizer``), so a model's own ``train_step`` that calls
    ``self.optimizer.apply_gradients`` is data-parallel too. Such a step must compute the
    mean loss over its batch (as Keras's losses do), and make one update of
    ``trainable_weights`` with ``self.optimizer``: a rank left with no sample of a short last
    batch takes part in that update only.

    Args:
        devices: the devices to use. Defaults to None: :func:`list_devices`, every rank of the
            job, which is the only choice with one process per device.
    """

    def __init__(self, devices: Sequence[str] | None = None):
        available = list_devices()
        if devices is not None and list(devices) != available:
            raise ValueError(
                "DataParallel runs one replica per process, so devices must be every process's "
                f"device, {available} (or None). Received: devices={devices!r}"
            )
        self.devices = available
        self._buffer: np.ndarray | None = None
        # The models whose state was made rank 0's, so that train_on_batch does it once.
        self._synchronized: weakref.WeakSet[Any] = weakref.WeakSet()

    def __repr__(self) -> str:
        return f"DataParallel(devices={self.devices})"

    # -- the training loop's side ----------------------------------------------------------
    @property
    def rank(self) -> int:
        return comm.rank()

    @property
    def num_replicas(self) -> int:
        return comm.size()

    def share(self, start: int, stop: int) -> tuple[int, int]:
        """This rank's part of positions ``[start, stop)``, as ``np.array_split`` cuts them:
        contiguous, in rank order, sizes differing by at most one."""
        base, extra = divmod(stop - start, self.num_replicas)
        r = self.rank
        first = start + r * base + min(r, extra)
        return first, first + base + (1 if r < extra else 0)

    def shared_seed(self) -> int:
        """A seed drawn on rank 0 and known to every rank, for a shuffle they all share.

        Every rank draws one (and keeps rank 0's), so that ranks seeded alike stay alike."""
        seed = int(backend.rng().integers(2**63 - 1))
        return int(comm.broadcast(seed))

    def split_random_streams(self) -> None:
        """Give each rank a random stream of its own (for dropout and augmentation), drawn
        from its current one and its rank: distinct even where every rank set the same seed,
        and still reproducible from that seed."""
        seed = int(backend.rng().integers(2**63 - 1))
        backend.set_rng_state(np.random.default_rng([seed, self.rank]).bit_generator.state)

    def broadcast_state(self, model: Any) -> None:
        """Make every rank's weights, and its optimizer's slots and step count, rank 0's.

        Rank 0's optimizer may hold a state (loaded from a checkpoint) where another rank's
        was never built: that one is built for the model's trainable weights to receive it.
        """
        optimizer = getattr(model, "optimizer", None)
        built = comm.broadcast(bool(optimizer is not None and optimizer.built))
        if built and not optimizer.built:
            optimizer.build(model.trainable_weights)
        arrays = [w.data for w in model.weights] + (list(optimizer.variables) if built else [])
        own = [tuple(np.shape(a)) for a in arrays]
        expected = comm.broadcast(own)
        if own != expected:
            raise ValueError(
                f"Rank {self.rank}'s model does not match rank 0's, whose weights and optimizer "
                f"state it must take: rank 0 has arrays of shapes {expected}, rank {self.rank} "
                f"has {own}."
            )
        for array in arrays:
            # MPI sends host memory: a CuPy array travels through the host (see docs).
            xp = backend.get_array_module(array)
            array[...] = xp.asarray(comm.broadcast(backend.to_numpy(array)))
        if optimizer is not None:
            optimizer.iterations = int(comm.broadcast(int(optimizer.iterations)))
        self._synchronized.add(model)

    def synchronize(self, model: Any) -> None:
        """:meth:`broadcast_state` for a model whose state was not broadcast by this
        distribution yet (the first ``train_on_batch``)."""
        if model not in self._synchronized:
            self.broadcast_state(model)

    @contextlib.contextmanager
    def averaging_gradients(self, count: int) -> Iterator[list[list[Any]]]:
        """Within the block, each optimizer update averages its gradients over the ranks
        (:meth:`average_gradients`, this rank's being of ``count`` samples) before it applies
        them. Yields a list to which each update appends the gradients it applied."""
        applied: list[list[Any]] = []

        def reduce(grads: list[Any], variables: list[Any]) -> list[Any]:
            applied.append(self.average_gradients(grads, variables, count))
            return applied[-1]

        with gradients_reduced_by(reduce):
            yield applied

    def average_gradients(self, grads: list[Any], variables: list[Any], count: int) -> list[Any]:
        """The global batch's gradients of ``variables`` from each rank's ``grads`` (aligned
        with them, None where this rank has none) of its ``count`` samples.

        Each rank's gradient is of the mean loss over its own samples, so it is weighted by
        ``count`` and the sum divided by the global count: the mean over the whole batch, as
        one process computes it. A None counts as zeros and stays None where every rank has
        None (so a rank with no samples, all None, applies the others' update). One
        all-reduce over one float32 buffer holding every gradient, a presence flag for each
        and the count, so one message per step whatever the number of weights.
        """
        sizes = [int(np.size(v.data)) for v in variables]
        flags = sum(sizes)
        total = flags + len(sizes) + 1
        if self._buffer is None or self._buffer.size != total:
            self._buffer = np.empty(total, np.float32)
        buf, offset = self._buffer, 0
        for i, (g, n) in enumerate(zip(grads, sizes)):
            part = buf[offset : offset + n]
            if g is None:
                part[...] = 0.0
            else:
                np.multiply(backend.to_numpy(g).ravel(), count, out=part)
            buf[flags + i] = g is not None
            offset += n
        buf[-1] = count
        summed = comm.allreduce_sum(buf)
        summed[:flags] /= summed[-1]
        out, offset = [], 0
        for i, (g, v, n) in enumerate(zip(grads, variables, sizes)):
            if summed[flags + i] == 0:
                out.append(None)
            else:
                part = summed[offset : offset + n].reshape(v.data.shape)
                dtype = v.data.dtype if g is None else g.dtype
                out.append(backend.get_array_module(v.data).asarray(part, dtype=dtype))
            offset += n
        return out

    def global_logs(self, logs: dict[str, Any], count: float) -> dict[str, Any]:
        """Every rank's ``logs`` (running means over its ``count`` samples) combined into the
        means over all samples, identical on every rank (summed in rank order); a rank of no
        samples has no say.

        Exact for the mean metrics (the loss, accuracies, errors); a ratio metric such as
        precision gets the sample-weighted mean of the ranks' figures.
        """
        parts = [(p, c) for p, c in comm.allgather((logs, float(count))) if p and c > 0]
        if not parts:
            return dict(logs)
        weights = [c for _, c in parts]
        total = sum(weights)
        combined = {}
        for key, first in parts[0][0].items():
            if isinstance(first, (float, np.ndarray)):
                mean = sum(w * np.asarray(part[key]) for (part, _), w in zip(parts, weights))
                combined[key] = float(mean / total) if np.ndim(mean) == 0 else mean / total
            else:  # not a figure (a custom step's extra entry): rank 0's
                combined[key] = first
        return combined

    def gather_rows(self, outputs: list[np.ndarray] | None) -> list[np.ndarray]:
        """Each rank's outputs (one array per model output, or None for none) joined along
        the samples in rank order, on every rank."""
        parts = [p for p in comm.allgather(outputs) if p is not None]
        return [np.concatenate(chunks) for chunks in zip(*parts)]


def set_distribution(value: DataParallel | None) -> None:
    """Make ``value`` the distribution that ``fit``, ``evaluate`` and ``predict`` use (Keras
    3's ``keras.distribution.set_distribution``); None goes back to one process's training."""
    global _current
    if value is not None and not isinstance(value, DataParallel):
        raise TypeError(
            "set_distribution takes a DataParallel instance or None. "
            f"Received: value of type {type(value).__name__}"
        )
    _current = value


def distribution() -> DataParallel | None:
    """The distribution set by :func:`set_distribution`, or None (Keras 3's
    ``keras.distribution.distribution``)."""
    return _current


def active() -> DataParallel | None:
    """The distribution the training loop must follow: the one set, when the job has more
    than one process."""
    return _current if _current is not None and comm.size() > 1 else None
