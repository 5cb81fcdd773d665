"""Faults: SIGKILL during writes, a full disk, two writers at once, damaged inputs (issue 18).

Every case here failed on the code before issue 18 (see the issue's numbered items) and must
keep passing. Data are tiny; the whole file runs in well under a minute on 2 cores.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")


def _cli(*args, cwd=None, env=None, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "kgenint", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env or ENV, timeout=timeout, **kw)


def _one_line_error(r, code=1):
    assert r.returncode == code, (r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    errs = [ln for ln in r.stderr.splitlines() if "error:" in ln]
    assert len(errs) == 1, r.stderr
    return errs[0]


# ---------------------------------------------------------------------------------------------
# item 3: attribute checkpoints survive SIGKILL at any instant; resume verifies finished chunks
_ATTR = textwrap.dedent("""
    import sys, numpy as np
    import kgenint.attribution.stream as st

    def fake(method, model, x, options, start=0):   # a cheap deterministic 'model': writes dominate
        pos = np.arange(x.shape[1], dtype=np.float32)[None, :, None]
        idx = np.arange(start, start + len(x), dtype=np.float32)[:, None, None]
        hyp = np.sin(pos * 0.1 + idx).astype(np.float32) * np.ones((1, 1, 4), np.float32)
        return (hyp * x).astype(np.float32), hyp

    st._run = fake
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (480, 60))]
    st.attribute(None, x, method="saliency", out=sys.argv[1], chunk_size=4, show_progress=False)
