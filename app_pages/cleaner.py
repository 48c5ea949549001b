"""Cleaner alternatives: the same job in the provider's cleaner regions and the cleanest
cloud regions overall, as a sorted bar chart with the chosen region highlighted."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

import estimator
from app_pages import plain
from app_pages.result import bar_spec
from estimator import Alternative, Estimate, report

N_PROVIDER = 8
N_ALL = 5
YOURS = "your choice"
SAME = "same provider"
OTHER = "other provider"
REGION_COLUMN_PX = 330


def options(e: Estimate) -> tuple[list[Alternative], list[Alternative]]:
    """(cleaner regions of the same provider, cleanest cloud regions overall); may raise EstimatorError."""
    provider = (e.region or {}).get("provider")
    own = estimator.alternatives(e, scope="provider", n=N_PROVIDER) if provider else []
    overall = estimator.alternatives(e, scope="all", n=N_ALL)
    return own, overall


def sentence(e: Estimate, own: list[Alternative], overall: list[Alternative]) -> str:
    """'Had this run in X, it would have emitted Y', or 'You picked the provider's cleanest region'."""
    region = e.region or {}
    if region.get("provider"):
        if not own:
            return f"You picked the provider's cleanest region: {region['id']} ({region['place']})."
        best = own[0]
    elif overall:
        best = overall[0]
    else:
        return "No cloud region would have emitted less."
    return (
        f"Had this run in {best.label}, it would have emitted {report.mass(best.estimate.co2e_g)}, "
        f"{report.mass(best.saving_g)} ({report.num(best.saving_pct, 3)} %) less."
    )


def _row(label: str, a_estimate: Estimate, group: str, saving: str) -> dict[str, Any]:
    return {
        "region": label,
        "gCO2e": a_estimate.co2e_g,
        "emissions": report.mass(a_estimate.co2e_g),
        "intensity": f"{report.num(a_estimate.intensity_g_per_kwh)} g/kWh",
        "PUE": f"{a_estimate.pue:.2f}",
        "saving": saving,
        "group": group,
    }


def rows(e: Estimate, own: list[Alternative], overall: list[Alternative]) -> list[dict[str, Any]]:
    """Your region, the provider's cleaner regions and the cleanest overall; one row each, by emissions."""
    region = e.region or {}
    provider = region.get("provider")
    yours = f"{region.get('id', 'your intensity')} ({region.get('place', '')})"
    out = [_row(yours, e, YOURS, "")]
    seen = set()
    for a in [*own, *overall]:
        if a.label in seen:
            continue
        seen.add(a.label)
        group = SAME if provider and (a.estimate.region or {}).get("provider") == provider else OTHER
        saving = f"{report.mass(a.saving_g)} ({report.num(a.saving_pct, 3)} %)"
        out.append(_row(a.label, a.estimate, group, saving))
    return sorted(out, key=lambda r: (r["gCO2e"], r["region"]))


COLORS = {YOURS: "#d62728", SAME: "#2ca02c", OTHER: "#98c9a3"}


def chart(data: list[dict[str, Any]]) -> dict[str, Any]:
    """Bars sorted by emissions; your region in red, the same provider's in green, others pale green.

    The legend names only the groups drawn (no "same provider" for an on-premise grid).
    """
    drawn = [g for g in COLORS if any(r["group"] == g for r in data)]
    color = {
        "field": "group",
        "type": "nominal",
        "scale": {"domain": drawn, "range": [COLORS[g] for g in drawn]},
        "legend": {"title": None, "orient": "bottom"},
    }
    tooltip = ["region", "emissions", "intensity", "PUE", "saving"]
    return bar_spec(data, "region", "gCO2e for the same job", tooltip, color)


def section(e: Estimate) -> None:
    """The 'Cleaner regions' tab."""
    try:
        own, overall = options(e)
    except estimator.EstimatorError as exc:
        plain.info(str(exc))
        return
    st.markdown(f"**{sentence(e, own, overall)}**")
    data = rows(e, own, overall)
    st.vega_lite_chart(chart(data), width="stretch")
    shown = pd.DataFrame(data).drop(columns=["gCO2e"]).rename(columns={"saving": "saving vs yours"})
    # Every row shown (no scroll inside the table), and the region's column held to a width so the last
    # columns are not pushed out of view by a long place name (its full text on hover).
    region_column = st.column_config.TextColumn("region", width=REGION_COLUMN_PX)
    st.dataframe(shown, hide_index=True, width="stretch", height="content", column_config={"region": region_column})
    st.caption(
        "Same hardware, hours, utilization and PUE rules; each region's own intensity and PUE. "
        f"Up to {N_PROVIDER} cleaner regions of the same provider and the {N_ALL} cleanest cloud regions overall."
    )
