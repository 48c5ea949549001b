"""The number: emissions and energy with the range, the arithmetic, the notes; then the
breakdown by component, the equivalents and every source."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import plain
from estimator import Estimate, report

FIT = "content"  # a metric as wide as its value: never cut off, the row wraps instead


def metric_row() -> Any:
    """Metrics side by side, each as wide as its value; on a narrow page they wrap, never truncate."""
    return st.container(horizontal=True, gap="small")


def headline(e: Estimate, typed_hours: float | None = None) -> None:
    """Emissions (with the range), energy, intensity and PUE, and the formula with its numbers; ``typed_hours``:
    the hours of one run as the person typed them (noted when they look like seconds)."""
    row = metric_row()
    row.metric("Emissions", report.mass(e.co2e_g), help="Operational: location-based, central estimate.", width=FIT)
    embodied_metric(row, e)
    row.metric("Energy", report.energy(e.energy_kwh), help="Including the facility overhead (PUE).", width=FIT)
    intensity = f"{report.num(e.intensity_g_per_kwh)} g/kWh"
    row.metric(intensity_label(e), intensity, help=e.intensity_source, width=FIT)
    row.metric("PUE", f"{e.pue:.2f}", help=f"{e.pue_basis}: {e.pue_source}", width=FIT)
    spread = report.mass_range(e)
    if spread:
        st.markdown(f"**Range: {spread}**")
        st.caption("; ".join(e.range_basis))
    else:
        st.caption("No range: the draw is fixed and the intensity has a single source.")
    st.code(report.arithmetic(e), language=None, wrap_lines=True)
    _market_note(e)
    embodied_note(e)
    for warning in [*e.warnings, *report.long_run_notes(typed_hours)]:
        plain.info(warning)  # may echo a name as the person typed it


def intensity_label(e: Estimate) -> str:
    """'Grid intensity (2025)', 'Grid intensity (2021, marginal)': the year and, when not life-cycle, the basis."""
    said = [str(e.intensity_year)] if e.intensity_year is not None else []
    if e.intensity_basis not in ("lifecycle", "user"):
        said.append(e.intensity_basis)
    return f"Grid intensity ({', '.join(said)})" if said else "Grid intensity"


EMBODIED_LABEL = "Embodied (manufacturing)"
NOT_INCLUDED = "shown beside, **not included** in the emissions above or in the model card's `emissions`"


def has_embodied(e: Estimate) -> bool:
    """False when the data has no embodied figure for the hardware (``embodied_g`` is NaN)."""
    return not math.isnan(e.embodied_g)


def embodied_metric(where: Any, e: Estimate) -> None:
    """The embodied figure as a metric, beside the operational one; 'no figure' when there is none."""
    if has_embodied(e):
        where.metric(
            EMBODIED_LABEL,
            report.mass(e.embodied_g),
            help=f"Manufacturing the hardware, amortised over its life; up to {report.mass(e.embodied_high_g)} "
            "over a shorter life. Not included in the operational figure or the model card.",
            width=FIT,
        )
    else:
        where.metric(EMBODIED_LABEL, "no figure", help="No embodied figure for this hardware in the data.", width=FIT)


def embodied_text(e: Estimate) -> str:
    """One sentence: the embodied figure and its range, or that there is none; never added."""
    if not has_embodied(e):
        return (
            "**Embodied (manufacturing): no figure** for this hardware in the data, so it is left out "
            "(the emissions above are operational only)."
        )
    return (
        f"**Embodied (manufacturing): {report.mass(e.embodied_g)}**, up to {report.mass(e.embodied_high_g)} "
        f"over a shorter hardware life; {NOT_INCLUDED}."
    )


def embodied_note(e: Estimate) -> None:
    """The embodied sentence, and its basis with the sources in an expander."""
    st.markdown(embodied_text(e))
    with st.expander("Embodied emissions: basis and sources"):
        st.markdown(embodied_basis(e))


def embodied_basis(e: Estimate) -> str:
    return "\n".join(f"- {basis}" for basis in e.embodied_basis) or "- no basis given"


def _market_note(e: Estimate) -> None:
    region = e.region or {}
    if region.get("cfe_pct") is None:
        return
    st.caption(
        f"Market-based, shown beside and **not subtracted**: {region.get('provider_name') or 'the provider'} "
        f"reports {report.num(region['cfe_pct'])} % carbon-free energy for {region['id']} "
        f"({region['cfe_year']}; {region['cfe_source']}). The estimate above counts the grid's "
        "location-based intensity."
    )


def breakdown_rows(e: Estimate) -> list[dict[str, Any]]:
    """One row per component (and the facility overhead), with the values as shown."""
    return [
        {
            "component": c.label,
            "gCO2e": c.co2e_g,
            "emissions": report.mass(c.co2e_g),
            "draw": f"{report.num(c.draw_w)} W",
            "energy": report.energy(c.energy_kwh),
        }
        for c in e.breakdown
    ]


BAR_STEP = 30  # px per bar


def bar_spec(
    rows: list[dict[str, Any]], y: str, x_title: str, tooltip: list[str], color: dict[str, Any]
) -> dict[str, Any]:
    """A horizontal bar chart as a plain Vega-Lite spec (drawn by Streamlit's bundled Vega: offline)."""
    return {
        "data": {"values": rows},
        "mark": {"type": "bar", "tooltip": False},
        "height": {"step": BAR_STEP},
        "encoding": {
            "x": {
                "field": "gCO2e",
                "type": "quantitative",
                "title": x_title,
                # One bar per row, and the axis given rather than computed: Vega computes extents once
                # before Streamlit hands it the rows, and warns "Infinite extent" (issue 16, item 18).
                "stack": None,
                "scale": {"domain": [0, max((r["gCO2e"] for r in rows), default=0.0) or 1.0]},
            },
            "y": {"field": y, "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 360}},
            "color": color,
            "tooltip": [{"field": t, "type": "nominal"} for t in tooltip],
        },
    }


def breakdown(e: Estimate) -> None:
    """A bar per component, and the table with draw, energy and emissions."""
    rows = breakdown_rows(e)
    color = {"field": "component", "type": "nominal", "legend": None}
    spec = bar_spec(rows, "component", "gCO2e", ["component", "draw", "energy", "emissions"], color)
    st.vega_lite_chart(spec, width="stretch")
    st.dataframe(pd.DataFrame(rows).drop(columns="gCO2e"), hide_index=True, width="stretch")


def equivalents(e: Estimate) -> None:
    st.markdown("**About as much as**")
    found = report.equivalents(e.co2e_g)
    st.markdown("\n".join(f"- {q}" for q in found))
    with st.expander("Sources of the equivalents"):
        st.markdown("\n".join(f"- {q.unit}: {q.source}" for q in found))


def source_lines(e: Estimate) -> list[str]:
    """Every source behind ``e``, each once, in the order first met (two devices of one datasheet: one line)."""
    lines = [f"power: {c.power_source}" for c in e.components]
    lines.append(f"intensity: {e.intensity_source}")
    lines.append(f"PUE ({e.pue_basis}): {e.pue_source}")
    lines += [f"embodied (not included): {basis}" for basis in e.embodied_basis]
    lines.append(f"data {e.data_version}, co2-estimator {e.package_version}")
    return list(dict.fromkeys(lines))


def sources(e: Estimate) -> None:
    st.markdown("**Sources**")
    st.markdown("\n".join(f"- {line}" for line in source_lines(e)))


Series = tuple[tuple[int, float, str], ...]  # (year, gCO2e/kWh, dataset), oldest first


@st.cache_resource(max_entries=256)
def intensity_chart(series: Series, year: int | None) -> dict[str, Any]:
    """The place's intensity over the years, made with Altair: a line, a point per year, the year used in red.

    Built once per (series, year) and kept as its Vega-Lite spec: Altair's checks of a chart take longer
    than the rest of a rerun. Both axes' domains are given: Vega computes them once before the rows
    arrive and would warn "Infinite extent" (issue 16, item 18).
    """
    import altair as alt

    rows: list[dict[str, Any]] = [
        {"year": y, "gCO2e/kWh": value, "dataset": dataset, "used": "the year used" if y == year else "other years"}
        for y, value, dataset in series
    ]
    years = [r["year"] for r in rows]
    top = max(r["gCO2e/kWh"] for r in rows) * 1.15 or 1.0
    x = alt.X("year:O", title=None, scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0))
    y = alt.Y("gCO2e/kWh:Q", title="gCO2e/kWh", scale=alt.Scale(domain=[0, top], nice=False))
    base = alt.Chart(pd.DataFrame(rows)).encode(x=x, y=y)
    color = alt.Color(
        "used:N",
        scale=alt.Scale(domain=["the year used", "other years"], range=["#d62728", "#1f77b4"]),
        legend=None,
    )
    points = base.mark_point(filled=True, size=80).encode(color=color, tooltip=["year:O", "gCO2e/kWh:Q", "dataset:N"])
    spec: dict[str, Any] = (base.mark_line(color="#1f77b4") + points).properties(height=170).to_dict()
    return spec


SERIES_BASIS = {
    "lifecycle": "life-cycle yearly average (location-based)",
    "marginal": "marginal (UNFCCC operating margin: what one more kWh emits)",
}


def intensity_over_years(e: Estimate, series: list[dict[str, Any]]) -> None:
    """A small chart of the chosen place's intensity over the years, on the estimate's basis."""
    region = e.region or {}
    if e.intensity_basis == "user" or not series:
        return
    zone = region.get("zone") or region.get("id", "")
    basis = SERIES_BASIS.get(str(series[0]["basis"]), str(series[0]["basis"]))
    st.markdown(f"**Grid intensity over the years**: {zone}, {basis}")
    rows = tuple((int(r["year"]), float(r["intensity_g_per_kwh"]), str(r["dataset"])) for r in series)
    st.vega_lite_chart(intensity_chart(rows, e.intensity_year), width="stretch")
    datasets = ", ".join(dict.fromkeys(str(r["dataset"]) for r in series))
    st.caption(f"Data: {datasets} (sources below). Used: {e.intensity_year}, in red.")


def details(e: Estimate, notes: list[str], series: list[dict[str, Any]] | None = None) -> None:
    """The 'Breakdown & sources' tab."""
    for note in notes:
        st.caption(note)
    breakdown(e)
    intensity_over_years(e, series or [])
    left, right = st.columns(2)
    with left:
        equivalents(e)
    with right:
        sources(e)
