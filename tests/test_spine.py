"""Issue 14, "Done when": one spine, Job -> resolve -> core -> Estimate, used by every way in.

- the CLI's flags, batch's columns and the app's link parameters are Job's inputs;
- ``card --from-codecarbon`` applies or refuses each estimate flag;
- batch rows equal ``estimate()`` of the same inputs, bit for bit (hypothesis);
- the import graph: core imports only errors, no import upwards, no circle, and
  ``import estimator`` loads neither numpy nor pandas;
- no function in estimator/ is longer than 80 lines;
- every error about an input names it in ``err.field``;
- and, beyond the issue's list: estimate() applies, refuses or names each input it is
  given, and the range Job states for each input (shown in --help) is what the checks allow.

Known bugs are ``xfail(strict=True)`` with a one-line reproduction in the reason.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import math
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator import cli, estimate, job, runs
from estimator.core import Estimate
from estimator.errors import EstimatorError
from tests.conftest import ROOT, run_cli

PACKAGE = ROOT / "estimator"
A100 = "nvidia-a100-sxm4-80gb"
CODECARBON_CSV = ROOT / "tests" / "data" / "codecarbon_v3.csv"


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found: argparse.ArgumentParser = sub.choices[name]
    return found


def _main(*argv: str) -> tuple[int, str, str]:
    """estimator.cli.main in this process: (exit status, stdout, stderr); argparse's exits included."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


# ---------------------------------------------------------------- every way in takes Job's inputs

# The estimate command's own options, which are about the output, not the job.
OUTPUT_OPTIONS = {"help", "format", "training_type", "score"}


def test_the_estimate_flags_are_exactly_jobs_inputs() -> None:
    actions = _subparser("estimate")._actions
    dests = [a.dest for a in actions if a.dest not in OUTPUT_OPTIONS]
    assert dests == list(job.NAMES)
    flags = {a.dest: a.option_strings for a in actions}
    for spec in job.INPUTS:
        assert flags[spec.name] == [spec.cli_flag], spec.name


def test_the_card_command_takes_every_estimate_flag() -> None:
    card = {a.dest: a.option_strings for a in _subparser("card")._actions}
    for spec in job.INPUTS:
        assert card.get(spec.name) == [spec.cli_flag], spec.name


