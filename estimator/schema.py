"""The data files' schema: typed, validated rows (docs/data-schema.md).

Each ``parse_*`` turns one raw row (a YAML mapping or a CSV record) into a
frozen record, or raises ``DataError`` naming the file, the row and the field.
Cross-row checks (aliases, references between tables) live in ``catalog``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from estimator.errors import DataError, did_you_mean

if TYPE_CHECKING:
    from pathlib import Path
from estimator.records import (
    DEVICE_KINDS,
    INTENSITY_BASES,
    POWER_BASES,
    PRECISIONS,
    REGION_KINDS,
    Device,
    EmbodiedFigure,
    Instance,
    IntensityFigure,
    Lifetime,
    Provider,
    Region,
)

REGION_COLUMNS = [
    "id",
    "kind",
    "name",
    "country",
    "subdivision",
    "provider",
    "location",
    "zone",
    "zone_source",
    "pue",
    "pue_year",
    "pue_source",
    "cfe_pct",
    "cfe_year",
    "cfe_source",
    "aliases",
    "note",
]
INTENSITY_COLUMNS = ["place", "year", "basis", "intensity_g_per_kwh", "dataset", "source", "note"]
MAX_INTENSITY_G_PER_KWH = 2000.0  # the limit a user input obeys too (core.INTENSITY_RANGE_G_PER_KWH)
YEAR_RANGE = (1990, 2100)
DEVICE_YEAR_RANGE = (2000, 2030)
INTENSITY_YEAR_RANGE = (2000, 2030)


class Row:
    """Typed access to one raw row; every problem raises DataError with its place."""

    def __init__(self, where: str, raw: Mapping[str, Any], allowed: Sequence[str]) -> None:
        self.where = where
        self.raw = {k: v for k, v in raw.items() if v is not None and v != ""}
        unknown = [k for k in raw if k not in allowed]
        if unknown:
            import difflib

            close = difflib.get_close_matches(str(unknown[0]), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise DataError(f"{where}: unknown field {unknown[0]!r}{hint}; allowed fields: {', '.join(allowed)}")

    def fail(self, key: str, problem: str) -> DataError:
        return DataError(f"{self.where}: field {key!r}: {problem}")

    def has(self, key: str) -> bool:
        return key in self.raw

    def text(self, key: str, required: bool = True) -> str:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(key, "missing; it is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(key, f"expected text, got {value!r}")
        return str(value).strip()

    def number(self, key: str, low: float, high: float, required: bool = True) -> float | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise self.fail(key, f"missing; it is required (a number from {low:g} to {high:g})")
            return None
        try:
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
        except (TypeError, ValueError):
            raise self.fail(key, f"expected a number from {low:g} to {high:g}, got {value!r}") from None
        if not (math.isfinite(number) and low <= number <= high):
            raise self.fail(key, f"{number:g} is outside the allowed range {low:g} to {high:g}")
        return number

    def integer(self, key: str, low: int, high: int, required: bool = True) -> int | None:
        number = self.number(key, low, high, required)
        if number is None:
            return None
        if number != int(number):
            raise self.fail(key, f"expected a whole number, got {self.raw[key]!r}")
        return int(number)

    def choice(self, key: str, allowed: Sequence[str]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self.fail(key, f"{value!r} is not one of {', '.join(allowed)}{did_you_mean(value, list(allowed))}")
        return value

    def names(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            items = [v.strip() for v in value.split("|")]
        elif isinstance(value, list):
            items = [str(v).strip() for v in value]
        else:
            raise self.fail(key, f"expected a list of names, got {value!r}")
        if any(not v for v in items):
            raise self.fail(key, "contains an empty name")
        return tuple(items)

    def trio(self, value_key: str, low: float, high: float) -> tuple[float | None, int | None, str]:
        """A figure with its year and source: all three or none."""
        stem = value_key.rsplit("_", 1)[0] if value_key.endswith("_pct") else value_key
        keys = (value_key, f"{stem}_year", f"{stem}_source")
        present = [k for k in keys if self.has(k)]
        if not present:
            return None, None, ""
        if len(present) != 3:
            missing = [k for k in keys if k not in present]
            raise self.fail(missing[0], f"{', '.join(present)} given without it; give all three or none")
        value = self.number(value_key, low, high)
        year = self.integer(keys[1], *YEAR_RANGE)
        return value, year, self.text(keys[2])


DEVICE_FIELDS = [
    "id",
    "name",
    "vendor",
    "kind",
    "tdp_w",
    "power_basis",
    "memory_gb",
    "cores",
    "threads",
    "released",
    "year",
    "source",
    "aliases",
    "note",
    "peak_tflops",
    "peak_source",
    "peak_year",
    "peak_note",
    "tdp_high_w",
    "power_low_w",
    "share_of",
    "share",
]
INSTANCE_FIELDS = [
    "id",
    "provider",
    "name",
    "accelerator",
    "accelerator_count",
    "vcpus",
    "cpu",
    "memory_gb",
    "released",
    "year",
    "source",
    "aliases",
    "note",
]
PROVIDER_FIELDS = ["id", "name", "aliases", "pue", "pue_year", "pue_source", "note"]


def parse_device(row: Row) -> Device:
    kind = row.choice("kind", DEVICE_KINDS)
    cores = row.integer("cores", 1, 1024, required=kind == "cpu")
    threads = row.integer("threads", 1, 4096, required=kind == "cpu")
    if cores is not None and threads is not None and threads < cores:
        raise row.fail("threads", f"{threads} threads is fewer than {cores} cores")
    tdp_w = float(row.number("tdp_w", 1, 5000) or 0)
    tdp_high_w = row.number("tdp_high_w", 1, 5000, required=False)
    if tdp_high_w is not None and tdp_high_w < tdp_w:
        raise row.fail("tdp_high_w", f"{tdp_high_w:g} W is below tdp_w {tdp_w:g} W; it is the upper bound")
    power_basis = row.choice("power_basis", POWER_BASES)
    power_low_w = row.number("power_low_w", 1, 5000, required=False)
    if power_low_w is not None and power_basis != "measured":
        raise row.fail("power_low_w", f"the lowest measured power goes with power_basis measured, not {power_basis}")
    if power_low_w is not None and power_low_w > tdp_w:
        raise row.fail("power_low_w", f"{power_low_w:g} W is above tdp_w {tdp_w:g} W; it is the lower bound")
    return Device(
        id=_slug(row),
        name=row.text("name"),
        vendor=row.text("vendor").lower(),
        kind=kind,
        tdp_w=tdp_w,
        tdp_high_w=tdp_high_w,
        power_low_w=power_low_w,
        power_basis=power_basis,
        released=int(row.integer("released", *DEVICE_YEAR_RANGE) or 0),
        year=int(row.integer("year", *DEVICE_YEAR_RANGE) or 0),
        source=row.text("source"),
        memory_gb=row.number("memory_gb", 0.1, 10_000, required=kind not in ("cpu",)),
        cores=cores,
        threads=threads,
        aliases=row.names("aliases"),
        note=row.text("note", required=False),
        **_peaks(row),
        **_share(row, kind),
    )


def _share(row: Row, kind: str) -> dict[str, Any]:
    """A share of one board (``share_of`` its device id, ``share`` the fraction: ``1/6`` or 0.5), or nothing.

    The board must exist and be of the same kind (checked with the other rows, in ``catalog``).
    """
    if not row.has("share_of"):
        if row.has("share"):
            raise row.fail("share", "given without share_of (the device id of the board it is a share of)")
        return {}
    if kind == "cpu":
        raise row.fail("share_of", "a CPU is shared by vCPUs (an instance's vcpus), not by a share row")
    if not row.has("share"):
        raise row.fail("share", "missing; a share_of row gives its fraction of the board, e.g. share: 1/6")
    value = row.raw["share"]
    number: float | None = None
    if isinstance(value, str) and value.count("/") == 1:
        top, bottom = (part.strip() for part in value.split("/"))
        if top.isdigit() and bottom.isdigit() and int(bottom) > 0:
            number = int(top) / int(bottom)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not 0 < number < 1:
        raise row.fail("share", f"expected a fraction of one board between 0 and 1, e.g. 1/6 or 0.5; got {value!r}")
    return {"share_of": row.text("share_of"), "share": number}


def _peaks(row: Row) -> dict[str, Any]:
    """Optional dense peak throughput per precision, with its own source and year."""
    raw = row.raw.get("peak_tflops")
    if raw is None:
        for key in ("peak_source", "peak_year", "peak_note"):
            if row.has(key):
                raise row.fail(key, "given without peak_tflops")
        return {}
    if not isinstance(raw, Mapping) or not raw:
        raise row.fail("peak_tflops", f"expected a mapping of precision to TFLOPS, e.g. {{bf16: 312}}; got {raw!r}")
    peaks = []
    for precision, value in raw.items():
        if precision not in PRECISIONS:
            raise row.fail("peak_tflops", f"unknown precision {precision!r}; allowed: {', '.join(PRECISIONS)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100_000:
            raise row.fail("peak_tflops", f"{precision}: expected TFLOPS greater than 0, got {value!r}")
        peaks.append((precision, float(value)))
    return {
        "peak_tflops": tuple(sorted(peaks, key=lambda p: PRECISIONS.index(p[0]))),
        "peak_source": row.text("peak_source"),
        "peak_year": row.integer("peak_year", *DEVICE_YEAR_RANGE),
        "peak_note": row.text("peak_note", required=False),
    }


def _slug(row: Row) -> str:
    ident = row.text("id")
    if ident != ident.lower() or not all(c.isalnum() or c in "-._" for c in ident):
        raise row.fail("id", f"{ident!r} must be a lowercase slug of letters, digits and '-'")
    return ident


def parse_instance(row: Row) -> Instance:
    ident = row.text("id")
    provider = row.text("provider").lower()
    name = row.text("name")
    if ident != f"{provider}:{name}":
        raise row.fail("id", f"{ident!r} must be provider:name, here {provider}:{name}")
    accelerator = row.text("accelerator", required=False) or None
    count = row.integer("accelerator_count", 1, 1024, required=accelerator is not None)
    if accelerator is None and count:
        raise row.fail("accelerator_count", "given without an accelerator")
    return Instance(
        id=ident,
        provider=provider,
        name=name,
        vcpus=int(row.integer("vcpus", 1, 4096) or 0),
        memory_gb=float(row.number("memory_gb", 0.1, 100_000) or 0),
        year=int(row.integer("year", *DEVICE_YEAR_RANGE) or 0),
        source=row.text("source"),
        accelerator=accelerator,
        accelerator_count=count or 0,
        cpu=row.text("cpu", required=False) or None,
        released=row.integer("released", *DEVICE_YEAR_RANGE, required=False),
        aliases=row.names("aliases"),
        note=row.text("note", required=False),
    )


def parse_region(row: Row) -> Region:
    kind = row.choice("kind", REGION_KINDS)
    ident = row.text("id")
    provider = row.text("provider", required=kind == "cloud").lower()
    if kind == "cloud" and not ident.startswith(f"{provider}:"):
        raise row.fail("id", f"cloud region id {ident!r} must start with '{provider}:'")
    if kind != "cloud" and provider:
        raise row.fail("provider", "only cloud rows name a provider")
    zone = row.text("zone", required=False)
    if zone == ident:
        raise row.fail("zone", "names the row itself; leave it empty for a place with its own series")
    pue, pue_year, pue_source = row.trio("pue", 1.0, 3.0)
    cfe, cfe_year, cfe_source = row.trio("cfe_pct", 0, 100)
    return Region(
        id=ident,
        kind=kind,
        name=row.text("name"),
        country=row.text("country", required=kind != "world").upper(),
        subdivision=row.text("subdivision", required=False).upper(),
        provider=provider,
        location=row.text("location", required=kind == "cloud"),
        zone=zone,
        zone_source=row.text("zone_source", required=False),
        pue=pue,
        pue_year=pue_year,
        pue_source=pue_source,
        cfe_pct=cfe,
        cfe_year=cfe_year,
        cfe_source=cfe_source,
        aliases=row.names("aliases"),
        note=row.text("note", required=False),
    )


def parse_intensity(row: Row) -> IntensityFigure:
    """One row of ``intensity.csv``: a place's figure for a year, on a named basis, from a dataset."""
    return IntensityFigure(
        place=row.text("place"),
        year=int(row.integer("year", *INTENSITY_YEAR_RANGE) or 0),
        basis=row.choice("basis", INTENSITY_BASES),
        intensity_g_per_kwh=float(row.number("intensity_g_per_kwh", 0, MAX_INTENSITY_G_PER_KWH) or 0),
        dataset=row.text("dataset"),
        source=row.text("source"),
        note=row.text("note", required=False),
    )


