"""The sidebar: what ran, for how long, where; PUE; advanced; training type.

Returns a ``Job``: the keyword arguments for ``estimator.estimate`` and the
values that go in the shareable link. Widget keys are the API's keyword names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

import estimator
from app_pages import state
from estimator import core, report
from estimator.catalog import Catalog
from estimator.modelcard import TRAINING_TYPES
from estimator.records import DEVICE_KINDS, Device, Instance, Region

KIND_LABEL = {"gpu": "GPU", "tpu": "TPU", "npu": "NPU", "soc": "SoC", "cpu": "CPU"}
GRID_ORDER = {"world": 0, "country": 1, "subdivision": 2, "zone": 3}


@dataclass(frozen=True)
class Job:
    """What the form asks for: ``estimate(**kwargs)``; ``link`` is the URL's query."""

    kwargs: dict[str, Any]
    link: dict[str, Any]
    training_type: str
    notes: list[str] = field(default_factory=list)


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
    from estimator import grid

    name = r.id.split(":", 1)[1] if r.is_cloud else r.id
    try:
        figure = grid.choose(cat, r)
    except estimator.EstimatorError:
        return f"{name} · {cat.region_place(r)}"
    return f"{name} · {cat.region_place(r)} · {report.num(figure.value_g_per_kwh)} gCO2e/kWh ({figure.year})"


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
    )
    if what == "instance":
        ids, labels = instance_options(cat, cat.data_version)
        st.session_state.setdefault("instance", "aws:p4d.24xlarge" if "aws:p4d.24xlarge" in labels else ids[0])
        inst = st.selectbox(
            "Instance type",
            ids,
            format_func=labels.__getitem__,
            key="instance",
            help="Fills the accelerators, the CPU share (vCPUs) and the memory. Type to search.",
        )
        return {"instance": inst}, {"instance": inst}
    ids, labels = device_options(cat, cat.data_version)
    st.session_state.setdefault("hardware", state.DEFAULT_HARDWARE)
    hw = st.selectbox(
        "Hardware",
        ids,
        format_func=labels.__getitem__,
        key="hardware",
        help="Grouped by kind: GPU, TPU, NPU, SoC, CPU. Type to search (e.g. 'H100', 'V100 SXM2', 'EPYC 7742').",
    )
    _default("count", 1)
    count = st.number_input("Number of devices", min_value=1, step=1, key="count")
    return {"hardware": hw, "count": int(count)}, {"hardware": hw, "count": int(count)}


def _duration(kwargs: dict[str, Any]) -> tuple[float, dict[str, Any], list[str]]:
    """Hours per device, or total device-hours spread over the devices."""
    if "instance" in kwargs:
        _default("hours", state.DEFAULT_HOURS)
        hours = st.number_input(
            "Hours",
            min_value=0.0,
            step=1.0,
            format="%g",
            key="hours",
            help="Wall-clock hours of one instance; for several instances, their total instance-hours.",
        )
        return hours, {"hours": hours}, []
    by = st.radio(
        "Duration as",
        ["hours", "device_hours"],
        format_func={"hours": "hours (wall clock)", "device_hours": "total device-hours"}.__getitem__,
        horizontal=True,
        key="duration",
    )
    if by == "hours":
        _default("hours", state.DEFAULT_HOURS)
        hours = st.number_input("Hours", min_value=0.0, step=1.0, format="%g", key="hours")
        return hours, {"hours": hours}, []
    _default("device_hours", state.DEFAULT_HOURS)
    device_hours = st.number_input("Device-hours", min_value=0.0, step=1.0, format="%g", key="device_hours")
    hours = core.hours_from_device_hours(device_hours, kwargs["count"])
    note = f"{report.num(device_hours)} device-hours on {kwargs['count']} devices: {report.num(hours)} h each"
    return hours, {"device_hours": device_hours}, [note]


def _location(cat: Catalog, instance: str | None) -> str:
    """Provider, then region (with its intensity); on-premise: a country, subdivision or grid zone."""
    by_provider, labels = region_options(cat, cat.data_version)
    if instance is not None:
        provider = cat.instances[instance].provider
        st.caption(f"Provider: {cat.providers[provider].name} (from the instance type)")
    else:
        providers = [p for p in cat.providers if p in by_provider] + [state.ONPREM]
        st.session_state.setdefault("provider", "gcp")
        provider = st.selectbox("Provider", providers, format_func=lambda p: provider_label(cat, p), key="provider")
    options = by_provider[provider]
    if st.session_state.get("region") not in options:
        st.session_state["region"] = PROVIDER_DEFAULT.get(provider, options[0])
    region = st.selectbox(
        "Region" if provider != state.ONPREM else "Country, subdivision or grid zone",
        options,
        format_func=labels.__getitem__,
        key="region",
        help="Grid carbon intensity in gCO2e/kWh (location-based) after each name. Type to search.",
    )
    return region


PROVIDER_DEFAULT = state.PROVIDER_DEFAULT_REGION


