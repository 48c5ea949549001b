"""The cluster report: one self-contained HTML file people read, from :func:`estimator.slurm.estimate_jobs`.

Charts are Vega-Lite specs built with Altair and rendered to inline SVG by
vl-convert (its own bundled Vega, no browser, no network): the file holds no
script and asks for nothing when opened. Text that came from the sacct file
(users, accounts, partitions, job ids, messages) is escaped; inside the SVG,
Vega writes it as escaped text nodes.

Sections: headline totals with the range, emissions by month, top users and
accounts, by partition, device-hours, what a cleaner region or year would
have changed, the uncertainty, the method and every source, lines that could
not be read.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import fileio
from estimator.api import DataFiles, estimate
from estimator.core import MEMORY_W_PER_GB
from estimator.errors import EstimatorError, InputError
from estimator.report import energy, num
from estimator.report import mass as _mass
from estimator.slurm import (
    SUMMARY_COLUMNS,
    Cluster,
    ClusterTotals,
    _estimate_many,
    _estimate_runs,
    _job_runs,
    summarize,
    totals,
)
from estimator.version import __version__

TOP = 15
GREEN = "#2f7d4f"
PALETTE = ["#2f7d4f", "#4c78a8", "#f58518", "#b279a2", "#e45756", "#72b7b2", "#eeca3b", "#9d755d", "#bab0ac"]
CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2521;margin:0;background:#f6f7f5}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px;border-bottom:2px solid #e3e8e4;padding-bottom:4px}
.sub{color:#5b665f;margin:0 0 18px}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.card{flex:1 1 170px;border:1px solid #dfe5e0;border-radius:8px;padding:10px 14px;background:#fbfcfb}
.card b{display:block;font-size:22px;color:#1f5c39}.card span{color:#5b665f;font-size:13px}
table{border-collapse:collapse;width:100%;margin:8px 0 4px;font-size:13.5px}
th,td{text-align:right;padding:4px 8px;border-bottom:1px solid #e8ece9}th{background:#f1f4f2}
td:first-child,th:first-child{text-align:left}tr.total td{font-weight:600;border-top:2px solid #cfd8d2}
.chart svg{max-width:100%;height:auto}.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
.note{color:#5b665f;font-size:13px}code{background:#f1f4f2;padding:1px 4px;border-radius:3px}
ul.src li{margin:2px 0;font-size:13.5px}@media(max-width:800px){.grid{grid-template-columns:1fr}}
"""


def _alt() -> Any:
    import altair

    return altair


# ---------------------------------------------------------------- charts


def chart_by_month(estimated: pd.DataFrame) -> Any:
    """kg CO2e per month (start month), stacked by partition, with the month's range as a rule."""
    alt = _alt()
    ok = estimated[estimated["error"].isna() & estimated["month"].notna()]
    data = (
        ok.assign(co2e_kg=ok["co2e_g"] / 1000.0, partition=ok["partition"].fillna("(none)"))
        .groupby(["month", "partition"], as_index=False)["co2e_kg"]
        .sum()
    )
    rng = (
        ok.assign(low=ok["co2e_low_g"] / 1000.0, high=ok["co2e_high_g"] / 1000.0)
        .groupby("month", as_index=False)[["low", "high"]]
        .sum(min_count=1)
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="month (job start)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("co2e_kg:Q", title="kg CO2e", stack="zero"),
            color=alt.Color("partition:N", scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
            tooltip=["month:O", "partition:N", alt.Tooltip("co2e_kg:Q", format=",.3f")],
        )
    )
    layers = [bars]
    if rng["high"].notna().any():
        layers.append(
            alt.Chart(rng.dropna())
            .mark_errorbar(color="#1d2521", ticks=True)
            .encode(x="month:O", y=alt.Y("low:Q", title="kg CO2e"), y2="high:Q")
        )
    return alt.layer(*layers).properties(width=900, height=280, title="Emissions by month, with the range")


