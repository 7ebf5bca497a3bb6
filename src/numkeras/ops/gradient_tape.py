"""``GradientTape``: TensorFlow's way of asking for gradients, over numkeras's own tape.

numkeras records every op whose inputs require a gradient (define-by-run), so the tape exists
already; ``GradientTape`` is the interface that Keras programs written for TensorFlow use to
read it::

    with numkeras.GradientTape() as tape:
        y_pred = model(x, training=True)
        loss = loss_fn(y, y_pred)
    grads = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))

As in TensorFlow: a non-persistent tape answers one ``gradient`` call; ``watch`` makes a constant
tensor a source; a non-scalar target means the sum of its elements; a source the target does not
depend on gets ``None`` (or zeros with ``unconnected_gradients='zero'``). Unlike
:meth:`Tensor.backward`, ``gradient`` leaves every ``.grad`` alone.
"""

from __future__ import annotations

import contextlib
from typing import Any

from ..nest import leaves, pack
from .core import Tensor, _own, backpropagate, enable_grad


class GradientTape:
    """Records the ops run inside its ``with`` block so that :meth:`gradient` can differentiate
    them.

    Args:
        persistent: allow several :meth:`gradient` calls. Defaults to False, as in TensorFlow.
        watch_accessed_variables: whether trainable variables used in the block are sources
            without :meth:`watch`. Defaults to True; with False, only watched tensors get
            gradients.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched: list[Tensor] = []
        self._used = False
        self._recording = contextlib.ExitStack()

    def __enter__(self) -> GradientTape:
        self._recording.enter_context(enable_grad())
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._recording.close()

    def watch(self, tensor: Any) -> None:
        """Make ``tensor`` (or each tensor of a list, tuple or dict) a source of gradients."""
        for t in leaves(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(
                    "watch() takes tensors (numkeras Tensors or Variables). Received: "
                    f"{type(t).__name__}"
                )
            t.requires_grad = True
            self._watched.append(t)

    def watched_variables(self) -> list[Tensor]:
        """The tensors given to :meth:`watch`."""
        return list(self._watched)

    def gradient(
        self,
        target: Any,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
    ) -> Any:
        """d(target)/d(source) for each source, in the structure of ``sources``.

        Args:
            target: a tensor, or a list of them (their gradients add up); a non-scalar target
                counts as the sum of its elements unless ``output_gradients`` weighs them.
            sources: a tensor or variable, or a list, tuple or dict of them.
            output_gradients: the gradient flowing into each target (default ones).
            unconnected_gradients: ``'none'`` (default) gives None for a source the target
                does not depend on, ``'zero'`` gives zeros.

        Returns:
            Tensors (without a tape) in the structure of ``sources``.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                "unconnected_gradients must be 'none' or 'zero'. Received: "
                f"unconnected_gradients={unconnected_gradients!r}"
            )
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of "
                "gradients. Use GradientTape(persistent=True) to call gradient() again."
            )
        self._used = True
        flat_sources = leaves(sources)
        wanted = {id(s) for s in flat_sources}
        if not self.watch_accessed_variables:
            wanted &= {id(t) for t in self._watched}
        targets = leaves(target)
        seeds = [None] * len(targets) if output_gradients is None else leaves(output_gradients)
        found: dict[int, Any] = {}
        for t, seed in zip(targets, seeds, strict=True):
            if not isinstance(t, Tensor) or not t.requires_grad:
                continue
            for key, _, g in backpropagate(t, t._seed(seed), frozenset(wanted)):
                if key in wanted:
                    found[key] = g if key not in found else found[key] + g
        owned: set[int] = set()
        grads = []
        for s in flat_sources:
            g = found.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = s.data * 0
            if g is not None:
                g = _own(g, owned)
                owned.add(id(g))
            grads.append(None if g is None else Tensor(g))
        return pack(sources, grads)
