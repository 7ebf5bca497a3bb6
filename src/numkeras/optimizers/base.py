"""What every optimizer shares: learning rate, clipping, weight decay, constraints, slots, state.

An optimizer subclass writes two things only (Keras's split, Chainer's ``UpdateRule``):

* ``slot_initial_values()``: the per-variable arrays it keeps (name -> initial value), e.g.
  Adam's ``{"momentum": 0.0, "velocity": 0.0}``;
* ``update_step(grad, value, lr, **slots)``: one in-place update of the array ``value`` given
  its gradient, the current learning rate and its slot arrays, passed by name.

:meth:`Optimizer.apply` does the rest, once per step and in this order (Keras 3's): evaluate the
learning rate at ``iterations``; clip the gradients; decay the weights
(``w -= w * weight_decay * lr``); call ``update_step`` per variable; apply each variable's
``constraint``; ``iterations += 1``.

Updates are in place: ``Variable.value`` keeps its identity, and update steps compute into a
scratch buffer shared by all variables (see :meth:`Optimizer.scratch`), so a step allocates no
full-size arrays. A rule with a fused kernel (:attr:`Optimizer.kernel`) updates float32 arrays
in one pass; otherwise, on the CPU, large variables are updated in cache-sized blocks. All
scalars are Python floats, which keeps float32 arrays float32 and float64 arrays float64.

The blocks of a step are not shared out among threads: NumPy releases the GIL inside each
ufunc, but a rule's ufuncs on a cache-sized block last a few microseconds, about what a GIL
hand-over costs, and on two cores a threaded Adam step measured 10% slower than one thread.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

import numpy as np

from .. import backend, kernels, legacy, registry, schedules
from ..ops.core import Variable, as_array
from ..schedules import InverseTimeDecay

#: Accepted intervals of hyperparameters, by the words that error messages show.
_INTERVALS: Mapping[str, Callable[[float], bool]] = {
    "in [0, 1]": lambda x: 0.0 <= x <= 1.0,
    "in [0, 1)": lambda x: 0.0 <= x < 1.0,
    ">= 0": lambda x: x >= 0.0,
    "> 0": lambda x: x > 0.0,
}

#: Elements per block of an update step: small enough that a block of each array (weights,
#: gradient, slots, scratch) stays in the CPU cache across the rule's passes. On a 650k-weight
#: MLP this makes Adam's step about 30% faster than whole-array passes.
_BLOCK = 1 << 16

#: Every this many steps, slot values below ``_FLUSH_BELOW`` times the dtype's smallest normal
#: number are set to 0 (see :meth:`Optimizer._flush_tiny_slots`).
_FLUSH_EVERY = 64
_FLUSH_BELOW = 2.0**26

#: Keras 3 config entries for features numkeras lacks, with the values that mean "off": a
#: config saved by Keras with these values loads; any other value is an error.
_KERAS_ONLY_DEFAULTS: Mapping[str, Any] = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}

#: What every :meth:`Optimizer.apply` passes its gradients through first, while
#: :func:`gradients_reduced_by` sets it: None outside it.
_gradient_reducer: Callable[[list[Any], list[Variable]], list[Any]] | None = None


@contextlib.contextmanager
def gradients_reduced_by(
    reducer: Callable[[list[Any], list[Variable]], list[Any]],
) -> Iterator[None]:
    """Within the block, every optimizer's :meth:`~Optimizer.apply` hands its gradients (a
    list aligned with the variables, None where a variable has none) and variables to
    ``reducer`` and applies the gradients it returns, in the same form.

    The training loop's one hook for data parallelism (``numkeras.distribution``, Horovod's
    ``DistributedOptimizer``): the gradients of any ``train_step``, the default one or a
    model's own calling ``apply_gradients``, are averaged over the processes where they are
    applied, so each update averages once. Blocks do not nest.
    """
    global _gradient_reducer
    if _gradient_reducer is not None:
        raise RuntimeError("gradients_reduced_by blocks do not nest: one is active already.")
    _gradient_reducer = reducer
    try:
        yield
    finally:
        _gradient_reducer = None


def check_hyperparameter(name: str, value: Any, interval: str) -> float:
    """``value`` as a float if it is a real number in ``interval`` (a key of ``_INTERVALS``).

    Otherwise raise ``ValueError("Argument `momentum` must be a float in [0, 1]. Received:
    momentum=1.5")``.
    """
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )
    if not (number and _INTERVALS[interval](float(value))):
        shown = value.item() if isinstance(value, np.generic) else value
        raise ValueError(
            f"Argument `{name}` must be a float {interval}. Received: {name}={shown!r}"
        )
    return float(value)


def moving_average(average: Any, x: Any, decay: float, scratch: Any) -> None:
    """``average = decay * average + (1 - decay) * x``, in place; ``scratch`` may be ``x``."""
    average *= decay
    backend.get_array_module(average).multiply(x, 1.0 - decay, out=scratch)
    average += scratch


def check_epsilon(epsilon: float | None) -> float:
    """``epsilon`` as a float >= 0, with Keras 2's ``None`` meaning ``backend.epsilon()``."""
    return check_hyperparameter(
        "epsilon", backend.epsilon() if epsilon is None else epsilon, ">= 0"
    )


def _keras1_arguments(init: Callable[..., None]) -> Callable[..., None]:
    """Wrap an optimizer's ``__init__`` to accept Keras 1/2's ``lr=`` and ``decay=``.

    ``lr`` is renamed by :func:`numkeras.legacy.modernize` (with its warning). ``decay`` keeps
    its Keras 2 meaning, ``lr_t = lr / (1 + decay * iterations)`` applied before any bias
    correction, by becoming ``InverseTimeDecay(lr, decay_steps=1, decay_rate=decay)``.
    Only the outermost call sees them: a subclass's ``super().__init__`` gets modern arguments.
    """

    @functools.wraps(init)
    def __init__(self: Optimizer, *args: Any, **kwargs: Any) -> None:
        if "lr" in kwargs:
            kwargs = legacy.modernize(type(self).__name__, kwargs, allowed={"learning_rate"})
        decay = kwargs.pop("decay", None)
        init(self, *args, **kwargs)
        if decay is not None and check_hyperparameter("decay", decay, ">= 0") > 0:
            self._apply_keras2_decay(float(decay))

    return __init__


class Optimizer:
    """Base class of the optimizers: one update of a list of variables per :meth:`apply`.

    Arguments common to every optimizer (Keras 3's names and defaults):

    Args:
        learning_rate: a float (an int is accepted), a :mod:`numkeras.schedules` schedule or
            any callable ``f(step) -> float``, evaluated at ``iterations`` every step.
        weight_decay: if set, every step first does ``w -= w * weight_decay * lr``
            (decoupled weight decay, as Keras). Defaults to ``None``.
        clipnorm: if set, each gradient is rescaled so that its L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so that the L2 norm of
            their concatenation is at most this. At most one of the three clip options is set.
        name: a name; defaults to the class name in lower case.

    Keras 1/2 spellings: ``lr=`` means ``learning_rate=`` and ``decay=d`` applies
    ``lr / (1 + d * iterations)`` as Keras 2 did; both warn. Any other unknown argument is a
    ValueError.

    Attributes:
        iterations: the number of updates applied so far (an int, from 0).
        variables: the slot arrays, in a stable order; :meth:`save_own_variables` and
            :meth:`load_own_variables` save and restore them with ``iterations``.
    """

    #: The :mod:`numkeras.kernels` loop that runs ``update_step`` in one pass, if any.
    kernel: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _keras1_arguments(cls.__init__)

    def __init__(
        self,
        learning_rate: float | Callable[[int], float],
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        if kwargs:
            raise ValueError(
                f"{type(self).__name__}: argument(s) not recognized: {sorted(kwargs)}. "
                f"Valid arguments: {sorted(self._config_names())}."
            )
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clips.values()) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                + ", ".join(f"{k}={v}" for k, v in clips.items())
            )
        for key, value in clips.items():
            setattr(self, key, None if value is None else check_hyperparameter(key, value, "> 0"))
        self.weight_decay = (
            None
            if weight_decay is None
            else check_hyperparameter("weight_decay", weight_decay, ">= 0")
        )
        self.name = name or type(self).__name__.lower()
        self.learning_rate = learning_rate
        self.iterations = 0
        self.built = False
        self.xp = np
        self._variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._slot_names: list[str] = []
        self._slots: list[dict[str, Any]] = []
        self._scratch: dict[Any, Any] = {}
        self._pending_slots: list[Any] | None = None

    # -- learning rate -----------------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The rate of the coming update: the schedule or callable evaluated at ``iterations``.

        Setting a number replaces any schedule (what ReduceLROnPlateau does).
        """
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value: float | Callable[[int], float]) -> None:
        self._learning_rate = (
            value if callable(value) else check_hyperparameter("learning_rate", value, ">= 0")
        )

    def _apply_keras2_decay(self, decay: float) -> None:
        if callable(self._learning_rate):
            raise ValueError(
                "The Keras 2 argument `decay` works with a float learning_rate only; with a "
                "schedule, put the decay in the schedule. Received: "
                f"learning_rate={self._learning_rate!r}, decay={decay}"
            )
        schedule = InverseTimeDecay(self._learning_rate, decay_steps=1, decay_rate=decay)
        self._learning_rate = schedule
        warnings.warn(
            f"`{type(self).__name__}(decay={decay})` is Keras 2's per-update decay "
            f"lr / (1 + decay * iterations); it is applied as learning_rate={schedule!r}. "
            "Pass that schedule instead (Keras 3 ignores `decay`).",
            UserWarning,
            stacklevel=3,
        )

    # -- variables and slots -----------------------------------------------------------------
    def slot_initial_values(self) -> dict[str, float]:
        """The arrays kept per variable, name -> initial value, in a stable order."""
        return {}

    def build(self, variables: Sequence[Variable]) -> None:
        """Allocate the slots of ``variables`` (same shape and dtype as each). Idempotent."""
        if self.built:
            return
        self._variables = list(variables)
        self._index = {id(v): i for i, v in enumerate(self._variables)}
        if self._variables:
            self.xp = backend.get_array_module(self._variables[0].data)
        spec = self.slot_initial_values()
        self._slot_names = list(spec)
        self._slots = [
            {name: self.xp.full_like(v.data, init) for name, init in spec.items()}
            for v in self._variables
        ]
        self.built = True
        if self._pending_slots is not None:
            arrays, self._pending_slots = self._pending_slots, None
            self._set_slots(arrays)

    @property
    def variables(self) -> list[Any]:
        """The slot arrays, slot by slot (all momentums, then all velocities, ...)."""
        return [slots[name] for name in self._slot_names for slots in self._slots]

    def scratch(self, like: Any, index: int = 0, dtype: Any = None) -> Any:
        """Work array number ``index`` shaped like ``like``, of ``dtype`` (default ``like``'s),
        reused by every variable and step.

        Update steps run one block (or variable) at a time, so they share one buffer per
        dtype, as large as the largest block times the number of work arrays used.
        """
        size = like.size
        dtype = like.dtype if dtype is None else self.xp.dtype(dtype)
        buffer = self._scratch.get(dtype)
        if buffer is None or buffer.size < (index + 1) * size:
            # A view handed out earlier in this step keeps the old buffer alive; it stays valid.
            buffer = self.xp.empty((index + 1) * size, dtype=dtype)
            self._scratch[dtype] = buffer
        return buffer[index * size : (index + 1) * size].reshape(like.shape)

    # -- the update ----------------------------------------------------------------------------
    def update_step(self, grad: Any, value: Any, lr: float, **slots: Any) -> None:
        """Update the array ``value`` in place from ``grad``; ``slots`` are its slot arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step.")

    def apply(self, grads: Sequence[Any], variables: Sequence[Variable] | None = None) -> None:
        """One update step of ``variables`` (default: those the optimizer was built with).

        ``grads[i]`` is the gradient array of ``variables[i]``; a ``None`` gradient leaves its
        variable unchanged. Builds the optimizer on first use. Inside
        :func:`gradients_reduced_by` the gradients go through its reducer first.
        """
        if variables is None:
            if not self.built:
                raise ValueError(
                    "apply(grads) without variables needs a built optimizer: call "
                    "optimizer.build(variables) first, or pass the variables."
                )
            variables = self._variables
        else:
            variables = list(variables)
            self.build(variables)
        # Gradients may come as Tensors (from a GradientTape) or arrays.
        grads = [None if g is None else as_array(g) for g in grads]
        if len(grads) != len(variables):
            raise ValueError(
                f"Got {len(grads)} gradients for {len(variables)} variables; they must match "
                "one to one."
            )
        pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        for g, v in pairs:
            if id(v) not in self._index:
                raise ValueError(
                    f"Unknown variable {v!r}: this optimizer was built for other variables. "
                    "Create a new optimizer for a new set of variables."
                )
            if g.shape != v.data.shape:
                raise ValueError(
                    f"Gradient of shape {g.shape} for variable {v.name!r} of shape {v.data.shape}."
                )
        if _gradient_reducer is not None:
            grads = _gradient_reducer(grads, variables)
            pairs = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
        lr = self.learning_rate
        clipped = self._clip_gradients([g for g, _ in pairs])
        if self.weight_decay:
            keep = 1.0 - self.weight_decay * lr
            for _, v in pairs:
                v.data *= keep
        for g, (_, v) in zip(clipped, pairs, strict=True):
            slots = self._slots[self._index[id(v)]]
            for g_part, v_part, slots_part in self._blocks(g, v.data, slots):
                self.update_step(g_part, v_part, lr, **slots_part)
        for _, v in pairs:
            if v.constraint is not None:
                v.assign(v.constraint(v.data))
        self.iterations += 1
        if self.iterations % _FLUSH_EVERY == 0 and getattr(self, "epsilon", 1.0) > 0:
            self._flush_tiny_slots()

    def _flush_tiny_slots(self) -> None:
        """Set slot values below ``2**26`` times the dtype's smallest normal number to 0.

        A moving average whose gradient stays 0 (a dead unit, a pixel that is always blank)
        decays into the subnormal numbers and sticks there (``0.9 * x`` rounds back to ``x``
        for the smallest ones), and every operation on a subnormal costs the CPU about a hundred
        times a normal one: W1's Adam epochs grew from 2 to 4 seconds. Keras's backends avoid it
        by running with the CPU's flush-to-zero mode; this does the same to the slots, before
        any of them can decay into that range (below 1e-30 in float32, which is far below what
        moves a weight when ``epsilon`` > 0).
        """
        xp = self.xp
        for slots in self._slots:
            for array in slots.values():
                if array.dtype.kind == "f":
                    limit = float(xp.finfo(array.dtype).tiny) * _FLUSH_BELOW
                    # In the scratch arrays: whole-slot temporaries would be fresh mappings
                    # of MBs, faulted in page by page at every flush.
                    magnitude, tiny = self.scratch(array), self.scratch(array, dtype=bool)
                    xp.abs(array, out=magnitude)
                    xp.less(magnitude, limit, out=tiny)
                    xp.copyto(array, 0, where=tiny)

    def _blocks(self, grad: Any, value: Any, slots: dict[str, Any]) -> Iterator[tuple]:
        """``(grad, value, slots)`` cut into blocks of ``_BLOCK`` elements (NumPy only).

        Every update rule is elementwise, so a rule applied block by block gives the same
        result; its dozen passes then stay in the CPU cache instead of main memory. GPU
        arrays, small arrays, non-contiguous ones and those of a rule that runs as one fused
        pass (:attr:`kernel`) are passed whole.
        """
        n = value.size
        # Whole when the rule's kernel will take these very arrays (not, say, float64 ones);
        # asked last, as the cheaper tests settle most variables.
        if (
            self.xp is not np
            or n <= _BLOCK
            or not value.flags.c_contiguous
            or kernels.fused(self.kernel, grad, value, *slots.values()) is not None
        ):
            yield grad, value, slots
            return
        flat_grad, flat_value = grad.reshape(-1), value.reshape(-1)
        flat_slots = {name: a.reshape(-1) for name, a in slots.items()}
        for start in range(0, n, _BLOCK):
            s = slice(start, start + _BLOCK)
            yield flat_grad[s], flat_value[s], {name: a[s] for name, a in flat_slots.items()}

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> int:
        """Keras's spelling of :meth:`apply`: ``apply_gradients(zip(grads, variables))``.

        Returns ``iterations`` after the update.
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(grads, variables)
        return self.iterations

    def _clip_gradients(self, grads: list[Any]) -> list[Any]:
        """Rescale (clipnorm, global_clipnorm) or clip (clipvalue) the gradients, Keras style.

        Clipped gradients are new arrays: the caller's gradients are never modified.
        """
        if self.clipnorm is not None:
            return [_scaled(g, self.clipnorm, n) for g, n in zip(grads, _l2_norms(grads))]
        if self.global_clipnorm is not None:
            norm = math.sqrt(sum(n**2 for n in _l2_norms(grads)))
            return [_scaled(g, self.global_clipnorm, norm) for g in grads]
        if self.clipvalue is not None:
            xp = self.xp
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # -- saving and resuming -------------------------------------------------------------------
    def save_own_variables(self, store: MutableMapping[str, Any]) -> None:
        """Write the state into ``store``: ``"iterations"``, then slot ``i`` under ``str(i)``.

        Arrays are NumPy copies, so ``store`` can be written to disk (e.g. ``np.savez``)
        while training goes on. With the config, this resumes training exactly.
        """
        store["iterations"] = np.asarray(self.iterations, dtype=np.int64)
        for i, array in enumerate(self.variables):
            store[str(i)] = np.array(backend.to_numpy(array))

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Restore a state written by :meth:`save_own_variables`.

        Works before :meth:`build` too: the slots are then filled when the optimizer is built.
        """
        self.iterations = int(store["iterations"])
        count = sum(1 for key in store.keys() if key != "iterations")
        arrays = [store[str(i)] for i in range(count)]
        if self.built:
            self._set_slots(arrays)
        else:
            self._pending_slots = arrays

    def _set_slots(self, arrays: Sequence[Any]) -> None:
        slots = self.variables
        if len(arrays) != len(slots):
            raise ValueError(
                f"The saved state of {self.name!r} has {len(arrays)} slot arrays but this "
                f"optimizer has {len(slots)} ({self._slot_names} for "
                f"{len(self._variables)} variables). Was it saved from another optimizer or "
                "model, or with other settings (momentum, amsgrad, centered)?"
            )
        for slot, array in zip(slots, arrays, strict=True):
            if slot.shape != array.shape:
                raise ValueError(
                    f"Saved slot of shape {array.shape} does not fit slot of shape {slot.shape}."
                )
            slot[...] = self.xp.asarray(array)

    # -- config ------------------------------------------------------------------------------------
    def _config_names(self) -> list[str]:
        """Constructor arguments of this class and of Optimizer, as stored on ``self``."""
        names: list[str] = []
        for init in (type(self).__init__, Optimizer.__init__):
            for p in inspect.signature(init).parameters.values():
                if p.name != "self" and p.kind is not p.VAR_KEYWORD and p.name not in names:
                    names.append(p.name)
        return names

    def get_config(self) -> dict[str, Any]:
        """Every constructor argument (JSON-ready); a schedule as its serialized config."""
        config: dict[str, Any] = {}
        for name in self._config_names():
            config[name] = getattr(self, name)
        if callable(self._learning_rate):
            config["learning_rate"] = registry.serialize(self._learning_rate)
        else:
            config["learning_rate"] = self._learning_rate
        return config

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Optimizer:
        """Rebuild an optimizer from :meth:`get_config` (or a Keras 3 optimizer config)."""
        config = dict(config)
        for key, off in _KERAS_ONLY_DEFAULTS.items():
            if key in config and config[key] == off:
                del config[key]
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr, custom_objects)
        elif isinstance(lr, str):
            if not custom_objects or lr not in custom_objects:
                raise ValueError(
                    f"The learning rate function {lr!r} is not a numkeras schedule: pass "
                    f"custom_objects={{{lr!r}: the_function}} to load it."
                )
            config["learning_rate"] = custom_objects[lr]
        return cls(**config)

    def __repr__(self) -> str:
        lr, step = self.learning_rate, self.iterations
        return f"<{type(self).__name__} {self.name!r} learning_rate={lr:g} iterations={step}>"