def chart_top(estimated: pd.DataFrame, by: str, n: int = TOP) -> Any:
    """Horizontal bars: the ``n`` largest emitters by ``by`` (user or account), kg CO2e."""
    alt = _alt()
    table = summarize(estimated, by)
    table = table.iloc[:-1].head(n)  # summarize's last row is the total (a user may be called 'total')
    return (
        alt.Chart(table)
        .mark_bar(color=GREEN)
        .encode(
            x=alt.X("co2e_kg:Q", title="kg CO2e"),
            y=alt.Y(f"{by}:N", sort="-x", title=None),
            tooltip=[
                f"{by}:N",
                alt.Tooltip("co2e_kg:Q", format=",.3f"),
                "jobs:Q",
                alt.Tooltip("gpu_hours:Q", format=",.1f"),
            ],
        )
        .properties(width=400, height=max(60, 18 * len(table)), title=f"Top {len(table)} {by}s by emissions")
    )


def chart_partitions(estimated: pd.DataFrame) -> Any:
    """kg CO2e and energy per partition."""
    alt = _alt()
    table = summarize(estimated, "partition")
    table = table.iloc[:-1]  # the groups, without the total row (summarize's last)
    return (
        alt.Chart(table)
        .mark_bar()
        .encode(
            x=alt.X("co2e_kg:Q", title="kg CO2e"),
            y=alt.Y("partition:N", sort="-x", title=None),
            color=alt.Color("partition:N", scale=alt.Scale(range=PALETTE), legend=None),
            tooltip=[
                "partition:N",
                alt.Tooltip("co2e_kg:Q", format=",.3f"),
                alt.Tooltip("energy_kwh:Q", format=",.1f"),
            ],
        )
        .properties(width=400, height=max(60, 24 * len(table)), title="By partition")
    )


def chart_device_hours(estimated: pd.DataFrame) -> Any:
    """GPU-hours and Slurm CPU-hours (hardware threads where a node has several a core) per month, side by side."""
    alt = _alt()
    table = summarize(estimated, "month")
    table = table.iloc[:-1]  # the months, without the total row (summarize's last)
    long = table.melt(
        id_vars=["month"], value_vars=["gpu_hours", "cpu_core_hours"], var_name="kind", value_name="hours"
    )
    long["kind"] = long["kind"].map({"gpu_hours": "GPU-hours", "cpu_core_hours": "Slurm CPU-hours"})
    return (
        alt.Chart(long)
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("month:O", title=None, axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("hours:Q", title="device-hours"),
            column=alt.Column("kind:N", title=None),
            tooltip=["month:O", "kind:N", alt.Tooltip("hours:Q", format=",.1f")],
        )
        .properties(width=400, height=200)
        .resolve_scale(y="independent")
    )


def charts(estimated: pd.DataFrame) -> dict[str, Any]:
    """Every chart of the report as an Altair chart, keyed by section (the web page shows the same)."""
    return {
        "month": chart_by_month(estimated),
        "users": chart_top(estimated, "user"),
        "accounts": chart_top(estimated, "account"),
        "partitions": chart_partitions(estimated),
        "device_hours": chart_device_hours(estimated),
    }


def svg(chart: Any) -> str:
    """The chart as SVG text, rendered offline by vl-convert."""
    try:
        import vl_convert
    except ImportError:  # pragma: no cover - a dependency
        raise InputError("the report's charts need vl-convert-python: pip install vl-convert-python") from None
    text: str = vl_convert.vegalite_to_svg(chart.to_dict())
    return text


# ---------------------------------------------------------------- what-ifs and sources


def _grouped_runs(estimated: pd.DataFrame, cluster: Cluster) -> tuple[pd.DataFrame, npt.NDArray[Any]]:
    """The estimate_many input of the estimated jobs, and each run's start when it may cross New Year (else NaT).

    Equal runs within one year are merged (hours summed: energy is linear in
    hours); a job across New Year is kept as it is, with its start, for
    :func:`estimator.slurm._estimate_runs` to split by year as ``estimate_jobs`` does.
    """
    ok = estimated[estimated["error"].isna()].reset_index(drop=True)
    built = _job_runs(ok, cluster)
    runs, start = built.runs, built.start
    if runs.empty:
        return runs, start
    across = ~np.isnat(start)
    keys = [c for c in runs.columns if c != "hours"]
    grouped = runs[~across].groupby(keys, dropna=False, as_index=False, sort=False)[["hours"]].sum()
    merged = pd.concat([grouped, runs[across]], ignore_index=True)[list(runs.columns)]
    starts = np.concatenate([np.full(len(grouped), np.datetime64("NaT"), dtype="datetime64[s]"), start[across]])
    return merged, starts


