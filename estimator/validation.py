"""Our estimates against measured energy: the runs in ``data/validation.csv``.

Each row is a published run whose energy was *measured* (GPU power sampled
through NVML or nvidia-smi, CodeCarbon, a provider's metering), never
computed from TDP. :func:`validate` runs each row through :func:`estimate` or
:func:`estimate_inference` the way a user would (catalog power, default draw
assumptions, PUE 1 unless the measured scope includes the facility) and
compares energy::

    ratio  = central estimate / measured          (> 1: we estimate high)
    inside = low end <= measured <= high end      (the energy range, kWh)

Energy is compared, not CO2e: intensity choices would only scale both sides.
The draw fractions are read from the estimates themselves
(``Estimate.energy_low_kwh``, ``energy_high_kwh``), so a change of the package defaults shows here.
The columns of the file are described in docs/validation.md.
"""

from __future__ import annotations

import csv
import math
import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from estimator.errors import DataError, InputError

KINDS = ("training", "fine-tuning", "inference")
SCOPES = ("gpu-only", "gpu+cpu+mem", "facility incl. PUE")
COLUMNS = (
    "id",
    "kind",
    "model",
    "hardware",
    "count",
    "hours",
    "requests",
    "seconds_per_request",
    "hours_per_day",
    "days",
    "region",
    "intensity_g_per_kwh",
    "pue_reported",
    "measured_kwh",
    "measured_wh_per_request",
    "measured_scope",
    "reference",
    "table_or_page",
    "year",
    "note",
)
# The training low end this set calls for (estimator.plan.TYPICAL_TRAINING_DRAW_FRACTION): the
# lowest measured average GPU draw among the training rows, 0.267 of TDP (DenseNet-121 on a P40, Dodge et al. 2022,
# FAccT, Table 2), rounded down to a 0.05 step. Eleven Azure runs there drew 0.27 to 0.92 of TDP (median 0.43).
RECOMMENDED_TRAINING_LOW_FRACTION = 0.25
# Relative slack for "inside": the published figures are rounded, our arithmetic is not.
TOLERANCE = 1e-9
Group = Literal["training", "inference"]
FORMATS = ("text", "json", "csv")


def default_path() -> Path:
    """The shipped validation set (``data/validation.csv``)."""
    from estimator.catalog import data_dir

    return data_dir() / "validation.csv"


def _round(value: float) -> float:
    """``value`` to 6 significant figures (no float noise in JSON or CSV)."""
    return float(f"{value:.6g}")


@dataclass(frozen=True)
class Run:
    """One measured run, as a row of the validation file (units in the names)."""

    id: str
    kind: str
    model: str
    hardware: str
    count: int
    hours: float | None
    requests: float | None
    seconds_per_request: float | None
    hours_per_day: float | None
    days: float | None
    region: str | None
    intensity_g_per_kwh: float | None
    pue_reported: float | None
    measured_kwh: float | None
    measured_wh_per_request: float | None
    measured_scope: str
    reference: str
    table_or_page: str
    year: int
    note: str = ""

    @property
    def group(self) -> Group:
        """'inference' for serving runs, else 'training' (fine-tuning included)."""
        return "inference" if self.kind == "inference" else "training"

    @property
    def measured_total_kwh(self) -> float:
        """The measured energy of the whole run, kWh."""
        if self.measured_kwh is not None:
            return self.measured_kwh
        assert self.measured_wh_per_request is not None
        assert self.requests is not None
        return self.measured_wh_per_request * self.requests / 1000.0


def _number(row: dict[str, str], key: str, line: int, whole: bool = False) -> float | None:
    text = (row.get(key) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"validation file line {line}: {key} must be a number; got {text!r}") from None
    if not math.isfinite(value) or value <= 0 or (whole and value != int(value)):
        what = "a whole number" if whole else "a number"
        raise DataError(f"validation file line {line}: {key} must be {what} greater than 0; got {text!r}")
    return value


