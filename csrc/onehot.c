/* One-hot encoding, decoding and reverse complement of DNA (float32 (N, L, 4), ACGT). */
#include "ccore.h"

#include <math.h>
#include <string.h>

/* "sequence 'id' (index i)" or "sequence i". New reference or NULL. */
static PyObject *kg_who(PyObject *ids, Py_ssize_t i)
{
    if (ids != NULL) {
        return PyUnicode_FromFormat("sequence %R (index %zd)", PyTuple_GET_ITEM(ids, i), i);
    }
    return PyUnicode_FromFormat("sequence %zd", i);
}

/* Raise SequenceError(msg) with attributes index, position, char. Steals msg. */
static void kg_raise_sequence_error(PyObject *msg, Py_ssize_t index, Py_ssize_t position,
                                    PyObject *ch)
{
    PyObject *exc;
    if (msg == NULL) {
        return;
    }
    exc = PyObject_CallFunctionObjArgs(kg_SequenceError, msg, NULL);
    Py_DECREF(msg);
    if (exc == NULL) {
        return;
    }
    if (kg_set_index_attr(exc, "index", index) < 0 || kg_set_index_attr(exc, "position", position) < 0 ||
        PyObject_SetAttrString(exc, "char", ch != NULL ? ch : Py_None) < 0) {
        Py_DECREF(exc);
        return;
    }
    PyErr_SetObject(kg_SequenceError, exc);
    Py_DECREF(exc);
}

/* Bad character `ch` at `pos` of sequence i. */
static void kg_raise_bad_char(PyObject *ids, Py_ssize_t i, Py_ssize_t pos, Py_UCS4 ch,
                              int from_bytes)
{
    PyObject *who, *desc, *msg, *chs;
    who = kg_who(ids, i);
    if (who == NULL) {
        return;
    }
    desc = kg_describe_char(ch, from_bytes);
    if (desc == NULL) {
        Py_DECREF(who);
        return;
    }
    msg = PyUnicode_FromFormat(
        "%U: invalid character %U at position %zd (0-based).%s" KG_ALLOWED,
        who, desc, pos, kg_char_hint(ch));
    Py_DECREF(who);
    Py_DECREF(desc);
    chs = PyUnicode_FromOrdinal((int)ch);
    if (chs == NULL) {
        Py_XDECREF(msg);
        return;
    }
    kg_raise_sequence_error(msg, i, pos, chs);
    Py_DECREF(chs);
}

typedef struct {
    const unsigned char *p; /* NULL for a str that is not pure ASCII */
    Py_ssize_t n;
    int from_bytes;
} kg_span;

