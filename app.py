"""The web form: widgets in, the estimator API, results out. No arithmetic here."""

from __future__ import annotations

import streamlit as st

import estimator
from estimator import report
from estimator.catalog import Catalog, load_catalog

st.set_page_config(page_title="co2-estimator", page_icon="🌱", layout="centered")


@st.cache_resource
def catalog() -> Catalog:
    """Loaded once per server."""
    return load_catalog()


def main() -> None:
    cat = catalog()
    st.title("co2-estimator")
    st.caption("Energy and CO2e of machine-learning work, offline and sourced.")

    devices = sorted(cat.devices.values(), key=lambda d: (d.kind, d.name))
    ids = [d.id for d in devices]
    default_hw = ids.index("nvidia-a100-sxm4-80gb") if "nvidia-a100-sxm4-80gb" in ids else 0
    hardware = st.selectbox(
        "Hardware",
        ids,
        index=default_hw,
        format_func=lambda i: f"{cat.devices[i].name} ({cat.devices[i].kind}, {report.num(cat.devices[i].tdp_w)} W)",
    )
    count = st.number_input("Number of devices", min_value=1, value=1, step=1)
    hours = st.number_input("Hours", min_value=0.0, value=24.0, step=1.0)
    regions = sorted(cat.regions.values(), key=lambda r: (r.kind != "cloud", r.id))
    region_ids = [r.id for r in regions]
    default_region = region_ids.index("gcp:us-central1") if "gcp:us-central1" in region_ids else 0
    region = st.selectbox(
        "Region",
        region_ids,
        index=default_region,
        format_func=lambda i: (
            f"{i} — {cat.region_place(cat.regions[i])} ({report.num(cat.regions[i].intensity_g_per_kwh)} g/kWh)"
        ),
    )
    try:
        e = estimator.estimate(hardware=hardware, hours=hours, count=int(count), region=region)
    except estimator.EstimatorError as exc:
        st.error(str(exc))
        return
    col1, col2 = st.columns(2)
    col1.metric("Emissions", report.mass(e.co2e_g))
    col2.metric("Energy", report.energy(e.energy_kwh))
    st.code(report.arithmetic(e), language=None)
    st.markdown("**Sources**")
    for c in e.components:
        st.markdown(f"- power: {c.power_source}")
    st.markdown(f"- intensity: {e.intensity_source}")
    st.markdown(f"- PUE ({e.pue_basis}): {e.pue_source}")
    for w in e.warnings:
        st.info(w)


main()
