"""Read rendered PDFs back the way a reader would: text, fonts, and the QR code on a page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.fixture(autouse=True)
def require_cjk_font_and_poppler() -> None:
    """Fail (never skip) when the system packages the PDF tests rely on are missing."""
    missing = []
    if not NOTO_CJK.exists():
        missing.append("fonts-noto-cjk")
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        missing.append("poppler-utils")
    if missing:
        pytest.fail(
            "Missing system packages for the PDF tests: "
            + ", ".join(missing)
            + ". Run `make system-deps` or `sudo apt-get install "
            + " ".join(missing)
            + "`.",
            pytrace=False,
        )


def pdf_text(path: str | Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def pdf_fonts(path: str | Path) -> list[dict]:
    """Rows of ``pdffonts``: name, type and whether the font is embedded."""
    output = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout
    rows = []
    for line in output.splitlines()[2:]:
        parts = line.split()
        if not parts:
            continue
        # name ... emb sub uni object ID: the last five columns are fixed.
        emb, sub, uni = parts[-5], parts[-4], parts[-3]
        rows.append({"name": parts[0], "emb": emb, "sub": sub, "uni": uni, "line": line})
    return rows


def page_count(path: str | Path) -> int:
    output = subprocess.run(
        ["pdfinfo", str(path)], capture_output=True, check=True, text=True
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", output, re.MULTILINE)
    assert match, output
    return int(match.group(1))


def qr_codes_on_page(path: str | Path, tmp_dir: Path, page: int = 1) -> list[str]:
    """Rasterise ``page`` at 150 dpi and decode every barcode on it."""
    prefix = tmp_dir / f"page{page}"
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), str(path), str(prefix)],
        check=True,
    )
    [png] = sorted(tmp_dir.glob(f"page{page}*.png"))
    with Image.open(png) as image:
        return [barcode.text for barcode in zxingcpp.read_barcodes(image)]


def squash(text: str) -> str:
    """Text without whitespace, so table cells broken over lines still match."""
    return re.sub(r"\s+", "", text)