def _years(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The intensity years in ``frame`` (none when its estimate_many gives no ``intensity_year``)."""
    if "intensity_year" not in frame.columns:
        return np.empty(0)
    values = pd.to_numeric(frame["intensity_year"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
    kept: npt.NDArray[np.float64] = values[~np.isnan(values)]
    return kept


def what_if(estimated: pd.DataFrame, cluster: Cluster, *, n: int = 3, data_files: DataFiles = None) -> pd.DataFrame:
    """The same jobs elsewhere and at another year's intensity: kg CO2e and the change against the actual.

    Parameters
    ----------
    estimated : pandas.DataFrame
        What :func:`estimator.slurm.estimate_jobs` returns.
    cluster : Cluster
    n : int, default 3
        How many cleaner cloud regions (one per grid zone).
    data_files : path or list of paths, optional

    Returns
    -------
    pandas.DataFrame
        ``scenario``, ``co2e_kg`` [kgCO2e], ``change_pct`` [%]: the cluster as
        it is; the ``n`` cleanest cloud regions of distinct grid zones
        (:func:`estimator.cleanest_regions`) and the world average, at the
        site's PUE when it is given (else each place's default); the site's
        latest intensity year when jobs ran in an older one. The jobs go
        through ``estimate_many`` again, equal ones merged (energy is linear
        in hours); elsewhere, a job across New Year is split by year as
        :func:`estimator.slurm.estimate_jobs` splits it.
    """
    from estimator.lookup import cleanest_regions

    runs, start = _grouped_runs(estimated, cluster)
    actual_g = float(np.nansum(estimated["co2e_g"].to_numpy(dtype=np.float64, na_value=np.nan)))
    rows: list[dict[str, Any]] = [{"scenario": f"as run: {cluster.region}", "co2e_kg": actual_g / 1000.0}]
    if runs.empty:
        return pd.DataFrame(rows).assign(change_pct=0.0)
    # The cleanest cloud regions, one per grid zone (regions of one zone share its intensity).
    places: list[tuple[str, str]] = []
    zones: set[str] = set()
    for cloud, choice in cleanest_regions(n=max(50, 10 * n), data_files=data_files):
        if choice.zone not in zones and len(places) < n:
            zones.add(choice.zone)
            places.append((cloud.id, f"in {cloud.id} (grid {choice.zone})"))
    if cluster.region != "world":
        places.append(("world", "at the world average"))
    for region, label in places:
        out = _estimate_runs(runs.assign(region=region), start, data_files)
        rows.append({"scenario": label, "co2e_kg": float(np.nansum(out["co2e_g"].to_numpy())) / 1000.0})
    years = _years(estimated)
    if years.size:
        out = _estimate_many(runs.assign(year=np.nan), data_files)
        latest = _years(out)
        if latest.size and latest.max() != years.max():
            label = f"{cluster.region} at its {int(latest.max())} intensity"
            rows.append({"scenario": label, "co2e_kg": float(np.nansum(out["co2e_g"].to_numpy())) / 1000.0})
    frame = pd.DataFrame(rows)
    base = actual_g / 1000.0
    frame["change_pct"] = (frame["co2e_kg"] / base - 1.0) * 100.0 if base else 0.0
    return frame


def sources(estimated: pd.DataFrame, cluster: Cluster, *, data_files: DataFiles = None) -> list[str]:
    """The figures behind the numbers: each device's power, the intensity, the PUE, the range, embodied."""
    lines: list[str] = []
    seen: set[str] = set()
    kinds = [*cluster.partitions, *(t for _, t in cluster.nodes)]
    years: list[int | None] = [int(y) for y in _years(estimated)] or [None]  # the intensity years the jobs used
    draw: dict[str, Any] = {}
    if cluster.draw_fraction is not None:  # as estimate_jobs applies it: GPUs and CPUs alike
        draw = {"utilization": cluster.draw_fraction, "cpu_utilization": cluster.draw_fraction}
    for kind in kinds:
        for year in years:
            kwargs: dict[str, Any] = {"hours": 1.0, "region": cluster.region, "pue": cluster.pue, "year": year}
            if kind.accelerator:
                kwargs["hardware"] = kind.accelerator
            if kind.cpu:
                kwargs.update(cpu=kind.cpu, cpu_cores=1)
            try:
                e = estimate(**kwargs, **draw, data_files=data_files)
            except EstimatorError:  # pragma: no cover - the cluster description was checked
                continue
            texts = (*e.provenance["power"], e.intensity_source, e.pue_source, *e.range_basis, *e.embodied_basis)
            for text in texts:
                if text not in seen:
                    seen.add(text)
                    lines.append(text)
    return lines


