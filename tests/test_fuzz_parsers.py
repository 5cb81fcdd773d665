"""Property-based fuzz of every text parser and of the TSV/HDF5/npz readers (issue 18).

Each reader gets valid files mutated at random (bytes replaced, inserted, deleted, the file cut
short, re-encoded as UTF-16) and must either return a sane result or raise a kgenint error
(``KgenintError``: one line for the command line) -- never another exception. Small examples and
a fixed example budget keep the whole file to a few seconds.
"""
from __future__ import annotations

import os
import tempfile

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgenint.errors import KgenintError

MEME = b"""MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF MA0001.1 AGL3
letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0
0.1 0.2 0.3 0.4
0.25 0.25 0.25 0.25
0.7 0.1 0.1 0.1

MOTIF M2
letter-probability matrix:
1 0 0 0
0 1 0 0
"""

JASPAR = b""">MA0004.1 Arnt
A  [ 4 19  0  0  0  0 ]
C  [16  0 20  0  0  0 ]
G  [ 0  1  0 20  0 20 ]
T  [ 0  0  0  0 20  0 ]
"""

FASTA = b""">s1 first
ACGTNNacgt
ACG
>s2
TTTTGGGGCCCCAAAA
"""

FIMO = (b"motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\tmatched_sequence\n"
        b"M1\tA\ts1\t3\t8\t+\t10.5\t1.2e-05\t\tACGTAC\n"
        b"M2\t\ts2\t1\t4\t-\t3\t0.001\t0.5\tTTTT\n"
        b"\n# kgenint scan\n")

GROUPS = b"sequence_name\tgroup\ns1\t1\ns2\t0\ns3\tneg\ns4\t-1\n"

BACKGROUND = b"# order-0\nA 0.3\nC 0.2\nG 0.2\nT 0.3\n"


@st.composite
def mutated(draw, seed: bytes):
    """A valid file mutated: cut short, or a few bytes replaced / inserted / deleted, or UTF-16."""
    data = bytearray(seed)
    kind = draw(st.sampled_from(["edit", "edit", "edit", "truncate", "utf16", "junk"]))
    if kind == "truncate":
        return bytes(data[: draw(st.integers(0, len(data)))])
    if kind == "utf16":
        return seed.decode("ascii").encode("utf-16")
    if kind == "junk":
        return draw(st.binary(max_size=200))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["replace", "insert", "delete"]))
        i = draw(st.integers(0, max(len(data) - 1, 0)))
        b = draw(st.sampled_from([b"\t", b" ", b"\n", b"-", b"0", b"9", b"e", b">", b"#", b"[", b"]", b"=",
                                  b"nan", b"inf", b"\xff", b"\x00", b"A", b"1e999", b"-1"]))
        if op == "replace" and data:
            data[i:i + 1] = b
        elif op == "insert":
            data[i:i] = b
        elif data:
            del data[i]
    return bytes(data)


