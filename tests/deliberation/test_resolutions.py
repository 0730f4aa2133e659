"""Resolution life: every transition and permission of the services, and the DB guards."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from deliberation.exceptions import InvalidInput, NotPermitted, TransitionNotAllowed
from deliberation.models import (
    FollowUpKind,
    Party,
    PhotoStage,
    ProgressPhoto,
    ProgressUpdate,
    Rating,
    RatingChannel,
    ResolutionStatus,
    ResolutionTransition,
)
from deliberation.resolutions.services import (
    PhotoInput,
    RatingRefused,
    followup_record,
    progress_post,
    rating_submit,
    resolution_complete,
    resolution_create,
    resolution_reopen,
)
from deliberation.resolutions.transitions import (
    TRANSITIONS,
    check_resolution_transition,
    should_reopen,
)
from tests.factories.base import CommunityFactory, UserFactory
from tests.factories.resolutions import DecidedProposalFactory, resident, staff_member

S = ResolutionStatus


def jpeg_upload(name="photo.jpg", color=(200, 30, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def scene(db):
    community = CommunityFactory(rating_window_days=15, reopen_dissatisfied_share=Decimal("0.5"))
    proposal = DecidedProposalFactory(community=community)
    property_staff = staff_member(community, Party.PROPERTY)
    committee_staff = staff_member(community, Party.COMMITTEE)
    resolution = resolution_create(
        proposal=proposal,
        decision="由物业在30天内修复车棚顶棚",
        responsible_party=Party.PROPERTY,
        deadline=timezone.localdate() + dt.timedelta(days=30),
        actor=committee_staff.user,
    )
    return {
        "community": community,
        "proposal": proposal,
        "resolution": resolution,
        "property": property_staff.user,
        "committee": committee_staff.user,
    }


def complete(scene):
    return resolution_complete(
        resolution=scene["resolution"], actor=scene["property"], report="顶棚已更换,验收合格"
    )


# --- the table ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "allowed"),
    [
        ("", S.IN_PROGRESS, True),
        ("", S.COMPLETED, False),
        (S.IN_PROGRESS, S.COMPLETED, True),
        (S.IN_PROGRESS, S.REOPENED, False),
        (S.COMPLETED, S.REOPENED, True),
        (S.COMPLETED, S.IN_PROGRESS, False),
        (S.COMPLETED, S.COMPLETED, False),
        (S.REOPENED, S.COMPLETED, True),
        (S.REOPENED, S.IN_PROGRESS, False),
    ],
)
def test_transition_table(source, target, allowed):
    check = check_resolution_transition(source, target, reason="理由", report="报告")
    assert check.allowed is allowed
    assert (target in TRANSITIONS[source]) is allowed


def test_reopen_needs_reason_and_completion_needs_report():
    assert not check_resolution_transition(S.COMPLETED, S.REOPENED, reason=" ").allowed
    assert not check_resolution_transition(S.IN_PROGRESS, S.COMPLETED, report="").allowed


@pytest.mark.parametrize(
    ("counts", "threshold", "expected"),
    [
        ((1, 0, 2), "1/2", True),  # 2/3 ≥ 1/2
        ((2, 0, 2), "1/2", True),  # exactly the threshold reopens (达到)
        ((2, 1, 1), "1/2", False),  # 1/4
        ((0, 0, 1), "1/2", False),  # too few ratings to judge
        ((0, 0, 5), "0", False),  # threshold 0 disables
    ],
)
def test_should_reopen(counts, threshold, expected):
    from fractions import Fraction

    satisfied, basic, dissatisfied = counts
    assert (
        should_reopen(
            satisfied=satisfied,
            basic=basic,
            dissatisfied=dissatisfied,
            threshold=Fraction(threshold),
        )
        is expected
    )


# --- create -------------------------------------------------------------------------------------


def test_create_records_first_step(scene):
    resolution = scene["resolution"]
    assert resolution.status == S.IN_PROGRESS
    assert resolution.community == scene["community"]
    steps = list(resolution.transitions.all())
    assert [(s.from_status, s.to_status) for s in steps] == [("", S.IN_PROGRESS)]
    assert steps[0].actor == scene["committee"]


def test_create_refuses_incomplete_input(scene):
    other = DecidedProposalFactory(community=scene["community"])
    option = other.options.create(title="方案甲")
    with pytest.raises(InvalidInput) as err:
        resolution_create(
            proposal=scene["proposal"],
            decision=" ",
            responsible_party="nobody",
            deadline=None,
            actor=scene["committee"],
            adopted_option=option,
        )
    assert set(err.value.fields) == {"decision", "responsible_party", "deadline", "adopted_option"}


# --- progress -----------------------------------------------------------------------------------


def test_responsible_party_posts_progress_with_photos(scene):
    update = progress_post(
        resolution=scene["resolution"],
        actor=scene["property"],
        text="已进场施工",
        percent=40,
        photos=[
            PhotoInput(jpeg_upload("before.jpg"), stage=PhotoStage.BEFORE, caption="施工前"),
            PhotoInput(jpeg_upload("after.jpg"), stage=PhotoStage.AFTER),
        ],
    )
    assert update.percent == 40 and update.round == 1
    assert [p.stage for p in update.photos.all()] == [PhotoStage.BEFORE, PhotoStage.AFTER]
    assert update.photos.first().width == 40
    scene["resolution"].refresh_from_db()
    assert scene["resolution"].percent_done == 40


@pytest.mark.parametrize("who", ["resident", "committee", "department", "anonymous", "outsider"])
def test_only_the_responsible_party_posts_progress(scene, who):
    community = scene["community"]
    if who == "resident":
        user = resident(community).user
    elif who == "committee":
        user = scene["committee"]
    elif who == "department":
        user = staff_member(community, Party.DEPARTMENT).user
    elif who == "outsider":  # property staff of another community
        user = staff_member(CommunityFactory(), Party.PROPERTY).user
    else:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    with pytest.raises(NotPermitted):
        progress_post(resolution=scene["resolution"], actor=user, text="x", percent=10)
    with pytest.raises(NotPermitted):
        resolution_complete(resolution=scene["resolution"], actor=user, report="x")
    assert not ProgressUpdate.objects.exists()


def test_named_responsible_person_may_post(scene):
    person = UserFactory()
    resolution = scene["resolution"]
    resolution.responsible_person = person
    resolution.save()
    assert progress_post(resolution=resolution, actor=person, text="联系施工队", percent=5)


def test_bad_progress_input_stores_nothing(scene):
    with pytest.raises(InvalidInput) as err:
        progress_post(
            resolution=scene["resolution"], actor=scene["property"], text="x", percent=101
        )
    assert "percent" in err.value.fields
    with pytest.raises(InvalidInput):
        progress_post(resolution=scene["resolution"], actor=scene["property"], text=" ", percent=5)
    not_image = io.BytesIO(b"not an image at all")
    not_image.name = "x.jpg"
    with pytest.raises(InvalidInput) as err:
        progress_post(
            resolution=scene["resolution"],
            actor=scene["property"],
            text="有照片",
            percent=5,
            photos=[PhotoInput(jpeg_upload()), PhotoInput(not_image)],
        )
    assert "photos" in err.value.fields
    assert not ProgressUpdate.objects.exists()
    assert not ProgressPhoto.objects.exists()


# --- completion and reopening -------------------------------------------------------------------


def test_complete_closes_round_and_opens_rating_window(scene):
    resolution = complete(scene)
    assert resolution.status == S.COMPLETED
    assert resolution.percent_done == 100
    assert resolution.completion_report == "顶棚已更换,验收合格"
    assert resolution.rating_closes_at - resolution.completed_at == dt.timedelta(days=15)
    last = resolution.updates.last()
    assert last.is_completion and last.percent == 100
    assert [s.to_status for s in resolution.transitions.all()] == [S.IN_PROGRESS, S.COMPLETED]
    with pytest.raises(TransitionNotAllowed):
        complete(scene)
    with pytest.raises(TransitionNotAllowed) as err:
        progress_post(resolution=resolution, actor=scene["property"], text="补充", percent=100)
    assert err.value.code == "not_open"


def test_community_staff_reopen_with_reason(scene):
    complete(scene)
    new_deadline = timezone.localdate() + dt.timedelta(days=10)
    resolution = resolution_reopen(
        resolution=scene["resolution"],
        actor=scene["committee"],
        reason="雨天仍有漏水",
        deadline=new_deadline,
    )
    assert resolution.status == S.REOPENED
    assert resolution.round == 2
    assert resolution.completed_at is None and resolution.rating_closes_at is None
    assert resolution.deadline == new_deadline
    step = resolution.transitions.last()
    assert (step.from_status, step.to_status, step.note, step.actor, step.automatic) == (
        S.COMPLETED,
        S.REOPENED,
        "雨天仍有漏水",
        scene["committee"],
        False,
    )
    # The reopened resolution takes progress again and completes again.
    progress_post(resolution=resolution, actor=scene["property"], text="返工", percent=50)
    resolution = complete(scene)
    assert resolution.status == S.COMPLETED and resolution.round == 2


def test_reopen_refusals(scene):
    with pytest.raises(TransitionNotAllowed):  # still in progress
        resolution_reopen(resolution=scene["resolution"], actor=scene["committee"], reason="x")
    complete(scene)
    with pytest.raises(NotPermitted):
        resolution_reopen(resolution=scene["resolution"], actor=scene["property"], reason="x")
    with pytest.raises(NotPermitted):
        user = resident(scene["community"]).user
        resolution_reopen(resolution=scene["resolution"], actor=user, reason="x")
    with pytest.raises(InvalidInput):
        resolution_reopen(resolution=scene["resolution"], actor=scene["committee"], reason=" ")
    scene["resolution"].refresh_from_db()
    assert scene["resolution"].status == S.COMPLETED


# --- ratings ------------------------------------------------------------------------------------


def test_resident_rates_once(scene):
    complete(scene)
    member = resident(scene["community"])
    rating = rating_submit(
        resolution=scene["resolution"], member=member, score="satisfied", comment="修得好"
    )
    assert (rating.round, rating.channel, rating.entered_by) == (1, RatingChannel.ONLINE, None)
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=scene["resolution"], member=member, score="dissatisfied")
    assert err.value.code == "already_rated"
    assert Rating.objects.get().score == "satisfied"


def test_database_enforces_one_rating_per_round(scene):
    complete(scene)
    member = resident(scene["community"])
    Rating.objects.create(resolution=scene["resolution"], member=member, round=1, score="basic")
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(
            resolution=scene["resolution"], member=member, round=1, score="satisfied"
        )


def test_rating_refused_before_completion(scene):
    member = resident(scene["community"])
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=scene["resolution"], member=member, score="satisfied")
    assert err.value.code == "not_completed"


def test_rating_refused_after_window(scene):
    resolution = complete(scene)
    resolution.rating_closes_at = timezone.now() - dt.timedelta(seconds=1)
    resolution.save(update_fields=["rating_closes_at"])
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=resolution, member=resident(scene["community"]), score="basic")
    assert err.value.code == "window_closed"
    assert not Rating.objects.exists()


@pytest.mark.parametrize("who", ["property_staff", "other_community_resident", "nobody"])
def test_only_residents_of_the_community_rate(scene, who):
    complete(scene)
    member = {
        "property_staff": lambda: staff_member(scene["community"], Party.PROPERTY),
        "other_community_resident": lambda: resident(CommunityFactory()),
        "nobody": lambda: None,
    }[who]()
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=scene["resolution"], member=member, score="satisfied")
    assert err.value.code == "not_resident"


def test_bad_score_refused(scene):
    complete(scene)
    with pytest.raises(RatingRefused) as err:
        rating_submit(
            resolution=scene["resolution"], member=resident(scene["community"]), score="great"
        )
    assert err.value.code == "bad_score"


def test_followup_records_rating_marked_as_such(scene):
    complete(scene)
    member = resident(scene["community"])
    followup = followup_record(
        resolution=scene["resolution"],
        actor=scene["committee"],
        kind=FollowUpKind.CALL,
        member=member,
        note="电话回访,居民表示基本满意",
        score="basic",
        comment="希望加装照明",
    )
    rating = followup.ratings.get()
    assert (rating.channel, rating.entered_by, rating.member) == (
        RatingChannel.FOLLOWUP,
        scene["committee"],
        member,
    )
    # The same resident cannot rate the round again online.
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=scene["resolution"], member=member, score="satisfied")
    assert err.value.code == "already_rated"


def test_followup_permissions_and_refused_rating_stores_nothing(scene):
    member = resident(scene["community"])
    with pytest.raises(NotPermitted):
        followup_record(
            resolution=scene["resolution"], actor=scene["property"], kind=FollowUpKind.VISIT
        )
    # Before completion a rating gathered on a visit is refused and the visit is not stored.
    with pytest.raises(RatingRefused):
        followup_record(
            resolution=scene["resolution"],
            actor=scene["committee"],
            kind=FollowUpKind.VISIT,
            member=member,
            score="satisfied",
        )
    assert not scene["resolution"].followups.exists()
    # A visit without a rating is fine at any time.
    followup_record(
        resolution=scene["resolution"], actor=scene["committee"], kind=FollowUpKind.VISIT
    )
    assert scene["resolution"].followups.count() == 1


# --- automatic reopening ------------------------------------------------------------------------


def test_dissatisfaction_reopens_automatically_with_reason(scene):
    resolution = complete(scene)  # the community's threshold is 0.5
    rating_submit(resolution=resolution, member=resident(scene["community"]), score="dissatisfied")
    rating_submit(resolution=resolution, member=resident(scene["community"]), score="satisfied")
    resolution.refresh_from_db()
    assert resolution.status == S.COMPLETED  # 2 ratings: below the minimum sample
    rating_submit(resolution=resolution, member=resident(scene["community"]), score="dissatisfied")
    resolution.refresh_from_db()
    assert resolution.status == S.REOPENED
    assert resolution.round == 2
    step = ResolutionTransition.objects.filter(resolution=resolution).last()
    assert step.automatic and step.actor is None
    assert step.to_status == S.REOPENED
    assert "不满意 2 人" in step.note and "66.7%" in step.note and "50" in step.note
    # The reopened resolution takes no more ratings until it is completed again.
    with pytest.raises(RatingRefused) as err:
        rating_submit(resolution=resolution, member=resident(scene["community"]), score="basic")
    assert err.value.code == "not_completed"


def test_satisfied_majority_does_not_reopen(scene):
    resolution = complete(scene)
    for score in ["satisfied", "basic", "dissatisfied", "satisfied"]:
        rating_submit(resolution=resolution, member=resident(scene["community"]), score=score)
    resolution.refresh_from_db()
    assert resolution.status == S.COMPLETED


def test_new_round_is_rated_afresh(scene):
    member = resident(scene["community"])
    complete(scene)
    rating_submit(resolution=scene["resolution"], member=member, score="dissatisfied")
    resolution_reopen(resolution=scene["resolution"], actor=scene["committee"], reason="返工")
    complete(scene)
    rating = rating_submit(resolution=scene["resolution"], member=member, score="satisfied")
    assert rating.round == 2
    assert Rating.objects.filter(member=member).count() == 2
