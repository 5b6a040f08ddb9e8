"""The one place that cleans rich text (the only import of bleach in consult).

Rich-text fields (task instructions, suggestion rationales) keep their source as typed and
the cleaned HTML beside it. Plain-text fields are never passed through here: templates
escape them on output.
"""

from __future__ import annotations

import html
import re

import bleach
from bleach.linkifier import Linker

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "blockquote", "h3", "h4",
     "a", "code", "table", "thead", "tbody", "tr", "th", "td"}
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title"],
    "th": ["colspan", "rowspan"],
    "td": ["colspan", "rowspan"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_BLANK_LINES = re.compile(r"\n\s*\n")


def _safe_links(attrs, new=False):
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    return attrs


_linker = Linker(callbacks=[_safe_links], skip_tags={"code"})


def clean_html(source: str | None) -> str:
    """Sanitised HTML for ``source``: allowed tags only, safe links, no scripts or handlers.

    Plain text (no tags) is turned into paragraphs first, so that staff may type either.
    """
    if not source:
        return ""
    text = source.strip()
    if "<" not in text:
        paragraphs = [p.strip() for p in _BLANK_LINES.split(text) if p.strip()]
        text = "".join(
            "<p>" + bleach.clean(p, tags=set(), strip=True).replace("\n", "<br>") + "</p>"
            for p in paragraphs
        )
    cleaned = bleach.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
    )
    return _linker.linkify(cleaned)


def html_to_text(source: str | None) -> str:
    """The text of sanitised HTML, tags dropped (for search and plain-text exports)."""
    if not source:
        return ""
    return html.unescape(bleach.clean(source, tags=set(), strip=True)).strip()
