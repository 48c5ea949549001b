"""``Job``: the one list of what an estimate takes.

Each input is declared once, here, as a field of :class:`Job` with its type,
unit, default, allowed range, help text and an example. Everything else is
made from this list: the CLI's flags (``estimator.cli``), batch's columns
(``estimator.batch``), the web form's link parameters (``app_pages``), the
inputs echoed in an :class:`~estimator.core.Estimate`, and the cache key of a
resolved plan (a ``Job`` is frozen and hashable). Adding an input is one field.

This module checks nothing: :func:`estimator.plan.resolve` checks each value
against the range given here (through :mod:`estimator.core`'s checks) and
says what is wrong with it.
"""

from __future__ import annotations

import dataclasses
import operator
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from estimator import core
from estimator.schema import YEAR_RANGE

BASES = ("lifecycle", "marginal")


@dataclass(frozen=True)
class Input:
    """One input of an estimate, as every way in shows it.

    ``kind``: ``name`` (text resolved through the catalog), ``number``,
    ``whole`` (an integer), ``choice`` (one of ``choices``), ``pair`` (two
    numbers) or ``files`` (paths). ``per_row``: in batch, the value may change
    from row to row at no cost (arithmetic on arrays); other batch inputs
    identify the combinations that are resolved once each. ``batch``: a batch
    column exists for it. ``flag``: the CLI flag.
    """

    name: str
    kind: str
    unit: str
    help: str
    example: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    low_open: bool = False  # the low bound itself is not allowed (hours > 0)
    per_row: bool = False
    batch: bool = True
    flag: str = ""

    @property
    def cli_flag(self) -> str:
        """The CLI flag: ``--power-w`` for ``power_w``, unless set."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def allowed(self) -> str:
        """The allowed values in words, for help texts and messages."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.low is None:
            return ""
        low = f"more than {self.low:g}" if self.low_open else f"{self.low:g}"
        if self.high is not None:
            return f"{low} to {self.high:g}"
        return low if self.low_open else f"{self.low:g} or more"

    def describe(self) -> str:
        """Help text with unit, allowed range, default and an example."""
        parts = [self.help]
        if self.unit:
            parts.append(f"[{self.unit}]")
        if self.allowed:
            parts.append(f"({self.allowed})")
        if self.default not in (None, ()):
            parts.append(f"default {self.default}")
        if self.example:
            parts.append(f"e.g. {self.example}")
        return " ".join(parts)


def _in(
    kind: str,
    unit: str,
    help: str,
    example: str,
    **more: Any,
) -> dict[str, Any]:
    return {"input": {"kind": kind, "unit": unit, "help": help, "example": example, **more}}


def _field(default: Any, kind: str, unit: str, help: str, example: str, **more: Any) -> Any:
    return dataclasses.field(default=default, metadata=_in(kind, unit, help, example, default=default, **more))


