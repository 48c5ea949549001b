"""Measured runs from CodeCarbon: its ``emissions.csv`` as a model-card block, beside our estimate.

CodeCarbon (https://mlco2.github.io/codecarbon/output.html) appends one row per
tracked run to ``emissions.csv`` (the Transformers ``Trainer`` writes it through
``CodeCarbonCallback``). Units as CodeCarbon documents them: ``duration`` in
seconds, ``emissions`` in kg CO2e, ``energy_consumed`` in kWh,
``ram_total_size`` in GB, ``cpu_count`` logical CPUs, ``gpu_model`` such as
``"4 x NVIDIA A100-SXM4-80GB"``. Column sets differ between versions (2.x adds
``pue`` and ``codecarbon_version``, 2.8 ``experiment_id``, 3.x utilisation and
water columns); only ``duration``, ``emissions`` and ``energy_consumed`` are
required. Reads with the standard library: no pandas.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator import fileio
from estimator.api import DataFiles, estimate
from estimator.catalog import load_catalog
from estimator.core import Estimate
from estimator.errors import AmbiguousNameError, EstimatorError, InputError, NotFoundError
from estimator.modelcard import check_training_type, grams

REQUIRED = ("duration", "emissions", "energy_consumed")
_GPU = re.compile(r"^\s*(\d+)\s*x\s+(.+?)\s*$")
MAX_FILE_BYTES = 200_000_000
# CodeCarbon's cloud_provider values to our provider ids.
_PROVIDERS = {"gcp": "gcp", "google": "gcp", "aws": "aws", "amazon": "aws", "azure": "azure"}


@dataclass(frozen=True)
class CodeCarbonRun:
    """One run measured by CodeCarbon, and our TDP-based estimate of the same run.

    ``measured_co2e_g`` / ``measured_energy_kwh``: CodeCarbon's figures (its
    ``emissions`` kg × 1000, ``energy_consumed``). ``estimate``: ours for the
    same hardware, duration, place and PUE, or None (``notes`` say why).
    ``ratio``: our CO2e / measured CO2e (above 1: TDP counts more than was
    measured, as expected of an upper bound); ``energy_ratio`` the same for
    energy, which leaves the two sides' grid intensities out.
    """

    path: str
    run_id: str | None
    project_name: str | None
    timestamp: str | None
    duration_s: float
    measured_co2e_g: float
    measured_energy_kwh: float
    codecarbon_version: str | None
    hardware_used: str | None
    location: str | None
    region_id: str | None
    pue: float | None
    estimate: Estimate | None
    notes: tuple[str, ...] = ()
    row: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def hours(self) -> float:
        return self.duration_s / 3600.0

    @property
    def measured_co2e_kg(self) -> float:
        return self.measured_co2e_g / 1000.0

    @property
    def ratio(self) -> float | None:
        if self.estimate is None or self.measured_co2e_g <= 0:
            return None
        return self.estimate.co2e_g / self.measured_co2e_g

    @property
    def energy_ratio(self) -> float | None:
        if self.estimate is None or self.measured_energy_kwh <= 0:
            return None
        return self.estimate.energy_kwh / self.measured_energy_kwh

    @property
    def source(self) -> str:
        version = f" {self.codecarbon_version}" if self.codecarbon_version else ""
        run = f", run {self.run_id}" if self.run_id else ""
        return f"CodeCarbon{version} (measured; emissions.csv{run})"

    def to_model_card(
        self, training_type: str | None = None, location: str | None = None, source: str | None = None
    ) -> dict[str, Any]:
        """``{"co2_eq_emissions": {...}}`` from the measured numbers, emissions in grams.

        ``training_type`` None leaves the key out: there is no safe default.
        """
        block: dict[str, Any] = {
            "emissions": grams(self.measured_co2e_g),
            "source": source or self.source,
        }
        if training_type is not None:
            block["training_type"] = check_training_type(training_type)
        where = location or self.location
        if where:
            block["geographical_location"] = where
        if self.hardware_used:
            block["hardware_used"] = self.hardware_used
        return {"co2_eq_emissions": block}

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "run_id": self.run_id,
            "project_name": self.project_name,
            "timestamp": self.timestamp,
            "duration_s": self.duration_s,
            "hours": self.hours,
            "measured_co2e_g": self.measured_co2e_g,
            "measured_energy_kwh": self.measured_energy_kwh,
            "codecarbon_version": self.codecarbon_version,
            "hardware_used": self.hardware_used,
            "location": self.location,
            "region_id": self.region_id,
            "pue": self.pue,
            "source": self.source,
            "estimate": self.estimate.to_dict() if self.estimate else None,
            "ratio": self.ratio,
            "energy_ratio": self.energy_ratio,
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Row:
    line: int  # where the record ends in the file (1-based; the header is line 1)
    cells: dict[str, str]
    problem: str | None  # why the row cannot be used, or None


def _read_rows(path: Path) -> list[_Row]:
    """The data rows of an emissions.csv with their line numbers, each checked for the required numbers."""
    text = fileio.read_text(path, what="CodeCarbon's emissions.csv", limit_bytes=MAX_FILE_BYTES)
    if not text.strip():
        raise InputError(f"{path} is empty: CodeCarbon writes a header and one row per run")
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_Row] = []
    try:
        header = [h.strip() for h in next(reader)]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row = dict(zip(header, (c.strip() for c in cells), strict=False))
            problem = None
            if len(cells) != len(header):
                problem = f"{path}, line {reader.line_num}: {len(cells)} cells for the header's {len(header)} columns"
            else:
                problem = _row_problem(path, reader.line_num, row)
            rows.append(_Row(reader.line_num, row, problem))
    except csv.Error as exc:
        raise InputError(f"{path}: cannot read as CSV ({exc})") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        hint = "; it looks ';'-separated, CodeCarbon writes commas" if ";" in ",".join(header) else ""
        raise InputError(
            f"{path} is not a CodeCarbon emissions.csv: missing column {missing[0]!r} "
            f"(needs {', '.join(REQUIRED)}){hint}"
        )
    if not rows:
        raise InputError(f"{path} has a header but no runs; CodeCarbon writes a row when a tracked run stops")
    return rows


def _row_problem(path: Path, line: int, row: Mapping[str, str]) -> str | None:
    try:
        for column in REQUIRED:
            _number(path, line, row, column)
        if row.get("pue", "").strip():
            _number(path, line, row, "pue", required=False)
    except InputError as exc:
        return str(exc)
    return None


def _number(path: Path, line: int, row: Mapping[str, str], column: str, required: bool = True) -> float | None:
    text = (row.get(column) or "").strip()
    if not text:
        if required:
            raise InputError(f"{path}, line {line}: column {column!r} is empty; it is required")
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{path}, line {line}: column {column!r} must be a number; got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{path}, line {line}: column {column!r} must be a finite number, 0 or more; got {text!r}")
    return value


def _float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _projects(rows: list[_Row]) -> list[str]:
    return list(dict.fromkeys(r.cells.get("project_name", "") for r in rows if r.cells.get("project_name")))


def _by_project(path: Path, rows: list[_Row], project: str | None) -> list[_Row]:
    if project is None:
        return rows
    hits = [r for r in rows if r.cells.get("project_name", "") == project.strip()]
    if hits:
        return hits
    known = _projects(rows)
    if not known:
        raise NotFoundError(f"no project {project!r} in {path}: the file has no project_name column values")
    close = difflib.get_close_matches(project, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise NotFoundError(f"no project {project!r} in {path}; its projects: {', '.join(known[:10])}{hint}", tuple(close))


def _by_run_id(path: Path, rows: list[_Row], run_id: str) -> _Row:
    hits = [r for r in rows if r.cells.get("run_id", "") == run_id]
    if not hits:
        hits = [r for r in rows if r.cells.get("run_id", "").startswith(run_id)]
        if len({r.cells.get("run_id") for r in hits}) > 1:
            ids = sorted({r.cells.get("run_id", "") for r in hits})
            raise InputError(f"run id {run_id!r} is ambiguous in {path}: it starts {', '.join(ids[:6])}")
    if not hits:
        known = list(dict.fromkeys(r.cells.get("run_id", "") for r in rows if r.cells.get("run_id")))
        shown = ", ".join(known[-6:]) if known else "none (the file has no run_id column)"
        raise NotFoundError(f"no run {run_id!r} in {path}; its run ids (latest last): {shown}")
    if hits[-1].problem:
        raise InputError(hits[-1].problem)
    return hits[-1]


def _pick(path: Path, rows: list[_Row], run_id: str | None, project: str | None) -> tuple[_Row, list[str]]:
    """The row to use and notes on the choice: the last usable row (of ``project``), or the run ``run_id``.

    Notes say which run was used when the file holds several, and which bad
    rows were skipped on the way.
    """
    candidates = _by_project(path, rows, project)
    if run_id is not None:
        return _by_run_id(path, candidates, run_id), []
    good = [r for r in candidates if r.problem is None]
    bad = [r for r in candidates if r.problem is not None]
    if not good:
        raise InputError(bad[-1].problem or f"{path}: no usable run")
    chosen = good[-1]
    notes: list[str] = []
    if len(rows) > 1:
        projects = _projects(rows)
        of = f" of project {project!r}" if project is not None else ""
        run = chosen.cells.get("run_id") or "(no run_id)"
        when = f", {chosen.cells['timestamp']}" if chosen.cells.get("timestamp") else ""
        listing = f" in {len(projects)} projects ({', '.join(projects[:5])})" if len(projects) > 1 else ""
        notes.append(
            f"the file holds {len(rows)} runs{listing}; used the last usable run{of}: {run} (line {chosen.line}{when});"
            " choose another with --run-id or --project (run_id= / project=)"
        )
    if bad:
        shown = "; ".join(str(r.problem).split(": ", 1)[-1] for r in bad[-3:])
        lines = ", ".join(str(r.line) for r in bad[-3:])
        notes.append(f"skipped {len(bad)} bad row{'s' if len(bad) > 1 else ''} (line {lines}: {shown})")
    return chosen, notes


# ---------------------------------------------------------------- our side


def _place(row: Mapping[str, str], data_files: DataFiles) -> tuple[str | None, str | None, str | None]:
    """(our region id, a readable location, why not) for the row's cloud region or country/region."""
    catalog = load_catalog(data_files)
    provider = _PROVIDERS.get(row.get("cloud_provider", "").strip().lower())
    cloud_region = row.get("cloud_region", "").strip()
    if provider and cloud_region:
        try:
            reg, _ = catalog.region(f"{provider}:{cloud_region}")
            return reg.id, f"{catalog.region_place(reg)} ({reg.id})", None
        except EstimatorError:
            pass
    country_name = row.get("country_name", "").strip()
    sub = row.get("region", "").strip()
    location = ", ".join(p for p in (sub.title() if sub else "", country_name) if p) or None
    country = None
    if country_name:
        try:
            reg, _ = catalog.region(country_name)
            if reg.kind == "country":
                country = reg
        except EstimatorError:
            pass
    if country is None:
        where = country_name or row.get("country_iso_code", "") or "no country"
        return None, location, f"the file's country ({where}) is not in our grid data"
    if sub:
        try:
            reg, _ = catalog.region(sub)
            if reg.kind == "subdivision" and reg.country == country.id:
                return reg.id, catalog.region_place(reg), None
        except EstimatorError:
            pass
    return country.id, location or country.name, None


