from .communities import AreaSource, Building, Community, Member, Ownership, Party, Unit
from .proposals import (
    Category,
    Channel,
    Proposal,
    ProposalOption,
    ProposalPhoto,
    ProposalStatus,
    ProposalTransition,
    Second,
    SharingRule,
)
from .resolutions import Resolution, ResolutionStatus
from .users import User

__all__ = [
    "AreaSource",
    "Building",
    "Category",
    "Channel",
    "Community",
    "Member",
    "Ownership",
    "Party",
    "Proposal",
    "ProposalOption",
    "ProposalPhoto",
    "ProposalStatus",
    "ProposalTransition",
    "Resolution",
    "ResolutionStatus",
    "Second",
    "SharingRule",
    "Unit",
    "User",
]
