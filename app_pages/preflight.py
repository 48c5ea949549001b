"""Before you train (issue 9): emissions from the compute a run will need, through
``estimator.preflight``, on the hardware, count, region and PUE chosen in the sidebar."""

from __future__ import annotations

from typing import Any

import streamlit as st

import estimator
from app_pages import plain, result
from app_pages.inputs import devices
from app_pages.widgets import job_number
from estimator import Preflight, report
from estimator.catalog import Catalog
from estimator.preflight import MFU_CENTRAL, MFU_RANGE
from estimator.records import PRECISIONS

# Inputs of the tab (widget keys), with their defaults: Llama 2 7B's 2 T tokens (README's example).
DEFAULTS: dict[str, Any] = {
    "pf_compute_by": "params_tokens",
    "pf_params": 7e9,
    "pf_tokens": 2e12,
    "pf_flops": 1e21,
    "pf_mfu": MFU_CENTRAL,
    "pf_mfu_low": MFU_RANGE[0],
    "pf_mfu_high": MFU_RANGE[1],
    "pf_trials": 1,
}
PREFERRED_PRECISION = "bf16"


def _default(key: str) -> None:
    st.session_state.setdefault(key, DEFAULTS[key])


def hardware_of(cat: Catalog, job: dict[str, Any]) -> tuple[str | None, int]:
    """The sidebar's device and count; for a cloud instance, its accelerators (else its CPU)."""
    if job.get("instance"):
        inst = cat.instances[job["instance"]]
        if inst.accelerator:
            return inst.accelerator, inst.accelerator_count
        return inst.cpu, 1
    return job.get("hardware"), int(job.get("count", 1))


def precision_options(cat: Catalog, hardware: str | None) -> list[str]:
    """The precisions the device has a published dense peak for, in the catalog's order."""
    device = cat.devices.get(hardware) if hardware else None
    peaks = device.peaks if device else {}
    return [p for p in PRECISIONS if p in peaks]


def _compute() -> dict[str, Any]:
    """FLOPs, or params and tokens (6 × params × tokens, computed by the API)."""
    _default("pf_compute_by")
    by = st.radio(
        "Compute given as",
        ["params_tokens", "flops"],
        format_func={"params_tokens": "parameters and tokens", "flops": "total FLOPs"}.__getitem__,
        horizontal=True,
        key="pf_compute_by",
        help="Parameters and tokens: 6 × params × tokens, for dense transformers (Kaplan et al. 2020).",
    )
    if by == "flops":
        _default("pf_flops")
        return {"flops": st.number_input("Training FLOPs", min_value=0.0, format="%g", key="pf_flops")}
    _default("pf_params")
    _default("pf_tokens")
    left, right = st.columns(2)
    params = left.number_input("Parameters", min_value=0.0, format="%g", key="pf_params", help="e.g. 7e9")
    tokens = right.number_input("Training tokens", min_value=0.0, format="%g", key="pf_tokens", help="e.g. 2e12")
    # The browser shows 7e9 as 7000000000: say it in words, so a zero too many is seen.
    if params is not None:
        left.caption(f"{in_words(params)} parameters")
    if tokens is not None:
        right.caption(f"{in_words(tokens)} tokens")
    return {"params": params, "tokens": tokens}


SCALES = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"), (1e3, "thousand"))


def in_words(n: float) -> str:
    """7e9 -> '7 billion', 2.5e12 -> '2.5 trillion', 950 -> '950' (short scale)."""
    for scale, name in SCALES:
        if abs(n) >= scale:
            return f"{report.num(n / scale)} {name}"
    return report.num(n)


def _precision(cat: Catalog, hardware: str | None) -> dict[str, Any]:
    """Only the device's own precisions; none offered (and the API's default asked) when it has no peak."""
    options = precision_options(cat, hardware)
    default = PREFERRED_PRECISION if PREFERRED_PRECISION in options else next(iter(options), None)
    chosen, previous = st.session_state.get("pf_precision"), st.session_state.get("_pf_precision_default")
    if chosen not in options or (chosen == previous and previous != default):
        st.session_state["pf_precision"] = default  # follow the hardware unless the person picked one
    st.session_state["_pf_precision_default"] = default
    precision = st.selectbox(
        "Precision",
        options,
        key="pf_precision",
        disabled=not options,
        placeholder="no published dense peak",
        help="The device's dense peak for this precision (the catalog's peak_tflops).",
    )
    return {"precision": precision} if precision else {}


def _mfu() -> dict[str, Any]:
    """MFU and its range; the API's own defaults (and their sources) while they are untouched."""
    for key in ("pf_mfu", "pf_mfu_low", "pf_mfu_high"):
        _default(key)
    a, b, c = st.columns(3)
    mfu = a.number_input(
        "Expected MFU",
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        key="pf_mfu",
        help="Model FLOPs utilisation: 0.4 is typical of large-scale training (PaLM, Llama 3).",
    )
    low = b.number_input("MFU range: low", min_value=0.0, max_value=1.0, step=0.05, key="pf_mfu_low")
    high = c.number_input("MFU range: high", min_value=0.0, max_value=1.0, step=0.05, key="pf_mfu_high")
    if (mfu, low, high) == (DEFAULTS["pf_mfu"], DEFAULTS["pf_mfu_low"], DEFAULTS["pf_mfu_high"]):
        return {}
    return {"mfu": mfu, "mfu_range": (low, high)}


