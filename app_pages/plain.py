"""Text that came from a user, shown as plain text: never Markdown, never HTML (issue 16, item 1).

Streamlit renders the body of ``st.error``, ``st.info``, ``st.success``,
``st.warning`` and ``st.caption`` as Markdown (GitHub-flavoured, with bare-URL
autolinks, ``:emoji:`` short codes, ``$math$`` and ``:color[text]``). A message
that echoes a value from the link, an uploaded file's name or a typed value
(``hardware '![x](http://evil.example/t.png)' is not in the catalog``) would
then fetch an image or show a live link. Every such message goes through
:func:`escape` first: each ASCII punctuation character is backslash-escaped
(CommonMark section 2.4: any ASCII punctuation may be escaped and is then a
literal character), and the patterns matched after escapes are resolved
(bare-URL autolinks, emoji codes) are broken by an invisible word joiner, so
the page shows exactly the characters of the message.

References
----------
CommonMark Spec 0.31.2, section 2.4 "Backslash escapes", https://spec.commonmark.org/0.31.2/#backslash-escapes
"""

from __future__ import annotations

import re
import string

import streamlit as st

# Every ASCII punctuation character: all may be escaped in CommonMark. ':' stops
# autolinks ("http://...") and Streamlit's ':color[...]' directives; '.' stops
# "www.x.y" autolinks; '$' stops math; '<' and '&' stop HTML and entities.
PUNCTUATION = frozenset(string.punctuation)
# Some rules run on the text *after* escapes are resolved, so a backslash cannot stop them:
# GFM's bare-URL and e-mail autolinks ("http://x", "www.x", "a@b.c") and the ':name:' emoji and
# ':material/name:' icon codes. A word joiner (U+2060, invisible, no width) after every ':' and
# '@' and between 'www' and '.' breaks each of those patterns.
WORD_JOINER = "\u2060"
_BREAK = re.compile(r"(?<=[:@])|(?i:(?<=www)(?=\.))")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# A line's leading spaces and tabs would start an indented code block, or be dropped:
# no-break and em spaces keep the indent as text.
LEAD = re.compile(r"^[ \t]+", re.MULTILINE)
KEEP_LEAD = str.maketrans({" ": "\u00a0", "\t": "\u2003"})
BACK_LEAD = str.maketrans({"\u00a0": " ", "\u2003": "\t"})
_KEPT = re.compile(r"^[\u00a0\u2003]+", re.MULTILINE)


def escape(text: str) -> str:
    """``text`` as Markdown that renders to exactly ``text``: no link, image, HTML, emphasis or code.

    Parameters
    ----------
    text : str
        Any text, typically an error message that echoes a user's value.

    Returns
    -------
    str
        The same characters with each ASCII punctuation backslash-escaped, a word
        joiner after each ':' and '@' and in 'www.', leading spaces and tabs of a
        line kept as no-break and em spaces, and each line break a hard break.
    """
    text = _BREAK.sub(WORD_JOINER, text)
    out = "".join("\\" + ch if ch in PUNCTUATION else ch for ch in text)
    out = LEAD.sub(lambda m: m.group(0).translate(KEEP_LEAD), out)
    return out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "  \n")


def unescape(markdown: str) -> str:
    """The text :func:`escape` was given (for tests and for reading an element's body back)."""
    text = _ESCAPED.sub(r"\1", markdown.replace("  \n", "\n")).replace(WORD_JOINER, "")
    return _KEPT.sub(lambda m: m.group(0).translate(BACK_LEAD), text)


def error(text: str) -> None:
    """``st.error`` showing ``text`` as plain text."""
    st.error(escape(text))


def info(text: str) -> None:
    """``st.info`` showing ``text`` as plain text."""
    st.info(escape(text), icon="ℹ️")


def success(text: str) -> None:
    """``st.success`` showing ``text`` as plain text."""
    st.success(escape(text))


def warning(text: str) -> None:
    """``st.warning`` showing ``text`` as plain text."""
    st.warning(escape(text))
