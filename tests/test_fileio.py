"""fileio: the one reader and the one writer, on real files, links, FIFOs, devices and sockets,
and every way in (cards, --data, CodeCarbon, batch) refusing special files with one line."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from estimator import fileio
from estimator.errors import FileInputError, InputError
from tests.conftest import run_cli

WHAT = "a test file"
ROOT_ONLY = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    return path


@pytest.fixture
def sock(tmp_path: Path) -> object:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


# ---------------------------------------------------------------- reading


def test_reads_a_regular_file_and_strips_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"\xef\xbb\xbfhello\r\n")
    assert fileio.read_bytes(path, what=WHAT, limit_bytes=100) == b"\xef\xbb\xbfhello\r\n"
    assert fileio.read_text(path, what=WHAT, limit_bytes=100) == "hello\r\n"
    assert fileio.read_text(path, what=WHAT, limit_bytes=100, keep_bom=True) == "\ufeffhello\r\n"
    assert fileio.read_head(path, what=WHAT, limit_bytes=3) == b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp, "is a folder; give a test file"),
        (lambda tmp: tmp / "missing.txt", "missing.txt: no such file"),
        (lambda tmp: Path("/dev/zero"), "/dev/zero: is a device, not a file; give a test file"),
        (lambda tmp: Path("/dev/null"), "/dev/null: is a device, not a file"),
    ],
)
def test_refuses_what_is_not_a_regular_file(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    for read in (fileio.read_bytes, fileio.read_text, fileio.read_head):
        with pytest.raises(FileInputError, match=message):
            read(path, what=WHAT, limit_bytes=10)


def test_refuses_a_fifo_without_blocking(fifo: Path) -> None:
    # no writer ever opens the pipe: a plain open() would wait forever
    with pytest.raises(FileInputError, match=r"pipe.csv: is a named pipe \(FIFO\), not a file"):
        fileio.read_bytes(fifo, what=WHAT, limit_bytes=10)


def test_refuses_a_socket(sock: Path) -> None:
    with pytest.raises(FileInputError, match="is a socket, not a file"):
        fileio.read_text(sock, what=WHAT, limit_bytes=10)


def test_follows_a_link_to_a_regular_file_but_not_to_a_device(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("x")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert fileio.read_text(link, what=WHAT, limit_bytes=10) == "x"
    dev = tmp_path / "zero.txt"
    dev.symlink_to("/dev/zero")
    with pytest.raises(FileInputError, match=r"zero\.txt: is a device"):
        fileio.read_bytes(dev, what=WHAT, limit_bytes=10)


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * 11)
    assert fileio.read_bytes(path, what=WHAT, limit_bytes=11) == b"a" * 11
    with pytest.raises(FileInputError, match="11 bytes is over the 10-byte limit for a test file"):
        fileio.read_bytes(path, what=WHAT, limit_bytes=10)


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"ok\x00binary", "looks binary"), (b"\xff\xfe not utf-8", r"not UTF-8 text \(byte 0\)")],
)
def test_text_refuses_binary(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "b.txt"
    path.write_bytes(data)
    with pytest.raises(FileInputError, match=message):
        fileio.read_text(path, what=WHAT, limit_bytes=100)


def test_errors_are_the_packages_own() -> None:
    assert issubclass(FileInputError, InputError) and issubclass(FileInputError, ValueError)


# ---------------------------------------------------------------- writing


def test_write_creates_with_the_umask_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    fileio.write_atomic(path, "one\r\n")
    assert path.read_bytes() == b"one\r\n"  # no newline translation
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    fileio.write_atomic(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "card.md"
    path.write_text("old")
    path.chmod(0o640)
    fileio.write_atomic(path, "new")
    assert path.read_text() == "new" and stat.S_IMODE(path.stat().st_mode) == 0o640


def test_write_refuses_a_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "card.md"
    path.write_text("old")
    path.chmod(0o444)
    with pytest.raises(FileInputError, match=r"is read-only \(mode 0444\); make it writable first \(chmod u\+w"):
        fileio.write_atomic(path, "new")
    assert path.read_text() == "old" and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["card.md"]


def test_write_goes_through_a_symlink(tmp_path: Path) -> None:
    # a Hugging Face cache snapshot: snapshots/<rev>/README.md -> ../../blobs/<hash>
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    blob = blobs / "abc123"
    blob.write_text("old")
    snap = tmp_path / "snapshots" / "rev"
    snap.mkdir(parents=True)
    link = snap / "README.md"
    link.symlink_to(Path("..", "..", "blobs", "abc123"))
    fileio.write_atomic(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(Path("..", "..", "blobs", "abc123"))
    assert blob.read_text() == "new" and link.read_text() == "new"
    assert sorted(p.name for p in blobs.iterdir()) == ["abc123"] and [p.name for p in snap.iterdir()] == ["README.md"]


@ROOT_ONLY
def test_root_editing_another_users_file_keeps_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "card.md"
    path.write_text("old")
    os.chown(path, 1234, 1234)
    path.chmod(0o604)
    fileio.write_atomic(path, "new")
    info = path.stat()
    assert (info.st_uid, info.st_gid) == (1234, 1234) and stat.S_IMODE(info.st_mode) == 0o604
    assert path.read_text() == "new"


def test_crash_mid_write_leaves_the_original(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "card.md"
    path.write_text("original")

    def boom(*_: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        fileio.write_atomic(path, "half")
    assert path.read_text() == "original"
    assert [p.name for p in tmp_path.iterdir()] == ["card.md"]


def test_crash_inside_the_context_manager_leaves_the_original(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_text("old results\n")

    def interrupted() -> None:
        with fileio.AtomicFile(path) as tmp:
            tmp.write_text("partial")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert path.read_text() == "old results\n" and [p.name for p in tmp_path.iterdir()] == ["out.csv"]
    with fileio.AtomicFile(path) as tmp:
        tmp.write_text("complete\n")
    assert path.read_text() == "complete\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp, "it is a folder"),
        (lambda tmp: tmp / "no" / "such" / "out.txt", "folder .* does not exist"),
        (lambda tmp: Path("/dev/null"), "it is a device"),
    ],
)
def test_write_refuses_folders_devices_and_missing_folders(tmp_path: Path, make: object, message: str) -> None:
    with pytest.raises(FileInputError, match=message):
        fileio.write_atomic(make(tmp_path), "x")  # type: ignore[operator]


def test_write_refuses_a_fifo(fifo: Path) -> None:
    with pytest.raises(FileInputError, match=r"named pipe \(FIFO\)"):
        fileio.write_atomic(fifo, "x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ---------------------------------------------------------------- every way in, through the CLI


def _one_line(r: object, *needles: str) -> None:
    assert r.returncode == 2, r.stderr  # type: ignore[attr-defined]
    lines = r.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr  # type: ignore[attr-defined]
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("special", ["/dev/zero", "FIFO", "DIR"])
def test_every_way_in_refuses_special_files(tmp_path: Path, special: str) -> None:
    if special == "FIFO":
        path = tmp_path / "pipe.csv"
        os.mkfifo(path)
        expected = "named pipe (FIFO)"
    elif special == "DIR":
        path = tmp_path
        expected = "is a folder"
    else:
        path = Path(special)
        expected = "is a device"
    card = tmp_path / "README.md"
    card.write_text("# model\n")
    _one_line(run_cli("card", str(path), "--hardware", "T4", "--hours", "1", "--region", "FR"), expected)
    _one_line(run_cli("card", str(card), "--from-codecarbon", str(path)), expected)
    _one_line(run_cli("from-codecarbon", str(path)), expected)
    _one_line(run_cli("estimate", "--hardware", "T4", "--hours", "1", "--data", str(path)), expected)
    _one_line(run_cli("batch", str(path), "--no-progress"), expected)
    assert card.read_text() == "# model\n"


def test_card_write_refuses_a_read_only_card_and_says_how(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n# Model\n")
    card.chmod(0o444)
    r = run_cli("card", str(card), "--hardware", "T4", "--hours", "1", "--region", "FR", "--write")
    _one_line(r, "read-only", "chmod u+w", "the file is left untouched")
    assert card.read_text() == "---\nlicense: mit\n---\n# Model\n"


def test_card_write_through_a_snapshot_symlink(tmp_path: Path) -> None:
    blob = tmp_path / "blobs" / "f00d"
    blob.parent.mkdir()
    blob.write_text("---\nlicense: mit\n---\n# Model\n")
    link = tmp_path / "README.md"
    link.symlink_to(blob)
    r = run_cli("card", str(link), "--hardware", "T4", "--hours", "1", "--region", "FR", "--write")
    assert r.returncode == 0, r.stderr
    assert link.is_symlink() and "co2_eq_emissions" in blob.read_text()


def test_batch_output_through_fileio_keeps_no_partial_file(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("hardware,hours,region\nT4,1,FR\nT4,-1,FR\n")
    out = tmp_path / "out.csv"
    out.write_text("old results\n")
    r = run_cli("batch", str(runs), "-o", str(out), "--strict", "--no-progress")
    assert r.returncode == 2 and out.read_text() == "old results\n"
    out.chmod(0o444)
    r = run_cli("batch", str(runs), "-o", str(out), "--no-progress")
    _one_line(r, "read-only")
    assert out.read_text() == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "runs.csv"]