# ---------------------------------------------------------------- HTML


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _cell(value: Any, column: str) -> str:
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        if column.endswith("_pct"):
            return f"{value:+.1f} %"
        return _e(num(float(value)))
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return _e(value)


def _table(frame: pd.DataFrame, columns: Sequence[str], headers: Sequence[str], total_last: bool = False) -> str:
    """An HTML table of ``frame``'s ``columns``; ``total_last``: its last row is the total (styled so).

    The total is found by place, not by name: a user or account may be called 'total'.
    """
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body: list[str] = []
    for row in frame[list(columns)].itertuples(index=False):
        values = list(row)
        css = ' class="total"' if total_last and len(body) == len(frame) - 1 else ""
        body.append(
            f"<tr{css}>" + "".join(f"<td>{_cell(v, c)}</td>" for v, c in zip(values, columns, strict=True)) + "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


SUMMARY_HEAD = ("jobs", "errors", "GPU-hours", "Slurm CPU-hours", "kWh", "kg CO2e", "low", "high", "embodied kg")
SUMMARY_COLS = SUMMARY_COLUMNS  # the summary's columns, in the order of SUMMARY_HEAD


def _summary_table(estimated: pd.DataFrame, by: str, top: int | None = None) -> str:
    table = summarize(estimated, by)
    if top is not None and len(table) > top + 1:
        table = pd.concat([table.head(top), table.tail(1)])
    return _table(table, (by, *SUMMARY_COLS), (by, *SUMMARY_HEAD), total_last=True)


def mass(co2e_g: float) -> str:
    """As :func:`estimator.report.mass`; "n/a" when nothing was estimated."""
    return "n/a" if math.isnan(co2e_g) else _mass(co2e_g)


def _num(value: float) -> str:
    return "n/a" if math.isnan(value) else num(value)


def _card(value: str, label: str) -> str:
    return f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'


def range_text(t: ClusterTotals) -> str:
    if math.isnan(t.co2e_low_g) or math.isnan(t.co2e_high_g):
        return "not available"
    return f"{mass(t.co2e_low_g)} to {mass(t.co2e_high_g)}"


def _period(estimated: pd.DataFrame) -> str:
    """First start to last end of the jobs, as dates ("no finished jobs" when none started)."""
    starts = pd.to_datetime(estimated["start"], errors="coerce")
    ends = pd.to_datetime(estimated["end"], errors="coerce")
    return f"{starts.min():%Y-%m-%d} to {ends.max():%Y-%m-%d}" if starts.notna().any() else "no finished jobs"


def _year_text(estimated: pd.DataFrame) -> str:
    """The sentence naming the intensity years used ("" when none)."""
    shown_years = sorted({int(y) for y in _years(estimated)})
    if not shown_years:
        return ""
    return (
        f" Intensity of year{'s' if len(shown_years) > 1 else ''} {', '.join(map(str, shown_years))} "
        "(each job's start year where the data has it; a job running across New Year takes each "
        "year's figure for its hours in that year)."
    )


def _head(name: str, estimated: pd.DataFrame, cluster: Cluster) -> list[str]:
    """The document's head (the policy forbidding any request), the title and the line under it."""
    data_version = estimated.attrs.get("data_version", "")
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # No request of any kind: a policy the browser enforces, on top of a file that holds no link.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">',
        f"<title>{_e(name)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{_e(name)}</h1>",
        f'<p class="sub">Jobs finished {_e(_period(estimated))} · site {_e(cluster.region)}'
        f"{' · PUE ' + _e(num(cluster.pue)) if cluster.pue else ''} · co2-estimator {_e(__version__)}"
        f"{' · data ' + _e(data_version) if data_version else ''} · "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC</p>",
    ]


