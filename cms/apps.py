from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    verbose_name = _("网站")
    name = "cms"
    default_auto_field = "django.db.models.BigAutoField"
