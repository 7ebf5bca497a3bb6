"""Tensor contractions: einsum, and tensordot and dot written as einsums.

One op, :class:`Einsum`, differentiates them all. The gradient of an operand is itself an einsum:
the output's gradient contracted with the other operands into that operand's labels. Two cases
need more than that, and both are handled for any subscripts:

* a label that only this operand has (``'ij->i'`` sums over ``j``): the gradient is constant
  along it, so a vector of ones carries the label into the gradient's einsum;
* a label repeated in the operand (``'ii->i'``, a diagonal; ``'ii'``, a trace): the gradient
  lives on that diagonal, so the repeat gets a new label tied to the first by an identity matrix.

Ellipses are spelled out as spare labels first, so that broadcast axes are plain labels too; an
operand that was broadcast (size 1 against n) has its gradient summed back to size 1.
"""

from __future__ import annotations

import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import get_array_module
from .axes import canonical_axes
from .core import Op, Tensor
from .dtypes import result_type
from .math import multiply


def parse_subscripts(subscripts: str, shapes: Sequence[tuple[int, ...]]) -> tuple[list[str], str]:
    """The labels of each operand and of the output, ellipses spelled out as spare letters
    (right-aligned, as broadcasting aligns axes) and an implicit output made explicit
    (NumPy's rule: the broadcast axes, then the labels used once, in alphabetical order)."""
    spec = subscripts.replace(" ", "")
    inputs, arrow, output = spec.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"subscripts name {len(terms)} operands but {len(shapes)} were given. "
            f"Received: subscripts={subscripts!r}"
        )
    if not set(spec.replace("...", "").replace(",", "").replace("->", "")) <= set(
        string.ascii_letters
    ):
        raise ValueError(
            f"subscripts may hold letters, ',', '->' and '...' only. "
            f"Received: subscripts={subscripts!r}"
        )
    spare = [c for c in string.ascii_letters if c not in spec]
    ranks = []
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        rank = len(shape) - named if "..." in term else 0
        if rank < 0 or ("..." not in term and named != len(shape)):
            raise ValueError(
                f"subscripts give operand {i} the labels {term!r}, but it has {len(shape)} axes. "
                f"Received: subscripts={subscripts!r}"
            )
        ranks.append(rank)
    broadcast = "".join(spare[: max(ranks, default=0)])
    labels = [t.replace("...", broadcast[len(broadcast) - r :]) for t, r in zip(terms, ranks)]
    if arrow:
        if broadcast and "..." not in output:
            raise ValueError(
                "the output must keep the operands' '...' axes. "
                f"Received: subscripts={subscripts!r}"
            )
        output = output.replace("...", broadcast)
        counts = Counter(output)
        if any(n > 1 for n in counts.values()) or not set(output) <= set("".join(labels)):
            raise ValueError(
                "the output's labels must be distinct and name axes of the operands. "
                f"Received: subscripts={subscripts!r}"
            )
    else:
        once = Counter(inputs.replace("...", "").replace(",", ""))
        output = broadcast + "".join(sorted(c for c, n in once.items() if n == 1))
    return labels, output


class Einsum(Op):
    """``numpy.einsum`` of the operands over explicit ``labels -> output`` (see
    :func:`parse_subscripts`), with the gradient of each operand as an einsum too.

    Operands of mixed dtypes meet in :func:`.dtypes.result_type`; ``widen_int8`` accumulates
    int8 operands in int32, as Keras's ``einsum`` does (its ``tensordot`` and ``dot`` do not).
    """

    def __init__(self, labels: list[str], output: str, widen_int8: bool = False):
        self.labels, self.output, self.widen_int8 = labels, output, widen_int8
        used = set("".join(labels))
        self.spare = [c for c in string.ascii_letters if c not in used]

    def forward(self, *arrays: Any) -> Any:
        self.in_dtypes = [a.dtype for a in arrays]
        dtype = result_type(*self.in_dtypes)
        if self.widen_int8 and dtype == np.int8:
            dtype = np.dtype("int32")
        self.arrays = [a.astype(dtype, copy=False) for a in arrays]
        self.sizes: dict[str, int] = {}
        for term, a in zip(self.labels, self.arrays):
            for label, n in zip(term, a.shape):
                # A size-1 axis broadcasts against the label's other sizes.
                self.sizes[label] = max(n, self.sizes.get(label, 1))
        spec = ",".join(self.labels) + "->" + self.output
        return get_array_module(*self.arrays).einsum(spec, *self.arrays, optimize=True)

    def backward(self, g: Any) -> tuple:
        return tuple(
            self.operand_grad(k, g) if wanted else None for k, wanted in enumerate(self.needs_grad)
        )

    def operand_grad(self, k: int, g: Any) -> Any:
        """The gradient of operand ``k``: ``g`` contracted with the other operands."""
        xp = get_array_module(g)
        specs, operands = [self.output], [g]
        for j, (term, a) in enumerate(zip(self.labels, self.arrays)):
            if j != k:
                specs.append(term)
                operands.append(a)
        elsewhere = set("".join(specs))
        spare = iter(self.spare)
        target: list[str] = []
        for label in self.labels[k]:
            if label in target:
                tied = next(spare)
                specs.append(label + tied)
                operands.append(xp.eye(self.sizes[label], dtype=g.dtype))
                target.append(tied)
                continue
            if label not in elsewhere:
                specs.append(label)
                operands.append(xp.ones(self.sizes[label], dtype=g.dtype))
            target.append(label)
        spec = ",".join(specs) + "->" + "".join(target)
        grad = xp.einsum(spec, *operands, optimize=True)
        # Where the operand was broadcast (size 1 against n) its gradient sums over the copies;
        # where only it had the full size (n against 1 elsewhere) the gradient is constant.
        shape = self.arrays[k].shape
        stretched = tuple(i for i, (n, m) in enumerate(zip(shape, grad.shape)) if n < m)
        if stretched:
            grad = grad.sum(axis=stretched, keepdims=True)
        if grad.shape != shape:
            grad = xp.broadcast_to(grad, shape)
        return grad.astype(self.in_dtypes[k], copy=False)


