"""The form's state: defaults, the shareable link (``st.query_params``) in and out.

A shared URL is read once per session, on the first run. Each parameter is
checked by the API itself (an ``estimate()`` call with that one value changed),
so a bad one shows the API's own message. A value that did not resolve is left
*empty* in the form, never replaced by a default: the page shows no figure that
depends on it and keeps the URL as it was, until the person sets that input
(issue 16, item 14). The rest of the link still fills the form.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

import estimator
from estimator.catalog import Catalog
from estimator.modelcard import TRAINING_TYPES

DEFAULT_HARDWARE = "nvidia-a100-sxm4-80gb"
DEFAULT_REGION = "gcp:us-central1"
DEFAULT_HOURS = 24.0
DEFAULT_CPU = "amd-epyc-7742"
ONPREM = "onprem"
# A provider's first region when the person switches provider.
PROVIDER_DEFAULT_REGION = {
    "gcp": "gcp:us-central1",
    "aws": "aws:us-east-1",
    "azure": "azure:eastus",
    ONPREM: "world",
}
# Inference and lifecycle inputs (issue 8), with their defaults.
INFERENCE_DEFAULTS: dict[str, float | int] = {
    "requests_per_day": 100_000,
    "seconds_per_request": 0.1,
    "requests_per_second": 10.0,
    "days": 365,
    "retrainings": 0,
    "experiments_factor": 1.0,
    "serve_count": 1,
}
ERRORS_KEY = "_link_errors"
SEEDED_KEY = "_seeded"

# Query parameter -> how to read it. Names are the API's keyword names.
NUMBER_PARAMS = (
    "hours",
    "device_hours",
    "count",
    "pue",
    "utilization",
    "power_w",
    "cpu_count",
    "cpu_cores",
    "cpu_utilization",
    "memory_gb",
    "intensity",
    "draw_low_fraction",
)
INT_PARAMS = ("count", "cpu_count", "requests_per_day", "days", "retrainings", "serve_count")
INFERENCE_PARAMS = tuple(INFERENCE_DEFAULTS)
NAME_PARAMS = ("hardware", "instance", "region", "cpu")
# The link's values by the part of the page that needs them: no figure of that part while one is unresolved.
TRAINING_PARAMS = NAME_PARAMS + NUMBER_PARAMS
SERVING_PARAMS = ("serve_hardware", *INFERENCE_PARAMS)
CARD_PARAMS = ("training_type",)


def base_kwargs() -> dict[str, Any]:
    """A valid job the link's values are tried against, one at a time."""
    return {"hardware": DEFAULT_HARDWARE, "hours": DEFAULT_HOURS, "count": 1, "region": DEFAULT_REGION}


def parse_number(text: str) -> Any:
    """'72' -> 72, '0.5' -> 0.5; anything else stays text, so the API names it in its error."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _api_error(call: Callable[[], object]) -> str | None:
    try:
        call()
    except estimator.EstimatorError as exc:
        return str(exc)
    return None


def _check(**changes: Any) -> str | None:
    return _api_error(lambda: estimator.estimate(**(base_kwargs() | changes)))


def _check_inference(name: str, value: Any) -> str | None:
    if name in ("retrainings", "experiments_factor"):
        training = estimator.estimate(**base_kwargs())
        return _api_error(lambda: estimator.lifecycle(training, **{name: value}))
    if name == "days":
        training = estimator.estimate(**base_kwargs())
        return _api_error(lambda: estimator.lifecycle(training, period_days=value))
    if name == "serve_count":
        return _check(count=value)
    rate: dict[str, Any] = {"seconds_per_request": 0.1}
    if name in ("seconds_per_request", "requests_per_second"):
        rate = {name: value}
    requests = value if name == "requests_per_day" else 1000
    return _api_error(lambda: estimator.estimate_inference(DEFAULT_HARDWARE, DEFAULT_REGION, requests=requests, **rate))


Errors = dict[str, str]  # link parameter -> the API's message about its value


def _seed_number(seed: dict[str, Any], errors: Errors, name: str, raw: str, **extra: Any) -> None:
    value = parse_number(raw)
    api_name = "hours" if name == "device_hours" else name
    problem = _check(**({api_name: value} | extra))
    if problem:
        errors[name] = problem
        return
    seed[name] = int(value) if name in INT_PARAMS else float(value)


def _seed_names(cat: Catalog, params: Mapping[str, str], seed: dict[str, Any], errors: Errors) -> None:
    """hardware, instance, region, cpu: resolved by the catalog to the select boxes' ids."""
    if "hardware" in params:
        problem = _check(hardware=params["hardware"])
        if problem:
            errors["hardware"] = problem
        else:
            seed["hardware"] = cat.device(params["hardware"])[0].id
    if "instance" in params:
        seed["what"] = "instance"
        problem = _check(hardware=None, count=None, instance=params["instance"])
        if problem:
            errors["instance"] = problem
        else:
            inst = cat.instance(params["instance"])[0]
            seed["instance"] = inst.id
            seed["provider"] = inst.provider
    if "region" in params:
        provider = seed.get("provider") if "instance" in seed else None
        problem = _check(region=params["region"], provider=provider)
        if problem:
            errors["region"] = problem
        else:
            region = cat.region(params["region"], provider)[0]
            seed["region"] = region.id
            seed["provider"] = region.provider or ONPREM
    if "cpu" in params:
        problem = _check(cpu=params["cpu"])
        if problem:
            errors["cpu"] = problem
        else:
            seed["cpu"] = cat.device(params["cpu"])[0].id


