"""Co-occurrence in bounded memory: the block-wise sparse scan against the dense code it replaced
(kept here as the reference), the memory-ceiling cut, HDF5 round trips, and `cooccur` / `scan
--max-hits` under an address-space limit (RLIMIT_AS)."""
import os
import resource
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from kgenint._kernels.cooccurrence import pair_histograms
from kgenint.errors import InputError
import importlib

cmod = importlib.import_module("kgenint.interactions.cooccurrence")  # the module (the package attribute is the function)
from kgenint.interactions.cooccurrence import (
    CooccurrenceScan,
    cooccurrence,
    fisher_pvalues,
)
from kgenint.interactions.pair_table import bh_qvalues, check_pair_table

ROOT = Path(__file__).resolve().parents[1]


# ----------------------------------------------------------------------------- dense reference
def dense_reference(hits, groups, K, max_distance, bin_size, window, allow_overlap, alternative, null):
    """The dense implementation this package used before the bounded one (counts, presence,
    Fisher, odds, BH over every observed cell), on arrays (2, K, K, D, 4)."""
    g = np.asarray(groups, dtype=np.int64)
    seq, motif = hits["seq"].to_numpy(np.int64), hits["motif"].to_numpy(np.int64)
    start, end = hits["start"].to_numpy(np.int64), hits["end"].to_numpy(np.int64)
    strand = (hits["strand"].to_numpy() == "-").astype(np.int64)
    order = np.lexsort((start, seq))
    seq, motif, start, end, strand = (a[order] for a in (seq, motif, start, end, strand))
    seg = np.searchsorted(seq, np.arange(len(g) + 1)).astype(np.int64)
    pc, sc = pair_histograms(seg, motif, start, end, strand, g, K, max_distance, bin_size, window, allow_overlap, 2, 1)
    pc, sc = pc[::-1].copy(), sc[::-1].copy()
    cnt = np.zeros((len(g), K), dtype=np.int64)
    np.add.at(cnt, (seq, motif), 1)
    presence = np.zeros((2, K, K, 4), dtype=np.int64)
    for gi, gv in enumerate((1, 0)):
        c = cnt[g == gv]
        pres = (c > 0).astype(np.int64)
        n = c.shape[0]
        both = pres.T @ pres
        tot = pres.sum(axis=0)
        presence[gi, :, :, 3] = both
        presence[gi, :, :, 1] = tot[:, None] - both
        presence[gi, :, :, 2] = tot[None, :] - both
        presence[gi, :, :, 0] = n - both - presence[gi, :, :, 1] - presence[gi, :, :, 2]
        two, one = (c >= 2).sum(axis=0), (c == 1).sum(axis=0)
        idx = np.arange(K)
        presence[gi, idx, idx] = np.stack([n - one - two, one, np.zeros(K, np.int64), two], axis=1)
    shape = sc.shape[1:]
    n1, n2 = int((g == 1).sum()), int((g == 0).sum())
    x = sc[0].ravel()
    t = x + sc[1].ravel()
    p = np.full(x.shape, np.nan)
    obs = t > 0
    if null == "marginal":
        m1, m2 = np.full(shape, n1), np.full(shape, n2)
    else:
        m1 = np.broadcast_to(presence[0, :, :, 3][:, :, None, None], shape)
        m2 = np.broadcast_to(presence[1, :, :, 3][:, :, None, None], shape)
    p[obs] = fisher_pvalues(x[obs], m1.ravel()[obs], t[obs], (m1 + m2).ravel()[obs], alternative)
    p = p.reshape(shape)
    odds = ((sc[0] + 0.5) / (m1 - sc[0] + 0.5)) / ((sc[1] + 0.5) / (m2 - sc[1] + 0.5))
    odds = np.where(np.isfinite(p), odds, np.nan)
    return dict(pair_counts=pc, seq_counts=sc, p=p, q=bh_qvalues(p), odds_ratio=odds, presence=presence)