# -- functions (keras.ops names and arguments) -----------------------------------------------------
def einsum(subscripts: str, *operands: Any) -> Tensor:
    """The Einstein summation ``subscripts`` of ``operands``, as ``numpy.einsum`` reads it
    (explicit ``'ij,jk->ik'`` or implicit ``'ij,jk'``, ``'...'`` for broadcast axes, repeated
    labels for diagonals and traces); differentiable in every operand. int8 operands give int32,
    mixed dtypes meet as in Keras (an integer and a float give the float)."""
    labels, output = parse_subscripts(subscripts, [tuple(np.shape(x)) for x in operands])
    return Einsum(labels, output, widen_int8=True)(*operands)


def tensordot(x1: Any, x2: Any, axes: int | Sequence[Any] = 2) -> Tensor:
    """The sum of products of ``x1`` and ``x2`` over pairs of axes: the last ``axes`` of ``x1``
    with the first ``axes`` of ``x2`` (an int), or ``axes = (axes_of_x1, axes_of_x2)``. The
    result has ``x1``'s other axes, then ``x2``'s."""
    shape1, shape2 = tuple(np.shape(x1)), tuple(np.shape(x2))
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(len(shape1), len(shape2)):
            raise ValueError(
                f"axes must be in [0, {min(len(shape1), len(shape2))}] for x1 of rank "
                f"{len(shape1)} and x2 of rank {len(shape2)}. Received: axes={axes}"
            )
        pairs1, pairs2 = tuple(range(len(shape1) - axes, len(shape1))), tuple(range(axes))
    else:
        if len(axes) != 2:
            raise ValueError(f"axes must be an int or a pair of axis lists. Received: axes={axes}")
        pairs1 = canonical_axes(axes[0], len(shape1), "axes")
        pairs2 = canonical_axes(axes[1], len(shape2), "axes")
    if len(pairs1) != len(pairs2) or any(shape1[a] != shape2[b] for a, b in zip(pairs1, pairs2)):
        raise ValueError(
            f"x1 and x2 must have the same sizes on the axes contracted; x1 {shape1} on axes "
            f"{pairs1}, x2 {shape2} on axes {pairs2}. Received: axes={axes}"
        )
    letters = string.ascii_letters
    labels1 = letters[: len(shape1)]
    labels2 = list(letters[len(shape1) : len(shape1) + len(shape2)])
    for a, b in zip(pairs1, pairs2):
        labels2[b] = labels1[a]
    output = [c for i, c in enumerate(labels1) if i not in pairs1]
    output += [c for i, c in enumerate(labels2) if i not in pairs2]
    return Einsum([labels1, "".join(labels2)], "".join(output))(x1, x2)


def dot(x1: Any, x2: Any) -> Tensor:
    """NumPy's ``dot``: the product with a scalar, the inner product of vectors, the matrix
    product of matrices, and otherwise the sum over ``x1``'s last axis and ``x2``'s second to
    last (its only axis when it is a vector)."""
    rank1, rank2 = np.ndim(x1), np.ndim(x2)
    if rank1 == 0 or rank2 == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([rank1 - 1], [max(rank2 - 2, 0)]))
