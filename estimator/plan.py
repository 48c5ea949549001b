"""``resolve(job, catalog) -> Plan``: names to records, defaults chosen, every value checked.

A :class:`Plan` is everything an estimate needs besides the arithmetic: the
components of the draw (with their power figures and sources), the PUE and the
grid intensity chosen (with their basis), the range's assumptions, embodied
emissions per hour, and the warnings. :func:`estimator.estimate` is
``core.compute(resolve(job))`` (made once per job but its hours and trials,
then only the arithmetic per call: ``core.prepare`` and ``core.of_hours``);
batch resolves each distinct combination of names once through the same
function and hands arrays of the per-row numbers to the same core arithmetic.

Errors are the package's own and carry ``err.field``, the input they are about.

References
----------
Dodge et al. 2022, "Measuring the carbon intensity of AI in cloud instances", FAccT,
doi:10.1145/3531146.3533234 (measured training draw 0.27-0.92 of TDP: the low end of the range).
Uptime Institute, Global Data Center Survey 2025 (industry-average PUE 1.54).
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import time
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from estimator import core, grid
from estimator.catalog import Catalog, load_catalog
from estimator.core import ComponentSpec
from estimator.errors import AmbiguousNameError, EstimatorError, InputError, NotFoundError, did_you_mean
from estimator.job import BASES, Job
from estimator.names import listed, one_edit_apart
from estimator.records import POWER_BASIS_WORDS, Device, Instance, Region
from estimator.schema import YEAR_RANGE

OLD_FIGURE_YEARS = 5
THIS_YEAR = time.localtime().tm_year
# Low end of the draw range, calibrated on measured runs (data/validation.csv, docs/validation.md):
# training runs measured on Azure drew 0.27 to 0.92 of TDP, median 0.43 (Dodge et al. 2022, FAccT,
# doi:10.1145/3531146.3533234, Table 2); OLMo training drew 15 % to 85 % of maximum power (Morrison et al.
# 2025, ICLR). The earlier 0.76 (large H100 training, Newkirk et al. 2025, arXiv:2506.14551) left 10 of 12
# measured GPU runs below the range. Pass draw_low_fraction for a run you know better.
TYPICAL_TRAINING_DRAW_FRACTION = 0.25
MEASURED_TRAINING_DRAWS = "0.27-0.92 of TDP"  # Dodge et al. 2022, FAccT, Table 2: the measured training runs
DRAW_FRACTION_SOURCE = (
    f"measured training draws {MEASURED_TRAINING_DRAWS} (Dodge et al. 2022, FAccT, Table 2; "
    "calibration in docs/validation.md)"
)
TDP_WARNING = (
    f"TDP is an upper bound of draw: real draw is usually lower (training runs measured {MEASURED_TRAINING_DRAWS}). "
    "Set utilization (or power_w from nvidia-smi) for a tighter figure."
)

T = TypeVar("T")


class PueChoice(NamedTuple):
    """The PUE used, how it was chosen (user, region, provider, industry-average) and its source."""

    pue: float
    basis: str
    source: str


class Embodied(NamedTuple):
    """Manufacturing emissions per hour of use [gCO2e/h]: a fixed part plus a part per accelerator."""

    fixed_per_hour_g: float
    per_device_hour_g: float
    fixed_high_per_hour_g: float
    per_device_high_hour_g: float
    basis: tuple[str, ...]


class Plan(NamedTuple):
    """A resolved job: plain numbers and records, ready for :func:`estimator.core.compute`.

    ``specs[0]`` is the accelerator component when ``has_accelerator``: the one
    whose count, power and utilization batch varies row by row.
    """

    job: Job
    hours: float  # wall-clock hours × trials [h]
    trials: int
    specs: tuple[ComponentSpec, ...]
    has_accelerator: bool
    device: Device | None
    instance: Instance | None
    region: Region | None
    pue: PueChoice
    intensity_g_per_kwh: float
    intensity_low_g_per_kwh: float
    intensity_high_g_per_kwh: float
    intensity_basis: str  # "user", or the basis of the figure used: "lifecycle", "marginal", "direct"
    intensity_source: str
    intensity: grid.IntensityChoice | None  # None when the user gave the intensity
    range_basis: tuple[str, ...]
    embodied: Embodied
    region_facts: dict[str, Any] | None
    hardware_facts: dict[str, Any] | None
    warnings: tuple[str, ...]
    data_version: str
    given_shape: dict[str, Any]  # the inputs given, but hours and trials (Estimate.inputs adds them)

    def slots(self) -> tuple[ComponentSpec | None, ComponentSpec | None, ComponentSpec | None]:
        """The components as (accelerator, CPU, memory), None where absent: the order core sums them in."""
        rest = self.specs[1:] if self.has_accelerator else self.specs
        cpu = next((s for s in rest if s.kind != "memory"), None)
        memory = next((s for s in rest if s.kind == "memory"), None)
        return (self.specs[0] if self.has_accelerator else None), cpu, memory

    @property
    def intensity_year(self) -> int | None:
        """The year of the grid intensity used (None for a user-given intensity)."""
        return self.intensity.year if self.intensity else None


def _about(field: str, call: Callable[[], T]) -> T:
    """Run ``call``; an error it raises is recorded as about ``field``."""
    try:
        return call()
    except EstimatorError as exc:
        raise exc.about(field) from None


def _text(field: str, value: object, example: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{field} must be a name or id such as {example}; got {_short(value)}", field=field)
    return value


def _short(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


@functools.cache
def _power_source(device: Device) -> str:
    words = POWER_BASIS_WORDS[device.power_basis]
    return f"{device.name}: {words} {device.tdp_w:g} W ({_cited(device.source, device.year)})"


def _device_spec(
    catalog: Catalog, hardware: str | None, count: int, power_w: float | None, util: float, warnings: list[str]
) -> tuple[ComponentSpec, Device | None]:
    device: Device | None = None
    if hardware is not None:
        name = _text("hardware", hardware, "'nvidia-a100-sxm4-80gb'")
        try:
            device, hit = catalog.device(name)
            if hit.loose:
                warnings.append(f"hardware {name!r} read as {device.id} ({device.name})")
        except (NotFoundError, AmbiguousNameError) as exc:
            if power_w is None:
                raise exc.about("hardware") from None
            warnings.append(f"{exc} Using your power_w of {power_w:g} W for {name!r}.")
    if power_w is not None:
        label = device.name if device else (hardware or "custom device")
        source = f"user-supplied power_w {power_w:g} W"
        if slip := _power_slip(power_w, count, device):
            warnings.append(slip)
        spec = ComponentSpec(
            label, "accelerator", count, power_w, util, source, device.id if device else "", power_basis="user"
        )
        return spec, device
    assert device is not None
    kind = "cpu" if device.is_cpu else "accelerator"
    spec = ComponentSpec(
        device.name, kind, count, device.tdp_w, util, _power_source(device), device.id, power_basis=device.power_basis
    )
    return spec, device


POWER_SLIP_HIGH = 1.5  # power_w above this × the device's catalog figure: a whole node's, or a unit slip?
POWER_SLIP_LOW = 0.05  # below this × the figure: under any device's idle draw (kW typed as W?)


def _power_slip(power_w: float, count: int, device: Device | None) -> str | None:
    """A warning when ``power_w`` [W per device] looks like a node's total or a figure in kW, else None."""
    if device is None:
        return f"power_w {power_w:g} W per device is under 1 W: is it in kW? (give watts)" if power_w < 1 else None
    figure = f"{device.name}'s {POWER_BASIS_WORDS[device.power_basis]} of {device.tdp_w:g} W"
    if power_w > POWER_SLIP_HIGH * device.tdp_w:
        total = f" (the total of {count} devices? give it per device: {power_w / count:g} W)" if count > 1 else ""
        return f"power_w {power_w:g} W is per device, {power_w / device.tdp_w:.3g} × the {figure}{total}"
    if power_w < POWER_SLIP_LOW * device.tdp_w:
        return f"power_w {power_w:g} W is under {POWER_SLIP_LOW:g} × the {figure}: is it in kW? (give watts)"
    return None


