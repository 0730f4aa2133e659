from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_roles_after_migrate(sender: AppConfig, **kwargs: object) -> None:
    """Keep the role groups in step with the permissions, like Django's own create_permissions.

    Runs once per ``migrate``: after the last app's post_migrate, when every permission exists.
    """
    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender.label != last.label or kwargs.get("plan") == []:
        return
    from deliberation.registry.services import roles_ensure

    roles_ensure()


class DeliberationConfig(AppConfig):
    verbose_name = _("议事")
    name = "deliberation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles_after_migrate, dispatch_uid="sifang-ensure-roles")
