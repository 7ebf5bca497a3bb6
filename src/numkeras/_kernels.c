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
 * runs its loop with _parallel.h's split_loop(), which releases the GIL and splits a loop over
 * arrays larger than the caches across the cores; no loop here carries anything from one element
 * to the next, so the split gives the bits of one pass.
 */
#include "_buffers.h"
#include "_parallel.h"

PyDoc_STRVAR(adam_doc,
"adam(value, grad, m, v, v_max, alpha, beta_1, beta_2, epsilon)\n--\n\n"
"One Adam step in place, in one pass (v_max is None, or AMSGrad's running maximum of v):\n"
"m = beta_1*m + (1-beta_1)*g; v = beta_2*v + (1-beta_2)*g*g; v_max = max(v_max, v);\n"
"value -= alpha * m / (sqrt(v_max or v) + epsilon).");

/* Adam's arrays and scalars, as its loop body takes them. */
typedef struct {
    float *value, *m, *v, *v_max;
    const float *grad;
    float b1, c1, b2, c2, alpha, epsilon;
} AdamStep;

static void adam_loop(void *context, Py_ssize_t start, Py_ssize_t end)
{
    const AdamStep s = *(const AdamStep *)context;
    float *value = s.value, *m = s.m, *v = s.v, *v_max = s.v_max;
    const float *grad = s.grad;
    if (v_max == NULL) {
        for (Py_ssize_t i = start; i < end; i++) {
            const float g = grad[i];
            m[i] = m[i] * s.b1 + g * s.c1;
            v[i] = v[i] * s.b2 + (g * g) * s.c2;
            value[i] -= m[i] / (sqrtf(v[i]) + s.epsilon) * s.alpha;
        }
    } else {
        for (Py_ssize_t i = start; i < end; i++) {
            const float g = grad[i];
            m[i] = m[i] * s.b1 + g * s.c1;
            v[i] = v[i] * s.b2 + (g * g) * s.c2;
            /* NumPy's maximum: a NaN on either side wins. */
            const float top = v_max[i];
            v_max[i] = (top >= v[i] || top != top) ? top : v[i];
            value[i] -= m[i] / (sqrtf(v_max[i]) + s.epsilon) * s.alpha;
        }
    }
}

static PyObject *adam(PyObject *self, PyObject *args)
{
    PyObject *value_obj, *grad_obj, *m_obj, *v_obj, *v_max_obj;
    double alpha, beta_1, beta_2, epsilon;
    if (!PyArg_ParseTuple(args, "OOOOOdddd:adam", &value_obj, &grad_obj, &m_obj, &v_obj,
                          &v_max_obj, &alpha, &beta_1, &beta_2, &epsilon))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    /* One statement per take(): the first sets the length that the others must match, and an
     * initializer list would leave their order unspecified. */
    AdamStep step = {.b1 = (float)beta_1, .c1 = (float)(1.0 - beta_1), .b2 = (float)beta_2,
                     .c2 = (float)(1.0 - beta_2), .alpha = (float)alpha, .epsilon = (float)epsilon};
    step.value = take(&arrays, value_obj, 1, "value");
    step.grad = take(&arrays, grad_obj, 0, "grad");
    step.m = take(&arrays, m_obj, 1, "m");
    step.v = take(&arrays, v_obj, 1, "v");
    step.v_max = v_max_obj == Py_None ? NULL : take(&arrays, v_max_obj, 1, "v_max");
    if (!PyErr_Occurred())
        split_loop(adam_loop, &step, arrays.n);
    return release(&arrays);
}

PyDoc_STRVAR(sgd_doc,
"sgd(value, grad, velocity, learning_rate, momentum, nesterov)\n--\n\n"
"One SGD step in place, in one pass. velocity None: value -= lr*g. Otherwise\n"
"velocity = momentum*velocity - lr*g, then value += velocity, or with nesterov\n"
"value += momentum*velocity - lr*g.");

/* SGD's arrays and scalars, as its loop body takes them. */
typedef struct {
    float *value, *velocity;
    const float *grad;
    float lr, mu;
    int nesterov;
} SgdStep;

