"""Serving and the whole life of a model (issue 8): inference per request and per day,
and training × experiments × (1 + retrainings) + serving over a period, with shares.

How the serving hardware runs (issue 16, item 19): only while serving, always on, or up
N hours a day; the hours up but not serving are counted at the idle draw fraction
(``estimate_inference(hours_per_day=, idle_fraction=)``). Requests are per day, so one
day is estimated (``days`` left at 1) and the lifecycle multiplies it by the days in
service. No arithmetic here: every figure is the API's.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

import estimator
from app_pages import plain, state
from app_pages.inputs import device_options
from app_pages.widgets import UNSET, job_number, number
from estimator import Estimate, report
from estimator.catalog import Catalog
from estimator.inference import IDLE_DRAW_FRACTION, IDLE_DRAW_SOURCE

UPTIME_NAMES = {"hours_per_day": "hours up per day", "idle_fraction": "idle draw"}


def _number(key: str, label: str, where: DeltaGenerator, **bounds: Any) -> float | None:
    """A serving or lifecycle input, from its default. Their bounds are written here: ``estimate_inference``
    and ``lifecycle`` check their inputs in code, with no ``Input`` metadata as Job's inputs have."""
    return number(key, label, where=where, start=state.INFERENCE_DEFAULTS[key], **bounds)


FOLLOWED_KEY = "_serve_hardware_followed"


def _follow_training_hardware(trained_on: str) -> None:
    """The serving hardware is the training run's until the person picks another (or a link names one).

    Without this, changing the sidebar's hardware left the tab serving on the first one.
    """
    ss = st.session_state
    chosen, followed = ss.get("serve_hardware"), ss.get(FOLLOWED_KEY)
    unset = "serve_hardware" not in ss
    still_following = chosen is not None and chosen == followed and chosen != trained_on
    if (unset or still_following) and "serve_hardware" not in state.unresolved():
        ss["serve_hardware"] = trained_on
    ss[FOLLOWED_KEY] = trained_on if ss.get("serve_hardware") == trained_on else followed


def _serving_inputs(cat: Catalog, job: dict[str, Any]) -> dict[str, Any]:
    """Serving hardware, count, traffic and its speed; the training run's region, provider, PUE, intensity, year
    and basis."""
    ids, labels = device_options(cat, cat.data_version)
    trained_on = job.get("hardware")
    if trained_on is None and job.get("instance"):
        trained_on = cat.instances[job["instance"]].accelerator or cat.instances[job["instance"]].cpu
    _follow_training_hardware(trained_on or state.DEFAULT_HARDWARE)
    left, right = st.columns(2)
    hardware = left.selectbox(
        "Serving hardware",
        ids,
        format_func=labels.__getitem__,
        key="serve_hardware",
        placeholder=UNSET,
        **state.watch("serve_hardware"),
    )
    count = job_number(
        "count",
        "Serving devices",
        key="serve_count",
        where=right,
        start=state.INFERENCE_DEFAULTS["serve_count"],
        help="Devices serving the model (the serving estimate's count).",
    )
    # Traffic, how its speed is given, and the speed, on one row (no gap under the requests).
    traffic, speed_by, speed = st.columns(3)
    requests = _number("requests_per_day", "Requests per day", traffic, min_value=0, step=1000)
    by = speed_by.radio(
        "Speed given as",
        ["latency", "throughput"],
        format_func={"latency": "seconds per request", "throughput": "requests per second"}.__getitem__,
        key="rate_by",
        **state.watch("rate_by"),
    )
    rate: dict[str, Any]
    if by == "latency":
        rate = {
            "seconds_per_request": _number(
                "seconds_per_request",
                "Seconds per request",
                speed,
                min_value=0.0,
                step=0.01,
                format="%.3f",
                help="Device time per request for the whole deployment (its devices together).",
            )
        }
    else:
        rate = {
            "requests_per_second": _number(
                "requests_per_second",
                "Requests per second",
                speed,
                min_value=0.0,
                step=1.0,
                help="Throughput of the whole deployment (its devices together).",
            )
        }
    same: dict[str, Any] = {
        k: job[k] for k in ("region", "provider", "pue", "intensity", "year", "basis", "utilization") if k in job
    }
    return {"hardware": hardware, "count": count, "requests": _int(requests), **rate, **same}


def _uptime_changed() -> None:
    """Choosing how the hardware runs settles the link's hours a day; "only while serving", its idle draw too."""
    moot = ("hours_per_day", "idle_fraction") if st.session_state.get("uptime") == "serving" else ("hours_per_day",)
    state.settle("uptime", *moot)


