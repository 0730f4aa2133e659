"""HTML to PDF with WeasyPrint. Pure: no ORM, no settings; the same HTML gives the same text."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.constants
import weasyprint


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Lay out ``html`` (which carries its own print CSS) and return the PDF bytes.

    Raises whatever WeasyPrint raises on a broken document; callers record it.
    """
    return weasyprint.HTML(string=html, base_url=base_url).write_pdf()


def qr_data_uri(url: str) -> str:
    """A QR code of ``url`` as a PNG data URI (medium error correction, 4-module quiet zone)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image(fill_color="black", back_color="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def css_counter_content(template: str) -> str:
    """Turn "第 %(page)s 页 / 共 %(pages)s 页" into a CSS ``content`` value with page counters."""
    parts: list[str] = []
    rest = template
    while rest:
        page_at = rest.find("%(page)s")
        pages_at = rest.find("%(pages)s")
        hits = [(at, token) for at, token in ((page_at, "page"), (pages_at, "pages")) if at >= 0]
        if not hits:
            parts.append(css_string(rest))
            break
        at, token = min(hits)
        if at:
            parts.append(css_string(rest[:at]))
        parts.append(f"counter({token})")
        rest = rest[at + len(f"%({token})s") :]
    return " ".join(parts) or '""'


def css_string(text: str) -> str:
    """A CSS string literal, safe inside a ``<style>`` element (no quote, backslash or ``<``)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + escaped.replace("\n", " ") + '"'
