"""Polls, options and ballots (the django-polls vocabulary, owned here; see DESIGN.md)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from deliberation.models import Community, Proposal, ProposalOption, Resolution


class Kind(models.TextChoices):
    DELIBERATIVE = "deliberative", _("议事会表决")
    OWNERS = "owners", _("业主共同决定")


class Electorate(models.TextChoices):
    OWNERS = "owners", _("业主(按专有部分)")
    RESIDENTS = "residents", _("居民(一人一票)")
    ATTENDEES = "attendees", _("到会人员")
    MEMBERS = "members", _("议事会成员")


class Method(models.TextChoices):
    SINGLE = "single", _("单选")
    APPROVAL = "approval", _("多选(认可投票)")
    YESNO = "yesno", _("赞成/反对/弃权")
    RANKED = "ranked", _("排序复选(即时决选)")


class Rule(models.TextChoices):
    PLURALITY = "plurality", _("相对多数")
    MAJORITY = "majority", _("多数(按设定比例)")
    OWNERS_ORDINARY = "owners_ordinary", _("业主共同决定一般事项(双过半)")
    OWNERS_SPECIAL = "owners_special", _("业主共同决定重大事项(双四分之三)")


class Secrecy(models.TextChoices):
    NAMED = "named", _("实名")
    SECRET = "secret", _("不记名")


class ChangePolicy(models.TextChoices):
    """Whether a voter may change their ballot before close (fixed when the poll opens)."""

    NEVER = "never", _("投票后不能更改")
    ONCE = "once", _("截止前可更改一次")
    UNTIL_CLOSE = "until_close", _("截止前可多次更改,以最后一次为准")


class PollStatus(models.TextChoices):
    DRAFT = "draft", _("未开始")
    OPEN = "open", _("表决中")
    CLOSED = "closed", _("已截止(公示中)")
    FINAL = "final", _("最终结果")


class PollSuspension(models.TextChoices):
    """An open poll's voting suspended by staff (``poll_pause``; ``poll_resume`` lifts it).

    The poll stays ``open``: its period, chain and ballots are untouched, only casting is gated.
    """

    NONE = "", _("正常进行")
    # Every channel stops (e.g. a dispute over the ballot paper, a court order).
    PAUSED = "paused", _("暂停表决")
    # Only the online channel stops (the platform is down or under upgrade); staff go on
    # entering paper, proxy, in-person and phone ballots.
    OUTAGE = "outage", _("网上表决暂停(纸质票等继续录入)")


class ChainScheme(models.IntegerChoices):
    """How a poll's ballot chain is sealed; fixed when the poll opens (docs/ballot-chain.md)."""

    # Polls opened before keyed chains: sha256 links only, verifiable, not proof against a
    # database writer.
    UNKEYED = 0, _("未加密钥(旧表决)")
    # Every link and the head also carry an HMAC-SHA256 with SIFANG_BALLOT_CHAIN_KEY.
    HMAC_SHA256 = 1, _("密钥签名(HMAC-SHA256)")