@functools.lru_cache(maxsize=8)
def _cpu_ids(catalog: Catalog) -> frozenset[str]:
    """The ids of the catalog's CPUs (what ``cpu`` may name)."""
    return frozenset(i for i, d in catalog.devices.items() if d.is_cpu)


def _not_a_cpu(catalog: Catalog, name: str) -> str:
    """'is NVIDIA T4, a gpu' or 'names gpus (nvidia-a100-...)' when ``name`` names devices of another kind, else ''."""
    try:
        device = catalog.device(name)[0]
    except AmbiguousNameError as exc:
        found = [catalog.devices[i] for i in exc.candidates if i in catalog.devices]
        if found and not any(d.is_cpu for d in found):
            kinds = sorted({f"{d.kind}s" for d in found})
            return (
                f"names {' and '.join(kinds)} ({listed([d.id for d in found][:3])}{', ...' if len(found) > 3 else ''})"
            )
        return ""
    except EstimatorError:
        return ""
    return "" if device.is_cpu else f"is {device.name}, a {device.kind}"


def _cpu_spec(
    catalog: Catalog, cpu: str, cpu_count: int | None, cpu_cores: float | None, util: float, warnings: list[str]
) -> ComponentSpec:
    name = _text("cpu", cpu, "'amd-epyc-7742'")
    try:  # among the CPUs: 'epyc 77' is ambiguous among EPYCs, 'a100' no CPU at all
        hit = catalog.device_index.resolve(name, _cpu_ids(catalog))
    except (NotFoundError, AmbiguousNameError) as exc:  # the devices' index says "hardware": here it is the cpu
        if named := _not_a_cpu(catalog, name):
            raise InputError(f"cpu {name!r} {named}, not a CPU; pass it as hardware instead", field="cpu") from None
        exc.args = (re.sub(r"^(unknown )?hardware ", r"\1cpu ", str(exc), count=1), *exc.args[1:])
        raise exc.about("cpu") from None
    device = catalog.devices[hit.id]
    if hit.loose:
        warnings.append(f"cpu {name!r} read as {device.id} ({device.name})")
    if cpu_cores is not None:
        cores = device.cores or 1
        if cpu_cores > cores and device.cores is None:
            raise InputError(
                f"cpu_cores {cpu_cores:g} needs the cores of {device.name}, which the data does not give; "
                "give cpu_count (whole CPUs) instead",
                field="cpu_cores",
            )
        if cpu_cores > cores * core.MAX_COUNT:
            raise InputError(
                f"cpu_cores {cpu_cores:g} would be over {core.MAX_COUNT:,} CPUs of {cores} cores; "
                "check the number of cores",
                field="cpu_cores",
            )
        if cpu_cores > cores:  # cores across packages (96 of two 64-core CPUs): each core is TDP / cores all the same
            warnings.append(
                f"cpu_cores {cpu_cores:g} is more than the {cores} cores of one {device.name}: counted as "
                f"{cpu_cores / cores:.3g} CPUs at TDP / {cores} per core (for hardware threads, give "
                "threads ÷ threads per core)"
            )
        source = f"{_power_source(device)} / {cores} cores"
        label = f"{device.name} (per core)"
        basis = device.power_basis
        return ComponentSpec(
            label, "cpu", cpu_cores, device.tdp_w / cores, util, source, device.id, power_basis=basis, per="core"
        )
    return ComponentSpec(
        device.name,
        "cpu",
        cpu_count or 1,
        device.tdp_w,
        util,
        _power_source(device),
        device.id,
        power_basis=device.power_basis,
    )