@dataclass(frozen=True)
class Job:
    """What one estimate takes: the keywords of :func:`estimator.estimate`.

    Values are kept as given (checked by :func:`estimator.plan.resolve`); the
    order of the fields is the order of ``estimate()``'s positional arguments.
    """

    hardware: str | None = _field(
        None, "name", "", "device id or name, as nvidia-smi prints it or a catalog id", "'A100 SXM4 80GB'"
    )
    hours: float | None = _field(
        None,
        "number",
        "h",
        "wall-clock hours the job ran",
        "72",
        low=0.0,
        low_open=True,
        high=core.MAX_HOURS,
        per_row=True,
    )
    count: int | None = _field(
        None,
        "whole",
        "devices",
        "number of devices (default 1, or the instance's)",
        "8",
        low=1,
        high=core.MAX_COUNT,
        per_row=True,
    )
    region: str | None = _field(
        None, "name", "", "cloud region, country, subdivision, grid zone or 'world'", "gcp:us-central1, FR, US-CA"
    )
    pue: float | None = _field(
        None,
        "number",
        "",
        "power usage effectiveness of the facility (default: the region's, the provider's, else the industry average)",
        "1.1",
        low=core.PUE_RANGE[0],
        high=core.PUE_RANGE[1],
        per_row=True,
    )
    intensity: float | None = _field(
        None,
        "number",
        "gCO2e/kWh",
        "grid carbon intensity, instead of the region's",
        "430",
        low=core.INTENSITY_RANGE_G_PER_KWH[0],
        high=core.INTENSITY_RANGE_G_PER_KWH[1],
        per_row=True,
    )
    power_w: float | None = _field(
        None,
        "number",
        "W per device",
        "measured or rated power, instead of the catalog's TDP",
        "300",
        low=0.0,
        low_open=True,
        high=core.MAX_POWER_W,
        per_row=True,
    )
    utilization: float = _field(
        1.0,
        "number",
        "fraction",
        "share of power_w (or TDP) drawn on average",
        "0.8",
        low=0.0,
        low_open=True,
        high=1.0,
        per_row=True,
    )
    instance: str | None = _field(
        None, "name", "", "cloud instance type (fills hardware, count, CPU, memory)", "aws:p4d.24xlarge"
    )
    cpu: str | None = _field(None, "name", "", "CPU model, adds its draw", "'AMD EPYC 7742'")
    cpu_count: int | None = _field(
        None, "whole", "CPUs", "whole CPUs (packages) of cpu", "2", low=1, high=core.MAX_COUNT
    )
    cpu_cores: float | None = _field(
        None,
        "number",
        "cores",
        "cores of cpu used (TDP / cores each), over one or more CPUs",
        "16",
        low=0.0,
        low_open=True,
    )
    cpu_utilization: float = _field(
        1.0, "number", "fraction", "share of the CPU's TDP drawn", "0.5", low=0.0, low_open=True, high=1.0
    )
    memory_gb: float | None = _field(
        None, "number", "GB", f"RAM, at {core.MEMORY_W_PER_GB:g} W/GB", "64", low=0.0, high=core.MAX_MEMORY_GB
    )
    provider: str | None = _field(None, "name", "", "cloud provider, narrows a region name", "aws")
    year: int | None = _field(
        None,
        "whole",
        "year",
        "the year the job ran: the grid intensity of that year (default: the latest in "
        "the data; the nearest year when outside it)",
        "2023",
        low=YEAR_RANGE[0],
        high=YEAR_RANGE[1],
    )
    basis: str = _field(
        "lifecycle",
        "choice",
        "",
        "lifecycle: location-based yearly average (the reported figure); marginal: "
        "UNFCCC operating margin, what one more kWh there emits",
        "marginal",
        choices=BASES,
    )
    draw_low_fraction: float | None = _field(
        None, "number", "fraction of TDP", "low end of the draw range", "0.6", low=0.0, low_open=True, high=1.0
    )
    intensity_range: tuple[float, float] | None = _field(
        None, "pair", "gCO2e/kWh", "(low, high) intensity bounds instead of the data's spread", "300 500", batch=False
    )
    trials: int = _field(
        1,
        "whole",
        "runs",
        "runs of this job (a sweep): the result covers all",
        "20",
        low=1,
        high=core.MAX_COUNT,
        per_row=True,
    )
    data_files: tuple[str, ...] | None = _field(
        None,
        "files",
        "",
        "your own devices, instances or regions (YAML or CSV, same schema)",
        "lab.yaml",
        batch=False,
        flag="--data",
    )

    def given(self, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The inputs given (not at their default), JSON-ready: the echo in ``Estimate.inputs``."""
        out: dict[str, Any] = {}
        for spec in INPUTS:
            if spec.name in skip:
                continue
            value = getattr(self, spec.name)
            if value is None or (value == spec.default and spec.name not in ALWAYS_ECHOED):
                continue
            out[spec.name] = list(value) if isinstance(value, tuple) else value
        return out

    def shape(self) -> tuple[Any, ...]:
        """Every input but ``hours`` and ``trials``: what a resolved plan depends on (its cache key)."""
        return _shape(self)

    @classmethod
    def from_kwargs(cls, values: Mapping[str, Any]) -> Job:
        """A Job from keyword values (unknown names refused, sequences made hashable)."""
        if not _NAME_SET.issuperset(values):
            unknown = sorted(set(values) - _NAME_SET)
            import difflib

            from estimator.errors import InputError

            close = difflib.get_close_matches(unknown[0], NAMES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"unknown input {unknown[0]!r}{hint}; the inputs are: {', '.join(NAMES)}", field=unknown[0]
            )
        given = dict(values)
        for name in _UNHASHABLE.intersection(given):
            given[name] = _hashable(name, given[name])
        return cls(**given)


def hashable_files(value: Any) -> Any:
    """Data files as a tuple of paths (one path alone is one file), None for none; other values as given."""
    if not value:
        return None
    if isinstance(value, str | os.PathLike):
        return (os.fspath(value),)
    if isinstance(value, Sequence):
        return tuple(os.fspath(v) if isinstance(v, str | os.PathLike) else v for v in value)
    return value


_UNHASHABLE = frozenset({"data_files", "intensity_range"})  # the inputs _hashable changes


def _hashable(name: str, value: Any) -> Any:
    if name == "data_files":
        return hashable_files(value)
    if name == "intensity_range" and isinstance(value, list):
        return tuple(value)
    return value


INPUTS: tuple[Input, ...] = tuple(Input(name=f.name, **f.metadata["input"]) for f in dataclasses.fields(Job))
"""Every input, in ``estimate()``'s order."""

NAMES: tuple[str, ...] = tuple(spec.name for spec in INPUTS)
BY_NAME: dict[str, Input] = {spec.name: spec for spec in INPUTS}
_NAME_SET = frozenset(NAMES)
ALWAYS_ECHOED = frozenset({"utilization", "cpu_utilization"})  # echoed even at their default, as before
BATCH_INPUTS: tuple[Input, ...] = tuple(spec for spec in INPUTS if spec.batch)

# Other names an input is often given under (a log's column, a flag): suggested, never read as the input itself
LIKELY_MEANT = {
    "gpus": "count",
    "num_gpus": "count",
    "n_gpus": "count",
    "gpu_count": "count",
    "devices": "count",
    "gpu": "hardware",
    "device": "hardware",
    "accelerator": "hardware",
    "power": "power_w",
    "watts": "power_w",
    "util": "utilization",
    "gpu_util": "utilization",
    "gpu_utilization": "utilization",
    "cpus": "cpu_count",
    "num_cpus": "cpu_count",
    "cores": "cpu_cores",
    "duration": "hours",
    "hrs": "hours",
    "location": "region",
    "instance_type": "instance",
}


_shape = operator.attrgetter(*(n for n in NAMES if n not in ("hours", "trials")))
