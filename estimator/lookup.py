"""Listing the catalog: devices, instance types, regions, the cleanest regions."""

from __future__ import annotations

from typing import Any

from estimator import grid
from estimator.api import DataFiles
from estimator.catalog import load_catalog
from estimator.errors import EstimatorError, InputError, did_you_mean
from estimator.plan import check_basis, check_year, place
from estimator.records import DEVICE_KINDS, Device, Instance, Region


def hardware(kind: str | None = None, vendor: str | None = None, data_files: DataFiles = None) -> list[Device]:
    """Devices, sorted by id; ``kind`` is one of gpu, tpu, npu, soc, cpu."""
    if kind is not None and kind not in DEVICE_KINDS:
        raise InputError(
            f"kind must be one of {', '.join(DEVICE_KINDS)}; got {kind!r}{did_you_mean(kind, DEVICE_KINDS)}"
        )
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


def region_intensity(
    region: str, year: int | None = None, basis: str = "lifecycle", data_files: DataFiles = None
) -> grid.IntensityChoice:
    """The grid intensity an estimate in ``region`` uses for ``year``, with the figures beside it.

    Parameters
    ----------
    region : str
        A region id or name ("aws:us-east-1", "DE").
    year : int, optional
        Default: the latest year in the data.
    basis : {"lifecycle", "marginal"}

    Returns
    -------
    grid.IntensityChoice
        ``value_g_per_kwh`` [gCO2e/kWh], ``year``, ``basis``, ``zone``, ``source``, ``beside``, range.
    """
    catalog = load_catalog(data_files)
    reg = _place(catalog, region)
    return grid.choose(catalog, reg, check_year(year), check_basis(basis))


def intensity_series(region: str, basis: str = "lifecycle", data_files: DataFiles = None) -> list[dict[str, Any]]:
    """The yearly series the central figure of ``region`` comes from, oldest first.

    Returns
    -------
    list of dict
        ``year``, ``intensity_g_per_kwh`` [gCO2e/kWh], ``basis``, ``dataset``, ``zone``, ``source``.

    Raises
    ------
    InputError
        When the place has no figure on ``basis`` (no marginal figure for ``world``), as
        :func:`region_intensity` does; lookup errors name the ``region`` argument (``err.field``).
    """
    basis = check_basis(basis)
    catalog = load_catalog(data_files)
    reg = _place(catalog, region)
    return [
        {
            "year": f.year,
            "intensity_g_per_kwh": f.intensity_g_per_kwh,
            "basis": f.basis,
            "dataset": f.dataset,
            "zone": f.place,
            "source": f.source,
        }
        for f in grid.central_series(catalog, reg, basis)
    ] or _no_series(catalog, reg, basis)


def _no_series(catalog: Any, reg: Region, basis: str) -> list[dict[str, Any]]:
    """No series on ``basis`` for ``reg``: region_intensity's error (no marginal figure for 'world'), not []."""
    grid.choose(catalog, reg, None, basis)  # raises, naming what to use instead
    return []


def _place(catalog: Any, region: str) -> Region:
    """:func:`estimator.plan.place`, its errors about the ``region`` argument."""
    try:
        return place(catalog, region)
    except EstimatorError as exc:
        raise exc.about("region") from None


def cleanest_regions(
    provider: str | None = None, n: int = 5, data_files: DataFiles = None, year: int | None = None
) -> list[tuple[Region, grid.IntensityChoice]]:
    """The ``n`` cloud regions with the lowest life-cycle intensity in ``year`` (default the latest).

    All regions are on one basis, so the ranking compares grids, not sources.

    Returns
    -------
    list of (Region, grid.IntensityChoice)
        Cleanest first; ties by id.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a whole number, 1 or more; got {n!r}", field="n")
    year = check_year(year)
    catalog = load_catalog(data_files)
    clouds = [(r, grid.choose(catalog, r, year)) for r in regions(provider, data_files) if r.is_cloud]
    return sorted(clouds, key=lambda rc: (rc[1].value_g_per_kwh, rc[0].id))[:n]