def inputs(cat: Catalog, job: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``estimator.preflight``: this tab's inputs and the sidebar's job."""
    hardware, count = hardware_of(cat, job)
    kwargs = _compute()
    left, right = st.columns(2)
    with left:
        kwargs |= _precision(cat, hardware)
    # preflight's trials are checked as Job's are (core.check_count, 1 to MAX_COUNT): Job's metadata.
    trials = job_number(
        "trials",
        "Trials (a sweep of the same run)",
        key="pf_trials",
        where=right,
        start=DEFAULTS["pf_trials"],
        help="1 = a single run.",
    )
    kwargs |= _mfu()
    same = {k: job[k] for k in ("region", "provider", "pue", "intensity", "year", "basis") if k in job}
    return kwargs | {"hardware": hardware, "count": count, "trials": trials} | same


def hours(p: Preflight) -> tuple[float, float, float]:
    """Wall-clock hours of one run: (central, at the high MFU, at the low MFU), as the API ran them."""
    return p.estimate.inputs["hours"], p.estimate_low.inputs["hours"], p.estimate_high.inputs["hours"]


def span(low: float, high: float, unit: str = "") -> str:
    return f"{report.num(low)}{unit} to {report.num(high)}{unit}"


def results(p: Preflight) -> None:
    """Expected emissions with the range, device-hours and wall-clock hours, energy, embodied, assumptions."""
    e = p.estimate
    wall, wall_low, wall_high = hours(p)
    dh_low, dh_high = p.device_hours_range
    row = result.metric_row()
    fit = result.FIT
    row.metric("Expected emissions", report.mass(p.co2e_g), help="Operational, all trials; central MFU.", width=fit)
    row.metric("Device-hours", report.num(p.device_hours), help=f"One run; range {span(dh_low, dh_high)}.", width=fit)
    row.metric("Wall-clock hours", report.num(wall), help=f"One run; range {span(wall_low, wall_high)}.", width=fit)
    energy_help = "All trials, including the facility overhead (PUE)."
    row.metric("Expected energy", report.energy(e.energy_kwh), help=energy_help, width=fit)
    result.embodied_metric(row, e)
    st.markdown(f"**Range: {report.mass(p.low)} to {report.mass(p.high)}**")
    mfu_low, mfu_high = p.mfu_range
    st.caption(
        f"For an MFU range of {span(mfu_low, mfu_high)} (the higher the MFU, the fewer the hours), one run takes "
        f"{span(dh_low, dh_high)} device-hours, {span(wall_low, wall_high, ' h')} of wall-clock time on "
        f"{devices(e.components[0].count)}; emissions: fewest hours at the estimate's low end to most hours at "
        "its high end."
    )
    years_note(wall, e.components[0].count)
    if p.trials > 1:
        st.caption(f"{p.trials} trials: {report.num(e.hours)} h one after another on these devices.")
    st.code(report.arithmetic(e), language=None, wrap_lines=True)
    st.markdown(result.embodied_text(e))
    st.markdown("**Assumptions**")
    lines = [f"- {a}" for a in p.assumptions]
    lines += [f"- range: {basis}" for basis in e.range_basis]
    lines.append(f"- intensity: {e.intensity_source}")
    lines.append(f"- PUE ({e.pue_basis}): {e.pue_source}")
    lines += [f"- embodied (not included): {basis}" for basis in e.embodied_basis]
    st.markdown("\n".join(dict.fromkeys(lines)))  # each once


def years_note(wall_hours: float, count: float) -> None:
    """A sanity note when one run's wall-clock time runs to a year or more: more devices, or a check of the inputs."""
    if wall_hours < report.HOURS_PER_YEAR:
        return
    plain.warning(
        f"One run would take {report.num(wall_hours / report.HOURS_PER_YEAR, 3)} years of wall-clock time on "
        f"{devices(count)}. Large runs spread over many devices: set the number of devices in the sidebar, "
        "or check the parameters, tokens and FLOPs."
    )


def section(cat: Catalog, job: dict[str, Any]) -> None:
    """The 'Before you train' tab: compute, precision, MFU, trials in; the preflight out."""
    st.markdown(
        "**Before you train**: emissions from the compute the run will need, on the sidebar's hardware, "
        "count, region, PUE, year and basis (its hours, utilization, CPU and memory are not used here)."
    )
    kwargs = inputs(cat, job)
    try:
        p = estimator.preflight(**kwargs)  # a fraction of a millisecond: not cached
    except estimator.EstimatorError as exc:
        plain.error(str(exc))
        return
    results(p)