PyObject *kg_one_hot_encode(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"seqs", "length", "n_value", "ids", NULL};
    PyObject *seqs_in, *ids_in = Py_None;
    Py_ssize_t length = -1;
    double n_value = 0.0;
    PyObject *seqs = NULL, *ids = NULL, *arr = NULL;
    kg_span *spans = NULL;
    Py_ssize_t N, L = 0, i, nvalid, err_i = -1, err_pos = -1;
    Py_ssize_t pend_i = -1, pend_pos = -1;
    Py_UCS4 pend_ch = 0;
    int mutable_items = 0;
    float rows[5][4];
    float *out;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|ndO:one_hot_encode", kwlist, &seqs_in,
                                     &length, &n_value, &ids_in)) {
        return NULL;
    }
    if (length < -1) {
        PyErr_Format(PyExc_ValueError,
                     "length must be a non-negative number of positions (or -1 for 'all equal'). "
                     "Received: length=%zd",
                     length);
        return NULL;
    }
    if (!isfinite(n_value)) {
        PyErr_SetString(PyExc_ValueError, "n_value must be a finite number (0.0 or 0.25).");
        return NULL;
    }
    if (PyUnicode_Check(seqs_in) || PyBytes_Check(seqs_in) || PyByteArray_Check(seqs_in)) {
        PyErr_SetString(PyExc_TypeError,
                        "seqs must be a list of sequences, not a single str/bytes; wrap it: [seq].");
        return NULL;
    }
    seqs = PySequence_Tuple(seqs_in);
    if (seqs == NULL) {
        return NULL;
    }
    N = PyTuple_GET_SIZE(seqs);
    if (ids_in != Py_None) {
        ids = PySequence_Tuple(ids_in);
        if (ids == NULL) {
            goto fail;
        }
        if (PyTuple_GET_SIZE(ids) != N) {
            PyErr_Format(PyExc_ValueError,
                         "ids must have one entry per sequence: %zd ids for %zd sequences.",
                         PyTuple_GET_SIZE(ids), N);
            goto fail;
        }
    }
    spans = (kg_span *)PyMem_Malloc((size_t)(N > 0 ? N : 1) * sizeof(kg_span));
    if (spans == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (length >= 0) {
        L = length;
    }

    /* Pass 1 (GIL held): pointers, lengths, types. */
    nvalid = N;
    for (i = 0; i < N; i++) {
        PyObject *item = PyTuple_GET_ITEM(seqs, i);
        Py_ssize_t n;
        if (PyBytes_Check(item)) {
            spans[i].p = (const unsigned char *)PyBytes_AS_STRING(item);
            n = PyBytes_GET_SIZE(item);
            spans[i].from_bytes = 1;
        }
        else if (PyByteArray_Check(item)) {
            spans[i].p = (const unsigned char *)PyByteArray_AS_STRING(item);
            n = PyByteArray_GET_SIZE(item);
            spans[i].from_bytes = 1;
            mutable_items = 1;
        }
        else if (PyUnicode_Check(item)) {
#if PY_VERSION_HEX < 0x030C0000
            if (PyUnicode_READY(item) < 0) {
                goto fail;
            }
#endif
            n = PyUnicode_GET_LENGTH(item);
            spans[i].from_bytes = 0;
            spans[i].p = PyUnicode_IS_ASCII(item) ? (const unsigned char *)PyUnicode_1BYTE_DATA(item)
                                                  : NULL;
        }
        else {
            PyObject *who = kg_who(ids, i);
            if (who != NULL) {
                PyErr_Format(PyExc_TypeError, "%U is a %s; expected str or bytes.", who,
                             Py_TYPE(item)->tp_name);
                Py_DECREF(who);
            }
            goto fail;
        }
        spans[i].n = n;
        if (length < 0) {
            if (i == 0) {
                L = n;
            }
            else if (n != L) {
                PyObject *who = kg_who(ids, i);
                if (who != NULL) {
                    PyObject *msg = PyUnicode_FromFormat(
                        "%U has length %zd but the first sequence has length %zd. All sequences "
                        "must have the same length; pass length=<L> to pad shorter ones with N.",
                        who, n, L);
                    Py_DECREF(who);
                    kg_raise_sequence_error(msg, i, -1, NULL);
                }
                goto fail;
            }
        }
        else if (n > length) {
            PyObject *who = kg_who(ids, i);
            if (who != NULL) {
                PyObject *msg = PyUnicode_FromFormat(
                    "%U has length %zd, longer than length=%zd. Trim it or pass a larger length.",
                    who, n, length);
                Py_DECREF(who);
                kg_raise_sequence_error(msg, i, -1, NULL);
            }
            goto fail;
        }
        if (spans[i].p == NULL) {
            /* Non-ASCII str: it has an invalid character; find the first one now. */
            int kind = PyUnicode_KIND(item);
            const void *data = PyUnicode_DATA(item);
            Py_ssize_t j;
            for (j = 0; j < n; j++) {
                Py_UCS4 ch = PyUnicode_READ(kind, data, j);
                if (ch >= 128 || kg_code[ch] > KG_N) {
                    pend_i = i;
                    pend_pos = j;
                    pend_ch = ch;
                    break;
                }
            }
            nvalid = i;
            break;
        }
    }
    if (L > 0 && N > 0 && L > PY_SSIZE_T_MAX / 16 / N) {
        PyErr_SetString(PyExc_MemoryError, "one-hot array too large");
        goto fail;
    }
    {
        npy_intp dims[3];
        dims[0] = (npy_intp)N;
        dims[1] = (npy_intp)L;
        dims[2] = 4;
        arr = PyArray_SimpleNew(3, dims, NPY_FLOAT32);
        if (arr == NULL) {
            goto fail;
        }
    }
    out = (float *)PyArray_DATA((PyArrayObject *)arr);
    kg_make_rows(rows, (float)n_value);

    /* Pass 2: fill in one pass through the lookup table (without the GIL when no item is
     * mutable; the tuple keeps every item alive). */
    {
        PyThreadState *ts = mutable_items ? NULL : PyEval_SaveThread();
        for (i = 0; i < nvalid; i++) {
            Py_ssize_t r = kg_fill_onehot(spans[i].p, spans[i].n, L, (const float(*)[4])rows,
                                          out + (size_t)i * (size_t)L * 4);
            if (r >= 0) {
                err_i = i;
                err_pos = r;
                break;
            }
        }
        if (ts != NULL) {
            PyEval_RestoreThread(ts);
        }
    }
    if (err_i >= 0) {
        kg_raise_bad_char(ids, err_i, err_pos, (Py_UCS4)spans[err_i].p[err_pos],
                          spans[err_i].from_bytes);
        goto fail;
    }
    if (pend_i >= 0) {
        kg_raise_bad_char(ids, pend_i, pend_pos, pend_ch, 0);
        goto fail;
    }
    PyMem_Free(spans);
    Py_DECREF(seqs);
    Py_XDECREF(ids);
    return arr;
fail:
    PyMem_Free(spans);
    Py_XDECREF(seqs);
    Py_XDECREF(ids);
    Py_XDECREF(arr);
    return NULL;
}

/* The one argument x of a function (fmt "O:<name>") as a float32 (N, L, 4) C-contiguous
 * view/copy (new reference), or NULL with an exception. */
