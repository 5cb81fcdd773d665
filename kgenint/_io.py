"""One output discipline for every file kgenint writes.

* :func:`atomic_path` yields a unique temporary name beside the target (``tempfile.mkstemp`` in the
  same folder, never a fixed ``.tmp`` name); on success the file is fsynced, optionally checked by
  a callback (re-open and verify), given the mode a plain ``open`` would give under the current
  umask, and moved into place with ``os.replace`` (the folder is fsynced too). On any exception
  the temporary file is removed and the previous target is left untouched.
* :func:`output_lock` is an advisory lock (``fcntl.flock`` on ``<target>.lock``): a second writer
  of the same output gets a one-line :class:`~kgenint.errors.OutputError` "... is already being
  written by PID n" instead of a traceback from HDF5.
* :func:`check_overwrite` is the one overwrite policy of every command: an existing output is
  refused unless ``overwrite`` is true, which also clears stale partial state (``<target>.partial``
  and its chunk folder, orphaned temporary files of an earlier killed run).
* A full disk, a read-only folder or a permission problem while writing becomes an
  :class:`~kgenint.errors.OutputError` naming the file (the previous result is kept).

Nothing here imports numpy, h5py or TensorFlow.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import gzip
import io
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

from .errors import OutputError

__all__ = [
    "atomic_path", "atomic_open", "atomic_write_text", "output_lock", "check_overwrite",
    "file_mode", "fsync_path", "os_error_message", "remove_orphans", "is_locked", "check_hdf5", "PARTIAL_SUFFIX",
]

#: suffix of the checkpoint of a resumable command (``<out>.partial``)
PARTIAL_SUFFIX = ".partial"

_SPACE = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EFBIG)
_PERM = (errno.EACCES, errno.EPERM, errno.EROFS)


def os_error_message(err: OSError, path: str | os.PathLike | None = None) -> str:
    """A one-line, biologist-readable message for an ``OSError`` met while reading or writing."""
    where = os.fspath(path) if path is not None else (err.filename or "")
    if err.errno in _SPACE:
        what = "no space left on the device (or the disk quota is exhausted); free some space and run again"
    elif err.errno in _PERM:
        what = "permission denied or read-only file system; choose a folder you can write to"
    elif err.errno == errno.ENOENT:
        what = "no such file or folder"
    elif err.errno == errno.EISDIR:
        what = "is a folder, not a file"
    elif err.errno == errno.ENOTDIR:
        what = "a part of the path is not a folder"
    else:
        what = err.strerror or str(err)
    return f"{where}: {what}." if where else f"{what}."


def file_mode() -> int:
    """The mode a plain ``open(..., "w")`` gives a new file under the current umask (``0o666 & ~umask``)."""
    umask = None
    try:  # Linux >= 4.7: read it without changing it (os.umask is process-wide and racy in threads)
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
                    break
    except (OSError, ValueError):
        pass
    if umask is None:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def fsync_path(path: str | os.PathLike) -> None:
    """Flush a file's (or folder's) data to the disk."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if os.path.isdir(path) else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as err:  # some file systems do not fsync folders
        if err.errno not in (errno.EINVAL, errno.EBADF, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# advisory lock
_held: dict[str, list] = {}  # lock path -> [fd, count]; flock is per open file, make it re-entrant
_held_mutex = threading.Lock()


def _lock_path(target: str) -> str:
    return os.path.abspath(target) + ".lock"


def _holder(lock_path: str) -> str:
    try:
        with open(lock_path, encoding="ascii", errors="replace") as fh:
            pid = fh.read().strip()
    except OSError:
        pid = ""
    return f"PID {pid}" if pid.isdigit() else "another process"


@contextlib.contextmanager
def output_lock(target: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``<target>.lock`` while writing ``target``.

    Raises
    ------
    OutputError
        Another process holds the lock: "<target> is already being written by PID n".
    """
    lp = _lock_path(os.fspath(target))
    with _held_mutex:
        if lp in _held:
            _held[lp][1] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_mutex:
                _held[lp][1] -= 1
        return
    while True:
        try:
            fd = os.open(lp, os.O_RDWR | os.O_CREAT, file_mode())
        except OSError as err:
            raise OutputError(os_error_message(err, lp)) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(
                f"{os.fspath(target)} is already being written by {_holder(lp)}; wait for it to finish "
                f"or choose another output."
            ) from None
        # the previous holder may have removed the lock file between our open and flock
        try:
            same = os.fstat(fd).st_ino == os.stat(lp).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    with _held_mutex:
        _held[lp] = [fd, 1]
    try:
        yield
    finally:
        with _held_mutex:
            _held.pop(lp, None)
        with contextlib.suppress(OSError):
            os.unlink(lp)  # still holding it: a waiting writer re-checks the inode
        os.close(fd)


def is_locked(target: str | os.PathLike) -> bool:
    """True when another process holds the write lock of ``target``."""
    lp = _lock_path(os.fspath(target))
    if lp in _held:
        return False
    try:
        fd = os.open(lp, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


# ---------------------------------------------------------------------------------------------
def _tmp_pattern(target: str) -> str:
    d, name = os.path.split(os.path.abspath(target))
    return os.path.join(d, f".{glob.escape(name)}.*.tmp*")


def remove_orphans(target: str | os.PathLike) -> list[str]:
    """Remove the temporary files a killed writer left beside ``target`` (``.<name>.*.tmp*``).

    Call it only while holding :func:`output_lock` on ``target`` (then nobody else is writing them).
    Returns the paths removed.
    """
    gone = []
    for q in glob.glob(_tmp_pattern(os.fspath(target))):
        with contextlib.suppress(OSError):
            os.unlink(q)
            gone.append(q)
    return gone


def check_overwrite(path: str | os.PathLike | None, overwrite: bool, *, what: str = "output",
                    option: str = "--overwrite", partial: bool = True) -> None:
    """The one overwrite policy of every command.

    Parameters
    ----------
    path : path or None
        The output (``None``: standard output, nothing to check).
    overwrite : bool
        Replace an existing ``path``. It also clears stale partial state: ``<path>.partial`` (file or
        folder) and temporary files left beside ``path`` by a killed run.
    what : str
        How the message names the output (e.g. ``"--out"``).
    partial : bool
        Whether ``overwrite`` clears ``<path>.partial``.

    Raises
    ------
    OutputError
        ``path`` exists and ``overwrite`` is false; or another process is writing it; or ``path``
        is a folder or in a folder that does not exist.
    """
    if path is None or os.fspath(path) == "-":
        return
    p = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(p))
    if not os.path.isdir(folder):
        raise OutputError(f"{p}: the folder {folder} does not exist; create it first.")
    if os.path.isdir(p):
        raise OutputError(f"{p} is a folder; {what} must be a file name.")
    if is_locked(p):
        raise OutputError(f"{p} is already being written by {_holder(_lock_path(p))}; wait for it to finish "
                          f"or choose another output.")
    if os.path.lexists(p) and not overwrite:
        raise OutputError(f"{p} exists; pass {option} to replace it or choose another {what}.")
    if overwrite:
        stale = glob.glob(_tmp_pattern(p))
        if partial:
            stale += [q for q in (p + PARTIAL_SUFFIX, p + PARTIAL_SUFFIX + ".chunks") if os.path.lexists(q)]
        for q in stale:
            try:
                if os.path.isdir(q) and not os.path.islink(q):
                    shutil.rmtree(q)
                else:
                    os.unlink(q)
            except FileNotFoundError:
                pass
            except OSError as err:
                raise OutputError(os_error_message(err, q)) from None


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, *, overwrite: bool = True,
                check: Callable[[str], object] | None = None, suffix: str = "",
                lock: bool = True) -> Iterator[str]:
    """A unique temporary path beside ``target`` that replaces ``target`` on success.

    Parameters
    ----------
    target : path
        The final file.
    overwrite : bool
        When false, an existing ``target`` is refused (:class:`OutputError`) before anything is
        written.
    check : callable(tmp_path), optional
        Integrity check run on the complete temporary file before the rename (re-open and verify);
        an exception keeps the previous ``target``.
    suffix : str
        Ending of the temporary name, for writers that infer a format from it (``".keras"``, ``".png"``).
    lock : bool
        Hold :func:`output_lock` on ``target`` while writing.

    Yields
    ------
    str
        The temporary path to write (an empty file already exists there).

    Raises
    ------
    OutputError
        ``target`` exists and ``overwrite`` is false; another process is writing it; the disk is
        full, read-only or not writable (the message names the file; the previous one is kept).
    """
    target = os.fspath(target)
    folder = os.path.dirname(os.path.abspath(target))
    if not overwrite and os.path.lexists(target):
        raise OutputError(f"{target} exists; pass --overwrite to replace it or choose another output.")
    if not os.path.isdir(folder):
        raise OutputError(f"{target}: the folder {folder} does not exist; create it first.")
    ctx = output_lock(target) if lock else contextlib.nullcontext()
    with ctx:
        if lock:
            remove_orphans(target)
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp" + suffix, dir=folder)
        except OSError as err:
            raise OutputError(os_error_message(err, target)) from None
        os.close(fd)
        try:
            try:
                yield tmp
                fsync_path(tmp)
                if check is not None:
                    check(tmp)
                os.chmod(tmp, file_mode())
                os.replace(tmp, target)
                fsync_path(folder)
            except OSError as err:
                if err.errno in _SPACE + _PERM:
                    raise OutputError(os_error_message(err, target) + " The previous file, if any, is unchanged.") from err
                raise
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", *, overwrite: bool = True,
                encoding: str = "utf-8", newline: str | None = None,
                check: Callable[[str], None] | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``target`` for writing; it replaces ``target`` on success.

    A name ending in ``.gz`` is gzip-compressed. ``mode`` is ``"w"`` (text) or ``"wb"``. Other
    parameters as :func:`atomic_path`.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'. Received: mode={mode!r}")
    target = os.fspath(target)
    with atomic_path(target, overwrite=overwrite, check=check) as tmp:
        fh: IO[Any]
        if target.endswith(".gz"):
            raw = gzip.open(tmp, "wb")
            fh = cast(IO[Any], raw if mode == "wb" else io.TextIOWrapper(raw, encoding=encoding, newline=newline))
        else:
            fh = open(tmp, mode, encoding=None if mode == "wb" else encoding,  # noqa: SIM115
                      newline=None if mode == "wb" else newline)
        with fh:
            yield fh
            fh.flush()


def check_hdf5(path: str | os.PathLike) -> None:
    """Integrity check for :func:`atomic_path`: re-open an HDF5 file and read every dataset (a
    damaged or truncated write raises here, before the rename, and the previous file is kept)."""
    import h5py

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            obj[()]

    with h5py.File(path, "r") as f:
        f.visititems(visit)


def atomic_write_text(target: str | os.PathLike, text: str, *, overwrite: bool = True,
                      encoding: str = "utf-8") -> None:
    """Write ``text`` to ``target`` atomically (:func:`atomic_path`); ``.gz`` names are compressed."""
    with atomic_open(target, "w", overwrite=overwrite, encoding=encoding, newline="") as fh:
        fh.write(text)


def open_result(path: str | os.PathLike, kind: str, max_version: int, what: str):
    """Open a kgenint HDF5 result for reading after checking its header.

    Returns the open ``h5py.File`` (use it as a context manager). Raises ``InputError`` when the
    file is not HDF5, is not of ``kind`` (root attribute ``kgenint_format``), or has a
    ``format_version`` newer than ``max_version``. ``what`` names the kind in messages.
    """
    import h5py

    from .errors import InputError

    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise InputError(f"{path}: cannot open as HDF5 ({err}).") from None
    if f.attrs.get("kgenint_format") != kind:
        f.close()
        raise InputError(f"{path}: not a kgenint {what} (attribute kgenint_format missing).")
    version = int(f.attrs.get("format_version", 1))
    if version > max_version:
        f.close()
        raise InputError(f"{path}: {what} format {version} is newer than this kgenint reads ({max_version}); "
                         f"upgrade kgenint.")
    return f
