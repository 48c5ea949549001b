"""A cold `co2-estimator estimate` does only what it needs (issue 15, item 5) and nothing changes for the user.

The parser of the command given alone (the whole one on any error), the cached
catalog read a row, an index part or a bucket of names at a time (the whole
file's CRC-32 still checked first), `import estimator` loading names on first
use, the collector frozen before a program run exits. Speed itself is measured
in bench/bench_estimate.py, not here.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from estimator import cache, cli
from estimator import catalog as cat_mod
from estimator.catalog import Catalog
from estimator.errors import EstimatorError, UnknownRegionError
from estimator.names import Buckets, NameIndex, bucket
from tests.conftest import ROOT, run_cli

COMMANDS = list(cli.PARSERS)
TABLES = ("devices", "instances", "regions", "providers", "provider_regions", "intensity")
INDEXES = ("device_index", "instance_index", "region_index", "provider_index")
ESTIMATE = ("estimate", "--hardware", "A100 SXM4 80GB", "--hours", "72", "--count", "8", "--region", "gcp:us-central1")
ESTIMATE_WARM = ("-m", "estimator", *ESTIMATE)


# ---------------------------------------------------------------- the parser of one command


def _sub(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_the_parsers_are_every_command_in_help_order() -> None:
    assert list(_sub(cli.build_parser())) == COMMANDS
    assert sorted(COMMANDS) == sorted(c for c in cli.EXAMPLES if c) == sorted(cli.COMMANDS)
    for command in COMMANDS:
        assert list(_sub(cli.build_parser(command))) == [command]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_alone_has_the_help_it_has_in_the_whole_parser(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    whole = _sub(cli.build_parser())[command].format_help()
    with pytest.raises(SystemExit) as info:
        cli.main([command, "--help"])  # the quick path: only this command's parser is built
    assert info.value.code == 0
    assert capsys.readouterr().out == whole
    assert _sub(cli.build_parser(command))[command].format_help() == whole


@pytest.mark.parametrize("example", [e for c in COMMANDS for e in cli.EXAMPLES[c]])
def test_one_command_parses_its_examples_as_the_whole_parser_does(example: str) -> None:
    words = shlex.split(example)[1:]
    words = words[: words.index(">")] if ">" in words else words
    assert cli._parse(words) == cli.build_parser().parse_args(words)


def test_the_top_level_help_still_lists_every_command() -> None:
    r = run_cli("--help")
    assert r.returncode == 0
    listed = r.stdout.split("COMMAND", 2)[2]
    for command in COMMANDS:
        assert f"\n    {command} " in listed or f"\n    {command}\n" in listed, command


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("estimat", "--hours", "3"), "invalid choice: 'estimat'"),
        (("estimat", "--hours", "3"), "did you mean 'estimate'?"),
        (("regons", "--help"), "did you mean 'regions'?"),  # --help after a wrong command: still the error
        (("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--regon", "FR"), "did you mean '--region'?"),
        # the closest option of any command, as before: --requests is inference's, not estimate's
        (("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--requets", "5"), "did you mean '--requests'?"),
        (("estimate", "--hardware", "nvidia-t4", "--hours", "x"), "--hours must be a number"),
        (("estimate", "--hardware", "nvidia-t4"), "the following arguments are required: --hours"),
        (("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--version"), "unrecognized arguments: --version"),
    ],
)
def test_a_wrong_command_or_option_gets_one_line_exit_2_and_the_closest_choice(
    argv: tuple[str, ...], expected: str
) -> None:
    r = run_cli(*argv)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], r.stderr
    assert lines[0].startswith("co2-estimator")


def test_an_error_in_one_commands_parser_is_the_whole_parsers_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["estimate", "--hardware", "nvidia-t4", "--hours", "1", "--fromat", "json"]
    with pytest.raises(SystemExit) as quick:
        cli.main(argv)
    said = capsys.readouterr().err
    with pytest.raises(SystemExit) as whole:
        cli.build_parser().parse_args(argv)
    assert quick.value.code == whole.value.code == 2
    assert said == capsys.readouterr().err and "did you mean '--format'?" in said


def test_a_cold_estimate_builds_one_parser_and_imports_only_what_it_uses() -> None:
    code = (
        "import sys, argparse\n"
        "made = []\n"
        "init = argparse.ArgumentParser.__init__\n"
        "def counted(self, *a, **k):\n"
        "    made.append(k.get('prog'))\n"
        "    init(self, *a, **k)\n"
        "argparse.ArgumentParser.__init__ = counted\n"
        f"sys.argv = ['co2-estimator', *{list(ESTIMATE)!r}]\n"
        "from estimator.cli import main\n"
        "import io, contextlib\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "heavy = ('pathlib', 'shutil', 'tempfile', 'pandas', 'numpy', 'yaml', 'estimator.alternatives',\n"
        "         'estimator.preflight', 'estimator.lookup', 'estimator.batch', 'estimator.inference')\n"
        "print(len(made), sorted(m for m in heavy if m in sys.modules))\n"
    )
    subprocess.run([sys.executable, *ESTIMATE_WARM], cwd=ROOT, check=True, capture_output=True)  # cache built
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.split(" ", 1) == ["2", "[]\n"]  # the top-level parser and estimate's


# ---------------------------------------------------------------- import estimator


def test_every_public_name_resolves_and_import_estimator_stays_light() -> None:
    code = (
        "import sys, types, estimator\n"
        "light = sorted(m for m in sys.modules if m.startswith('estimator'))\n"
        "heavy = sorted(m for m in ('numpy', 'pandas', 'streamlit') if m in sys.modules)\n"
        "missing = [n for n in estimator.__all__ if isinstance(getattr(estimator, n), types.ModuleType)]\n"
        "print(light, missing, heavy, sorted(set(estimator.__all__) - set(dir(estimator))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "['estimator', 'estimator.version'] [] [] []"


def test_from_estimator_import_names_after_their_modules_loaded() -> None:
    code = (
        "import estimator.preflight, estimator.alternatives, estimator.lookup\n"
        "from estimator import preflight, alternatives, hardware, Catalog, estimate, InputError\n"
        "import estimator.catalog, estimator.api, estimator.errors\n"
        "print(preflight.__module__, alternatives.__module__, hardware.__module__, Catalog.__module__,\n"
        "      estimate.__module__, InputError.__module__, estimator.preflight is preflight)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stdout.split() == [
        "estimator.preflight",
        "estimator.alternatives",
        "estimator.lookup",
        "estimator.catalog",
        "estimator.api",
        "estimator.errors",
        "True",
    ]


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import estimator

    with pytest.raises(AttributeError, match="no attribute 'estimatee'"):
        estimator.estimatee  # noqa: B018


# ---------------------------------------------------------------- the catalog cache, read lazily


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Catalog, bytes]:
    """Copies of the shipped data files, the catalog built from them (eagerly), its cache file's bytes."""
    folder = tmp_path_factory.mktemp("data")
    paths = []
    for name in cat_mod.DATA_FILES:
        shutil.copy2(cat_mod.data_dir() / name, folder / name)
        paths.append(folder / name)
    built = cat_mod._build(paths, [])
    return paths, built, cache.encode(Catalog, built, paths)