static PyArrayObject *kg_onehot_arg(PyObject *args, PyObject *kwargs, const char *fmt)
{
    static char *kwlist[] = {"x", NULL};
    PyObject *x;
    PyArrayObject *a;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, fmt, kwlist, &x)) {
        return NULL;
    }
    a = (PyArrayObject *)PyArray_FROM_OTF(x, NPY_FLOAT32, NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (a == NULL) {
        return NULL;
    }
    if (PyArray_NDIM(a) != 3 || PyArray_DIM(a, 2) != 4) {
        PyObject *shape = PyObject_GetAttrString((PyObject *)a, "shape");
        if (shape != NULL) {
            PyErr_Format(PyExc_ValueError,
                         "x must have shape (N, L, 4) (N sequences, L positions, one-hot over "
                         "A, C, G, T). Received shape %R.",
                         shape);
            Py_DECREF(shape);
        }
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

PyObject *kg_one_hot_decode(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static const char letters[4] = {'A', 'C', 'G', 'T'};
    PyObject *result = NULL;
    PyArrayObject *a;
    Py_ssize_t N, L, i, j;
    const float *data;
    (void)self;

    a = kg_onehot_arg(args, kwargs, "O:one_hot_decode");
    if (a == NULL) {
        return NULL;
    }
    N = (Py_ssize_t)PyArray_DIM(a, 0);
    L = (Py_ssize_t)PyArray_DIM(a, 1);
    data = (const float *)PyArray_DATA(a);
    result = PyList_New(N);
    if (result == NULL) {
        goto fail;
    }
    for (i = 0; i < N; i++) {
        PyObject *s = PyUnicode_New(L, 127);
        Py_UCS1 *dst;
        if (s == NULL) {
            goto fail;
        }
        dst = PyUnicode_1BYTE_DATA(s);
        for (j = 0; j < L; j++) {
            const float *r = data + ((size_t)i * (size_t)L + (size_t)j) * 4;
            int ones = (r[0] == 1.0f) + (r[1] == 1.0f) + (r[2] == 1.0f) + (r[3] == 1.0f);
            int zeros = (r[0] == 0.0f) + (r[1] == 0.0f) + (r[2] == 0.0f) + (r[3] == 0.0f);
            if (ones == 1 && zeros == 3) {
                int k = (r[1] == 1.0f) * 1 + (r[2] == 1.0f) * 2 + (r[3] == 1.0f) * 3;
                dst[j] = (Py_UCS1)letters[k];
            }
            else if (zeros == 4 ||
                     (r[0] == 0.25f && r[1] == 0.25f && r[2] == 0.25f && r[3] == 0.25f)) {
                dst[j] = (Py_UCS1)'N';
            }
            else {
                PyObject *vals = Py_BuildValue("[dddd]", (double)r[0], (double)r[1],
                                               (double)r[2], (double)r[3]);
                if (vals != NULL) {
                    PyObject *msg = PyUnicode_FromFormat(
                        "sequence %zd, position %zd holds %R, which is not one-hot DNA (expected "
                        "one 1 and three 0s in ACGT order, or all 0 / all 0.25 for N).",
                        i, j, vals);
                    Py_DECREF(vals);
                    kg_raise_sequence_error(msg, i, j, NULL);
                }
                Py_DECREF(s);
                goto fail;
            }
        }
        PyList_SET_ITEM(result, i, s);
    }
    Py_DECREF(a);
    return result;
fail:
    Py_XDECREF(result);
    Py_DECREF(a);
    return NULL;
}

PyObject *kg_reverse_complement(PyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *out;
    PyArrayObject *a;
    npy_intp dims[3];
    Py_ssize_t N, L, i, j;
    const float *src;
    float *dst;
    (void)self;

    a = kg_onehot_arg(args, kwargs, "O:reverse_complement");
    if (a == NULL) {
        return NULL;
    }
    dims[0] = PyArray_DIM(a, 0);
    dims[1] = PyArray_DIM(a, 1);
    dims[2] = 4;
    out = PyArray_SimpleNew(3, dims, NPY_FLOAT32);
    if (out == NULL) {
        Py_DECREF(a);
        return NULL;
    }
    N = (Py_ssize_t)dims[0];
    L = (Py_ssize_t)dims[1];
    src = (const float *)PyArray_DATA(a);
    dst = (float *)PyArray_DATA((PyArrayObject *)out);
    Py_BEGIN_ALLOW_THREADS
    for (i = 0; i < N; i++) {
        const float *s = src + (size_t)i * (size_t)L * 4;
        float *d = dst + (size_t)i * (size_t)L * 4;
        for (j = 0; j < L; j++) {
            const float *r = s + (size_t)(L - 1 - j) * 4;
            d[4 * j + 0] = r[3];
            d[4 * j + 1] = r[2];
            d[4 * j + 2] = r[1];
            d[4 * j + 3] = r[0];
        }
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(a);
    return out;
}