def dense_pairs(ref, names, distances, presence):
    """The pair table of the dense implementation (loop over pairs; columns p, q)."""
    from scipy import stats

    p, K, rows = ref["p"], len(names), []
    orients = ("++", "+-", "-+", "--")
    for a in range(K):
        for b in range(a, K):
            blocks = [(a, b)] if a == b else [(a, b), (b, a)]
            ps = np.concatenate([p[i, j].ravel() for i, j in blocks])
            ok = np.isfinite(ps)
            lor, pp = np.nan, np.nan
            if presence and a != b:
                c = ref["presence"][:, a, b, :].astype(np.float64) + 0.5
                lo = np.log(c[0] / c[1])
                lor = float(lo[3] - lo[1] - lo[2] + lo[0])
                pp = float(2 * stats.norm.sf(abs(lor) / float(np.sqrt((1.0 / c).sum()))))
            if not ok.any() and not np.isfinite(pp):
                continue
            if ok.any():
                k = int(np.nanargmin(ps))
                blk, rest = divmod(k, p.shape[2] * 4)
                di, oi = divmod(rest, 4)
                i, j = blocks[blk]
                pg = float(min(1.0, ps[k] * ok.sum()))
                cell = dict(distance=int(distances[di]), orientation=orients[oi],
                            odds_ratio=float(ref["odds_ratio"][i, j, di, oi]), p_cell=float(ps[k]))
            else:
                i, j, pg = a, b, 1.0
                cell = dict(distance=0, orientation="++", odds_ratio=np.nan, p_cell=np.nan)
            use = np.isfinite(pp) and pp < pg
            rows.append(dict(motif_a=names[i], motif_b=names[j], **cell, n_cells=int(ok.sum()), p_geometry=pg,
                             presence_log_or=lor, p_presence=pp,
                             effect=lor if use else float(np.log(cell["odds_ratio"])),
                             p=float(min(1.0, (pp if use else pg) * (2 if np.isfinite(pp) else 1)))))
    df = pd.DataFrame(rows)
    df["q"] = bh_qvalues(df["p"].to_numpy())
    return df.sort_values("p", kind="mergesort").reset_index(drop=True)


def random_hits(S, K, per_seq, L, w, seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, per_seq, S)
    seq = np.repeat(np.arange(S), n)
    start = rng.integers(0, L - w, seq.size)
    # a planted geometry in part of group 1 so that some cells are strongly enriched
    return pd.DataFrame({"seq": seq, "motif": rng.integers(0, K, seq.size), "start": start, "end": start + w,
                         "strand": np.where(rng.random(seq.size) < 0.5, "+", "-")})