def _load(tmp_path: Path, paths: list[Path], raw: bytes) -> Any:
    target = cache.cache_file(tmp_path)
    target.write_bytes(raw)
    target.chmod(0o600)
    return cache.load(Catalog, target, paths)


@pytest.mark.parametrize("field", [*TABLES, *INDEXES, "embodied", "industry_pue", "data_version"])
def test_each_field_read_first_from_the_cache_equals_the_built_one(
    tmp_path: Path, shipped: tuple[list[Path], Catalog, bytes], field: str
) -> None:
    paths, built, raw = shipped
    loaded = _load(tmp_path, paths, raw)  # a new load for each field: nothing read before it
    value = getattr(loaded, field)
    if field in TABLES:
        assert type(value) is cache.LazyTable and not value._rows
        assert list(value) == list(getattr(built, field))  # same ids, same order
    assert cache.equal(getattr(built, field), value)


def test_a_lookup_by_name_reads_one_bucket_of_one_tier(
    tmp_path: Path, shipped: tuple[list[Path], Catalog, bytes]
) -> None:
    paths, built, raw = shipped
    loaded = _load(tmp_path, paths, raw)
    device, hit = loaded.device("A100 SXM4 80GB")  # no id, no full name: the vendor-less tier
    assert device == built.devices["nvidia-a100-sxm4-80gb"] and not hit.loose
    tiers = loaded.device_index._tiers
    assert all(isinstance(t, Buckets) for t in tiers)
    read = [sum(b is not None for b in t._read) for t in tiers]
    assert read == [1, 1]  # one bucket of each tier looked in, of cache.TIER_BUCKETS each
    assert len(loaded.devices._rows) == 1  # and one device row decoded
    assert "_names" not in vars(loaded.device_index) and "_labels" not in vars(loaded.device_index)


