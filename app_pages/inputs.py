"""The sidebar: what ran, for how long, where; PUE; advanced; training type.

Returns a ``Job``: the keyword arguments for ``estimator.estimate`` and the
values that go in the shareable link. Widget keys are the API's keyword names.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import estimator
from app_pages import plain, state
from app_pages.widgets import UNSET, job_number, spec_of
from estimator import core, grid, report
from estimator.catalog import Catalog
from estimator.job import Input
from estimator.modelcard import TRAINING_TYPES
from estimator.plan import TYPICAL_TRAINING_DRAW_FRACTION
from estimator.records import DEVICE_KINDS, Device, Instance, Region

KIND_LABEL = {"gpu": "GPU", "tpu": "TPU", "npu": "NPU", "soc": "SoC", "cpu": "CPU"}
GRID_ORDER = {"world": 0, "country": 1, "subdivision": 2, "zone": 3}


@dataclass(frozen=True)
class Job:
    """What the form asks for: ``estimate(**kwargs)``; ``link`` is the URL's query."""

    kwargs: dict[str, Any]
    link: dict[str, Any]
    training_type: str | None
    notes: list[str] = field(default_factory=list)
    typed_hours: float | None = None  # the hours of one run as typed (not device- or instance-hours), for a note


# ---------------------------------------------------------------- option lists (built once per server)


@st.cache_resource
def device_options(_cat: Catalog, data_version: str) -> tuple[list[str], dict[str, str]]:
    """Device ids grouped by kind (GPU, TPU, NPU, SoC, CPU), then by name; and their labels."""
    order = {k: i for i, k in enumerate(DEVICE_KINDS)}
    devices = sorted(_cat.devices.values(), key=lambda d: (order[d.kind], d.name.lower()))
    return [d.id for d in devices], {d.id: _device_label(d) for d in devices}


def _device_label(d: Device) -> str:
    return f"{d.name} ({KIND_LABEL[d.kind]}, {report.num(d.tdp_w)} W)"


@st.cache_resource
def instance_options(_cat: Catalog, data_version: str) -> tuple[list[str], dict[str, str]]:
    instances = sorted(_cat.instances.values(), key=lambda i: i.id)
    return [i.id for i in instances], {i.id: _instance_label(_cat, i) for i in instances}


def _instance_label(cat: Catalog, i: Instance) -> str:
    parts = []
    if i.accelerator:
        parts.append(f"{i.accelerator_count} × {cat.devices[i.accelerator].name}")
    parts.append(f"{i.vcpus} vCPUs, {report.num(i.memory_gb)} GB")
    return f"{i.id} · {', '.join(parts)}"


@st.cache_resource
def region_options(_cat: Catalog, data_version: str) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Region ids per provider (and ``onprem``: world, countries, subdivisions, zones), and labels."""
    by_provider: dict[str, list[str]] = {}
    for r in sorted(_cat.regions.values(), key=lambda r: r.id):
        if r.is_cloud:
            by_provider.setdefault(r.provider, []).append(r.id)
    grids = [r for r in _cat.regions.values() if not r.is_cloud]
    grids.sort(key=lambda r: (GRID_ORDER[r.kind], _cat.region_place(r).lower()))
    by_provider[state.ONPREM] = [r.id for r in grids]
    return by_provider, {r.id: _region_label(_cat, r) for r in _cat.regions.values()}


def _region_label(cat: Catalog, r: Region) -> str:
    """'us-central1 · 501 gCO2e/kWh (2025) · Council Bluffs, Iowa, USA': the latest life-cycle figure, its
    unit and year before the place, so a narrow select box cuts the place, not the unit."""
    name = r.id.split(":", 1)[1] if r.is_cloud else r.id
    try:
        figure = grid.choose(cat, r)
    except estimator.EstimatorError:
        return f"{name} · no figure · {cat.region_place(r)}"
    return f"{name} · {report.num(figure.value_g_per_kwh)} gCO2e/kWh ({figure.year}) · {cat.region_place(r)}"


def provider_label(cat: Catalog, pid: str) -> str:
    return "On-premise: a country or grid" if pid == state.ONPREM else cat.providers[pid].name


# ---------------------------------------------------------------- widgets


def _default(key: str, value: Any) -> None:
    """A widget's first value; set through session state so a shared link can set it instead."""
    st.session_state.setdefault(key, value)


