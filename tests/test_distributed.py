"""Dask paths of the heavy verbs (kgenint.distributed) on a 2-worker LocalCluster.

Every distributed result is compared, bit for bit, with the single-process run of the same call;
a worker killed mid-run (the task's own process exits) must not change the result; a chunk failing
on bad input must name its chunk. One cluster for the whole module (worker start-up dominates).
"""
import os

import numpy as np
import pandas as pd
import pytest

# the models below are instances of classes in tests/dask_helpers.py: the worker processes
# import that module (the fixture puts tests/ on their PYTHONPATH)
from dask_helpers import A, B, C, FailOnN, FailOnPair, KillOnce, Pairwise
from dask_helpers import onehot as _onehot

from kgenint.attribution import attribute, load_attributions
from kgenint.distributed import ModelSpec, connect
from kgenint.errors import InputError
from kgenint.interactions.insilico import scan_pairs
from kgenint.motifs import Motif
from kgenint.motifs.scan import scan


@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed")  # the Dask tests skip cleanly without the extra
    here = os.path.dirname(os.path.abspath(__file__))
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, old) if p)  # spawned workers inherit it
    with connect(workers=2) as c:
        c.wait_for_workers(2, timeout=120)
        yield c
    if old is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = old


# ------------------------------------------------------------------------------ attribute
@pytest.mark.parametrize("seed", [0, 1])
def test_attribute_keras_identical(client, tmp_path, seed):
    """DeepSHAP with shuffle references (seeded by global sequence index) of a saved model:
    the workers' chunk files assemble to exactly the single-process file."""
    from kgenint.keras.models import deepbind

    L = 40
    model = deepbind(L, n_filters=4, kernel_size=7)
    path = str(tmp_path / "m.keras")
    model.save(path)
    x = _onehot(10, L, seed)
    opts = dict(method="deepshap", chunk_size=3, n_references=3, seed=seed, progress=False)
    ref = attribute(ModelSpec(path), x, out=tmp_path / "one.h5", **opts)
    got = attribute(ModelSpec(path), x, out=tmp_path / "dask.h5", client=client, **opts)
    a, b = load_attributions(ref), load_attributions(got)
    assert np.array_equal(a["contributions"], b["contributions"])
    assert np.array_equal(a["hypothetical"], b["hypothetical"])
    assert np.abs(a["contributions"]).sum() > 0
    # in memory too; and each worker loaded the model file once (a cache, not a pickle per task)
    c, h = attribute(path, x, client=client, **opts)
    assert np.array_equal(c, a["contributions"]) and np.array_equal(h, a["hypothetical"])
    loads = client.run(lambda: __import__("kgenint._dask")._dask._LOADS[0])
    assert all(v <= seed + 1 for v in loads.values()), loads  # one file per seed, loaded once
    if seed == 0:  # a Keras model object in memory is refused with a pointer to ModelSpec
        with pytest.raises(InputError, match="ModelSpec"):
            attribute(model, x, client=client, **opts)


def test_attribute_worker_killed_and_resume(client, tmp_path):
    """A worker dies in the middle of its chunk: Dask reruns the chunk, the file is the same. A
    checkpoint left by a single-process run is resumed by the distributed run."""
    from kgenint.attribution import stream

    L = 30
    x = _onehot(12, L, 3)
    model = Pairwise(L, 3)
    opts = dict(method="ism", chunk_size=4, progress=False)
    ref = load_attributions(attribute(model, x, out=tmp_path / "one.h5", **opts))
    got = attribute(KillOnce(model, str(tmp_path / "killed")), x, out=tmp_path / "dask.h5", client=client, **opts)
    assert os.path.exists(tmp_path / "killed")  # a worker did die
    assert np.array_equal(load_attributions(got)["contributions"], ref["contributions"])
    assert np.abs(ref["contributions"]).sum() > 0

    # resume: chunk 1 computed by the single-process path, the rest by the cluster
    out = str(tmp_path / "resume.h5")
    calls = []
    real_run = stream._run

    def one_chunk_then_stop(method, m, xc, o, s=0):
        if calls:
            raise KeyboardInterrupt
        calls.append(s)
        return real_run(method, m, xc, o, s)

    stream._run = one_chunk_then_stop
    try:
        with pytest.raises(KeyboardInterrupt):
            attribute(model, x, out=out, **opts)
    finally:
        stream._run = real_run
    assert os.path.exists(out + ".partial.chunks/0000000.h5") and not os.path.exists(out)
    attribute(model, x, out=out, client=client, **opts)
    assert np.array_equal(load_attributions(out)["contributions"], ref["contributions"])


