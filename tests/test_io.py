"""kgenint._io: atomic outputs, the advisory lock and the one overwrite policy."""
from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from kgenint._io import atomic_open, atomic_path, atomic_write_text, check_overwrite, file_mode, output_lock
from kgenint.errors import InputError, OutputError


def _leftovers(folder):
    return sorted(p for p in os.listdir(folder) if p.startswith("."))


def test_atomic_path_replaces_on_success(tmp_path):
    t = tmp_path / "a.tsv"
    t.write_text("old\n")
    with atomic_path(t) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and tmp != str(t)
        assert t.read_text() == "old\n"  # nothing visible before the rename
        with open(tmp, "w") as fh:
            fh.write("new\n")
    assert t.read_text() == "new\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_atomic_path_keeps_previous_on_failure(tmp_path, exc):
    t = tmp_path / "a.tsv"
    t.write_text("old\n")
    with pytest.raises(type(exc)):
        with atomic_path(t) as tmp:
            with open(tmp, "w") as fh:
                fh.write("half")
            raise exc
    assert t.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_atomic_path_check_failure_keeps_previous(tmp_path):
    t = tmp_path / "a.h5"
    t.write_text("old")

    def check(p):
        with open(p) as fh:
            if fh.read() != "complete":
                raise InputError(f"{p}: integrity check failed")

    with pytest.raises(InputError, match="integrity"):
        with atomic_path(t, check=check) as tmp:
            with open(tmp, "w") as fh:
                fh.write("truncat")
    assert t.read_text() == "old"
    with atomic_path(t, check=check) as tmp:
        with open(tmp, "w") as fh:
            fh.write("complete")
    assert t.read_text() == "complete"


def test_unique_temporary_names(tmp_path):
    t = tmp_path / "x.txt"
    with atomic_path(t, lock=False) as a, atomic_path(t, lock=False) as b:
        assert a != b and os.path.exists(a) and os.path.exists(b)
        assert not a.endswith("x.txt.tmp") and not b.endswith("x.txt.tmp")


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_mode_follows_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        assert file_mode() == 0o666 & ~umask
        atomic_write_text(tmp_path / "m.txt", "x")
    finally:
        os.umask(old)
    assert (os.stat(tmp_path / "m.txt").st_mode & 0o777) == 0o666 & ~umask


def test_refuse_without_overwrite(tmp_path):
    t = tmp_path / "a.txt"
    t.write_text("keep")
    with pytest.raises(OutputError, match="exists; pass --overwrite"):
        atomic_write_text(t, "new", overwrite=False)
    assert t.read_text() == "keep"


def test_gzip_and_text(tmp_path):
    import gzip

    atomic_write_text(tmp_path / "a.txt.gz", "hello\n")
    with gzip.open(tmp_path / "a.txt.gz", "rt") as fh:
        assert fh.read() == "hello\n"
    with atomic_open(tmp_path / "b.bin", "wb") as fh:
        fh.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_check_overwrite_policy_and_stale_state(tmp_path):
    t = tmp_path / "out.h5"
    check_overwrite(t, False)  # nothing there: fine
    t.write_text("done")
    with pytest.raises(OutputError, match="--overwrite"):
        check_overwrite(t, False)
    (tmp_path / "out.h5.partial").write_text("stale")
    (tmp_path / "out.h5.partial.chunks").mkdir()
    (tmp_path / "out.h5.partial.chunks" / "000000.h5").write_text("stale")
    (tmp_path / ".out.h5.abc123.tmp").write_text("orphan")
    (tmp_path / "other.h5.partial").write_text("not ours")
    check_overwrite(t, True)
    assert sorted(os.listdir(tmp_path)) == ["other.h5.partial", "out.h5"]
    with pytest.raises(OutputError, match="folder"):
        check_overwrite(tmp_path / "missing" / "x.tsv", True)
    with pytest.raises(OutputError, match="is a folder"):
        check_overwrite(tmp_path, True)
    check_overwrite(None, False)
    check_overwrite("-", False)


def test_enospc_is_one_line_and_keeps_previous(tmp_path, monkeypatch):
    t = tmp_path / "a.txt"
    t.write_text("old")

    with pytest.raises(OutputError, match="no space left"):
        with atomic_path(t) as tmp:
            raise OSError(errno.ENOSPC, "No space left on device", tmp)
    assert t.read_text() == "old"
    assert _leftovers(tmp_path) == []


_HOLD = textwrap.dedent("""
    import sys, time
    from kgenint._io import output_lock
    with output_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(30)
""")


def test_second_writer_gets_pid_message(tmp_path):
    t = tmp_path / "res.h5"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen([sys.executable, "-c", _HOLD, str(t)], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(OutputError, match=rf"already being written by PID {proc.pid}"):
            with output_lock(t):
                pass
        with pytest.raises(OutputError, match="already being written"):
            atomic_write_text(t, "x")
        with pytest.raises(OutputError, match="already being written"):
            check_overwrite(t, True)
        assert not t.exists()
    finally:
        proc.kill()
        proc.wait()
    # the holder died: its kernel lock is gone, the next writer proceeds
    atomic_write_text(t, "x")
    assert t.read_text() == "x"
    assert not os.path.exists(str(t) + ".lock")


def test_lock_is_reentrant_in_one_process(tmp_path):
    t = tmp_path / "r.txt"
    with output_lock(t):
        with output_lock(t):
            atomic_write_text(t, "inner")
        assert os.path.exists(str(t) + ".lock")
    assert not os.path.exists(str(t) + ".lock")
    assert t.read_text() == "inner"


def test_check_hdf5_keeps_previous_when_the_write_is_damaged(tmp_path):
    import h5py
    import numpy as np

    from kgenint._io import check_hdf5

    t = tmp_path / "r.h5"
    with atomic_path(t, check=check_hdf5) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("a", data=np.arange(10))
    before = t.read_bytes()
    with pytest.raises(OSError):
        with atomic_path(t, check=check_hdf5) as tmp:
            with h5py.File(tmp, "w") as f:
                f.create_dataset("a", data=np.random.default_rng(0).normal(size=20000), chunks=(1000,),
                                 compression="gzip")
            size = os.path.getsize(tmp)
            with open(tmp, "r+b") as fh:  # a damaged write: the second half lost
                fh.truncate(size // 2)
    assert t.read_bytes() == before
    assert _leftovers(tmp_path) == []
