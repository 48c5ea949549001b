"""The method, as ``docs/methodology.md`` states it, so a reader can check it from the page."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

METHODOLOGY = Path(__file__).resolve().parent.parent / "docs" / "methodology.md"
# The document's "# Methodology" would be as large as the page's own title: in the tab, each heading is two
# levels down (# -> ###), so the tab's headings sit below the page's. Lines inside code fences are left alone.
DEMOTE_BY = 2
_HEADING = re.compile(r"^(#{1,6})(?=\s)")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def demote(markdown: str, levels: int = DEMOTE_BY) -> str:
    """Each ATX heading ``levels`` deeper (at most ``######``), outside fenced code blocks."""
    out, fenced = [], False
    for line in markdown.splitlines(keepends=True):
        if _FENCE.match(line):
            fenced = not fenced
        deeper = line if fenced else _HEADING.sub(lambda m: "#" * min(6, len(m.group(1)) + levels), line)
        out.append(deeper)
    return "".join(out)


@st.cache_resource
def methodology_text() -> str:
    try:
        return demote(METHODOLOGY.read_text(encoding="utf-8"))
    except OSError:
        return "The methodology is in `docs/methodology.md` of the co2-estimator repository."


def section() -> None:
    st.markdown(methodology_text())
