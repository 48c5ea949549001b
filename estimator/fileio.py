"""One reader and one writer for every file the package reads or writes.

``read_bytes`` / ``read_text`` / ``read_head`` refuse, with one line and before
reading anything, what is not a regular file (a folder, a FIFO, a device such
as ``/dev/zero``, a socket), a missing file and a file over the size limit;
``read_text`` also refuses binary and non-UTF-8 content. ``AtomicFile`` and
``write_atomic`` write a temporary file in the target's folder, fsync it and
rename it over the target: a reader sees the old file or the new one, never
half of one. They write through a symbolic link to its target (a Hugging Face
cache snapshot's README.md is a link into ``blobs/``), keep the target's mode
and owner, and refuse a read-only target. Every error is a ``FileInputError``.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from estimator.errors import FileInputError

_KINDS = (
    (stat.S_ISDIR, "is a folder"),
    (stat.S_ISFIFO, "is a named pipe (FIFO), not a file"),
    (stat.S_ISCHR, "is a device, not a file"),
    (stat.S_ISBLK, "is a block device, not a file"),
    (stat.S_ISSOCK, "is a socket, not a file"),
)


def _kind_problem(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is not a regular file, or None when it is one."""
    if stat.S_ISREG(mode):
        return None
    return next((why for test, why in _KINDS if test(mode)), "is not a regular file")


def _refuse(path: Path, problem: str, what: str) -> FileInputError:
    return FileInputError(f"{path}: {problem}; give {what}")


def _open_error(path: Path, exc: OSError, noun: str) -> FileInputError:
    """What to tell about a file that cannot be opened for reading."""
    if isinstance(exc, FileNotFoundError):
        return FileInputError(f"{path}: no such {noun}")
    if isinstance(exc, PermissionError):
        return FileInputError(f"{path}: not readable (permission denied)")
    return FileInputError(f"{path}: cannot read it ({exc.strerror or exc})")


def open_regular(path: str | os.PathLike[str], *, what: str, noun: str = "file") -> BinaryIO:
    """Open ``path`` for reading in binary, refusing anything but an existing regular file.

    The file is opened without blocking (a FIFO would otherwise wait for a
    writer) and checked on the open descriptor, so a swap between the check
    and the read is caught.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What is expected, for messages: ``"the model card (README.md)"``.
    noun : str
        The word for a missing file: ``"no such data file"``.
    """
    p = Path(path)
    try:
        info = os.stat(p)
    except OSError as exc:
        raise _open_error(p, exc, noun) from None
    problem = _kind_problem(info.st_mode)
    if problem:
        raise _refuse(p, problem, what)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:  # gone or changed since the stat
        raise _open_error(p, exc, noun) from None
    problem = _kind_problem(os.fstat(fd).st_mode)
    if problem:
        os.close(fd)
        raise _refuse(p, problem, what)
    return os.fdopen(fd, "rb")


