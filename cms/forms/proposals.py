"""HTML forms of the public proposal pages. They only parse input; services decide."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cms.forms.fields import MultipleFileField
from deliberation.i18n import interpolate_lazy
from deliberation.models import (
    Building,
    Category,
    Channel,
    Community,
    Party,
    ProposalStatus,
    SharingRule,
)
from deliberation.photos import MAX_PHOTOS
from deliberation.registry import selectors as registry_selectors
from deliberation.registry.selectors import ResidentHit

OPTION_SLOTS = 3  # blank option blocks offered without JavaScript; empty ones are ignored


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    # No preselected category: the resident (or the staff member typing for them) picks one.
    category = forms.ChoiceField(
        label=_("类别"), choices=[("", _("请选择类别")), *Category.choices]
    )
    location = forms.CharField(label=_("地点"), max_length=120, required=False)
    photos = MultipleFileField(
        label=interpolate_lazy(_("照片(最多 %(count)s 张,每张不超过 10 MB)"), count=MAX_PHOTOS),
        required=False,
    )
    show_full_name = forms.BooleanField(label=_("公开显示我的全名"), required=False)


class OnBehalfForm(forms.Form):
    """Staff entering a matter for a resident: the channel and the resident, found by unit,
    name or phone (an elder without a phone is found by name or unit). Several matches: the
    form comes back with them to pick one (``resident_member``). ``cleaned_data["author"]`` is
    the resident's ``Member``."""

    on_behalf = forms.BooleanField(label=_("代居民录入"), required=False)
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[("", "—")] + [c for c in Channel.choices if c[0] != Channel.ONLINE],
        required=False,
    )
    resident = forms.CharField(
        label=_("居民(房号、姓名或手机号)"),
        help_text=_("例如 3号楼-201、张秀英 或手机号后四位"),
        max_length=40,
        required=False,
    )
    resident_member = forms.TypedChoiceField(
        label=_("找到多位居民,请选择一位"),
        coerce=int,
        choices=[],
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.community = community
        self.hits: list[ResidentHit] = []
        if self.is_bound:
            query = self.data.get(self.add_prefix("resident"), "")
            self.hits = registry_selectors.resident_lookup(community=community, query=query)
        picker = self.fields["resident_member"]
        assert isinstance(picker, forms.TypedChoiceField)
        if len(self.hits) > 1:
            picker.choices = [(hit.member.pk, hit.label) for hit in self.hits]
        else:
            del self.fields["resident_member"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if not data.get("on_behalf"):
            return data
        if not data.get("channel"):
            self.add_error("channel", _("请注明渠道。"))
        if not (data.get("resident") or "").strip():
            self.add_error("resident", _("请填写居民的房号、姓名或手机号。"))
        elif data.get("resident_member"):
            data["author"] = registry_selectors.resident_get(
                community=self.community, member_id=data["resident_member"]
            )
        elif len(self.hits) == 1:
            data["author"] = self.hits[0].member
        elif not self.hits:
            self.add_error("resident", _("本社区没有找到这位居民,请换个写法(例如 3号楼-201)。"))
        else:
            self.add_error("resident_member", _("请从找到的居民中选择一位。"))
        return data


class OptionForm(forms.Form):
    title = forms.CharField(label=_("方案名称"), max_length=120, required=False)
    description = forms.CharField(
        label=_("方案说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    cost_estimate = forms.DecimalField(
        label=_("估算费用(元)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    sharing_rule = forms.ChoiceField(
        label=_("费用分摊方式"), choices=[("", "—"), *SharingRule.choices], required=False
    )
    paying_party = forms.ChoiceField(
        label=_("承担方"),
        choices=[("", "—")] + [c for c in Party.choices if c[0] != Party.RESIDENT],
        required=False,
    )
    scope_building = forms.ModelChoiceField(
        label=_("分摊范围(楼栋,不选则全小区)"), queryset=Building.objects.none(), required=False
    )
    pros = forms.CharField(
        label=_("优点"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    cons = forms.CharField(
        label=_("缺点"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    image = forms.FileField(label=_("示意图"), required=False)

    def __init__(self, *args: Any, community: Community, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = self.fields["scope_building"]
        assert isinstance(scope, forms.ModelChoiceField)
        scope.queryset = Building.objects.filter(community=community)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("title") or "").strip()


EVERYTHING = ("", _("全部"))


class SearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    status = forms.ChoiceField(
        label=_("状态"), choices=[EVERYTHING, *ProposalStatus.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("类别"), choices=[EVERYTHING, *Category.choices], required=False
    )
    party = forms.ChoiceField(
        label=_("提出方"), choices=[EVERYTHING, *Party.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("渠道"), choices=[EVERYTHING, *Channel.choices], required=False
    )