""")


def _attr_reference():
    rng = np.random.default_rng(0)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (480, 60))]
    pos = np.arange(60, dtype=np.float32)[None, :, None]
    idx = np.arange(480, dtype=np.float32)[:, None, None]
    hyp = np.sin(pos * 0.1 + idx).astype(np.float32) * np.ones((1, 1, 4), np.float32)
    return x, (hyp * x).astype(np.float32), hyp


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_attribute_sigkill_then_resume_is_exact(tmp_path, seed):
    from kgenint.attribution import load_attributions

    out = tmp_path / "attr.h5"
    rng = np.random.default_rng(seed)
    for k in range(2):  # two kills at random instants, then a clean finish
        p = subprocess.Popen([sys.executable, "-c", _ATTR, str(out)], env=ENV, stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.8, 3.0)))
        p.send_signal(signal.SIGKILL)
        p.wait()
        if out.exists():  # finished before the kill: it must be complete
            break
    else:
        r = subprocess.run([sys.executable, "-c", _ATTR, str(out)], env=ENV, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        assert sorted(os.listdir(tmp_path)) == ["attr.h5"]
    x, c, h = _attr_reference()
    d = load_attributions(out)
    np.testing.assert_array_equal(d["x"], x)
    np.testing.assert_array_equal(d["contributions"], c)
    np.testing.assert_array_equal(d["hypothetical"], h)
    left = sorted(os.listdir(tmp_path))
    # no temporary left; a lock file and the checkpoint only when killed between the final rename
    # and the clean-up (harmless: the next writer reuses the lock file, --overwrite clears the rest)
    assert left[0] == "attr.h5" and all(q.startswith("attr.h5.") and not q.endswith("tmp") for q in left[1:]), left
    with h5py.File(out) as f:  # storage chunks never span two work chunks
        assert 4 % f["contributions"].chunks[0] == 0


def test_attribute_resume_redoes_damaged_chunk(tmp_path, monkeypatch, caplog):
    import kgenint.attribution.stream as st
    from kgenint.attribution import load_attributions

    ns: dict = {}
    exec(_ATTR.split("st._run = fake")[0], ns)  # the fake model only
    monkeypatch.setattr(st, "_run", ns["fake"])
    x, c, h = _attr_reference()
    x, c, h = x[:12], c[:12], h[:12]
    out = tmp_path / "a.h5"
    calls = {"n": 0}

    def stop_at_third(*a, **k):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return ns["fake"](*a, **k)

    monkeypatch.setattr(st, "_run", stop_at_third)
    with pytest.raises(KeyboardInterrupt):
        st.attribute(None, x, method="saliency", out=out, chunk_size=3, show_progress=False)
    chunk = tmp_path / "a.h5.partial.chunks" / "0000001.h5"
    assert chunk.exists()
    raw = bytearray(chunk.read_bytes())
    raw[-200:] = b"\xff" * 200  # damage the data of a finished chunk
    chunk.write_bytes(bytes(raw))
    # a reader refuses the checkpoint and says what to rerun
    from kgenint.errors import InputError
    from kgenint.seqlets import load_attributions as seqlets_load

    with pytest.raises(InputError, match="unfinished run"):
        seqlets_load(tmp_path / "a.h5.partial")
    monkeypatch.setattr(st, "_run", ns["fake"])
    with caplog.at_level("WARNING", logger="kgenint"):
        st.attribute(None, x, method="saliency", out=out, chunk_size=3, show_progress=False)
    assert "damaged" in caplog.text
    d = load_attributions(out)
    np.testing.assert_array_equal(d["contributions"], c)
    np.testing.assert_array_equal(d["hypothetical"], h)
    with pytest.raises(InputError, match="exists; pass --overwrite"):
        st.attribute(None, x, method="saliency", out=out, chunk_size=3, show_progress=False)
    st.attribute(None, x, method="saliency", out=out, chunk_size=4, show_progress=False, overwrite=True)


# ---------------------------------------------------------------------------------------------
# item 1: seqlets refuses unfinished attribution files
def _attr_file(path, done):
    rng = np.random.default_rng(5)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (6, 30))]
    with h5py.File(path, "w") as f:
        f.attrs.update(kgenint_format="attributions", format_version=1, method="saliency", output=0,
                       config_hash="x", chunk_size=3, params="{}")
        f["x"] = x
        f["contributions"] = x * 0.5
        f["done"] = np.asarray(done, bool)
        f["sequence_ids"] = np.array([f"s{i}" for i in range(6)], dtype=object).astype("S")


@pytest.mark.parametrize("name,done", [("a.h5.partial", [True, True]), ("a.h5", [True, False]),
                                       ("b.h5", [True])])
def test_seqlets_refuses_unfinished_attributions(tmp_path, name, done):
    _attr_file(tmp_path / name, done)
    r = _cli("seqlets", "--attributions", tmp_path / name, "--out", tmp_path / "m.h5")
    line = _one_line_error(r)
    assert "again" in line and name in line
    assert not (tmp_path / "m.h5").exists()


# ---------------------------------------------------------------------------------------------
# shared small inputs
@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A FASTA file (4 x 400 bp), a MEME file (6 JASPAR motifs), their hits, a groups TSV."""
    from kgenint.motifs.database import load_default
    from kgenint.motifs.io import write_meme
    from kgenint.motifs.scan import scan, write_fimo_tsv
    from kgenint.sequence import write_fasta

    d = tmp_path_factory.mktemp("small")
    rng = np.random.default_rng(11)
    seqs = ["".join(rng.choice(list("ACGT"), size=400)) for _ in range(4)]
    ids = [f"r{i}" for i in range(4)]
    write_fasta(d / "s.fa", ids, seqs)
    motifs = load_default()[:6]
    write_meme(motifs, d / "m.meme")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hits = scan(seqs, motifs, threshold=1e-2, seq_names=ids, progress=False)
    write_fimo_tsv(hits, d / "hits.tsv")
    (d / "groups.tsv").write_text("name\tgroup\nr0\t1\nr1\t1\nr2\t0\nr3\t0\n")
    return d


def _complete_tsv(text: str) -> bool:
    return text.startswith("motif_id\t") and text.rstrip("\n").splitlines()[-1].startswith("# kgenint")


