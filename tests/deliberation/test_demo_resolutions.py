"""The demo resolutions: every state, overdue included, photos and ratings; idempotent."""

import pytest

from deliberation.models import (
    FollowUp,
    PhotoStage,
    ProgressPhoto,
    Rating,
    Resolution,
    ResolutionTransition,
)
from demo import registry as demo
from demo.resolutions import seed_resolutions

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Resolution.objects.order_by("pk").values_list("status", "round", "decided_at")),
        ResolutionTransition.objects.count(),
        ProgressPhoto.objects.count(),
        Rating.objects.count(),
        FollowUp.objects.count(),
    )


def test_demo_has_every_state_and_is_idempotent():
    community = demo.seed_community()
    made = seed_resolutions(community)
    statuses = {r.status for r in made}
    assert statuses == {"in_progress", "completed", "reopened"}
    assert any(r.is_overdue() for r in made)
    assert any(r.round == 2 and r.status == "completed" for r in made)
    assert ResolutionTransition.objects.filter(automatic=True).exists()
    stages = set(ProgressPhoto.objects.values_list("stage", flat=True))
    assert {PhotoStage.BEFORE, PhotoStage.AFTER} <= stages
    assert Rating.objects.filter(channel="followup").exists()
    first = snapshot()
    seed_resolutions(community)
    assert snapshot() == first