def _row_span(raw: bytes, field: str) -> tuple[int, int]:
    """Where the first row of table ``field`` lies in ``raw`` (start, end)."""
    first = raw.index(b"\n")
    end = raw.index(b"\n", first + 1)
    names = [n for n, _, _ in cache._fields(cache._codecs(), Catalog)]
    main = json.loads(raw[first + 1 : end])
    positions = cache._line(raw, end + 1 + main[names.index(field)]["table"])
    start = end + 1 + next(iter(positions.values()))
    return start, raw.index(b"\n", start)


@pytest.mark.parametrize("field", TABLES)
def test_a_spoilt_byte_in_any_table_is_caught_before_anything_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: tuple[list[Path], Catalog, bytes], field: str
) -> None:
    paths, built, raw = shipped
    start, end = _row_span(raw, field)
    at = raw.index(b'"', start) + 1  # a character inside the row's first string
    spoilt = raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
    assert len(spoilt) == len(raw) and json.loads(spoilt[start:end])  # still valid JSON: only the CRC knows
    assert _load(tmp_path, paths, spoilt) is None
    # the catalog served over the spoilt file is built afresh, whichever table is read first
    folder = tmp_path / "served"
    folder.mkdir(mode=0o700)
    target = Path(cache.cache_path(folder))
    target.write_bytes(spoilt)
    target.chmod(0o600)
    monkeypatch.setenv("CO2_ESTIMATOR_CACHE_DIR", str(folder))
    sources = [*paths, *(Path(cat_mod.__file__).resolve().parent / m for m in _CODE)]
    assert cache.load(Catalog, target, sources) is None
    served = cat_mod._shipped_catalog(paths)
    first_id = next(iter(getattr(built, field)))
    assert cache.equal(getattr(served, field)[first_id], getattr(built, field)[first_id])
    assert cache.load(Catalog, target, sources) is not None  # and the file was rewritten whole


_CODE = ("catalog.py", "schema.py", "records.py", "names.py", "cache.py")


def test_str_and_path_file_names_share_one_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shipped: tuple[list[Path], Catalog, bytes]
) -> None:
    paths, built, _ = shipped
    monkeypatch.setenv("CO2_ESTIMATOR_CACHE_DIR", str(tmp_path / "c"))
    cat_mod._shipped_catalog(paths)  # written from Paths (as tests and the build see them)
    monkeypatch.setattr(cat_mod, "_build", lambda *a: pytest.fail("rebuilt: the cache was not used"))
    served = cat_mod._shipped_catalog([str(p) for p in paths])  # read from strs (as a cold start does)
    assert type(served.devices) is cache.LazyTable
    assert served.devices["nvidia-t4"] == built.devices["nvidia-t4"]
    assert cache.cache_dir() == Path(cache.cache_folder() or "") == tmp_path / "c"
    assert cache.cache_file(tmp_path) == Path(cache.cache_path(tmp_path))
    assert cache.install_dir() == Path(cache.install_folder()) == Path(cache.__file__).resolve().parent
    assert cat_mod.data_dir() == Path(cat_mod.data_folder())