@functools.lru_cache(maxsize=1024)
def _instance_cpu_spec(device: Device, inst: Instance, util: float) -> ComponentSpec:
    """The CPU share of an instance: vcpus × TDP / threads of its CPU."""
    threads = device.threads or device.cores or 1
    source = f"{_power_source(device)} / {threads} threads, × {inst.vcpus} vCPUs of {inst.id}"
    label = f"{device.name} ({inst.vcpus} vCPUs)"
    return ComponentSpec(
        label,
        "cpu",
        inst.vcpus,
        device.tdp_w / threads,
        util,
        source,
        device.id,
        power_basis=device.power_basis,
        per="vCPU",
    )


@functools.lru_cache(maxsize=1024)
def _memory_spec(memory_gb: float) -> ComponentSpec:
    label = f"memory ({memory_gb:g} GB)"
    return ComponentSpec(
        label, "memory", memory_gb, core.MEMORY_W_PER_GB, 1.0, core.MEMORY_W_PER_GB_SOURCE, power_basis="memory"
    )


def default_pue(catalog: Catalog, region: Region | None, provider_id: str = "") -> PueChoice:
    """The PUE a place gets when none is given: the region's published figure, else its
    provider's fleet figure, else the industry average (Uptime Institute 2024).

    Returns
    -------
    PueChoice
        PUE [dimensionless, >= 1], basis ("region", "provider", "industry-average") and source.
    """
    if region is not None and region.pue is not None:
        source = f"{region.id} published PUE {region.pue:g} ({_cited(region.pue_source, region.pue_year)})"
        return PueChoice(region.pue, "region", source)
    provider = catalog.providers.get(region.provider if region and region.provider else provider_id)
    if provider is not None and provider.pue is not None:
        source = f"{provider.name} fleet PUE {provider.pue:g} ({_cited(provider.pue_source, provider.pue_year)})"
        return PueChoice(provider.pue, "provider", source)
    avg = catalog.industry_pue
    return PueChoice(avg.pue, "industry-average", f"industry average PUE {avg.pue:g} ({_cited(avg.source, avg.year)})")


def _cited(source: str, year: object) -> str:
    """``source, year``, or the source alone when it already names that year ("our measurement, 2024")."""
    return source if str(year) in source else f"{source}, {year}"


def _power_notes(catalog: Catalog, device_ids: tuple[str, ...], utilization_given: bool) -> list[str]:
    """What to say about catalog power figures: TDP is an upper bound (unless a utilization says the
    draw already); estimates are estimates."""
    devices = [catalog.devices[i] for i in device_ids]
    tdp = any(d.power_basis in ("tdp", "tbp") for d in devices)
    notes = [TDP_WARNING] if tdp and not utilization_given else []
    for d in devices:
        if d.power_basis in ("measured", "estimate"):
            notes.append(f"{d.name}: {POWER_BASIS_WORDS[d.power_basis]}, not a vendor TDP. {d.note}".strip())
    return notes


def _embodied_item(catalog: Catalog, device: Device, host: Instance | None = None) -> tuple[float, str] | None:
    """kg per device (with its share of a server) and the sources, or None without a figure.

    An accelerator carries its own kg plus 1/N of the N-accelerator server, whose
    figure is the whole server but its accelerators (host CPUs, memory, board and
    chassis inside: Luccioni et al. 2022, BLOOM). An instance's accelerators share
    one host, so with ``host`` (the instance) N is at least its accelerator count:
    the 16 chips of a trn2.48xlarge carry 1/16 each, one server in all. A CPU carries 1/S of the S-socket
    base server, which already holds one CPU (Cloud Carbon Footprint: the base plus
    100 kg per CPU *beyond* it), plus 1/S of the S - 1 CPUs the base lacks.
    A share of one board (``share_of``, ``share``: a cloud's 1/6 of an A10) carries
    that fraction of the whole board's figure, server share included.
    """
    if device.share_of is not None and device.share is not None:
        board = catalog.devices[device.share_of]  # the catalog checked it is a whole device of the same kind
        whole = _embodied_item(catalog, board)
        if whole is None:
            return None
        board_kg, board_what = whole
        kg = device.share * board_kg
        what = f"{device.name}: {device.share_text} of a whole {board.name}'s {board_kg:g} kg = {kg:.4g} kg"
        return kg, f"{what}; {board_what}"
    emb = catalog.embodied
    found = emb.devices.get(device.id) or emb.kinds.get(device.kind)
    if found is None:
        return None
    own = f"{found.kg:g} kg ({_cited(found.source, found.year)})"
    if device.is_cpu:
        server = emb.cpu_server
        if server is None:
            return found.kg, f"{device.name}: {own}"
        kg = (server.kg + (server.per - 1) * found.kg) / server.per
        what = (
            f"{device.name}: 1/{server.per} of a {server.kg:g} kg {server.per}-socket server that holds one CPU "
            f"({_cited(server.source, server.year)}) + {server.per - 1}/{server.per} × {own} for the CPUs beyond "
            f"the base = {kg:.4g} kg per CPU"
        )
        return kg, what
    server = emb.accelerator_server
    if server is None:
        return found.kg, f"{device.name}: {own}"
    per = max(server.per, host.accelerator_count if host is not None else 0)
    kg = found.kg + server.kg / per
    shared = f"; {host.id}'s {per} accelerators share one host" if per > server.per and host is not None else ""
    what = (
        f"{device.name}: {own} + 1/{per} of a {server.kg:g} kg server, its host CPUs, memory and chassis included "
        f"({_cited(server.source, server.year)}{shared}) = {kg:.4g} kg"
    )
    return kg, what