def _hardware(cat: Catalog) -> tuple[dict[str, Any], dict[str, Any]]:
    """Device or instance, count; returns (estimate kwargs, link values)."""
    what = st.radio(
        "What ran",
        ["device", "instance"],
        format_func={"device": "Hardware", "instance": "Cloud instance type"}.__getitem__,
        horizontal=True,
        key="what",
        **state.watch("what"),
    )
    if what == "instance":
        ids, labels = instance_options(cat, cat.data_version)
        st.session_state.setdefault("instance", "aws:p4d.24xlarge" if "aws:p4d.24xlarge" in labels else ids[0])
        inst = st.selectbox(
            "Instance type",
            ids,
            format_func=labels.__getitem__,
            key="instance",
            placeholder=UNSET,
            help="Fills the accelerators, the CPU share (vCPUs) and the memory. Type to search.",
            **state.watch("instance"),
        )
        return {"instance": inst}, {"instance": inst}
    ids, labels = device_options(cat, cat.data_version)
    st.session_state.setdefault("hardware", state.DEFAULT_HARDWARE)
    hw = st.selectbox(
        "Hardware",
        ids,
        format_func=labels.__getitem__,
        key="hardware",
        placeholder=UNSET,
        help="Grouped by kind: GPU, TPU, NPU, SoC, CPU. Type to search (e.g. 'H100', 'V100 SXM2', 'EPYC 7742').",
        **state.watch("hardware"),
    )
    count = job_number("count", "Number of devices", start=1)
    return {"hardware": hw, "count": count}, {"hardware": hw, "count": count}


def _duration(kwargs: dict[str, Any]) -> tuple[float | None, dict[str, Any], list[str]]:
    """Hours per device, or total device-hours spread over the devices."""
    if "instance" in kwargs:
        hours = _hours("Wall-clock hours of one instance; for several instances, their total instance-hours.")
        return hours, {"hours": hours}, []
    by = st.radio(
        "Duration as",
        ["hours", "device_hours"],
        format_func={"hours": "hours (wall clock)", "device_hours": "total device-hours"}.__getitem__,
        horizontal=True,
        key="duration",
        **state.watch("duration"),
    )
    if by == "hours":
        hours = _hours()
        return hours, {"hours": hours}, []
    device_hours = job_number(
        "hours",
        "Device-hours",
        key="device_hours",
        spec=device_hours_spec(),
        start=state.DEFAULT_HOURS,
        step=1.0,
        format="%g",
        help="Total device-hours, spread evenly over the devices: hours = device-hours / devices.",
    )
    count = kwargs["count"]
    if device_hours is None or count is None:
        return None, {"device_hours": device_hours}, []
    hours = core.hours_from_device_hours(device_hours, count)
    note = f"{report.num(device_hours)} device-hours on {devices(count)}: {report.num(hours)} h each"
    return hours, {"device_hours": device_hours}, [note]


def _hours(help: str | None = None) -> float | None:
    return job_number("hours", "Hours", start=state.DEFAULT_HOURS, step=1.0, format="%g", help=help)


def device_hours_spec() -> Input:
    """Device-hours: Job's hours spread over the devices, so no upper bound of their own (the hours' bound is
    checked after the division, by the API)."""
    return dataclasses.replace(spec_of("hours"), name="device_hours", high=None)


def devices(count: float) -> str:
    """'1 device', '8 devices'."""
    return f"{report.num(count)} device{'' if count == 1 else 's'}"


def _location(cat: Catalog, instance: str | None) -> str | None:
    """Provider, then region (with its intensity); on-premise: a country, subdivision or grid zone."""
    by_provider, labels = region_options(cat, cat.data_version)
    if instance is not None:
        provider = cat.instances[instance].provider
        st.caption(f"Provider: {cat.providers[provider].name} (from the instance type)")
    else:
        providers = [p for p in cat.providers if p in by_provider] + [state.ONPREM]
        st.session_state.setdefault("provider", "gcp")
        provider = st.selectbox(
            "Provider",
            providers,
            format_func=lambda p: provider_label(cat, p),
            key="provider",
            **state.watch("provider"),
        )
    options = by_provider[provider]
    previous = st.session_state.get("region")
    if previous not in options and not state.unresolved(["region"]):
        st.session_state["region"], moved = state.region_for(cat, provider, options, previous)
        state.settle("region")  # the link's note on how its region was read is about the region left
        if moved:
            plain.info(moved)
    region: str | None = st.selectbox(
        ("Region" if provider != state.ONPREM else "Country or grid zone") + " (gCO2e/kWh)",
        options,
        format_func=labels.__getitem__,
        key="region",
        placeholder=UNSET,
        help="After each name: the grid's carbon intensity in gCO2e/kWh (location-based). On-premise: a "
        "country, a subdivision (US state, Canadian province, ...) or a grid zone. Type to search.",
        **state.watch_region(provider),
    )
    return region


@st.cache_resource(max_entries=512)
def default_pue(region: str, data_version: str) -> Any:
    """The region's own PUE (else the provider's, else the industry average), its basis and source: the API's
    ``default_pue``, no probe estimate (issue 14, item 5)."""
    return estimator.default_pue(region)


