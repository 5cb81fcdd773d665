/* FASTA parsing of an in-memory buffer (decompression happens in Python).
 *
 * Accepted: multi-line records, empty lines anywhere, CRLF line ends, spaces/tabs inside sequence
 * lines (dropped), ';' comment lines (dropped).  Header: '>' then the id (first word) and an
 * optional description (the rest, stripped).  Errors name the file and the 1-based line.
 */
#include "ccore.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    Py_ssize_t start; /* offset of the sequence in the concatenated buffer */
    Py_ssize_t len;   /* sequence length */
    Py_ssize_t line;  /* 1-based line of the header */
} kg_record;

/* Raise ParseError("<filename>, line <line>: <reason>") with attributes. Steals reason. */
static void kg_raise_parse(PyObject *filename, Py_ssize_t line, PyObject *reason)
{
    PyObject *msg, *exc;
    if (reason == NULL) {
        return;
    }
    if (line > 0) {
        msg = PyUnicode_FromFormat("%U, line %zd: %U", filename, line, reason);
    }
    else {
        msg = PyUnicode_FromFormat("%U: %U", filename, reason);
    }
    if (msg == NULL) {
        Py_DECREF(reason);
        return;
    }
    exc = PyObject_CallFunctionObjArgs(kg_ParseError, msg, NULL);
    Py_DECREF(msg);
    if (exc == NULL) {
        Py_DECREF(reason);
        return;
    }
    if (PyObject_SetAttrString(exc, "filename", filename) < 0 ||
        PyObject_SetAttrString(exc, "reason", reason) < 0 ||
        kg_set_index_attr(exc, "line", line > 0 ? line : -1) < 0) {
        Py_DECREF(reason);
        Py_DECREF(exc);
        return;
    }
    Py_DECREF(reason);
    PyErr_SetObject(kg_ParseError, exc);
    Py_DECREF(exc);
}

/* 1 for the bytes dropped inside lines: space, tab, CR, VT, FF. */
static const unsigned char kg_space[256] = {
    [' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\v'] = 1, ['\f'] = 1};

static int kg_is_space(unsigned char c)
{
    return kg_space[c];
}