def _device(name: str, data_files: DataFiles) -> tuple[str | None, str | None]:
    """(device id, why not)."""
    try:
        device, _ = load_catalog(data_files).device(name)
    except AmbiguousNameError as exc:
        n = len(exc.candidates) if exc.candidates else "several"
        return None, f"{name!r} names no single device ({n} match; CodeCarbon often writes a bare family name)"
    except NotFoundError:
        return None, f"{name!r} is not in our hardware catalog"
    return device.id, None


def _ours(
    row: Mapping[str, str], hours: float, region_id: str | None, pue: float, data_files: DataFiles
) -> tuple[Estimate | None, list[str]]:
    notes: list[str] = []
    why: list[str] = []
    if region_id is None:
        why.append("the place is not in our grid data")
    gpu_model = row.get("gpu_model", "").strip()
    cpu_model = row.get("cpu_model", "").strip()
    gpu_id: str | None = None
    gpu_count: int | None = None
    if gpu_model:
        match = _GPU.match(gpu_model)
        if match is None and gpu_model == cpu_model:
            gpu_model = ""  # an SoC (Apple M-series): one device, counted as the CPU
        elif match is None or re.search(r"\d\s*x\s", match.group(2)):
            why.append(f"GPU {gpu_model!r} is not one model ('N x NAME'); mixed GPUs are not compared")
        else:
            gpu_count = int(match.group(1))
            gpu_id, reason = _device(match.group(2), data_files)
            if reason:
                why.append(f"GPU {reason}")
    cpu_id: str | None = None
    if cpu_model:
        cpu_id, reason = _device(cpu_model, data_files)
        if reason:
            why.append(f"CPU {reason}")
    if why:
        return None, [f"no comparison: {'; '.join(why)}."]
    catalog = load_catalog(data_files)
    kwargs: dict[str, Any] = {"hours": hours, "region": region_id, "pue": pue}
    if gpu_id:
        kwargs.update(hardware=gpu_id, count=gpu_count)
    if cpu_id:
        device = catalog.devices[cpu_id]
        if device.is_cpu:
            logical = _float(row.get("cpu_count", ""))
            if logical and device.cores and device.threads:
                packages = logical / device.threads
                if packages >= 1 and packages.is_integer():  # whole CPUs: a multi-socket machine
                    kwargs.update(cpu=cpu_id, cpu_count=int(packages))
                else:
                    kwargs.update(cpu=cpu_id, cpu_cores=logical * device.cores / device.threads)
                notes.append(f"CPU share: {logical:g} logical CPUs of {device.name} ({device.threads} threads)")
            else:
                kwargs.update(cpu=cpu_id)
        elif not gpu_id:
            kwargs.update(hardware=cpu_id)
    ram = row.get("ram_total_size", "").strip()
    if ram:
        try:
            kwargs["memory_gb"] = float(ram)
        except ValueError:
            notes.append(f"ram_total_size {ram!r} is not a number; memory left out")
    try:
        return estimate(**kwargs, data_files=data_files), notes
    except EstimatorError as exc:
        return None, [*notes, f"no comparison: {' '.join(str(exc).split())}"]