def _run(row: dict[str, str], line: int) -> Run:
    def text(key: str) -> str:
        return (row.get(key) or "").strip()

    for key in ("id", "kind", "hardware", "measured_scope", "reference", "table_or_page", "year"):
        if not text(key):
            raise DataError(f"validation file line {line}: {key} is empty; every run needs it")
    if text("kind") not in KINDS:
        raise DataError(f"validation file line {line}: kind {text('kind')!r} is not one of {', '.join(KINDS)}")
    if text("measured_scope") not in SCOPES:
        raise DataError(
            f"validation file line {line}: measured_scope {text('measured_scope')!r} is not one of {', '.join(SCOPES)}"
        )
    values = {
        key: _number(row, key, line)
        for key in (
            "hours",
            "requests",
            "seconds_per_request",
            "hours_per_day",
            "days",
            "intensity_g_per_kwh",
            "pue_reported",
            "measured_kwh",
            "measured_wh_per_request",
        )
    }
    count = _number(row, "count", line, whole=True) or 1.0
    year = _number(row, "year", line, whole=True)
    if (values["measured_kwh"] is None) == (values["measured_wh_per_request"] is None):
        raise DataError(f"validation file line {line}: give exactly one of measured_kwh or measured_wh_per_request")
    if values["measured_wh_per_request"] is not None and values["requests"] is None:
        raise DataError(f"validation file line {line}: measured_wh_per_request needs requests")
    if text("kind") == "inference":
        if values["requests"] is None:
            raise DataError(f"validation file line {line}: an inference run needs requests")
        if values["seconds_per_request"] is None and values["hours_per_day"] is None:
            raise DataError(f"validation file line {line}: an inference run needs seconds_per_request or hours_per_day")
    elif values["hours"] is None:
        raise DataError(f"validation file line {line}: a {text('kind')} run needs hours")
    if text("measured_scope") == "facility incl. PUE" and values["pue_reported"] is None:
        raise DataError(f"validation file line {line}: a measurement that includes the facility needs pue_reported")
    return Run(
        id=text("id"),
        kind=text("kind"),
        model=text("model"),
        hardware=text("hardware"),
        count=int(count),
        region=text("region") or None,
        measured_scope=text("measured_scope"),
        reference=text("reference"),
        table_or_page=text("table_or_page"),
        year=int(year or 0),
        note=text("note"),
        **values,
    )


def load_runs(path: str | os.PathLike[str] | None = None) -> tuple[Run, ...]:
    """Read and check the validation file (default: the shipped ``data/validation.csv``).

    Raises
    ------
    DataError
        A missing column, an empty required field, an unknown kind or scope,
        or a value that is not a positive number; the message names the line.
    """
    file = Path(path) if path is not None else default_path()
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise DataError(f"validation file {file}: missing columns {', '.join(missing)}")
            runs = tuple(_run(row, line) for line, row in enumerate(reader, start=2))
    except OSError as exc:
        raise DataError(f"cannot read the validation file {file}: {exc.strerror or exc}") from None
    ids = [r.id for r in runs]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise DataError(f"validation file {file}: duplicate ids {', '.join(dupes)}")
    return runs


