"""The catalog's rows as frozen values (schema: docs/data-schema.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

DEVICE_KINDS = ("gpu", "tpu", "npu", "soc", "cpu")
PRECISIONS = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8")
POWER_BASES = ("tdp", "tbp", "measured", "estimate")
POWER_BASIS_WORDS = {  # each basis as the texts name a figure of it ("NVIDIA T4: TDP 70 W")
    "tdp": "TDP",
    "tbp": "typical board power",
    "measured": "measured average power",
    "estimate": "estimated power",
}
REGION_KINDS = ("world", "country", "subdivision", "zone", "cloud")
GRID_KINDS = ("world", "country", "subdivision", "zone")
INTENSITY_BASES = ("lifecycle", "direct", "marginal", "unknown")
MAX_SHARE_DENOMINATOR = 64  # a share of a board is shown as n/d with d up to this (1/6, 1/8, 3/4)


@dataclass(frozen=True)
class Device:
    """An accelerator or CPU. ``tdp_w`` is per device (per package for CPUs).

    A share of one board, as a cloud sells it (1/6 of an A10), names the board
    in ``share_of`` and the fraction in ``share``: its ``tdp_w`` is that
    fraction of the board's, and so is its embodied figure.
    """

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
    peak_tflops: tuple[tuple[str, float], ...] = ()  # dense peak per precision (int8: TOPS)
    peak_source: str = ""
    peak_year: int | None = None
    peak_note: str = ""
    tdp_high_w: float | None = None  # upper bound where the power figure is an estimate: widens the range
    power_low_w: float | None = None  # a measured device's lowest measured power [W]: the range's low end
    share_of: str | None = None  # a cloud's fraction of one board: the board's device id (nvidia-a10)
    share: float | None = None  # that fraction (1/6), in (0, 1); given with share_of

    @property
    def is_cpu(self) -> bool:
        return self.kind == "cpu"

    @property
    def share_text(self) -> str:
        """The share as a fraction ("1/6"), else as a number ("0.123"); empty for a whole device."""
        if self.share is None:
            return ""
        from fractions import Fraction

        fraction = Fraction(self.share).limit_denominator(MAX_SHARE_DENOMINATOR)
        return str(fraction) if abs(float(fraction) - self.share) < 1e-12 else f"{self.share:g}"

    @property
    def peaks(self) -> dict[str, float]:
        """Dense peak TFLOPS by precision ("bf16": 312.0), as the vendor publishes them."""
        return dict(self.peak_tflops)

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["aliases"] = list(self.aliases)
        row["peak_tflops"] = self.peaks
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
    """A place: world, country, subdivision, grid zone or cloud region.

    Its grid intensity is not here but in ``intensity.csv`` (:class:`IntensityFigure`
    rows): ``zone`` names the grid row whose life-cycle series this place uses
    (empty when the place has a series of its own), with ``zone_source`` saying
    why (for a cloud region: the provider's page naming its location).
    """

    id: str
    kind: str
    name: str
    country: str
    subdivision: str = ""
    provider: str = ""
    location: str = ""
    zone: str = ""
    zone_source: str = ""
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

    @property
    def grid_id(self) -> str:
        """The id of the place whose life-cycle series applies: the zone, else the place itself."""
        return self.zone or self.id

    def to_dict(self) -> dict[str, Any]:
        row = asdict(self)
        row["aliases"] = list(self.aliases)
        return row


class IntensityFigure(NamedTuple):
    """One grid carbon intensity: a place, a year, a basis, a dataset (``data/intensity.csv``).

    ``basis``: ``lifecycle`` (location-based, life-cycle: the reported figure),
    ``direct`` (combustion / operational emissions only), ``marginal`` (UNFCCC
    operating margin) or ``unknown`` (undated tables of unclear basis).
    """

    place: str
    year: int
    basis: str
    intensity_g_per_kwh: float
    dataset: str
    source: str
    note: str = ""


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


class EmbodiedFigure(NamedTuple):
    """Manufacturing emissions of one item, kgCO2e, with its source.

    ``per`` says what one item is: a device, an accelerator's share of its
    server, a CPU socket's share, an instance's share of its host.
    """

    kg: float
    year: int
    source: str
    note: str = ""
    per: int = 1  # the server figure is shared by this many accelerators or sockets


class Lifetime(NamedTuple):
    """How embodied emissions are spread: years of service and the share of them in use."""

    years: float
    years_short: float
    utilization: float
    year: int
    source: str


class PueFigure(NamedTuple):
    """A PUE value with its year and source."""

    pue: float
    year: int
    source: str