def read_bytes(path: str | os.PathLike[str], *, what: str, limit_bytes: int, noun: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit_bytes``; anything else is refused.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What is expected, for messages.
    limit_bytes : int
        The largest size accepted [bytes]; checked before reading and while reading.
    noun : str
        The word for a missing file.
    """
    p = Path(path)
    with open_regular(p, what=what, noun=noun) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit_bytes:
            raise FileInputError(f"{p}: {size:,} bytes is over the {limit_bytes:,}-byte limit for {what}")
        try:
            data = fh.read(limit_bytes + 1)
        except OSError as exc:
            raise FileInputError(f"{p}: cannot read it ({exc.strerror or exc})") from None
    if len(data) > limit_bytes:  # it grew while we read it
        raise FileInputError(f"{p}: over the {limit_bytes:,}-byte limit for {what}")
    return data


def decode_text(name: str, data: bytes, *, what: str, keep_bom: bool = False) -> str:
    """UTF-8 text from ``data``, refusing non-UTF-8 and binary (NUL bytes) content.

    ``keep_bom`` keeps a leading byte-order mark in the text (to write it back).
    """
    try:
        text = data.decode("utf-8" if keep_bom else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileInputError(f"{name}: not UTF-8 text (byte {exc.start}); give {what}") from None
    if "\x00" in text:
        raise FileInputError(f"{name}: looks binary (NUL bytes); give {what}, which is UTF-8 text")
    return text


def read_text(
    path: str | os.PathLike[str], *, what: str, limit_bytes: int, noun: str = "file", keep_bom: bool = False
) -> str:
    """``read_bytes`` then ``decode_text``: a regular UTF-8 text file of at most ``limit_bytes``."""
    data = read_bytes(path, what=what, limit_bytes=limit_bytes, noun=noun)
    return decode_text(str(path), data, what=what, keep_bom=keep_bom)


def read_head(path: str | os.PathLike[str], *, what: str, limit_bytes: int, noun: str = "file") -> bytes:
    """The first line of a regular file (at most ``limit_bytes``), for sniffing a header."""
    with open_regular(path, what=what, noun=noun) as fh:
        try:
            return fh.readline(limit_bytes)
        except OSError as exc:
            raise FileInputError(f"{path}: cannot read it ({exc.strerror or exc})") from None


# ---------------------------------------------------------------- writing


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_target(path: str | os.PathLike[str]) -> Path:
    """Where writing ``path`` lands: the file a symbolic link points to, else ``path``."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


class AtomicFile:
    """A temporary file next to the target, renamed over it by ``commit`` only.

    Use as a context manager (``with AtomicFile(p) as tmp:`` writes to the
    path ``tmp`` and commits when the block ends without an exception) or call
    ``commit`` / ``discard`` yourself. The constructor refuses a target that is
    not a regular file, a read-only file and a missing folder; on any failure
    the temporary file is removed and the target left as it was.
    """

    def __init__(self, target: str | os.PathLike[str]) -> None:
        self.path = Path(target)
        self.target = write_target(self.path)
        self.previous: os.stat_result | None = None
        folder = self.target.parent if str(self.target.parent) else Path(".")
        try:
            self.previous = os.stat(self.target)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise FileInputError(f"cannot write {self.path}: {exc.strerror or exc}") from None
        if self.previous is not None:
            problem = _kind_problem(self.previous.st_mode)
            if problem:
                raise FileInputError(f"cannot write {self.path}: it {problem}")
            if not self.previous.st_mode & 0o222 or not os.access(self.target, os.W_OK):
                raise FileInputError(
                    f"{self.path}: is read-only (mode {stat.S_IMODE(self.previous.st_mode):04o}); "
                    f"make it writable first (chmod u+w {self.path}) or write to another file"
                )
        if not folder.is_dir():
            raise FileInputError(f"cannot write {self.path}: folder {folder} does not exist")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp", dir=folder)
        except OSError as exc:
            raise FileInputError(f"cannot write {self.path}: {exc.strerror or exc} (folder {folder})") from None
        try:
            os.close(fd)
            self.tmp = Path(name)
        except BaseException:  # a signal (SIGTERM, Ctrl-C) between the two: no temporary file is left behind
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise

    def commit(self) -> None:
        """fsync the temporary file, give it the target's owner and mode, and rename it over the target."""
        try:
            fd = os.open(self.tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            old = self.previous
            if old is None:
                os.chmod(self.tmp, 0o666 & ~_umask())
            else:
                mine = os.stat(self.tmp)
                if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
                    # root keeps another user's file theirs; a user keeps its group where allowed
                    with contextlib.suppress(PermissionError):
                        os.chown(self.tmp, old.st_uid if os.geteuid() == 0 else -1, old.st_gid)
                os.chmod(self.tmp, stat.S_IMODE(old.st_mode))
            os.replace(self.tmp, self.target)
        except BaseException:
            self.discard()
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable where the system allows
            dir_fd = os.open(self.target.parent if str(self.target.parent) else ".", os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def discard(self) -> None:
        """Remove the temporary file; the target is left as it was."""
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace the file at ``path`` (or create it) with ``data`` in one rename.

    Text is written as UTF-8 exactly as given (no newline translation).
    Raises ``FileInputError`` for a read-only target, a folder or special file,
    a missing folder, or a failed write; the target is then left as it was.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    write_with(path, lambda tmp: tmp.write_bytes(payload))


def write_with(path: str | os.PathLike[str], save: Callable[[Path], object]) -> None:
    """Replace the file at ``path`` with what ``save`` writes to the temporary path it is given.

    For writers that want a path (``DataFrame.to_parquet``): the same checks and
    guarantees as :func:`write_atomic`; any error of ``save`` leaves the target
    as it was and no temporary file behind.
    """
    atomic = AtomicFile(path)
    try:
        save(atomic.tmp)
        atomic.commit()
    except OSError as exc:
        atomic.discard()
        raise FileInputError(f"cannot write {path}: {exc.strerror or exc}; the file is left as it was") from None
    except BaseException:
        atomic.discard()
        raise
