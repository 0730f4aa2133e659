"""Write services of the deliberation domain. Import from here: ``from deliberation.services
import proposal_transition``."""

from .proposals import (
    OptionInput,
    option_create,
    proposal_accept,
    proposal_answer,
    proposal_merge,
    proposal_moderation_workflow,
    proposal_publish,
    proposal_reject,
    proposal_second,
    proposal_submit,
    proposal_transition,
)

__all__ = [
    "OptionInput",
    "option_create",
    "proposal_accept",
    "proposal_answer",
    "proposal_merge",
    "proposal_moderation_workflow",
    "proposal_publish",
    "proposal_reject",
    "proposal_second",
    "proposal_submit",
    "proposal_transition",
]