def from_codecarbon(
    path: str | Path, run_id: str | None = None, *, project: str | None = None, data_files: DataFiles = None
) -> CodeCarbonRun:
    """Read CodeCarbon's ``emissions.csv`` and return the run ``run_id`` (default: the last usable row).

    Parameters
    ----------
    path : path-like
        CodeCarbon's ``emissions.csv`` (a regular UTF-8 file of at most 200 MB).
    run_id : str, optional
        The run, by id or a unique prefix.
    project : str, optional
        Only rows of this ``project_name`` (the last of them, or ``run_id`` among them).
    data_files : optional
        Your own data files, merged over the shipped catalog.

    The measured block always comes back; the comparison with our estimate is
    left out (``estimate`` None, a note says why) when the file's hardware or
    place cannot be resolved. Our estimate uses the file's PUE (CodeCarbon's
    default is 1; older files have no such column and apply none), so the ratio
    compares like with like. Notes say which run was used when the file holds
    several, and which bad rows were skipped.
    """
    file = Path(path)
    rows = _read_rows(file)
    chosen, notes = _pick(file, rows, run_id, project)
    line, row = chosen.line, chosen.cells
    duration = _number(file, line, row, "duration") or 0.0
    kg = _number(file, line, row, "emissions")
    kwh = _number(file, line, row, "energy_consumed")
    assert kg is not None
    assert kwh is not None
    file_pue = _number(file, line, row, "pue", required=False)
    pue = file_pue if file_pue is not None else 1.0
    if file_pue is None:
        notes.append("the file has no pue column (CodeCarbon before 2.2 applies none); our estimate uses PUE 1")
    elif file_pue == 1.0:
        notes.append("PUE 1 as in the file (CodeCarbon's default): facility overhead is left out on both sides")
    region_id, location, why_place = _place(row, data_files)
    gpu_model = row.get("gpu_model", "").strip()
    cpu_model = row.get("cpu_model", "").strip()
    hardware_used = ", ".join(dict.fromkeys(p for p in (gpu_model, cpu_model) if p)) or None
    ours: Estimate | None = None
    if duration <= 0:
        notes.append("no comparison: the run's duration is 0 s")
    else:
        if why_place:
            notes.append(f"place: {why_place}")
        ours, more = _ours(row, duration / 3600.0, region_id, pue, data_files)
        notes += more
    tracking = row.get("tracking_mode", "").strip()
    if ours is not None and tracking == "process":
        notes.append("CodeCarbon tracked one process (tracking_mode=process); our estimate counts whole devices")
    return CodeCarbonRun(
        path=str(file),
        run_id=row.get("run_id") or None,
        project_name=row.get("project_name") or None,
        timestamp=row.get("timestamp") or None,
        duration_s=duration,
        measured_co2e_g=kg * 1000.0,
        measured_energy_kwh=kwh,
        codecarbon_version=row.get("codecarbon_version") or None,
        hardware_used=hardware_used,
        location=location,
        region_id=region_id,
        pue=file_pue,
        estimate=ours,
        notes=tuple(notes),
        row=dict(row),
    )


def text(run: CodeCarbonRun) -> str:
    """The text report: measured, ours, the ratio, the notes."""
    from estimator.report import energy, mass, num

    lines = [
        f"measured by {run.source}: {mass(run.measured_co2e_g)} from {energy(run.measured_energy_kwh)}"
        f" in {num(run.hours)} h" + (f" ({run.location})" if run.location else ""),
    ]
    if run.hardware_used:
        lines.append(f"hardware: {run.hardware_used}")
    if run.estimate is not None:
        e = run.estimate
        lines.append(
            f"our TDP-based estimate: {mass(e.co2e_g)} from {energy(e.energy_kwh)} in {e.region and e.region['id']}"
        )
        if run.ratio is not None:
            lines.append(f"ratio (ours / measured): CO2e {num(run.ratio, 3)}×, energy {num(run.energy_ratio or 0, 3)}×")
        lines.append("TDP is an upper bound of draw; a ratio above 1 is expected.")
    if run.notes:
        lines += ["", "Notes:"] + [f"  - {n}" for n in run.notes]
    return "\n".join(lines)