CASES = [  # K, max_distance, bin_size, window, allow_overlap, alternative, null
    (3, 40, 1, 0, False, "two-sided", "conditional"),
    (5, 30, 3, 1, True, "greater", "marginal"),
    (8, 60, 2, 0, False, "less", "conditional"),
    (12, 50, 1, 2, False, "two-sided", "marginal"),
    (12, 80, 5, 0, True, "greater", "conditional"),
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("K,md,bs,win,ov,alt,null", CASES)
def test_blocks_equal_dense_reference(monkeypatch, seed, K, md, bs, win, ov, alt, null):
    hits = random_hits(S=90, K=K, per_seq=14, L=200, w=6, seed=seed)
    groups = np.random.default_rng(seed + 10).choice([-1, 0, 1], size=90, p=[0.1, 0.45, 0.45])
    ref = dense_reference(hits, groups, K, md, bs, win, ov, alt, null)
    names = [f"m{k}" for k in range(K)]
    kw = dict(motif_names=names, max_distance=md, bin_size=bs, window=win, allow_overlap=ov, alternative=alt,
              null=null)
    one = cooccurrence(hits, groups, **kw)  # one block (default ceiling)
    plan = cmod._plan
    monkeypatch.setattr(cmod, "_plan", lambda *a: (1,) + plan(*a)[1:])  # one motif per block
    rows = cooccurrence(hits, groups, **kw)
    for res in (one, rows):
        assert res.complete and res.n_tests == int(np.isfinite(ref["p"]).sum())
        for k in ("pair_counts", "seq_counts"):
            assert np.array_equal(getattr(res, k), ref[k]), k
        np.testing.assert_array_equal(res.presence, ref["presence"])
        for k in ("p", "q", "odds_ratio"):
            np.testing.assert_allclose(getattr(res, k), ref[k], rtol=1e-12, atol=0, equal_nan=True, err_msg=k)
        for presence in (False, True):
            got, want = res.pairs(presence=presence), dense_pairs(ref, names, res.distances, presence)
            check_pair_table(got)
            for col in ("motif_a", "motif_b", "distance", "orientation", "n_cells"):
                assert got[col].tolist() == want[col].tolist(), col
            for col in ("odds_ratio", "p_cell", "p_geometry", "presence_log_or", "p_presence", "effect", "p", "q"):
                np.testing.assert_allclose(got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-12, atol=0,
                                           equal_nan=True, err_msg=col)
            np.testing.assert_array_equal(got["p_value"], got["p"])
    # the cell table: observed cells by p, as the dense table was
    tab = one.to_frame()
    assert len(tab) == one.n_tests and np.all(np.diff(tab["p"].to_numpy()) >= 0)
    assert one.to_frame(top=7).equals(tab.head(7))


@pytest.mark.parametrize("seed", [2, 3])
def test_memory_ceiling_keeps_smallest_p_values_and_exact_pairs(monkeypatch, seed):
    K = 10
    hits = random_hits(S=200, K=K, per_seq=20, L=300, w=6, seed=seed)
    groups = np.tile([1, 0], 100)
    full = cooccurrence(hits, groups, max_distance=60)
    monkeypatch.setattr(cmod, "_KEPT_CELL_BYTES", 10**6)  # room for a few hundred cells
    cut = cooccurrence(hits, groups, max_distance=60, max_memory=2**29)
    assert not cut.complete and 0 < cut.cell_index.size < full.n_tests // 4
    assert cut.n_tests == full.n_tests
    # exactly the cells with p < cutoff, with the same counts and p-values
    sel = full.cell_p_value < cut.p_value_cutoff
    np.testing.assert_array_equal(cut.cell_index, full.cell_index[sel])
    np.testing.assert_array_equal(cut.cell_seq_counts, full.cell_seq_counts[:, sel])
    np.testing.assert_array_equal(cut.cell_p_value, full.cell_p_value[sel])
    # q-values: exact below the cutoff, upper bounds above it
    qf = full.cell_q_value[sel]
    low = cut.cell_q_value < cut.p_value_cutoff
    np.testing.assert_array_equal(cut.cell_q_value[low], qf[low])
    assert np.all(cut.cell_q_value >= qf)
    # the pair table does not depend on the cut
    pd.testing.assert_frame_equal(cut.pairs(presence=True), full.pairs(presence=True))
    with pytest.raises(InputError, match="p < .*to_frame"):
        cut.seq_counts  # noqa: B018


def test_dense_views_refuse_big_scans_and_pair_cells_work(monkeypatch):
    hits = random_hits(S=40, K=4, per_seq=10, L=200, w=6, seed=4)
    res = cooccurrence(hits, np.tile([1, 0], 20), max_distance=40)
    dense = res.seq_counts
    one = res.pair_cells(1, 2)
    np.testing.assert_array_equal(one["seq_counts"], dense[:, 1, 2])
    np.testing.assert_allclose(one["p_value"], res.p[1, 2], equal_nan=True)
    monkeypatch.setattr("kgenint.interactions.cooccurrence_result.DENSE_LIMIT", 1000)
    with pytest.raises(InputError, match="sparse cells"):
        res.p  # noqa: B018
    with pytest.raises(InputError, match="not in this co-occurrence scan"):
        res.pair_cells("nope", 0)
    with pytest.raises(InputError, match="max_memory"):
        cooccurrence(hits, np.tile([1, 0], 20), max_distance=40, max_memory=10_000)
    with pytest.raises(InputError, match="positive"):
        cooccurrence(hits, np.tile([1, 0], 20), max_memory=0)
    with pytest.raises(InputError, match="n_tests"):
        bh_qvalues([0.1, 0.2], n_tests=1)


def test_bh_with_n_tests_against_full_bh():
    rng = np.random.default_rng(5)
    p = rng.random(500) ** 3
    tau = np.sort(p)[60]
    kept = p[p < tau]
    q = bh_qvalues(kept, n_tests=p.size)
    ref = bh_qvalues(p)[p < tau]
    assert np.all(q >= ref) and np.array_equal(q[q < tau], ref[q < tau])


def test_save_load_round_trip_sparse_and_dense_v1(tmp_path):
    hits = random_hits(S=60, K=5, per_seq=10, L=200, w=6, seed=6)
    res = cooccurrence(hits, np.tile([1, 0, -1], 20), max_distance=30, bin_size=2, window=1, allow_overlap=True)
    res.save(tmp_path / "c.h5")
    back = CooccurrenceScan.load(tmp_path / "c.h5")
    for k in ("cell_index", "cell_pair_counts", "cell_seq_counts", "cell_p_value", "cell_q_value", "cell_odds_ratio",
              "pair_n_cells", "pair_best_p", "pair_best_cell", "pair_best_odds", "presence", "distances"):
        np.testing.assert_array_equal(getattr(back, k), getattr(res, k), err_msg=k)
    assert (back.motif_names, back.n_tests, back.params, back.null) == (res.motif_names, res.n_tests, res.params,
                                                                         res.null)
    pd.testing.assert_frame_equal(back.pairs(), res.pairs())
    # a format-1 file (dense arrays), as written before
    with h5py.File(tmp_path / "v1.h5", "w") as h:
        h.attrs.update(kgenint_format="cooccurrence_scan", format_version=1, bin_size=2, window=1, max_distance=30,
                       alternative="two-sided", null=res.null)
        sd = h5py.string_dtype()
        h.create_dataset("motif_names", data=np.array(res.motif_names, dtype=object), dtype=sd)
        h.create_dataset("orientations", data=np.array(res.orientations, dtype=object), dtype=sd)
        for k in ("distances", "pair_counts", "seq_counts", "n_sequences", "odds_ratio", "p", "q", "presence"):
            h.create_dataset(k, data=getattr(res, k))
    old = CooccurrenceScan.load(tmp_path / "v1.h5")
    np.testing.assert_array_equal(old.cell_index, res.cell_index)
    pd.testing.assert_frame_equal(old.pairs(presence=True), res.pairs(presence=True))


# ----------------------------------------------------------------------------- under RLIMIT_AS
def _can_limit_address_space() -> bool:
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        return hard == resource.RLIM_INFINITY or hard >= 3 << 30
    except (ValueError, OSError):
        return False


def _run_limited(args, limit_bytes, timeout):
    env = dict(os.environ, PYTHONPATH=str(ROOT), NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1",
               OPENBLAS_NUM_THREADS="1")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return subprocess.run([sys.executable, "-m", "kgenint", *map(str, args)], env=env, capture_output=True, text=True,
                          check=False, timeout=timeout, preexec_fn=limit)


@pytest.mark.skipif(not _can_limit_address_space(), reason="RLIMIT_AS cannot be set to 2.5 GiB here")
def test_cooccur_hundreds_of_motifs_under_address_space_limit(tmp_path):
    """350 motifs at 1-bp bins up to 150 bp: dense counts are 2 x 350^2 x 151 x 4 x 8 bytes = 1.2 GB
    per array (the old code needed ~10 GB); the run must finish under a 2.5 GiB address space."""
    K, S, per, L = 350, 300, 60, 1000
    rng = np.random.default_rng(0)
    seq = np.repeat(np.arange(S), per)
    start = rng.integers(0, L - 10, seq.size)
    motif = rng.integers(0, K, seq.size)
    strand = np.where(rng.random(seq.size) < 0.5, "+", "-")
    # a planted pair in group 1: M1 then M2 at 30 bp, both '+'
    g1 = np.arange(0, S, 2)
    seq = np.r_[seq, g1, g1]
    start = np.r_[start, np.full(g1.size, 500), np.full(g1.size, 530)]
    motif = np.r_[motif, np.full(g1.size, 1), np.full(g1.size, 2)]
    strand = np.r_[strand, np.full(2 * g1.size, "+")]
    tsv = pd.DataFrame({"motif_id": [f"M{m}" for m in motif], "motif_alt_id": "", "sequence_name": [f"r{s}" for s in seq],
                        "start": start + 1, "stop": start + 10, "strand": strand, "score": 5.0, "p-value": 1e-4,
                        "q-value": "", "matched_sequence": ""})
    tsv.to_csv(tmp_path / "hits.tsv", sep="\t", index=False)
    (tmp_path / "g.tsv").write_text("".join(f"r{s}\t{1 - s % 2}\n" for s in range(S)))
    out = tmp_path / "c.h5"
    r = _run_limited(["cooccur", "--hits", tmp_path / "hits.tsv", "--groups", tmp_path / "g.tsv", "--out", out,
                      "--max-memory", "1", "--top", "3", "-q"], int(2.5 * 2**30), timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    res = CooccurrenceScan.load(out)
    assert len(res.motif_names) == K and res.complete
    top = res.pairs().iloc[0]
    assert {top.motif_a, top.motif_b} == {"M1", "M2"} and top.distance == 30 and top.orientation == "++"
    with pytest.raises(InputError, match="sparse cells"):
        res.seq_counts  # noqa: B018  (1.2 GB dense)
    assert r.stdout.splitlines()[1].split("\t")[:4] == ["M1", "M2", "30", "++"]


@pytest.mark.skipif(not _can_limit_address_space(), reason="RLIMIT_AS cannot be set to 2.5 GiB here")
def test_scan_max_hits_cli_under_address_space_limit(tmp_path):
    """`scan --max-hits 1000 --thresh 1` on 2 Mbp x 10 motifs: 40 M windows pass the threshold
    (about 4 GB as a table); the bounded heap keeps the run under a 2.5 GiB address space."""
    rng = np.random.default_rng(1)
    with open(tmp_path / "s.fa", "w") as fh:
        fh.writelines(f">chr{i}\n" + np.frombuffer(b"ACGT", np.uint8)[rng.integers(0, 4, 500_000)].tobytes().decode()
                     + "\n" for i in range(4))
    from kgenint.motifs.database import load_default
    from kgenint.motifs.io import write_meme

    write_meme(load_default()[:10], tmp_path / "m.meme")
    r = _run_limited(["scan", "--motifs", tmp_path / "m.meme", "--fasta", tmp_path / "s.fa", "--thresh", "1",
                      "--max-hits", "1000", "-o", tmp_path / "hits.tsv", "-q"], int(2.5 * 2**30), timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]
    rows = [ln for ln in (tmp_path / "hits.tsv").read_text().splitlines() if ln and not ln.startswith("#")]
    assert len(rows) == 1 + 1000