def test_attribute_bad_chunk_is_named(client):
    L = 20
    x = _onehot(12, L, 4)
    x[9, 5] = 0  # an N in sequence 9: chunk 2 (sequences 8-11) fails
    with pytest.raises(InputError, match=r"chunk 2 \(sequences 8-11\).*cannot read N"):
        attribute(FailOnN(Pairwise(L, 4)), x, method="ism", chunk_size=4, client=client, progress=False)


# ------------------------------------------------------------------------------ scan
@pytest.mark.parametrize("seed", [0, 1])
def test_scan_identical(client, seed):
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), size=int(n))) for n in rng.integers(30, 400, size=40)]
    seqs[5] = seqs[5][:10] + "NNNN" + seqs[5][14:]
    motifs = [Motif.from_consensus(w, name=w) for w in ("TGACTCA", "GATAA", "CCAAT", "CACGTG")]
    names = [f"r{i}" for i in range(len(seqs))]
    for kw in (dict(qvalues=True), dict(max_hits=25), dict(both_strands=False)):
        with pytest.warns(UserWarning) if "max_hits" in kw else _nullcontext():
            one = scan(seqs, motifs, seq_names=names, progress=False, threshold=3e-3, **kw)
        with pytest.warns(UserWarning) if "max_hits" in kw else _nullcontext():
            many = scan(seqs, motifs, seq_names=names, progress=False, threshold=3e-3, client=client,
                        chunk_size=500, **kw)
        assert len(one) >= 25 and one["seq"].nunique() > 10
        pd.testing.assert_frame_equal(one, many, check_exact=True)
    x = _onehot(30, 200, seed)  # one-hot input
    one = scan(x, motifs, progress=False, qvalues=True, threshold=3e-3)
    assert len(one) > 25
    pd.testing.assert_frame_equal(one, scan(x, motifs, progress=False, qvalues=True, threshold=3e-3, client=client))


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def test_scan_bad_letter_names_sequence(client):
    seqs = ["ACGT" * 30] * 12
    seqs[7] = seqs[7][:50] + "J" + seqs[7][51:]
    with pytest.raises(InputError, match=r"scan of sequences \d+-\d+: sequence 'r7' \(index 7\): invalid character 'J' at position"):
        scan(seqs, [A], seq_names=[f"r{i}" for i in range(12)], progress=False, client=client, chunk_size=100)


# ------------------------------------------------------------------------------ in-silico pairs
def _scan_kw(seed):
    bg = _onehot(6, 60, seed)
    return dict(backgrounds=bg, distances=[-12, 0, 10, 20], orientations=["++", "-+"], seed=seed,
                progress=False, batch_size=64)


@pytest.mark.parametrize("seed", [0, 1])
def test_scan_pairs_identical(client, seed):
    model = Pairwise(60, seed)
    one = scan_pairs(model, [A, B, C], **_scan_kw(seed))
    many = scan_pairs(model, [A, B, C], client=client, **_scan_kw(seed))
    assert np.array_equal(one.contrasts, many.contrasts, equal_nan=True)
    assert np.array_equal(one.p, many.p, equal_nan=True)
    assert np.isfinite(one.contrasts).sum() > 100 and np.nanstd(one.contrasts) > 0
    assert one.params["n_predicted"] == many.params["n_predicted"]


def test_scan_pairs_worker_killed_and_checkpoint(client, tmp_path):
    model = Pairwise(60, 5)
    one = scan_pairs(model, [A, B, C], **_scan_kw(5))
    ck = str(tmp_path / "scan.partial")
    # a single-process run checkpoints a few pairs, then stops
    real = __import__("kgenint.interactions.insilico", fromlist=["_pair_block"])
    orig = real._pair_block
    n = []

    def stop_after_two(*a, **k):
        if len(n) == 2:
            raise KeyboardInterrupt
        n.append(1)
        return orig(*a, **k)

    real._pair_block = stop_after_two
    try:
        with pytest.raises(KeyboardInterrupt):
            scan_pairs(model, [A, B, C], checkpoint=ck, **_scan_kw(5))
    finally:
        real._pair_block = orig
    assert os.path.exists(ck)
    # the cluster resumes it, with one worker killed on its first model call
    many = scan_pairs(KillOnce(model, str(tmp_path / "killed")), [A, B, C], client=client, checkpoint=ck,
                      **_scan_kw(5))
    assert os.path.exists(tmp_path / "killed") and not os.path.exists(ck)
    assert np.array_equal(one.contrasts, many.contrasts, equal_nan=True)


