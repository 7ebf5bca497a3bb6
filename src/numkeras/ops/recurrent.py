"""Whole-sequence recurrent ops: SimpleRNN, LSTM and GRU over all time steps, with BPTT VJPs.

Each op is one tape node per layer call. Its forward pass computes the input projection of every
time step as one GEMM (``x`` reshaped to ``(batch·time, features)`` times the kernel), then runs
the recurrence step by step, saving the gate values that the VJP needs; its backward pass walks
the steps in reverse (backpropagation through time) and ends with one GEMM for the kernel's and
the inputs' gradients. Keras 3 has no public ``keras.ops`` for these, so they stay internal to
this module, used by :mod:`numkeras.layers.recurrent`.

Every op returns the states of all steps, ``(batch, time, n·units)``: ``h`` for SimpleRNN and
GRU, ``[h, c]`` for LSTM, so that one output carries both the sequence and the final states.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..backend import get_array_module
from .core import Op, Tensor
from .nn import sigmoid_into


def _sigmoid(a: Any) -> Any:
    return sigmoid_into(a, get_array_module(a).empty_like(a))


def _hard_sigmoid(a: Any) -> Any:
    # Keras 3's hard_sigmoid: relu6(x + 3) / 6.
    xp = get_array_module(a)
    return xp.clip(a / 6.0 + 0.5, 0.0, 1.0)


#: name -> (activation, its derivative expressed through its output ``y``). The derivative by
#: output lets the forward pass keep only the activated values.
ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "tanh": (lambda a: get_array_module(a).tanh(a), lambda y: 1.0 - y * y),
    "sigmoid": (_sigmoid, lambda y: y * (1.0 - y)),
    "hard_sigmoid": (_hard_sigmoid, lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6),
    "relu": (lambda a: get_array_module(a).maximum(a, 0.0), lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda a: a, lambda y: get_array_module(y).ones_like(y)),
}


def _activation(name: str, argument: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{argument} must be one of {sorted(ACTIVATIONS)} in a recurrent layer. "
            f"Received: {argument}={name!r}"
        )
    return ACTIVATIONS[name]


class _Recurrence(Op):
    """The frame shared by the three ops: inputs ``(x, kernel, recurrent_kernel, *initial
    states[, bias])``; subclasses give :meth:`steps` (forward) and :meth:`steps_backward`.

    ``bias`` is ``(k·units,)`` (added to the input projection) or, for GRU with
    ``reset_after``, ``(2, k·units)``: an input bias and a recurrent bias.
    """

    n_states = 1

    def __init__(self, activation: str = "tanh", recurrent_activation: str = "sigmoid"):
        self.act, self.dact = _activation(activation, "activation")
        self.ract, self.dract = _activation(recurrent_activation, "recurrent_activation")

    def forward(self, x: Any, kernel: Any, recurrent_kernel: Any, *rest: Any) -> Any:
        states, bias = rest[: self.n_states], rest[self.n_states :]
        self.has_bias = bool(bias)
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        batch, time, features = x.shape
        xw = (x.reshape(batch * time, features) @ kernel).reshape(batch, time, -1)
        recurrent_bias = None
        if bias:
            b = bias[0]
            xw += b if b.ndim == 1 else b[0]
            recurrent_bias = b[1] if b.ndim == 2 else None
        self.bias_ndim = bias[0].ndim if bias else 0
        return self.steps(xw, states, recurrent_bias)

    def backward(self, g: Any) -> tuple:
        d_xw, d_rk, d_states, d_rbias = self.steps_backward(g)
        batch, time, features = self.x.shape
        d_flat = d_xw.reshape(batch * time, -1)
        dx = (d_flat @ self.kernel.T).reshape(self.x.shape) if self.needs_grad[0] else None
        dk = self.x.reshape(batch * time, features).T @ d_flat if self.needs_grad[1] else None
        grads = [dx, dk, d_rk, *d_states]
        if self.has_bias:
            db = d_flat.sum(axis=0)
            grads.append(db if self.bias_ndim == 1 else get_array_module(db).stack([db, d_rbias]))
        return tuple(grads)

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        raise NotImplementedError

    def steps_backward(self, g: Any) -> tuple:
        raise NotImplementedError


class SimpleRNN(_Recurrence):
    """``h_t = act(x_t @ W + b + h_{t-1} @ U)``."""

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        (h,) = states
        self.h0 = h
        out = xp.empty_like(xw)
        for t in range(xw.shape[1]):
            h = self.act(xw[:, t] + h @ self.recurrent_kernel)
            out[:, t] = h
        self.out = out
        return out

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        d_xw, d_u = xp.empty_like(g), xp.zeros_like(u)
        dh = xp.zeros_like(self.h0)
        for t in reversed(range(g.shape[1])):
            h_prev = self.out[:, t - 1] if t else self.h0
            da = (dh + g[:, t]) * self.dact(self.out[:, t])
            d_xw[:, t] = da
            d_u += h_prev.T @ da
            dh = da @ u.T
        return d_xw, d_u, (dh,), None


class LSTM(_Recurrence):
    """Keras's LSTM step, gates in the order i, f, c, o of the kernels' columns::

    i, f, o = ract(z_i), ract(z_f), ract(z_o);  g = act(z_c)    (z = x_t@W + b + h_{t-1}@U)
    c_t = f·c_{t-1} + i·g;  h_t = o·act(c_t)
    """

    n_states = 2

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        h, c = states
        self.h0, self.c0 = h, c
        batch, time, four_units = xw.shape
        n = four_units // 4
        self.gates = gates = xp.empty_like(xw)
        self.act_c = xp.empty((batch, time, n), dtype=xw.dtype)
        out = xp.empty((batch, time, 2 * n), dtype=xw.dtype)
        for t in range(time):
            z = xw[:, t] + h @ self.recurrent_kernel
            i, f, o = self.ract(z[:, :n]), self.ract(z[:, n : 2 * n]), self.ract(z[:, 3 * n :])
            cand = self.act(z[:, 2 * n : 3 * n])
            c = f * c + i * cand
            self.act_c[:, t] = self.act(c)
            h = o * self.act_c[:, t]
            gates[:, t, :n], gates[:, t, n : 2 * n] = i, f
            gates[:, t, 2 * n : 3 * n], gates[:, t, 3 * n :] = cand, o
            out[:, t, :n], out[:, t, n:] = h, c
        self.out = out
        return out

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        n = u.shape[0]
        d_xw, d_u = xp.empty_like(self.gates), xp.zeros_like(u)
        dh, dc = xp.zeros_like(self.h0), xp.zeros_like(self.c0)
        for t in reversed(range(g.shape[1])):
            gates = self.gates[:, t]
            i, f, cand, o = (gates[:, k * n : (k + 1) * n] for k in range(4))
            h_prev = self.out[:, t - 1, :n] if t else self.h0
            c_prev = self.out[:, t - 1, n:] if t else self.c0
            dh = dh + g[:, t, :n]
            act_c = self.act_c[:, t]
            dc = dc + g[:, t, n:] + dh * o * self.dact(act_c)
            dz = d_xw[:, t]
            dz[:, :n] = dc * cand * self.dract(i)
            dz[:, n : 2 * n] = dc * c_prev * self.dract(f)
            dz[:, 2 * n : 3 * n] = dc * i * self.dact(cand)
            dz[:, 3 * n :] = dh * act_c * self.dract(o)
            d_u += h_prev.T @ dz
            dh = dz @ u.T
            dc = dc * f
        return d_xw, d_u, (dh, dc), None


class GRU(_Recurrence):
    """Keras's GRU step, gates in the order z, r, h of the kernels' columns::

        z = ract(xz_z + h_{t-1}@U_z),  r = ract(xz_r + h_{t-1}@U_r)
        reset_after=True:  ĥ = act(xz_h + r·(h_{t-1}@U_h + b_rec_h))   (recurrent bias b_rec)
        reset_after=False: ĥ = act(xz_h + (r·h_{t-1})@U_h)
        h_t = z·h_{t-1} + (1 − z)·ĥ

    with ``xz = x_t@W + b_in``; with ``reset_after`` the recurrent bias is added to
    ``h_{t-1}@U`` for all three gates.
    """

    def __init__(
        self,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        reset_after: bool = True,
    ):
        super().__init__(activation, recurrent_activation)
        self.reset_after = reset_after

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        (h,) = states
        self.h0 = h
        batch, time, three_units = xw.shape
        n = three_units // 3
        u = self.recurrent_kernel
        self.gates = xp.empty_like(xw)  # z, r, ĥ
        # What ĥ's reset multiplies: h@U_h + b (reset_after) or h_{t-1} (not).
        self.reset_operand = xp.empty((batch, time, n), dtype=xw.dtype)
        out = xp.empty((batch, time, n), dtype=xw.dtype)
        for t in range(time):
            if self.reset_after:
                rz = h @ u
                if recurrent_bias is not None:
                    rz += recurrent_bias
                z = self.ract(xw[:, t, :n] + rz[:, :n])
                r = self.ract(xw[:, t, n : 2 * n] + rz[:, n : 2 * n])
                operand = rz[:, 2 * n :]
                cand = self.act(xw[:, t, 2 * n :] + r * operand)
            else:
                rz = h @ u[:, : 2 * n]
                z = self.ract(xw[:, t, :n] + rz[:, :n])
                r = self.ract(xw[:, t, n : 2 * n] + rz[:, n:])
                operand = h
                cand = self.act(xw[:, t, 2 * n :] + (r * h) @ u[:, 2 * n :])
            h = z * h + (1.0 - z) * cand
            self.gates[:, t, :n], self.gates[:, t, n : 2 * n] = z, r
            self.gates[:, t, 2 * n :] = cand
            self.reset_operand[:, t] = operand
            out[:, t] = h
        self.out = out
        return out

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        n = u.shape[0]
        d_xw, d_u = xp.empty_like(self.gates), xp.zeros_like(u)
        d_rbias = xp.zeros(3 * n, dtype=g.dtype) if self.reset_after else None
        dh = xp.zeros_like(self.h0)
        for t in reversed(range(g.shape[1])):
            z, r, cand = (self.gates[:, t, k * n : (k + 1) * n] for k in range(3))
            operand = self.reset_operand[:, t]
            h_prev = self.out[:, t - 1] if t else self.h0
            dh = dh + g[:, t]
            da_h = dh * (1.0 - z) * self.dact(cand)
            dx_t = d_xw[:, t]
            dx_t[:, :n] = dh * (h_prev - cand) * self.dract(z)
            dx_t[:, 2 * n :] = da_h
            dh_prev = dh * z
            if self.reset_after:
                dx_t[:, n : 2 * n] = da_h * operand * self.dract(r)
                d_rz = xp.concatenate([dx_t[:, : 2 * n], da_h * r], axis=1)
                d_u += h_prev.T @ d_rz
                d_rbias += d_rz.sum(axis=0)
                dh_prev += d_rz @ u.T
            else:
                d_rh = da_h @ u[:, 2 * n :].T
                dx_t[:, n : 2 * n] = d_rh * h_prev * self.dract(r)
                d_u[:, 2 * n :] += (r * h_prev).T @ da_h
                d_u[:, : 2 * n] += h_prev.T @ dx_t[:, : 2 * n]
                dh_prev += d_rh * r + dx_t[:, : 2 * n] @ u[:, : 2 * n].T
            dh = dh_prev
        return d_xw, d_u, (dh,), d_rbias


def simple_rnn(
    x: Any, kernel: Any, recurrent_kernel: Any, h0: Any, bias: Any = None, activation: str = "tanh"
) -> Tensor:
    """All states ``(batch, time, units)`` of a SimpleRNN over ``x`` ``(batch, time, in)``."""
    return SimpleRNN(activation)(*_operands(x, kernel, recurrent_kernel, (h0,), bias))


def lstm(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    h0: Any,
    c0: Any,
    bias: Any = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
) -> Tensor:
    """All ``[h, c]`` states ``(batch, time, 2·units)`` of an LSTM over ``x``."""
    op = LSTM(activation, recurrent_activation)
    return op(*_operands(x, kernel, recurrent_kernel, (h0, c0), bias))


def gru(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    h0: Any,
    bias: Any = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    reset_after: bool = True,
) -> Tensor:
    """All states ``(batch, time, units)`` of a GRU over ``x``."""
    op = GRU(activation, recurrent_activation, reset_after)
    return op(*_operands(x, kernel, recurrent_kernel, (h0,), bias))


def _operands(x: Any, kernel: Any, recurrent_kernel: Any, states: tuple, bias: Any) -> tuple:
    return (x, kernel, recurrent_kernel, *states, *(() if bias is None else (bias,)))
