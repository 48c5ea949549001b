"""Listing the catalog: devices, instance types, regions, the cleanest regions."""

from __future__ import annotations

from estimator.api import DataFiles
from estimator.catalog import load_catalog
from estimator.errors import InputError
from estimator.records import DEVICE_KINDS, Device, Instance, Region


def hardware(kind: str | None = None, vendor: str | None = None, data_files: DataFiles = None) -> list[Device]:
    """Devices, sorted by id; ``kind`` is one of gpu, tpu, npu, soc, cpu."""
    if kind is not None and kind not in DEVICE_KINDS:
        raise InputError(f"kind must be one of {', '.join(DEVICE_KINDS)}; got {kind!r}")
    rows = load_catalog(data_files).devices.values()
    return sorted(
        (d for d in rows if (kind is None or d.kind == kind) and (vendor is None or d.vendor == vendor.lower())),
        key=lambda d: d.id,
    )


def instances(provider: str | None = None, data_files: DataFiles = None) -> list[Instance]:
    """Cloud instance types, sorted by id; ``provider`` by id or name ("aws", "Google Cloud")."""
    catalog = load_catalog(data_files)
    pid = catalog.provider(provider).id if provider else None
    return sorted((i for i in catalog.instances.values() if pid is None or i.provider == pid), key=lambda i: i.id)


def regions(provider: str | None = None, data_files: DataFiles = None) -> list[Region]:
    """Regions with their intensity, sorted by id; ``provider`` keeps that provider's cloud regions."""
    catalog = load_catalog(data_files)
    pid = catalog.provider(provider).id if provider else None
    return sorted((r for r in catalog.regions.values() if pid is None or r.provider == pid), key=lambda r: r.id)


def cleanest_regions(provider: str | None = None, n: int = 5, data_files: DataFiles = None) -> list[Region]:
    """The ``n`` cloud regions with the lowest intensity (of one provider, or of all)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a whole number, 1 or more; got {n!r}")
    clouds = [r for r in regions(provider, data_files) if r.is_cloud]
    return sorted(clouds, key=lambda r: (r.intensity_g_per_kwh, r.id))[:n]