def _headline(t: ClusterTotals) -> list[str]:
    """The cards (CO2e with its range, kWh, GPU- and Slurm CPU-hours, jobs, embodied) and what was left out."""
    return [
        '<div class="cards">',
        _card(mass(t.co2e_g), f"CO2e, location-based (range {range_text(t)})"),
        _card("n/a" if math.isnan(t.energy_kwh) else energy(t.energy_kwh), "energy, with the PUE"),
        _card(_num(t.gpu_hours), "GPU-hours"),
        _card(_num(t.cpu_core_hours), "Slurm CPU-hours"),
        _card(f"{t.estimated:,}", f"jobs estimated ({t.zero_length:,} of zero length)"),
        _card(mass(t.embodied_g), "embodied (manufacturing), beside"),
        "</div>",
        f'<p class="note">Left out: {t.running:,} jobs still running and {t.pending:,} pending '
        f"(End = Unknown), {t.never_started:,} cancelled before they started. "
        f"{t.steps:,} job steps were folded into their allocations. "
        f"{t.errors:,} lines could not be estimated{' (listed at the end)' if t.errors else ''}"
        f"{f'; {t.duplicates:,} repeated lines counted once' if t.duplicates else ''}.</p>",
    ]


def _chart_sections(estimated: pd.DataFrame) -> list[str]:
    """By month, top users and accounts, by partition, device-hours: each chart (SVG) with its table."""
    charts_svg = {k: svg(c) for k, c in charts(estimated).items()}
    return [
        "<h2>Emissions by month</h2>",
        f'<div class="chart">{charts_svg["month"]}</div>',
        _summary_table(estimated, "month"),
        "<h2>Top users and accounts</h2>",
        f'<div class="grid"><div class="chart">{charts_svg["users"]}</div>'
        f'<div class="chart">{charts_svg["accounts"]}</div></div>',
        _summary_table(estimated, "user", top=TOP),
        _summary_table(estimated, "account", top=TOP),
        "<h2>By partition</h2>",
        f'<div class="chart">{charts_svg["partitions"]}</div>',
        _summary_table(estimated, "partition"),
        "<h2>Device-hours</h2>",
        f'<div class="chart">{charts_svg["device_hours"]}</div>',
    ]


def _what_if_section(scenarios: pd.DataFrame, cluster: Cluster) -> list[str]:
    """The same jobs on a cleaner grid or year: a table of kg CO2e and the change [%]."""
    return [
        "<h2>What a cleaner region or year would have changed</h2>",
        '<p class="note">The same jobs (same devices, hours and memory'
        f"{', the same PUE' if cluster.pue else ', each place with its own default PUE'}) on another grid. "
        "Moving work is not free of its own costs; this says how much of the footprint is the grid's.</p>",
        _table(scenarios, ("scenario", "co2e_kg", "change_pct"), ("scenario", "kg CO2e", "change")),
    ]


