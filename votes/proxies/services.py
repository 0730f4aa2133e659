"""Writes of written proxies (授权委托书): register a letter for some polls, revoke it.

A letter names a principal (an electorate key), a holder (name and phone), a scan of the
signed letter, and a scope: the polls it covers, each with an optional instruction (the choice
the holder's ballot must carry; ``ballot_cast`` refuses a contradicting proxy ballot). The
community's ``proxy_cap`` bounds how many principals one holder represents in one poll; the
count is taken under the poll's row lock, so two registrations racing for the last place
cannot both pass. Revocation is logged on the letter (who, when, why) and ends every
authorisation it gave; the principal may then vote themself.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deliberation.exceptions import InvalidInput
from deliberation.models import Community, User
from deliberation.photos import MAX_BYTES, clean_photo
from votes.electorate import build_electorate, electorate_index
from votes.exceptions import VoteRefused
from votes.models import (
    Participation,
    Poll,
    PollStatus,
    ProxyAuthorisation,
    ProxyLetter,
)
from votes.services.casting import LOCK_FIELDS, normalise_choice

PDF_MAGIC = b"%PDF-"


def holder_key(phone: str) -> str:
    """The holder's identity for the cap: the phone's digits (the last 11 for a mobile)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return digits[-11:]


def clean_scan(upload: IO[bytes]) -> ContentFile:
    """The letter's scan, checked by content: a PDF (kept as sent) or a photo (re-encoded
    without metadata). At most 10 MB. Raises ``InvalidInput`` (field ``scan``)."""
    name = getattr(upload, "name", "") or "scan"
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > MAX_BYTES:
        message = _("授权委托书扫描件超过 10 MB。")
        raise InvalidInput(message, fields={"scan": [message]})
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        data = upload.read()
        if b"%%EOF" not in data[-2048:]:
            message = _("“%(name)s”不是完整的 PDF 文件。") % {"name": name}
            raise InvalidInput(message, fields={"scan": [message]})
        return ContentFile(data, name="letter.pdf")
    try:
        photo = clean_photo(upload, name="letter")
    except InvalidInput as exc:
        message = _("授权委托书扫描件须为 PDF 或图片(JPEG、PNG)。")
        raise InvalidInput(message, fields={"scan": [message]}) from exc
    return photo.content


def _principal_in(poll: Poll, key: str) -> bool:
    if poll.status == PollStatus.DRAFT:
        return any(voter["key"] == key for voter in build_electorate(poll=poll))
    return key in electorate_index(poll).voters


