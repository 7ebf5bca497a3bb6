"""One fusion pass for every model: which layer calls run as one fused op.

A model describes what it computes as a :class:`Graph`: its layer calls in an order that runs
(each reads values by key and writes others), and the keys of its inputs and outputs. Sequential
and functional models build theirs from their layers or nodes; :func:`fuse` then finds the fast
paths and :func:`run` applies the result, so the same network runs the same ops whichever way it
was written. The fast paths:

* a built ``Dense`` and the ``Activation('relu')`` or ``Activation('sigmoid')`` that alone reads
  its output become one fused dense op (the Activation's call is dropped);
* a ``Dense`` whose own activation is ReLU or the sigmoid applies it in that op.

A sigmoid whose output leaves the model stays its own op: it marks its logits on its output
(``Tensor._keras_logits``), where the loss finds them to use the fused, stable cross-entropy; a
softmax always does. Layers with an activity regularizer keep their separate outputs. A fused
call passes its input's mask on (``Tensor._keras_mask``), as the two layers' calls would.

A call may also take named arguments (``initial_state=[h, c]``): plain values, or values of
the graph read through :class:`Ref`.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Hashable
from typing import Any, NamedTuple

from .. import activations
from ..layers.core import Activation, Dense
from ..layers.layer import Layer
from ..layers.symbolic import leaves, map_leaves


@dataclasses.dataclass(frozen=True)
class Ref:
    """In a call's ``arguments``: the graph's value at ``key``."""

    key: Hashable


class Call(NamedTuple):
    """One call of ``layer``, reading the values at ``inputs`` and writing those at ``outputs``;
    ``activation`` (set by :func:`fuse` on a ``Dense``) is the activation fused into its op;
    ``arguments`` are the call's named arguments, a :class:`Ref` (alone or in lists) where
    they are values of the graph."""

    layer: Layer
    inputs: tuple[Hashable, ...]
    outputs: tuple[Hashable, ...]
    activation: str | None = None
    arguments: dict[str, Any] | None = None

    @property
    def reads(self) -> list[Hashable]:
        """The keys of every value the call reads: its inputs, then its arguments' refs."""
        refs = (r.key for r in leaves(self.arguments) if isinstance(r, Ref))
        return [*self.inputs, *refs]


class Graph(NamedTuple):
    """A model's layer calls, each after those it reads from, and its input and output keys."""

    calls: list[Call]
    inputs: tuple[Hashable, ...]
    outputs: tuple[Hashable, ...]


def fuse(graph: Graph) -> list[Call]:
    """``graph``'s calls with the fast paths of this module's docstring: each fused ``Dense``
    call carries its ``activation`` and writes where its Activation wrote, which is dropped."""
    readers: dict[Hashable, list[int]] = collections.defaultdict(list)
    for index, call in enumerate(graph.calls):
        for key in call.reads:
            readers[key].append(index)
    leaving = set(graph.outputs)
    plan: list[Call] = []
    dropped: set[int] = set()
    for index, call in enumerate(graph.calls):
        if index in dropped:
            continue
        layer = call.layer
        if (
            type(layer) is not Dense
            or not layer.built
            or layer.activity_regularizer is not None
            or call.arguments
        ):
            plan.append(call)
            continue
        (out,) = call.outputs
        after = _sole_activation_reader(graph.calls, readers[out]) if out not in leaving else None
        if layer.activation is activations.linear and after is not None:
            follower = graph.calls[after]
            fused = Dense.fusable(follower.layer.activation, follower.outputs[0] in leaving)
            if fused:
                plan.append(call._replace(outputs=follower.outputs, activation=fused))
                dropped.add(after)
                continue
        fused = Dense.fusable(layer.activation, out in leaving)
        plan.append(call._replace(activation=fused) if fused else call)
    return plan


def _sole_activation_reader(calls: list[Call], readers: list[int]) -> int | None:
    """The index of the call in ``readers`` when it is the only one and an ``Activation`` with
    no activity regularizer, else None."""
    if len(readers) != 1:
        return None
    layer = calls[readers[0]].layer
    if type(layer) is not Activation or layer.activity_regularizer is not None:
        return None
    return readers[0]


def run(plan: list[Call], values: dict[Hashable, Any], training: bool | None) -> None:
    """Apply the calls of ``plan`` in turn, each reading from and writing into ``values``."""
    for call in plan:
        args = [values[key] for key in call.inputs]
        if call.activation is None:
            arguments = map_leaves(call.arguments or {}, lambda r: values[r.key], _is_ref)
            # The model's own training flag, when it has one, wins over one that the call
            # was given in the graph, as in Keras 3 (so predict never drops out).
            if training is not None or "training" not in arguments:
                arguments["training"] = training
            out = call.layer(args if len(args) > 1 else args[0], **arguments)
        else:
            # What Layer.__call__ does around ``call``; the plan fuses built layers only.
            x = call.layer._cast(args[0])
            call.layer._check_inputs(x.shape)
            out = call.layer.fused_call(x, call.activation)
            call.layer._attach_masks(x, out, x._keras_mask)
        for key, value in zip(call.outputs, out if isinstance(out, (list, tuple)) else [out]):
            values[key] = value


def _is_ref(value: Any) -> bool:
    """Whether ``value`` is a :class:`Ref` (what :func:`map_leaves` replaces in a run)."""
    return isinstance(value, Ref)
