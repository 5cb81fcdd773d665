/* kgenint._ccore: shared declarations of the compiled core.
 *
 * One-hot DNA is float32 (N, L, 4) in ACGT order.  Every translation unit includes this header;
 * only module.c imports the NumPy C API (the others see it through PY_ARRAY_UNIQUE_SYMBOL).
 */
#ifndef KGENINT_CCORE_H
#define KGENINT_CCORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define PY_ARRAY_UNIQUE_SYMBOL kgenint_ccore_ARRAY_API
#ifndef KG_IMPORT_ARRAY_HERE
#define NO_IMPORT_ARRAY
#endif
#include <numpy/arrayobject.h>

#include <stdint.h>

/* kg_code[256] (byte -> code: 0..3 = A, C, G, T, KG_N = N, above KG_N invalid), kg_hints and
 * KG_ALLOWED: generated from kgenint/_alphabet.py, the one letter-code policy. */
#include "alphabet.h"

/* Exceptions (both subclasses of ValueError), created in module.c. */
extern PyObject *kg_SequenceError; /* bad sequence content; attrs index, position, char */
extern PyObject *kg_ParseError;    /* bad FASTA; attrs filename, line, reason */

/* Fill L rows of 4 floats at `out` from the first n (<= L) bytes of `p`, padding the rest with
 * the N row.  rows[0..3] are the one-hot rows of A, C, G, T and rows[4] the N row.
 * Returns -1 on success, or the 0-based position of the first byte that is not A/C/G/T/N.
 * Safe to call without the GIL. */
Py_ssize_t kg_fill_onehot(const unsigned char *p, Py_ssize_t n, Py_ssize_t L,
                          const float rows[5][4], float *out);

/* rows[5][4] for a given N value. */
void kg_make_rows(float rows[5][4], float n_value);

/* exc.<name> = v, or None when v < 0. Returns 0, or -1 with an exception. */
int kg_set_index_attr(PyObject *exc, const char *name, Py_ssize_t v);

/* A new str naming a bad character in messages: 'X', "a space", byte 0x80, U+00E9 ... */
PyObject *kg_describe_char(Py_UCS4 ch, int from_bytes);

/* The hint sentence of an invalid letter (kg_hints by its code; starts with a space), or "". */
const char *kg_char_hint(Py_UCS4 ch);

/* Module functions. */
PyObject *kg_one_hot_encode(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *kg_one_hot_decode(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *kg_reverse_complement(PyObject *self, PyObject *args, PyObject *kwargs);
PyObject *kg_parse_fasta(PyObject *self, PyObject *args, PyObject *kwargs);

#endif /* KGENINT_CCORE_H */