@dataclass(frozen=True)
class Check:
    """One run against our estimate: energies in kWh for the whole run."""

    run: Run
    estimate_kwh: float
    low_kwh: float
    high_kwh: float

    @property
    def measured_kwh(self) -> float:
        return self.run.measured_total_kwh

    @property
    def ratio(self) -> float:
        """Central estimate / measured (> 1: the estimate is higher)."""
        return self.estimate_kwh / self.measured_kwh

    @property
    def position(self) -> Literal["inside", "below", "above"]:
        """Where the measured figure lies against our range."""
        if self.measured_kwh < self.low_kwh * (1 - TOLERANCE):
            return "below"
        if self.measured_kwh > self.high_kwh * (1 + TOLERANCE):
            return "above"
        return "inside"

    @property
    def inside(self) -> bool:
        return self.position == "inside"

    @property
    def per_request(self) -> bool:
        """True when the source gives energy per request (shown in Wh per request)."""
        return self.run.measured_wh_per_request is not None

    def shown(self, kwh: float) -> float:
        """A total in the unit the source uses: kWh, or Wh per request."""
        return kwh * 1000.0 / (self.run.requests or 1.0) if self.per_request else kwh

    @property
    def unit(self) -> str:
        return "Wh/request" if self.per_request else "kWh"

    def to_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON and CSV, numbers to 6 significant figures (the sources give 2 to 6)."""
        return {
            "id": self.run.id,
            "kind": self.run.kind,
            "model": self.run.model,
            "hardware": self.run.hardware,
            "count": self.run.count,
            "measured_scope": self.run.measured_scope,
            "unit": self.unit,
            "estimate": _round(self.shown(self.estimate_kwh)),
            "low": _round(self.shown(self.low_kwh)),
            "high": _round(self.shown(self.high_kwh)),
            "measured": _round(self.shown(self.measured_kwh)),
            "ratio": _round(self.ratio),
            "inside": self.inside,
            "position": self.position,
            "reference": self.run.reference,
            "table_or_page": self.run.table_or_page,
            "year": self.run.year,
        }


@dataclass(frozen=True)
class Summary:
    """Headline figures for one group of runs (training, or inference)."""

    group: Group
    checks: tuple[Check, ...]

    @property
    def runs(self) -> int:
        return len(self.checks)

    @property
    def inside(self) -> int:
        return sum(c.inside for c in self.checks)

    @property
    def share_inside(self) -> float:
        """Share of measured figures inside our range (nan with no runs)."""
        return self.inside / self.runs if self.runs else math.nan

    @property
    def median_ratio(self) -> float:
        """Median of central estimate / measured."""
        return statistics.median(c.ratio for c in self.checks) if self.checks else math.nan

    @property
    def worst(self) -> Check | None:
        """The run whose ratio is farthest from 1 (either way, on a log scale)."""
        return max(self.checks, key=lambda c: abs(math.log(c.ratio)), default=None)

    def to_dict(self) -> dict[str, Any]:
        worst = self.worst
        return {
            "group": self.group,
            "runs": self.runs,
            "inside": self.inside,
            "share_inside": _round(self.share_inside),
            "median_ratio": _round(self.median_ratio),
            "worst_ratio": _round(worst.ratio) if worst else None,
            "worst_id": worst.run.id if worst else None,
            "outside": [c.run.id for c in self.checks if not c.inside],
        }


@dataclass(frozen=True)
class Validation:
    """Every check, the two summaries, and the draw fractions that produced them."""

    checks: tuple[Check, ...]
    training_low_fraction: float
    inference_low_fraction: float
    source: str = ""
    summaries: dict[str, Summary] = field(default_factory=dict)

    @property
    def training(self) -> Summary:
        return self.summaries["training"]

    @property
    def inference(self) -> Summary:
        return self.summaries["inference"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "training_low_fraction": self.training_low_fraction,
            "inference_low_fraction": self.inference_low_fraction,
            "summary": {name: s.to_dict() for name, s in self.summaries.items()},
            "runs": [c.to_dict() for c in self.checks],
        }


def _training_check(run: Run, low_fraction: float | None, data_files: Any) -> Check:
    from estimator.api import estimate

    includes_pue = run.measured_scope == "facility incl. PUE"
    e = estimate(
        hardware=run.hardware,
        hours=run.hours,
        count=run.count,
        region=None if run.intensity_g_per_kwh is not None else (run.region or "world"),
        intensity=run.intensity_g_per_kwh,
        pue=run.pue_reported if includes_pue else 1.0,
        draw_low_fraction=low_fraction,
        data_files=data_files,
    )
    return Check(run, e.energy_kwh, e.energy_low_kwh, e.energy_high_kwh)


def _inference_check(run: Run, low_fraction: float | None, data_files: Any) -> Check:
    from estimator.inference import estimate_inference

    includes_pue = run.measured_scope == "facility incl. PUE"
    r = estimate_inference(
        hardware=run.hardware,
        region=None if run.intensity_g_per_kwh is not None else (run.region or "world"),
        requests=run.requests,
        seconds_per_request=run.seconds_per_request,
        count=run.count,
        pue=run.pue_reported if includes_pue else 1.0,
        intensity=run.intensity_g_per_kwh,
        draw_low_fraction=low_fraction,
        hours_per_day=run.hours_per_day,
        days=run.days,
        data_files=data_files,
    )
    return Check(run, r.energy_kwh, r.energy_low_kwh, r.energy_high_kwh)


def _fractions() -> tuple[float, float]:
    """The default low-end draw fractions of training and of serving, as the estimator uses them."""
    from estimator.inference import INFERENCE_DRAW_LOW_FRACTION
    from estimator.plan import TYPICAL_TRAINING_DRAW_FRACTION

    return TYPICAL_TRAINING_DRAW_FRACTION, INFERENCE_DRAW_LOW_FRACTION


def validate(
    runs: Iterable[Run] | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    training_low_fraction: float | None = None,
    inference_low_fraction: float | None = None,
    data_files: Any = None,
) -> Validation:
    """Run every measured run through the estimator and compare energies.

    Parameters
    ----------
    runs : iterable of Run, optional
        The runs (default: read from ``path``, default the shipped file).
    training_low_fraction, inference_low_fraction : float, optional
        Low end of the draw range as a fraction of TDP; default: the package's
        own defaults (``estimate()`` and ``estimate_inference()``).
    data_files : optional
        Your own data files, as for ``estimate()``.

    Returns
    -------
    Validation
        Per-run checks and, for training (with fine-tuning) and inference, the
        share of measured figures inside the range and the median and worst
        ratio of central estimate to measured energy.
    """
    for name, value in (
        ("training_low_fraction", training_low_fraction),
        ("inference_low_fraction", inference_low_fraction),
    ):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1):
            raise InputError(f"{name} must be a fraction greater than 0 and at most 1, e.g. 0.3; got {value!r}")
    chosen = tuple(runs) if runs is not None else load_runs(path)
    checks = tuple(
        _inference_check(r, inference_low_fraction, data_files)
        if r.group == "inference"
        else _training_check(r, training_low_fraction, data_files)
        for r in chosen
    )
    default_training, default_inference = _fractions()
    summaries = {g: Summary(g, tuple(c for c in checks if c.run.group == g)) for g in ("training", "inference")}
    return Validation(
        checks=checks,
        training_low_fraction=training_low_fraction if training_low_fraction is not None else default_training,
        inference_low_fraction=inference_low_fraction if inference_low_fraction is not None else default_inference,
        source=str(path) if path is not None else ("given runs" if runs is not None else "data/validation.csv"),
        summaries=summaries,
    )


# ---------------------------------------------------------------- output


def _num(value: float) -> str:
    """Three significant figures, without float noise."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:,.{digits}f}"


