/* Generated from kgenint/_alphabet.py by write_c_header() (setup.py runs it before each
 * build): do not edit; edit the Python module.  kgenint's one letter-code policy: byte -> code,
 * 0..3 = A, C, G, T, 4 = N and the IUPAC ambiguity codes (both cases); every code above
 * 4 is an invalid letter. */
#ifndef KGENINT_ALPHABET_H
#define KGENINT_ALPHABET_H

#include <stdint.h>

#define KG_N 4
#define KG_BAD 255

static const uint8_t kg_code[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,   6,   6, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255,   0,   4,   1,   4, 255, 255,   2,   4, 255, 255,   4, 255,   4,   4, 255,
    255, 255,   4,   4,   3,   5,   4,   4, 255,   4, 255, 255, 255, 255, 255, 255,
    255,   0,   4,   1,   4, 255, 255,   2,   4, 255, 255,   4, 255,   4,   4, 255,
    255, 255,   4,   4,   3,   5,   4,   4, 255,   4, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};

/* The hint sentence of an invalid letter, by code (codes >= KG_NHINTS have none). */
#define KG_NHINTS 7
static const char *const kg_hints[KG_NHINTS] = {
    "",
    "",
    "",
    "",
    "",
    " Is this RNA? Replace U with T.",
    " It is an alignment gap: remove the gaps (or replace them with N)."};

/* The last sentence of every invalid-letter message. */
#define KG_ALLOWED " Allowed letters are A, C, G, T, N and the IUPAC ambiguity codes (upper or lower case)."

#endif /* KGENINT_ALPHABET_H */
