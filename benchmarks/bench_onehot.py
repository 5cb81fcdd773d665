"""Benchmark the compiled core (kgenint._ccore) against the obvious numpy / Python code.

    .venv/bin/python benchmarks/bench_onehot.py [--quick]

Cases (same input for both sides, best of a few repeats after a warm-up call):
  * one-hot encode, 100,000 x 200 bp and 10 x 1 Mbp: C lookup table vs numpy
    (np.frombuffer + 256-entry lookup + np.eye indexing);
  * FASTA parse of the 100,000 x 200 bp set (60-letter lines): read_fasta vs a line-by-line
    Python parser, and read_fasta(one_hot=True) vs that parser + the numpy encoder;
  * reverse complement: C vs np.ascontiguousarray(x[:, ::-1, ::-1]);
  * one-hot decode: C vs numpy (argmax + lookup + bytes).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

from kgenint.sequence import one_hot_decode, one_hot_encode, read_fasta, reverse_complement, write_fasta

_LUT = np.full(256, 4, dtype=np.int8)
for _k, _c in enumerate("ACGT"):
    _LUT[ord(_c)] = _k
    _LUT[ord(_c.lower())] = _k
_EYE5 = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), np.float32)])


def numpy_encode(seqs: list[str]) -> np.ndarray:
    """The obvious numpy encoder: one buffer, a lookup table, np.eye indexing (no validation)."""
    L = len(seqs[0])
    buf = np.frombuffer("".join(seqs).encode("ascii"), dtype=np.uint8)
    return _EYE5[_LUT[buf]].reshape(len(seqs), L, 4)


def numpy_decode(x: np.ndarray) -> list[str]:
    idx = np.where(x.max(-1) == 1, x.argmax(-1), 4).astype(np.uint8)
    letters = np.frombuffer(b"ACGTN", dtype=np.uint8)[idx]
    L = x.shape[1]
    raw = letters.tobytes().decode("ascii")
    return [raw[i * L : (i + 1) * L] for i in range(x.shape[0])]


def python_parse_fasta(path: str):
    ids, descs, seqs = [], [], []
    cur: list[str] = []
    with open(path) as fh:
        for line in fh:
            line = line.rstrip()
            if not line:
                continue
            if line.startswith(">"):
                if ids:
                    seqs.append("".join(cur))
                head = line[1:].split(None, 1)
                ids.append(head[0])
                descs.append(head[1] if len(head) > 1 else "")
                cur = []
            else:
                cur.append(line)
    if ids:
        seqs.append("".join(cur))
    return ids, descs, seqs


def best(fn, repeats=3):
    """(best wall time, best CPU time of this process, first-call wall time, result).

    CPU time (all threads) is reported next to wall time because the benchmark machine is shared:
    wall time then depends on the load, CPU time much less.
    """
    t0 = time.perf_counter()
    out = fn()
    first = time.perf_counter() - t0
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return (min(walls), min(cpus)), first, out


def report(name, ours, theirs, label="numpy"):
    (w_o, c_o), (w_t, c_t) = ours, theirs
    print(f"{name:<36s} kgenint {w_o * 1e3:8.1f} ms ({c_o * 1e3:7.1f} CPU)   {label} {w_t * 1e3:8.1f} ms "
          f"({c_t * 1e3:7.1f} CPU)   speed-up wall x{w_t / w_o:5.1f}, CPU x{c_t / max(c_o, 1e-9):5.1f}",
          flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10x smaller inputs")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)

    n, L = 100_000 // scale, 200
    raw = letters[rng.integers(0, 4, size=n * L)].tobytes().decode()
    seqs = [raw[i * L : (i + 1) * L] for i in range(n)]
    big = [letters[rng.integers(0, 4, size=1_000_000 // scale)].tobytes().decode() for _ in range(10)]
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, inputs: {n} x {L} bp, 10 x {len(big[0])} bp, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    t_c, first_c, x = best(lambda: one_hot_encode(seqs))
    t_n, _, xn = best(lambda: numpy_encode(seqs))
    assert np.array_equal(x, xn)
    report(f"encode {n} x {L} bp", t_c, t_n)
    print(f"    first call {first_c * 1e3:.1f} ms: no JIT in the C core; the extra time is the first "
          "touch of the fresh output pages")
    t_c, _, xb = best(lambda: one_hot_encode(big))
    t_n, _, xbn = best(lambda: numpy_encode(big))
    assert np.array_equal(xb, xbn)
    report(f"encode 10 x {len(big[0])} bp", t_c, t_n)

    t_c, _, rc = best(lambda: reverse_complement(x))
    t_n, _, rcn = best(lambda: np.ascontiguousarray(x[:, ::-1, ::-1]))
    assert np.array_equal(rc, rcn)
    report(f"reverse complement {n} x {L}", t_c, t_n)

    t_c, _, d = best(lambda: one_hot_decode(x))
    t_n, _, dn = best(lambda: numpy_decode(x))
    assert d == dn == seqs
    report(f"decode {n} x {L}", t_c, t_n)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.fa")
        write_fasta(path, [f"seq{i} chr1:{i * 300}-{i * 300 + L}" .split()[0] for i in range(n)], seqs)
        size = os.path.getsize(path) / 1e6
        t_c, _, recs = best(lambda: read_fasta(path))
        t_p, _, py = best(lambda: python_parse_fasta(path))
        assert recs.ids == py[0] and recs.sequences == py[2]
        report(f"FASTA parse ({size:.0f} MB) -> str", t_c, t_p, "python")
        t_c, _, recs1 = best(lambda: read_fasta(path, one_hot=True).one_hot())
        t_p, _, xp = best(lambda: numpy_encode(python_parse_fasta(path)[2]))
        assert np.array_equal(recs1, xp)
        report(f"FASTA parse ({size:.0f} MB) -> one-hot", t_c, t_p, "py+np ")


if __name__ == "__main__":
    main()
