"""The catalog's rows as frozen values (schema: docs/data-schema.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

DEVICE_KINDS = ("gpu", "tpu", "npu", "soc", "cpu")
POWER_BASES = ("tdp", "tbp", "measured", "estimate")
REGION_KINDS = ("world", "country", "subdivision", "zone", "cloud")
GRID_KINDS = ("world", "country", "subdivision", "zone")


@dataclass(frozen=True)
class Device:
    """An accelerator or CPU. ``tdp_w`` is per device (per package for CPUs)."""

    id: str
    name: str
    vendor: str
    kind: str
    tdp_w: float
    power_basis: str
    released: int
    year: int
    source: str
    memory_gb: float | None = None
    cores: int | None = None
    threads: int | None = None
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def is_cpu(self) -> bool:
        return self.kind == "cpu"

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["aliases"] = list(self.aliases)
        return row


@dataclass(frozen=True)
class Instance:
    """A cloud instance type: its accelerators, vCPUs and memory."""

    id: str
    provider: str
    name: str
    vcpus: int
    memory_gb: float
    year: int
    source: str
    accelerator: str | None = None
    accelerator_count: int = 0
    cpu: str | None = None
    released: int | None = None
    aliases: tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["aliases"] = list(self.aliases)
        return row


@dataclass(frozen=True)
class Region:
    """A place with a grid carbon intensity: world, country, grid zone or cloud region.

    ``intensity_from`` is the grid row the figure was inherited from, if any.
    """

    id: str
    kind: str
    name: str
    country: str
    intensity_g_per_kwh: float
    year: int
    source: str
    subdivision: str = ""
    provider: str = ""
    location: str = ""
    grid: str = ""
    intensity_from: str = ""
    pue: float | None = None
    pue_year: int | None = None
    pue_source: str = ""
    cfe_pct: float | None = None
    cfe_year: int | None = None
    cfe_source: str = ""
    aliases: tuple[str, ...] = ()
    note: str = ""

    @property
    def is_cloud(self) -> bool:
        return self.kind == "cloud"

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["aliases"] = list(self.aliases)
        return row


@dataclass(frozen=True)
class Provider:
    """A cloud provider and its fleet PUE where it publishes one."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    pue: float | None = None
    pue_year: int | None = None
    pue_source: str = ""
    note: str = ""


class PueFigure(NamedTuple):
    """A PUE value with its year and source."""

    pue: float
    year: int
    source: str
