from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from config import choices, i18n

# Before any app's models are imported (they bind get_<field>_display): config/choices.py.
choices.install()


class CmsConfig(AppConfig):
    verbose_name = _("网站")
    name = "cms"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from cms import page_cache

        # One dictionary per language instead of ~30 searched in turn (config/i18n.py).
        i18n.install()
        # Every write moves the public pages' data version on (cms/page_cache.py).
        connection_created.connect(page_cache.install_write_watch, dispatch_uid="sifang-pages")
