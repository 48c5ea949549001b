"""The web form: widgets in, the estimator API, results out. No arithmetic here.

Run: ``make run`` (``streamlit run app.py``). The sections live in ``app_pages/``.
"""

from __future__ import annotations

import streamlit as st

import estimator
from app_pages import cleaner, cluster, inputs, lifecycle, methodology, plain, preflight, publish, result, state
from estimator.catalog import Catalog, load_catalog

st.set_page_config(page_title="co2-estimator", layout="wide", initial_sidebar_state=360)


# Uploads and text boxes (the card's location, the cluster's sacct and description) are not in the URL.
SHARE_NOTE = (
    "Share this page's URL: it holds every input except uploads and text boxes "
    "(the card's location, the Slurm accounting and cluster description)."
)


@st.cache_resource
def catalog() -> Catalog:
    """Loaded once per server."""
    return load_catalog()


def main() -> None:
    cat = catalog()
    state.seed_once(cat)
    state.keep_hidden_inputs()
    st.title("co2-estimator")
    st.caption(
        "Energy and CO2e of machine-learning work, offline and sourced: the method of the ML CO2 Impact "
        "calculator (Lacoste et al. 2019), with PUE, ranges, cleaner regions and a model-card block."
    )
    job = inputs.sidebar(cat)
    link = dict(job.link)
    for message in state.unresolved().values():
        plain.error(f"From the link: {message}")
    for message in state.ignored().values():
        plain.warning(f"From the link: {message}")
    for message in state.read_notes().values():
        plain.info(f"From the link: {message}")
    missing = state.unresolved(state.TRAINING_PARAMS)
    if missing:
        plain.warning(
            f"No figure: the link's {', '.join(missing)} did not resolve, and no default stands in for "
            f"{'it' if len(missing) == 1 else 'them'}. Set {'it' if len(missing) == 1 else 'them'} in the "
            "sidebar; until then the link stays as it was."
        )
        return
    try:
        e = estimator.estimate(**job.kwargs)
    except estimator.EstimatorError as exc:
        plain.error(str(exc))
        state.write_link(link)
        return
    result.headline(e, job.typed_hours)
    tabs = st.tabs(
        [
            "Breakdown & sources",
            "Before you train",
            "Cleaner regions",
            "Model card & paper",
            "Inference & lifecycle",
            "Methodology",
            "Cluster (Slurm)",
        ],
        key="tab",
        on_change="rerun",  # so a tab knows it is open: the cleaner regions are computed only then
    )
    with tabs[0]:
        region = (e.region or {}).get("id")
        basis = job.kwargs.get("basis", "lifecycle")
        result.details(e, job.notes, inputs.intensity_series(region, basis, cat.data_version) if region else [])
    with tabs[1]:
        preflight.section(cat, job.kwargs)
    with tabs[2]:
        if tabs[2].open:
            cleaner.section(e)  # a full estimate per cloud region: the costliest part of a rerun
        else:
            st.caption("Computed when this tab is open.")
    with tabs[3]:
        publish.section(e, job.training_type)
    with tabs[4]:
        link |= lifecycle.section(cat, e, job.kwargs)
    with tabs[5]:
        methodology.section()
    with tabs[6]:
        if tabs[6].open:
            cluster.section()
    state.write_link(link)
    st.caption(SHARE_NOTE)


main()