class Poll(models.Model):
    """A vote. Rule and electorate denominators freeze when it opens."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="polls", verbose_name=_("社区")
    )
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="polls",
        verbose_name=_("议题"),
    )
    question = models.CharField(_("表决事项"), max_length=200)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    electorate = models.CharField(_("表决范围"), max_length=10, choices=Electorate.choices)
    method = models.CharField(_("表决方式"), max_length=10, choices=Method.choices)
    rule = models.CharField(_("通过规则"), max_length=16, choices=Rule.choices)
    # ``majority``: approving share of participating ballots must exceed num/den (or reach it
    # when ``majority_inclusive``).
    majority_numerator = models.PositiveSmallIntegerField(_("多数比例(分子)"), default=1)
    majority_denominator = models.PositiveSmallIntegerField(_("多数比例(分母)"), default=2)
    majority_inclusive = models.BooleanField(_("达到该比例即通过(含等于)"), default=False)
    secrecy = models.CharField(
        _("记名方式"), max_length=8, choices=Secrecy.choices, default=Secrecy.NAMED
    )
    opens_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    closes_at = models.DateTimeField(_("截止时间"), null=True, blank=True)
    show_running_tally = models.BooleanField(_("表决中显示实时计票"), default=False)
    # Rules declared per vote, printed on the ballot and notices, fixed at open (frozen_spec).
    change_policy = models.CharField(
        _("改票规则"),
        max_length=12,
        choices=ChangePolicy.choices,
        default=ChangePolicy.NEVER,
        db_default=ChangePolicy.NEVER,
    )
    receipts_enabled = models.BooleanField(_("向投票人提供回执码"), default=True, db_default=True)
    public_ballot_list = models.BooleanField(
        _("截止后公布投票清单(房号与面积,不含姓名)"), default=False, db_default=False
    )
    status = models.CharField(
        _("状态"), max_length=8, choices=PollStatus.choices, default=PollStatus.DRAFT
    )
    # Frozen at open: the electorate (voters with headcount and area) and its totals.
    frozen_electorate = models.JSONField(default=list, blank=True)
    total_headcount = models.PositiveIntegerField(null=True, blank=True)
    total_area = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    suspension = models.CharField(
        _("暂停状态"),
        max_length=8,
        choices=PollSuspension.choices,
        blank=True,
        default=PollSuspension.NONE,
        db_default=PollSuspension.NONE,
    )
    suspended_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    suspension_reason = models.TextField(_("暂停原因"), blank=True, default="", db_default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    objection_until = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    # Attendees' polls: the user ids the caller (a meeting) declares eligible; votes never
    # imports meetings, so the list is handed in and frozen at open.
    eligible_user_ids = models.JSONField(default=list, blank=True)
    # Whether the final verdict moves the proposal to decided / not_adopted.
    decides_proposal = models.BooleanField(_("表决结果决定议题"), default=False)
    # Frozen at open: rule, method, majority share, kind, electorate, secrecy, option ids, the
    # community's deeming setting. Counting reads this, never the editable fields above.
    frozen_spec = models.JSONField(default=dict, blank=True)
    # Last chain position handed out and its hash; both move only under the poll's row lock.
    ballot_seq = models.PositiveIntegerField(default=0)
    chain_head = models.CharField(max_length=64, blank=True)
    chain_scheme = models.PositiveSmallIntegerField(
        choices=ChainScheme.choices, default=ChainScheme.UNKEYED, db_default=ChainScheme.UNKEYED
    )
    # HMAC of (ballot_seq, chain_head) under the chain key: a truncated chain shows.
    chain_head_mac = models.CharField(max_length=64, blank=True, default="", db_default="")
    preliminary_result = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    resolution = models.ForeignKey(
        Resolution, on_delete=models.SET_NULL, null=True, blank=True, related_name="polls"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("表决")
        verbose_name_plural = _("表决")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question

    @property
    def is_paused(self) -> bool:
        """Open, with every channel suspended."""
        return self.status == PollStatus.OPEN and self.suspension == PollSuspension.PAUSED

    @property
    def is_online_suspended(self) -> bool:
        """Open, with online casting suspended (a pause or an outage of the online channel)."""
        return self.status == PollStatus.OPEN and self.suspension != PollSuspension.NONE

    @property
    def stage_label(self) -> str:
        """The status as people read it: a paused or outage poll, a preliminary result (owners'
        polls during the objection period), a final one."""
        if self.status == PollStatus.OPEN and self.suspension:
            return str(PollSuspension(self.suspension).label)
        if self.status == PollStatus.CLOSED and self.kind == Kind.OWNERS:
            return str(_("初步结果(公示期)"))
        return str(self.get_status_display())


class Option(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=120)
    proposal_option = models.ForeignKey(
        ProposalOption, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # For yes/no polls: which option means approval, against, abstention.
    meaning = models.CharField(max_length=8, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def __str__(self) -> str:
        return self.label


class BallotChannel(models.TextChoices):
    ONLINE = "online", _("网上")
    PAPER = "paper", _("纸质票(工作人员录入)")
    PROXY = "proxy", _("委托代投(工作人员录入)")
    IN_PERSON = "in_person", _("现场")
    DOOR = "door", _("入户(扫楼人员录入)")
    PHONE = "phone", _("电话表决(工作人员录入)")


class Ballot(models.Model):
    """One voter's choice, one link of the poll's hash chain.

    For secret polls ``voter_key``, ``channel`` and ``entered_by`` stay empty: who took part is
    in ``Participation`` only, and nothing links the two (see ``votes/services.py``).
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots")
    voter_key = models.CharField(max_length=40, null=True, blank=True)
    choice = models.JSONField()
    headcount = models.PositiveIntegerField(default=1)
    area = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    channel = models.CharField(max_length=10, choices=BallotChannel.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    receipt = models.CharField(max_length=24)
    # HMAC-SHA256 of the link under the chain key (keyed polls); empty for unkeyed polls.
    mac = models.CharField(max_length=64, blank=True, default="", db_default="")
    # 1 for the first ballot; a change (``Poll.change_policy``) moves the row to the chain's
    # end with the next version, the earlier link kept as a ``BallotVersion``.
    version = models.PositiveSmallIntegerField(default=1, db_default=1)

    class Meta:
        ordering = ["poll", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter_key"], name="ballot_one_per_voter"),
            models.UniqueConstraint(fields=["poll", "seq"], name="ballot_chain_position"),
        ]


class BallotVersion(models.Model):
    """A superseded ballot: the chain link as it was before the voter changed it.

    Kept so the chain still verifies (``verify_chain`` reads ballots and versions together)
    and so the audit log holds every version; never counted.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballot_versions")
    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="versions")
    voter_key = models.CharField(max_length=40, null=True, blank=True)
    choice = models.JSONField()
    headcount = models.PositiveIntegerField()
    area = models.DecimalField(max_digits=12, decimal_places=2)
    channel = models.CharField(max_length=10, choices=BallotChannel.choices, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    seq = models.PositiveIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    receipt = models.CharField(max_length=24)
    mac = models.CharField(max_length=64, blank=True, default="")
    version = models.PositiveSmallIntegerField()
    superseded_at = models.DateTimeField()

    class Meta:
        ordering = ["poll", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "seq"], name="ballotversion_chain_position"),
            models.UniqueConstraint(fields=["ballot", "version"], name="ballotversion_once"),
        ]


class Participation(models.Model):
    """Who took part (for secret polls, kept apart from what was chosen; for named polls too).

    No timestamp and a random primary key: neither reveals the order of casting, so a row
    cannot be matched to a ballot's chain position. The unique constraint is the one-vote guard
    for secret polls.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="participations")
    voter_key = models.CharField(max_length=40)
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=BallotChannel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    proxy_note = models.TextField(blank=True)
    # The receipt sealed under the request's ``ref`` (``votes.audit.ref_seal``), so a client that
    # lost its acknowledgement and re-sends the same ref gets the same receipt back. Unreadable
    # without both the ref and the chain key; emptied when the poll closes.
    ref_seal = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["poll", "voter_key"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "voter_key"], name="participation_once")
        ]


