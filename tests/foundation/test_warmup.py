"""Warm-up before daphne listens (config/warmup.py, issue 16 point 1): it builds translations,
URLs and templates and renders the home once, without leaving a page in the page cache."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.translation import trans_real

from cms import page_cache
from config import i18n
from config.warmup import warm_up


@pytest.mark.django_db
def test_warm_up_leaves_the_first_request_to_render_its_page(settings, wagtail_site) -> None:  # type: ignore[no-untyped-def]
    settings.SIFANG_PAGE_CACHE = True
    cache.clear()
    assert warm_up() > 0
    for code, _name in settings.LANGUAGES:
        assert isinstance(trans_real.translation(code)._catalog, i18n.FlatCatalog)
    first = Client().get("/")
    assert first.status_code == 200
    assert first[page_cache.HEADER] == "miss"
    cache.clear()


@pytest.mark.django_db
def test_warm_up_leaves_the_default_language_active(settings, wagtail_site) -> None:  # type: ignore[no-untyped-def]
    """The warm-up requests each language; afterwards what runs outside a request (a live
    meeting's state frames) must speak the site's default language, not the last one warmed."""
    from django.utils import translation

    translation.deactivate()
    warm_up()
    assert translation.get_language() == settings.LANGUAGE_CODE
