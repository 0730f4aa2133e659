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

OPTION_SLOTS = 3  # blank option blocks offered without JavaScript; empty ones are ignored


class ProposalForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 6}))
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)
    location = forms.CharField(label=_("地点"), max_length=120, required=False)
    photos = MultipleFileField(
        label=interpolate_lazy(_("照片(最多 %(count)s 张,每张不超过 10 MB)"), count=MAX_PHOTOS),
        required=False,
    )
    show_full_name = forms.BooleanField(label=_("公开显示我的全名"), required=False)


class OnBehalfForm(forms.Form):
    """Staff entering a matter for a resident: the channel and the resident (by phone)."""

    on_behalf = forms.BooleanField(label=_("代居民录入"), required=False)
    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[("", "—")] + [c for c in Channel.choices if c[0] != Channel.ONLINE],
        required=False,
    )
    resident_phone = forms.CharField(label=_("居民手机号"), max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("on_behalf"):
            if not data.get("channel"):
                self.add_error("channel", _("请注明渠道。"))
            if not data.get("resident_phone"):
                self.add_error("resident_phone", _("请填写居民手机号。"))
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