class ProxyLetter(models.Model):
    """A written proxy (授权委托书): a principal authorises a holder for some polls.

    ``principal_key`` is the principal's electorate key (the same key in every poll of the
    community with that electorate). The scope is the polls it names, one
    ``ProxyAuthorisation`` each, with that poll's instruction. Revocation is logged here and
    on every authorisation it ends.
    """

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="proxy_letters", verbose_name=_("社区")
    )
    principal_key = models.CharField(_("委托人(表决编号)"), max_length=40)
    principal_label = models.CharField(_("委托人房号"), max_length=200, blank=True)
    holder_name = models.CharField(_("受托人姓名"), max_length=60)
    # The holder's identity for the cap: phone digits, so one person is one holder.
    holder_phone = models.CharField(_("受托人电话"), max_length=20)
    scan = models.FileField(_("授权委托书扫描件"), upload_to="proxies/%Y/%m/")
    note = models.TextField(_("说明"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.TextField(_("撤销理由"), blank=True)

    class Meta:
        verbose_name = _("授权委托书")
        verbose_name_plural = _("授权委托书")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.principal_label or self.principal_key} → {self.holder_name}"


class ProxyAuthorisation(models.Model):
    """A principal's written authorisation (授权委托书) for one poll.

    While it stands (not revoked) the principal cannot vote themself; staff enter the proxy's
    ballot, which must follow ``instruction`` when one is given. ``letter`` is empty for the
    authorisations noted at paper entry without a registered letter.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="proxies")
    voter_key = models.CharField(max_length=40)
    proxy_name = models.CharField(_("受托人"), max_length=60, blank=True)
    note = models.TextField(_("授权说明"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    letter = models.ForeignKey(
        ProxyLetter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorisations",
    )
    # The holder's phone digits, copied from the letter: the cap counts per poll and holder.
    holder_key = models.CharField(max_length=20, blank=True, default="", db_default="")
    # The choice the proxy's ballot must carry (normalised, as ``normalise_choice`` returns
    # it); None: the holder decides.
    instruction = models.JSONField(_("表决指示"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("委托授权")
        verbose_name_plural = _("委托授权")
        constraints = [
            models.UniqueConstraint(
                fields=["poll", "voter_key"],
                condition=models.Q(revoked_at__isnull=True),
                name="proxy_once_per_voter",
            )
        ]


class PollEventKind(models.TextChoices):
    CREATED = "created", _("创建")
    OPENED = "opened", _("开始表决(公布基数)")
    EXTENDED = "extended", _("延长表决期")
    CLOSED = "closed", _("截止(公布初步结果)")
    FINALISED = "finalised", _("公布最终结果")
    REOPENED = "reopened", _("误截止后重新开放")
    NOTE = "note", _("说明")
    PAUSED = "paused", _("暂停表决")
    OUTAGE = "outage", _("网上表决暂停(纸质票等继续录入)")
    RESUMED = "resumed", _("恢复表决")
    OBJECTION = "objection", _("收到异议")
    ANSWERED = "answered", _("答复异议")


class PollEvent(models.Model):
    """The poll's public log: opening, extensions, preliminary and final results."""

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=PollEventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]


