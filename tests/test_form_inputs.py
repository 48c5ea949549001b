"""The form's number inputs take their bounds and help from ``estimator.job.Job``'s metadata.

Every number widget of the form is either made from a Job input (its bounds, unit and help follow Job's
``Input``, so a later change to Job reaches the form) or listed below as one without a metadata definition.
A value the widget takes is one ``estimate()`` takes, but an open low bound (hours > 0: Streamlit's
``min_value`` is inclusive), which reaches the API and shows its message; a value beyond a bound is refused.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import estimator
from app_pages import plain
from estimator import job
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
DEFAULT: dict[str, Any] = {"hardware": "nvidia-a100-sxm4-80gb", "hours": 24.0, "count": 1, "region": "gcp:us-central1"}
CPU = "amd-epyc-7742"

# Widget key -> the Job input whose metadata it takes (written here by hand: the expectation).
JOB_WIDGETS = {
    "count": "count",
    "hours": "hours",
    "device_hours": "hours",  # spread over the devices: hours' low bound, no upper bound of its own
    "pue": "pue",
    "utilization": "utilization",
    "power_w": "power_w",
    "intensity": "intensity",
    "intensity_low": "intensity",  # each end of intensity_range is checked as an intensity
    "intensity_high": "intensity",
    "draw_low_fraction": "draw_low_fraction",
    "trials": "trials",
    "cpu_count": "cpu_count",
    "cpu_cores": "cpu_cores",
    "cpu_utilization": "cpu_utilization",
    "memory_gb": "memory_gb",
    "serve_count": "count",  # estimate_inference's count, checked as estimate()'s
    "pf_trials": "trials",  # preflight's trials, checked as estimate()'s (core.check_count)
}
# No upper bound in the widget: a value above Job's reaches estimate(), whose message says more (lbs/MWh).
HIGH_TO_THE_API = {"intensity", "intensity_low", "intensity_high"}
# The widgets' own help (else Job's help, as a sentence); every help then says Job's allowed values.
JOBS_HELP = {"count", "hours", "intensity", "draw_low_fraction", "cpu_utilization"}
# The widgets whose label ends with Job's unit.
UNIT_IN_LABEL = {"power_w", "intensity", "intensity_high", "memory_gb", "draw_low_fraction"}
# Number inputs of the serving, lifecycle and preflight inputs: estimator.inference and estimator.preflight
# check them in code, with no Input metadata to take bounds from.
NOT_JOB_INPUTS = {
    "requests_per_day",
    "seconds_per_request",
    "requests_per_second",
    "hours_per_day",
    "idle_fraction",
    "days",
    "retrainings",
    "experiments_factor",
    "pf_flops",
    "pf_params",
    "pf_tokens",
    "pf_mfu",
    "pf_mfu_low",
    "pf_mfu_high",
}


def run(at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def every_number_input(at: AppTest) -> dict[str, Any]:
    """Each number widget of the form, by key, opening every path that shows one."""
    seen: dict[str, Any] = {str(w.key): w for w in at.number_input}
    steps: list[Callable[[], Any]] = [
        lambda: at.checkbox(key="custom_intensity").check(),
        lambda: at.selectbox(key="cpu").set_value(CPU),
        lambda: at.radio(key="cpu_by").set_value("cores"),
        lambda: at.radio(key="duration").set_value("device_hours"),
        lambda: at.radio(key="rate_by").set_value("throughput"),
        lambda: at.radio(key="uptime").set_value("hours"),
        lambda: at.radio(key="pf_compute_by").set_value("flops"),
    ]
    for step in steps:
        step().run()
        assert not at.exception, at.exception
        seen |= {str(w.key): w for w in at.number_input}
    return seen


@pytest.fixture(scope="module")
def widgets() -> dict[str, Any]:
    return every_number_input(run())


def test_every_number_input_is_made_from_job_or_has_no_metadata(widgets: dict[str, Any]) -> None:
    assert set(widgets) == set(JOB_WIDGETS) | NOT_JOB_INPUTS


def expected(key: str) -> job.Input:
    """Job's metadata for the widget ``key``; device-hours have no upper bound (hours' is checked after
    dividing by the devices)."""
    spec = job.BY_NAME[JOB_WIDGETS[key]]
    return dataclasses.replace(spec, high=None) if key == "device_hours" else spec


def _as_sentence(text: str) -> str:
    return text[0].upper() + text[1:] + "."


@pytest.mark.parametrize("key", sorted(JOB_WIDGETS))
def test_bounds_and_help_are_jobs(widgets: dict[str, Any], key: str) -> None:
    spec = expected(key)
    widget = widgets[key]
    assert widget.min == spec.low  # inclusive even when Job's low is open: the API refuses the bound itself
    assert widget.max == (None if key in HIGH_TO_THE_API else spec.high)
    assert widget.help.endswith(f" Allowed: {spec.allowed}."), widget.help
    if key in JOBS_HELP:
        assert widget.help == f"{_as_sentence(spec.help)} Allowed: {spec.allowed}."
    if key in UNIT_IN_LABEL:
        assert widget.label.endswith(f" ({spec.unit})"), widget.label


def test_a_change_to_jobs_metadata_reaches_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """Job's bounds and help are read on each run: new ones show in every widget made from them."""
    new_highs = {"hours": 1e6, "count": 1000, "trials": 50, "pue": 2.5, "power_w": 5000.0, "memory_gb": 4096.0}
    for name in set(JOB_WIDGETS.values()):
        spec = job.BY_NAME[name]
        high = new_highs.get(name, spec.high)
        monkeypatch.setitem(job.BY_NAME, name, dataclasses.replace(spec, high=high, help=f"new help of {name}"))
    widgets = every_number_input(run())
    for key, name in JOB_WIDGETS.items():
        spec = expected(key)
        assert widgets[key].max == (None if key in HIGH_TO_THE_API else spec.high), key
        if name in new_highs and key != "device_hours":
            assert widgets[key].max == new_highs[name], key
        assert widgets[key].help.endswith(f" Allowed: {spec.allowed}."), key
        if key in JOBS_HELP:
            assert widgets[key].help.startswith(f"New help of {name}."), key