def proxy_letter_register(
    *,
    community: Community,
    principal_key: str,
    holder_name: str,
    holder_phone: str,
    scan: IO[bytes],
    polls: Sequence[Poll],
    actor: User,
    instructions: Mapping[int, Any] | None = None,
    note: str = "",
) -> ProxyLetter:
    """Register a written proxy for ``polls`` (drafts or open polls of ``community``).

    ``instructions`` maps a poll id to the choice payload the holder must cast there (as
    ``ballot_cast`` takes it), or omits it. Raises ``InvalidInput`` with field errors (missing
    holder, bad scan, no poll, a poll elsewhere or closed, a bad instruction, the principal
    outside a poll's electorate, already voted or already represented, or the holder at the
    community's cap in a poll). Nothing is stored unless every poll accepts it.
    """
    holder_name, key = holder_name.strip(), holder_key(holder_phone)
    errors: dict[str, list[str]] = {}
    if not holder_name:
        errors["holder_name"] = [_("请填写受托人姓名")]
    if len(key) < 7:
        errors["holder_phone"] = [_("请填写受托人的电话号码")]
    if not principal_key.strip():
        errors["principal_key"] = [_("请选择委托人(房号)")]
    if not polls:
        errors["polls"] = [_("请至少选择一项表决")]
    if errors:
        raise InvalidInput(_("授权委托书信息不完整"), fields=errors)
    content = clean_scan(scan)
    instructions = dict(instructions or {})
    with transaction.atomic():
        locked = list(
            Poll.objects.select_for_update()
            .only(*LOCK_FIELDS, "electorate", "kind", "question", "eligible_user_ids")
            .select_related("community")
            .filter(pk__in=sorted({p.pk for p in polls}))
            .order_by("pk")
        )
        cap = Community.objects.values_list("proxy_cap", flat=True).get(pk=community.pk)
        label = ""
        problems: list[str] = []
        normalised: dict[int, Any] = {}
        for poll in locked:
            name = poll.question
            if poll.community_id != community.pk:
                problems.append(_("“%(poll)s”不属于本社区") % {"poll": name})
                continue
            if poll.status not in (PollStatus.DRAFT, PollStatus.OPEN):
                problems.append(_("“%(poll)s”已截止,不能再委托") % {"poll": name})
                continue
            if not _principal_in(poll, principal_key):
                problems.append(_("委托人不在“%(poll)s”的表决范围内") % {"poll": name})
                continue
            if Participation.objects.filter(poll=poll, voter_key=principal_key).exists():
                problems.append(_("委托人已在“%(poll)s”中投票") % {"poll": name})
                continue
            active = ProxyAuthorisation.objects.filter(poll=poll, revoked_at__isnull=True)
            if active.filter(voter_key=principal_key).exists():
                problems.append(_("委托人在“%(poll)s”中已有有效的委托") % {"poll": name})
                continue
            if active.filter(holder_key=key).count() >= cap:
                problems.append(
                    _("受托人在“%(poll)s”中已代理 %(cap)s 户,达到本社区规定的上限")
                    % {"poll": name, "cap": cap}
                )
                continue
            if poll.pk in instructions and instructions[poll.pk] is not None:
                option_ids = list(poll.options.values_list("pk", flat=True))
                try:
                    normalised[poll.pk] = normalise_choice(
                        poll.method,
                        instructions[poll.pk],
                        option_ids,
                        (poll.frozen_spec or {}).get("rule", poll.rule),
                    )
                except VoteRefused as refused:
                    problems.append(
                        _("“%(poll)s”的表决指示不正确:%(why)s")
                        % {"poll": name, "why": refused.message}
                    )
                    continue
            label = label or _voter_label(poll, principal_key)
        if len(locked) != len({p.pk for p in polls}):
            problems.append(_("所选表决不存在"))
        if problems:
            raise InvalidInput(_("不能登记该授权委托书"), fields={"polls": problems})
        letter = ProxyLetter(
            community=community,
            principal_key=principal_key,
            principal_label=label[:200],
            holder_name=holder_name[:60],
            holder_phone=key,
            note=note.strip(),
            entered_by=actor,
        )
        letter.scan.save(content.name or "letter", content, save=False)
        letter.save()
        try:
            with transaction.atomic():
                ProxyAuthorisation.objects.bulk_create(
                    ProxyAuthorisation(
                        poll=poll,
                        voter_key=principal_key,
                        proxy_name=holder_name[:60],
                        note=_("书面授权委托书 #%(id)s") % {"id": letter.pk},
                        entered_by=actor,
                        letter=letter,
                        holder_key=key,
                        instruction=normalised.get(poll.pk),
                    )
                    for poll in locked
                )
        except IntegrityError as exc:
            message = _("委托人已有有效的委托")
            raise InvalidInput(message, fields={"polls": [message]}) from exc
    return letter


def _voter_label(poll: Poll, key: str) -> str:
    voters = poll.frozen_electorate or (
        build_electorate(poll=poll) if poll.status == PollStatus.DRAFT else []
    )
    for voter in voters:
        if voter["key"] == key:
            units = [unit.get("label", "") for unit in voter.get("units", [])]
            return "、".join(u for u in units if u) or key
    return key


def proxy_letter_revoke(*, letter: ProxyLetter, actor: User, reason: str) -> ProxyLetter:
    """Revoke a letter: logged with who, when and why; its standing authorisations end, so the
    holder can no longer vote for the principal and the principal may vote themself. Ballots
    the holder already cast stay (a change follows the poll's change policy). Raises
    ``InvalidInput`` without a reason or when already revoked."""
    if not reason.strip():
        message = _("请填写撤销理由")
        raise InvalidInput(message, fields={"reason": [message]})
    with transaction.atomic():
        locked = ProxyLetter.objects.select_for_update().get(pk=letter.pk)
        if locked.revoked_at is not None:
            message = _("该授权委托书已经撤销")
            raise InvalidInput(message, fields={"reason": [message]})
        poll_ids = sorted(
            locked.authorisations.filter(revoked_at__isnull=True).values_list("poll_id", flat=True)
        )
        # Serialise with casting: a proxy ballot either commits before the revocation or is
        # refused after it.
        list(Poll.objects.select_for_update().filter(pk__in=poll_ids).order_by("pk").only("pk"))
        now = timezone.now()
        locked.revoked_at, locked.revoked_by, locked.revoke_reason = now, actor, reason.strip()
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        locked.authorisations.filter(revoked_at__isnull=True).update(revoked_at=now)
    return locked
