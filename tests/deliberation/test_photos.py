"""Photos validated by content (not by name), ≤10 MB, ≤6, EXIF (GPS) stripped, resized."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from deliberation.exceptions import InvalidInput
from deliberation.photos import MAX_EDGE, clean_photo, clean_photos
from tests.factories.proposals import image_bytes, upload


def test_gps_exif_is_stripped_and_photo_resized():
    source = image_bytes(size=(4000, 3000), gps=True)
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the fixture has GPS
    cleaned = clean_photo(SimpleUploadedFile("p.jpg", source))
    stored = Image.open(io.BytesIO(cleaned.content.read()))
    assert stored.format == "JPEG"
    assert max(stored.size) == MAX_EDGE
    assert (cleaned.width, cleaned.height) == (1600, 1200)
    exif = stored.getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif


def test_png_with_transparency_stays_png():
    image = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    cleaned = clean_photo(SimpleUploadedFile("t.png", out.getvalue()))
    assert cleaned.content.name.endswith(".png")


def test_a_file_named_jpg_that_is_not_an_image_is_refused():
    fake = SimpleUploadedFile("evil.jpg", b"<?php echo 1; ?>" * 100, content_type="image/jpeg")
    with pytest.raises(InvalidInput) as caught:
        clean_photo(fake)
    assert "photos" in caught.value.fields


def test_truncated_image_is_refused():
    data = image_bytes()[:200]
    with pytest.raises(InvalidInput):
        clean_photo(SimpleUploadedFile("cut.jpg", data))


def test_over_ten_megabytes_is_refused():
    big = SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1))
    with pytest.raises(InvalidInput) as caught:
        clean_photo(big)
    assert "10 MB" in caught.value.message


def test_at_most_six_photos():
    with pytest.raises(InvalidInput):
        clean_photos([upload(f"{i}.jpg") for i in range(7)])
    assert len(clean_photos([upload(f"{i}.jpg") for i in range(6)])) == 6