def parse_provider(row: Row) -> Provider:
    pue, pue_year, pue_source = row.trio("pue", 1.0, 3.0)
    return Provider(
        id=row.text("id").lower(),
        name=row.text("name"),
        aliases=row.names("aliases"),
        pue=pue,
        pue_year=pue_year,
        pue_source=pue_source,
        note=row.text("note", required=False),
    )


EMBODIED_SECTIONS = ("embodied_lifetime", "embodied_devices", "embodied_servers", "embodied_instances")


@dataclass
class Embodied:
    """Manufacturing footprints: per device id, per device kind (defaults), per server, per instance."""

    devices: dict[str, EmbodiedFigure] = field(default_factory=dict)
    kinds: dict[str, EmbodiedFigure] = field(default_factory=dict)
    accelerator_server: EmbodiedFigure | None = None  # shared by `per` accelerators
    cpu_server: EmbodiedFigure | None = None  # shared by `per` CPU sockets
    instances: dict[str, EmbodiedFigure] = field(default_factory=dict)
    lifetime: Lifetime | None = None


def _figure(row: Row, per: int = 1) -> EmbodiedFigure:
    return EmbodiedFigure(
        kg=float(row.number("embodied_kg", 0, 1_000_000) or 0),
        year=int(row.integer("year", *YEAR_RANGE) or 0),
        source=row.text("source"),
        note=row.text("note", required=False),
        per=per,
    )