@st.cache_resource(max_entries=512)
def intensity_series(region: str, basis: str, data_version: str) -> list[dict[str, Any]]:
    """The chosen place's yearly series on ``basis`` (the API's ``intensity_series``); [] when it has none."""
    try:
        return estimator.intensity_series(region, basis=basis)
    except estimator.EstimatorError:
        return []


BASIS_LABEL = {
    "lifecycle": "life-cycle yearly average (location-based)",
    "marginal": "marginal (what one more kWh emits)",
}


def _grid_year(cat: Catalog, region: str | None, custom: bool) -> dict[str, Any]:
    """Basis (life-cycle by default; marginal only when chosen) and the year the job ran (default: the latest
    year of the chosen place's series)."""
    out: dict[str, Any] = {}
    _default("basis", "lifecycle")
    basis = st.radio(
        "Grid intensity basis",
        list(BASIS_LABEL),
        format_func=BASIS_LABEL.__getitem__,
        key="basis",
        disabled=custom,
        help="Life-cycle, location-based yearly average: the reported figure. Marginal (UNFCCC operating "
        "margin): what one more kWh there would emit; never the default.",
        **state.watch("basis"),
    )
    if basis != "lifecycle":
        out["basis"] = basis
    series = intensity_series(region, basis, cat.data_version) if region is not None else []
    years = [int(row["year"]) for row in series]
    latest = max(years, default=None)
    chosen = st.session_state.get("year")
    followed = not st.session_state.get(state.YEAR_CHOSEN_KEY)  # a default year follows the place's latest
    if (chosen is None or followed) and not state.unresolved(["year"]) and latest is not None:
        st.session_state["year"] = chosen = latest
    options = sorted({*years, *([chosen] if chosen is not None else [])})
    year = st.selectbox(
        "Year the job ran",
        options,
        key="year",
        disabled=custom or not options,
        placeholder=UNSET if state.unresolved(["year"]) else "no series for this place",
        help="The grid intensity of that year. Default: the latest year in the data for this place.",
        **state.watch_year(),
    )
    if year is not None and year != latest:
        out["year"] = int(year)
    return {} if custom else out  # your own intensity has no year or basis (both boxes are greyed out)


def _pue(cat: Catalog, region: str | None) -> float | None:
    """Pre-filled from the region (else provider, else industry average), editable; None = the default."""
    if region is None:
        st.caption("PUE: pre-filled from the region, once the region is set.")
        return None
    base = default_pue(region, cat.data_version)
    if not state.unresolved(["pue"]):
        previous = st.session_state.get("_pue_default")
        if "pue" not in st.session_state or (st.session_state["pue"] == previous and previous != base.pue):
            st.session_state["pue"] = base.pue  # follow the region unless the person changed it
        st.session_state["_pue_default"] = base.pue
    pue = job_number(
        "pue",
        "PUE (data-centre overhead)",
        step=0.01,
        format="%.2f",
        help="Power usage effectiveness. 1.0 reproduces the ML CO2 Impact calculator, which leaves it out.",
    )
    if pue is None:
        return None
    if pue == base.pue:
        st.caption(f"Default ({base.basis}): {base.source}")
        return None
    st.caption(f"Yours; the default is {base.pue:.2f} ({base.basis}).")
    return float(pue)


