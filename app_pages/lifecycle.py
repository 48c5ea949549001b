"""Serving and the whole life of a model (issue 8): inference per request and per day,
and training × experiments × (1 + retrainings) + serving over a period, with shares."""

from __future__ import annotations

from typing import Any

import streamlit as st

import estimator
from app_pages import plain, state
from app_pages.inputs import device_options
from estimator import Estimate, report
from estimator.catalog import Catalog

UNSET = "not set: the link's value did not resolve"


def _default(key: str) -> None:
    st.session_state.setdefault(key, state.INFERENCE_DEFAULTS[key])


def _serving_inputs(cat: Catalog, job: dict[str, Any]) -> dict[str, Any]:
    """Serving hardware, count, traffic and its speed; the training run's region, PUE and intensity."""
    ids, labels = device_options(cat, cat.data_version)
    trained_on = job.get("hardware")
    if trained_on is None and job.get("instance"):
        trained_on = cat.instances[job["instance"]].accelerator or cat.instances[job["instance"]].cpu
    st.session_state.setdefault("serve_hardware", trained_on or state.DEFAULT_HARDWARE)
    left, right = st.columns(2)
    hardware = left.selectbox(
        "Serving hardware",
        ids,
        format_func=labels.__getitem__,
        key="serve_hardware",
        placeholder=UNSET,
        **state.watch("serve_hardware"),
    )
    _default("serve_count")
    count = right.number_input(
        "Serving devices", min_value=1, step=1, key="serve_count", placeholder=UNSET, **state.watch("serve_count")
    )
    _default("requests_per_day")
    requests = left.number_input(
        "Requests per day",
        min_value=0,
        step=1000,
        key="requests_per_day",
        placeholder=UNSET,
        **state.watch("requests_per_day"),
    )
    by = right.radio(
        "Speed given as",
        ["latency", "throughput"],
        format_func={"latency": "seconds per request", "throughput": "requests per second"}.__getitem__,
        horizontal=True,
        key="rate_by",
        **state.watch("rate_by"),
    )
    rate: dict[str, Any]
    if by == "latency":
        _default("seconds_per_request")
        rate = {
            "seconds_per_request": right.number_input(
                "Seconds per request",
                min_value=0.0,
                step=0.01,
                format="%.3f",
                key="seconds_per_request",
                placeholder=UNSET,
                help="Device time per request for the whole deployment (its devices together).",
                **state.watch("seconds_per_request"),
            )
        }
    else:
        _default("requests_per_second")
        rate = {
            "requests_per_second": right.number_input(
                "Requests per second",
                min_value=0.0,
                step=1.0,
                key="requests_per_second",
                placeholder=UNSET,
                **state.watch("requests_per_second"),
            )
        }
    same: dict[str, Any] = {k: job[k] for k in ("region", "pue", "intensity", "utilization") if k in job}
    return {"hardware": hardware, "count": _int(count), "requests": _int(requests), **rate, **same}


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _life_inputs() -> dict[str, Any]:
    for key in ("days", "retrainings", "experiments_factor"):
        _default(key)
    a, b, c = st.columns(3)
    days = a.number_input("Days in service", min_value=0, step=30, key="days", placeholder=UNSET, **state.watch("days"))
    retrainings = b.number_input(
        "Retrainings", min_value=0, step=1, key="retrainings", placeholder=UNSET, **state.watch("retrainings")
    )
    factor = c.number_input(
        "R&D experiments factor",
        min_value=0.0,
        step=0.5,
        key="experiments_factor",
        placeholder=UNSET,
        help="All runs (tuning, ablations, failed runs) relative to the final training run; 1 = only this run.",
        **state.watch("experiments_factor"),
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
            "gCO2e": life.training_g,
            "emissions": report.mass(life.training_g),
        },
        {"life": "life", "part": "serving", "gCO2e": life.inference_g, "emissions": report.mass(life.inference_g)},
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
            "color": {"field": "part", "type": "nominal", "legend": {"title": None, "orient": "bottom"}},
            "tooltip": [{"field": "part", "type": "nominal"}, {"field": "emissions", "type": "nominal"}],
        },
    }


def _results(inference: estimator.InferenceEstimate, life: estimator.Lifecycle) -> None:
    per_1k = report.mass(inference.co2e_g_per_1k_requests)
    low, high = inference.low_g_per_1k_requests, inference.high_g_per_1k_requests
    a, b, c = st.columns(3)
    a.metric("Per 1,000 requests", per_1k, help=f"range {report.mass(low)} to {report.mass(high)}")
    b.metric("Serving, per day", report.mass(inference.co2e_g))
    c.metric("Whole life", report.mass(life.total_g))
    if low < high:
        st.caption(f"Per 1,000 requests: range {report.mass(low)} to {report.mass(high)}.")
    st.markdown(
        f"Training {report.mass(life.training_g)} ({life.training_share:.1%}) · "
        f"serving {report.mass(life.inference_g)} ({life.inference_share:.1%}) "
        f"over {report.num(life.period_days or 0)} days."
    )
    st.vega_lite_chart(_shares_chart(life), width="stretch")
    st.code(report.arithmetic(inference.estimate), language=None, wrap_lines=True)
    st.caption(
        f"One day of serving: {report.num(inference.hours, 3)} device-hours of work at the training run's region "
        "and PUE. Embodied emissions (manufacturing) are not included."
    )


def section(cat: Catalog, training: Estimate, job: dict[str, Any]) -> dict[str, Any]:
    """The 'Inference & lifecycle' tab; returns its values for the shareable link."""
    st.markdown("**Serving the model** (the training run's region and PUE)")
    serving = _serving_inputs(cat, job)
    st.markdown("**The model's life**")
    life_inputs = _life_inputs()
    link = _link(serving, life_inputs)
    missing = state.unresolved(state.SERVING_PARAMS)
    if missing:
        plain.warning(f"No serving figure: the link's {', '.join(missing)} did not resolve (see above). Set them here.")
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
        "days": life["period_days"],
        "retrainings": life["retrainings"],
        "experiments_factor": life["experiments_factor"],
    }
    link = {k: v for k, v in values.items() if v is not None and v != state.INFERENCE_DEFAULTS.get(k)}
    if st.session_state.get("serve_hardware") == st.session_state.get("hardware"):
        link.pop("serve_hardware", None)
    return link