def _embodied(catalog: Catalog, specs: list[ComponentSpec], has_acc: bool, inst: Instance | None) -> Embodied:
    """Manufacturing emissions per hour of use, split into a fixed part and a part per accelerator.

    Each physical server is counted once: when the accelerators carry their share of
    the accelerator server, the CPUs are inside that server's figure and add nothing.
    """
    life = catalog.embodied.lifetime
    if life is None:
        return Embodied(math.nan, math.nan, math.nan, math.nan, ("no embodied lifetime in the data",))
    basis = [
        f"amortised over {life.years:g} years (high end {life.years_short:g}) at "
        f"{life.utilization:.0%} utilisation ({_cited(life.source, life.year)})"
    ]
    fixed = [0.0, 0.0]
    per_device = [0.0, 0.0]
    found = False
    host = ""  # the accelerator server, once the accelerators carry their share of it
    if inst is not None and inst.id in catalog.embodied.instances:
        fig = catalog.embodied.instances[inst.id]
        what = f"{inst.id}: {fig.kg:g} kg share of its host ({_cited(fig.source, fig.year)})"
        central = core.embodied_g(fig.kg, 1.0, life.years, life.utilization)
        high = core.embodied_g(fig.kg, 1.0, life.years_short, life.utilization)
        return Embodied(central, 0.0, high, 0.0, (*basis, what))
    for i, s in enumerate(specs):
        device = catalog.devices.get(s.device_id)
        if device is None or s.kind == "memory":
            continue
        if device.is_cpu and host:
            basis.append(f"{s.label}: inside the {host}; not counted again")
            continue
        per_item = _embodied_item(catalog, device, inst if i == 0 and has_acc else None)
        if per_item is None:
            basis.append(f"no embodied figure for {device.name} ({device.kind}); left out")
            continue
        kg, what = per_item
        found = True
        basis.append(what)
        if i == 0 and has_acc:  # per accelerator: the count may vary row by row
            per_device = [
                core.embodied_g(kg, 1.0, life.years, life.utilization),
                core.embodied_g(kg, 1.0, life.years_short, life.utilization),
            ]
            server = catalog.embodied.accelerator_server
            if server is not None and not device.is_cpu:
                host = f"{server.kg:g} kg accelerator server's figure (which leaves out only its accelerators)"
            continue
        items = s.number * s.power_w / device.tdp_w if device.is_cpu else s.number  # cores/vCPUs as packages
        fixed[0] += core.embodied_g(kg, items, life.years, life.utilization)
        fixed[1] += core.embodied_g(kg, items, life.years_short, life.utilization)
    if not found:
        return Embodied(math.nan, math.nan, math.nan, math.nan, tuple(basis))
    return Embodied(fixed[0], per_device[0], fixed[1], per_device[1], tuple(basis))


def _from_catalog(spec: ComponentSpec) -> bool:
    """Whether the component's power is a catalog figure (not the user's power_w)."""
    return bool(spec.device_id) and not spec.power_source.startswith("user")


def _draw_range(
    catalog: Catalog, specs: list[ComponentSpec], job: Job, util: float
) -> tuple[list[ComponentSpec], list[str]]:
    """Give catalog-TDP components (at utilization 1) the low-end fraction of their draw."""
    if job.draw_low_fraction is not None:
        fraction = core.check_utilization(job.draw_low_fraction, "draw_low_fraction")
        source = f"your draw_low_fraction {fraction:g}"
    else:
        fraction, source = TYPICAL_TRAINING_DRAW_FRACTION, DRAW_FRACTION_SOURCE
    out, spread, bounds = [], False, []
    for spec in specs:
        s = spec
        device = catalog.devices[s.device_id] if _from_catalog(s) and s.kind != "memory" else None
        at_full = s.utilization == 1.0 and util == 1.0
        if device is not None and device.power_basis == "measured":  # an average drawn, not an upper bound
            low_w, top_w = device.power_low_w or s.power_w, device.tdp_high_w or s.power_w
            if at_full and (low_w, top_w) != (s.power_w, s.power_w):
                s = s._replace(low_fraction=low_w / s.power_w, high_fraction=top_w / s.power_w)
                bounds.append(f"{s.label}: measured {low_w:g} to {top_w:g} W (mean {s.power_w:g} W; see its note)")
            out.append(s)
            continue
        if device is not None and at_full and fraction < 1:
            s = s._replace(low_fraction=fraction)
            spread = True
        high_w = device.tdp_high_w if device is not None else None
        if high_w is not None and s.kind == "accelerator":  # an estimated power with a published upper bound
            s = s._replace(high_fraction=high_w / s.power_w)
            bounds.append(f"{s.label}: power up to {high_w:g} W (estimate; see its note)")
        out.append(s)
    return out, ([f"draw: {fraction:g} to 1 × TDP ({source})"] if spread else []) + bounds