def default_pue(region: str) -> estimator.Estimate:
    """The estimate the region's own PUE comes from (its value and source)."""
    return estimator.estimate(hardware=state.DEFAULT_HARDWARE, hours=1.0, region=region)


def _pue(region: str) -> float | None:
    """Pre-filled from the region (else provider, else industry average), editable; None = the default."""
    base = default_pue(region)
    previous = st.session_state.get("_pue_default")
    if "pue" not in st.session_state or (st.session_state["pue"] == previous and previous != base.pue):
        st.session_state["pue"] = base.pue  # follow the region unless the person changed it
    st.session_state["_pue_default"] = base.pue
    pue = st.number_input(
        "PUE (data-centre overhead)",
        min_value=1.0,
        max_value=3.0,
        step=0.01,
        format="%.2f",
        key="pue",
        help="Power usage effectiveness. 1.0 reproduces the ML CO2 Impact calculator, which leaves it out.",
    )
    if pue == base.pue:
        st.caption(f"Default ({base.pue_basis}): {base.pue_source}")
        return None
    st.caption(f"Yours; the default is {base.pue:.2f} ({base.pue_basis}).")
    return float(pue)


def _advanced(cat: Catalog, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Utilization, power override, CPU and memory, custom intensity, the range's low end."""
    out: dict[str, Any] = {}
    with st.expander("Advanced: utilization, power, CPU, memory, intensity"):
        _default("utilization", 1.0)
        util = st.number_input(
            "GPU utilization (fraction of power drawn)",
            min_value=0.0,
            max_value=1.0,
            step=0.05,
            key="utilization",
            help="1 = TDP, an upper bound. Average draw / TDP from nvidia-smi gives a tighter figure.",
        )
        if util != 1.0:
            out["utilization"] = util
        power = st.number_input(
            "Measured power per device (W)",
            min_value=0.0,
            value=None,
            step=10.0,
            key="power_w",
            placeholder="the catalog's TDP",
            help="Overrides the catalog's figure, e.g. the mean of nvidia-smi --query-gpu=power.draw.",
        )
        if power is not None:
            out["power_w"] = power
        out |= _cpu_and_memory(cat)
        custom = st.checkbox("Custom grid intensity", key="custom_intensity")
        if custom:
            intensity = st.number_input(
                "Grid intensity (gCO2e/kWh)", min_value=0.0, value=None, step=10.0, key="intensity"
            )
            if intensity is not None:
                out["intensity"] = intensity
        low = st.number_input(
            "Low end of the range (fraction of TDP drawn)",
            min_value=0.0,
            max_value=1.0,
            value=None,
            step=0.05,
            key="draw_low_fraction",
            placeholder="0.76 for training (Newkirk et al. 2025)",
        )
        if low is not None:
            out["draw_low_fraction"] = low
    return out


def _cpu_and_memory(cat: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ids, labels = device_options(cat, cat.data_version)
    cpus = [""] + [i for i in ids if cat.devices[i].kind == "cpu"]
    cpu = st.selectbox(
        "CPU",
        cpus,
        format_func=lambda i: labels[i] if i else "none (or the instance's)",
        key="cpu",
        help="Counted beside the accelerators, as Green Algorithms does.",
    )
    if cpu:
        out["cpu"] = cpu
        by = st.radio(
            "CPU counted as",
            ["packages", "cores"],
            format_func={"packages": "whole CPUs", "cores": "cores used"}.__getitem__,
            horizontal=True,
            key="cpu_by",
        )
        if by == "packages":
            _default("cpu_count", 1)
            out["cpu_count"] = int(st.number_input("CPUs", min_value=1, step=1, key="cpu_count"))
        else:
            _default("cpu_cores", 8.0)
            out["cpu_cores"] = st.number_input("Cores", min_value=0.0, step=1.0, key="cpu_cores")
        _default("cpu_utilization", 1.0)
        cpu_util = st.number_input("CPU utilization", min_value=0.0, max_value=1.0, step=0.05, key="cpu_utilization")
        if cpu_util != 1.0:
            out["cpu_utilization"] = cpu_util
    memory = st.number_input(
        "Memory (GB)",
        min_value=0.0,
        value=None,
        step=16.0,
        key="memory_gb",
        placeholder="not counted (or the instance's)",
        help="0.3725 W per GB (Karyakin & Salem 2017, as Green Algorithms).",
    )
    if memory is not None:
        out["memory_gb"] = memory
    return out


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
        pue = _pue(region)
        if pue is not None:
            kwargs["pue"] = link["pue"] = pue
        advanced = _advanced(cat, kwargs)
        kwargs |= advanced
        link |= advanced
        st.session_state.setdefault("training_type", TRAINING_TYPES[0])
        training_type = st.selectbox("Training type (for the model card)", list(TRAINING_TYPES), key="training_type")
        if training_type != TRAINING_TYPES[0]:
            link["training_type"] = training_type
    if "instance" in kwargs:
        kwargs["provider"] = None
    return Job({k: v for k, v in kwargs.items() if v is not None}, link, training_type, notes)
