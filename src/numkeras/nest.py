"""Nested structures: values inside lists, tuples and dicts, nested to any depth.

The one set of helpers for every place that walks such a structure: a layer call's arguments
and masks, a model graph's recorded arguments, a recurrent layer's states (one list per cell
when cells are stacked), ``GradientTape.gradient``'s targets and sources. :func:`leaves` lists
the values in order (a dict's in the order of its keys), :func:`pack` puts a list of values
back into a structure's nesting, and :func:`map_leaves` replaces some of the values.

``is_leaf``/``match`` picks values that count as one leaf even though they are containers
(a config's ``{"keras_history": ...}`` reference is a dict). Anything that is not a list, a
tuple or a dict is a leaf. This module imports nothing from numkeras, so that the ops and the
layers can both use it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _is_nested(value: Any, is_leaf: Callable[[Any], bool] | None) -> bool:
    return isinstance(value, (list, tuple, dict)) and not (is_leaf and is_leaf(value))


def leaves(structure: Any, is_leaf: Callable[[Any], bool] | None = None) -> list[Any]:
    """The values inside ``structure``'s nested lists, tuples and dicts, in order
    (``[structure]`` if it is none of those, or if ``is_leaf(structure)``)."""
    if not _is_nested(structure, is_leaf):
        return [structure]
    items = structure.values() if isinstance(structure, dict) else structure
    return [leaf for item in items for leaf in leaves(item, is_leaf)]


def pack(structure: Any, values: list[Any], is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """``values`` (as :func:`leaves` lists them) in the nesting of ``structure``: each list,
    tuple and dict of it rebuilt with its own type (a dict as a plain dict, a named tuple as
    itself), each leaf replaced by the next value."""
    remaining = iter(values)

    def build(item: Any) -> Any:
        if not _is_nested(item, is_leaf):
            return next(remaining)
        if isinstance(item, dict):
            return {key: build(value) for key, value in item.items()}
        built = [build(value) for value in item]
        # A named tuple takes its fields as separate arguments.
        return type(item)(*built) if hasattr(item, "_fields") else type(item)(built)

    return build(structure)


def map_leaves(structure: Any, replace: Callable[[Any], Any], match: Callable[[Any], bool]) -> Any:
    """``structure`` with each value that ``match`` accepts (a leaf, or a whole container)
    replaced by ``replace(value)``; the other values stay as they are."""
    found = leaves(structure, match)
    return pack(structure, [replace(v) if match(v) else v for v in found], match)