def _given_range(given: Any, ci: float) -> tuple[float, float, str]:
    if isinstance(given, (str, bytes)) or not isinstance(given, (tuple, list)) or len(given) != 2:
        raise InputError(
            f"intensity_range must be (low, high) in gCO2e/kWh, e.g. (300, 450); got {_short(given)}",
            field="intensity_range",
        )
    try:
        low, high = (core.check_intensity(v) for v in given)
    except (TypeError, ValueError) as exc:
        raise InputError(f"intensity_range must be (low, high) in gCO2e/kWh: {exc}", field="intensity_range") from None
    if low > high:
        raise InputError(f"intensity_range low bound {low:g} is above the high bound {high:g}", field="intensity_range")
    if not low <= ci <= high:
        raise InputError(
            f"intensity_range {low:g}..{high:g} does not contain the intensity used, {ci:g}", field="intensity_range"
        )
    return low, high, f"intensity: {low:g} to {high:g} gCO2e/kWh (your range)"


def check_year(year: object) -> int | None:
    """A whole year in Job's range, or None (the latest in the data)."""
    if year is None:
        return None
    low, high = YEAR_RANGE
    if isinstance(year, bool) or not isinstance(year, int | float) or year != int(year) or not low <= year <= high:
        raise InputError(f"year must be a whole year from {low} to {high}, e.g. 2023; got {_short(year)}", field="year")
    return int(year)


def check_basis(basis: object) -> str:
    """One of Job's bases: "lifecycle" or "marginal"."""
    if basis not in BASES:
        raise InputError(
            f"basis must be one of {', '.join(BASES)}; got {_short(basis)}{did_you_mean(basis, BASES)}", field="basis"
        )
    return str(basis)


def _provider(catalog: Catalog, job: Job) -> str:
    """The provider id given (checked, with its own field), or ''."""
    if job.provider is None:
        return ""
    name = _text("provider", job.provider, "'aws', 'gcp' or 'azure'")
    return _about("provider", lambda: catalog.provider(name)).id


def _region(catalog: Catalog, job: Job, inst: Instance | None, warnings: list[str]) -> Region | None:
    provider = _provider(catalog, job)
    if provider and inst is not None and inst.provider and inst.provider != provider:
        raise InputError(
            f"provider {provider} conflicts with instance {inst.id}, which runs on {inst.provider}; "
            "leave provider out (the instance says it)",
            field="provider",
        )
    if job.region is None:
        return None
    name = _text("region", job.region, "'gcp:us-central1' or 'FR'")
    try:
        reg, hit = _about("region", lambda: catalog.region(name, job.provider or (inst.provider if inst else None)))
    except AmbiguousNameError as exc:
        shared = _shared_zone(catalog, exc.candidates)
        if shared is None:
            raise
        warnings.append(
            f"region {name!r} is {' or '.join(exc.candidates)}, all in grid zone {shared.id}: using the zone's "
            "figure and the default PUE; give provider (e.g. 'aws') for that provider's region and PUE"
        )
        return shared
    if provider and reg.is_cloud and reg.provider != provider:
        raise InputError(
            f"region {reg.id} is {_article(reg.provider)} {reg.provider} region but provider is {provider}; "
            "give one of them" + _same_place(catalog, name, reg, provider),
            field="provider",
        )
    if inst is not None and inst.provider and reg.is_cloud and reg.provider != inst.provider:
        raise InputError(  # an instance type runs only in its own provider's regions
            f"region {reg.id} is {_article(reg.provider)} {reg.provider} region but instance {inst.id} runs on "
            f"{inst.provider}; "
            f"give one of {inst.provider}'s regions, or a grid zone" + _same_place(catalog, name, reg, inst.provider),
            field="region",
        )
    others = [p for p in catalog.provider_regions if p != reg.provider]
    exact, near = ([], []) if ":" in name or not reg.is_cloud else _spelt_like(catalog, name, others)
    twins = exact + near
    if twins:
        said = [f"{listed(exact)} {'is' if len(exact) == 1 else 'are'} spelt so"] if exact else []
        said += [f"{listed(near)} {'is' if len(near) == 1 else 'are'} one character away"] if near else []
        warnings.append(
            f"region {name!r} read as {reg.id}; {'; '.join(said)}: if you meant "
            f"{'it' if len(twins) == 1 else 'one'}, give the full id (e.g. {twins[0]})"
        )
    if hit.loose:
        note = f"region {name!r} read as {reg.id} ({reg.name})"
        if reg.is_cloud:
            note += f", a cloud region with its provider's PUE; for the local grid give {reg.zone or reg.country}"
        warnings.append(note)
    elif not reg.is_cloud and name.lower() != reg.id.lower() and (namesakes := _namesakes(catalog, reg)):
        meant = "; ".join(f"{r.id} is {r.name}" for r in namesakes)  # 'Georgia': the country, or the US state?
        warnings.append(f"region {name!r} read as {reg.id} ({reg.name}); {meant}: give its id if you meant it")
    return reg


