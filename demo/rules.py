"""Demo of the rules declared per vote and of written proxies (issue 15 points 3 and 4).

An open owners' poll that allows one change, with receipts and a public ballot list, and a
registered 授权委托书 with an instruction; a closed poll whose ballot list is public (one owner
changed their ballot before close). One roster owner gets the demo password so a resident can
walk the vote, the change and the receipt check. Idempotent, like the other demo modules.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from deliberation.models import Community, User
from demo.registry import DEMO_PASSWORD
from votes import services
from votes.models import BallotChannel, ChangePolicy, Electorate, Kind, Method, Poll, Rule
from votes.proxies.services import proxy_letter_register

GATE_QUESTION = "更换小区大门门禁系统(业主共同决定)"
BENCH_QUESTION = "公共区域增设休闲座椅(业主共同决定)"
DEMO_OWNER_PHONE = "13900000001"


def _scan() -> SimpleUploadedFile:
    """A stand-in for the signed letter's scan: an A4-shaped page with ruled lines."""
    page = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(page)
    for y in range(120, 800, 48):
        draw.line((60, y, 560, y), fill=(180, 180, 180), width=2)
    draw.rectangle((380, 700, 560, 780), outline=(200, 0, 0), width=4)  # the signature box
    out = io.BytesIO()
    page.save(out, format="PNG")
    return SimpleUploadedFile("letter.png", out.getvalue(), content_type="image/png")


def _owner_login(phone: str) -> User | None:
    user = User.objects.filter(phone=phone).first()
    if user is not None and not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _owners_poll(community: Community, staff: User, question: str, **rules: object) -> Poll:
    poll = services.poll_create(
        community=community,
        question=question,
        kind=Kind.OWNERS,
        electorate=Electorate.OWNERS,
        method=Method.YESNO,
        rule=Rule.OWNERS_ORDINARY,
        actor=staff,
        closes_at=timezone.now() + dt.timedelta(days=10),
        **rules,  # type: ignore[arg-type]
    )
    return services.poll_open(poll=poll, actor=staff)


@transaction.atomic
def seed_rules(community: Community) -> list[Poll]:
    staff = User.objects.filter(memberships__community=community, username="committee").first()
    if staff is None:
        return []
    demo_owner = _owner_login(DEMO_OWNER_PHONE)
    polls = []
    gate = Poll.objects.filter(community=community, question=GATE_QUESTION).first()
    if gate is None:
        gate = _owners_poll(
            community,
            staff,
            GATE_QUESTION,
            change_policy=ChangePolicy.ONCE,
            receipts_enabled=True,
            public_ballot_list=True,
        )
        yes, no, _abstain = gate.options.order_by("sort_order", "pk").values_list("pk", flat=True)
        voters = [v for v in gate.frozen_electorate if v["user_ids"]]
        skip = {demo_owner.pk} if demo_owner else set()
        principal = None
        for index, voter in enumerate(voters[:60]):
            if skip & set(voter["user_ids"]):
                continue
            if principal is None and index > 3:
                principal = voter["key"]
                continue
            if index % 3 == 0:
                continue
            choice = yes if index % 4 else no
            voter_user = User.objects.get(pk=voter["user_ids"][0])
            services.ballot_cast(poll=gate, voter=voter_user, choice={"choice": choice})
        if principal is not None:
            proxy_letter_register(
                community=community,
                principal_key=principal,
                holder_name="张明(业主之子)",
                holder_phone="13600001234",
                scan=_scan(),
                polls=[gate],
                instructions={gate.pk: {"choice": yes}},
                note="业主在外地工作,书面委托其子代为表决;原件存居委会。",
                actor=staff,
            )
            services.ballot_cast(
                poll=gate,
                voter=principal,
                choice={"choice": yes},
                channel=BallotChannel.PROXY,
                entered_by=staff,
            )
    polls.append(gate)
    bench = Poll.objects.filter(community=community, question=BENCH_QUESTION).first()
    if bench is None:
        bench = _owners_poll(
            community,
            staff,
            BENCH_QUESTION,
            change_policy=ChangePolicy.UNTIL_CLOSE,
            public_ballot_list=True,
        )
        yes, no, abstain = bench.options.order_by("sort_order", "pk").values_list("pk", flat=True)
        voters = [v for v in bench.frozen_electorate if v["user_ids"]]
        for index, voter in enumerate(voters):
            if index % 7 == 6:
                continue  # does not take part
            user = User.objects.get(pk=voter["user_ids"][0])
            choice = abstain if index % 11 == 5 else no if index % 5 == 2 else yes
            services.ballot_cast(poll=bench, voter=user, choice={"choice": choice})
            if index == 2:  # changed their mind before close: the last ballot counts
                services.ballot_cast(poll=bench, voter=user, choice={"choice": yes})
        bench = services.poll_close(poll=bench, actor=staff)
    polls.append(bench)
    return polls