# ---------------------------------------------------------------- names in buckets


def _tier() -> dict[str, set[str]]:
    return {f"name{n}": {f"id{n}", f"id{n % 7}"} for n in range(300)}


def test_buckets_are_the_tier_they_split() -> None:
    tier = _tier()
    parts: list[dict[str, list[str]]] = [{} for _ in range(8)]
    for key, ids in tier.items():
        parts[bucket(key, 8)][key] = sorted(ids)
    split = Buckets([lambda p=p: p for p in parts])  # type: ignore[misc]
    assert split.get("name42") == tier["name42"] and split.get("nobody") is None and "nobody" not in split
    assert sum(b is not None for b in split._read) <= 2  # two keys looked up: at most two buckets read
    assert dict(split) == tier and len(split) == len(tier)
    assert Buckets([]).get("x") is None and len(Buckets([])) == 0


def test_bucket_is_the_same_in_every_process() -> None:
    code = "from estimator.names import bucket; print([bucket(k, 32) for k in ('a100sxm480gb', 'usc', 'é')])"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def _outcome(index: NameIndex, query: str) -> object:
    try:
        return index.resolve(query)
    except EstimatorError as exc:  # ambiguous or unknown: the same message
        return type(exc), str(exc)


def test_an_index_with_bucketed_tiers_resolves_as_the_built_one(shipped: tuple[list[Path], Catalog, bytes]) -> None:
    _, built, _ = shipped
    state = built.region_index.to_state()
    kinds = {"UnknownRegionError": UnknownRegionError}
    tiers = []
    for tier in state["tiers"]:
        parts: list[dict[str, Any]] = [{} for _ in range(4)]
        for key, ids in tier.items():
            parts[bucket(key, 4)][key] = ids
        tiers.append(Buckets([lambda p=p: p for p in parts]))  # type: ignore[misc]
    eager = {k: state[k] for k in ("what", "error")}
    later = {k: (lambda k=k: state[k]) for k in ("exact", "bare", "labels", "names")}
    rebuilt = NameIndex.from_state(eager, kinds, {**later, "tiers": lambda: tiers})
    for query in ("FR", "gcp:us-central1", "Frankfurt", "us-east-1", "Council Bluffs", "germany", "Atlantis"):
        assert _outcome(rebuilt, query) == _outcome(built.region_index, query)
    assert cache.equal(rebuilt.to_state(), state)


# ---------------------------------------------------------------- the collector at exit


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    calls: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(True))
    return calls


def test_main_freezes_the_collector_only_when_run_as_the_program(
    frozen: list[bool], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "FR"]
    assert cli.main(argv) == 0 and frozen == []  # called with argv (a library, a test): collector untouched
    monkeypatch.setattr(sys, "argv", ["co2-estimator", *argv])
    assert cli.main() == 0 and frozen == [True]  # the program: about to exit
    out = capsys.readouterr().out.splitlines()
    assert out.count(out[0]) == 2 and "CO2e" in out[0]  # both runs printed the estimate


def test_python_m_estimator_leaves_collection_on_for_the_command() -> None:
    code = (
        "import gc, sys, runpy\n"
        "import estimator.cli as cli\n"
        "seen = []\n"
        "real = cli._run\n"
        "cli._run = lambda argv, **kw: seen.append(gc.isenabled()) or real(argv, **kw)\n"
        "sys.argv = ['x', 'hardware', 'h100', '--format', 'json']\n"
        "try:\n"
        "    runpy.run_module('estimator', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    print(seen, exc.code, gc.isenabled(), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    assert out.stderr.strip() == "[True] 0 True"
