"""``estimate()``: resolve names through the catalog, then hand plain values to core."""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

from estimator import core
from estimator.catalog import Catalog, load_catalog
from estimator.core import ComponentSpec, Estimate
from estimator.errors import AmbiguousNameError, InputError, NotFoundError
from estimator.records import Device, Instance, Region
from estimator.version import __version__

OLD_FIGURE_YEARS = 5
THIS_YEAR = time.localtime().tm_year
POWER_BASIS_WORDS = {
    "tdp": "TDP",
    "tbp": "typical board power",
    "measured": "measured average power",
    "estimate": "estimated power",
}
# Low end of the draw range: compute-intensive training measured at 76 % of rated
# power on 8-GPU H100 nodes (Newkirk et al. 2025, "Empirically calibrated H100 node
# power models...", arXiv:2506.14551; Latif et al. 2024, arXiv:2412.08602, saw at
# most 82 %). Lighter jobs draw less: pass your own draw_low_fraction.
TYPICAL_TRAINING_DRAW_FRACTION = 0.76
DRAW_FRACTION_SOURCE = "Newkirk et al. 2025 (arXiv:2506.14551): training at 76 % of rated power"
TDP_WARNING = (
    "TDP is an upper bound of draw: real draw during training is usually lower. "
    "Set utilization (or power_w from nvidia-smi) for a tighter figure."
)
DataFiles = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None


def _file_list(data_files: DataFiles) -> list[str] | None:
    """The user's data files as a list of paths (one path given alone is one file)."""
    if not data_files:
        return None
    if isinstance(data_files, str | os.PathLike):
        return [os.fspath(data_files)]
    return [os.fspath(f) for f in data_files]


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
        if not isinstance(hardware, str) or not hardware.strip():
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
    if not isinstance(cpu, str) or not cpu.strip():
        raise InputError(f"cpu must be a CPU model name or id such as 'amd-epyc-7742'; got {cpu!r}")
    device, hit = catalog.device(cpu)
    if not device.is_cpu:
        raise InputError(f"cpu {cpu!r} is {device.name}, a {device.kind}, not a CPU; pass it as hardware instead")
    if hit.loose:
        warnings.append(f"cpu {cpu!r} read as {device.id} ({device.name})")
    if cpu_cores is not None:
        cores = device.cores or 1
        if cpu_cores > cores:
            raise InputError(
                f"cpu_cores {cpu_cores:g} is more than the {cores} cores of {device.name}; "
                "for several CPUs give cpu_count (whole CPUs) instead"
            )
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


def _intensity_facts(reg: Region) -> tuple[str, str]:
    """The intensity's source line, and a warning when the figure is old."""
    via = f" via grid row {reg.intensity_from}" if reg.intensity_from else ""
    source = f"{reg.id} {reg.intensity_g_per_kwh:g} gCO2e/kWh{via} ({reg.source}, {reg.year})"
    age = THIS_YEAR - reg.year
    old = (
        f"the intensity for {reg.id} describes {reg.year}, {age} years ago; grids change"
        if age > OLD_FIGURE_YEARS
        else ""
    )
    return source, old


def _region_facts(catalog: Catalog, region: Region) -> dict[str, Any]:
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


def _power_notes(catalog: Catalog, device_ids: tuple[str, ...]) -> list[str]:
    """What to say about the power figures taken from the catalog: TDP is an upper bound; estimates are estimates."""
    devices = [catalog.devices[i] for i in device_ids]
    notes = [TDP_WARNING] if any(d.power_basis in ("tdp", "tbp") for d in devices) else []
    for d in devices:
        if d.power_basis in ("measured", "estimate"):
            notes.append(f"{d.name}: {POWER_BASIS_WORDS[d.power_basis]}, not a vendor TDP. {d.note}".strip())
    return notes


def _embodied_per_hour(
    catalog: Catalog, specs: list[ComponentSpec], inst: Instance | None
) -> tuple[float, float, list[str]]:
    """Amortised manufacturing emissions (central, high) per hour the hardware is used."""
    emb = catalog.embodied
    life = emb.lifetime
    if life is None:
        return math.nan, math.nan, ["no embodied lifetime in the data"]
    central = high = 0.0
    basis: list[str] = [
        f"amortised over {life.years:g} years (high end {life.years_short:g}) at "
        f"{life.utilization:.0%} utilisation ({life.source}, {life.year})"
    ]
    parts: list[tuple[float, float, str]] = []  # (kg per item, items in use, what)
    if inst is not None and inst.id in emb.instances:
        fig = emb.instances[inst.id]
        parts.append((fig.kg, 1.0, f"{inst.id}: {fig.kg:g} kg share of its host ({fig.source}, {fig.year})"))
    else:
        for s in specs:
            device = catalog.devices.get(s.device_id)
            if device is None or s.kind == "memory":
                continue
            per_item = _embodied_item(catalog, device)
            if per_item is None:
                basis.append(f"no embodied figure for {device.name} ({device.kind}); left out")
                continue
            kg, what = per_item
            items = s.number * s.power_w / device.tdp_w if device.is_cpu else s.number  # CPU cores/vCPUs as packages
            parts.append((kg, items, what))
    for kg, items, what in parts:  # one hour of use of each item
        central += core.embodied_g(kg, items, life.years, life.utilization)
        high += core.embodied_g(kg, items, life.years_short, life.utilization)
        basis.append(what)
    if not parts:
        return math.nan, math.nan, basis
    return central, high, basis