def _advanced(cat: Catalog, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Utilization, power override, CPU and memory, custom intensity, the range's low end."""
    out: dict[str, Any] = {}
    with st.expander("Advanced: utilization, power, CPU, memory, intensity"):
        util = job_number(
            "utilization",
            "GPU utilization (fraction of power drawn)",
            start=spec_of("utilization").default,
            step=0.05,
            help="1 = TDP, an upper bound. Average draw / TDP from nvidia-smi gives a tighter figure.",
        )
        if util != 1.0:
            out["utilization"] = util
        power = job_number(
            "power_w",
            "Measured power",
            optional=True,
            show_unit=True,
            step=10.0,
            placeholder="the catalog's TDP",
            help="Overrides the catalog's figure, e.g. the mean of nvidia-smi --query-gpu=power.draw.",
        )
        if power is not None:
            out["power_w"] = power
        out |= _cpu_and_memory(cat)
        custom = st.checkbox("Custom grid intensity", key="custom_intensity", **state.watch("custom_intensity"))
        if custom:
            intensity = job_number(
                "intensity", "Grid intensity", optional=True, show_unit=True, step=10.0, high_to_api=True
            )
            if intensity is not None:
                out["intensity"] = intensity
        out |= _intensity_range()
        low = job_number(
            "draw_low_fraction",
            "Low end of the range",
            optional=True,
            show_unit=True,
            step=0.05,
            placeholder=f"{TYPICAL_TRAINING_DRAW_FRACTION:g} for training (measured runs, docs/validation.md)",
        )
        if low is not None:
            out["draw_low_fraction"] = low
        trials = job_number(
            "trials",
            "Runs of this job (a sweep)",
            start=spec_of("trials").default,
            help="The result covers all of them: hours × runs.",
        )
        if trials is not None and trials != 1:
            out["trials"] = trials
    return out


def _intensity_range() -> dict[str, Any]:
    """The intensity range's bounds (gCO2e/kWh) instead of the data's spread; both or neither."""
    left, right = st.columns(2)
    low = _intensity_end(left, "low", "Intensity range: low")
    high = _intensity_end(right, "high", "high", show_unit=True)
    if low is None or high is None:
        if (low, high) != (None, None):
            st.caption("Give both ends of the intensity range (or neither).")
        return {}
    return {"intensity_range": (low, high)}


def _intensity_end(where: DeltaGenerator, end: str, label: str, show_unit: bool = False) -> float | None:
    """One end of the intensity range: each end is checked as an intensity (Job's intensity bounds)."""
    return job_number(
        "intensity",
        label,
        key=f"intensity_{end}",
        where=where,
        optional=True,
        show_unit=show_unit,
        step=10.0,
        placeholder="the data's",
        help=f"{spec_of('intensity_range').unit}: the {end} end of the intensity range, instead of the spread of "
        "the data's figures.",
        high_to_api=True,
    )


def _cpu_and_memory(cat: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ids, labels = device_options(cat, cat.data_version)
    cpus = [""] + [i for i in ids if cat.devices[i].kind == "cpu"]
    cpu = st.selectbox(
        "CPU",
        cpus,
        format_func=lambda i: labels[i] if i else "none (or the instance's)",
        key="cpu",
        placeholder=UNSET,
        help="Counted beside the accelerators, as Green Algorithms does.",
        **state.watch("cpu"),
    )
    if cpu:
        out["cpu"] = cpu
        by = st.radio(
            "CPU counted as",
            ["packages", "cores"],
            format_func={"packages": "whole CPUs", "cores": "cores used"}.__getitem__,
            horizontal=True,
            key="cpu_by",
            **state.watch("cpu_by"),
        )
        if by == "packages":
            out["cpu_count"] = job_number("cpu_count", "CPUs", start=1, help="Whole CPUs (packages) of this model.")
        else:
            out["cpu_cores"] = job_number(
                "cpu_cores", "Cores", start=8.0, step=1.0, help="Cores used, each drawing the CPU's TDP / its cores."
            )
        cpu_util = job_number("cpu_utilization", "CPU utilization", start=spec_of("cpu_utilization").default, step=0.05)
        if cpu_util != 1.0:
            out["cpu_utilization"] = cpu_util
    memory = job_number(
        "memory_gb",
        "Memory",
        optional=True,
        show_unit=True,
        step=16.0,
        placeholder="not counted (or the instance's)",
        help=f"{core.MEMORY_W_PER_GB:g} W per GB (Karyakin & Salem 2017, as Green Algorithms).",
    )
    if memory is not None:
        out["memory_gb"] = memory
    return out


def _training_type() -> str | None:
    """Pre-training, fine-tuning...: no default (issue 16, item 15); the card leaves it out unless chosen."""
    st.session_state.setdefault("training_type", None)
    chosen: str | None = st.selectbox(
        "Training type (for the model card)",
        list(TRAINING_TYPES),
        key="training_type",
        placeholder=UNSET if state.unresolved(["training_type"]) else "not given: left out of the card",
        help="The model card's training_type. Not guessed: it is written only when you choose one.",
        **state.watch("training_type"),
    )
    return chosen


def sidebar(cat: Catalog) -> Job:
    """All the job's inputs, in the sidebar."""
    with st.sidebar:
        st.header("Your job")
        kwargs, link = _hardware(cat)
        hours, hours_link, notes = _duration(kwargs)
        kwargs["hours"] = hours
        link |= hours_link
        st.subheader("Where it ran")
        region = _location(cat, kwargs.get("instance"))
        kwargs["region"] = region
        link["region"] = region
        grid_year = _grid_year(cat, region, bool(st.session_state.get("custom_intensity")))
        kwargs |= grid_year
        link |= grid_year
        pue = _pue(cat, region)
        if pue is not None:
            kwargs["pue"] = link["pue"] = pue
        advanced = _advanced(cat, kwargs)
        kwargs |= advanced
        link |= advanced
        training_type = _training_type()
        if training_type is not None:
            link["training_type"] = training_type
    typed = hours if "instance" not in kwargs and "device_hours" not in hours_link else None
    if "instance" in kwargs:
        kwargs["provider"] = None
    return Job({k: v for k, v in kwargs.items() if v is not None}, link, training_type, notes, typed)
