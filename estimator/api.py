"""``estimate()``: resolve names through the catalog, then hand plain values to core."""

from __future__ import annotations

import datetime
import functools
import os
from collections.abc import Sequence
from typing import Any

from estimator import core
from estimator.catalog import Catalog, load_catalog
from estimator.core import ComponentSpec, Estimate
from estimator.errors import AmbiguousNameError, InputError, NotFoundError
from estimator.records import Device, Instance, Region
from estimator.version import __version__

OLD_FIGURE_YEARS = 5
THIS_YEAR = datetime.date.today().year
POWER_BASIS_WORDS = {
    "tdp": "TDP",
    "tbp": "typical board power",
    "measured": "measured average power",
    "estimate": "estimated power",
}
TDP_WARNING = (
    "TDP is an upper bound of draw: real draw during training is usually lower. "
    "Set utilization (or power_w from nvidia-smi) for a tighter figure."
)
DataFiles = Sequence[str | os.PathLike[str]] | None


@functools.cache
def _power_source(device: Device) -> str:
    words = POWER_BASIS_WORDS[device.power_basis]
    return f"{device.name}: {words} {device.tdp_w:g} W ({device.source}, {device.year})"


def _device_spec(
    catalog: Catalog,
    hardware: str | None,
    count: int,
    power_w: float | None,
    utilization: float,
    warnings: list[str],
) -> tuple[ComponentSpec, Device | None]:
    device: Device | None = None
    if hardware is not None:
        if not isinstance(hardware, str):
            raise InputError(f"hardware must be a name or id such as 'nvidia-a100-sxm4-80gb'; got {hardware!r}")
        try:
            device, hit = catalog.device(hardware)
            if hit.loose:
                warnings.append(f"hardware {hardware!r} read as {device.id} ({device.name})")
        except (NotFoundError, AmbiguousNameError) as exc:
            if power_w is None:
                raise
            warnings.append(f"{exc} Using your power_w of {power_w:g} W for {hardware!r}.")
    if power_w is not None:
        label = device.name if device else (hardware or "custom device")
        source = f"user-supplied power_w {power_w:g} W"
        return ComponentSpec(
            label, "accelerator", count, power_w, utilization, source, device.id if device else ""
        ), device
    assert device is not None
    kind = "cpu" if device.is_cpu else "accelerator"
    return ComponentSpec(device.name, kind, count, device.tdp_w, utilization, _power_source(device), device.id), device


def _cpu_spec(
    catalog: Catalog,
    cpu: str,
    cpu_count: int | None,
    cpu_cores: float | None,
    utilization: float,
    warnings: list[str],
) -> ComponentSpec:
    device, hit = catalog.device(cpu)
    if not device.is_cpu:
        raise InputError(f"cpu {cpu!r} is {device.name}, a {device.kind}, not a CPU; pass it as hardware instead")
    if hit.loose:
        warnings.append(f"cpu {cpu!r} read as {device.id} ({device.name})")
    if cpu_cores is not None:
        cores = device.cores or 1
        per_core_w = device.tdp_w / cores
        source = f"{_power_source(device)} / {cores} cores"
        return ComponentSpec(f"{device.name} (per core)", "cpu", cpu_cores, per_core_w, utilization, source, device.id)
    return ComponentSpec(
        device.name, "cpu", cpu_count or 1, device.tdp_w, utilization, _power_source(device), device.id
    )


@functools.lru_cache(maxsize=1024)
def _instance_cpu_spec(device: Device, inst: Instance, utilization: float) -> ComponentSpec:
    """The CPU share of an instance: vcpus × TDP / threads of its CPU."""
    threads = device.threads or device.cores or 1
    source = f"{_power_source(device)} / {threads} threads, × {inst.vcpus} vCPUs of {inst.id}"
    return ComponentSpec(
        f"{device.name} ({inst.vcpus} vCPUs)", "cpu", inst.vcpus, device.tdp_w / threads, utilization, source, device.id
    )


@functools.lru_cache(maxsize=1024)
def _memory_spec(memory_gb: float) -> ComponentSpec:
    return ComponentSpec(
        f"memory ({memory_gb:g} GB)", "memory", memory_gb, core.MEMORY_W_PER_GB, 1.0, core.MEMORY_W_PER_GB_SOURCE
    )