def _embodied_item(catalog: Catalog, device: Device) -> tuple[float, str] | None:
    """kg per device (with its share of a server) and the sources, or None without a figure."""
    emb = catalog.embodied
    found = emb.devices.get(device.id) or emb.kinds.get(device.kind)
    if found is None:
        return None
    server = emb.cpu_server if device.is_cpu else emb.accelerator_server
    kg = found.kg + (server.kg / server.per if server else 0.0)
    what = f"{device.name}: {found.kg:g} kg ({found.source}, {found.year})"
    if server:
        what += f" + 1/{server.per} of a {server.kg:g} kg server ({server.source}, {server.year})"
    return kg, what


def _draw_range(
    catalog: Catalog, specs: list[ComponentSpec], utilization: float, low_fraction: float | None
) -> tuple[list[ComponentSpec], list[str]]:
    """Give catalog-TDP components (at utilization 1) the low-end fraction of their draw."""
    if low_fraction is not None:
        fraction = core.check_utilization(low_fraction, "draw_low_fraction")
        source = f"your draw_low_fraction {fraction:g}"
    else:
        fraction, source = TYPICAL_TRAINING_DRAW_FRACTION, DRAW_FRACTION_SOURCE
    out, spread, bounds = [], False, []
    for spec in specs:
        s = spec
        from_tdp = s.device_id and not s.power_source.startswith("user") and s.kind != "memory"
        if from_tdp and s.utilization == 1.0 and utilization == 1.0 and fraction < 1:
            s = s._replace(low_fraction=fraction)
            spread = True
        high_w = catalog.devices[s.device_id].tdp_high_w if from_tdp else None
        if high_w is not None and s.kind == "accelerator":
            s = s._replace(high_fraction=high_w / s.power_w)
            bounds.append(f"{s.label}: power up to {high_w:g} W (estimate; see its note)")
        out.append(s)
    return out, ([f"draw: {fraction:g} to 1 × TDP ({source})"] if spread else []) + bounds


