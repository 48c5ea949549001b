"""The form's state: defaults, the shareable link (``st.query_params``) in and out.

The link's parameters are made from :data:`estimator.job.INPUTS` (the one list
of what an estimate takes), less the inputs a link must not set
(:data:`NOT_FROM_A_LINK`), plus the form's own: ``device_hours``,
``training_type`` and the serving inputs. A shared URL is read once per
session, on the first run, and checked by :func:`estimator.plan.resolve`
(no probe ``estimate()``): an error names its input (``err.field``), so a
bad value shows the API's own message. A value that did not resolve is left
*empty* in the form, never replaced by a default: the page shows no figure that
depends on it and keeps the URL as it was, until the person sets that input
(issue 16, item 14). The rest of the link still fills the form.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

import estimator
from estimator.catalog import Catalog, load_catalog
from estimator.inference import IDLE_DRAW_FRACTION
from estimator.job import BY_NAME, INPUTS, LIKELY_MEANT, Job
from estimator.modelcard import TRAINING_TYPES
from estimator.plan import place, regions_on_grid, resolve

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
    # Servers kept up (issue 16, item 19): the hours a day when "up N hours a day" is first chosen, and the
    # API's own idle draw (estimator.inference.IDLE_DRAW_FRACTION, Morrison et al. 2025).
    "hours_per_day": 8.0,
    "idle_fraction": IDLE_DRAW_FRACTION,
}
# How the serving hardware runs: the radio's choices. Only "always" and "hours" count idle hours; the link holds
# ``hours_per_day`` (24 for always on) for them, and nothing for "serving".
UPTIME_LABELS = {
    "serving": "only while serving",
    "always": "always on (24 h a day)",
    "hours": "up N hours a day",
}
ALWAYS_ON_HOURS = 24.0
ERRORS_KEY = "_link_errors"
IGNORED_KEY = "_link_ignored"
READ_KEY = "_link_read"
SEEDED_KEY = "_seeded"
YEAR_CHOSEN_KEY = "_year_chosen"  # the year was set by the person or the link: it stays when the place changes

# Job's inputs a link may not set, and why.
NOT_FROM_A_LINK = {"data_files": "a link must not name files on the server that runs the form"}
# The link's parameters for an estimate: exactly Job's inputs, less those above.
JOB_PARAMS: tuple[str, ...] = tuple(spec.name for spec in INPUTS if spec.name not in NOT_FROM_A_LINK)
NAME_PARAMS = tuple(name for name in JOB_PARAMS if BY_NAME[name].kind == "name")
INT_PARAMS = (
    *(name for name in JOB_PARAMS if BY_NAME[name].kind == "whole"),
    "requests_per_day",
    "days",
    "retrainings",
    "serve_count",
)
INFERENCE_PARAMS = tuple(INFERENCE_DEFAULTS)
# The link's values by the part of the page that needs them: no figure of that part while one is unresolved.
TRAINING_PARAMS = (*JOB_PARAMS, "device_hours")
SERVING_PARAMS = ("serve_hardware", *INFERENCE_PARAMS)
CARD_PARAMS = ("training_type",)
LINK_PARAMS = (*TRAINING_PARAMS, *CARD_PARAMS, *SERVING_PARAMS)
PAIR_SEPARATOR = ","  # intensity_range=300,500


def base_kwargs() -> dict[str, Any]:
    """A valid job: the serving checks try one value against it."""
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
    """The API's message about ``changes`` on the base job (resolved, not computed), or None."""
    return _api_error(lambda: resolve(Job.from_kwargs(base_kwargs() | changes)))


@functools.cache
def _a_training() -> estimator.Estimate:
    """One training estimate per server, for checking the lifecycle's own inputs from a link."""
    return estimator.estimate(**base_kwargs())