def _namesakes(catalog: Catalog, reg: Region) -> list[Region]:
    """Other grids named as ``reg`` with a qualifier ('Georgia (US state)' beside the country 'Georgia'); not cloud
    regions, whose names say their country ('Canada (Central)')."""
    prefix = f"{reg.name} (".lower()
    return [
        r for r in catalog.regions.values() if not r.is_cloud and r.id != reg.id and r.name.lower().startswith(prefix)
    ]


def _article(word: str) -> str:
    """'an' before a vowel (an aws region, an ibm region), else 'a' (a gcp region)."""
    return "an" if word[:1].lower() in "aeiou" else "a"


def _same_place(catalog: Catalog, name: str, reg: Region, provider: str) -> str:
    """'; did you mean aws:us-east-1?': ``provider``'s regions spelt like a bare ``name`` (or one character
    from it) or in ``reg``'s grid zone (a suggestion by spelling alone could move the job to another grid), or ''."""
    exact, near = ([], []) if ":" in name else _spelt_like(catalog, name, [provider])
    ids = sorted({*exact, *near, *regions_on_grid(catalog, provider, reg)})
    return f"; did you mean {' or '.join(ids[:3])}?" if ids else ""


def regions_on_grid(catalog: Catalog, provider: str, reg: Region) -> list[str]:
    """``provider``'s cloud regions on ``reg``'s grid, sorted (where the same job draws the same grid figure)."""
    return sorted(r for r in catalog.provider_regions.get(provider, ()) if catalog.regions[r].grid_id == reg.grid_id)


def _spelt_like(catalog: Catalog, bare: str, providers: list[str]) -> tuple[list[str], list[str]]:
    """The regions of ``providers`` whose id after the colon is ``bare``, and those one character from it
    ('us-east1': aws:us-east-1), each sorted."""
    key = bare.lower()
    exact: list[str] = []
    near: list[str] = []
    for pid in providers:
        for rid in catalog.provider_regions.get(pid, ()):
            part = rid.split(":", 1)[1].lower()
            if part == key:
                exact.append(rid)
            elif one_edit_apart(key, part):
                near.append(rid)
    return sorted(exact), sorted(near)


def place(catalog: Catalog, name: str, provider: str | None = None) -> Region:
    """The place ``name`` names, as estimate() reads it: a name several cloud regions share, all on one grid
    (``us-east-1``: aws and alibaba), is that grid zone; the look-ups and the web form's links read it so."""
    try:
        return catalog.region(name, provider)[0]
    except AmbiguousNameError as exc:
        shared = _shared_zone(catalog, exc.candidates)
        if shared is None:
            raise
        return shared


def _shared_zone(catalog: Catalog, candidates: tuple[str, ...]) -> Region | None:
    """The grid zone every candidate cloud region draws from, if they all draw from one."""
    regions = [catalog.regions[c] for c in candidates if c in catalog.regions]
    zones = {r.grid_id for r in regions}
    if len(regions) != len(candidates) or not all(r.is_cloud for r in regions) or len(zones) != 1:
        return None
    return catalog.regions[zones.pop()]


def _intensity(job: Job, reg: Region | None, catalog: Catalog, warnings: list[str]) -> tuple[Any, ...]:
    """(value, low, high, basis, source, choice, range text) of the grid intensity."""
    year, basis = check_year(job.year), check_basis(job.basis)
    if job.intensity is not None:
        ci = core.check_intensity(job.intensity)
        if year is not None or basis != "lifecycle":
            field = "year" if year is not None else "basis"
            raise InputError(
                f"{field} chooses the grid's figure; with intensity given it does nothing: "
                f"leave out {field}, or intensity",
                field=field,
            )
        if 0 < ci < 1:
            warnings.append(f"intensity {ci:g} gCO2e/kWh is very low; if it is in kg/kWh, multiply by 1000")
        low = high = ci
        text = ""
        if job.intensity_range is not None:
            low, high, text = _given_range(job.intensity_range, ci)
        return ci, low, high, "user", f"user-supplied intensity {ci:g} gCO2e/kWh", None, text
    if reg is None:
        raise InputError(
            "give region (e.g. 'gcp:us-central1', 'aws:us-east-1', 'FR', 'US-CA' or 'world') or intensity in gCO2e/kWh",
            field="region",
        )
    choice = grid.choose(catalog, reg, year, basis)
    warnings.extend(choice.notes)
    if year is None and THIS_YEAR - choice.year > OLD_FIGURE_YEARS:
        warnings.append(f"the intensity for {choice.zone} describes {choice.year}; grids change")
    low, high = choice.low_g_per_kwh, choice.high_g_per_kwh
    text = ""
    if job.intensity_range is not None:
        low, high, text = _given_range(job.intensity_range, choice.value_g_per_kwh)
    elif choice.beside:
        text = (
            f"intensity: {low:g} to {high:g} gCO2e/kWh across sources and bases "
            f"(central: {choice.zone} {choice.basis} {choice.year}; beside: {grid.describe_beside(choice)})"
        )
    return choice.value_g_per_kwh, low, high, choice.basis, choice.source, choice, text