# ---------------------------------------------------------------------------------------------
# item 7: one overwrite policy for every command; modes from the umask (item 8)
def test_scan_refuses_existing_output_then_overwrites_with_umask_mode(small, tmp_path):
    out = tmp_path / "hits.tsv"
    out.write_text("previous result\n")
    r = _cli("scan", "--motifs", small / "m.meme", "--fasta", small / "s.fa", "--thresh", "1e-2", "-o", out)
    assert "exists; pass --overwrite" in _one_line_error(r)
    assert out.read_text() == "previous result\n"
    r = _cli("scan", "--motifs", small / "m.meme", "--fasta", small / "s.fa", "--thresh", "1e-2", "-o", out,
             "--overwrite", preexec_fn=lambda: os.umask(0o027))
    assert r.returncode == 0, r.stderr
    assert _complete_tsv(out.read_text())
    assert (out.stat().st_mode & 0o777) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["hits.tsv"]


@pytest.mark.parametrize("argv", [
    ["compare", "--query", "{m}", "-o", "{out}"],
    ["simulate", "--n", "50", "--out", "{out}"],
    ["train", "--data", "{m}", "--out", "{out}.keras"],
    ["cooccur", "--hits", "{hits}", "--groups", "{groups}", "--out", "{out}"],
    ["cooccur", "--hits", "{hits}", "--groups", "{groups}", "--out", "{fresh}", "--table", "{out}"],
    ["seqlets", "--attributions", "{m}", "--out", "{out}"],
    ["seqlets", "--attributions", "{m}", "--out", "{fresh}", "--tsv", "{out}"],
    ["simulate", "--n", "50", "--out", "{fresh}", "--fasta", "{out}"],
])
def test_every_command_refuses_existing_outputs(small, tmp_path, argv):
    out = tmp_path / "res"
    for p in (out, tmp_path / "res.keras"):
        p.write_text("keep me")
    args = [a.format(m=small / "m.meme", out=out, hits=small / "hits.tsv", groups=small / "groups.tsv",
                     fresh=tmp_path / "new.h5") for a in argv]
    r = _cli(*args)
    assert "--overwrite" in _one_line_error(r)
    assert out.read_text() == "keep me" and (tmp_path / "res.keras").read_text() == "keep me"
    assert not (tmp_path / "new.h5").exists()  # refused before any work


# ---------------------------------------------------------------------------------------------
# item 6: two writers of one output
def test_second_writer_gets_one_line(small, tmp_path):
    out = tmp_path / "hits.tsv"
    hold = ("import sys, time\nfrom kgenint._io import output_lock\nwith output_lock(sys.argv[1]):\n"
            "    print('locked', flush=True)\n    time.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", hold, str(out)], stdout=subprocess.PIPE, text=True, env=ENV)
    try:
        assert p.stdout.readline().strip() == "locked"
        r = _cli("scan", "--motifs", small / "m.meme", "--fasta", small / "s.fa", "-o", out, "--overwrite")
        assert f"already being written by PID {p.pid}" in _one_line_error(r)
    finally:
        p.kill()
        p.wait()
    assert not out.exists()