# Valid values for each Job input, with a base they go with (some inputs need others).
FLAG_CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "hardware": (("nvidia-t4",), ("--hours", "2", "--region", "DE")),
    "hours": (("3",), ("--hardware", A100, "--region", "DE")),
    "count": (("2",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "region": (("FR",), ("--hardware", A100, "--hours", "2")),
    "pue": (("1.2",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "intensity": (("100",), ("--hardware", A100, "--hours", "2")),
    "power_w": (("300",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "utilization": (("0.5",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "instance": (("aws:p4d.24xlarge",), ("--hours", "2", "--region", "aws:us-east-1")),
    "cpu": (("amd-epyc-7742",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "cpu_count": (("2",), ("--cpu", "amd-epyc-7742", "--hours", "2", "--region", "DE")),
    "cpu_cores": (("4",), ("--cpu", "amd-epyc-7742", "--hours", "2", "--region", "DE")),
    "cpu_utilization": (("0.5",), ("--cpu", "amd-epyc-7742", "--hours", "2", "--region", "DE")),
    "memory_gb": (("64",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "provider": (("aws",), ("--hardware", A100, "--hours", "2", "--region", "us-east-1")),
    "year": (("2022",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "basis": (("marginal",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "draw_low_fraction": (("0.5",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
    "intensity_range": (("300", "500"), ("--hardware", A100, "--hours", "2", "--region", "DE", "--year", "2025")),
    "trials": (("3",), ("--hardware", A100, "--hours", "2", "--region", "DE")),
}


def test_every_input_has_a_case_here() -> None:
    assert set(FLAG_CASES) == set(job.NAMES) - {"data_files"}


@pytest.mark.parametrize("name", sorted(FLAG_CASES))
def test_each_estimate_flag_reaches_the_estimate(name: str) -> None:
    """The flag's value is in the echoed inputs, and the result equals estimate() with that keyword."""
    values, base = FLAG_CASES[name]
    flag = job.BY_NAME[name].cli_flag
    code, out, err = _main("estimate", *base, flag, *values, "--format", "json")
    assert code == 0, err
    result = json.loads(out)
    kwargs = _kwargs_of(base) | {name: _typed(name, values)}
    expected = estimate(**kwargs)
    echoed = result["inputs"][name]
    assert echoed == (list(kwargs[name]) if isinstance(kwargs[name], tuple) else kwargs[name])
    assert result["co2e_g"] == float(f"{expected.co2e_g:.12g}")  # the CLI's JSON: 12 significant digits
    try:
        without = estimate(**_kwargs_of(base))
    except EstimatorError:
        return  # the flag is what makes the job valid: it was applied
    fields = ("co2e_g", "co2e_low_g", "co2e_high_g", "intensity_year")
    before = tuple(getattr(without, f) for f in fields)
    assert tuple(result[f] for f in fields) != _clean(before), f"{flag} changed nothing"


def _clean(values: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(float(f"{v:.12g}") if isinstance(v, float) else v for v in values)


def _outcome(**kwargs: Any) -> Estimate | EstimatorError:
    """estimate(**kwargs), or the error it raises."""
    try:
        return estimate(**kwargs)
    except EstimatorError as exc:
        return exc


def _typed(name: str, values: tuple[str, ...]) -> Any:
    kind = job.BY_NAME[name].kind
    if kind == "number":
        return float(values[0])
    if kind == "whole":
        return int(values[0])
    if kind == "pair":
        return tuple(float(v) for v in values)
    return values[0]


def _kwargs_of(argv: tuple[str, ...]) -> dict[str, Any]:
    by_flag = {spec.cli_flag: spec.name for spec in job.INPUTS}
    pairs = dict(zip(argv[::2], argv[1::2], strict=True))
    return {by_flag[f]: _typed(by_flag[f], (v,)) for f, v in pairs.items()}


def test_cpu_cores_with_an_instance_is_applied_or_refused() -> None:
    plain = estimate(instance="aws:p4d.24xlarge", hours=1, region="aws:us-east-1")
    cores = _outcome(instance="aws:p4d.24xlarge", hours=1, region="aws:us-east-1", cpu_cores=4)
    if isinstance(cores, EstimatorError):
        assert cores.field == "cpu_cores"
    else:
        assert cores.co2e_g != plain.co2e_g


def test_batch_columns_are_exactly_jobs_batch_inputs() -> None:
    assert tuple(spec.name for spec in job.BATCH_INPUTS) == runs.INPUT_COLUMNS
    assert set(runs.INPUT_COLUMNS) == {s.name for s in job.INPUTS if s.batch}
    # the two Job inputs with no column: a pair and files (the command's --data)
    assert set(job.NAMES) - set(runs.INPUT_COLUMNS) == {"intensity_range", "data_files"}
    # every per-row input has its predicate (the one estimate()'s checks use)
    assert set(runs.ROW_CHECKS) == {s.name for s in job.BATCH_INPUTS if s.per_row}


# Rows that together use every batch input column; blanks are "not given".
BATCH_ROWS: list[dict[str, Any]] = [
    {"hardware": A100, "hours": 2, "count": 2, "region": "DE", "pue": 1.2, "utilization": 0.5,
     "cpu": "amd-epyc-7742", "cpu_count": 1, "cpu_utilization": 0.5, "memory_gb": 64, "year": 2022,
     "basis": "lifecycle", "trials": 3},
    {"instance": "aws:p4d.24xlarge", "hours": 1.5, "region": "us-east-1", "provider": "aws", "year": 2019},
    {"hardware": "NVIDIA A100-SXM4-80GB", "hours": 4, "region": "FR", "basis": "marginal", "draw_low_fraction": 0.5},
    {"hardware": "Tesla V100-SXM2-16GB", "hours": 1, "power_w": 250, "intensity": 100, "cpu": "amd-epyc-7742",
     "cpu_cores": 8},
]  # fmt: skip


def test_a_batch_file_with_every_input_column_goes_through_the_real_cli(tmp_path: Path) -> None:
    columns = list(runs.INPUT_COLUMNS)
    assert {c for row in BATCH_ROWS for c in row} == set(columns)
    path, out = tmp_path / "runs.csv", tmp_path / "out.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(BATCH_ROWS)
    done = run_cli("batch", str(path), "-o", str(out), "--strict", "--no-progress")
    assert done.returncode == 0, done.stderr
    with out.open(newline="", encoding="utf-8") as handle:
        table = list(csv.DictReader(handle))  # float() of the written text: exact, whatever pandas' parser
    assert len(table) == len(BATCH_ROWS)
    for i, row in enumerate(BATCH_ROWS):
        e = estimate(**row)
        got = table[i]
        assert got["error"] == "", got["error"]
        # the CSV round trip prints floats with repr: exact
        for column, value in (("energy_kwh", e.energy_kwh), ("co2e_g", e.co2e_g), ("co2e_high_g", e.co2e_high_g)):
            assert float(got[column]) == value, (i, column)
        assert (int(got["intensity_year"]) if got["intensity_year"] else None) == e.intensity_year
        assert got["zone"] == (e.region["zone"] if e.region and e.intensity_basis != "user" else "")


# ---------------------------------------------------------------- estimate() applies or refuses each input

# Jobs each input is added to; every input given must change the result, be refused, or be named in a warning.
JOBS: dict[str, dict[str, Any]] = {
    "gpu": {"hardware": A100, "hours": 2, "region": "DE"},
    "instance": {"instance": "aws:p4d.24xlarge", "hours": 2, "region": "aws:us-east-1"},
    "cpu-only": {"cpu": "amd-epyc-7742", "hours": 2, "region": "DE"},
    "own-intensity": {"hardware": A100, "hours": 2, "intensity": 300},
    "cloud": {"hardware": A100, "hours": 2, "region": "gcp:europe-west3"},
}
ADDED: dict[str, Any] = {
    "hardware": "nvidia-t4", "count": 3, "region": "FR", "pue": 1.3, "intensity": 100, "power_w": 250,
    "utilization": 0.5, "instance": "aws:g5.xlarge", "cpu": "amd-epyc-7742", "cpu_count": 2, "cpu_cores": 4,
    "cpu_utilization": 0.5, "memory_gb": 32, "provider": "aws", "year": 2022, "basis": "marginal",
    "draw_low_fraction": 0.6, "intensity_range": (10.0, 1900.0), "trials": 2,
}  # fmt: skip
SILENTLY_IGNORED: dict[tuple[str, str], str] = {}  # every input given is applied, refused or named


def _cases() -> Iterator[Any]:
    for job_name, base in JOBS.items():
        for name, value in ADDED.items():
            if name in base or (name == "draw_low_fraction" and "power_w" in base):
                continue
            reason = SILENTLY_IGNORED.get((job_name, name))
            repro = f"estimate(**{base!r}, {name}={value!r}) == estimate(**{base!r}), no warning"
            marks = [pytest.mark.xfail(strict=True, reason=f"bug: {reason}; repro: {repro}")] if reason else []
            yield pytest.param(job_name, name, marks=marks, id=f"{job_name}-{name}")


def _seen(outcome: Estimate | EstimatorError) -> tuple[Any, ...]:
    if isinstance(outcome, EstimatorError):
        return ("error", str(outcome))
    fields = ("co2e_g", "co2e_low_g", "co2e_high_g", "embodied_g", "intensity_year", "pue", "intensity_basis")
    where = ((outcome.region or {}).get("id"), (outcome.hardware or {}).get("id"))  # the place and device named
    return (*(getattr(outcome, f) for f in fields), *where)


@pytest.mark.parametrize(("job_name", "name"), list(_cases()))
def test_each_input_given_to_estimate_is_applied_refused_or_named(job_name: str, name: str) -> None:
    base = JOBS[job_name]
    before = estimate(**base)
    after = _outcome(**base, **{name: ADDED[name]})
    if isinstance(after, EstimatorError):
        assert after.field is not None, str(after)
        return
    if name == "provider" and (after.region or {}).get("provider") == ADDED[name]:
        return  # the region is that provider's: the provider agrees
    new_warnings = set(after.warnings) - set(before.warnings)
    assert _seen(after) != _seen(before) or any(name in w for w in new_warnings), f"{name} changed nothing"


# ---------------------------------------------------------------- card --from-codecarbon


def _flag_args(name: str) -> list[str]:
    """A valid value for each flag, at Job's default where it has one (the issue's 'explicit --count 1')."""
    spec = job.BY_NAME[name]
    if spec.kind == "pair":
        return [spec.cli_flag, "300", "500"]
    if spec.kind == "choice":
        return [spec.cli_flag, spec.choices[0]]
    if name == "year":
        return [spec.cli_flag, "2023"]
    if spec.kind in ("number", "whole"):
        return [spec.cli_flag, str(spec.default if spec.default is not None else 1)]
    return [spec.cli_flag, FLAG_CASES[name][0][0]]


@pytest.mark.parametrize("name", [n for n in job.NAMES if n != "data_files"])
def test_card_from_codecarbon_refuses_each_estimate_flag(name: str, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# my model\n", encoding="utf-8")
    flag = _flag_args(name)
    code, out, err = _main("card", str(readme), "--from-codecarbon", str(CODECARBON_CSV), *flag, "--write")
    assert code == 2, (flag, out, err)
    assert flag[0] in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert readme.read_text(encoding="utf-8") == "# my model\n"


def test_card_from_codecarbon_applies_data(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# my model\n", encoding="utf-8")
    ok = _main("card", str(readme), "--from-codecarbon", str(CODECARBON_CSV), "--project", "llm-pretrain")
    assert ok[0] == 0, ok[2]
    missing = tmp_path / "mine.yaml"
    code, _, err = _main(
        "card", str(readme), "--from-codecarbon", str(CODECARBON_CSV), "--project", "llm-pretrain",
        "--data", str(missing),
    )  # fmt: skip
    assert code == 2 and "mine.yaml" in err, err


# ---------------------------------------------------------------- batch rows == estimate()

HARDWARE = [A100, "NVIDIA A100-SXM4-80GB", "Tesla V100-SXM2-16GB", "nvidia-t4", "NVIDIA H100 80GB HBM3"]
REGIONS = ["DE", "FR", "IN", "US-CA", "world", "aws:us-east-1", "gcp:europe-west3", "azure:westeurope", "us-east-1"]
OPTIONAL = ("count", "pue", "intensity", "power_w", "utilization", "year", "basis", "trials")
# Beyond the brief's list, sometimes: the inputs resolved once per combination that interact with count.
RARE = ("instance", "provider", "cpu", "cpu_cores", "memory_gb", "draw_low_fraction")
INSTANCES = ["aws:p4d.24xlarge", "gcp:a2-highgpu-1g", "aws:p5.48xlarge", "aws:g5.xlarge"]

# Each input: (good values, bad values). A value is blank 1 time in 6, bad 1 time in 12.
Draw = Callable[[random.Random], Any]
VALUES: dict[str, tuple[Draw, list[Any]]] = {
    "hardware": (lambda r: r.choice(HARDWARE), ["no-such-gpu"]),
    "region": (lambda r: r.choice(REGIONS), ["eu-west-1", "atlantis"]),
    "year": (lambda r: r.randint(2019, 2026), [1800]),
    "basis": (lambda r: r.choice(["lifecycle", "marginal"]), ["bogus"]),
    "instance": (lambda r: r.choice(INSTANCES), []),
    "provider": (lambda r: r.choice(["aws", "gcp"]), []),
    "cpu": (lambda r: "amd-epyc-7742", []),
    "cpu_cores": (lambda r: r.choice([1, 8, 64, 96]), [0, -1]),
    "memory_gb": (lambda r: r.choice([16, 64.5]), []),
    "draw_low_fraction": (lambda r: r.uniform(0.05, 1.0), [0.0]),
    "hours": (lambda r: r.choice([r.uniform(0.01, 1000), r.randint(1, 500)]), [0, -1]),
    "count": (lambda r: r.choice([1, 8, r.randint(1, 16)]), [0, 1.5]),
    "pue": (lambda r: r.uniform(1.0, 3.0), [0.9]),
    "intensity": (lambda r: r.uniform(0.0, 2000.0), [2500.0]),
    "power_w": (lambda r: r.uniform(1.0, 1000.0), [-5.0]),
    "utilization": (lambda r: r.choice([1.0, r.uniform(0.01, 1.0)]), [1.5]),
    "trials": (lambda r: r.randint(1, 5), [0]),
}
# Per table, the resolved inputs come from a pool of one or two values each, so that rows share
# combinations and differ in their per-row numbers (what batch varies without resolving again).
PER_TABLE = ("hardware", "region", "year", "basis", *RARE)
RARELY_GIVEN = {"instance", "provider"}  # they conflict with hardware or narrow the region: blank 2 times in 3


def _value(name: str, rnd: random.Random) -> Any:
    good, bad = VALUES[name]
    roll = rnd.random()
    if roll < (2 / 3 if name in RARELY_GIVEN else 1 / 6):
        return None
    if bad and roll > 11 / 12:
        return rnd.choice(bad)
    return good(rnd)


@st.composite
def tables(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A table of 1 to 8 runs: random columns (hardware, hours and region always), blanks and bad values."""
    rnd = random.Random(draw(st.integers(0, 2**32)))  # hypothesis' own randoms favour edge values
    columns = ["hardware", "hours", "region", *(c for c in OPTIONAL if rnd.random() < 0.5)]
    columns += [c for c in RARE if rnd.random() < 0.25]
    pools = {c: [_value(c, rnd) for _ in range(rnd.randint(1, 2))] for c in columns if c in PER_TABLE}
    rows = []
    for _ in range(rnd.randint(1, 8)):
        rows.append({c: rnd.choice(pools[c]) if c in pools else _value(c, rnd) for c in columns})
    return rows


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables())
def test_batch_rows_equal_estimate_bit_for_bit(table: list[dict[str, Any]]) -> None:
    frame = pd.DataFrame(table, columns=list(table[0]))
    result = runs.compute(frame)
    out = result.frame
    for i, row in enumerate(table):
        kwargs = {k: v for k, v in row.items() if v is not None}
        got = out.iloc[i]
        e = _outcome(**kwargs)
        if isinstance(e, EstimatorError):
            assert got["error"] == " ".join(str(e).split()), (i, kwargs)
            assert result.columns[i] == e.field, (i, kwargs)
            assert math.isnan(got["co2e_g"])
            continue
        assert got["error"] is None, (i, kwargs, got["error"])
        for column, value in (
            ("energy_kwh", e.energy_kwh),
            ("co2e_g", e.co2e_g),
            ("co2e_low_g", e.co2e_low_g),
            ("co2e_high_g", e.co2e_high_g),
            ("embodied_g", e.embodied_g),
            ("draw_w", e.draw_w),
            ("pue_used", e.pue),
            ("intensity_g_per_kwh", e.intensity_g_per_kwh),
        ):
            assert _same(got[column], value), (i, kwargs, column, got[column], value)
        year = None if pd.isna(got["intensity_year"]) else int(got["intensity_year"])
        assert year == e.intensity_year, (i, kwargs)
        zone = e.region["zone"] if e.region is not None and e.intensity_basis != "user" else None
        assert got["zone"] == zone, (i, kwargs)
        texts = (got["pue_basis"], got["intensity_basis"], got["hardware_id"], got["region_id"])
        ids = ((e.hardware or {}).get("id"), (e.region or {}).get("id"))
        assert texts == (e.pue_basis, e.intensity_basis, *ids), (i, kwargs)


# ---------------------------------------------------------------- the import graph


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module: str, path: Path) -> set[str]:
    """The estimator modules ``module`` imports anywhere in its body (lazy imports count)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    known = {m for m, _ in _modules()}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in known else origin for a in node.names]
        else:
            continue
        found |= {n for n in names if n in known and n.startswith("estimator")}
    found.discard(module)
    return found


def _graph() -> dict[str, set[str]]:
    return {m: _imports(m, p) for m, p in _modules()}


def test_the_import_walk_sees_known_edges() -> None:
    graph = _graph()
    assert "estimator.core" in graph["estimator.api"]
    assert "estimator.plan" in graph["estimator.api"]
    assert "estimator.batch" in graph["estimator.cli"]


def test_core_imports_nothing_of_the_package_but_errors() -> None:
    assert _graph()["estimator.core"] == {"estimator.errors"}


# The layers of DESIGN.md, from the bottom: a module may import its own layer or lower ones.
# (core is pure arithmetic under everything; the facade __init__ and __main__ are above all.)
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(f"estimator.{m}" for m in layer.split())
    for layer in (
        "errors version",
        "core records names fileio codes",
        "schema cache",
        "catalog",
        "grid job",
        "plan",
        "api",
        "report alternatives inference preflight lookup validation",
        "modelcard runs lint hubdump",
        "codecarbon batch integrations integrations.mlflow integrations.dask integrations.spark",
        "slurm",
        "slurm_report",
        "cli",
        "__main__",
    )
)
TOP = {"estimator.cli", "estimator.batch", "estimator.app"}


def _layer(module: str) -> int:
    if module == "estimator":
        return len(LAYERS)
    for i, layer in enumerate(LAYERS):
        if module in layer:
            return i
    raise AssertionError(f"{module} is in no layer of this test: add it to LAYERS")


def test_no_import_from_a_lower_layer_to_a_higher_one() -> None:
    """(Imports of the package facade itself are the next test's.)"""
    upward = [
        f"{m} (layer {_layer(m)}) imports {d} (layer {_layer(d)})"
        for m, deps in _graph().items()
        for d in sorted(deps)
        if _layer(d) > _layer(m) and d != "estimator"
    ]
    assert not upward, "\n".join(upward)


def test_no_module_imports_the_package_facade() -> None:
    users = sorted(m for m, deps in _graph().items() if "estimator" in deps and m != "estimator.__main__")
    assert not users, users


def test_only_the_top_imports_cli_batch_or_the_app() -> None:
    """cli is imported by the entry points only; batch (and the app) by its own layer or above."""
    graph = _graph()
    assert {m for m, deps in graph.items() if "estimator.cli" in deps} <= {"estimator", "estimator.__main__"}
    assert not any("estimator.app" in deps for deps in graph.values())
    below = [m for m, deps in graph.items() if "estimator.batch" in deps and _layer(m) < _layer("estimator.batch")]
    assert not below, below


def test_the_import_graph_has_no_circle() -> None:
    graph = {m: d for m, d in _graph().items() if m != "estimator"}  # the facade re-exports lazily
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("circle: " + " -> ".join([*path[path.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_import_estimator_loads_neither_numpy_nor_pandas() -> None:
    code = (
        "import sys, estimator\n"
        "e = estimator.estimate(hardware='nvidia-t4', hours=1, region='FR')\n"
        "print(sorted(m for m in ('numpy', 'pandas', 'streamlit') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", code]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- functions of at most 80 lines

MAX_FUNCTION_LINES = 80


def _long_functions(files: list[tuple[str, Path]]) -> list[str]:
    found = []
    for module, path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                lines = (node.end_lineno or node.lineno) - start + 1
                first = node.body[0]
                if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # the docstring: not code
                    lines -= (first.end_lineno or first.lineno) - first.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    found.append(f"{module}.{node.name}: {lines} lines")
    return found


def test_the_length_walk_finds_a_long_function(tmp_path: Path) -> None:
    def body(n: int) -> str:
        return "\n".join(f"    x{i} = {i}" for i in range(n - 1))

    path = tmp_path / "m.py"
    method = body(MAX_FUNCTION_LINES + 1).replace("    ", "        ")
    path.write_text(f"def fits():\n{body(MAX_FUNCTION_LINES)}\n\n\nclass C:\n    def too_long(self):\n{method}\n")
    assert _long_functions([("m", path)]) == ["m.too_long: 81 lines"]


def test_no_function_is_longer_than_80_lines() -> None:
    long = _long_functions(list(_modules()))
    assert not long, "\n".join(long)


# ---------------------------------------------------------------- err.field names the input

BAD_INPUTS: dict[str, dict[str, Any]] = {
    "hours": {"hours": -1},
    "count": {"count": 0},
    "pue": {"pue": 0.5},
    "intensity": {"intensity": -3},
    "power_w": {"power_w": -5},
    "utilization": {"utilization": 1.5},
    "hardware": {"hardware": "no-such-accelerator"},
    "region": {"region": "atlantis"},
    "instance": {"instance": "aws:no-such-instance"},
    "cpu": {"cpu": "no-such-cpu"},
    "year": {"year": 1800},
    "basis": {"basis": "average"},
    # and the other inputs of Job
    "cpu_count": {"cpu": "amd-epyc-7742", "cpu_count": 0},
    "cpu_cores": {"cpu": "amd-epyc-7742", "cpu_cores": -4},
    "cpu_utilization": {"cpu": "amd-epyc-7742", "cpu_utilization": 2},
    "memory_gb": {"memory_gb": -1},
    "provider": {"provider": 5},
    "draw_low_fraction": {"draw_low_fraction": 2},
    "intensity_range": {"intensity_range": (500.0, 100.0)},
    "trials": {"trials": 0},
    "data_files": {"data_files": "/nonexistent/mine.yaml"},
}


def test_every_input_has_a_bad_value_here() -> None:
    assert set(BAD_INPUTS) == set(job.NAMES)


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_an_error_about_an_input_names_it(name: str) -> None:
    kwargs: dict[str, Any] = {"hardware": A100, "hours": 1, "region": "DE", **BAD_INPUTS[name]}
    with pytest.raises(EstimatorError) as info:
        estimate(**kwargs)
    assert info.value.field == name, str(info.value)


NEEDS = {name: {"cpu": "amd-epyc-7742"} for name in ("cpu_count", "cpu_cores", "cpu_utilization")}


def _bounds() -> Iterator[Any]:
    for spec in job.INPUTS:
        if spec.kind not in ("number", "whole"):
            continue
        for side, bound in (("low", spec.low), ("high", spec.high)):
            if bound is not None:
                yield pytest.param(spec.name, side, bound, id=f"{spec.name}-{side}")


@pytest.mark.parametrize(("name", "side", "bound"), list(_bounds()))
def test_the_range_job_states_is_the_range_the_checks_allow(name: str, side: str, bound: float) -> None:
    """A closed bound is accepted and a step beyond it refused; an open one (``low_open``, "more than 0")
    is refused and a step inside it accepted; a refusal names the input."""
    spec = job.BY_NAME[name]
    whole = spec.kind == "whole"
    kwargs: dict[str, Any] = {"hardware": A100, "hours": 1, "region": "DE", **NEEDS.get(name, {})}
    if side == "low" and spec.low_open:
        assert spec.allowed.startswith(f"more than {bound:g}")
        refused, accepted = bound, bound + 1e-6
    else:
        beyond = (bound - 1 if whole else bound - 1e-6) if side == "low" else (bound + 1 if whole else bound * 1.000001)
        refused, accepted = beyond, bound
    with pytest.raises(EstimatorError) as info:
        estimate(**{**kwargs, name: int(refused) if whole else refused})
    assert info.value.field == name
    estimate(**{**kwargs, name: int(accepted) if whole else accepted})


def test_an_unknown_provider_names_provider() -> None:
    with pytest.raises(EstimatorError) as info:
        estimate(hardware=A100, hours=1, region="Frankfurt", provider="nosuchcloud")
    assert info.value.field == "provider", str(info.value)


@pytest.mark.parametrize("name", ["hours", "count", "pue", "intensity", "power_w", "utilization", "year", "trials"])
def test_a_value_of_the_wrong_type_names_its_input(name: str) -> None:
    kwargs: dict[str, Any] = {"hardware": A100, "hours": 1, "region": "DE", name: "lots"}
    with pytest.raises(EstimatorError) as info:
        estimate(**kwargs)
    assert info.value.field == name, str(info.value)