class AdaptiveMoments(Optimizer):
    """Shared constructor of Adam, Adamax and Nadam: two decay rates and epsilon.

    Args:
        learning_rate: defaults to ``0.001``.
        beta_1: decay rate of the first-moment (mean) estimate, in [0, 1). Defaults to ``0.9``.
        beta_2: decay rate of the second-moment estimate (Adamax: of the infinity norm), in
            [0, 1). Defaults to ``0.999``.
        epsilon: added to the denominator for numerical stability; ``None`` (Keras 2's
            spelling) means ``1e-7``. Defaults to ``1e-7``.
        **kwargs: the common arguments of :class:`Optimizer`.
    """

    def __init__(
        self,
        learning_rate: float | Callable[[int], float] = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float | None = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_hyperparameter("beta_1", beta_1, "in [0, 1)")
        self.beta_2 = check_hyperparameter("beta_2", beta_2, "in [0, 1)")
        self.epsilon = check_epsilon(epsilon)


def _l2_norms(grads: Sequence[Any]) -> list[float]:
    """The L2 norm of each gradient as a Python float.

    The squares are summed on the gradients' device and come to the host in one explicit copy,
    one device sync per step: the norm, its comparison with the limit and the scale stay host
    floats because a device form (``g * xp.minimum(1, limit / norm)`` in float32) would round
    otherwise and change the CPU's results.
    """
    if not grads:
        return []
    xp = backend.get_array_module(*grads)
    squares = xp.stack([xp.dot(flat, flat) for flat in (g.reshape(-1) for g in grads)])
    return [math.sqrt(s) for s in backend.to_numpy(squares).tolist()]


def _scaled(g: Any, limit: float, norm: float) -> Any:
    """``g * limit / norm`` when ``norm > limit``, else ``g`` itself."""
    return g * (limit / norm) if norm > limit else g