# ---------------------------------------------------------------------------------------------
# item 2: SIGKILL while writing a TSV / HDF5 keeps the previous result or leaves the new one whole
@pytest.mark.parametrize("seed", [0, 1])
def test_sigkill_during_scan_output_keeps_a_whole_file(small, tmp_path, seed):
    out = tmp_path / "hits.tsv"
    out.write_text("previous result\n")
    rng = np.random.default_rng(seed)
    cmd = [sys.executable, "-m", "kgenint", "scan", "--motifs", str(small / "m.meme"), "--fasta",
           str(small / "s.fa"), "--thresh", "0.5", "-o", str(out), "--overwrite", "-q"]
    p = subprocess.Popen(cmd, env=ENV, stderr=subprocess.DEVNULL)
    time.sleep(float(rng.uniform(0.5, 2.5)))
    p.send_signal(signal.SIGKILL)
    p.wait()
    text = out.read_text()
    assert text == "previous result\n" or _complete_tsv(text)
    r = subprocess.run(cmd, env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert _complete_tsv(out.read_text())
    assert sorted(os.listdir(tmp_path)) == ["hits.tsv"]  # the orphaned temporary was removed


def test_sigkill_during_simulate_keeps_a_readable_file(tmp_path):
    from kgenint.simulate import load

    out = tmp_path / "sim.h5"
    cmd = [sys.executable, "-m", "kgenint", "simulate", "--n", "400", "--out", str(out), "-q",
           "--overwrite"]
    t0 = time.perf_counter()
    assert subprocess.run(cmd, env=ENV, capture_output=True, timeout=120).returncode == 0
    took = time.perf_counter() - t0
    before = out.read_bytes()
    p = subprocess.Popen(cmd + ["--seed", "7"], env=ENV, stderr=subprocess.DEVNULL)
    time.sleep(float(np.random.default_rng(3).uniform(0.6, 1.0)) * took)  # late: while writing
    p.send_signal(signal.SIGKILL)
    p.wait()
    if out.read_bytes() != before:  # the new one arrived whole
        load(out)
    load(out)


# ---------------------------------------------------------------------------------------------
# items 2 and 5: a full disk (a small tmpfs in a user + mount namespace)
def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0


FULL_DISK = textwrap.dedent("""
    set -e
    mount -t tmpfs -o size=256k tmpfs "$DISK"
    printf 'previous result\\n' > "$DISK/hits.tsv"
    cp "$GROUPS" "$DISK/g.tsv"
    dd if=/dev/zero of="$DISK/filler" bs=4k count=1000 2>/dev/null || true
    set +e
    "$PY" -m kgenint scan --motifs "$MEME" --fasta "$FASTA" --thresh 0.5 -o "$DISK/hits.tsv" --overwrite -q
    echo "rc_scan=$?"
    "$PY" -m kgenint cooccur --hits "$HITS" --groups "$GROUPS" --out "$DISK/c.h5" --max-distance 300 -q
    echo "rc_cooccur=$?"
    cat "$DISK/hits.tsv"
    ls -a "$DISK"
""")


@pytest.mark.skipif(not _can_unshare(), reason="needs 'unshare -rm' (user + mount namespaces) for a small tmpfs")
def test_full_disk_is_one_line_and_keeps_previous(small, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    env = dict(ENV, DISK=str(disk), PY=sys.executable, MEME=str(small / "m.meme"), FASTA=str(small / "s.fa"),
               HITS=str(small / "hits.tsv"), GROUPS=str(small / "groups.tsv"))
    r = subprocess.run(["unshare", "-rm", "sh", "-c", FULL_DISK], env=env, capture_output=True, text=True,
                       timeout=240)
    assert "rc_scan=1" in r.stdout and "rc_cooccur=1" in r.stdout, (r.stdout, r.stderr[-3000:])
    assert "Traceback" not in r.stderr and "Segmentation" not in r.stderr
    assert r.stderr.count("no space left") == 2, r.stderr
    assert "previous result" in r.stdout  # the old TSV is intact
    listing = r.stdout.split("previous result", 1)[1].split()
    assert not [q for q in listing if q.endswith(".tmp") or q == "c.h5"], listing


# ---------------------------------------------------------------------------------------------
# item 5: tracebacks that became one-line messages
def test_decode_and_damaged_inputs_are_one_line(small, tmp_path):
    utf16 = tmp_path / "groups16.tsv"
    utf16.write_bytes((small / "groups.tsv").read_text().encode("utf-16"))
    r = _cli("cooccur", "--hits", small / "hits.tsv", "--groups", utf16, "--out", tmp_path / "c.h5")
    assert "UTF-16" in _one_line_error(r) and str(utf16) in r.stderr
    hits16 = tmp_path / "hits16.tsv"
    hits16.write_bytes((small / "hits.tsv").read_text().encode("utf-16"))
    r = _cli("cooccur", "--hits", hits16, "--groups", small / "groups.tsv", "--out", tmp_path / "c.h5")
    assert "UTF-8" in _one_line_error(r)
    binary = tmp_path / "bg.npz"
    np.savez(binary, a=np.arange(100))
    r = _cli("scan", "--motifs", small / "m.meme", "--fasta", small / "s.fa", "--background", binary)
    assert "not text" in _one_line_error(r)
    # truncated .npz / .npy
    z = tmp_path / "a.npz"
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (20, 50))]
    np.savez_compressed(z, onehot=x, contributions=x)
    z.write_bytes(z.read_bytes()[:300])
    r = _cli("seqlets", "--attributions", z, "--out", tmp_path / "m.h5")
    assert "truncated or damaged" in _one_line_error(r)
    y = tmp_path / "a.npy"
    np.save(y, x)
    y.write_bytes(y.read_bytes()[:1000])
    r = _cli("seqlets", "--attributions", y, "--data", y, "--out", tmp_path / "m.h5")
    assert "truncated or damaged" in _one_line_error(r)


