/*
 * numkeras._recurrent_kernels: the element-wise gate work of one LSTM or GRU step, forward and
 * backward, over float32 buffers.
 *
 * NumPy runs one step of an LSTM as some twenty passes over (batch, units) slices, each with a
 * temporary and a Python call; a kernel here makes one pass. The transcendental part stays
 * NumPy's: the caller applies np.tanh (in place) between the kernels, so that a gate's value is
 * bit for bit the one of the NumPy reference path in numkeras/ops/recurrent.py, which these
 * loops follow operation by operation (the sigmoid as ops.nn.sigmoid_into computes it,
 * (1 + tanh(x * 0.5)) * 0.5; no contraction into fused multiply-adds, -ffp-contract=off).
 * One LSTM step forward is lstm_preact, tanh, lstm_cell, tanh, lstm_hidden; one GRU step is
 * gru_preact, tanh, gru_candidate, tanh, gru_hidden with reset_after, and gru_preact, tanh,
 * gru_reset, the product with U_h and its sum with xw_h, tanh, gru_hidden without. Backward
 * needs no transcendental: lstm_backward, gru_backward, and for reset_after=False also
 * gru_reset_backward after the product with U_h^T.
 *
 * Arrays are C-contiguous float32 rows of one step, (batch, k*units); `live` is None or the
 * step's mask, uint8 (batch,): at a row where it is 0 the states carry over unchanged and the
 * row's gate gradients are 0, as in the reference path. Every kernel checks the sizes against
 * `units` and the batch (taken from the first array) and releases the GIL while it loops.
 */
#include "_buffers.h"

/* The row count of a (batch, width) buffer of `n` items, or -1 with a ValueError. */
static Py_ssize_t rows_of(Py_ssize_t n, Py_ssize_t width, const char *name)
{
    if (width <= 0 || n % width) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements, not a multiple of %zd", name, n,
                     width);
        return -1;
    }
    return n / width;
}

/* The time steps of a (batch, time, width) gradient of `n` items whose one step holds `step`
 * items, or -1 with a ValueError; `t` must be one of them. */
static Py_ssize_t steps_of(Py_ssize_t n, Py_ssize_t step, Py_ssize_t t)
{
    if (step <= 0 || n % step) {
        PyErr_Format(PyExc_ValueError, "g has %zd elements, not a multiple of %zd", n, step);
        return -1;
    }
    if (t < 0 || t >= n / step) {
        PyErr_Format(PyExc_ValueError, "t=%zd is not a step of g's %zd", t, n / step);
        return -1;
    }
    return n / step;
}

/* take_sized() for an array of exactly `n` items (a size other than the call's first). */
static float *take_n(Arrays *arrays, PyObject *obj, int writable, const char *name, Py_ssize_t n)
{
    return take_sized(arrays, obj, writable, name, &n);
}

/* The step's mask (None or uint8 of `batch` items); NULL for None. */
static const unsigned char *take_live(Arrays *arrays, PyObject *obj, Py_ssize_t batch)
{
    return obj == Py_None ? NULL : take_uint8(arrays, obj, 0, "live", batch);
}

static inline float sigmoid_from_tanh(float t)
{
    return (t + 1.0f) * 0.5f;
}

PyDoc_STRVAR(lstm_preact_doc,
"lstm_preact(xw, rec, gates, units)\n--\n\n"
"gates = xw + rec, with the i, f and o blocks of columns times 0.5 (the tanh arguments of\n"
"their sigmoids); all three (batch, 4*units). gates may be rec.");

