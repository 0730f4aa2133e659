"""``ensure_roles``: create or update the four role groups and their permissions."""

from django.core.management.base import BaseCommand

from deliberation.registry.rules import role_permissions
from deliberation.registry.services import roles_ensure


class Command(BaseCommand):
    help = "Create or update the role groups (居民, 社区工作人员, 物业人员, 部门人员). Idempotent."

    def handle(self, *args: object, **options: object) -> None:
        groups = roles_ensure()
        for name, group in groups.items():
            self.stdout.write(
                f"{name}: {group.permissions.count()} of {len(role_permissions(name))} permissions"
            )