def test_corrupt_compressed_hdf5_chunk_is_one_line(tmp_path):
    p = tmp_path / "attr.h5"
    rng = np.random.default_rng(2)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, (16, 100))]
    with h5py.File(p, "w") as f:
        f.create_dataset("x", data=x)
        f.create_dataset("contributions", data=x * rng.normal(size=x.shape).astype(np.float32),
                         chunks=(4, 100, 4), compression="gzip")
        off = f["contributions"].id.get_chunk_info(1).byte_offset
    raw = bytearray(p.read_bytes())
    raw[off + 10: off + 60] = b"\x00" * 50
    p.write_bytes(bytes(raw))
    r = _cli("seqlets", "--attributions", p, "--out", tmp_path / "m.h5")
    assert str(p) in _one_line_error(r)


def test_threads_zero_is_a_usage_error(small):
    r = _cli("scan", "--fasta", small / "s.fa", "--threads", "0")
    assert r.returncode == 2 and "--threads" in r.stderr and "Traceback" not in r.stderr


def test_verbose_keeps_the_traceback_of_an_expected_failure(small, tmp_path):
    r = _cli("scan", "--fasta", tmp_path / "missing.fa", "-v")
    assert r.returncode == 1 and "Traceback" in r.stderr and "error:" in r.stderr


def test_interrupt_message_says_what_is_kept(monkeypatch, capsys, small):
    import kgenint.cli.cmd_scan as cs
    from kgenint.cli import main

    def boom(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cs, "run", boom)
    assert main(["scan", "--fasta", str(small / "s.fa")]) == 130
    err = capsys.readouterr().err
    assert "finished chunks are kept" not in err and "unchanged" in err


@pytest.mark.skipif(not _can_unshare(), reason="needs 'unshare -rm' to make the install read-only")
def test_numba_without_writable_cache_falls_back_with_warning(small, tmp_path):
    script = 'mount --bind "$ROOT" "$ROOT" && mount -o remount,ro,bind "$ROOT" && exec "$@"'
    env = {k: v for k, v in ENV.items() if k != "NUMBA_CACHE_DIR"}
    env.update(HOME=str(tmp_path / "nohome"), XDG_CACHE_HOME="/proc/kgenint-no-cache", ROOT=str(ROOT))
    (tmp_path / "nohome").mkdir()
    os.chmod(tmp_path / "nohome", 0o500)
    # the old code died at import (cache=True needs a locator when a kernel is decorated)
    code = "import kgenint.motifs.scan, kgenint.interactions.cooccurrence, kgenint.seqlets; print('imported')"
    r = subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", sys.executable, "-c", code],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "no writable Numba cache" in r.stderr and "imported" in r.stdout


