"""Publish: the model card's ``co2_eq_emissions`` block (copy or download), a README
merged with it (the CLI's safe merge), and the paragraphs for a paper."""

from __future__ import annotations

import streamlit as st

from estimator import Estimate, modelcard, report
from estimator.modelcard import CardError, card_block, merge

YAML_FILE = "co2_eq_emissions.yaml"
YAML_MIME = "application/x-yaml"


def card_yaml(e: Estimate, training_type: str, location_text: str | None) -> str:
    """Exactly ``modelcard.card_yaml``: what the download holds."""
    return modelcard.card_yaml(e, training_type, location_text)


def decode_upload(name: str, data: bytes) -> str:
    """An uploaded card as text; the same refusals as the CLI (``modelcard.decode_card``)."""
    return modelcard.decode_card(name, data)


def _model_card(e: Estimate, training_type: str) -> str | None:
    st.markdown("**Hugging Face model card** (`co2_eq_emissions`, emissions in grams)")
    location_text = st.text_input(
        "geographical_location (optional)",
        key="location_text",
        placeholder="from the region, e.g. Council Bluffs, Iowa, USA (Google Cloud us-central1)",
    ).strip()
    location = location_text or None
    text = card_yaml(e, training_type, location)
    st.code(text, language="yaml")
    st.download_button(
        "Download the YAML block",
        text,
        file_name=YAML_FILE,
        mime=YAML_MIME,
        key="download_yaml",
        on_click="ignore",
    )
    return location


def _merge_readme(e: Estimate, training_type: str, location: str | None) -> None:
    st.markdown("**Merge into your README.md**: only the `co2_eq_emissions` block changes, byte for byte.")
    upload = st.file_uploader("Your model card (README.md)", type=["md", "markdown", "txt"], key="readme")
    if upload is None:
        return
    try:
        text = decode_upload(upload.name, upload.getvalue())
        merged = merge(text, card_block(e, training_type, location), upload.name)
    except CardError as exc:
        st.error(str(exc))
        return
    st.success(f"{upload.name}: merged." if merged != text else f"{upload.name}: already up to date.")
    st.download_button(
        "Download the merged README.md",
        merged,
        file_name="README.md",
        mime="text/markdown",
        key="download_readme",
        on_click="ignore",
    )
    with st.expander("Preview"):
        st.code(merged[:4000], language="markdown")


def _paper(e: Estimate) -> None:
    st.markdown("**For a paper**")
    markdown_tab, latex_tab, section_tab = st.tabs(["Markdown", "LaTeX + BibTeX", "Model-card section"])
    with markdown_tab:
        paragraph = report.markdown_paragraph(e)
        st.markdown(paragraph)
        st.code(paragraph, language="markdown", wrap_lines=True)
    with latex_tab:
        st.code(report.latex_paragraph(e), language="latex", wrap_lines=True)
        st.code(report.LACOSTE_BIBTEX, language="bibtex")
    with section_tab:
        st.code(report.environmental_impact_section(e), language="markdown", wrap_lines=True)


def section(e: Estimate, training_type: str) -> None:
    """The 'Model card & paper' tab."""
    location = _model_card(e, training_type)
    _merge_readme(e, training_type, location)
    _paper(e)
