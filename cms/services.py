"""Writes owned by the site app."""

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.models import Collection, Locale, Page, Site

from cms.models import HomePage

HOME_TITLE = "四方议事厅"


@transaction.atomic
def site_ensure_home() -> HomePage:
    """Make sure the page tree has its root, the Sifang home page, and a default site on it.

    Migrations create these and the root collection (documents and images live in it); a
    database that was flushed (transactional tests) or hand-edited gets them back here.
    Idempotent.
    """
    # A flush recreates content types under new ids; drop the process's stale cache of them.
    ContentType.objects.clear_cache()
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code="zh-hans")
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        for stray in root.get_children().filter(slug="home"):
            stray.delete()
        home = root.add_child(instance=HomePage(title=HOME_TITLE, slug="home"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=HOME_TITLE,
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()
    return home
