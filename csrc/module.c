/* kgenint._ccore module definition: one-hot rows, letter hints, exceptions, method table. */
#define KG_IMPORT_ARRAY_HERE
#include "ccore.h"

#include <stdio.h>
#include <string.h>

PyObject *kg_SequenceError = NULL;
PyObject *kg_ParseError = NULL;

void kg_make_rows(float rows[5][4], float n_value)
{
    int i, k;
    for (i = 0; i < 4; i++) {
        for (k = 0; k < 4; k++) {
            rows[i][k] = (i == k) ? 1.0f : 0.0f;
        }
    }
    for (k = 0; k < 4; k++) {
        rows[KG_N][k] = n_value;
    }
}

Py_ssize_t kg_fill_onehot(const unsigned char *p, Py_ssize_t n, Py_ssize_t L,
                          const float rows[5][4], float *out)
{
    Py_ssize_t j;
    for (j = 0; j < n; j++) {
        uint8_t c = kg_code[p[j]];
        if (c > KG_N) {
            return j;
        }
        memcpy(out + 4 * j, rows[c], 4 * sizeof(float));
    }
    for (; j < L; j++) {
        memcpy(out + 4 * j, rows[KG_N], 4 * sizeof(float));
    }
    return -1;
}

int kg_set_index_attr(PyObject *exc, const char *name, Py_ssize_t v)
{
    PyObject *o = v >= 0 ? PyLong_FromSsize_t(v) : Py_NewRef(Py_None);
    int r = o != NULL ? PyObject_SetAttrString(exc, name, o) : -1;
    Py_XDECREF(o);
    return r;
}

const char *kg_char_hint(Py_UCS4 ch)
{
    if (ch < 256 && kg_code[ch] < KG_NHINTS) {
        return kg_hints[kg_code[ch]];
    }
    return "";
}

PyObject *kg_describe_char(Py_UCS4 ch, int from_bytes)
{
    char buf[32];
    if (ch == ' ') {
        snprintf(buf, sizeof(buf), "a space");
    }
    else if (ch == '\t') {
        snprintf(buf, sizeof(buf), "a tab");
    }
    else if (ch > 32 && ch < 127) {
        snprintf(buf, sizeof(buf), "'%c'", (int)ch);
    }
    else if (from_bytes) {
        snprintf(buf, sizeof(buf), "byte 0x%02X", (unsigned int)ch);
    }
    else {
        snprintf(buf, sizeof(buf), "U+%04X", (unsigned int)ch);
    }
    return PyUnicode_FromString(buf);
}

static PyMethodDef kg_methods[] = {
    {"one_hot_encode", (PyCFunction)(void (*)(void))kg_one_hot_encode, METH_VARARGS | METH_KEYWORDS,
     "one_hot_encode(seqs, length=-1, n_value=0.0, ids=None) -> float32 (N, L, 4)\n\n"
     "seqs: sequence of str/bytes/bytearray. length=-1: all must have the same length; otherwise\n"
     "right-pad with N rows to `length` (longer sequences are an error). A/C/G/T in any case give\n"
     "one-hot rows in ACGT order, N and the IUPAC ambiguity codes a row of n_value; anything else\n"
     "(U, gaps, X, ...) raises SequenceError naming the sequence (ids[i] when ids is given, else its\n"
     "index), 0-based position and character (table: kgenint/_alphabet.py)."},
    {"one_hot_decode", (PyCFunction)(void (*)(void))kg_one_hot_decode, METH_VARARGS | METH_KEYWORDS,
     "one_hot_decode(x) -> list[str]\n\nx: float32 (N, L, 4) ACGT. All-zero and all-0.25 rows decode "
     "to 'N'; other rows that are not one-hot raise SequenceError."},
    {"reverse_complement", (PyCFunction)(void (*)(void))kg_reverse_complement,
     METH_VARARGS | METH_KEYWORDS,
     "reverse_complement(x) -> float32 (N, L, 4)\n\nNew array equal to x[:, ::-1, ::-1] (ACGT order)."},
    {"parse_fasta", (PyCFunction)(void (*)(void))kg_parse_fasta, METH_VARARGS | METH_KEYWORDS,
     "parse_fasta(data, filename='<buffer>', one_hot=False, n_value=0.0, as_str=False)\n"
     "    -> (ids, descriptions, sequences, header_lines)\n\n"
     "data: a bytes-like FASTA text. sequences is a list of bytes (of str with as_str=True; a\n"
     "non-ASCII byte is then a ParseError), or with one_hot=True a float32\n"
     "(N, L, 4) array (all records must have the same length). Raises ParseError (attributes\n"
     "filename, line, reason) for data before the first header, a header without id, an empty\n"
     "record, duplicate ids, and (one_hot=True) unequal lengths or invalid characters."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef kg_module = {
    PyModuleDef_HEAD_INIT,
    "_ccore",
    "kgenint's compiled core: one-hot encoding/decoding, reverse complement, FASTA parsing.",
    -1,
    kg_methods,
    NULL,
    NULL,
    NULL,
    NULL};

PyMODINIT_FUNC PyInit__ccore(void)
{
    PyObject *m;
    import_array();
    m = PyModule_Create(&kg_module);
    if (m == NULL) {
        return NULL;
    }
    kg_SequenceError = PyErr_NewExceptionWithDoc(
        "kgenint._ccore.SequenceError",
        "Invalid sequence content (attributes: index, position, char).", PyExc_ValueError, NULL);
    if (kg_SequenceError == NULL) {
        goto fail;
    }
    Py_INCREF(kg_SequenceError);
    if (PyModule_AddObject(m, "SequenceError", kg_SequenceError) < 0) {
        Py_DECREF(kg_SequenceError);
        goto fail;
    }
    kg_ParseError = PyErr_NewExceptionWithDoc(
        "kgenint._ccore.ParseError",
        "Malformed FASTA (attributes: filename, line, reason).", PyExc_ValueError, NULL);
    if (kg_ParseError == NULL) {
        goto fail;
    }
    Py_INCREF(kg_ParseError);
    if (PyModule_AddObject(m, "ParseError", kg_ParseError) < 0) {
        Py_DECREF(kg_ParseError);
        goto fail;
    }
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