class ObjectionChannel(models.TextChoices):
    """How an objection to a preliminary result reached the committee."""

    IN_PERSON = "in_person", _("来访")
    LETTER = "letter", _("书面信函")
    PHONE = "phone", _("电话")
    ONLINE = "online", _("网上留言")
    BOX = "box", _("意见箱")


class PollObjection(models.Model):
    """An objection (异议) to an owners' poll's preliminary result, received during (or after)
    its objection period, and the committee's answer. Recorded and answered by committee staff
    (``votes.services.objections``); the final result is refused while one stands unanswered.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="objections")
    objector_name = models.CharField(_("异议人"), max_length=60)
    unit_label = models.CharField(_("房号"), max_length=60, blank=True)
    text = models.TextField(_("异议内容"))
    channel = models.CharField(_("提出方式"), max_length=10, choices=ObjectionChannel.choices)
    received_at = models.DateTimeField(_("收到时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    recorded_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("答复人"),
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("表决异议")
        verbose_name_plural = _("表决异议")
        ordering = ["poll", "received_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(answered_at__isnull=True, answer="")
                    | (models.Q(answered_at__isnull=False) & ~models.Q(answer=""))
                ),
                name="objection_answer_complete",
            )
        ]

    def __str__(self) -> str:
        return f"{self.objector_name} {self.unit_label}".strip()

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def is_late(self) -> bool:
        """Received after the objection period ended."""
        until = self.poll.objection_until
        return until is not None and self.received_at > until


class PublicationReason(models.TextChoices):
    OPENED = "opened", _("开始表决")
    PERIODIC = "periodic", _("表决中定时公布")
    CLOSED = "closed", _("截止")
    REOPENED = "reopened", _("重新开放")
    MANUAL = "manual", _("工作人员公布")


class ChainHeadPublication(models.Model):
    """A chain head published with its time: after ``seq`` ballots the chain ended in ``head``.

    Shown on the poll's public chain page for residents to save or print; ``verify_ballots``
    checks the chain against every row (and against heads residents saved). ``mac`` binds the
    row to the chain key, so a database writer without the key cannot add or re-date one.
    """

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="chain_publications")
    seq = models.PositiveIntegerField()
    head = models.CharField(max_length=64)
    reason = models.CharField(max_length=10, choices=PublicationReason.choices)
    published_at = models.DateTimeField()
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("选票链末端公布")
        verbose_name_plural = _("选票链末端公布")
        ordering = ["poll", "published_at", "pk"]
        indexes = [models.Index(fields=["poll", "published_at"], name="chainpub_poll_time")]


# The campaign's models live in their own module (issue 15: canvassing, entries, calls).
from votes.campaign.models import (  # noqa: E402, F401
    BallotEntry,
    CallOutcome,
    CampaignRules,
    CampaignUnit,
    CanvassAssignment,
    EntryStatus,
    PhoneCall,
)
