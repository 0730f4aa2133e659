from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VotesConfig(AppConfig):
    verbose_name = _("表决")
    name = "votes"
    default_auto_field = "django.db.models.BigAutoField"
