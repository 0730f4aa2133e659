"""Forms of dispatch: the unit's claim / return / feedback / completion, the dispatchers' send
and transfer, the register of units and the street's time limits."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from deliberation.models import Category, Community, ResponsibleUnit, UnitKind

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class ClaimForm(forms.Form):
    """实名认领: no field; the signed-in person is the one who claims."""


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退件理由"),
        widget=TEXTAREA,
        max_length=2000,
        help_text=_("请说明为什么不属于本单位职责,以及建议由哪个单位办理。"),
    )


class FeedbackForm(forms.Form):
    note = forms.CharField(label=_("办理进展"), widget=TEXTAREA, max_length=2000)


class CompleteForm(forms.Form):
    report = forms.CharField(label=_("办结情况"), widget=TEXTAREA, max_length=2000)


UNIT_FORMS: dict[str, type[forms.Form]] = {
    "claim": ClaimForm,
    "return": ReturnForm,
    "feedback": FeedbackForm,
    "complete": CompleteForm,
}


class _UnitChoice(forms.Form):
    """A unit chosen by id among every active unit: one that does not serve the community gets
    the service's clear refusal rather than a bare "not a valid choice"."""

    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=ResponsibleUnit.objects.none())
    note = forms.CharField(label=_("说明"), widget=TEXTAREA, max_length=2000, required=False)

    def __init__(self, *args: Any, serving: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["unit"])
        field.queryset = ResponsibleUnit.objects.filter(is_active=True)
        field.choices = [("", "---------")] + [
            (u.pk, f"{u.name}({u.get_kind_display()})") for u in serving
        ]


class DispatchForm(_UnitChoice):
    pass


class TransferForm(_UnitChoice):
    dispatch = forms.IntegerField(widget=forms.HiddenInput)


class UnitForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=UnitKind.choices)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    communities = forms.ModelMultipleChoiceField(
        label=_("服务社区"),
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["communities"]).queryset = communities


class UnitStaffForm(forms.Form):
    username = forms.CharField(label=_("账号(用户名)"), max_length=150)
    title = forms.CharField(label=_("职务"), max_length=60, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)


class LimitForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    claim_hours = forms.IntegerField(label=_("认领时限(小时)"), min_value=1, max_value=720)
    feedback_days = forms.IntegerField(label=_("反馈时限(天)"), min_value=1, max_value=365)
    return_hours = forms.IntegerField(label=_("退件时限(小时)"), min_value=1, max_value=720)