def _components(
    catalog: Catalog, job: Job, inst: Instance | None, warnings: list[str]
) -> tuple[list[ComponentSpec], Device | None, bool]:
    util = core.check_utilization(job.utilization)
    cpu_util = core.check_utilization(job.cpu_utilization, "cpu_utilization")
    power = core.check_power_w(job.power_w) if job.power_w is not None else None
    if job.cpu_count is not None and job.cpu_cores is not None:
        raise InputError("give cpu_count (whole CPUs) or cpu_cores (cores used), not both", field="cpu_cores")
    if (job.cpu_count is not None or job.cpu_cores is not None) and job.cpu is None:
        field = "cpu_count" if job.cpu_count is not None else "cpu_cores"
        also = "; an instance's CPU counts its vCPUs" if inst is not None else ""
        example = "'amd-epyc-7742'"
        if job.hardware is not None and inst is None:  # a CPU given as hardware: name it as cpu instead
            try:
                named = catalog.device(str(job.hardware))[0]
                if named.is_cpu:
                    example, also = repr(named.id), f"; {named.id} is a CPU: give it as cpu, not hardware"
            except EstimatorError:
                pass
        raise InputError(f"{field} needs cpu, the CPU model (e.g. {example}){also}", field=field)
    if job.cpu_utilization != 1.0 and job.cpu is None and not (inst is not None and inst.cpu):
        raise InputError(
            "cpu_utilization needs a CPU: give cpu (e.g. 'amd-epyc-7742') or an instance with one",
            field="cpu_utilization",
        )
    specs: list[ComponentSpec] = []
    device: Device | None = None
    main = job.hardware if job.hardware is not None else (inst.accelerator if inst else None)
    if main is not None or power is not None:
        default_count = inst.accelerator_count if inst and inst.accelerator else 1
        n = core.check_count(job.count) if job.count is not None else default_count
        if inst is not None and inst.accelerator and n > default_count:
            times = n / default_count
            several = (
                f"{times:g} such instances give hours × {times:g}"
                if times == int(times)
                else ("several such instances multiply hours by their number")
            )
            raise InputError(
                f"count {n:g} is more than the {default_count} accelerators of one {inst.id}; "
                f"for {several} (everything scales with hours)",
                field="count",
            )
        if inst is not None and inst.accelerator and n < default_count and (inst.cpu or inst.memory_gb):
            host = "its CPU and memory" if inst.cpu else "its memory"
            warnings.append(
                f"count {n:g} of the {default_count} accelerators of {inst.id}: those {n:g} and the whole "
                f"instance's host ({host}) are counted; leave count out for the whole instance"
            )
        spec, device = _device_spec(catalog, main, n, power, util, warnings)
        specs.append(spec)
    elif job.count is not None:
        raise InputError("count is the number of devices of hardware; give hardware too", field="count")
    has_acc = bool(specs)
    if job.cpu is not None:
        cores = core.check_cores(job.cpu_cores) if job.cpu_cores is not None else None
        n_cpu = core.check_count(job.cpu_count, "cpu_count", "CPUs") if job.cpu_count is not None else None
        specs.append(_cpu_spec(catalog, job.cpu, n_cpu, cores, cpu_util, warnings))
    elif inst is not None and inst.cpu:
        specs.append(_instance_cpu_spec(catalog.devices[inst.cpu], inst, cpu_util))
    elif inst is not None and inst.vcpus:
        cores = inst.vcpus / 2  # two vCPUs (threads) a core
        warnings.append(
            f"{inst.id}'s {inst.vcpus} host vCPUs are not counted: no CPU model is published for it; to count "
            f"them, give cpu (the host's CPU model) and cpu_cores={cores:g}, its vCPUs as cores"
        )
    if job.memory_gb is not None:
        specs.append(_memory_spec(core.check_memory_gb(job.memory_gb)))
    elif inst is not None:
        specs.append(_memory_spec(inst.memory_gb))
    if not specs:
        raise InputError(
            "nothing to estimate: give hardware (e.g. 'nvidia-a100-sxm4-80gb'), "
            "an instance (e.g. 'aws:p4d.24xlarge'), a cpu, or power_w",
            field="hardware",
        )
    return specs, device, has_acc


def _instance(catalog: Catalog, job: Job, warnings: list[str]) -> Instance | None:
    if job.instance is None:
        return None
    name = _text("instance", job.instance, "'aws:p4d.24xlarge'")
    inst, hit = _about("instance", lambda: catalog.instance(name))
    if hit.loose:
        warnings.append(f"instance {name!r} read as {inst.id}")
    if job.hardware is not None and inst.accelerator:
        device, _ = _about("hardware", lambda: catalog.device(_text("hardware", job.hardware, "'nvidia-t4'")))
        if device.id != inst.accelerator:
            raise InputError(
                f"hardware {device.id} conflicts with instance {inst.id}, which has "
                f"{inst.accelerator_count} × {inst.accelerator}; give one of them, or power_w for a custom device",
                field="hardware",
            )
    return inst


def _facts(plan_region: Region | None, catalog: Catalog, choice: grid.IntensityChoice | None) -> dict[str, Any] | None:
    if plan_region is None:
        return None
    r = plan_region
    provider = catalog.providers.get(r.provider)
    facts: dict[str, Any] = {
        "id": r.id,
        "name": r.name,
        "kind": r.kind,
        "place": catalog.region_place(r),
        "country": r.country,
        "provider": r.provider,
        "provider_name": provider.name if provider else "",
        "zone": r.grid_id,
        "zone_source": r.zone_source,
        "cfe_pct": r.cfe_pct,
        "cfe_year": r.cfe_year,
        "cfe_source": r.cfe_source,
    }
    if choice is not None:
        facts.update(choice.facts())
    else:
        facts["basis"] = "user"
    return facts