PyObject *kg_parse_fasta(PyObject *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"data", "filename", "one_hot", "n_value", "as_str", NULL};
    PyObject *data_obj, *filename = NULL;
    int one_hot = 0, as_str = 0;
    double n_value = 0.0;
    Py_buffer view;
    const unsigned char *b;
    Py_ssize_t n, pos = 0, line = 0, seqlen = 0, nrec = 0, caprec = 0, i;
    unsigned char *seqbuf = NULL;
    kg_record *recs = NULL;
    PyObject *ids = NULL, *descs = NULL, *seen = NULL, *seqs = NULL, *lines = NULL;
    PyObject *result = NULL;
    (void)self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|Updp:parse_fasta", kwlist, &data_obj,
                                     &filename, &one_hot, &n_value, &as_str)) {
        return NULL;
    }
    if (PyObject_GetBuffer(data_obj, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (filename == NULL) {
        filename = PyUnicode_FromString("<buffer>");
        if (filename == NULL) {
            PyBuffer_Release(&view);
            return NULL;
        }
    }
    else {
        Py_INCREF(filename);
    }
    b = (const unsigned char *)view.buf;
    n = view.len;
    seqbuf = (unsigned char *)PyMem_Malloc((size_t)(n > 0 ? n : 1));
    ids = PyList_New(0);
    descs = PyList_New(0);
    seen = PyDict_New();
    if (seqbuf == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    if (ids == NULL || descs == NULL || seen == NULL) {
        goto fail;
    }

    while (pos < n) {
        const unsigned char *nl = (const unsigned char *)memchr(b + pos, '\n', (size_t)(n - pos));
        Py_ssize_t end = nl != NULL ? (Py_ssize_t)(nl - b) : n;
        Py_ssize_t next = nl != NULL ? end + 1 : n;
        Py_ssize_t e = end;
        line++;
        while (e > pos && kg_is_space(b[e - 1])) {
            e--;
        }
        if (e > pos && b[pos] == '>') {
            Py_ssize_t h = pos + 1, id0, id1, d0;
            PyObject *id_obj, *desc_obj, *prev, *ln;
            if (nrec > 0 && recs[nrec - 1].len == 0) {
                kg_raise_parse(filename, recs[nrec - 1].line,
                               PyUnicode_FromFormat(
                                   "record %R has no sequence (its header is followed directly "
                                   "by another header). Remove the header or add the sequence.",
                                   PyList_GET_ITEM(ids, nrec - 1)));
                goto fail;
            }
            while (h < e && kg_is_space(b[h])) {
                h++;
            }
            id0 = h;
            while (h < e && !kg_is_space(b[h])) {
                h++;
            }
            id1 = h;
            while (h < e && kg_is_space(b[h])) {
                h++;
            }
            d0 = h;
            if (id1 == id0) {
                kg_raise_parse(filename, line,
                               PyUnicode_FromString("header '>' has no id. Write an id right "
                                                    "after '>', e.g. '>seq1 description'."));
                goto fail;
            }
            id_obj = PyUnicode_DecodeUTF8((const char *)b + id0, id1 - id0, "replace");
            if (id_obj == NULL) {
                goto fail;
            }
            prev = PyDict_GetItemWithError(seen, id_obj); /* borrowed */
            if (prev != NULL) {
                kg_raise_parse(filename, line,
                               PyUnicode_FromFormat(
                                   "duplicate id %R: the records with headers on line %S and "
                                   "line %zd have the same id. Ids (the first word after '>') "
                                   "must be unique.",
                                   id_obj, prev, line));
                Py_DECREF(id_obj);
                goto fail;
            }
            if (PyErr_Occurred()) {
                Py_DECREF(id_obj);
                goto fail;
            }
            ln = PyLong_FromSsize_t(line);
            if (ln == NULL || PyDict_SetItem(seen, id_obj, ln) < 0 ||
                PyList_Append(ids, id_obj) < 0) {
                Py_XDECREF(ln);
                Py_DECREF(id_obj);
                goto fail;
            }
            Py_DECREF(ln);
            Py_DECREF(id_obj);
            desc_obj = e > d0 ? PyUnicode_DecodeUTF8((const char *)b + d0, e - d0, "replace")
                              : PyUnicode_New(0, 0);
            if (desc_obj == NULL || PyList_Append(descs, desc_obj) < 0) {
                Py_XDECREF(desc_obj);
                goto fail;
            }
            Py_DECREF(desc_obj);
            if (nrec == caprec) {
                Py_ssize_t newcap = caprec > 0 ? 2 * caprec : 64;
                kg_record *tmp;
                if (newcap > PY_SSIZE_T_MAX / (Py_ssize_t)sizeof(kg_record)) {
                    PyErr_NoMemory();
                    goto fail;
                }
                tmp = (kg_record *)PyMem_Realloc(recs, (size_t)newcap * sizeof(kg_record));
                if (tmp == NULL) {
                    PyErr_NoMemory();
                    goto fail;
                }
                recs = tmp;
                caprec = newcap;
            }
            recs[nrec].start = seqlen;
            recs[nrec].len = 0;
            recs[nrec].line = line;
            nrec++;
        }
        else {
            Py_ssize_t k = pos;
            while (k < e && kg_is_space(b[k])) {
                k++;
            }
            if (k < e && b[k] != ';') {
                if (nrec == 0) {
                    kg_raise_parse(filename, line,
                                   PyUnicode_FromString(
                                       "sequence data before the first '>' header. A FASTA file "
                                       "must start with a header line such as '>seq1'."));
                    goto fail;
                }
                /* Copy the line, then drop spaces only if it has any (a control character or
                 * space is <= 32; the check vectorises).  seqbuf has room: seqlen <= k. */
                {
                    Py_ssize_t m = e - k, q;
                    unsigned int low = 0;
                    unsigned char *dst = seqbuf + seqlen;
                    memmove(dst, b + k, (size_t)m);
                    for (q = 0; q < m; q++) {
                        low |= (unsigned int)(dst[q] <= 32);
                    }
                    if (low) {
                        Py_ssize_t w = 0;
                        for (q = 0; q < m; q++) {
                            unsigned char c = dst[q];
                            dst[w] = c;
                            w += 1 - kg_space[c];
                        }
                        m = w;
                    }
                    seqlen += m;
                }
                recs[nrec - 1].len = seqlen - recs[nrec - 1].start;
            }
        }
        pos = next;
    }
    if (nrec > 0 && recs[nrec - 1].len == 0) {
        kg_raise_parse(filename, recs[nrec - 1].line,
                       PyUnicode_FromFormat("record %R has no sequence (the file ends after its "
                                            "header). Remove the header or add the sequence.",
                                            PyList_GET_ITEM(ids, nrec - 1)));
        goto fail;
    }

    lines = PyList_New(nrec);
    if (lines == NULL) {
        goto fail;
    }
    for (i = 0; i < nrec; i++) {
        PyObject *v = PyLong_FromSsize_t(recs[i].line);
        if (v == NULL) {
            goto fail;
        }
        PyList_SET_ITEM(lines, i, v);
    }

    if (one_hot) {
        npy_intp dims[3];
        Py_ssize_t L = nrec > 0 ? recs[0].len : 0, err_i = -1, err_pos = -1;
        float rows[5][4];
        float *out;
        for (i = 1; i < nrec; i++) {
            if (recs[i].len != L) {
                kg_raise_parse(filename, recs[i].line,
                               PyUnicode_FromFormat(
                                   "record %R has length %zd but the first record %R has length "
                                   "%zd. A single one-hot array needs equal lengths: read with "
                                   "one_hot=False and call .one_hot(length=...) to pad with N.",
                                   PyList_GET_ITEM(ids, i), recs[i].len, PyList_GET_ITEM(ids, 0),
                                   L));
                goto fail;
            }
        }
        if (L > 0 && nrec > 0 && L > PY_SSIZE_T_MAX / 16 / nrec) {
            PyErr_SetString(PyExc_MemoryError, "one-hot array too large");
            goto fail;
        }
        dims[0] = (npy_intp)nrec;
        dims[1] = (npy_intp)L;
        dims[2] = 4;
        seqs = PyArray_SimpleNew(3, dims, NPY_FLOAT32);
        if (seqs == NULL) {
            goto fail;
        }
        out = (float *)PyArray_DATA((PyArrayObject *)seqs);
        kg_make_rows(rows, (float)n_value);
        Py_BEGIN_ALLOW_THREADS
        for (i = 0; i < nrec; i++) {
            Py_ssize_t r = kg_fill_onehot(seqbuf + recs[i].start, recs[i].len, L,
                                          (const float(*)[4])rows, out + (size_t)i * (size_t)L * 4);
            if (r >= 0) {
                err_i = i;
                err_pos = r;
                break;
            }
        }
        Py_END_ALLOW_THREADS
        if (err_i >= 0) {
            Py_UCS4 ch = (Py_UCS4)seqbuf[recs[err_i].start + err_pos];
            PyObject *desc = kg_describe_char(ch, 1);
            if (desc != NULL) {
                kg_raise_parse(filename, recs[err_i].line,
                               PyUnicode_FromFormat(
                                   "record %R: invalid character %U at sequence position %zd "
                                   "(0-based).%s" KG_ALLOWED,
                                   PyList_GET_ITEM(ids, err_i), desc, err_pos, kg_char_hint(ch)));
                Py_DECREF(desc);
            }
            goto fail;
        }
    }
    else {
        seqs = PyList_New(nrec);
        if (seqs == NULL) {
            goto fail;
        }
        for (i = 0; i < nrec; i++) {
            const unsigned char *src = seqbuf + recs[i].start;
            Py_ssize_t len = recs[i].len;
            PyObject *s;
            if (as_str) {
                Py_ssize_t q;
                unsigned int high = 0;
                for (q = 0; q < len; q++) {
                    high |= src[q];
                }
                if (high & 0x80u) {
                    char hex[8];
                    for (q = 0; q < len && src[q] < 0x80u; q++) {
                    }
                    snprintf(hex, sizeof(hex), "0x%02X", (unsigned int)src[q]);
                    kg_raise_parse(filename, recs[i].line,
                                   PyUnicode_FromFormat(
                                       "record %R has a non-ASCII byte %s at sequence position "
                                       "%zd (0-based). Sequences must be plain ASCII letters.",
                                       PyList_GET_ITEM(ids, i), hex, q));
                    goto fail;
                }
                s = PyUnicode_New(len, 127);
                if (s != NULL) {
                    memcpy(PyUnicode_1BYTE_DATA(s), src, (size_t)len);
                }
            }
            else {
                s = PyBytes_FromStringAndSize((const char *)src, len);
            }
            if (s == NULL) {
                goto fail;
            }
            PyList_SET_ITEM(seqs, i, s);
        }
    }
    result = PyTuple_Pack(4, ids, descs, seqs, lines);
fail:
    PyBuffer_Release(&view);
    PyMem_Free(seqbuf);
    PyMem_Free(recs);
    Py_XDECREF(filename);
    Py_XDECREF(ids);
    Py_XDECREF(descs);
    Py_XDECREF(seen);
    Py_XDECREF(seqs);
    Py_XDECREF(lines);
    return result;
}