# ---------------------------------------------------------------- what the widgets take is what estimate() takes


def _estimate_kwargs(key: str, value: float) -> dict[str, Any]:
    """``estimate()``'s keywords with ``value`` where the widget ``key`` puts it."""
    name = JOB_WIDGETS[key]
    kwargs = DEFAULT | {name: value}
    if name.startswith("cpu_"):
        kwargs["cpu"] = CPU
    return kwargs


def _refused(kwargs: dict[str, Any]) -> str | None:
    try:
        estimator.estimate(**kwargs)
    except estimator.EstimatorError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("key", sorted(set(JOB_WIDGETS) - {"device_hours"}))
def test_the_widgets_range_is_what_estimate_takes(widgets: dict[str, Any], key: str) -> None:
    """The widget's maximum is taken, a step beyond it refused; its minimum is taken unless Job's low is open."""
    widget, spec = widgets[key], job.BY_NAME[JOB_WIDGETS[key]]
    high = widget.max if widget.max is not None else spec.high
    if high is not None:
        assert _refused(_estimate_kwargs(key, high)) is None
        assert _refused(_estimate_kwargs(key, high * 1.5)), "beyond the widget's maximum: refused by estimate()"
    assert (_refused(_estimate_kwargs(key, widget.min)) is not None) == spec.low_open
    assert _refused(_estimate_kwargs(key, widget.min - 1)), "below the widget's minimum: refused by estimate()"


def errors(at: AppTest) -> list[str]:
    return [plain.unescape(e.value) for e in at.error]


OPEN_LOWS = ["hours", "device_hours", "utilization", "power_w", "draw_low_fraction", "cpu_cores", "cpu_utilization"]


@pytest.mark.parametrize("key", OPEN_LOWS)
def test_an_open_low_bound_typed_shows_the_apis_message(key: str) -> None:
    """Hours, power and fractions must be greater than 0: the widget takes 0, estimate() refuses it."""
    at = run()
    if key.startswith("cpu_"):
        at.selectbox(key="cpu").set_value(CPU).run()
    if key == "cpu_cores":
        at.radio(key="cpu_by").set_value("cores").run()
    if key == "device_hours":
        at.radio(key="duration").set_value("device_hours").run()
    at.number_input(key=key).set_value(0.0).run()
    assert not at.exception
    assert errors(at) == [_refused(_estimate_kwargs(key, 0.0))]


BEYOND = [("pue", 3.5, 1.0), ("count", 10_000_001, 1), ("power_w", 200_000.0, None), ("memory_gb", 2e6, None)]


@pytest.mark.parametrize(("key", "value", "kept"), BEYOND)
def test_a_value_beyond_jobs_high_is_refused_by_the_widget(key: str, value: float, kept: Any) -> None:
    """estimate() refuses it, and so does the widget: the value it keeps is its own default, not the one typed."""
    assert _refused(_estimate_kwargs(key, value))
    at = run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert at.number_input(key=key).value == kept
    assert not errors(at)


def test_an_intensity_above_jobs_high_shows_the_apis_hint() -> None:
    """No maximum in the widget: 4000 (lbs/MWh, most likely) gets the API's message and its hint."""
    at = run()
    at.checkbox(key="custom_intensity").check().run()
    at.number_input(key="intensity").set_value(4000.0).run()
    message = _refused(_estimate_kwargs("intensity", 4000.0))
    assert message is not None and "lbs/MWh" in message
    assert errors(at) == [message]