def _uptime_inputs() -> dict[str, Any]:
    """Only while serving, always on, or up N hours a day; and the idle draw. ``{}`` for only while serving.

    A value left empty (a link's value that did not resolve) stays ``None``: no figure then, rather than
    the API's default standing in for it.
    """
    st.session_state.setdefault("uptime", "serving")
    uptime = st.radio(
        "The serving hardware runs",
        list(state.UPTIME_LABELS),
        format_func=state.UPTIME_LABELS.__getitem__,
        horizontal=True,
        key="uptime",
        help="Kept up, it also draws while waiting for requests: those idle hours are counted at the idle draw.",
        on_change=_uptime_changed,
    )
    if uptime == "serving":
        return {}
    columns = iter(st.columns(2))
    hours_per_day: float | None = state.ALWAYS_ON_HOURS
    if uptime == "hours":
        hours_per_day = _number(
            "hours_per_day",
            "Hours up per day",
            next(columns),
            min_value=0.0,
            max_value=24.0,
            step=1.0,
            format="%g",  # 8, 6.5: not 8.00
        )
    idle = _number(
        "idle_fraction",
        "Idle draw (fraction of TDP)",
        next(columns),
        min_value=0.0,
        max_value=1.0,
        step=0.05,
        format="%.2f",
        help="Draw of each device while up and not serving, as a fraction of its TDP.",
    )
    if idle == IDLE_DRAW_FRACTION:
        st.caption(f"Idle draw {IDLE_DRAW_FRACTION:g} of TDP, the default: {IDLE_DRAW_SOURCE}.")
    else:
        shown = "not set" if idle is None else f"{idle:g} of TDP, yours"
        st.caption(f"Idle draw {shown}. The default, {IDLE_DRAW_FRACTION:g} of TDP: {IDLE_DRAW_SOURCE}.")
    return {"hours_per_day": hours_per_day, "idle_fraction": idle}


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _life_inputs() -> dict[str, Any]:
    a, b, c = st.columns(3)
    days = _number("days", "Days in service", a, min_value=0, step=30)
    retrainings = _number("retrainings", "Retrainings", b, min_value=0, step=1)
    factor = _number(
        "experiments_factor",
        "R&D experiments factor",
        c,
        min_value=0.0,
        step=0.5,
        help="All runs (tuning, ablations, failed runs) relative to the final training run; 1 = only this run.",
    )
    return {
        "period_days": _int(days),
        "retrainings": _int(retrainings),
        "experiments_factor": None if factor is None else float(factor),
    }


def _shares_chart(life: estimator.Lifecycle) -> dict[str, Any]:
    rows = [
        {
            "life": "life",
            "part": "training (all runs)",
            "order": 0,
            "gCO2e": life.training_g,
            "emissions": report.mass(life.training_g),
        },
        {
            "life": "life",
            "part": "serving",
            "order": 1,
            "gCO2e": life.inference_g,
            "emissions": report.mass(life.inference_g),
        },
    ]
    return {
        "data": {"values": rows},
        "mark": {"type": "bar", "height": {"band": 0.8}},
        "height": {"step": 48},
        "encoding": {
            "y": {"field": "life", "type": "nominal", "title": None, "axis": None},
            "x": {
                "field": "gCO2e",
                "type": "quantitative",
                "stack": "zero",
                "title": "gCO2e over the model's life",
                # The domain given, not computed from the stack: Vega computes it once before the data
                # arrives and warns "Infinite extent" (issue 16, item 18).
                "scale": {"domain": [0, life.total_g]},
            },
            # Training first, as the sentence above says it: in the bar and in the legend.
            "order": {"field": "order", "type": "quantitative"},
            "color": {
                "field": "part",
                "type": "nominal",
                "sort": [row["part"] for row in rows],
                "legend": {"title": None, "orient": "bottom"},
            },
            "tooltip": [{"field": "part", "type": "nominal"}, {"field": "emissions", "type": "nominal"}],
        },
    }


def _range(low: float, high: float) -> str:
    return f"{report.mass(low)} to {report.mass(high)}"


