"""Whole-sequence recurrent ops: SimpleRNN, LSTM and GRU over all time steps, with BPTT VJPs.

Each op is one tape node per layer call. Its forward pass computes the input projection of every
time step as one GEMM (``x`` reshaped to ``(time·batch, features)`` times the kernel), then runs
the recurrence step by step, saving the gate values that the VJP needs; its backward pass walks
the steps in reverse (backpropagation through time), keeping in the loop only what each step needs
from the next (``dh_{t-1} = dz_t @ Uᵀ``), and ends with one GEMM each for the kernel's, the
recurrent kernel's and the inputs' gradients, over all steps at once. Internally the steps are
time-major, so that each step's rows are one contiguous block. Keras 3 has no public
``keras.ops`` for these, so they stay internal to this module, used by
:mod:`numkeras.layers.recurrent`.

With Keras's default activations (tanh, sigmoid gates) on float32 NumPy arrays, the element-wise
work of an LSTM or GRU step (both ``reset_after`` forms) runs in the C kernels of
:mod:`numkeras.kernels` (``_recurrent_kernels.c``): a handful of passes instead of some twenty,
with NumPy's own ``tanh`` applied between them, so that both paths give the same bits
(``tests/test_recurrent_kernels.py``). The loops written here in NumPy are the reference that
the kernels follow operation by operation. SimpleRNN has no kernel: its step is a product and
one ``tanh``, which NumPy does in two passes already.

Every op returns the states of all steps, ``(batch, time, n·units)``: ``h`` for SimpleRNN and
GRU, ``[h, c]`` for LSTM, so that one output carries both the sequence and the final states.

Two optional keywords follow Keras 3's cells and its ``backend.rnn``; neither takes a gradient:

* ``mask``, a bool array ``(batch, time)``: at a step where it is False a sample's states carry
  over unchanged (``h_t = h_{t-1}``, ``c_t = c_{t-1}``), and so does its output row, as Keras 3
  does with ``zero_output_for_mask=False`` (its layer zeroes those rows when asked to).
* ``recurrent_mask``, recurrent dropout: an array of 0 and ``1/(1 − rate)`` that multiplies
  ``h_{t-1}`` where it enters a recurrent product, as in Keras 3's cells, never where ``h_{t-1}``
  is carried (GRU's ``z·h_{t-1}``, a masked step's carry). Its shape is ``(batch, units)``, one
  mask for every gate, or ``(batch, k·units)``: one mask per gate in the kernel's column order,
  which is what Keras 3 draws (``dropout_mask_count`` is 4 for LSTMCell and 3 for GRUCell as
  soon as ``recurrent_dropout > 0``; SimpleRNNCell draws one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import kernels
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


class _RecurrentProduct:
    """``h_{t-1} @ U`` with recurrent dropout: each gate's block of columns of ``U`` meets
    ``h_{t-1}`` times that gate's mask (``masks``: ``None``, or one ``(batch, units)`` array per
    gate). Its two adjoints: to ``h_{t-1}`` in the loop, to ``U`` over all steps at once."""

    def __init__(self, masks: list[Any] | None, units: int):
        self.masks, self.units = masks, units

    def dropped(self, h: Any, gate: int) -> Any:
        """What gate ``gate``'s product sees of ``h``: ``h`` times its mask."""
        return h if self.masks is None else h * self.masks[gate]

    def forward(self, h: Any, u: Any, first: int = 0) -> Any:
        """``h @ U`` for the gates whose columns ``u`` holds, the first of them ``first``."""
        if self.masks is None:
            return h @ u
        xp, n = get_array_module(h), self.units
        blocks = [
            self.dropped(h, first + k) @ u[:, k * n : (k + 1) * n] for k in range(u.shape[1] // n)
        ]
        return xp.concatenate(blocks, axis=1)

    def grad_h(self, d: Any, u_t: Any, first: int = 0) -> Any:
        """The gradient of :meth:`forward` with respect to ``h``, from its output's ``d``;
        ``u_t`` is ``Uᵀ`` (the rows for those gates), contiguous: BLAS multiplies by it faster
        than by a transposed view, in a loop that does so once per step."""
        if self.masks is None:
            return d @ u_t
        n = self.units
        total = 0
        for k in range(u_t.shape[0] // n):
            rows = slice(k * n, (k + 1) * n)
            total = total + (d[:, rows] @ u_t[rows]) * self.masks[first + k]
        return total

    def grad_u(self, h_prev: Any, d: Any, first: int = 0) -> Any:
        """``U``'s gradient over all steps: ``h_prev`` ``(time, batch, units)``, the state that
        entered each step, and ``d`` ``(time, batch, columns)``, the products' gradients."""
        n = self.units
        d_flat = d.reshape(-1, d.shape[-1])
        if self.masks is None:
            return h_prev.reshape(-1, n).T @ d_flat
        xp = get_array_module(d)
        blocks = [
            self.dropped(h_prev, first + k).reshape(-1, n).T @ d_flat[:, k * n : (k + 1) * n]
            for k in range(d.shape[-1] // n)
        ]
        return xp.concatenate(blocks, axis=1)


class _Recurrence(Op):
    """The frame shared by the three ops: inputs ``(x, kernel, recurrent_kernel, *initial
    states[, bias])``; subclasses give :meth:`steps` (forward, on time-major arrays) and
    :meth:`steps_backward` (from the output's gradient, batch-major as the output is; the
    kernels read its rows of step ``t`` in place rather than from a transposed copy).

    ``bias`` is ``(k·units,)`` (added to the input projection) or, for GRU with
    ``reset_after``, ``(2, k·units)``: an input bias and a recurrent bias.
    """

    n_states = 1
    n_gates = 1

    def __init__(
        self,
        activation: str = "tanh",
        recurrent_activation: str = "sigmoid",
        mask: Any = None,
        recurrent_mask: Any = None,
    ):
        self.act_name, self.ract_name = activation, recurrent_activation
        self.act, self.dact = _activation(activation, "activation")
        self.ract, self.dract = _activation(recurrent_activation, "recurrent_activation")
        self.mask, self.recurrent_mask = mask, recurrent_mask

    def forward(self, x: Any, kernel: Any, recurrent_kernel: Any, *rest: Any) -> Any:
        xp = get_array_module(x)
        states, bias = rest[: self.n_states], rest[self.n_states :]
        self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        self.x_shape = batch, time, features = x.shape
        units = recurrent_kernel.shape[0]
        self.live = _time_major_mask(self.mask, batch, time)
        self.product = _RecurrentProduct(
            _gate_masks(self.recurrent_mask, batch, units, self.n_gates, x.dtype), units
        )
        # Time-major, so that every step reads and writes contiguous rows; with a bias, x gets a
        # column of ones and the kernel the input bias as its last row, so that the one GEMM
        # adds the bias (no pass over xw) and, backward, gives its gradient with the kernel's.
        b = bias[0] if bias else None
        self.bias_ndim = 0 if b is None else b.ndim
        self.x_flat = xp.empty((time, batch, features + bool(bias)), dtype=x.dtype)
        self.x_flat[..., :features] = x.transpose(1, 0, 2)
        weights = kernel
        if b is not None:
            self.x_flat[..., features] = 1
            weights = xp.concatenate([kernel, (b if b.ndim == 1 else b[0])[None]])
        self.x_flat = self.x_flat.reshape(time * batch, weights.shape[0])
        xw = (self.x_flat @ weights).reshape(time, batch, weights.shape[1])
        recurrent_bias = b[1] if self.bias_ndim == 2 else None
        return self.steps(xw, states, recurrent_bias).transpose(1, 0, 2)

    def backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        d_xw, d_rk, d_states, d_rbias = self.steps_backward(xp.ascontiguousarray(g))
        batch, time, features = self.x_shape
        d_flat = d_xw.reshape(time * batch, d_xw.shape[2])
        dx = None
        if self.needs_grad[0]:
            dx = (d_flat @ self.kernel.T).reshape(time, batch, features).transpose(1, 0, 2)
        # The kernel's gradient and, in its last row, the input bias's (the column of ones).
        d_weights = self.x_flat.T @ d_flat if self.needs_grad[1] or self.bias_ndim else None
        dk = d_weights[:features] if self.needs_grad[1] else None
        grads = [dx, dk, d_rk, *d_states]
        if self.bias_ndim:
            db = d_weights[features]
            grads.append(db if self.bias_ndim == 1 else xp.stack([db, d_rbias]))
        return tuple(grads)

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        raise NotImplementedError

    def steps_backward(self, g: Any) -> tuple:
        raise NotImplementedError

    def fused_kernels(self, names: tuple[str, ...], *arrays: Any) -> tuple | None:
        """The C kernels ``names`` if they can do this op's steps on ``arrays`` (the first one
        ``xw``), else ``None``: they know Keras's default activations only, float32 NumPy
        arrays, and at least one row."""
        if (self.act_name, self.ract_name) != ("tanh", "sigmoid") or not arrays[0].size:
            return None
        found = tuple(kernels.fused(name, *arrays) for name in names)
        return None if None in found else found

    def live_row(self, t: int) -> Any:
        """Step ``t``'s mask as the kernels take it: ``None``, or uint8 ``(batch,)``."""
        return None if self.live is None else self.live[t, :, 0].view("uint8")


def _time_major_mask(mask: Any, batch: int, time: int) -> Any:
    """``mask`` as ``(time, batch, 1)`` bool (one row per step, broadcast over units)."""
    if mask is None:
        return None
    xp = get_array_module(mask)
    mask = xp.asarray(mask)
    if mask.shape != (batch, time) or mask.dtype != bool:
        raise ValueError(
            f"mask must be a bool array of shape (batch, time) = {(batch, time)}. "
            f"Received: mask with shape {mask.shape} and dtype {mask.dtype}"
        )
    return xp.ascontiguousarray(mask.T)[:, :, None]


def _gate_masks(
    recurrent_mask: Any, batch: int, units: int, gates: int, dtype: Any
) -> list[Any] | None:
    """One ``(batch, units)`` recurrent dropout mask per gate, or ``None``; in the states'
    ``dtype`` (a float64 mask would make float64 products of float32 states)."""
    if recurrent_mask is None:
        return None
    shape = recurrent_mask.shape
    xp = get_array_module(recurrent_mask)
    if shape == (batch, units):
        return [xp.asarray(recurrent_mask, dtype=dtype)] * gates
    if shape == (batch, gates * units):
        # Contiguous copies, as the kernels take them.
        return [
            xp.ascontiguousarray(recurrent_mask[:, k * units : (k + 1) * units], dtype=dtype)
            for k in range(gates)
        ]
    raise ValueError(
        f"recurrent_mask must have shape (batch, units) = {(batch, units)} or (batch, "
        f"{gates}·units) = {(batch, gates * units)}. Received: recurrent_mask with shape {shape}"
    )


def _carry(live: Any, t: int, new: Any, old: Any) -> Any:
    """``new`` where step ``t`` is live, else ``old`` (a masked step carries its state)."""
    if live is None:
        return new
    return get_array_module(new).where(live[t], new, old)


def _entering(h0: Any, hs: Any) -> Any:
    """The state that entered each step, ``(time, batch, units)``: ``h0`` then ``hs[:-1]``."""
    xp = get_array_module(hs)
    return xp.concatenate([h0[None], hs[:-1]])


class SimpleRNN(_Recurrence):
    """``h_t = act(x_t @ W + b + (h_{t-1}·m_rec) @ U)``, with ``m_rec`` the recurrent mask."""

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        (h,) = states
        self.h0 = h
        self.hs = hs = xp.empty_like(xw)
        for t in range(xw.shape[0]):
            hs[t] = h = _carry(
                self.live, t, self.act(xw[t] + self.product.forward(h, self.recurrent_kernel)), h
            )
        return hs

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        u_t = xp.ascontiguousarray(u.T)
        d_xw = xp.empty_like(self.hs)
        dh = xp.zeros_like(self.h0)
        for t in reversed(range(g.shape[1])):
            dh = dh + g[:, t]
            d_xw[t] = da = _carry(self.live, t, dh * self.dact(self.hs[t]), 0.0)
            dh = _carry(self.live, t, self.product.grad_h(da, u_t), dh)
        d_u = self.product.grad_u(_entering(self.h0, self.hs), d_xw)
        return d_xw, d_u, (dh,), None


class LSTM(_Recurrence):
    """Keras's LSTM step, gates in the order i, f, c, o of the kernels' columns::

    z = x_t@W + b + (h_{t-1}·m_rec)@U  (each gate's columns with its own recurrent mask)
    i, f, o = ract(z_i), ract(z_f), ract(z_o);  g = act(z_c)
    c_t = f·c_{t-1} + i·g;  h_t = o·act(c_t)
    """

    n_states = 2
    n_gates = 4

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        self.h0, self.c0 = h, c = tuple(xp.ascontiguousarray(s) for s in states)
        time, batch, four_units = xw.shape
        n = four_units // 4
        self.gates = gates = xp.empty_like(xw)
        self.act_c = xp.empty((time, batch, n), dtype=xw.dtype)
        self.hs, self.cs = xp.empty_like(self.act_c), xp.empty_like(self.act_c)
        self.fused = self.fused_kernels(LSTM_KERNELS, xw, self.recurrent_kernel, h, c)
        if self.fused:
            self._steps_fused(xw)
        else:
            for t in range(time):
                z = xw[t] + self.product.forward(h, self.recurrent_kernel)
                i, f, o = self.ract(z[:, :n]), self.ract(z[:, n : 2 * n]), self.ract(z[:, 3 * n :])
                cand = self.act(z[:, 2 * n : 3 * n])
                gates[t, :, :n], gates[t, :, n : 2 * n] = i, f
                gates[t, :, 2 * n : 3 * n], gates[t, :, 3 * n :] = cand, o
                self.cs[t] = c = _carry(self.live, t, f * c + i * cand, c)
                self.act_c[t] = self.act(c)
                self.hs[t] = h = _carry(self.live, t, o * self.act_c[t], h)
        return xp.concatenate([self.hs, self.cs], axis=2)

    def _steps_fused(self, xw: Any) -> None:
        """:meth:`steps`'s loop through the C kernels, NumPy's tanh between them."""
        xp = get_array_module(xw)
        preact, cell, hidden, _ = self.fused
        n = self.act_c.shape[2]
        h, c = self.h0, self.c0
        for t in range(xw.shape[0]):
            gates, live = self.gates[t], self.live_row(t)
            preact(xw[t], self.product.forward(h, self.recurrent_kernel), gates, n)
            xp.tanh(gates, out=gates)
            cell(gates, c, live, self.cs[t], n)
            xp.tanh(self.cs[t], out=self.act_c[t])
            hidden(gates, self.act_c[t], h, live, self.hs[t], n)
            h, c = self.hs[t], self.cs[t]

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        u_t = xp.ascontiguousarray(u.T)
        n = u.shape[0]
        d_xw = xp.empty_like(self.gates)
        dh, dc = xp.zeros_like(self.h0), xp.zeros_like(self.c0)
        backward = self.fused[3] if self.fused else None
        for t in reversed(range(g.shape[1])):
            c_prev = self.cs[t - 1] if t else self.c0
            if backward is not None:  # the lines below in one pass: dh, dc and dz in place
                live = self.live_row(t)
                backward(g, t, self.gates[t], self.act_c[t], c_prev, live, dh, dc, d_xw[t], n)
                dh = _carry(self.live, t, self.product.grad_h(d_xw[t], u_t), dh)
                continue
            i, f, cand, o = (self.gates[t, :, k * n : (k + 1) * n] for k in range(4))
            dh = dh + g[:, t, :n]
            dc = dc + g[:, t, n:]
            act_c = self.act_c[t]
            dc_new = _carry(self.live, t, dc + dh * o * self.dact(act_c), 0.0)
            dh_new = _carry(self.live, t, dh, 0.0)
            dz = d_xw[t]
            dz[:, :n] = dc_new * cand * self.dract(i)
            dz[:, n : 2 * n] = dc_new * c_prev * self.dract(f)
            dz[:, 2 * n : 3 * n] = dc_new * i * self.dact(cand)
            dz[:, 3 * n :] = dh_new * act_c * self.dract(o)
            dh = _carry(self.live, t, self.product.grad_h(dz, u_t), dh)
            dc = _carry(self.live, t, dc_new * f, dc)
        d_u = self.product.grad_u(_entering(self.h0, self.hs), d_xw)
        return d_xw, d_u, (dh, dc), None


class GRU(_Recurrence):
    """Keras's GRU step, gates in the order z, r, h of the kernels' columns::

        z = ract(xz_z + h_z@U_z),  r = ract(xz_r + h_r@U_r)
        reset_after=True:  ĥ = act(xz_h + r·(h_h@U_h + b_rec_h))   (recurrent bias b_rec)
        reset_after=False: ĥ = act(xz_h + (r·h_h)@U_h)
        h_t = z·h_{t-1} + (1 − z)·ĥ

    with ``xz = x_t@W + b_in`` and ``h_j = h_{t-1}·m_rec_j`` (gate ``j``'s recurrent mask; the
    update ``z·h_{t-1}`` uses the undropped state, as Keras's cell does); with ``reset_after``
    the recurrent bias is added to the recurrent products of all three gates.
    """

    n_gates = 3

    def __init__(self, *args: Any, reset_after: bool = True, **kwargs: Any):
        """:class:`_Recurrence`'s arguments, and whether the reset gate multiplies the recurrent
        product (``reset_after``) or the state entering it."""
        super().__init__(*args, **kwargs)
        self.reset_after = reset_after

    def steps(self, xw: Any, states: tuple, recurrent_bias: Any) -> Any:
        xp = get_array_module(xw)
        self.h0 = h = xp.ascontiguousarray(states[0])
        time, batch, three_units = xw.shape
        n = three_units // 3
        u = self.recurrent_kernel
        self.gates = xp.empty_like(xw)  # z, r, ĥ
        # What ĥ's reset multiplies: h_h@U_h + b (reset_after), or the product's operand r·h_h.
        self.reset_operand = xp.empty((time, batch, n), dtype=xw.dtype)
        self.hs = xp.empty_like(self.reset_operand)
        self.m_h = None if self.product.masks is None else self.product.masks[2]
        self.fused = self.fused_kernels(GRU_KERNELS, xw, u, h, recurrent_bias, self.m_h)
        if self.fused:
            self._steps_fused(xw, recurrent_bias)
        else:
            for t in range(time):
                if self.reset_after:
                    rz = self.product.forward(h, u)
                    if recurrent_bias is not None:
                        rz += recurrent_bias
                    z = self.ract(xw[t, :, :n] + rz[:, :n])
                    r = self.ract(xw[t, :, n : 2 * n] + rz[:, n : 2 * n])
                    operand = rz[:, 2 * n :]
                    cand = self.act(xw[t, :, 2 * n :] + r * operand)
                else:
                    rz = self.product.forward(h, u[:, : 2 * n])
                    z = self.ract(xw[t, :, :n] + rz[:, :n])
                    r = self.ract(xw[t, :, n : 2 * n] + rz[:, n:])
                    operand = r * self.product.dropped(h, 2)
                    cand = self.act(xw[t, :, 2 * n :] + operand @ u[:, 2 * n :])
                self.gates[t, :, :n], self.gates[t, :, n : 2 * n] = z, r
                self.gates[t, :, 2 * n :] = cand
                self.reset_operand[t] = operand
                self.hs[t] = h = _carry(self.live, t, z * h + (1.0 - z) * cand, h)
        return self.hs

    def _steps_fused(self, xw: Any, recurrent_bias: Any) -> None:
        """:meth:`steps`'s loop through the C kernels, NumPy's tanh between them."""
        xp = get_array_module(xw)
        preact, candidate, reset, hidden = self.fused[:4]
        n, u = self.hs.shape[2], self.recurrent_kernel
        h = self.h0
        for t in range(xw.shape[0]):
            gates, operand = self.gates[t], self.reset_operand[t]
            if self.reset_after:
                rz = self.product.forward(h, u)
                if recurrent_bias is not None:
                    rz += recurrent_bias
                preact(xw[t], rz, gates, n)
                xp.tanh(gates[:, : 2 * n], out=gates[:, : 2 * n])
                candidate(xw[t], rz, gates, operand, n)
            else:
                preact(xw[t], self.product.forward(h, u[:, : 2 * n]), gates, n)
                xp.tanh(gates[:, : 2 * n], out=gates[:, : 2 * n])
                reset(gates, h, self.m_h, operand, n)
                xp.add(xw[t, :, 2 * n :], operand @ u[:, 2 * n :], out=gates[:, 2 * n :])
            xp.tanh(gates[:, 2 * n :], out=gates[:, 2 * n :])
            hidden(gates, h, self.live_row(t), self.hs[t], n)
            h = self.hs[t]

    def steps_backward(self, g: Any) -> tuple:
        xp = get_array_module(g)
        u = self.recurrent_kernel
        u_t = xp.ascontiguousarray(u.T)
        n = u.shape[0]
        d_xw = xp.empty_like(self.gates)
        # The gradients of the recurrent products (reset_after: all three gates' h_j@U_j + b).
        d_rec = xp.empty_like(self.gates) if self.reset_after else None
        dh = xp.zeros_like(self.h0)
        for t in reversed(range(g.shape[1])):
            h_prev = self.hs[t - 1] if t else self.h0
            if self.fused:  # the lines below but the products, in one or two passes
                dh = self._step_backward_fused(g, t, h_prev, dh, d_xw, d_rec, u_t)
                continue
            z, r, cand = (self.gates[t, :, k * n : (k + 1) * n] for k in range(3))
            operand = self.reset_operand[t]
            dh = dh + g[:, t]
            dh_new = _carry(self.live, t, dh, 0.0)
            da_h = dh_new * (1.0 - z) * self.dact(cand)
            dx_t = d_xw[t]
            dx_t[:, :n] = dh_new * (h_prev - cand) * self.dract(z)
            dx_t[:, 2 * n :] = da_h
            dh_prev = dh_new * z
            if self.reset_after:
                dx_t[:, n : 2 * n] = da_h * operand * self.dract(r)
                d_rec[t, :, : 2 * n] = dx_t[:, : 2 * n]
                d_rec[t, :, 2 * n :] = da_h * r
                dh_prev += self.product.grad_h(d_rec[t], u_t)
            else:
                d_rh = da_h @ u_t[2 * n :]
                dx_t[:, n : 2 * n] = d_rh * self.product.dropped(h_prev, 2) * self.dract(r)
                dh_prev += self.product.dropped(d_rh * r, 2)  # h_h = h·m_h: d/dh is ·m_h
                dh_prev += self.product.grad_h(dx_t[:, : 2 * n], u_t[: 2 * n])
            dh = _carry(self.live, t, dh_prev, dh)
        h_prev = _entering(self.h0, self.hs)
        d_rbias = None
        if self.reset_after:
            d_u = self.product.grad_u(h_prev, d_rec)
            d_rbias = d_rec.reshape(-1, 3 * n).sum(axis=0)
        else:
            d_u = xp.concatenate(
                [
                    self.product.grad_u(h_prev, d_xw[:, :, : 2 * n]),
                    self.reset_operand.reshape(-1, n).T @ d_xw[:, :, 2 * n :].reshape(-1, n),
                ],
                axis=1,
            )
        return d_xw, d_u, (dh,), d_rbias

    def _step_backward_fused(
        self, g: Any, t: int, h_prev: Any, dh: Any, d_xw: Any, d_rec: Any, u_t: Any
    ) -> Any:
        """Step ``t`` of :meth:`steps_backward` through the C kernels: ``dh`` for step t-1."""
        backward, reset_backward = self.fused[4:]
        gates, live, n = self.gates[t], self.live_row(t), self.hs.shape[2]
        if self.reset_after:
            operand = self.reset_operand[t]
            backward(g, t, gates, operand, h_prev, live, dh, d_xw[t], d_rec[t], n)
            return _carry(self.live, t, dh + self.product.grad_h(d_rec[t], u_t), dh)
        backward(g, t, gates, None, h_prev, live, dh, d_xw[t], None, n)
        d_rh = d_xw[t, :, 2 * n :] @ u_t[2 * n :]
        reset_backward(d_rh, gates, h_prev, self.m_h, live, dh, d_xw[t], n)
        return _carry(self.live, t, dh + self.product.grad_h(d_xw[t, :, : 2 * n], u_t[: 2 * n]), dh)


#: The LSTM's and the GRU's C kernels, in the order of their ``fused`` tuples.
LSTM_KERNELS = ("lstm_preact", "lstm_cell", "lstm_hidden", "lstm_backward")
GRU_KERNELS = (
    "gru_preact",
    "gru_candidate",
    "gru_reset",
    "gru_hidden",
    "gru_backward",
    "gru_reset_backward",
)


def simple_rnn(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    h0: Any,
    bias: Any = None,
    activation: str = "tanh",
    *,
    mask: Any = None,
    recurrent_mask: Any = None,
) -> Tensor:
    """All states ``(batch, time, units)`` of a SimpleRNN over ``x`` ``(batch, time, in)``."""
    op = SimpleRNN(activation, mask=mask, recurrent_mask=recurrent_mask)
    return op(*_operands(x, kernel, recurrent_kernel, (h0,), bias))


def lstm(
    x: Any,
    kernel: Any,
    recurrent_kernel: Any,
    h0: Any,
    c0: Any,
    bias: Any = None,
    activation: str = "tanh",
    recurrent_activation: str = "sigmoid",
    *,
    mask: Any = None,
    recurrent_mask: Any = None,
) -> Tensor:
    """All ``[h, c]`` states ``(batch, time, 2·units)`` of an LSTM over ``x``."""
    op = LSTM(activation, recurrent_activation, mask=mask, recurrent_mask=recurrent_mask)
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
    *,
    mask: Any = None,
    recurrent_mask: Any = None,
) -> Tensor:
    """All states ``(batch, time, units)`` of a GRU over ``x``."""
    op = GRU(
        activation,
        recurrent_activation,
        reset_after=reset_after,
        mask=mask,
        recurrent_mask=recurrent_mask,
    )
    return op(*_operands(x, kernel, recurrent_kernel, (h0,), bias))


def _operands(x: Any, kernel: Any, recurrent_kernel: Any, states: tuple, bias: Any) -> tuple:
    return (x, kernel, recurrent_kernel, *states, *(() if bias is None else (bias,)))
