"""The web form: widgets in, the estimator API, results out. No arithmetic here.

Run: ``make run`` (``streamlit run app.py``). The sections live in ``app_pages/``.
"""

from __future__ import annotations

import streamlit as st

import estimator
from app_pages import cleaner, cluster, inputs, lifecycle, methodology, preflight, publish, result, state
from estimator.catalog import Catalog, load_catalog

st.set_page_config(page_title="co2-estimator", layout="wide", initial_sidebar_state=360)


@st.cache_resource
def catalog() -> Catalog:
    """Loaded once per server."""
    return load_catalog()


def main() -> None:
    cat = catalog()
    link_errors = state.seed_once(cat)
    st.title("co2-estimator")
    st.caption(
        "Energy and CO2e of machine-learning work, offline and sourced: the method of the ML CO2 Impact "
        "calculator (Lacoste et al. 2019), with PUE, ranges, cleaner regions and a model-card block."
    )
    for message in link_errors:
        st.error(f"From the link: {message}")
    job = inputs.sidebar(cat)
    link = dict(job.link)
    try:
        e = estimator.estimate(**job.kwargs)
    except estimator.EstimatorError as exc:
        st.error(str(exc))
        state.write_link(link)
        return
    result.headline(e)
    tabs = st.tabs(
        [
            "Breakdown & sources",
            "Before you train",
            "Cleaner regions",
            "Model card & paper",
            "Inference & lifecycle",
            "Methodology",
            "Cluster (Slurm)",
        ]
    )
    with tabs[0]:
        result.details(e, job.notes)
    with tabs[1]:
        preflight.section(cat, job.kwargs)
    with tabs[2]:
        cleaner.section(e)
    with tabs[3]:
        publish.section(e, job.training_type)
    with tabs[4]:
        link |= lifecycle.section(cat, e, job.kwargs)
    with tabs[5]:
        methodology.section()
    with tabs[6]:
        cluster.section()
    state.write_link(link)
    st.caption("Share this page's URL: it holds every input above.")


main()
