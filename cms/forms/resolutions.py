"""HTML forms of the resolution pages (public and admin). They only parse input; services decide."""

import datetime as dt
from collections.abc import Iterable
from typing import Any, TypedDict

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.forms.fields import MultipleFileField
from deliberation.i18n import interpolate_lazy
from deliberation.models import (
    Category,
    FollowUpKind,
    Party,
    PhotoStage,
    RatingScore,
    ResolutionStatus,
)
from deliberation.photos import MAX_PHOTOS


def _blank(choices: Iterable[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    return [("", _("全部")), *choices]


class ResolutionFilters(TypedDict, total=False):
    """Keyword arguments of ``resolution_list_public`` chosen on the public list."""

    status: str
    party: str
    category: str
    overdue: bool


class ResolutionFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), choices=_blank(ResolutionStatus.choices), required=False
    )
    party = forms.ChoiceField(label=_("责任方"), choices=_blank(Party.choices), required=False)
    category = forms.ChoiceField(label=_("类别"), choices=_blank(Category.choices), required=False)
    overdue = forms.BooleanField(label=_("只看逾期"), required=False)

    def filters(self) -> ResolutionFilters:
        """Valid filter values only; an invalid one is dropped (and shown as an error)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "status": data.get("status", ""),
            "party": data.get("party", ""),
            "category": data.get("category", ""),
            "overdue": bool(data.get("overdue")),
        }


class RatingForm(forms.Form):
    score = forms.ChoiceField(
        label=_("您对办理结果是否满意?"), choices=RatingScore.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见(选填)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


PERIOD_PRESETS = (
    ("30", _("最近 30 天")),
    ("90", _("最近 90 天")),
    ("365", _("最近一年")),
    ("custom", _("自定义")),
)


class MetricsPeriodForm(forms.Form):
    preset = forms.ChoiceField(label=_("统计期间"), choices=PERIOD_PRESETS, initial="90")
    start = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("preset") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("自定义期间请填写开始和结束日期。"))
            if start > end:
                raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
            if (end - start).days > 3660:
                raise forms.ValidationError(_("统计期间不能超过十年。"))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen [start, end]; the last 90 days when nothing valid was chosen."""
        today = timezone.localdate()
        if self.is_bound and self.is_valid():
            preset = self.cleaned_data["preset"]
            if preset == "custom":
                return self.cleaned_data["start"], self.cleaned_data["end"]
            return today - dt.timedelta(days=int(preset) - 1), today
        return today - dt.timedelta(days=89), today


class PhotosField(MultipleFileField):
    """Several photos in one input, optional unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)


PHOTOS_LABEL = interpolate_lazy(_("照片(最多 %(count)s 张)"), count=MAX_PHOTOS)


class ProgressForm(forms.Form):
    text = forms.CharField(label=_("进展说明"), widget=forms.Textarea(attrs={"rows": 4}))
    percent = forms.IntegerField(label=_("完成进度(%)"), min_value=0, max_value=100)
    stage = forms.ChoiceField(
        label=_("照片拍摄阶段"), choices=PhotoStage.choices, initial=PhotoStage.DURING
    )
    photos = PhotosField(label=PHOTOS_LABEL)


class CompleteForm(forms.Form):
    report = forms.CharField(label=_("办结报告"), widget=forms.Textarea(attrs={"rows": 5}))
    photos = PhotosField(
        label=interpolate_lazy(_("整改后照片(最多 %(count)s 张)"), count=MAX_PHOTOS)
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新办理理由"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(
        label=_("新的办结期限(不填则按社区默认时限)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(label=_("回访方式"), choices=FollowUpKind.choices)
    phone = forms.CharField(label=_("被回访居民手机号(选填)"), required=False, max_length=20)
    note = forms.CharField(
        label=_("回访记录"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    score = forms.ChoiceField(
        label=_("居民评价(选填)"), choices=_blank(RatingScore.choices), required=False
    )
    comment = forms.CharField(
        label=_("居民意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
