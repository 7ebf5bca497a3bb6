"""numkeras.ops.dispatch: a failed public op is handed to the handler that claims its arguments;
every other call and error is the function's own, and each function keeps one identity."""

from __future__ import annotations

import subprocess
import sys

import pytest

from numkeras import ops
from numkeras.ops import dispatch


class Placeholder:
    """An argument no op can compute with."""


def negate(x):
    return -x


@pytest.fixture
def handled(monkeypatch):
    """A handler that claims calls with a Placeholder among their arguments; ``handled.seen``
    lists every call it was asked about."""
    seen = []

    def claims(args, kwargs):
        seen.append((args, kwargs))
        return any(isinstance(a, Placeholder) for a in (*args, *kwargs.values()))

    monkeypatch.setattr(dispatch, "_handler", (claims, lambda name, args, kwargs: (name, args)))
    claims.seen = seen
    return claims


def test_a_call_that_fails_on_claimed_arguments_goes_to_the_handler(handled):
    placeholder = Placeholder()
    assert dispatch.deferring("negative", negate)(placeholder) == ("negative", (placeholder,))


def test_other_calls_and_errors_are_the_functions_own(handled):
    wrapped = dispatch.deferring("negative", negate)
    assert wrapped(2) == -2
    assert handled.seen == []  # a call that works looks at nothing
    with pytest.raises(TypeError, match="bad operand"):
        wrapped("text")
    assert len(handled.seen) == 1


def test_without_a_handler_errors_stand(monkeypatch):
    monkeypatch.setattr(dispatch, "_handler", None)
    with pytest.raises(TypeError):
        dispatch.deferring("negative", negate)(Placeholder())


def test_every_public_function_is_wrapped_and_keeps_its_signature():
    assert ops.add.__wrapped__.__module__ == "numkeras.ops.math"
    assert ops.add.__name__ == "add" and ops.add.__doc__ == ops.add.__wrapped__.__doc__


def test_importing_the_layers_leaves_the_functions_as_they_are():
    # Code that holds ops.max before numkeras.layers is imported holds the same function after.
    script = (
        "import numkeras.ops as ops\n"
        "held = [getattr(ops, n) for n in ops.__all__]\n"
        "import numkeras.layers\n"
        "assert held == [getattr(ops, n) for n in ops.__all__]\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
