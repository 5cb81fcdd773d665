"""Compile the Numba kernels of the demo's later stages in a background process.

On a fresh install Numba compiles every kernel on its first call (``cache=True`` then keeps the
machine code on disk): about 30 s of the demo's wall time on 2 cores went to compiling the motif
scanner, the co-occurrence counts, filter-to-motif conversion, the TOMTOM-like comparison and
seqlet calling, each in the stage that first needs it. :func:`start_background_warmup` runs
those kernels once on tiny inputs in a separate process while the demo simulates its data
(simulation keeps about one of 2 cores busy), so that the later stages load them from the cache.
Training waits for it: a compile beside training slowed each epoch by 60-80 % on 2 cores, more
than the compile costs alone (35 s). The warm-up never affects results: it writes nothing but
Numba's cache, and a stage that runs before it finished simply compiles the kernel itself.
"""
from __future__ import annotations

import logging

log = logging.getLogger("kgenint")


def warm_kernels() -> None:
    """Call the later stages' kernels on tiny inputs (with the dtypes the stages use)."""
    import warnings

    import numpy as np

    from .interactions.cooccurrence import cooccurrence
    from .motifs import Motif, annotate, filters_to_motifs
    from .motifs.scan import scan
    from .seqlets import discover
    from .sequence import shuffled_background

    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (24, 200))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shuffled_background(x[:4], 2, seed=0)
        motifs = [Motif.from_consensus(w, name=w) for w in ("TGACTCA", "CCAAT", "GATAAG")]
        hits = scan(x, motifs, threshold=1e-2, seq_names=[str(i) for i in range(len(x))], progress=False)
        cooccurrence(hits, (np.arange(len(x)) % 2).astype(np.int64), motif_names=[m.name for m in motifs],
                     max_distance=100, bin_size=5, window=0, alternative="greater")
        w = rng.normal(size=(15, 4, 6)).astype(np.float32)
        acts = np.maximum(rng.normal(size=(len(x), 200, 6)), 0).astype(np.float32)
        fm = filters_to_motifs(w, x, activations=acts, min_sites=2, pseudocount=1.0, padding="same")
        annotate([m for m in fm if m.width > 0][:2] or motifs[:1])
        contrib = (x * rng.normal(size=x.shape)).astype(np.float32)
        try:
            discover(x, contrib, contrib, seed=0)
        except Exception:  # noqa: BLE001 - tiny random input may hold no seqlets; compiling is the point
            pass


def _run() -> None:
    try:
        warm_kernels()
    except Exception:  # noqa: BLE001 - a failed warm-up only costs the compile time later
        pass


def start_background_warmup():
    """Start :func:`warm_kernels` in a child process (``spawn``); returns the process or None."""
    import multiprocessing

    try:
        proc = multiprocessing.get_context("spawn").Process(target=_run, name="kgenint-numba-warmup", daemon=True)
        proc.start()
    except Exception as err:  # noqa: BLE001 - no processes allowed: the stages compile themselves
        log.debug("Numba warm-up not started: %s", err)
        return None
    return proc
