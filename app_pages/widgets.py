"""Number inputs made from :class:`estimator.job.Job`'s one definition of each input.

A widget for a Job input takes its bounds from the input's ``Input`` metadata
(``low``, ``high``, ``kind``) and its unit and help from it too, unless the
form deliberately says something more specific; its help always ends with the
allowed values as Job states them. A change to Job's bounds reaches the form.

Bounds in the browser and in ``estimate()``:

- ``low_open`` (hours, power, utilizations: greater than 0). Streamlit's
  ``min_value`` is inclusive, so the widget's minimum is the bound itself
  (0): every value the widget takes but that one is one Job takes, and the
  bound itself reaches ``estimate()``, whose message says it must be greater
  than 0. A ``min_value`` just above 0 would show as "0.00" and step from
  there.
- ``high_to_api``: the widget sets no maximum and a value above Job's
  ``high`` reaches ``estimate()``, whose message says more than the browser's
  (intensity: "if it is lbs/MWh, multiply by 0.4536").
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages import state
from estimator import job
from estimator.job import Input

UNSET = "not set: the link's value did not resolve"
Number = int | float


def spec_of(name: str) -> Input:
    """Job's metadata for the input ``name`` (looked up on each call: a change to Job reaches the form)."""
    return job.BY_NAME[name]


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def help_text(spec: Input, specific: str | None = None) -> str:
    """The form's own help (else Job's), then the allowed values as Job states them."""
    text = specific or _sentence(spec.help)
    return f"{text} Allowed: {spec.allowed}." if spec.allowed else text


def bounds(spec: Input, high_to_api: bool = False) -> tuple[Number | None, Number | None]:
    """``(min_value, max_value)`` for Streamlit: Job's ``low`` (inclusive, see the module) and ``high``."""
    cast_to = int if spec.kind == "whole" else float
    low = None if spec.low is None else cast_to(spec.low)
    high = None if spec.high is None or high_to_api else cast_to(spec.high)
    return low, high


def number(
    key: str,
    label: str,
    *,
    where: DeltaGenerator | None = None,
    start: Number | None = None,
    min_value: Number | None = None,
    max_value: Number | None = None,
    step: Number | None = None,
    format: str | None = None,
    optional: bool = False,
    placeholder: str | None = None,
    help: str | None = None,
) -> Number | None:
    """A number input of the form, with the plumbing each one needs.

    The first value ``start`` goes through session state (a shared link may set it instead); once the
    person sets the widget, the link's value for ``key`` no longer counts (``state.watch``). ``optional``:
    empty (``None``) means "not given", and ``placeholder`` says what that means; otherwise an empty
    widget is a link's value that did not resolve (placeholder :data:`UNSET`) and clearing it brings back
    ``min_value``, as Streamlit does. ``where``: a column or container, default the current one.
    """
    if start is not None:
        st.session_state.setdefault(key, start)
    # One call for ints and floats alike: Streamlit's overloads type each combination separately.
    args: dict[str, Any] = {
        "min_value": min_value,
        "max_value": max_value,
        "value": None if optional else "min",
        "step": step,
        "format": format,
        "key": key,
        "placeholder": placeholder if optional else (placeholder or UNSET),
        "help": help,
        **state.watch(key),
    }
    widget = where.number_input if where is not None else st.number_input
    value: Number | None = widget(label, **args)
    return value


def job_number(
    name: str,
    label: str,
    *,
    key: str | None = None,
    spec: Input | None = None,
    where: DeltaGenerator | None = None,
    start: Number | None = None,
    optional: bool = False,
    placeholder: str | None = None,
    help: str | None = None,
    step: Number | None = None,
    format: str | None = None,
    show_unit: bool = False,
    high_to_api: bool = False,
) -> Number | None:
    """A ``number_input`` for Job's input ``name``, with its bounds, unit and help from Job.

    Parameters
    ----------
    name : str
        The Job input (``estimator.job.BY_NAME``) whose metadata the widget takes.
    label : str
        The form's label; with ``show_unit``, Job's unit follows in brackets.
    key : str, optional
        The widget's key and link parameter (default ``name``).
    spec : Input, optional
        Metadata to use instead of Job's for ``name`` (a form's own input made from a Job input).
    where, start, optional, placeholder
        As :func:`number`'s.
    help : str, optional
        The form's more specific help, instead of Job's.
    step, format
        As Streamlit's; ``step`` default 1 for a whole number, else Streamlit's.
    high_to_api : bool
        No maximum in the widget: a value above Job's ``high`` reaches ``estimate()`` and its message.
    """
    spec = spec or spec_of(name)
    low, high = bounds(spec, high_to_api)
    whole = spec.kind == "whole"
    if step is not None:
        step = int(step) if whole else float(step)
    elif whole:
        step = 1
    value = number(
        key or name,
        f"{label} ({spec.unit})" if show_unit and spec.unit else label,
        where=where,
        start=start,
        min_value=low,
        max_value=high,
        step=step,
        format=format,
        optional=optional,
        placeholder=placeholder,
        help=help_text(spec, help),
    )
    if value is None:
        return None
    return int(value) if whole else value
