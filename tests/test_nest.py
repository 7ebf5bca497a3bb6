"""numkeras.nest: the one set of helpers that walk nested lists, tuples and dicts."""

from collections import namedtuple

from numkeras.nest import leaves, map_leaves, pack

Pair = namedtuple("Pair", "first second")


def test_leaves_lists_values_in_order_through_every_container():
    structure = [1, (2, {"a": 3, "b": [4]}), Pair(5, 6)]
    assert leaves(structure) == [1, 2, 3, 4, 5, 6]
    assert leaves(7) == [7]


def test_pack_rebuilds_each_container_with_its_own_type():
    structure = [1, (2, {"a": 3}), Pair(4, 5)]
    packed = pack(structure, ["a", "b", "c", "d", "e"])
    assert packed == ["a", ("b", {"a": "c"}), Pair("d", "e")]
    assert isinstance(packed[1], tuple) and isinstance(packed[2], Pair)


def test_a_container_that_is_leaf_counts_as_one_value():
    def is_ref(value):
        return isinstance(value, dict) and "ref" in value

    structure = {"states": [{"ref": 1}, {"ref": 2}], "flag": True}
    assert leaves(structure, is_ref) == [{"ref": 1}, {"ref": 2}, True]
    replaced = map_leaves(structure, lambda r: r["ref"] * 10, is_ref)
    assert replaced == {"states": [10, 20], "flag": True}
