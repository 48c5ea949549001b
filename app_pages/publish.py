"""Publish: the model card's ``co2_eq_emissions`` block (copy or download), a README
merged with it (the CLI's safe merge), and the paragraphs for a paper."""

from __future__ import annotations

import streamlit as st

from app_pages import plain, state
from estimator import Estimate, modelcard, report
from estimator.modelcard import CardError, merge

YAML_FILE = "co2_eq_emissions.yaml"
YAML_MIME = "application/x-yaml"
# The upload widget's limit, in MB: the card reader's own (modelcard.MAX_CARD_BYTES, 10,000,000 bytes). A file
# the widget lets through but the reader refuses gets the reader's message.
UPLOAD_LIMIT_MB = -(-modelcard.MAX_CARD_BYTES // 1_000_000)


def decode_upload(name: str, data: bytes) -> str:
    """An uploaded card as text; the same refusals as the CLI (``modelcard.decode_card``)."""
    return modelcard.decode_card(name, data)


def _model_card(e: Estimate, training_type: str | None) -> str | None:
    st.markdown("**Hugging Face model card** (`co2_eq_emissions`, emissions in grams)")
    if training_type is None:
        st.caption(
            "No `training_type` in the block: none was chosen (Training type, in the sidebar). "
            "Choose pre-training, fine-tuning, ... to add it; it is never guessed."
        )
    location_text = st.text_input(
        "geographical_location (optional)",
        key="location_text",
        placeholder="from the region, e.g. Council Bluffs, Iowa, USA (Google Cloud us-central1)",
    ).strip()
    location = location_text or None
    text = modelcard.card_yaml(e, training_type, location)
    st.code(text, language="yaml", wrap_lines=True)
    st.download_button(
        "Download the YAML block",
        text,
        file_name=YAML_FILE,
        mime=YAML_MIME,
        key="download_yaml",
        on_click="ignore",
    )
    return location


def _merge_readme(e: Estimate, training_type: str | None, location: str | None) -> None:
    st.markdown("**Merge into your README.md**: only the `co2_eq_emissions` block changes, byte for byte.")
    upload = st.file_uploader(
        "Your model card (README.md)",
        type=["md", "markdown", "txt"],
        key="readme",
        max_upload_size=UPLOAD_LIMIT_MB,  # the widget says the card's own limit, not Streamlit's 200 MB
    )
    if upload is None:
        return
    try:
        text = decode_upload(upload.name, upload.getvalue())
        merged = merge(text, modelcard.card_block(e, training_type, location), upload.name)
    except CardError as exc:
        plain.error(str(exc))
        return
    plain.success(f"{upload.name}: merged." if merged != text else f"{upload.name}: already up to date.")
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


def section(e: Estimate, training_type: str | None) -> None:
    """The 'Model card & paper' tab; no card while the link's training type is unresolved."""
    if state.unresolved(state.CARD_PARAMS):
        plain.warning("No model card: the link's training_type did not resolve (see above). Choose one in the sidebar.")
        _paper(e)
        return
    location = _model_card(e, training_type)
    _merge_readme(e, training_type, location)
    _paper(e)