def _method_sections(t: ClusterTotals, year_text: str, src: list[str], draw_fraction: float | None) -> list[str]:
    """The uncertainty (the range and what makes it), the method (the formula, in kWh and gCO2e) and the sources.

    ``draw_fraction``: the site's measured fraction of TDP drawn (the cluster description's), applied to GPUs
    and CPUs: in the formula, and the range is then the intensity's only.
    """
    if draw_fraction is None:
        draw_range = (
            "The low end takes devices drawing below their TDP as measured in training, and the lowest "
            "intensity among the sources for the site; the high end, TDP draw and the highest intensity. TDP is "
            "an upper bound of draw: jobs that leave GPUs idle draw less."
        )
        drawn = ""
    else:
        draw_range = (
            f"The devices draw {draw_fraction:g} of their TDP, the site's own figure (the cluster description's "
            "draw_fraction), so the range is the intensity's: the lowest and the highest among the sources for "
            "the site."
        )
        drawn = f" × {draw_fraction:g} (the site's draw_fraction)"
    return [
        "<h2>The uncertainty</h2>",
        f"<p>The total is {_e(mass(t.co2e_g))}; the range is {_e(range_text(t))}. {_e(draw_range)} Jobs are "
        "counted from their allocation (the devices they held), not their use.</p>",
        "<h2>Method and sources</h2>",
        f"<p>For each job: energy_kwh = ((GPUs × GPU TDP + cores × CPU TDP / cores per package){_e(drawn)} + "
        f"memory GB × {MEMORY_W_PER_GB:g} W/GB) × hours × PUE / 1000; co2e_g = energy_kwh × the site's "
        "location-based intensity "
        f"(gCO2e/kWh).{_e(year_text)} Hours are sacct's elapsed time; GPUs, CPUs and memory are the "
        "allocation's (AllocTRES, NCPUS); job steps run inside their allocation and are not counted again. "
        "Embodied emissions (manufacturing, amortised over the hardware's life) are shown beside, "
        "not added. Each job equals co2-estimator's estimate() for its allocation.</p>",
        '<ul class="src">' + "".join(f"<li>{_e(s)}</li>" for s in src) + "</ul>",
    ]


def _errors_section(estimated: pd.DataFrame, t: ClusterTotals) -> list[str]:
    """The first 50 jobs that could not be estimated, with why (nothing when there is none)."""
    bad = estimated[estimated["error"].notna()]
    bad_rows = "".join(
        f"<tr><td>{_e(j)}</td><td style='text-align:left'>{_e(m)}</td></tr>"
        for j, m in zip(bad["job_id"].head(50), bad["error"].head(50), strict=True)
    )
    if not bad_rows:
        return []
    return [
        "<h2>Lines that could not be estimated</h2>",
        f'<p class="note">{t.errors:,} in all; the first {min(50, t.errors)} below.</p>',
        f"<table><thead><tr><th>job</th><th style='text-align:left'>why</th></tr></thead>"
        f"<tbody>{bad_rows}</tbody></table>",
    ]


def report_html(
    estimated: pd.DataFrame, cluster: Cluster, *, data_files: DataFiles = None, title: str | None = None
) -> str:
    """The report as one HTML document: inline CSS and SVG; no script, no link, no request.

    Parameters
    ----------
    estimated : pandas.DataFrame
        What :func:`estimator.slurm.estimate_jobs` returns.
    cluster : Cluster
        The cluster description the jobs were estimated with.
    data_files : path or list of paths, optional
        Your own devices or regions (for the what-ifs and the sources).
    title : str, optional
        Default "Carbon footprint of <cluster name>".

    Returns
    -------
    str
        The page. Text from the accounting is escaped; a Content-Security-Policy
        forbids any request.
    """
    t = totals(estimated)
    name = title or f"Carbon footprint of {cluster.name or 'the cluster'}"
    charts_part = _chart_sections(estimated)
    scenarios = what_if(estimated, cluster, data_files=data_files)
    src = sources(estimated, cluster, data_files=data_files)
    parts = [
        *_head(name, estimated, cluster),
        *_headline(t),
        *charts_part,
        *_what_if_section(scenarios, cluster),
        *_method_sections(t, _year_text(estimated), src, cluster.draw_fraction),
        *_errors_section(estimated, t),
        "</main></body></html>",
    ]
    return "\n".join(parts)


def write_report(
    estimated: pd.DataFrame,
    cluster: Cluster,
    path: str | os.PathLike[str],
    *,
    data_files: DataFiles = None,
    title: str | None = None,
) -> Path:
    """Write :func:`report_html` to ``path`` (a temporary file moved into place when complete).

    Raises
    ------
    InputError
        A name not ending in .html, a missing folder, a failed write.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"the report {target} must end in .html; got {target.suffix or 'no suffix'!r}")
    fileio.write_atomic(target, report_html(estimated, cluster, data_files=data_files, title=title))
    return target


__all__ = ["chart_by_month", "charts", "report_html", "sources", "svg", "what_if", "write_report"]
