/*
 * numkeras._kernels: fused element-wise loops over float32 buffers.
 *
 * NumPy runs an expression such as Adam's update as a dozen passes, each reading and writing
 * whole arrays and each on one core; a loop here makes one pass. Every kernel computes what its
 * NumPy reference path computes (numkeras/kernels.py says where each one lives), operation by
 * operation and rounding to float32 after each, so the two paths give the same bits: the build
 * turns off contraction into fused multiply-adds (-ffp-contract=off) and the tests compare the
 * two. Scalars arrive as Python floats (C doubles) and are rounded to float32 here, as NumPy
 * rounds a Python float that meets a float32 array.
 *
 * Each kernel takes its arrays with _buffers.h (C-contiguous float32 buffers of one length) and
 * releases the GIL while it loops.
 */
#include "_buffers.h"

PyDoc_STRVAR(adam_doc,
"adam(value, grad, m, v, v_max, alpha, beta_1, beta_2, epsilon)\n--\n\n"
"One Adam step in place, in one pass (v_max is None, or AMSGrad's running maximum of v):\n"
"m = beta_1*m + (1-beta_1)*g; v = beta_2*v + (1-beta_2)*g*g; v_max = max(v_max, v);\n"
"value -= alpha * m / (sqrt(v_max or v) + epsilon).");

static PyObject *adam(PyObject *self, PyObject *args)
{
    PyObject *value_obj, *grad_obj, *m_obj, *v_obj, *v_max_obj;
    double alpha_d, beta_1, beta_2, epsilon_d;
    if (!PyArg_ParseTuple(args, "OOOOOdddd:adam", &value_obj, &grad_obj, &m_obj, &v_obj,
                          &v_max_obj, &alpha_d, &beta_1, &beta_2, &epsilon_d))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    float *value = take(&arrays, value_obj, 1, "value");
    const float *grad = take(&arrays, grad_obj, 0, "grad");
    float *m = take(&arrays, m_obj, 1, "m");
    float *v = take(&arrays, v_obj, 1, "v");
    float *v_max = v_max_obj == Py_None ? NULL : take(&arrays, v_max_obj, 1, "v_max");
    if (PyErr_Occurred())
        return release(&arrays);
    const float b1 = (float)beta_1, c1 = (float)(1.0 - beta_1);
    const float b2 = (float)beta_2, c2 = (float)(1.0 - beta_2);
    const float alpha = (float)alpha_d, epsilon = (float)epsilon_d;
    const Py_ssize_t n = arrays.n;
    Py_BEGIN_ALLOW_THREADS
    if (v_max == NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            const float g = grad[i];
            m[i] = m[i] * b1 + g * c1;
            v[i] = v[i] * b2 + (g * g) * c2;
            value[i] -= m[i] / (sqrtf(v[i]) + epsilon) * alpha;
        }
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            const float g = grad[i];
            m[i] = m[i] * b1 + g * c1;
            v[i] = v[i] * b2 + (g * g) * c2;
            /* NumPy's maximum: a NaN on either side wins. */
            const float top = v_max[i];
            v_max[i] = (top >= v[i] || top != top) ? top : v[i];
            value[i] -= m[i] / (sqrtf(v_max[i]) + epsilon) * alpha;
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(sgd_doc,
"sgd(value, grad, velocity, learning_rate, momentum, nesterov)\n--\n\n"
"One SGD step in place, in one pass. velocity None: value -= lr*g. Otherwise\n"
"velocity = momentum*velocity - lr*g, then value += velocity, or with nesterov\n"
"value += momentum*velocity - lr*g.");

static PyObject *sgd(PyObject *self, PyObject *args)
{
    PyObject *value_obj, *grad_obj, *velocity_obj;
    double lr_d, momentum_d;
    int nesterov;
    if (!PyArg_ParseTuple(args, "OOOddp:sgd", &value_obj, &grad_obj, &velocity_obj, &lr_d,
                          &momentum_d, &nesterov))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    float *value = take(&arrays, value_obj, 1, "value");
    const float *grad = take(&arrays, grad_obj, 0, "grad");
    float *velocity = velocity_obj == Py_None ? NULL
                                              : take(&arrays, velocity_obj, 1, "velocity");
    if (PyErr_Occurred())
        return release(&arrays);
    const float lr = (float)lr_d, mu = (float)momentum_d;
    const Py_ssize_t n = arrays.n;
    Py_BEGIN_ALLOW_THREADS
    if (velocity == NULL) {
        for (Py_ssize_t i = 0; i < n; i++)
            value[i] -= grad[i] * lr;
    } else if (nesterov) {
        for (Py_ssize_t i = 0; i < n; i++) {
            const float step = grad[i] * lr;
            velocity[i] = velocity[i] * mu - step;
            value[i] = (value[i] - step) + velocity[i] * mu;
        }
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            velocity[i] = velocity[i] * mu - grad[i] * lr;
            value[i] += velocity[i];
        }
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

/* relu_grad and sigmoid_grad: parse (g, y, out), three arrays of one length, and write
 * out = g * f'(y), the derivative taken from the activation's output y. */
static PyObject *output_activation_grad(PyObject *args, int sigmoid)
{
    PyObject *g_obj, *y_obj, *out_obj;
    const char *format = sigmoid ? "OOO:sigmoid_grad" : "OOO:relu_grad";
    if (!PyArg_ParseTuple(args, format, &g_obj, &y_obj, &out_obj))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *g = take(&arrays, g_obj, 0, "g");
    const float *y = take(&arrays, y_obj, 0, "y");
    float *out = take(&arrays, out_obj, 1, "out");
    if (PyErr_Occurred())
        return release(&arrays);
    const Py_ssize_t n = arrays.n;
    Py_BEGIN_ALLOW_THREADS
    if (sigmoid) {
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = ((1.0f - y[i]) * y[i]) * g[i];
    } else {
        /* A multiply by the comparison, not a select: a negative or NaN g times 0 gives
         * NumPy's -0 or NaN, and the loop has no branch, so it vectorises. */
        for (Py_ssize_t i = 0; i < n; i++)
            out[i] = g[i] * (float)(y[i] > 0.0f);
    }
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(relu_grad_doc,
"relu_grad(g, y, out)\n--\n\n"
"ReLU's vector-Jacobian product from its output: out = g * (y > 0 ? 1 : 0).");

static PyObject *relu_grad(PyObject *self, PyObject *args)
{
    return output_activation_grad(args, 0);
}

PyDoc_STRVAR(sigmoid_grad_doc,
"sigmoid_grad(g, y, out)\n--\n\n"
"The sigmoid's vector-Jacobian product from its output: out = (1 - y) * y * g.");

static PyObject *sigmoid_grad(PyObject *self, PyObject *args)
{
    return output_activation_grad(args, 1);
}

NUMKERAS_MODULE(_kernels, "Fused element-wise loops over float32 buffers (see numkeras.kernels).",
                NUMKERAS_KERNEL(adam), NUMKERAS_KERNEL(sgd), NUMKERAS_KERNEL(relu_grad),
                NUMKERAS_KERNEL(sigmoid_grad))