def test_scan_pairs_bad_pair_is_named(client):
    with pytest.raises(RuntimeError, match=r"motif pair\(s\) .*\((A, C|C, A)\).*cannot score A with C"):
        scan_pairs(FailOnPair(Pairwise(60, 0)), [A, B, C], client=client, **_scan_kw(0))


def test_connect_to_scheduler_address(client):
    """--scheduler ADDRESS: a second client on the same scheduler gives the same hits."""
    seqs = ["".join(np.random.default_rng(3).choice(list("ACGT"), size=500)) for _ in range(6)]
    with connect(scheduler=client.scheduler.address) as c2:
        assert c2 is not client
        got = scan(seqs, [A, B, C], threshold=1e-2, progress=False, client=c2)
    pd.testing.assert_frame_equal(got, scan(seqs, [A, B, C], threshold=1e-2, progress=False))
    assert len(got) > 0


def test_connect_arguments():
    with connect() as c:
        assert c is None
    with pytest.raises(InputError, match="one of"), connect(scheduler="tcp://127.0.0.1:1", workers=2):
        pass
    with pytest.raises(InputError, match="workers must be an integer >= 1"), connect(workers=0):
        pass


# ------------------------------------------------------------------------------ training
def test_train_mirrored_strategy_one_cpu_epoch():
    """--strategy mirrored: the model is built and compiled in MirroredStrategy's scope (one CPU
    replica here) and trains; the CLI accepts the flag."""
    from kgenint.cli import build_parser
    from kgenint.keras.training import train_model

    x = _onehot(64, 30, 0)
    y = (x[:, 10:14, 0].sum(1) > 1).astype(np.float32)  # an A-rich window: learnable, both classes
    model, history, _ = train_model(x, y, arch="deepbind", epochs=1, batch_size=16, patience=0,
                                          model_kwargs={"n_filters": 4, "kernel_size": 5}, progress=False,
                                          strategy="mirrored")
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert "Mirrored" in type(model.distribute_strategy).__name__
    assert model.predict(x[:4], verbose=0).shape == (4, 1)
    with pytest.raises(InputError, match="strategy must be one of"):
        train_model(x, y, arch="deepbind", epochs=1, strategy="tpu", progress=False)
    args = build_parser().parse_args(["train", "--data", "d.h5", "--out", "m.keras", "--strategy", "mirrored"])
    assert args.strategy == "mirrored"


def test_cli_scan_workers_same_tsv(tmp_path):
    """``kgenint scan --workers 2`` writes the same FIMO TSV as the single-process command."""
    pytest.importorskip("distributed")
    from kgenint.cli import main

    rng = np.random.default_rng(7)
    fa = tmp_path / "s.fa"
    fa.write_text("".join(f">s{i}\n{''.join(rng.choice(list('ACGT'), size=300))}\n" for i in range(30)))
    meme = tmp_path / "m.meme"
    from kgenint.motifs.io import write_meme

    write_meme([Motif.from_consensus("GATAA", name="G"), Motif.from_consensus("CACGTG", name="E")], meme)
    common = ["scan", "--motifs", str(meme), "--fasta", str(fa), "--thresh", "3e-3", "--qvalues", "-q"]
    assert main([*common, "-o", str(tmp_path / "one.tsv")]) == 0
    assert main([*common, "-o", str(tmp_path / "two.tsv"), "--workers", "2"]) == 0
    one = [ln for ln in (tmp_path / "one.tsv").read_text().splitlines() if not ln.startswith("#")]
    two = [ln for ln in (tmp_path / "two.tsv").read_text().splitlines() if not ln.startswith("#")]
    assert len(one) > 10 and one == two


def test_missing_dask_says_how_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r"pip install 'kgenint\[dask\]'"), connect(workers=1):
        pass
    with connect() as c:  # nothing asked: no Dask needed
        assert c is None
