"""Simplified Chinese is the source language; English comes from complete, compiled catalogues."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
APPS = ["cms", "deliberation", "meetings", "votes"]


def catalogue(app: str) -> Path:
    return ROOT / app / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("app", APPS)
def test_every_english_entry_is_translated(app: str) -> None:
    with catalogue(app).open("rb") as handle:
        entries = [m for m in read_po(handle) if m.id]
    assert entries, f"{app} has an empty catalogue"
    untranslated = [
        m.id for m in entries if not (m.string if isinstance(m.string, str) else all(m.string))
    ]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.parametrize("app", APPS)
def test_catalogue_holds_every_string_in_the_source(app: str, tmp_path: Path) -> None:
    """makemessages over a copy of the app finds no msgid the committed catalogue lacks."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext (xgettext) is missing: install the Debian package gettext")
    copy = tmp_path / app
    shutil.copytree(ROOT / app, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    # PYTHONSAFEPATH: `python -m` would otherwise put the app copy first on sys.path, and its
    # selectors.py would shadow the standard library's `selectors` (subprocess imports it).
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONSAFEPATH": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "en", "--no-location"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    with (copy / "locale/en/LC_MESSAGES/django.po").open("rb") as handle:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    with catalogue(app).open("rb") as handle:
        committed = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}
    assert sorted(extracted - committed) == []


@pytest.mark.django_db
def test_home_page_in_english(client, wagtail_site) -> None:  # type: ignore[no-untyped-def]
    client.cookies["django_language"] = "en"
    text = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in text
    assert "长辈版" not in text
    assert "Large text" in text


@pytest.mark.django_db
def test_home_page_defaults_to_simplified_chinese(client, wagtail_site) -> None:  # type: ignore[no-untyped-def]
    text = client.get("/").content.decode()
    assert 'lang="zh-Hans"' in text
    assert "长辈版 / 大字" in text
