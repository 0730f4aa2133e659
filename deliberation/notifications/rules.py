"""Who may read what of notifications."""

from deliberation.models import Community
from deliberation.scope import AnyUser, is_committee_member

# Printing letters reads households from the registry: the registry's view permission.
PRINT_LETTERS_PERMISSION = "deliberation.view_member"


def can_print_letters(user: AnyUser, community: Community) -> bool:
    """Committee staff of ``community`` with access to its registry."""
    return is_committee_member(user, community, permission=PRINT_LETTERS_PERMISSION)
