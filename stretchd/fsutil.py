"""Atomic, private file writes and advisory locks: the only way stretchd puts bytes on disk."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from stretchd.errors import StorageWriteError
from stretchd.paths import ensure_private_dir

_WRITE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file size limit was reached",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def describe_oserror(exc: OSError) -> str:
    return _WRITE_ERRNOS.get(exc.errno or 0, exc.strerror or str(exc))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, private_dir: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a mix.

    Temp file in the same directory, fsync, ``os.replace``, fsync of the directory. On any
    failure the temp file is removed, the old file is untouched, and StorageWriteError is raised.
    ``private_dir``: the directory is stretchd's own and is made 0700; otherwise (an export, a
    systemd unit) the user's directory is created if missing but its mode is left alone.
    """
    tmp_name = None
    try:
        directory = path.parent
        if private_dir:
            ensure_private_dir(directory)
        else:
            directory.mkdir(parents=True, exist_ok=True)
        # Not tempfile: importing it costs more than the whole write on a small history.
        tmp_name = str(directory / f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            os.fchmod(fd, mode)  # O_CREAT's mode is filtered by the umask
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp_name, path)
        tmp_name = None
        fsync_dir(directory)
    except OSError as exc:
        raise StorageWriteError(
            f"could not write {path}: {describe_oserror(exc)}; the previous file is unchanged"
        ) from exc
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer of ``path`` left behind. Call with the write lock held:
    then no other writer of ``path`` is between its temp file and the replace."""
    removed = 0
    with contextlib.suppress(OSError):
        for stale in path.parent.glob(f".{path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
                removed += 1
    return removed


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on a separate lock file around a read-modify-write.

    The lock lives on its own file because the data file is replaced on every write: a lock
    on the old inode would not exclude a writer that opened the new one. Readers need no lock.
    """
    try:
        ensure_private_dir(lock_path.parent)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StorageWriteError(
            f"could not open lock file {lock_path}: {describe_oserror(exc)}; nothing was written"
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
