"""The catalog cache: JSON that cannot run code, validated, private, per install, never through a symlink."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from estimator import cache
from estimator import catalog as cat_mod
from estimator.catalog import Catalog


@pytest.fixture
def data(tmp_path: Path) -> list[Path]:
    """Copies of the shipped data files, so a test may touch them."""
    folder = tmp_path / "data"
    folder.mkdir()
    out = []
    for name in cat_mod.DATA_FILES:
        shutil.copy2(cat_mod.data_dir() / name, folder / name)
        out.append(folder / name)
    return out


def _built(data: list[Path]) -> Catalog:
    return cat_mod._build(data, [])


def test_round_trip_is_equal_and_lazy(tmp_path: Path, data: list[Path]) -> None:
    built = _built(data)
    target = cache.cache_file(tmp_path / "c")
    assert cache.store(Catalog, target, data, built)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700
    lines = target.read_bytes().split(b"\n")
    assert all(json.loads(line) is not None for line in lines)  # JSON throughout
    loaded = cache.load(Catalog, target, data)
    assert loaded is not None and loaded is not built
    assert type(loaded.devices).__name__ == "LazyTable"
    assert loaded.device("Tesla T4")[0] == built.devices["nvidia-t4"]
    assert cache.equal(built, loaded)
    assert dict(loaded.regions) == dict(built.regions)  # a Mapping like the dict it stands for
    assert pickle.loads(pickle.dumps(loaded.devices)) == dict(built.devices)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda raw: raw[:-10] + b"0123456789",  # a changed byte: the CRC-32 no longer matches
        lambda raw: raw.replace(b'"format":%d' % cache.FORMAT, b'"format":%d' % (cache.FORMAT + 1), 1),  # another
        lambda raw: raw.replace(b"\n", b"\r\n"),
        lambda raw: b"\x80\x04not json",
        lambda raw: b"",
    ],
)
def test_anything_odd_means_a_rebuild(tmp_path: Path, data: list[Path], spoil: Any) -> None:
    target = cache.cache_file(tmp_path)
    assert cache.store(Catalog, target, data, _built(data))
    target.write_bytes(spoil(target.read_bytes()))
    assert cache.load(Catalog, target, data) is None


def test_a_changed_data_file_is_never_served_from_the_cache(tmp_path: Path, data: list[Path]) -> None:
    target = cache.cache_file(tmp_path)
    assert cache.store(Catalog, target, data, _built(data))
    info = data[0].stat()
    os.utime(data[0], ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert cache.load(Catalog, target, data) is None


def test_a_pickle_planted_in_the_cache_is_never_loaded(
    tmp_path: Path, data: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (Path.touch, (tmp_path / "pwned",))

    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("pickle.load called"))
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("pickle.loads called"))
    monkeypatch.setenv("CO2_ESTIMATOR_CACHE_DIR", str(tmp_path / "shared"))
    folder = tmp_path / "shared"
    folder.mkdir()
    target = cache.cache_file(folder)
    target.write_bytes(pickle.dumps(Boom()))
    os.chmod(target, 0o600)
    catalog = cat_mod._shipped_catalog(data)
    assert catalog.devices["nvidia-t4"].tdp_w == 70
    assert not (tmp_path / "pwned").exists()
    assert json.loads(target.read_bytes().split(b"\n")[0])["header"]["format"] == cache.FORMAT  # replaced by ours


def test_a_symlink_at_the_cache_path_is_not_followed(tmp_path: Path, data: list[Path]) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    target = cache.cache_file(folder)
    good = tmp_path / "someone-elses.json"
    assert cache.store(Catalog, good, data, _built(data))  # a valid cache, but not at our path
    before = good.read_bytes()
    target.symlink_to(good)
    assert cache.load(Catalog, target, data) is None  # O_NOFOLLOW: not read through the link
    assert cache.store(Catalog, target, data, _built(data))
    assert not target.is_symlink() and good.read_bytes() == before  # the link replaced, its target untouched


def test_a_file_others_can_write_is_refused(tmp_path: Path, data: list[Path]) -> None:
    target = cache.cache_file(tmp_path)
    assert cache.store(Catalog, target, data, _built(data))
    os.chmod(target, 0o620)
    assert cache.load(Catalog, target, data) is None


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="needs root to give the file away")
def test_a_file_owned_by_someone_else_is_refused(tmp_path: Path, data: list[Path]) -> None:
    target = cache.cache_file(tmp_path)
    assert cache.store(Catalog, target, data, _built(data))
    os.chown(target, 65534, 65534)
    assert cache.load(Catalog, target, data) is None


def test_two_installs_keep_their_own_caches(tmp_path: Path, data: list[Path]) -> None:
    one = cache.cache_file(tmp_path, Path("/opt/venv-a/lib/estimator"))
    two = cache.cache_file(tmp_path, Path("/home/me/.local/pipx/venvs/co2/lib/estimator"))
    assert one != two and one.parent == two.parent
    two.write_text("the other install's cache", encoding="utf-8")
    assert cache.store(Catalog, one, data, _built(data))
    assert two.read_text(encoding="utf-8") == "the other install's cache"  # not deleted as "stale"
    # this install's file of an older version is removed
    mine = cache.cache_file(tmp_path)
    old = mine.with_name("catalog-0.0.1-" + mine.name.split("-", 2)[2])
    old.write_text("old", encoding="utf-8")
    assert cache.store(Catalog, mine, data, _built(data))
    assert not old.exists() and two.exists()


def test_header_names_the_install(tmp_path: Path, data: list[Path]) -> None:
    target = cache.cache_file(tmp_path)
    assert cache.store(Catalog, target, data, _built(data))
    head = json.loads(target.read_bytes().split(b"\n")[0])
    assert head["header"]["install"] == str(cache.install_dir())
    assert head["header"]["stamp"][0][0] == str(data[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tuple[str, ...]", tuple[str, ...]),
        ("float | None", float | None),
        ("tuple[tuple[str, float], ...]", tuple[tuple[str, float], ...]),
        ("Mapping[str, frozenset[str]]", __import__("collections.abc").abc.Mapping[str, frozenset[str]]),
        ("Device", vars(cat_mod)["Device"]),
    ],
)
def test_annotations_are_read_without_eval(text: str, expected: Any) -> None:
    assert cache.annotation(text, vars(cat_mod)) == expected


@pytest.mark.parametrize("text", ["__import__('os')", "Callable[[int], str]", "os.system", "NotAClass", "tuple[str"])
def test_annotations_outside_the_grammar_are_refused(text: str) -> None:
    with pytest.raises(cache.Unsupported):
        cache.annotation(text, vars(cat_mod))
