"""The method, as ``docs/methodology.md`` states it, so a reader can check it from the page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

METHODOLOGY = Path(__file__).resolve().parent.parent / "docs" / "methodology.md"


@st.cache_resource
def methodology_text() -> str:
    try:
        return METHODOLOGY.read_text(encoding="utf-8")
    except OSError:
        return "The methodology is in `docs/methodology.md` of the co2-estimator repository."


def section() -> None:
    st.markdown(methodology_text())
