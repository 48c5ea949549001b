"""The public entry points: ``estimate()`` (resolve + compute) and ``default_pue()``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from estimator import core
from estimator.catalog import Catalog, load_catalog
from estimator.core import Estimate
from estimator.job import Job, hashable_files
from estimator.plan import Plan, PueChoice, catalog_for, place, remember, resolve, run_hours, shape_key
from estimator.plan import default_pue as _default_pue
from estimator.version import __version__

DataFiles = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def estimate(
    hardware: str | None = None,
    hours: float | None = None,
    count: int | None = None,
    region: str | None = None,
    pue: float | None = None,
    intensity: float | None = None,
    power_w: float | None = None,
    utilization: float = 1.0,
    *,
    instance: str | None = None,
    cpu: str | None = None,
    cpu_count: int | None = None,
    cpu_cores: float | None = None,
    cpu_utilization: float = 1.0,
    memory_gb: float | None = None,
    provider: str | None = None,
    draw_low_fraction: float | None = None,
    intensity_range: tuple[float, float] | None = None,
    trials: int = 1,
    year: int | None = None,
    basis: str = "lifecycle",
    data_files: DataFiles = None,
) -> Estimate:
    """Energy and emissions of running ``hardware`` for ``hours``: resolve the job, then core's arithmetic.

    ``energy_kwh = Σ count × power_w × utilization × hours × pue / 1000`` and
    ``co2e_g = energy_kwh × intensity_g_per_kwh``; every input is described once
    in :class:`estimator.job.Job`.

    Parameters
    ----------
    hardware : str, optional
        Device id, alias or name ("A100 SXM4 80GB", "Tesla V100-SXM2-16GB"), or a CPU
        for a CPU-only run. May be left out with ``instance`` or ``power_w``.
    hours : float
        Wall-clock hours the job ran [h], > 0.
    count : int, optional
        Devices [-] (default 1, or the instance's).
    region : str, optional
        "gcp:us-central1", "aws:us-east-1", "FR", "US-CA", "US-MIDA-PJM", "world", or a name.
    pue : float, optional
        Facility power usage effectiveness [-], 1 to 3 (default: the region's, the
        provider's, else the industry average, 1.54 in 2025).
    intensity : float, optional
        Grid carbon intensity [gCO2e/kWh], instead of the region's.
    power_w : float, optional
        Power per device [W], instead of the catalog's TDP.
    utilization : float
        Share of ``power_w`` (or TDP) drawn [-], in (0, 1].
    instance : str, optional
        Cloud instance type ("aws:p4d.24xlarge"), filling accelerator, count, CPU and memory.
    cpu, cpu_count, cpu_cores, cpu_utilization : optional
        A CPU model; whole packages [-] or cores used [-] (TDP / cores each); share drawn [-].
    memory_gb : float, optional
        RAM [GB], at 0.3725 W/GB.
    provider : str, optional
        Narrows a region name ("Frankfurt") to one provider's regions.
    draw_low_fraction : float, optional
        Low end of the draw range [fraction of TDP] (default 0.25, calibrated on
        measured runs); applies to catalog TDPs at utilization 1 only.
    intensity_range : (float, float), optional
        (low, high) [gCO2e/kWh], instead of the spread of the figures beside.
    trials : int
        Runs of this job (a sweep); the result covers all of them.
    year : int, optional
        The year the job ran: the grid intensity of that year (default the latest in
        the data; the nearest year, said in a warning, when outside it).
    basis : {"lifecycle", "marginal"}
        "lifecycle": location-based life-cycle yearly average of the place's grid
        zone, the reported figure; "marginal": UNFCCC operating margin, what one
        more kWh there emits.
    data_files : path or paths, optional
        Your own YAML/CSV rows merged over the shipped data.

    Returns
    -------
    Estimate
        ``energy_kwh``, ``co2e_g`` (``low``/``high`` range), ``embodied_g`` beside,
        ``intensity_year``, ``region["zone"]``, ``region["basis"]``, breakdown,
        provenance and warnings.

    Raises
    ------
    InputError, NotFoundError, AmbiguousNameError
        What was wrong, what is allowed, the closest matches; ``err.field`` names the input.

    Notes
    -----
    A call that differs from an earlier one only in ``hours`` and ``trials`` reuses
    that call's resolved job (kept per catalog and every other input, types
    included; bounded): it checks hours and trials and runs the arithmetic. The
    result's ``components``, ``inputs``, ``region`` and ``hardware`` are made when
    first read, each a new value of that result.

    References
    ----------
    Lacoste et al. 2019, "Quantifying the carbon emissions of machine learning", arXiv:1910.09700.
    Electricity Maps, yearly carbon intensity 2021-2025 (ODbL 1.0); Ember yearly data (CC BY-SA 4.0).
    Dodge et al. 2022, FAccT, doi:10.1145/3531146.3533234 (measured training draw: the range's low end).
    Uptime Institute, Global Data Center Survey 2025 (industry-average PUE 1.54).
    """
    files: tuple[str, ...] | None = hashable_files(data_files) if data_files is not None else None
    if isinstance(intensity_range, list):
        intensity_range = tuple(intensity_range)
    shape = (hardware, count, region, pue, intensity, power_w, utilization, instance, cpu, cpu_count,
             cpu_cores, cpu_utilization, memory_gb, provider, year, basis, draw_low_fraction, intensity_range,
             files)  # fmt: skip
    catalog = catalog_for(files)
    run_h, runs = run_hours(hours, trials)  # the errors resolve() gives, in its order
    try:
        key = shape_key(shape)
        prepared = _PREPARED.get(catalog, _NONE).get(key)
    except TypeError:  # an unhashable value (a list): the plain path says what is wrong with it
        prepared = key = None
    if prepared is None:
        job = Job(
            hardware=hardware,
            hours=hours,
            count=count,
            region=region,
            pue=pue,
            intensity=intensity,
            power_w=power_w,
            utilization=utilization,
            instance=instance,
            cpu=cpu,
            cpu_count=cpu_count,
            cpu_cores=cpu_cores,
            cpu_utilization=cpu_utilization,
            memory_gb=memory_gb,
            provider=provider,
            year=year,
            basis=basis,
            draw_low_fraction=draw_low_fraction,
            intensity_range=intensity_range,
            trials=trials,
            data_files=files,
        )
        plan = resolve(job, catalog)
        if key is None:
            return compute(plan)
        prepared = remember(_PREPARED, catalog, key, _prepared(plan), MAX_PREPARED)
    return core.of_hours(prepared, hours, run_h, runs)


MAX_PREPARED = 4096
_PREPARED: dict[Catalog, dict[tuple[Any, ...], core.Prepared]] = {}
"""estimate()'s resolved jobs, ready for new hours: per catalog, then per every input but hours and
trials (with their types). Bounded by plan.remember: the oldest go."""
_NONE: dict[tuple[Any, ...], core.Prepared] = {}


def compute(plan: Plan) -> Estimate:
    """The :class:`~estimator.core.Estimate` of a resolved plan (core's arithmetic on its numbers)."""
    emb = plan.embodied
    devices = plan.specs[0].number if plan.has_accelerator else 0
    return core.compute(
        plan.specs,
        hours=plan.hours,
        pue=plan.pue.pue,
        intensity_g_per_kwh=plan.intensity_g_per_kwh,
        intensity_low_g_per_kwh=plan.intensity_low_g_per_kwh,
        intensity_high_g_per_kwh=plan.intensity_high_g_per_kwh,
        embodied_g=core.embodied_total_g(emb.fixed_per_hour_g, emb.per_device_hour_g, devices, plan.hours),
        embodied_high_g=core.embodied_total_g(
            emb.fixed_high_per_hour_g, emb.per_device_high_hour_g, devices, plan.hours
        ),
        trials=plan.trials,
        region=core.fresh(plan.region_facts),
        hardware=core.fresh(plan.hardware_facts),
        inputs=core.echo_inputs(plan.job.hours, plan.given_shape, plan.trials),
        **_provenance(plan),
    )


def _prepared(plan: Plan) -> core.Prepared:
    """What :func:`compute` makes of ``plan`` whatever its hours (``core.of_hours`` adds them)."""
    emb = plan.embodied
    devices = plan.specs[0].number if plan.has_accelerator else 0
    return core.prepare(
        plan.specs,
        pue=plan.pue.pue,
        intensity_g_per_kwh=plan.intensity_g_per_kwh,
        intensity_low_g_per_kwh=plan.intensity_low_g_per_kwh,
        intensity_high_g_per_kwh=plan.intensity_high_g_per_kwh,
        embodied_g_per_hour=core.embodied_per_hour_g(emb.fixed_per_hour_g, emb.per_device_hour_g, devices),
        embodied_high_g_per_hour=core.embodied_per_hour_g(
            emb.fixed_high_per_hour_g, emb.per_device_high_hour_g, devices
        ),
        region=plan.region_facts,
        hardware=plan.hardware_facts,
        given=plan.given_shape,
        **_provenance(plan),
    )


def _provenance(plan: Plan) -> dict[str, Any]:
    """The Estimate's fields a plan fixes whatever its hours: sources, bases, versions, warnings."""
    return {
        "range_basis": plan.range_basis,
        "embodied_basis": plan.embodied.basis,
        "pue_basis": plan.pue.basis,
        "pue_source": plan.pue.source,
        "intensity_basis": plan.intensity_basis,
        "intensity_source": plan.intensity_source,
        "intensity_year": plan.intensity_year,
        "data_version": plan.data_version,
        "package_version": __version__,
        "warnings": plan.warnings,
    }


def default_pue(region: str | None = None, provider: str | None = None, data_files: DataFiles = None) -> PueChoice:
    """The PUE an estimate uses when none is given, without estimating anything.

    Parameters
    ----------
    region : str, optional
        A region id or name ("gcp:us-central1", "FR"); None for the provider's or the industry's.
    provider : str, optional
        A provider id or name; narrows a region name, or gives the provider's fleet PUE.

    Returns
    -------
    PueChoice
        ``pue`` [-], ``basis`` ("region", "provider", "industry-average") and ``source``.

    References
    ----------
    Uptime Institute, Global Data Center Survey 2025 (industry average 1.54).
    """
    catalog = load_catalog(data_files)
    reg = place(catalog, region, provider) if region is not None else None
    pid = catalog.provider(provider).id if provider else ""
    return _default_pue(catalog, reg, pid)