def _summary_line(s: Summary) -> str:
    if not s.runs:
        return f"{s.group}: no runs"
    worst = s.worst
    assert worst is not None
    outside = [c.run.id for c in s.checks if not c.inside]
    line = (
        f"{s.group}: measured inside our range for {s.inside} of {s.runs} runs ({s.share_inside:.0%}); "
        f"central / measured: median {_num(s.median_ratio)}x, worst {_num(worst.ratio)}x ({worst.run.id})"
    )
    return line + (f"\n  outside: {', '.join(outside)}" if outside else "")


def text(v: Validation) -> str:
    """A table of the runs and the two summary lines, for a terminal."""
    header = ("id", "kind", "estimate", "range", "measured", "unit", "ratio", "inside")
    rows = [
        (
            c.run.id,
            c.run.kind,
            _num(c.shown(c.estimate_kwh)),
            f"{_num(c.shown(c.low_kwh))}-{_num(c.shown(c.high_kwh))}",
            _num(c.shown(c.measured_kwh)),
            c.unit,
            f"{_num(c.ratio)}x",
            "yes" if c.inside else f"no ({c.position})",
        )
        for c in v.checks
    ]
    cells = [list(header), *[list(r) for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines += [
        "",
        f"energy compared (kWh, or Wh per request); range = low draw ({v.training_low_fraction:g} of TDP for training, "
        f"{v.inference_low_fraction:g} for serving) to TDP (a measured mean such as TPU v4's: its measured minimum to "
        "maximum); PUE 1 unless the measurement includes the facility",
        _summary_line(v.training),
        _summary_line(v.inference),
    ]
    return "\n".join(lines)


def to_csv_rows(v: Validation) -> Sequence[dict[str, Any]]:
    """One flat mapping per run (the JSON fields without the nesting)."""
    return [c.to_dict() for c in v.checks]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def svg(v: Validation, width: int = 760, height: int = 620) -> str:
    """Estimate against measured energy, log-log, our range as a bar: an SVG document (no dependencies).

    x: measured kWh; y: our central estimate (dot) and range (bar), kWh, whole run
    (per response for rows measured per request). On the diagonal the two agree.
    Filled dots: measured inside our range; hollow: outside.
    """
    left, right, top, bottom = 78, 20, 66, 64
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [x for c in v.checks for x in (c.low_kwh, c.high_kwh, c.measured_kwh, c.estimate_kwh) if x > 0]
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))

    def px(kwh: float) -> float:
        return left + (math.log10(kwh) - lo) / (hi - lo) * plot_w

    def py(kwh: float) -> float:
        return top + plot_h - (math.log10(kwh) - lo) / (hi - lo) * plot_h

    colours = {"training": "#1f77b4", "inference": "#d62728"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        "co2-estimator against measured energy (data/validation.csv)</text>",
        f'<text x="{left}" y="38" fill="#555">bar: our range (low draw to TDP); dot: central (TDP); '
        "filled: measured inside it; dashed: estimate = measured</text>",
        f'<text x="{left}" y="54" fill="#555">low end of the draw: {v.training_low_fraction:g} of TDP for training, '
        f"{v.inference_low_fraction:g} for serving; ML.ENERGY rows are per response</text>",
    ]
    for decade in range(lo, hi + 1):
        x, y = px(10.0**decade), py(10.0**decade)
        label = f"1e{decade}"
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="#eee"/>')
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    out += [
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>',
        f'<line x1="{px(10.0**lo):.1f}" y1="{py(10.0**lo):.1f}" x2="{px(10.0**hi):.1f}" y2="{py(10.0**hi):.1f}" '
        'stroke="#999" stroke-dasharray="4 3"/>',
        f'<text x="{left + plot_w / 2}" y="{height - 28}" text-anchor="middle">measured energy, kWh (log)</text>',
        f'<text x="18" y="{top + plot_h / 2}" text-anchor="middle" transform="rotate(-90 18 {top + plot_h / 2})">'
        "our estimate, kWh (log)</text>",
    ]
    for c in v.checks:
        colour = colours[c.run.group]
        x = px(c.measured_kwh)
        fill = colour if c.inside else "white"
        title = (
            f"{c.run.id}: measured {_num(c.shown(c.measured_kwh))} {c.unit}, estimate {_num(c.shown(c.estimate_kwh))} "
            f"({_num(c.shown(c.low_kwh))}-{_num(c.shown(c.high_kwh))}), ratio {_num(c.ratio)}x"
        )
        out.append(f"<g><title>{_esc(title)}</title>")
        out.append(
            f'<line x1="{x:.1f}" y1="{py(c.low_kwh):.1f}" x2="{x:.1f}" y2="{py(c.high_kwh):.1f}" '
            f'stroke="{colour}" stroke-width="3" stroke-opacity="0.45"/>'
        )
        out.append(
            f'<circle cx="{x:.1f}" cy="{py(c.estimate_kwh):.1f}" r="4" fill="{fill}" stroke="{colour}" '
            'stroke-width="1.5"/></g>'
        )
    legend_y = height - 10
    for i, (group, colour) in enumerate(colours.items()):
        s = v.summaries[group]
        x = left + i * 330
        label = f"{group}: {s.inside} of {s.runs} inside, median ratio {_num(s.median_ratio)}x"
        out.append(f'<circle cx="{x + 5}" cy="{legend_y - 4}" r="4" fill="{colour}"/>')
        out.append(f'<text x="{x + 14}" y="{legend_y}">{_esc(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