def _structure(catalog: Catalog, job: Job) -> Plan:
    """Everything but the hours (cached per job without its hours)."""
    warnings: list[str] = []
    inst = _instance(catalog, job, warnings)
    specs, device, has_acc = _components(catalog, job, inst, warnings)
    reg = _region(catalog, job, inst, warnings)
    ci, ci_low, ci_high, ci_basis, ci_source, choice, ci_text = _intensity(job, reg, catalog, warnings)
    pue = (
        PueChoice(core.check_pue(job.pue), "user", f"user-supplied PUE {job.pue:g}")
        if job.pue is not None
        else default_pue(catalog, reg, inst.provider if inst else _provider(catalog, job))
    )
    from_catalog = tuple(s.device_id for s in specs if _from_catalog(s))
    warnings.extend(_power_notes(catalog, from_catalog, job.utilization != 1.0))
    specs, range_basis = _draw_range(catalog, specs, job, core.check_utilization(job.utilization))
    if ci_text:
        range_basis.append(ci_text)
    # the instance's host share applies to the instance as it is; with other accelerators, their own figures
    as_is = job.hardware is None and (job.count is None or inst is None or job.count == inst.accelerator_count)
    embodied = _embodied(catalog, specs, has_acc, inst if as_is else None)
    hw: dict[str, Any] | None = None
    if device is not None or inst is not None:
        hw = {
            "id": device.id if device else None,
            "name": device.name if device else None,
            "kind": device.kind if device else None,
            "tdp_w": device.tdp_w if device else None,
            "power_basis": device.power_basis if device else None,
            "count": specs[0].number if device else None,
            "instance": inst.id if inst else None,
        }
    return Plan(
        job=job,
        hours=math.nan,
        trials=1,
        specs=tuple(specs),
        has_accelerator=has_acc,
        device=device,
        instance=inst,
        region=reg,
        pue=pue,
        intensity_g_per_kwh=ci,
        intensity_low_g_per_kwh=ci_low,
        intensity_high_g_per_kwh=ci_high,
        intensity_basis=ci_basis,
        intensity_source=ci_source,
        intensity=choice,
        range_basis=tuple(range_basis),
        embodied=embodied,
        region_facts=_facts(reg, catalog, choice),
        hardware_facts=hw,
        warnings=tuple(dict.fromkeys(warnings)),
        data_version=catalog.data_version,
        given_shape=job.given(skip=frozenset({"hours", "trials"})),
    )


MAX_CACHED_PLANS = 4096  # per catalog
MAX_CACHED_CATALOGS = 16  # the newest catalogs whose plans are kept (load_catalog keeps as many)
_STRUCTURES: dict[Catalog, dict[tuple[Any, ...], Plan]] = {}  # everything but the hours, per job shape (types too)


def remember(memo: dict[Catalog, dict[Any, T]], catalog: Catalog, key: Any, value: T, size: int) -> T:
    """Keep ``value`` under ``catalog`` and ``key`` in ``memo``, and return it.

    Bounded: at most ``size`` entries per catalog and MAX_CACHED_CATALOGS catalogs
    (a user's data file edited many times makes a new catalog each time); the oldest go first.
    """
    kept = memo.get(catalog)
    if kept is None:
        _make_room(memo, MAX_CACHED_CATALOGS)
        kept = memo[catalog] = {}
    _make_room(kept, size)
    kept[key] = value
    return value


def _make_room(memo: dict[Any, Any], size: int) -> None:
    while len(memo) >= size:
        with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # another thread made room first
            del memo[next(iter(memo))]


def catalog_for(data_files: tuple[str, ...] | None) -> Catalog:
    """The catalog a job with ``data_files`` uses (the shipped one merged with them); errors name data_files."""
    try:
        return load_catalog(data_files)
    except EstimatorError as exc:
        raise exc.about("data_files") from None


def run_hours(hours: object, trials: object) -> tuple[float, int]:
    """The hours a job covers [h] (wall-clock hours × trials) and its trials, both checked."""
    if hours is None:
        raise InputError("hours is required: wall-clock hours the job ran, > 0, e.g. 72", field="hours")
    checked = core.check_hours(hours)
    runs = core.check_count(trials, "trials", "runs")
    return checked * runs, runs


def shape_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """A cache key for inputs ``values``: the values and their types (72 and 72.0, 1 and True, are
    equal and hash alike, but are echoed or refused differently), within tuples too."""
    types = tuple(map(type, values))
    if tuple not in types:
        return values, types
    return values, types, tuple(tuple(map(type, v)) if type(v) is tuple else None for v in values)


def resolve(job: Job, catalog: Catalog | None = None) -> Plan:
    """Resolve ``job``: every name to its record, every default chosen, every value checked.

    Parameters
    ----------
    job : Job
        The inputs (``hours`` required).
    catalog : Catalog, optional
        Default: the shipped catalog merged with ``job.data_files``.

    Returns
    -------
    Plan
        Components, PUE, intensity (with year, basis and the figures beside),
        range assumptions, embodied per hour, warnings.

    Raises
    ------
    InputError, NotFoundError, AmbiguousNameError
        With ``err.field`` naming the input.
    """
    if catalog is None:
        catalog = catalog_for(job.data_files)
    hours, trials = run_hours(job.hours, job.trials)
    try:
        key = shape_key(job.shape())
        structure = _STRUCTURES.get(catalog, {}).get(key)
    except TypeError:  # an unhashable value: the uncached call says what is wrong with it
        return _structure(catalog, job)._replace(hours=hours, trials=trials)
    if structure is None:
        structure = remember(_STRUCTURES, catalog, key, _structure(catalog, job), MAX_CACHED_PLANS)
    return structure._replace(job=job, hours=hours, trials=trials)
