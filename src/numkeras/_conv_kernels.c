/*
 * numkeras._conv_kernels: the memory passes of convolution and max-pooling, over float32 NHWC
 * buffers.
 *
 * Around its two matrix products a convolution copies its input into the im2col matrix, adds
 * the bias and applies the ReLU, masks the gradient and sums it for the bias, and adds the input
 * gradient's columns back into place (col2im); max-pooling reduces windows and routes the
 * gradient back to their winners. NumPy makes each of these several passes over arrays of tens
 * of megabytes, through strided views; each kernel here makes one. Every kernel computes what
 * its NumPy reference path in numkeras/ops/conv.py computes, operation by operation, in the same
 * order, rounding to float32 after each, so the two give the same bits (the build turns off
 * fused multiply-adds; tests/test_conv_kernels.py compares the two).
 *
 * A kernel takes its geometry as tuples of ints and checks each buffer's length against it
 * (through _buffers.h, which also refuses anything but C-contiguous float32), so a wrong shape
 * raises an error naming the argument instead of reading out of bounds. The GIL is released
 * while a kernel loops.
 */
#include "_buffers.h"

/* The shape of one convolution or pooling: NHWC images (n, h, w, c) read by kh x kw windows
 * moved by (sh, sw), with dilation (dh, dw), (top, left) zeros before the image (conv only),
 * giving (oh, ow) outputs, the channels split into ``groups``. */
typedef struct {
    Py_ssize_t n, h, w, c, kh, kw, sh, sw, dh, dw, top, left, oh, ow, groups;
} Geometry;

/* 0, or -1 with a ValueError when a size is below 1, a padding negative or the channels do not
 * split into the groups. (The convolution loops check every window position against the
 * image, so any output size stays in bounds; pooling checks its own, in pool_geometry.) */
static int check_geometry(const Geometry *g)
{
    const Py_ssize_t positive[] = {g->n, g->h, g->w, g->c, g->kh, g->kw, g->sh, g->sw,
                                   g->dh, g->dw, g->oh, g->ow, g->groups};
    for (size_t k = 0; k < sizeof positive / sizeof positive[0]; k++) {
        if (positive[k] < 1) {
            PyErr_SetString(PyExc_ValueError, "numkeras conv kernel: a size is below 1");
            return -1;
        }
    }
    if (g->top < 0 || g->left < 0 || g->c % g->groups != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "numkeras conv kernel: negative padding, or channels not divisible "
                        "by groups");
        return -1;
    }
    return 0;
}

/* NumPy's maximum(a, b) on float32: a NaN on either side wins; of two equal values (+0 and -0)
 * the second. */
static inline float np_maximum(float a, float b)
{
    return (a > b || a != a) ? a : b;
}

/* The loops below are compiled for AVX-512 and AVX2 besides the baseline, the best picked when
 * the module loads: they are element-wise, so every version gives the same bits. (GCC 12 or
 * later on x86-64 Linux; other compilers build the baseline only.) */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) \
    && __GNUC__ >= 12
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif

#define CONV_GEOMETRY_FORMAT "(nnnn)(nn)(nn)(nn)(nn)(nn)n"
#define CONV_GEOMETRY_ARGS(g)                                                                 \
    &(g).n, &(g).h, &(g).w, &(g).c, &(g).kh, &(g).kw, &(g).sh, &(g).sw, &(g).dh, &(g).dw,     \
        &(g).top, &(g).left, &(g).oh, &(g).ow, &(g).groups

/* ------------------------------------------------------------------------------------------ */
PyDoc_STRVAR(im2col_doc,
"im2col(x, cols, x_shape, kernel_hw, strides, dilation, top_left, out_hw, groups)\n--\n\n"
"Copy the windows of NHWC x into cols, (groups, n, oh, ow, kh, kw, c/groups):\n"
"cols[g, n, p, q, i, j, k] = x[n, p*sh + i*dh - top, q*sw + j*dw - left, g*c/groups + k],\n"
"0 outside x. Mirrors Conv2D._im2col's copy from a strided view of the zero-padded input.");

