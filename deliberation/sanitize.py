"""Rich-text sanitising with nh3 (ammonia). Applied when text is stored and again when shown.

Residents type plain text: it is escaped and its paragraphs become ``<p>``. Staff and the API may
send a small HTML subset; everything outside :data:`ALLOWED_TAGS` is removed, links are forced to
``rel="noopener noreferrer nofollow"`` and only http(s)/mailto/tel URLs survive.
"""

import re
from html import escape, unescape

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")


def clean_html(html: str) -> str:
    """Return ``html`` reduced to the allowed subset (safe to mark safe in a template)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def text_to_html(text: str) -> str:
    """Plain text → escaped paragraphs, single newlines → ``<br>``."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n"))]
    return "".join("<p>" + escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs if p)


def clean_rich_text(value: str) -> str:
    """Store form of a body: HTML input is sanitised, plain text is escaped into paragraphs."""
    if _TAG.search(value or ""):
        return clean_html(value)
    return text_to_html(value)


def to_plain_text(html: str) -> str:
    """Unescaped text only (escape it again before putting it into HTML)."""
    return unescape(nh3.clean(html or "", tags=set())).replace("\xa0", " ").strip()