def _file(data: bytes, suffix: str) -> str:
    fd, p = tempfile.mkstemp(suffix=suffix, prefix="kgenint-fuzz-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return p


def _clean_or_sane(fn, data: bytes, suffix: str, check):
    p = _file(data, suffix)
    try:
        try:
            out = fn(p)
        except KgenintError as err:
            msg = str(err)
            assert msg and "Traceback" not in msg
            return
        check(out)
    finally:
        os.unlink(p)


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


def _sane_motifs(motifs):
    for m in motifs:
        ppm = np.asarray(m.pwm)
        assert ppm.ndim == 2 and ppm.shape[1] == 4 and ppm.shape[0] >= 1
        assert np.isfinite(ppm).all() and (ppm >= 0).all()
        np.testing.assert_allclose(ppm.sum(1), 1.0, atol=1e-3)


@FUZZ
@given(mutated(MEME))
def test_fuzz_read_meme(data):
    from kgenint.motifs.io import read_meme

    _clean_or_sane(read_meme, data, ".meme", _sane_motifs)


@FUZZ
@given(mutated(JASPAR))
def test_fuzz_read_jaspar(data):
    from kgenint.motifs.io import read_jaspar

    _clean_or_sane(read_jaspar, data, ".jaspar", _sane_motifs)


@FUZZ
@given(mutated(FASTA))
def test_fuzz_read_fasta(data):
    from kgenint.sequence import read_fasta

    def check(rec):
        assert len(rec.ids) == len(rec.sequences)
        assert all(i and not any(c.isspace() for c in i) for i in rec.ids)

    _clean_or_sane(read_fasta, data, ".fa", check)


@FUZZ
@given(mutated(FIMO))
def test_fuzz_read_fimo_tsv(data):
    from kgenint.motifs.scan import read_fimo_tsv

    def check(df):
        if len(df):
            assert (df["start"] >= 0).all() and (df["end"] > df["start"]).all()
            assert ((df["p_value"] >= 0) & (df["p_value"] <= 1)).all()

    _clean_or_sane(read_fimo_tsv, data, ".tsv", check)


@FUZZ
@given(mutated(GROUPS))
def test_fuzz_read_groups_tsv(data):
    from kgenint._io_inputs import read_groups_tsv

    def check(res):
        names, groups = res
        assert len(names) == len(groups) == len(set(names)) > 0
        assert set(np.unique(groups)) <= {-1, 0, 1}

    _clean_or_sane(read_groups_tsv, data, ".tsv", check)


@FUZZ
@given(mutated(BACKGROUND))
def test_fuzz_scan_background(data):
    from kgenint.cli.cmd_scan import _background

    def check(bg):
        assert np.asarray(bg).shape == (4,)

    _clean_or_sane(_background, data, ".txt", check)


# ---------------------------------------------------------------------------- binary readers
def _attr_h5(path):
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (40, 64))]
    with h5py.File(path, "w") as f:
        f.attrs.update(kgenint_format="attributions", format_version=1, method="saliency", output=0,
                       config_hash="x", chunk_size=8, params="{}")
        f.create_dataset("x", data=x, chunks=(8, 64, 4), compression="gzip")
        f.create_dataset("contributions", data=x * rng.normal(size=x.shape).astype(np.float32),
                         chunks=(8, 64, 4), compression="gzip")
        f["done"] = np.ones(5, bool)
        f["sequence_ids"] = np.array([f"s{i}" for i in range(40)], dtype="S")


_CACHE: dict = {}


def _valid_bytes(kind: str) -> bytes:
    """A valid attribution .h5 / .npz as bytes (made once; not a fixture, so hypothesis does not
    print it with every failing example)."""
    if kind not in _CACHE:
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "a." + kind)
            if kind == "h5":
                _attr_h5(p)
            else:
                rng = np.random.default_rng(1)
                x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (10, 30))]
                np.savez_compressed(p, onehot=x, contributions=x * 0.5)
            with open(p, "rb") as fh:
                _CACHE[kind] = fh.read()
    return _CACHE[kind]


def _sane_attrs(res):
    onehot, contrib, hyp = res
    a = contrib if contrib is not None else hyp
    assert np.asarray(onehot).ndim == 3 and np.asarray(a).shape[0] == np.asarray(onehot).shape[0]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_attribution_hdf5(data):
    """Damaged HDF5 (bytes flipped anywhere, including compressed chunks, or cut short)."""
    from kgenint.seqlets import load_attributions

    raw = bytearray(_valid_bytes("h5"))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    else:
        for _ in range(data.draw(st.integers(1, 20))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))
    _clean_or_sane(load_attributions, bytes(raw), ".h5", _sane_attrs)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_fuzz_attribution_npz_npy(data):
    from kgenint.seqlets import load_attributions

    raw = bytearray(_valid_bytes("npz"))
    suffix = data.draw(st.sampled_from([".npz", ".npy"]))
    if suffix == ".npy":
        import io

        buf = io.BytesIO()
        np.save(buf, np.zeros((3, 20, 4), np.float32))
        raw = bytearray(buf.getvalue())
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    else:
        for _ in range(data.draw(st.integers(1, 10))):
            i = data.draw(st.integers(0, len(raw) - 1))
            raw[i] = data.draw(st.integers(0, 255))

    def read(p):
        return load_attributions(p, data=p if suffix == ".npy" else None)

    _clean_or_sane(read, bytes(raw), suffix, lambda r: None)
