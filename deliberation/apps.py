from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    verbose_name = _("议事")
    name = "deliberation"
    default_auto_field = "django.db.models.BigAutoField"