HOT static void im2col_loop(const Geometry g, const float *x, float *restrict dst)
{
    const Py_ssize_t cg = g.c / g.groups;
    /* Without groups or dilation, a window's row of kw pixels is one run of memory. */
    const int rows_are_runs = g.groups == 1 && g.dw == 1;
    for (Py_ssize_t grp = 0; grp < g.groups; grp++)
        for (Py_ssize_t b = 0; b < g.n; b++)
            for (Py_ssize_t p = 0; p < g.oh; p++)
                for (Py_ssize_t q = 0; q < g.ow; q++) {
                    const Py_ssize_t x0 = q * g.sw - g.left;
                    const int row_inside = x0 >= 0 && x0 + (g.kw - 1) * g.dw < g.w;
                    for (Py_ssize_t i = 0; i < g.kh; i++, dst += g.kw * cg) {
                        const Py_ssize_t y = p * g.sh + i * g.dh - g.top;
                        if (y < 0 || y >= g.h) {
                            memset(dst, 0, g.kw * cg * sizeof(float));
                            continue;
                        }
                        const float *line = x + (b * g.h + y) * g.w * g.c + grp * cg;
                        if (rows_are_runs && row_inside) {
                            memcpy(dst, line + x0 * g.c, g.kw * g.c * sizeof(float));
                            continue;
                        }
                        for (Py_ssize_t j = 0; j < g.kw; j++) {
                            const Py_ssize_t xx = x0 + j * g.dw;
                            if (xx < 0 || xx >= g.w)
                                memset(dst + j * cg, 0, cg * sizeof(float));
                            else
                                memcpy(dst + j * cg, line + xx * g.c, cg * sizeof(float));
                        }
                    }
                }
}


/* ------------------------------------------------------------------------------------------ */
PyDoc_STRVAR(col2im_doc,
"col2im(cols, dx, x_shape, kernel_hw, strides, dilation, top_left, out_hw, groups)\n--\n\n"
"The adjoint of im2col: dx[n, y, x, g*c/groups + k] = the sum, over the kernel positions\n"
"(i, j) in reverse order, of the cols[g, n, p, q, i, j, k] whose window reads that pixel,\n"
"from +0. Mirrors Conv2D._scatter (zeros, then += per kernel position), reading cols once\n"
"in memory order, and writes unpadded dx directly.");

HOT static void col2im_loop(const Geometry g, const float *cols, float *dx)
{
    const Py_ssize_t cg = g.c / g.groups;
    memset(dx, 0, g.n * g.h * g.w * g.c * sizeof(float));
    /* cols in memory order, each block added to the pixel its window read: a pixel then gets
     * its parts with p, q ascending, i.e. kernel positions (i, j) descending, as the NumPy
     * loop adds them. The few rows of dx that one output row touches stay in the L1 cache. */
    const float *src = cols;
    for (Py_ssize_t grp = 0; grp < g.groups; grp++)
        for (Py_ssize_t b = 0; b < g.n; b++)
            for (Py_ssize_t p = 0; p < g.oh; p++)
                for (Py_ssize_t q = 0; q < g.ow; q++)
                    for (Py_ssize_t i = 0; i < g.kh; i++) {
                        const Py_ssize_t y = p * g.sh + i * g.dh - g.top;
                        if (y < 0 || y >= g.h) {
                            src += g.kw * cg; /* a padded row: its gradient is dropped */
                            continue;
                        }
                        float *row = dx + (b * g.h + y) * g.w * g.c + grp * cg;
                        for (Py_ssize_t j = 0; j < g.kw; j++, src += cg) {
                            const Py_ssize_t xx = q * g.sw + j * g.dw - g.left;
                            if (xx < 0 || xx >= g.w)
                                continue;
                            float *restrict into = row + xx * g.c;
                            const float *restrict part = src;
                            for (Py_ssize_t k = 0; k < cg; k++)
                                into[k] += part[k];
                        }
                    }
}

/* im2col and col2im: parse (source, destination, geometry), take the image-shaped and the
 * cols-shaped buffer, one read and the other written, and run the loop of ``to_cols``'s
 * direction. */