def _intensity_range(
    ci: float, basis: str, region: Region | None, given: tuple[float, float] | None
) -> tuple[float, float, str]:
    if given is not None:
        try:
            low, high = (core.check_intensity(v) for v in given)
        except (TypeError, ValueError) as exc:
            raise InputError(f"intensity_range must be (low, high) in gCO2e/kWh: {exc}") from None
        if low > high:
            raise InputError(f"intensity_range low bound {low:g} is above the high bound {high:g}")
        if not low <= ci <= high:
            raise InputError(f"intensity_range {low:g}..{high:g} does not contain the intensity used, {ci:g}")
        return low, high, f"intensity: {low:g} to {high:g} gCO2e/kWh (your range)"
    if basis == "region" and region is not None and region.intensity_low_g_per_kwh is not None:
        low, high = region.intensity_low_g_per_kwh, region.intensity_high_g_per_kwh or ci
        text = f"intensity: {low:g} to {high:g} gCO2e/kWh across sources and years ({region.spread_note})"
        return low, high, text
    return ci, ci, ""


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
    draw_low_fraction: low end of the range, as a fraction of TDP (default 0.76,
        Newkirk et al. 2025); applies to catalog TDPs at utilization 1 only.
    intensity_range: (low, high) gCO2e/kWh, overriding the data's spread.
    trials: runs of this job (a sweep): the result is for all of them.
    data_files: your own YAML/CSV rows merged over the shipped data.
    """
    catalog = load_catalog(data_files)
    hours_f = core.check_hours(hours) if hours is not None else None
    if hours_f is None:
        raise InputError("hours is required: wall-clock hours the job ran, > 0, e.g. 72")
    n_trials = core.check_count(trials, "trials")
    hours_f *= n_trials
    names = (hardware, count, region, pue, intensity, power_w, utilization, instance, cpu, cpu_count, cpu_cores)
    rest = (cpu_utilization, memory_gb, provider, draw_low_fraction)
    spread = tuple(intensity_range) if isinstance(intensity_range, list | tuple) else intensity_range
    try:
        plan = _cached_plan(catalog, *names, *rest, spread)
    except TypeError:  # an unhashable argument: the uncached call says what is wrong with it
        plan = _plan(catalog, *names, *rest, spread)  # type: ignore[arg-type]

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
            "provider": provider,
            "draw_low_fraction": draw_low_fraction,
            "intensity_range": list(intensity_range) if intensity_range is not None else None,
            "data_files": _file_list(data_files),
            "trials": trials if trials != 1 else None,
        }.items()
        if v is not None
    }
    return core.compute(
        plan.specs,
        hours=hours_f,
        pue=plan.pue,
        intensity_g_per_kwh=plan.intensity,
        intensity_low_g_per_kwh=plan.intensity_low,
        intensity_high_g_per_kwh=plan.intensity_high,
        range_basis=plan.range_basis,
        embodied_g=plan.embodied_per_hour * hours_f,
        embodied_high_g=plan.embodied_high_per_hour * hours_f,
        embodied_basis=plan.embodied_basis,
        trials=n_trials,
        pue_basis=plan.pue_basis,
        pue_source=plan.pue_source,
        intensity_basis=plan.intensity_basis,
        intensity_source=plan.intensity_source,
        region=dict(plan.region) if plan.region is not None else None,
        hardware=dict(plan.hardware) if plan.hardware is not None else None,
        inputs=inputs,
        data_version=catalog.data_version,
        package_version=__version__,
        warnings=plan.warnings,
    )


class _Plan(NamedTuple):
    """Everything an estimate needs besides its hours: names resolved to plain values and sources."""

    specs: tuple[ComponentSpec, ...]
    pue: float
    pue_basis: str
    pue_source: str
    intensity: float
    intensity_basis: str
    intensity_source: str
    intensity_low: float
    intensity_high: float
    range_basis: tuple[str, ...]
    embodied_per_hour: float
    embodied_high_per_hour: float
    embodied_basis: tuple[str, ...]
    region: dict[str, Any] | None  # copied into each Estimate
    hardware: dict[str, Any] | None
    warnings: tuple[str, ...]


def _plan(
    catalog: Catalog,
    hardware: str | None,
    count: int | None,
    region: str | None,
    pue: float | None,
    intensity: float | None,
    power_w: float | None,
    utilization: float,
    instance: str | None,
    cpu: str | None,
    cpu_count: int | None,
    cpu_cores: float | None,
    cpu_utilization: float,
    memory_gb: float | None,
    provider: str | None,
    draw_low_fraction: float | None,
    intensity_range: tuple[float, float] | None,
) -> _Plan:
    """Check the arguments and resolve every name (the same inputs give the same plan: cached)."""
    warnings: list[str] = []
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
        default_count = inst.accelerator_count if inst and inst.accelerator else 1
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

    if provider is not None and (not isinstance(provider, str) or not provider.strip()):
        raise InputError(f"provider must be a name such as 'aws', 'gcp' or 'azure'; got {provider!r}")
    reg: Region | None = None
    if region is not None:
        if not isinstance(region, str):
            raise InputError(f"region must be an id or a name such as 'gcp:us-central1' or 'FR'; got {region!r}")
        reg, rhit = catalog.region(region, provider or (inst.provider if inst else None))
        if rhit.loose:
            note = f"region {region!r} read as {reg.id} ({reg.name})"
            if reg.is_cloud:
                grid = reg.subdivision or reg.country
                note += f", a cloud region with its provider's PUE; for the local grid give {grid}"
            warnings.append(note)
    if intensity is not None:
        ci = core.check_intensity(intensity)
        ci_basis, ci_source = "user", f"user-supplied intensity {ci:g} gCO2e/kWh"
        if 0 < ci < 1:
            warnings.append(f"intensity {ci:g} gCO2e/kWh is very low; if it is in kg/kWh, multiply by 1000")
    elif reg is not None:
        ci, ci_basis = reg.intensity_g_per_kwh, "region"
        ci_source, old = _intensity_facts(reg)
        if old:
            warnings.append(old)
    else:
        raise InputError(
            "give region (e.g. 'gcp:us-central1', 'aws:us-east-1', 'FR', 'US-CA' or 'world') or intensity in gCO2e/kWh"
        )
    pue_value, pue_basis, pue_source = _pue(catalog, pue, reg, inst.provider if inst else "")
    from_catalog = tuple(s.device_id for s in specs if s.device_id and not s.power_source.startswith("user"))
    warnings.extend(_power_notes(catalog, from_catalog))

    specs, range_basis = _draw_range(catalog, specs, util, draw_low_fraction)
    # the instance's host share applies only to the instance as it is; with other accelerators, their own figures
    as_is = inst if hardware is None and (count is None or inst is None or count == inst.accelerator_count) else None
    embodied, embodied_high, embodied_basis = _embodied_per_hour(catalog, specs, as_is)
    ci_low, ci_high, ci_basis_text = _intensity_range(ci, ci_basis, reg, intensity_range)
    if ci_basis_text:
        range_basis.append(ci_basis_text)
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
    return _Plan(
        specs=tuple(specs),
        pue=pue_value,
        pue_basis=pue_basis,
        pue_source=pue_source,
        intensity=ci,
        intensity_basis=ci_basis,
        intensity_source=ci_source,
        intensity_low=ci_low,
        intensity_high=ci_high,
        range_basis=tuple(range_basis),
        embodied_per_hour=embodied,
        embodied_high_per_hour=embodied_high,
        embodied_basis=tuple(embodied_basis),
        region=_region_facts(catalog, reg) if reg else None,
        hardware=hw_info,
        warnings=tuple(dict.fromkeys(warnings)),
    )


_cached_plan = functools.lru_cache(maxsize=1024)(_plan)
