/*
 * Taking float32 arrays from Python in numkeras's C extensions, through the buffer protocol
 * (so that building needs no NumPy headers).
 *
 *     Arrays arrays = {.held = 0, .n = -1};
 *     float *w = take(&arrays, w_obj, 1, "value");       // writable
 *     const float *g = take(&arrays, g_obj, 0, "grad");  // read-only, same length
 *     if (PyErr_Occurred())
 *         return release(&arrays);
 *     ... loop over arrays.n elements, GIL released ...
 *     return release(&arrays);                           // Py_None
 *
 * take() refuses anything but a C-contiguous float32 buffer, and a length other than the
 * first array's, with an error that names the argument; after a failure it takes nothing more.
 * take_sized() does the same for an array whose length differs from the others', and
 * take_uint8() for a uint8 array of a given length.
 *
 * NUMKERAS_MODULE() defines an extension module of such functions, each listed as
 * NUMKERAS_KERNEL(function) and documented by a PyDoc_STRVAR named function_doc:
 *
 *     NUMKERAS_MODULE(_conv_kernels, "What the module does.", NUMKERAS_KERNEL(im2col), ...)
 */
#ifndef NUMKERAS_BUFFERS_H
#define NUMKERAS_BUFFERS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#define NUMKERAS_MAX_ARRAYS 8

/* The buffers one call holds, released together. */
typedef struct {
    Py_buffer views[NUMKERAS_MAX_ARRAYS];
    int held;
    Py_ssize_t n; /* elements of each buffer; -1 before the first */
} Arrays;

/* The data of ``obj`` (writable if asked), a C-contiguous buffer of ``format`` items of
 * ``itemsize`` bytes, or NULL with an exception set. Its item count must equal ``*n``, unless
 * ``*n`` is -1, which it then becomes. */
static inline void *take_typed(Arrays *arrays, PyObject *obj, int writable, const char *name,
                               const char *format, Py_ssize_t itemsize, Py_ssize_t *n)
{
    if (PyErr_Occurred())
        return NULL;
    if (arrays->held == NUMKERAS_MAX_ARRAYS) {
        PyErr_SetString(PyExc_SystemError, "numkeras kernel: too many arrays in one call");
        return NULL;
    }
    Py_buffer *view = &arrays->views[arrays->held];
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return NULL;
    arrays->held++;
    if (view->itemsize != itemsize || view->format == NULL || strcmp(view->format, format)) {
        PyErr_Format(PyExc_TypeError, "%s must be a %s array, got format '%s'", name,
                     itemsize == 4 ? "float32" : "uint8",
                     view->format == NULL ? "B" : view->format);
        return NULL;
    }
    Py_ssize_t count = view->len / itemsize;
    if (*n >= 0 && count != *n) {
        PyErr_Format(PyExc_ValueError, "%s has %zd elements; expected %zd", name, count, *n);
        return NULL;
    }
    *n = count;
    return view->buf;
}

/* take_typed() for float32. */
static inline float *take_sized(Arrays *arrays, PyObject *obj, int writable, const char *name,
                                Py_ssize_t *n)
{
    return (float *)take_typed(arrays, obj, writable, name, "f", 4, n);
}

/* take_typed() for uint8 (masks, the positions of max-pooling's winners), of ``n`` items. */
static inline unsigned char *take_uint8(Arrays *arrays, PyObject *obj, int writable,
                                        const char *name, Py_ssize_t n)
{
    return (unsigned char *)take_typed(arrays, obj, writable, name, "B", 1, &n);
}

/* take_sized() with the length shared by the call's arrays (``arrays->n``). */
static inline float *take(Arrays *arrays, PyObject *obj, int writable, const char *name)
{
    return take_sized(arrays, obj, writable, name, &arrays->n);
}

/* Release what ``take`` acquired; return Py_None, or NULL if an exception is set. */
static inline PyObject *release(Arrays *arrays)
{
    while (arrays->held > 0)
        PyBuffer_Release(&arrays->views[--arrays->held]);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* The method table's entry of the kernel ``function``: positional arguments, its docstring
 * ``function##_doc``. */
#define NUMKERAS_KERNEL(function) {#function, function, METH_VARARGS, function##_doc}

/* The module numkeras.<name>, its docstring ``doc``, its functions the NUMKERAS_KERNEL entries
 * that follow: the method table, the module definition and PyInit_<name>. */
#define NUMKERAS_MODULE(name, doc, ...)                                                          \
    static PyMethodDef methods[] = {__VA_ARGS__, {NULL, NULL, 0, NULL}};                         \
    static struct PyModuleDef module = {                                                         \
        PyModuleDef_HEAD_INIT,                                                                   \
        .m_name = "numkeras." #name,                                                             \
        .m_doc = doc,                                                                            \
        .m_size = 0,                                                                             \
        .m_methods = methods,                                                                    \
    };                                                                                           \
    PyMODINIT_FUNC PyInit_##name(void)                                                           \
    {                                                                                            \
        return PyModule_Create(&module);                                                         \
    }

#endif /* NUMKERAS_BUFFERS_H */