# ---------------------------------------------------------------------------------------------
# item 8: quieter problems
def test_cooccur_refuses_hits_on_no_grouped_sequence(small, tmp_path):
    g = tmp_path / "g.tsv"
    g.write_text("other1\t1\nother2\t0\n")
    r = _cli("cooccur", "--hits", small / "hits.tsv", "--groups", g, "--out", tmp_path / "c.h5")
    assert "none of the" in _one_line_error(r)
    assert not (tmp_path / "c.h5").exists()


def test_cooccur_refuses_bad_coordinates_and_plots_file(small, tmp_path):
    bad = tmp_path / "bad.tsv"
    lines = (small / "hits.tsv").read_text().splitlines()
    f = lines[1].split("\t")
    f[3] = "0"  # 1-based start 0 = a negative 0-based coordinate
    bad.write_text("\n".join([lines[0], "\t".join(f)] + lines[2:]) + "\n")
    r = _cli("cooccur", "--hits", bad, "--groups", small / "groups.tsv", "--out", tmp_path / "c.h5")
    assert "line 2" in _one_line_error(r)
    plots = tmp_path / "plots"
    plots.write_text("a file")
    r = _cli("cooccur", "--hits", small / "hits.tsv", "--groups", small / "groups.tsv", "--out", tmp_path / "c.h5",
             "--plots", plots)
    assert "is a file" in _one_line_error(r)


def test_seqlets_tsv_mode_follows_umask(tmp_path):
    import pandas as pd

    from kgenint.cli.cmd_seqlets import _write_tsv

    class Res:
        motifs: list = []

        def seqlet_table(self):
            return pd.DataFrame({"seq": [0], "start": [1], "cluster": [-1]})

    old = os.umask(0o022)
    try:
        _write_tsv(Res(), tmp_path / "s.tsv")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "s.tsv").st_mode & 0o777) == 0o644


def _TINY_MEME(folder):
    p = folder / "tiny.meme"
    p.write_text("MEME version 4\n\nALPHABET= ACGT\n\nMOTIF T1\nletter-probability matrix:\n"
                 "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n")
    return p


def test_scan_bad_letter_names_file_and_record(tmp_path):
    fa = tmp_path / "bad.fa"
    fa.write_text(">ok\nACGTACGTACGTACGTACGT\n>chr2:100-120 peak\nACGTAC@GTACGTACGTAC\n")
    r = _cli("scan", "--fasta", fa, "--motifs", _TINY_MEME(tmp_path))
    line = _one_line_error(r)
    assert str(fa) in line and "'chr2:100-120' (index 1)" in line and "'@' at position 6" in line