static PyObject *im2col_or_col2im(PyObject *args, int to_cols)
{
    PyObject *src_obj, *dst_obj;
    Geometry g;
    const char *format = to_cols ? "OO" CONV_GEOMETRY_FORMAT ":im2col"
                                 : "OO" CONV_GEOMETRY_FORMAT ":col2im";
    if (!PyArg_ParseTuple(args, format, &src_obj, &dst_obj, CONV_GEOMETRY_ARGS(g)) ||
        check_geometry(&g) < 0)
        return NULL;
    Py_ssize_t image_size = g.n * g.h * g.w * g.c;
    Py_ssize_t cols_size = g.n * g.oh * g.ow * g.kh * g.kw * g.c;
    Arrays arrays = {.held = 0, .n = -1};
    const float *src = take_sized(&arrays, src_obj, 0, to_cols ? "x" : "cols",
                                  to_cols ? &image_size : &cols_size);
    float *dst = take_sized(&arrays, dst_obj, 1, to_cols ? "cols" : "dx",
                            to_cols ? &cols_size : &image_size);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    if (to_cols)
        im2col_loop(g, src, dst);
    else
        col2im_loop(g, src, dst);
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

static PyObject *im2col(PyObject *self, PyObject *args)
{
    return im2col_or_col2im(args, 1);
}

static PyObject *col2im(PyObject *self, PyObject *args)
{
    return im2col_or_col2im(args, 0);
}

/* ------------------------------------------------------------------------------------------ */
/* The per-channel vector ``obj`` (a bias or its gradient; None gives NULL), whose length f,
 * stored in ``*f``, must split the call's arrays into whole rows; ``rows_of`` names the array
 * the error speaks of. */
static float *take_channels(Arrays *arrays, PyObject *obj, int writable, const char *name,
                            const char *rows_of, Py_ssize_t *f)
{
    if (obj == Py_None)
        return NULL;
    float *channels = take_sized(arrays, obj, writable, name, f);
    if (channels != NULL && (*f == 0 || arrays->n % *f != 0)) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements, not rows of len(%s)=%zd", rows_of,
                     arrays->n, name, *f);
        return NULL;
    }
    return channels;
}

PyDoc_STRVAR(bias_relu_doc,
"bias_relu(y, bias, relu, mask=None)\n--\n\n"
"In place on y, rows of len(bias) channels (bias may be None): y += bias, then with relu\n"
"y = maximum(y, 0); and mask = (y > 0) as uint8 when given, for the ReLU's gradient. Mirrors\n"
"ops.nn.add_bias_and_activate (for Dense and Conv2D).");

HOT static void bias_relu_loop(Py_ssize_t n, Py_ssize_t f, float *y, const float *bias, int relu,
                               unsigned char *mask)
{
    for (Py_ssize_t row = 0; row < n; row += f) {
        float *restrict out = y + row;
        if (bias != NULL && relu)
            for (Py_ssize_t k = 0; k < f; k++)
                out[k] = np_maximum(out[k] + bias[k], 0.0f);
        else if (bias != NULL)
            for (Py_ssize_t k = 0; k < f; k++)
                out[k] += bias[k];
        else if (relu)
            for (Py_ssize_t k = 0; k < f; k++)
                out[k] = np_maximum(out[k], 0.0f);
        if (mask != NULL)
            for (Py_ssize_t k = 0; k < f; k++)
                mask[row + k] = (unsigned char)(out[k] > 0.0f);
    }
}