def _check_inference(name: str, value: Any) -> str | None:
    if name in ("retrainings", "experiments_factor"):
        return _api_error(lambda: estimator.lifecycle(_a_training(), **{name: value}))
    if name == "days":
        return _api_error(lambda: estimator.lifecycle(_a_training(), period_days=value))
    if name == "serve_count":
        return _check(count=value)
    if name in ("hours_per_day", "idle_fraction"):
        up: dict[str, Any] = {"hours_per_day": ALWAYS_ON_HOURS} | {name: value}
        return _api_error(
            lambda: estimator.estimate_inference(
                DEFAULT_HARDWARE, DEFAULT_REGION, requests=1000, seconds_per_request=0.1, **up
            )
        )
    rate: dict[str, Any] = {"seconds_per_request": 0.1}
    if name in ("seconds_per_request", "requests_per_second"):
        rate = {name: value}
    requests = value if name == "requests_per_day" else 1000
    return _api_error(lambda: estimator.estimate_inference(DEFAULT_HARDWARE, DEFAULT_REGION, requests=requests, **rate))


Errors = dict[str, str]  # link parameter -> the API's message about its value


def parse_value(name: str, text: str) -> Any:
    """A link's text as the input's kind takes it; what does not parse stays text, so the API names it."""
    kind = BY_NAME[name].kind
    if kind in ("number", "whole"):
        return parse_number(text)
    if kind == "pair":
        parts = [parse_number(t.strip()) for t in text.split(PAIR_SEPARATOR)]
        return tuple(parts) if len(parts) == 2 and all(not isinstance(v, str) for v in parts) else text
    return text