def _rows(doc: Mapping[str, Any], key: str, path: Path) -> list[tuple[str, Mapping[str, Any]]]:
    rows = doc.get(key, [])
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise DataError(f"{path}: {key!r} must be a list of mappings")
    return [(f"{path}: {key} row {n}" + (f" (id {r['id']})" if r.get("id") else ""), r) for n, r in enumerate(rows, 1)]


def read_embodied(out: Embodied, doc: Mapping[str, Any], path: Path) -> None:
    common = ("embodied_kg", "year", "source", "note")
    for where, raw in _rows(doc, "embodied_devices", path):
        row = Row(where, raw, ("id", "kind", *common))
        if row.has("id") == row.has("kind"):
            raise row.fail("id", "give a device id, or a kind for the kind's default (not both)")
        if row.has("kind"):
            out.kinds[row.choice("kind", DEVICE_KINDS)] = _figure(row)
        else:
            out.devices[row.text("id")] = _figure(row)
    for where, raw in _rows(doc, "embodied_servers", path):
        row = Row(where, raw, ("id", "accelerators", "sockets", *common))
        if row.has("accelerators") == row.has("sockets"):
            raise row.fail("accelerators", "a server figure is shared by its accelerators or by its sockets: give one")
        if row.has("accelerators"):
            out.accelerator_server = _figure(row, int(row.integer("accelerators", 1, 1024) or 1))
        else:
            out.cpu_server = _figure(row, int(row.integer("sockets", 1, 64) or 1))
    for where, raw in _rows(doc, "embodied_instances", path):
        row = Row(where, raw, ("id", "host_embodied_kg", *common))
        row.number("host_embodied_kg", 0, 1_000_000, required=False)
        out.instances[row.text("id")] = _figure(row)
    if "embodied_lifetime" in doc:
        raw = doc["embodied_lifetime"]
        where = f"{path}: embodied_lifetime"
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: expected a mapping with years, years_short, utilization, year, source")
        row = Row(where, raw, ("years", "years_short", "utilization", "year", "source", "note"))
        years = float(row.number("years", 0.5, 30) or 0)
        short = float(row.number("years_short", 0.5, 30) or 0)
        if short > years:
            raise row.fail("years_short", f"{short:g} is longer than years {years:g}")
        out.lifetime = Lifetime(
            years=years,
            years_short=short,
            utilization=float(row.number("utilization", 0.01, 1) or 0),
            year=int(row.integer("year", *YEAR_RANGE) or 0),
            source=row.text("source"),
        )