# ---------------------------------------------------------------------------------------------
# item 4: bounded memory
@pytest.mark.parametrize("seed", [0, 1])
def test_scan_max_hits_while_scanning_equals_full_cut(seed):
    import warnings

    from kgenint.motifs.database import load_default
    from kgenint.motifs.scan import scan

    motifs = load_default()[10:18]
    rng = np.random.default_rng(seed)
    seqs = ["".join(rng.choice(list("ACGT"), size=int(n))) for n in rng.integers(30, 8000, 4)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for thr, n in ((1.0, 700), (1e-3, 40)):
            full = scan(seqs, motifs, threshold=thr, progress=False)
            want = full.iloc[np.sort(np.argsort(full["p_value"].to_numpy(), kind="stable")[:n])]
            got = scan(seqs, motifs, threshold=thr, max_hits=n, progress=False)
            pd_ = __import__("pandas")
            pd_.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


_LIMITED = textwrap.dedent("""
    import resource, sys, warnings
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]) << 20, int(sys.argv[1]) << 20))
    import numpy as np
    warnings.simplefilter("ignore")
    from kgenint.motifs.database import load_default
    from kgenint.motifs.scan import scan
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), size=300_000))
    h = scan([seq], load_default()[:40], threshold=1.0, max_hits=1000, progress=False)
    assert len(h) == 1000
    print("ok")
""")


def test_scan_max_hits_under_ulimit():
    """--thresh 1 on 300 kbp x 40 motifs = 24 M hits (> 2 GB as a table); the cap keeps it small."""
    r = subprocess.run([sys.executable, "-c", _LIMITED, "2500"], env=ENV, capture_output=True, text=True,
                       timeout=240)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr[-2000:]


def test_cooccur_many_motifs_runs_under_a_memory_limit(tmp_path):
    """834 motifs (a JASPAR-wide scan) used to allocate ~6.7 GB arrays and die with MemoryError;
    counted in blocks with sparse cells, the run fits in a 3 GiB address space."""
    rows = ["motif_id\tmotif_alt_id\tsequence_name\tstart\tstop\tstrand\tscore\tp-value\tq-value\tmatched_sequence"]
    for k in range(834):
        rows.append(f"M{k}\t\tr{k % 4}\t{1 + k % 300}\t{10 + k % 300}\t+\t5\t1e-4\t\t")
    (tmp_path / "hits.tsv").write_text("\n".join(rows) + "\n")
    (tmp_path / "g.tsv").write_text("r0\t1\nr1\t1\nr2\t0\nr3\t0\n")
    limit = "import resource, sys, runpy; resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30)); " \
            "sys.argv = ['kgenint'] + sys.argv[1:]; runpy.run_module('kgenint', run_name='__main__')"
    r = subprocess.run([sys.executable, "-c", limit, "cooccur", "--hits", str(tmp_path / "hits.tsv"), "--groups",
                        str(tmp_path / "g.tsv"), "--out", str(tmp_path / "c.h5")],
                       env=ENV, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    from kgenint.interactions.cooccurrence import CooccurrenceScan

    assert len(CooccurrenceScan.load(tmp_path / "c.h5").motif_names) == 834


def test_cooccurrence_library_refuses_negative_coordinates():
    import pandas as pd

    from kgenint.errors import InputError
    from kgenint.interactions.cooccurrence import cooccurrence

    hits = pd.DataFrame({"seq": [0, 0, 1], "motif": [0, 1, 0], "start": [5, -3, 2], "end": [10, 4, 7],
                         "strand": ["+", "+", "-"]})
    with pytest.raises(InputError, match="row 1"):
        cooccurrence(hits, np.array([1, 0]), motif_names=["a", "b"])
    hits.loc[1, "start"] = 3
    res = cooccurrence(hits, np.array([1, 0]), motif_names=["a", "b"], max_distance=20)
    # hand count: seq 0 (group 1) has b at 3-4 then a at 5-10, both '+': one pair (b, a) at distance 2
    assert int(res.pair_counts.sum()) == 1 and int(res.pair_counts[0, 1, 0, 2, 0]) == 1


def test_demo_warmup_only_beside_a_due_training_and_joined_before_it(tmp_path, monkeypatch):
    """The Numba warm-up starts with the run only when the full-size model is still to be
    trained, and training waits for it (a compile beside training slowed every epoch)."""
    import kgenint._warmup as warmup
    from kgenint.pipeline import Demo, DemoConfig

    events = []

    class FakeProcess:
        def join(self, timeout=None):
            events.append(("join", timeout))

        def is_alive(self):
            return False

    monkeypatch.setattr(warmup, "start_background_warmup", lambda: events.append("start") or FakeProcess())
    Demo(tmp_path / "small", DemoConfig(n=2000))._start_warmup()
    assert events == []  # small data: every stage compiles its own kernels
    demo = Demo(tmp_path / "full", DemoConfig())
    demo._start_warmup()
    assert events == ["start"] and demo._warmup is not None
    demo._finish_warmup(timeout=5.0)
    assert events == ["start", ("join", 5.0)] and demo._warmup is None
    demo._finish_warmup()  # nothing left to wait for
    assert len(events) == 2
    for name in ("model.keras", "model.metrics.json"):
        (tmp_path / "full" / name).write_text("")
    demo._start_warmup()  # the model exists: training will not run
    assert len(events) == 2