def _results(inference: estimator.InferenceEstimate, life: estimator.Lifecycle) -> None:
    per_1k = report.mass(inference.co2e_g_per_1k_requests)
    low, high = inference.low_g_per_1k_requests, inference.high_g_per_1k_requests
    a, b, c = st.columns(3)
    a.metric("Per 1,000 requests", per_1k, help=f"range {_range(low, high)}")
    day_help = f"range {_range(inference.low_g, inference.high_g)}"
    if inference.idle is not None:
        day_help = (
            f"serving {report.mass(inference.estimate.co2e_g)} + idle {report.mass(inference.idle.co2e_g)}; " + day_help
        )
    b.metric("Serving, per day", report.mass(inference.co2e_g), help=day_help)
    c.metric("Whole life", report.mass(life.total_g))
    if low < high:
        st.caption(
            f"Range per 1,000 requests: {_range(low, high)}; per day: {_range(inference.low_g, inference.high_g)}."
        )
    st.markdown(
        f"Training {report.mass(life.training_g)} ({life.training_share:.1%}) · "
        f"serving {report.mass(life.inference_g)} ({life.inference_share:.1%}) "
        f"over {report.num(life.period_days or 0)} days."
    )
    st.vega_lite_chart(_shares_chart(life), width="stretch")
    st.code(_arithmetic(inference), language=None, wrap_lines=True)
    st.caption(_day_text(inference) + " Embodied emissions (manufacturing) are not included.")


def _arithmetic(inference: estimator.InferenceEstimate) -> str:
    """The serving line, and with servers kept up the idle line and the day's total."""
    if inference.up_hours is None:
        return report.arithmetic(inference.estimate)
    lines = [f"serving: {report.arithmetic(inference.estimate)}"]
    if inference.idle is not None:
        lines.append(f"idle:    {report.arithmetic(inference.idle)}")
    lines.append(f"day:     {report.energy(inference.energy_kwh)}, {report.mass(inference.co2e_g)}")
    return "\n".join(lines)


def _day_text(inference: estimator.InferenceEstimate) -> str:
    """One day's hours as the API counted them."""
    serving = f"{report.num(inference.hours)} h of serving"  # as many digits as the arithmetic line
    if inference.up_hours is None:
        return f"One day: {serving} (the requests × the time per request), at the training run's region and PUE."
    return (
        f"One day: up {report.num(inference.up_hours)} h, {serving} and {report.num(inference.idle_hours)} h "
        "idle, at the training run's region and PUE."
    )


def section(cat: Catalog, training: Estimate, job: dict[str, Any]) -> dict[str, Any]:
    """The 'Inference & lifecycle' tab; returns its values for the shareable link."""
    st.markdown("**Serving the model** (the training run's region and PUE)")
    serving = _serving_inputs(cat, job)
    uptime = _uptime_inputs()
    serving |= uptime
    st.markdown("**The model's life**")
    life_inputs = _life_inputs()
    link = _link(serving, life_inputs)
    missing = state.unresolved(state.SERVING_PARAMS)
    if missing:
        them = "it" if len(missing) == 1 else "them"
        names = ", ".join(missing)
        plain.warning(f"No serving figure: the link's {names} did not resolve (see above). Set {them} here.")
        return link
    empty = [UPTIME_NAMES[k] for k, v in uptime.items() if v is None]
    if empty:
        plain.warning(f"No serving figure: set the {' and the '.join(empty)} above.")
        return link
    try:
        inference = estimator.estimate_inference(**serving)
        life = estimator.lifecycle(training=training, inference=inference, **life_inputs)
    except estimator.EstimatorError as exc:
        plain.error(str(exc))
        return link
    _results(inference, life)
    return link


def _link(serving: dict[str, Any], life: dict[str, Any]) -> dict[str, Any]:
    """Only what differs from the defaults goes in the URL."""
    values = {
        "serve_hardware": serving["hardware"],
        "serve_count": serving["count"],
        "requests_per_day": serving["requests"],
        "seconds_per_request": serving.get("seconds_per_request"),
        "requests_per_second": serving.get("requests_per_second"),
        "hours_per_day": serving.get("hours_per_day"),
        "idle_fraction": serving.get("idle_fraction"),
        "days": life["period_days"],
        "retrainings": life["retrainings"],
        "experiments_factor": life["experiments_factor"],
    }
    link = {k: v for k, v in values.items() if v is not None and v != state.INFERENCE_DEFAULTS.get(k)}
    if serving.get("hours_per_day") is not None:  # says the hardware is kept up, even at the default hours
        link["hours_per_day"] = serving["hours_per_day"]
    if st.session_state.get("serve_hardware") == st.session_state.get("hardware"):
        link.pop("serve_hardware", None)
    return link