def _seed_other(cat: Catalog, params: Mapping[str, str], seed: dict[str, Any], errors: Errors) -> None:
    """The card's training type and the serving inputs."""
    if "training_type" in params:
        if params["training_type"] in TRAINING_TYPES:
            seed["training_type"] = params["training_type"]
        else:
            allowed = ", ".join(TRAINING_TYPES)
            errors["training_type"] = f"training_type must be one of {allowed}; got {params['training_type']!r}"
    for name in INFERENCE_PARAMS:
        if name in params:
            value = parse_number(params[name])
            problem = _check_inference(name, value)
            if problem:
                errors[name] = problem
            else:
                seed[name] = int(value) if name in INT_PARAMS else float(value)
    if "serve_hardware" in params:
        problem = _check(hardware=params["serve_hardware"])
        if problem:
            errors["serve_hardware"] = problem
        else:
            seed["serve_hardware"] = cat.device(params["serve_hardware"])[0].id


def seed_from_link(cat: Catalog, params: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """Widget values from a shared link, and the API's message for each value it refused.

    A refused value's widget is seeded empty (``None``), never with a default.
    """
    seed: dict[str, Any] = {}
    errors: Errors = {}
    _seed_names(cat, params, seed, errors)
    cpu = seed.get("cpu", DEFAULT_CPU)
    for name in NUMBER_PARAMS:
        if name not in params:
            continue
        extra: dict[str, Any] = {}
        if name in ("cpu_count", "cpu_cores", "cpu_utilization"):
            extra = {"cpu": cpu}
        _seed_number(seed, errors, name, params[name], **extra)
    _seed_other(cat, params, seed, errors)
    for name in errors:
        seed[name] = None  # empty in the form: what the link meant is not known
    given = seed.keys()
    if "device_hours" in given:
        seed["duration"] = "device_hours"
    if "cpu_cores" in given:
        seed["cpu_by"] = "cores"
    if "intensity" in given:
        seed["custom_intensity"] = True
    if "requests_per_second" in given:
        seed["rate_by"] = "throughput"
    return seed, errors


def seed_once(cat: Catalog) -> Errors:
    """On a session's first run, fill the form from the URL; the link's values still unresolved."""
    state = st.session_state
    if not state.get(SEEDED_KEY):
        params = {k: st.query_params[k] for k in st.query_params}
        seed, errors = seed_from_link(cat, params)
        for key, value in seed.items():
            state[key] = value
        state[ERRORS_KEY] = errors
        state[SEEDED_KEY] = True
    return unresolved()


def unresolved(names: Iterable[str] | None = None) -> Errors:
    """The link's values not yet resolved (all, or those among ``names``), with the API's message."""
    errors: Errors = st.session_state.get(ERRORS_KEY, {})
    if names is None:
        return dict(errors)
    return {name: errors[name] for name in names if name in errors}


# Setting one of these settles the link's other values it makes moot.
SETTLES: dict[str, tuple[str, ...]] = {
    "what": ("hardware", "instance", "count"),
    "duration": ("hours", "device_hours"),
    "provider": ("region",),
    "custom_intensity": ("intensity",),
    "cpu": ("cpu_count", "cpu_cores", "cpu_utilization"),
    "cpu_by": ("cpu_count", "cpu_cores"),
    "rate_by": ("seconds_per_request", "requests_per_second"),
}


def _settle(key: str) -> None:
    errors: Errors = st.session_state.get(ERRORS_KEY, {})
    for name in (key, *SETTLES.get(key, ())):
        errors.pop(name, None)


def watch(key: str) -> dict[str, Any]:
    """A widget's ``on_change``: once the person sets it, the link's value for it no longer counts."""
    return {"on_change": _settle, "args": (key,)}


def text_of(value: Any) -> str:
    """A value as it goes in the URL: 24.0 -> '24', 0.85 -> '0.85'."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def write_link(params: Mapping[str, Any]) -> None:
    """Put the form's values in the URL (only when they changed, to keep reruns cheap).

    Not while a value of the link is unresolved: the URL stays as the person sent it.
    """
    if unresolved():
        return
    wanted = {k: text_of(v) for k, v in params.items() if v is not None}
    if wanted != st.query_params.to_dict():
        st.query_params.from_dict(wanted)