def _link_job(params: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The link's Job values (``device_hours`` read as ``hours``), and which link name each came from."""
    values: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name in JOB_PARAMS:
        if name in params:
            values[name], origin[name] = parse_value(name, params[name]), name
    if "device_hours" in params and "hours" not in values:
        values["hours"], origin["hours"] = parse_number(params["device_hours"]), "device_hours"
    return values, origin


def _instance_region(instance: Any) -> str | None:
    """The region the form picks for ``instance``: its provider's default (None: unknown instance)."""
    if not isinstance(instance, str):
        return None
    try:
        inst = load_catalog().instance(instance)[0]
    except estimator.EstimatorError:
        return None
    return PROVIDER_DEFAULT_REGION.get(inst.provider)


def _base_for(values: Mapping[str, Any]) -> dict[str, Any]:
    """What the form would use for the inputs the link does not give."""
    base: dict[str, Any] = {"hours": DEFAULT_HOURS}
    if "instance" not in values:
        base["hardware"] = DEFAULT_HARDWARE
    if "region" not in values:  # the form's region: its provider's first for an instance
        base["region"] = _instance_region(values.get("instance")) or DEFAULT_REGION
    if any(k in values for k in ("cpu_count", "cpu_cores", "cpu_utilization")) and "cpu" not in values:
        base["cpu"] = DEFAULT_CPU
    return base


def check_link_job(values: Mapping[str, Any], origin: Mapping[str, str]) -> Errors:
    """Resolve the link's job; each error is put on its input (``err.field``) and that value dropped, until
    the rest resolves. One :func:`estimator.plan.resolve` per bad value, no arithmetic."""
    errors: Errors = {}
    left = dict(values)
    while True:
        try:
            resolve(Job.from_kwargs(_base_for(left) | left))
            return errors
        except estimator.EstimatorError as exc:
            field = getattr(exc, "field", None)
            if field not in left:  # about an input the link did not give: put it on the first the link did
                field = next(iter(left), None)
            if field is None:
                return errors
            errors[origin.get(field, field)] = str(exc)
            del left[field]


NAME_FIELDS = ("hardware", "instance", "cpu", "region")  # the names the form shows as the ids they were read as


def link_reading(params: Mapping[str, str], errors: Errors) -> Errors:
    """What ``estimate()`` says of how the link's names were read, per name: the form shows the id it was read
    as ('us-east1' as gcp:us-east1), so the note that the name was read so, and the near ones, would be lost."""
    values, origin = _link_job(params)
    good = {k: v for k, v in values.items() if origin[k] not in errors}
    if not any(k in good for k in NAME_FIELDS):
        return {}
    try:
        plan = resolve(Job.from_kwargs(_base_for(good) | good))
    except estimator.EstimatorError:
        return {}
    notes: Errors = {}
    for name in NAME_FIELDS:
        if name in good:
            said = [w for w in plan.warnings if w.startswith(f"{name} {good[name]!r} ")]
            if said:
                notes[origin[name]] = "; ".join(said)
    return notes


def _seed_names(cat: Catalog, values: Mapping[str, Any], seed: dict[str, Any]) -> None:
    """The names that resolved, as the select boxes' ids (catalog look-ups, no estimate)."""
    if "hardware" in values:
        seed["hardware"] = cat.device(values["hardware"])[0].id
    if "instance" in values:
        inst = cat.instance(values["instance"])[0]
        seed["instance"], seed["provider"] = inst.id, inst.provider
    if "region" in values:
        provider = seed.get("provider") if "instance" in seed else values.get("provider")
        region = place(cat, values["region"], provider)  # as estimate() reads it: 'us-east-1' is its grid zone
        if "instance" in seed and not region.is_cloud:  # the form lists the instance's provider's regions only
            on_grid = regions_on_grid(cat, seed["provider"], region)  # one on the same grid (provider_params says so)
            if on_grid:
                seed["region"] = on_grid[0]
        else:
            seed["region"] = region.id
            seed["provider"] = region.provider or ONPREM
    if "cpu" in values:
        seed["cpu"] = cat.device(values["cpu"])[0].id


def _seed_other(cat: Catalog, params: Mapping[str, str], seed: dict[str, Any], errors: Errors) -> None:
    """The card's training type and the serving inputs."""
    if "training_type" in params:
        if params["training_type"] in TRAINING_TYPES:
            seed["training_type"] = params["training_type"]
        else:
            allowed = ", ".join(TRAINING_TYPES)
            errors["training_type"] = f"training_type must be one of {allowed}; got {params['training_type']!r}"
    moot = moot_params(params)
    for name in INFERENCE_PARAMS:
        if name in params and name not in moot:
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


def unknown_params(params: Iterable[str]) -> Errors:
    """A message for each parameter the form does not take (it is ignored), with the closest it does."""
    out: Errors = {}
    for name in params:
        if name in LINK_PARAMS:
            continue
        if name in NOT_FROM_A_LINK:
            out[name] = f"{name} cannot be given in a link: {NOT_FROM_A_LINK[name]}; ignored"
            continue
        meant = LIKELY_MEANT.get(name.lower())  # gpus=8: count, not a spelling neighbour
        close = [meant] if meant in LINK_PARAMS else difflib.get_close_matches(name, LINK_PARAMS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        out[name] = f"unknown link parameter {name[:60]!r}{hint}; ignored. The form takes: {', '.join(LINK_PARAMS)}"
    return out


def provider_params(cat: Catalog, params: Mapping[str, str]) -> Errors:
    """A link's provider with a place that is none of its regions (region=FR&provider=aws): the form takes a
    provider with its own regions, so it is ignored, said, with the provider's regions on that grid. The same
    for an instance with a place that is no cloud region (instance=aws:p4d.24xlarge&region=FR)."""
    name, provider = params.get("region"), params.get("provider")
    if name and "instance" in params:
        return _instance_place(cat, params["instance"], name)
    if not name or not provider:
        return {}
    try:
        reg, pid = place(cat, name, provider), cat.provider(provider).id
    except estimator.EstimatorError:
        return {}  # a bad region or provider: its own message comes from the link's check
    if reg.is_cloud and reg.provider == pid:
        return {}
    on_grid = regions_on_grid(cat, pid, reg)
    hint = f" ({', '.join(on_grid[:3])} {'is' if len(on_grid) == 1 else 'are'} on its grid)" if on_grid else ""
    return {
        "provider": f"provider {pid} with region {reg.id}: the form takes a provider with one of its regions{hint}; "
        f"provider ignored, so the figure is {reg.id}'s with its default PUE"
    }


def _instance_place(cat: Catalog, instance: str, name: str) -> Errors:
    """An instance's link with a place that is no cloud region: which of its provider's regions the form shows."""
    try:
        inst = cat.instance(instance)[0]
        reg = place(cat, name, inst.provider)
    except estimator.EstimatorError:
        return {}  # its own message comes from the link's check
    if reg.is_cloud or not inst.provider:
        return {}
    on_grid = regions_on_grid(cat, inst.provider, reg)
    shown = (
        f"{on_grid[0]}, on {reg.id}'s grid" if on_grid else f"{inst.provider}'s default region (none is on its grid)"
    )
    return {
        "region": f"region {reg.id} with instance {inst.id}: the form takes one of {inst.provider}'s regions for an "
        f"instance, so it shows {shown}; estimate() takes the place itself"
    }


def moot_params(params: Mapping[str, str]) -> Errors:
    """The link's values no figure uses, with the API's message: an idle draw without the hours servers are up."""
    if "idle_fraction" not in params or "hours_per_day" in params:
        return {}
    message = _api_error(
        lambda: estimator.estimate_inference(
            DEFAULT_HARDWARE, DEFAULT_REGION, requests=1000, seconds_per_request=0.1, idle_fraction=IDLE_DRAW_FRACTION
        )
    )
    return {"idle_fraction": f"{message}; ignored"}


def seed_from_link(cat: Catalog, params: Mapping[str, str]) -> tuple[dict[str, Any], Errors]:
    """Widget values from a shared link, and the API's message for each value it refused.

    A refused value's widget is seeded empty (``None``), never with a default.
    """
    values, origin = _link_job(params)
    errors = check_link_job(values, origin)
    good = {k: v for k, v in values.items() if origin[k] not in errors}
    seed: dict[str, Any] = {}
    if "instance" in values:
        seed["what"] = "instance"
    _seed_names(cat, good, seed)
    for name, value in good.items():
        if name in NAME_PARAMS:
            continue
        if BY_NAME[name].kind in ("number", "whole"):
            seed[origin[name]] = int(value) if BY_NAME[name].kind == "whole" else float(value)
        else:
            seed[name] = value
    if "intensity_range" in seed:
        seed["intensity_low"], seed["intensity_high"] = (float(v) for v in seed.pop("intensity_range"))
    _seed_other(cat, params, seed, errors)
    for name in errors:
        seed[name] = None  # empty in the form: what the link meant is not known
    if "provider" in seed and seed["provider"] is None:  # a provider box is never empty: the region's, else the default
        region = cat.regions.get(str(seed.get("region")))
        if region is not None:
            seed["provider"] = region.provider or ONPREM
        else:
            del seed["provider"]
    if "intensity_range" in errors:
        seed.pop("intensity_range")
        seed["intensity_low"] = seed["intensity_high"] = None
    given = seed.keys()
    if "device_hours" in given:
        seed["duration"] = "device_hours"
    if "cpu_cores" in given:
        seed["cpu_by"] = "cores"
    if "intensity" in given:
        seed["custom_intensity"] = True
    if "requests_per_second" in given:
        seed["rate_by"] = "throughput"
    if "hours_per_day" in given:  # a bad value too: its widget is shown, empty, beside the error
        seed["uptime"] = "always" if seed["hours_per_day"] == ALWAYS_ON_HOURS else "hours"
    return seed, errors


def seed_once(cat: Catalog) -> Errors:
    """On a session's first run, fill the form from the URL; the link's values still unresolved."""
    state = st.session_state
    if not state.get(SEEDED_KEY):
        params = {k: st.query_params[k] for k in st.query_params}
        seed, errors = seed_from_link(cat, params)
        for key, value in seed.items():
            state[key] = value
        state[YEAR_CHOSEN_KEY] = "year" in seed
        state[ERRORS_KEY] = errors
        state[IGNORED_KEY] = unknown_params(params) | moot_params(params) | provider_params(cat, params)
        state[READ_KEY] = link_reading(params, errors)
        if seed.get("region") and seed.get("provider"):  # the link's place is the person's choice
            remember_region(str(seed["provider"]), str(seed["region"]))
        state[SEEDED_KEY] = True
    return unresolved()


# Inputs a choice in the form hides and shows again: hours (while device-hours are given), the device and its
# count (while an instance is), a custom intensity (while unticked), the serving speed either way, CPUs as
# packages or cores, the serving hours a day. Not the region or provider, whose options follow the instance's.
KEPT_WHILE_HIDDEN = (
    "hours",
    "device_hours",
    "count",
    "hardware",
    "utilization",
    "power_w",
    "intensity",
    "seconds_per_request",
    "requests_per_second",
    "cpu_count",
    "cpu_cores",
    "hours_per_day",
    "provider",  # drawn only for hardware: an instance's provider replaces it while an instance is chosen
)
# The region last chosen for each provider: a switch of provider (or to an instance of another provider) and
# back restores it instead of the provider's first region.
REGION_BY_PROVIDER_KEY = "_region_by_provider"


def remember_region(provider: str, region: str | None) -> None:
    """Note ``region`` as the one the person chose for ``provider`` (never one the form chose for them)."""
    if region is not None:
        st.session_state.setdefault(REGION_BY_PROVIDER_KEY, {})[provider] = region


def _region_set(provider: str) -> None:
    _settle("region")
    remember_region(provider, st.session_state.get("region"))


def watch_region(provider: str) -> dict[str, Any]:
    """The region's ``on_change``: as :func:`watch`, and the region is remembered as the person's for ``provider``."""
    return {"on_change": _region_set, "args": (provider,)}


def region_for(cat: Catalog, provider: str, options: list[str], previous: str | None) -> tuple[str, str | None]:
    """The region to show when ``provider``'s list (``options``) does not hold ``previous``, and a note.

    The one last chosen for ``provider``; else the one on ``previous``'s grid (a
    provider's region draws the same grid figure; on-premise, the grid zone
    itself); else the provider's first. The note says so when the job moved to
    another grid not chosen by the person (None: nothing to say).
    """
    remembered = st.session_state.get(REGION_BY_PROVIDER_KEY, {}).get(provider)
    first = PROVIDER_DEFAULT_REGION.get(provider, options[0])
    if remembered in options:
        return remembered, None  # the person's own choice for this provider: nothing to say
    if previous is None or previous not in cat.regions:
        return first, None
    before = cat.regions[previous]
    same = [r for r in options if r == before.grid_id] if provider == ONPREM else []
    same = same or regions_on_grid(cat, provider, before)
    if same:
        return same[0], None  # the same grid figure: nothing changed in the estimate's intensity
    if cat.regions[first].grid_id == before.grid_id:
        return first, None
    where = "a country or grid zone" if provider == ONPREM else f"{provider}'s regions"
    return first, (
        f"Region set to {first}: {previous} is not among {where}, and none of them is on its grid "
        f"({before.grid_id}). Choose the region the job ran in."
    )


def keep_hidden_inputs() -> None:
    """Keep what the person set in an input while a choice hides it: Streamlit drops a widget's value when the
    widget is not drawn in a run, and writing it back at the top of the run keeps it (Streamlit's way)."""
    state = st.session_state
    for key in KEPT_WHILE_HIDDEN:
        if key in state:
            state[key] = state[key]


def read_notes() -> Errors:
    """How the link's names were read ('us-east1' read as gcp:us-east1, ...), until the person sets that input."""
    out: Errors = st.session_state.get(READ_KEY, {})
    return out


def ignored() -> Errors:
    """The link's parameters the form does not take (shown once, never blocking a figure)."""
    out: Errors = st.session_state.get(IGNORED_KEY, {})
    return out


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
    "intensity_low": ("intensity_range",),
    "intensity_high": ("intensity_range",),
    "basis": ("year",),
    "cpu": ("cpu_count", "cpu_cores", "cpu_utilization"),
    "cpu_by": ("cpu_count", "cpu_cores"),
    "rate_by": ("seconds_per_request", "requests_per_second"),
}


def _settle(key: str) -> None:
    errors: Errors = st.session_state.get(ERRORS_KEY, {})
    read: Errors = st.session_state.get(READ_KEY, {})
    for name in (key, *SETTLES.get(key, ())):
        errors.pop(name, None)
        read.pop(name, None)


def settle(*names: str) -> None:
    """The link's values for ``names`` no longer count (the person set them, or made them moot)."""
    for name in names:
        _settle(name)


def _year_set() -> None:
    st.session_state[YEAR_CHOSEN_KEY] = True
    _settle("year")


def watch_year() -> dict[str, Any]:
    """The year's ``on_change``: as :func:`watch`, and the year is the person's from then on."""
    return {"on_change": _year_set}


def watch(key: str) -> dict[str, Any]:
    """A widget's ``on_change``: once the person sets it, the link's value for it no longer counts."""
    return {"on_change": _settle, "args": (key,)}


def text_of(value: Any) -> str:
    """A value as it goes in the URL: 24.0 -> '24', 0.85 -> '0.85'."""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, tuple):
        return PAIR_SEPARATOR.join(text_of(v) for v in value)
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
