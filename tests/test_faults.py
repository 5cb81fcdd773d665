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