static PyObject *lstm_preact(PyObject *self, PyObject *args)
{
    PyObject *xw_obj, *rec_obj, *gates_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOn:lstm_preact", &xw_obj, &rec_obj, &gates_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *xw = take(&arrays, xw_obj, 0, "xw");
    const float *rec = take(&arrays, rec_obj, 0, "rec");
    float *gates = take(&arrays, gates_obj, 1, "gates");
    if (PyErr_Occurred() || rows_of(arrays.n, 4 * units, "xw") < 0)
        return release(&arrays);
    const Py_ssize_t n = arrays.n, width = 4 * units;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t row = 0; row < n; row += width) {
        for (Py_ssize_t j = row; j < row + 2 * units; j++)
            gates[j] = (xw[j] + rec[j]) * 0.5f;
        for (Py_ssize_t j = row + 2 * units; j < row + 3 * units; j++)
            gates[j] = xw[j] + rec[j];
        for (Py_ssize_t j = row + 3 * units; j < row + width; j++)
            gates[j] = (xw[j] + rec[j]) * 0.5f;
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(lstm_cell_doc,
"lstm_cell(gates, c_prev, live, c, units)\n--\n\n"
"gates holds tanh of lstm_preact's values; in place, i, f, o = (t + 1) * 0.5 and g = t.\n"
"c = f * c_prev + i * g where live, c_prev elsewhere.");

static PyObject *lstm_cell(PyObject *self, PyObject *args)
{
    PyObject *gates_obj, *c_prev_obj, *live_obj, *c_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOn:lstm_cell", &gates_obj, &c_prev_obj, &live_obj, &c_obj,
                          &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    float *gates = take(&arrays, gates_obj, 1, "gates");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, 4 * units, "gates");
    const float *c_prev = take_n(&arrays, c_prev_obj, 0, "c_prev", batch * units);
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    float *c = take_n(&arrays, c_obj, 1, "c", batch * units);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        float *i = gates + b * 4 * units, *f = i + units, *g = f + units, *o = g + units;
        const float *cp = c_prev + b * units;
        float *cb = c + b * units;
        for (Py_ssize_t j = 0; j < units; j++) {
            i[j] = sigmoid_from_tanh(i[j]);
            f[j] = sigmoid_from_tanh(f[j]);
            o[j] = sigmoid_from_tanh(o[j]);
        }
        if (live == NULL || live[b]) {
            for (Py_ssize_t j = 0; j < units; j++)
                cb[j] = f[j] * cp[j] + i[j] * g[j];
        } else {
            memcpy(cb, cp, units * sizeof(float));
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(lstm_hidden_doc,
"lstm_hidden(gates, act_c, h_prev, live, h, units)\n--\n\n"
"h = o * act_c where live, h_prev elsewhere (o: gates' last block of columns).");

static PyObject *lstm_hidden(PyObject *self, PyObject *args)
{
    PyObject *gates_obj, *act_c_obj, *h_prev_obj, *live_obj, *h_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOOn:lstm_hidden", &gates_obj, &act_c_obj, &h_prev_obj,
                          &live_obj, &h_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *act_c = take(&arrays, act_c_obj, 0, "act_c");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "act_c");
    const float *gates = take_n(&arrays, gates_obj, 0, "gates", batch * 4 * units);
    const float *h_prev = take(&arrays, h_prev_obj, 0, "h_prev");
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    float *h = take(&arrays, h_obj, 1, "h");
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const float *o = gates + b * 4 * units + 3 * units, *a = act_c + b * units;
        float *hb = h + b * units;
        if (live == NULL || live[b]) {
            for (Py_ssize_t j = 0; j < units; j++)
                hb[j] = o[j] * a[j];
        } else {
            memcpy(hb, h_prev + b * units, units * sizeof(float));
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(lstm_backward_doc,
"lstm_backward(g, t, gates, act_c, c_prev, live, dh, dc, dz, units)\n--\n\n"
"Step t of the LSTM's backpropagation through time. g (batch, time, 2*units): the gradient\n"
"of the op's [h, c] output, of which the kernel reads step t's rows. In place: dh += g_h (the total into h_t, which a masked row\n"
"carries back); dc becomes the gradient into c_{t-1}: f * dc_new where live, dc + g_c\n"
"elsewhere, with dc_new = dc + g_c + dh * o * (1 - act_c^2). dz (batch, 4*units) gets\n"
"the gates' pre-activation gradients, 0 at masked rows.");

/* One row of lstm_backward; `on` is a constant at each call, so that both copies vectorise. */
static inline __attribute__((always_inline)) void
lstm_backward_row(const float *restrict i, const float *restrict gh, const float *restrict a,
                  const float *restrict cp, float *restrict dhb, float *restrict dcb,
                  float *restrict dz_i, Py_ssize_t units, const int on)
{
    const float *restrict f = i + units, *restrict c_in = f + units, *restrict o = c_in + units;
    const float *restrict gc = gh + units;
    float *restrict dz_f = dz_i + units, *restrict dz_c = dz_f + units, *restrict dz_o = dz_c + units;
    for (Py_ssize_t j = 0; j < units; j++) {
        const float dh_t = dhb[j] + gh[j], dc_t = dcb[j] + gc[j];
        /* The reference path's order: dc + ((dh * o) * (1 - a*a)), then each dz as
         * (gradient * operand) * derivative, the derivative from the gate's value. */
        const float dc_new = on ? dc_t + (dh_t * o[j]) * (1.0f - a[j] * a[j]) : 0.0f;
        const float dh_new = on ? dh_t : 0.0f;
        dz_i[j] = (dc_new * c_in[j]) * (i[j] * (1.0f - i[j]));
        dz_f[j] = (dc_new * cp[j]) * (f[j] * (1.0f - f[j]));
        dz_c[j] = (dc_new * i[j]) * (1.0f - c_in[j] * c_in[j]);
        dz_o[j] = (dh_new * a[j]) * (o[j] * (1.0f - o[j]));
        dhb[j] = dh_t;
        dcb[j] = on ? dc_new * f[j] : dc_t;
    }
}

static PyObject *lstm_backward(PyObject *self, PyObject *args)
{
    PyObject *g_obj, *gates_obj, *act_c_obj, *c_prev_obj, *live_obj, *dh_obj, *dc_obj, *dz_obj;
    Py_ssize_t t, units;
    if (!PyArg_ParseTuple(args, "OnOOOOOOOn:lstm_backward", &g_obj, &t, &gates_obj, &act_c_obj,
                          &c_prev_obj, &live_obj, &dh_obj, &dc_obj, &dz_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *act_c = take(&arrays, act_c_obj, 0, "act_c");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "act_c");
    const float *c_prev = take(&arrays, c_prev_obj, 0, "c_prev");
    float *dh = take(&arrays, dh_obj, 1, "dh");
    float *dc = take(&arrays, dc_obj, 1, "dc");
    Py_ssize_t g_n = -1;
    const float *g = take_sized(&arrays, g_obj, 0, "g", &g_n);
    const Py_ssize_t time = PyErr_Occurred() ? -1 : steps_of(g_n, batch * 2 * units, t);
    const float *gates = take_n(&arrays, gates_obj, 0, "gates", batch * 4 * units);
    float *dz = take_n(&arrays, dz_obj, 1, "dz", batch * 4 * units);
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const float *i = gates + b * 4 * units, *gh = g + (b * time + t) * 2 * units;
        const float *a = act_c + b * units, *cp = c_prev + b * units;
        float *dhb = dh + b * units, *dcb = dc + b * units, *dz_i = dz + b * 4 * units;
        if (live == NULL || live[b])
            lstm_backward_row(i, gh, a, cp, dhb, dcb, dz_i, units, 1);
        else
            lstm_backward_row(i, gh, a, cp, dhb, dcb, dz_i, units, 0);
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_preact_doc,
"gru_preact(xw, rec, gates, units)\n--\n\n"
"The z and r blocks of gates = (xw + rec) * 0.5 (their sigmoids' tanh arguments); xw and gates\n"
"(batch, 3*units), rec (batch, 3*units) or, with reset_after=False, (batch, 2*units); the h\n"
"block of gates is left alone.");

static PyObject *gru_preact(PyObject *self, PyObject *args)
{
    PyObject *xw_obj, *rec_obj, *gates_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOn:gru_preact", &xw_obj, &rec_obj, &gates_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *xw = take(&arrays, xw_obj, 0, "xw");
    float *gates = take(&arrays, gates_obj, 1, "gates");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, 3 * units, "xw");
    Py_ssize_t rec_n = -1;
    const float *rec = take_sized(&arrays, rec_obj, 0, "rec", &rec_n);
    if (!PyErr_Occurred() && rec_n != batch * 3 * units && rec_n != batch * 2 * units)
        PyErr_Format(PyExc_ValueError, "rec has %zd elements; expected %zd or %zd", rec_n,
                     batch * 3 * units, batch * 2 * units);
    if (PyErr_Occurred())
        return release(&arrays);
    const Py_ssize_t rec_width = batch ? rec_n / batch : 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        float *restrict out = gates + b * 3 * units;
        const float *restrict x = xw + b * 3 * units, *restrict r = rec + b * rec_width;
        for (Py_ssize_t j = 0; j < 2 * units; j++)
            out[j] = (x[j] + r[j]) * 0.5f;
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_candidate_doc,
"gru_candidate(xw, rec, gates, operand, units)\n--\n\n"
"gates' z and r blocks hold tanh of gru_preact's values; in place z, r = (t + 1) * 0.5.\n"
"operand = rec's h block (what the reset multiplies, kept for the backward pass), and\n"
"gates' h block = xw_h + r * operand (the candidate's tanh argument).");

static inline void gru_candidate_row(const float *restrict xw, const float *restrict rec,
                                     float *restrict gates, float *restrict operand,
                                     Py_ssize_t units)
{
    float *restrict z = gates, *restrict r = z + units, *restrict cand = r + units;
    const float *restrict xh = xw + 2 * units, *restrict rh = rec + 2 * units;
    for (Py_ssize_t j = 0; j < units; j++) {
        z[j] = sigmoid_from_tanh(z[j]);
        r[j] = sigmoid_from_tanh(r[j]);
        operand[j] = rh[j];
        cand[j] = xh[j] + r[j] * rh[j];
    }
}

static PyObject *gru_candidate(PyObject *self, PyObject *args)
{
    PyObject *xw_obj, *rec_obj, *gates_obj, *operand_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOn:gru_candidate", &xw_obj, &rec_obj, &gates_obj,
                          &operand_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *xw = take(&arrays, xw_obj, 0, "xw");
    const float *rec = take(&arrays, rec_obj, 0, "rec");
    float *gates = take(&arrays, gates_obj, 1, "gates");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, 3 * units, "xw");
    float *operand = take_n(&arrays, operand_obj, 1, "operand", batch * units);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const Py_ssize_t row = b * 3 * units;
        gru_candidate_row(xw + row, rec + row, gates + row, operand + b * units, units);
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_reset_doc,
"gru_reset(gates, h_prev, m_h, operand, units)\n--\n\n"
"For reset_after=False: gates' z and r blocks hold tanh of gru_preact's values; in place\n"
"z, r = (t + 1) * 0.5, and operand = r * (h_prev * m_h), the reset state that meets U_h\n"
"(m_h: None, or the h gate's recurrent dropout mask).");

static PyObject *gru_reset(PyObject *self, PyObject *args)
{
    PyObject *gates_obj, *h_prev_obj, *m_obj, *operand_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOn:gru_reset", &gates_obj, &h_prev_obj, &m_obj, &operand_obj,
                          &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *h_prev = take(&arrays, h_prev_obj, 0, "h_prev");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "h_prev");
    const float *m = m_obj == Py_None ? NULL : take(&arrays, m_obj, 0, "m_h");
    float *operand = take(&arrays, operand_obj, 1, "operand");
    float *gates = take_n(&arrays, gates_obj, 1, "gates", batch * 3 * units);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        float *restrict z = gates + b * 3 * units, *restrict r = z + units;
        float *restrict op = operand + b * units;
        const float *restrict hp = h_prev + b * units;
        for (Py_ssize_t j = 0; j < units; j++) {
            z[j] = sigmoid_from_tanh(z[j]);
            r[j] = sigmoid_from_tanh(r[j]);
        }
        if (m == NULL) {
            for (Py_ssize_t j = 0; j < units; j++)
                op[j] = r[j] * hp[j];
        } else {
            const float *restrict mb = m + b * units;
            for (Py_ssize_t j = 0; j < units; j++)
                op[j] = r[j] * (hp[j] * mb[j]);
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_hidden_doc,
"gru_hidden(gates, h_prev, live, h, units)\n--\n\n"
"h = z * h_prev + (1 - z) * cand where live, h_prev elsewhere (cand: gates' h block, tanh\n"
"applied).");

static PyObject *gru_hidden(PyObject *self, PyObject *args)
{
    PyObject *gates_obj, *h_prev_obj, *live_obj, *h_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOn:gru_hidden", &gates_obj, &h_prev_obj, &live_obj, &h_obj,
                          &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *h_prev = take(&arrays, h_prev_obj, 0, "h_prev");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "h_prev");
    float *h = take(&arrays, h_obj, 1, "h");
    const float *gates = take_n(&arrays, gates_obj, 0, "gates", batch * 3 * units);
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const float *z = gates + b * 3 * units, *cand = z + 2 * units, *hp = h_prev + b * units;
        float *hb = h + b * units;
        if (live == NULL || live[b]) {
            for (Py_ssize_t j = 0; j < units; j++)
                hb[j] = z[j] * hp[j] + (1.0f - z[j]) * cand[j];
        } else {
            memcpy(hb, hp, units * sizeof(float));
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_backward_doc,
"gru_backward(g, t, gates, operand, h_prev, live, dh, d_xw, d_rec, units)\n--\n\n"
"Step t of the GRU's backpropagation through time; g (batch, time, units) is the gradient of\n"
"the op's output. With dh_t = dh + g[:, t] (the total into h_t) and dh_new = dh_t where live,\n"
"else 0: da_h = dh_new * (1 - z) * (1 - cand^2); d_xw's z and h blocks get\n"
"dh_new * (h_prev - cand) * z(1 - z) and da_h; in place dh = dh_new * z (h_{t-1}'s gradient\n"
"but for the recurrent products') where live, dh_t (carried back) elsewhere. With\n"
"reset_after (operand and d_rec given), also d_xw's r block, da_h * operand * r(1 - r), and\n"
"d_rec = [d_xw's z and r blocks, da_h * r], the recurrent products' gradients; without\n"
"(both None), gru_reset_backward completes the step after the product da_h @ U_h^T.");

/* One row of gru_backward; `on` and `after` (reset_after) are constants at each call, so that
 * every copy vectorises. */
static inline __attribute__((always_inline)) void
gru_backward_row(const float *restrict g, const float *restrict z, const float *restrict op,
                 const float *restrict hp, float *restrict dh, float *restrict dx_z,
                 float *restrict dr_z, Py_ssize_t units, const int on, const int after)
{
    const float *restrict r = z + units, *restrict cand = r + units;
    float *restrict dx_r = dx_z + units, *restrict dx_h = dx_r + units;
    float *restrict dr_r = dr_z + units, *restrict dr_h = dr_r + units;
    for (Py_ssize_t j = 0; j < units; j++) {
        const float dh_t = dh[j] + g[j];
        const float dh_new = on ? dh_t : 0.0f;
        /* The reference path's order: (gradient * operand) * derivative. */
        const float da_h = (dh_new * (1.0f - z[j])) * (1.0f - cand[j] * cand[j]);
        const float dz = (dh_new * (hp[j] - cand[j])) * (z[j] * (1.0f - z[j]));
        dx_z[j] = dz;
        dx_h[j] = da_h;
        if (after) {
            const float dr = (da_h * op[j]) * (r[j] * (1.0f - r[j]));
            dr_z[j] = dz;
            dx_r[j] = dr_r[j] = dr;
            dr_h[j] = da_h * r[j];
        }
        dh[j] = on ? dh_new * z[j] : dh_t;
    }
}

static PyObject *gru_backward(PyObject *self, PyObject *args)
{
    PyObject *g_obj, *gates_obj, *operand_obj, *h_prev_obj, *live_obj, *dh_obj, *d_xw_obj;
    PyObject *d_rec_obj;
    Py_ssize_t t, units;
    if (!PyArg_ParseTuple(args, "OnOOOOOOOn:gru_backward", &g_obj, &t, &gates_obj, &operand_obj,
                          &h_prev_obj, &live_obj, &dh_obj, &d_xw_obj, &d_rec_obj, &units))
        return NULL;
    const int after = operand_obj != Py_None;
    if (after != (d_rec_obj != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "operand and d_rec must be both given or both None");
        return NULL;
    }
    Arrays arrays = {.held = 0, .n = -1};
    const float *h_prev = take(&arrays, h_prev_obj, 0, "h_prev");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "h_prev");
    float *dh = take(&arrays, dh_obj, 1, "dh");
    const float *operand = after ? take(&arrays, operand_obj, 0, "operand") : NULL;
    Py_ssize_t g_n = -1;
    const float *g = take_sized(&arrays, g_obj, 0, "g", &g_n);
    const Py_ssize_t time = PyErr_Occurred() ? -1 : steps_of(g_n, batch * units, t);
    const float *gates = take_n(&arrays, gates_obj, 0, "gates", batch * 3 * units);
    float *d_xw = take_n(&arrays, d_xw_obj, 1, "d_xw", batch * 3 * units);
    float *d_rec = after ? take_n(&arrays, d_rec_obj, 1, "d_rec", batch * 3 * units) : NULL;
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const Py_ssize_t row = b * 3 * units, at = b * units;
        const float *gb = g + (b * time + t) * units, *zb = gates + row, *hb = h_prev + at;
        const float *op = after ? operand + at : NULL;
        float *dr = after ? d_rec + row : NULL;
        const int on = live == NULL || live[b];
        if (on && after)
            gru_backward_row(gb, zb, op, hb, dh + at, d_xw + row, dr, units, 1, 1);
        else if (after)
            gru_backward_row(gb, zb, op, hb, dh + at, d_xw + row, dr, units, 0, 1);
        else if (on)
            gru_backward_row(gb, zb, op, hb, dh + at, d_xw + row, dr, units, 1, 0);
        else
            gru_backward_row(gb, zb, op, hb, dh + at, d_xw + row, dr, units, 0, 0);
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(gru_reset_backward_doc,
"gru_reset_backward(d_rh, gates, h_prev, m_h, live, dh, d_xw, units)\n--\n\n"
"The rest of a reset_after=False GRU step's backpropagation, given d_rh = da_h @ U_h^T (the\n"
"gradient of the reset state r * h_h, h_h = h_prev * m_h): d_xw's r block =\n"
"d_rh * h_h * r(1 - r), and at live rows dh += d_rh * r * m_h (gru_backward's dh).");

static PyObject *gru_reset_backward(PyObject *self, PyObject *args)
{
    PyObject *d_rh_obj, *gates_obj, *h_prev_obj, *m_obj, *live_obj, *dh_obj, *d_xw_obj;
    Py_ssize_t units;
    if (!PyArg_ParseTuple(args, "OOOOOOOn:gru_reset_backward", &d_rh_obj, &gates_obj,
                          &h_prev_obj, &m_obj, &live_obj, &dh_obj, &d_xw_obj, &units))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *d_rh = take(&arrays, d_rh_obj, 0, "d_rh");
    const Py_ssize_t batch = PyErr_Occurred() ? -1 : rows_of(arrays.n, units, "d_rh");
    const float *h_prev = take(&arrays, h_prev_obj, 0, "h_prev");
    const float *m = m_obj == Py_None ? NULL : take(&arrays, m_obj, 0, "m_h");
    float *dh = take(&arrays, dh_obj, 1, "dh");
    const float *gates = take_n(&arrays, gates_obj, 0, "gates", batch * 3 * units);
    float *d_xw = take_n(&arrays, d_xw_obj, 1, "d_xw", batch * 3 * units);
    const unsigned char *live = take_live(&arrays, live_obj, batch);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t b = 0; b < batch; b++) {
        const float *restrict d = d_rh + b * units, *restrict hp = h_prev + b * units;
        const float *restrict r = gates + b * 3 * units + units;
        float *restrict dx_r = d_xw + b * 3 * units + units, *restrict dhb = dh + b * units;
        const int on = live == NULL || live[b];
        if (m == NULL) {
            for (Py_ssize_t j = 0; j < units; j++)
                dx_r[j] = (d[j] * hp[j]) * (r[j] * (1.0f - r[j]));
            if (on)
                for (Py_ssize_t j = 0; j < units; j++)
                    dhb[j] += d[j] * r[j];
        } else {
            const float *restrict mb = m + b * units;
            for (Py_ssize_t j = 0; j < units; j++)
                dx_r[j] = (d[j] * (hp[j] * mb[j])) * (r[j] * (1.0f - r[j]));
            if (on)
                for (Py_ssize_t j = 0; j < units; j++)
                    dhb[j] += (d[j] * r[j]) * mb[j];
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

NUMKERAS_MODULE(_recurrent_kernels,
                "The element-wise gate work of LSTM and GRU steps (see numkeras.kernels).",
                NUMKERAS_KERNEL(lstm_preact),
                NUMKERAS_KERNEL(lstm_cell),
                NUMKERAS_KERNEL(lstm_hidden),
                NUMKERAS_KERNEL(lstm_backward),
                NUMKERAS_KERNEL(gru_preact),
                NUMKERAS_KERNEL(gru_candidate),
                NUMKERAS_KERNEL(gru_reset),
                NUMKERAS_KERNEL(gru_hidden),
                NUMKERAS_KERNEL(gru_backward),
                NUMKERAS_KERNEL(gru_reset_backward))