static void sgd_loop(void *context, Py_ssize_t start, Py_ssize_t end)
{
    const SgdStep s = *(const SgdStep *)context;
    float *value = s.value, *velocity = s.velocity;
    const float *grad = s.grad;
    if (velocity == NULL) {
        for (Py_ssize_t i = start; i < end; i++)
            value[i] -= grad[i] * s.lr;
    } else if (s.nesterov) {
        for (Py_ssize_t i = start; i < end; i++) {
            const float step = grad[i] * s.lr;
            velocity[i] = velocity[i] * s.mu - step;
            value[i] = (value[i] - step) + velocity[i] * s.mu;
        }
    } else {
        for (Py_ssize_t i = start; i < end; i++) {
            velocity[i] = velocity[i] * s.mu - grad[i] * s.lr;
            value[i] += velocity[i];
        }
    }
}

static PyObject *sgd(PyObject *self, PyObject *args)
{
    PyObject *value_obj, *grad_obj, *velocity_obj;
    double lr, momentum;
    int nesterov;
    if (!PyArg_ParseTuple(args, "OOOddp:sgd", &value_obj, &grad_obj, &velocity_obj, &lr,
                          &momentum, &nesterov))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    SgdStep step = {.lr = (float)lr, .mu = (float)momentum, .nesterov = nesterov};
    step.value = take(&arrays, value_obj, 1, "value");
    step.grad = take(&arrays, grad_obj, 0, "grad");
    step.velocity = velocity_obj == Py_None ? NULL : take(&arrays, velocity_obj, 1, "velocity");
    if (!PyErr_Occurred())
        split_loop(sgd_loop, &step, arrays.n);
    return release(&arrays);
}

/* The arrays of relu_grad and sigmoid_grad, as their loop bodies take them. */
typedef struct {
    const float *g, *y;
    float *out;
} OutputGrad;

static void relu_grad_loop(void *context, Py_ssize_t start, Py_ssize_t end)
{
    const OutputGrad a = *(const OutputGrad *)context;
    /* A multiply by the comparison, not a select: a negative or NaN g times 0 gives NumPy's -0
     * or NaN, and the loop has no branch, so it vectorises. */
    for (Py_ssize_t i = start; i < end; i++)
        a.out[i] = a.g[i] * (float)(a.y[i] > 0.0f);
}

static void sigmoid_grad_loop(void *context, Py_ssize_t start, Py_ssize_t end)
{
    const OutputGrad a = *(const OutputGrad *)context;
    for (Py_ssize_t i = start; i < end; i++)
        a.out[i] = ((1.0f - a.y[i]) * a.y[i]) * a.g[i];
}

/* relu_grad and sigmoid_grad: parse (g, y, out), three arrays of one length, and run ``loop``,
 * which writes out = g * f'(y), the derivative taken from the activation's output y. */
static PyObject *output_activation_grad(PyObject *args, const char *format, LoopBody loop)
{
    PyObject *g_obj, *y_obj, *out_obj;
    if (!PyArg_ParseTuple(args, format, &g_obj, &y_obj, &out_obj))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    OutputGrad grad;
    grad.g = take(&arrays, g_obj, 0, "g");
    grad.y = take(&arrays, y_obj, 0, "y");
    grad.out = take(&arrays, out_obj, 1, "out");
    if (!PyErr_Occurred())
        split_loop(loop, &grad, arrays.n);
    return release(&arrays);
}

PyDoc_STRVAR(relu_grad_doc,
"relu_grad(g, y, out)\n--\n\n"
"ReLU's vector-Jacobian product from its output: out = g * (y > 0 ? 1 : 0).");

static PyObject *relu_grad(PyObject *self, PyObject *args)
{
    return output_activation_grad(args, "OOO:relu_grad", relu_grad_loop);
}

PyDoc_STRVAR(sigmoid_grad_doc,
"sigmoid_grad(g, y, out)\n--\n\n"
"The sigmoid's vector-Jacobian product from its output: out = (1 - y) * y * g.");

static PyObject *sigmoid_grad(PyObject *self, PyObject *args)
{
    return output_activation_grad(args, "OOO:sigmoid_grad", sigmoid_grad_loop);
}

NUMKERAS_MODULE(_kernels, "Fused element-wise loops over float32 buffers (see numkeras.kernels).",
                NUMKERAS_KERNEL(adam), NUMKERAS_KERNEL(sgd), NUMKERAS_KERNEL(relu_grad),
                NUMKERAS_KERNEL(sigmoid_grad))