def _region_info(catalog: Catalog, region: Region) -> dict[str, Any]:
    return {
        "id": region.id,
        "name": region.name,
        "kind": region.kind,
        "place": catalog.region_place(region),
        "country": region.country,
        "provider": region.provider,
        "provider_name": catalog.providers[region.provider].name if region.provider in catalog.providers else "",
        "intensity_g_per_kwh": region.intensity_g_per_kwh,
        "year": region.year,
        "source": region.source,
        "intensity_from": region.intensity_from,
        "cfe_pct": region.cfe_pct,
        "cfe_year": region.cfe_year,
        "cfe_source": region.cfe_source,
    }


def _pue(catalog: Catalog, pue: float | None, region: Region | None, provider_id: str) -> tuple[float, str, str]:
    if pue is not None:
        return core.check_pue(pue), "user", f"user-supplied PUE {pue:g}"
    if region is not None and region.pue is not None:
        return (
            region.pue,
            "region",
            f"{region.id} published PUE {region.pue:g} ({region.pue_source}, {region.pue_year})",
        )
    provider = catalog.providers.get(region.provider if region and region.provider else provider_id)
    if provider is not None and provider.pue is not None:
        return (
            provider.pue,
            "provider",
            f"{provider.name} fleet PUE {provider.pue:g} ({provider.pue_source}, {provider.pue_year})",
        )
    avg = catalog.industry_pue
    return avg.pue, "industry-average", f"industry average PUE {avg.pue:g} ({avg.source}, {avg.year})"


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
    data_files: DataFiles = None,
) -> Estimate:
    """Energy (kWh) and emissions (gCO2e) of running ``hardware`` for ``hours``.

    hardware: device id, alias or name ("A100 SXM4 80GB", "Tesla V100-SXM2-16GB"),
        or a CPU for a CPU-only run. May be left out with ``instance`` or ``power_w``.
    hours: wall-clock hours, > 0. count: devices (default 1, or the instance's).
    region: "gcp:us-central1", "aws:us-east-1", "FR", "US-CA", "world", or a name.
    pue / intensity (gCO2e/kWh) / power_w (W per device): overrides.
    utilization: fraction of power_w (or TDP) drawn, in (0, 1].
    instance: cloud instance type ("aws:p4d.24xlarge") filling accelerator, count,
        CPU and memory; explicit arguments win.
    cpu, cpu_count (packages) or cpu_cores (cores, TDP/cores each), cpu_utilization;
    memory_gb (0.3725 W/GB). provider: narrows a region name ("Frankfurt").
    data_files: your own YAML/CSV rows merged over the shipped data.
    """
    catalog = load_catalog(data_files)
    warnings: list[str] = []
    hours_f = core.check_hours(hours) if hours is not None else None
    if hours_f is None:
        raise InputError("hours is required: wall-clock hours the job ran, > 0, e.g. 72")
    util = core.check_utilization(utilization)
    cpu_util = core.check_utilization(cpu_utilization, "cpu_utilization")
    power = core.check_power_w(power_w) if power_w is not None else None
    if cpu_count is not None and cpu_cores is not None:
        raise InputError("give cpu_count (whole CPUs) or cpu_cores (cores used), not both")
    if (cpu_count is not None or cpu_cores is not None) and cpu is None and instance is None:
        raise InputError("cpu_count and cpu_cores need cpu, the CPU model (e.g. 'amd-epyc-7742')")

    inst: Instance | None = None
    if instance is not None:
        inst, hit = catalog.instance(str(instance))
        if hit.loose:
            warnings.append(f"instance {instance!r} read as {inst.id}")

    specs: list[ComponentSpec] = []
    device: Device | None = None
    main_hardware = hardware if hardware is not None else (inst.accelerator if inst else None)
    if main_hardware is not None or power is not None:
        default_count = inst.accelerator_count if inst and hardware is None and inst.accelerator else 1
        n = core.check_count(count) if count is not None else default_count
        spec, device = _device_spec(catalog, main_hardware, n, power, util, warnings)
        specs.append(spec)
    elif count is not None:
        raise InputError("count is the number of devices of hardware; give hardware too")
    if cpu is not None:
        cores = core.check_cores(cpu_cores) if cpu_cores is not None else None
        n_cpu = core.check_count(cpu_count, "cpu_count") if cpu_count is not None else None
        specs.append(_cpu_spec(catalog, cpu, n_cpu, cores, cpu_util, warnings))
    elif inst is not None and inst.cpu:
        specs.append(_instance_cpu_spec(catalog.devices[inst.cpu], inst, cpu_util))
    if memory_gb is not None:
        specs.append(_memory_spec(core.check_memory_gb(memory_gb)))
    elif inst is not None:
        specs.append(_memory_spec(inst.memory_gb))
    if not specs:
        raise InputError(
            "nothing to estimate: give hardware (e.g. 'nvidia-a100-sxm4-80gb'), "
            "an instance (e.g. 'aws:p4d.24xlarge'), a cpu, or power_w"
        )

    reg: Region | None = None
    if region is not None:
        if not isinstance(region, str):
            raise InputError(f"region must be an id or a name such as 'gcp:us-central1' or 'FR'; got {region!r}")
        reg, rhit = catalog.region(region, provider or (inst.provider if inst else None))
        if rhit.loose:
            warnings.append(f"region {region!r} read as {reg.id} ({reg.name})")
    if intensity is not None:
        ci = core.check_intensity(intensity)
        ci_basis, ci_source = "user", f"user-supplied intensity {ci:g} gCO2e/kWh"
        if 0 < ci < 1:
            warnings.append(f"intensity {ci:g} gCO2e/kWh is very low; if it is in kg/kWh, multiply by 1000")
    elif reg is not None:
        ci, ci_basis = reg.intensity_g_per_kwh, "region"
        via = f" via grid row {reg.intensity_from}" if reg.intensity_from else ""
        ci_source = f"{reg.id} {ci:g} gCO2e/kWh{via} ({reg.source}, {reg.year})"
        age = THIS_YEAR - reg.year
        if age > OLD_FIGURE_YEARS:
            warnings.append(f"the intensity for {reg.id} describes {reg.year}, {age} years ago; grids change")
    else:
        raise InputError(
            "give region (e.g. 'gcp:us-central1', 'aws:us-east-1', 'FR', 'US-CA' or 'world') or intensity in gCO2e/kWh"
        )
    pue_value, pue_basis, pue_source = _pue(catalog, pue, reg, inst.provider if inst else "")
    from_catalog = [
        catalog.devices[s.device_id] for s in specs if s.device_id and not s.power_source.startswith("user")
    ]
    if any(d.power_basis in ("tdp", "tbp") for d in from_catalog):
        warnings.append(TDP_WARNING)
    for d in from_catalog:
        if d.power_basis in ("measured", "estimate"):
            warnings.append(f"{d.name}: {POWER_BASIS_WORDS[d.power_basis]}, not a vendor TDP. {d.note}".strip())

    inputs = {
        k: v
        for k, v in {
            "hardware": hardware,
            "hours": hours,
            "count": count,
            "region": region,
            "pue": pue,
            "intensity": intensity,
            "power_w": power_w,
            "utilization": utilization,
            "instance": instance,
            "cpu": cpu,
            "cpu_count": cpu_count,
            "cpu_cores": cpu_cores,
            "cpu_utilization": cpu_utilization,
            "memory_gb": memory_gb,
        }.items()
        if v is not None
    }
    hw_info: dict[str, Any] | None = None
    if device is not None or inst is not None:
        hw_info = {
            "id": device.id if device else None,
            "name": device.name if device else None,
            "kind": device.kind if device else None,
            "tdp_w": device.tdp_w if device else None,
            "power_basis": device.power_basis if device else None,
            "count": specs[0].number if device else None,
            "instance": inst.id if inst else None,
        }
    return core.compute(
        tuple(specs),
        hours=hours_f,
        pue=pue_value,
        intensity_g_per_kwh=ci,
        pue_basis=pue_basis,
        pue_source=pue_source,
        intensity_basis=ci_basis,
        intensity_source=ci_source,
        region=_region_info(catalog, reg) if reg else None,
        hardware=hw_info,
        inputs=inputs,
        data_version=catalog.data_version,
        package_version=__version__,
        warnings=tuple(dict.fromkeys(warnings)),
    )