static PyObject *bias_relu(PyObject *self, PyObject *args)
{
    PyObject *y_obj, *bias_obj, *mask_obj = Py_None;
    int relu;
    if (!PyArg_ParseTuple(args, "OOp|O:bias_relu", &y_obj, &bias_obj, &relu, &mask_obj))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    float *y = take(&arrays, y_obj, 1, "y");
    unsigned char *mask =
        mask_obj == Py_None ? NULL : take_uint8(&arrays, mask_obj, 1, "mask", arrays.n);
    Py_ssize_t f = -1;
    const float *bias = take_channels(&arrays, bias_obj, 0, "bias", "y", &f);
    if (PyErr_Occurred())
        return release(&arrays);
    const Py_ssize_t n = arrays.n;
    Py_BEGIN_ALLOW_THREADS
    bias_relu_loop(n, bias == NULL ? n : f, y, bias, relu, mask);
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

/* ------------------------------------------------------------------------------------------ */
PyDoc_STRVAR(bias_relu_grad_doc,
"bias_relu_grad(g, mask, out, bias_grad)\n--\n\n"
"The gradient's pass before the products, over rows of len(bias_grad) channels: with the\n"
"ReLU's uint8 mask (y > 0, from bias_relu), out = g * mask; bias_grad = the sum of the rows\n"
"of out (of g without a mask), from +0 row after row, as NumPy's sum over axis 0.\n"
"mask and out, or bias_grad, may be None. Mirrors ops.nn.masked_and_bias_grads (for Dense\n"
"and Conv2D).");

HOT static void bias_relu_grad_loop(Py_ssize_t n, Py_ssize_t f, const float *g,
                                    const unsigned char *mask, float *out, float *restrict db)
{
    const float *masked = mask == NULL ? g : out;
    for (Py_ssize_t row = 0; row < n; row += f) {
        /* A multiply by the mask, as ``relu_grad`` in _kernels.c: -0 and NaN as NumPy's. */
        if (mask != NULL)
            for (Py_ssize_t k = 0; k < f; k++)
                out[row + k] = g[row + k] * (float)mask[row + k];
        if (db == NULL)
            continue;
        /* NumPy 2's sum over axis 0 starts from +0 and adds the rows in order, so a column of
         * -0s sums to +0 (starting from the first row would keep its -0). */
        if (row == 0)
            for (Py_ssize_t k = 0; k < f; k++)
                db[k] = 0.0f;
        for (Py_ssize_t k = 0; k < f; k++)
            db[k] += masked[row + k];
    }
}

static PyObject *bias_relu_grad(PyObject *self, PyObject *args)
{
    PyObject *g_obj, *mask_obj, *out_obj, *db_obj;
    if (!PyArg_ParseTuple(args, "OOOO:bias_relu_grad", &g_obj, &mask_obj, &out_obj, &db_obj))
        return NULL;
    Arrays arrays = {.held = 0, .n = -1};
    const float *g = take(&arrays, g_obj, 0, "g");
    const unsigned char *mask = NULL;
    float *out = NULL, *db = NULL;
    if ((mask_obj == Py_None) != (out_obj == Py_None))
        PyErr_SetString(PyExc_ValueError, "bias_relu_grad needs both mask and out, or neither");
    if (mask_obj != Py_None) {
        mask = take_uint8(&arrays, mask_obj, 0, "mask", arrays.n);
        out = take(&arrays, out_obj, 1, "out");
    }
    Py_ssize_t f = -1;
    db = take_channels(&arrays, db_obj, 1, "bias_grad", "g", &f);
    /* The sum starts from a copy of the first row: there must be one. */
    if (!PyErr_Occurred() && db != NULL && arrays.n == 0)
        PyErr_Format(PyExc_ValueError, "g has %zd elements, not rows of len(bias_grad)=%zd",
                     arrays.n, f);
    if (PyErr_Occurred())
        return release(&arrays);
    const Py_ssize_t n = arrays.n;
    Py_BEGIN_ALLOW_THREADS
    bias_relu_grad_loop(n, db == NULL ? n : f, g, mask, out, db);
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

/* ------------------------------------------------------------------------------------------ */
#define POOL_GEOMETRY_FORMAT "(nnnn)(nn)(nn)(nn)"
#define POOL_GEOMETRY_ARGS(g) \
    &(g).n, &(g).h, &(g).w, &(g).c, &(g).kh, &(g).kw, &(g).sh, &(g).sw, &(g).oh, &(g).ow

/* Pooling's geometry (on the padded input: no zeros, no dilation), checked to keep every window
 * inside the input. */
static int pool_geometry(Geometry *g)
{
    g->dh = g->dw = g->groups = 1;
    g->top = g->left = 0;
    if (check_geometry(g) < 0)
        return -1;
    if ((g->oh - 1) * g->sh + g->kh > g->h || (g->ow - 1) * g->sw + g->kw > g->w
        || g->kh * g->kw > 256) {
        PyErr_SetString(PyExc_ValueError,
                        "numkeras pooling kernel: windows outside the input, or over 256 of them");
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(max_pool_doc,
"max_pool(x, y, argmax, x_shape, pool_hw, strides, out_hw)\n--\n\n"
"y[n, p, q, c] = the max of x over the window at (p*sh, q*sw) of NHWC x (already padded);\n"
"argmax (uint8, or None) = the window position i*pw + j of its first maximal element. Mirrors\n"
"Pool2D._reduce for 'max': y = maximum(y, window) per position, NaN winning, and a strict >\n"
"for the winner.");

HOT static void max_pool_loop(const Geometry g, const float *x, float *y, unsigned char *argmax)
{
    const Py_ssize_t c = g.c;
    for (Py_ssize_t b = 0; b < g.n; b++)
        for (Py_ssize_t p = 0; p < g.oh; p++)
            for (Py_ssize_t q = 0; q < g.ow; q++) {
                const Py_ssize_t at = ((b * g.oh + p) * g.ow + q) * c;
                float *restrict out = y + at;
                unsigned char *restrict arg = argmax == NULL ? NULL : argmax + at;
                const float *corner = x + ((b * g.h + p * g.sh) * g.w + q * g.sw) * c;
                memcpy(out, corner, c * sizeof(float));
                if (arg != NULL)
                    memset(arg, 0, c);
                for (Py_ssize_t i = 0; i < g.kh; i++)
                    for (Py_ssize_t j = (i == 0); j < g.kw; j++) {
                        const float *restrict w = corner + (i * g.w + j) * c;
                        const unsigned char position = (unsigned char)(i * g.kw + j);
                        if (arg == NULL) {
                            for (Py_ssize_t k = 0; k < c; k++)
                                out[k] = np_maximum(out[k], w[k]);
                            continue;
                        }
                        /* Positions only grow: the winner's is a running maximum. */
                        for (Py_ssize_t k = 0; k < c; k++) {
                            const unsigned char won = position * (unsigned char)(w[k] > out[k]);
                            arg[k] = arg[k] > won ? arg[k] : won;
                            out[k] = np_maximum(out[k], w[k]);
                        }
                    }
            }
}

static PyObject *max_pool(PyObject *self, PyObject *args)
{
    PyObject *x_obj, *y_obj, *argmax_obj;
    Geometry g;
    if (!PyArg_ParseTuple(args, "OOO" POOL_GEOMETRY_FORMAT ":max_pool", &x_obj, &y_obj,
                          &argmax_obj, POOL_GEOMETRY_ARGS(g)) || pool_geometry(&g) < 0)
        return NULL;
    Py_ssize_t x_size = g.n * g.h * g.w * g.c, y_size = g.n * g.oh * g.ow * g.c;
    Arrays arrays = {.held = 0, .n = -1};
    const float *x = take_sized(&arrays, x_obj, 0, "x", &x_size);
    float *y = take_sized(&arrays, y_obj, 1, "y", &y_size);
    unsigned char *argmax = argmax_obj == Py_None
                                ? NULL
                                : take_uint8(&arrays, argmax_obj, 1, "argmax", y_size);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    max_pool_loop(g, x, y, argmax);
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

PyDoc_STRVAR(max_pool_grad_doc,
"max_pool_grad(grad, argmax, dx, x_shape, pool_hw, strides, out_hw, tiled)\n--\n\n"
"Route each window's gradient to its winner in dx (NHWC, padded): for each window position\n"
"k in order, dx[window's k-th element] = grad * (argmax == k) when the windows tile dx\n"
"(each element written once), else dx = 0 and += that. Mirrors Pool2D._route for 'max'.");

HOT static void max_pool_grad_loop(const Geometry g, const float *grad,
                                   const unsigned char *argmax, float *dx, int tiled)
{
    const Py_ssize_t c = g.c;
    for (Py_ssize_t b = 0; b < g.n; b++) {
        if (tiled) {
            /* Each element of dx written once: row after row of dx, in memory order. */
            for (Py_ssize_t p = 0; p < g.oh; p++)
                for (Py_ssize_t i = 0; i < g.kh; i++) {
                    float *restrict into = dx + (b * g.h + p * g.sh + i) * g.w * c;
                    for (Py_ssize_t q = 0; q < g.ow; q++) {
                        const Py_ssize_t at = ((b * g.oh + p) * g.ow + q) * c;
                        const float *restrict gr = grad + at;
                        const unsigned char *restrict arg = argmax + at;
                        for (Py_ssize_t j = 0; j < g.kw; j++, into += c) {
                            const unsigned char position = (unsigned char)(i * g.kw + j);
                            for (Py_ssize_t k = 0; k < c; k++)
                                into[k] = gr[k] * (float)(arg[k] == position);
                        }
                    }
                }
            continue;
        }
        /* Zeros, then window position after window position, so that an element several
         * windows share gets its parts in NumPy's order. */
        memset(dx + b * g.h * g.w * c, 0, g.h * g.w * c * sizeof(float));
        for (Py_ssize_t i = 0; i < g.kh; i++)
            for (Py_ssize_t j = 0; j < g.kw; j++) {
                const unsigned char position = (unsigned char)(i * g.kw + j);
                for (Py_ssize_t p = 0; p < g.oh; p++)
                    for (Py_ssize_t q = 0; q < g.ow; q++) {
                        const Py_ssize_t at = ((b * g.oh + p) * g.ow + q) * c;
                        const float *restrict gr = grad + at;
                        const unsigned char *restrict arg = argmax + at;
                        float *restrict into = dx + ((b * g.h + p * g.sh + i) * g.w
                                                     + q * g.sw + j) * c;
                        for (Py_ssize_t k = 0; k < c; k++)
                            into[k] += gr[k] * (float)(arg[k] == position);
                    }
            }
    }
}

static PyObject *max_pool_grad(PyObject *self, PyObject *args)
{
    PyObject *grad_obj, *argmax_obj, *dx_obj;
    Geometry g;
    int tiled;
    if (!PyArg_ParseTuple(args, "OOO" POOL_GEOMETRY_FORMAT "p:max_pool_grad", &grad_obj,
                          &argmax_obj, &dx_obj, POOL_GEOMETRY_ARGS(g), &tiled)
        || pool_geometry(&g) < 0)
        return NULL;
    if (tiled && (g.sh != g.kh || g.sw != g.kw || g.oh * g.sh != g.h || g.ow * g.sw != g.w)) {
        PyErr_SetString(PyExc_ValueError, "max_pool_grad: tiled, but the windows do not tile dx");
        return NULL;
    }
    Py_ssize_t dx_size = g.n * g.h * g.w * g.c, grad_size = g.n * g.oh * g.ow * g.c;
    Arrays arrays = {.held = 0, .n = -1};
    const float *grad = take_sized(&arrays, grad_obj, 0, "grad", &grad_size);
    const unsigned char *argmax = take_uint8(&arrays, argmax_obj, 0, "argmax", grad_size);
    float *dx = take_sized(&arrays, dx_obj, 1, "dx", &dx_size);
    if (PyErr_Occurred())
        return release(&arrays);
    Py_BEGIN_ALLOW_THREADS
    max_pool_grad_loop(g, grad, argmax, dx, tiled);
    Py_END_ALLOW_THREADS
    return release(&arrays);
}

NUMKERAS_MODULE(_conv_kernels,
                "Convolution and max-pooling passes over float32 NHWC buffers (see "
                "numkeras.kernels).",
                NUMKERAS_KERNEL(im2col),
                NUMKERAS_KERNEL(col2im),
                NUMKERAS_KERNEL(bias_relu),
                NUMKERAS_KERNEL(bias_relu_grad),
                NUMKERAS_KERNEL(max_pool),
                NUMKERAS_KERNEL(max_pool_grad))
