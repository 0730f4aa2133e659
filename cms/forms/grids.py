"""Forms of the grid workers' pages (box round, visit log) and the admin's location correction.
They only parse input; ``deliberation.grids.services`` decides."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cms.forms.fields import IMAGE_TYPES
from deliberation.models import Building, Category, Grid

SLIP_ROWS = 5  # blank slip rows offered; "add rows" asks for more (``?rows=``)
MAX_SLIP_ROWS = 30

# Phone-friendly inputs: large type comes from the site's CSS; these set the keyboards.
_PHONE = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"})
_CODE = forms.TextInput(attrs={"autocomplete": "off", "size": 6})


class GridChoiceForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("网格"), queryset=Grid.objects.none(), empty_label=None)

    def __init__(self, *args: Any, grids: QuerySet[Grid], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["grid"]).queryset = grids


class BoxRoundForm(GridChoiceForm):
    opened_on = forms.DateField(
        label=_("开箱日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )


class SlipForm(forms.Form):
    """One slip found in the box; a row left blank is skipped."""

    building_code = forms.CharField(label=_("楼栋编号"), max_length=20, widget=_CODE)
    text = forms.CharField(label=_("纸条内容"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)
    photo = forms.FileField(
        label=_("纸条照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES, "capture": "environment"}),
    )
    name = forms.CharField(label=_("姓名(可不填)"), max_length=60, required=False)
    phone = forms.CharField(label=_("电话(可不填)"), max_length=30, required=False, widget=_PHONE)


SlipFormSet = formset_factory(SlipForm, extra=0, max_num=MAX_SLIP_ROWS, absolute_max=MAX_SLIP_ROWS)


class VisitLogForm(GridChoiceForm):
    visited_on = forms.DateField(
        label=_("走访日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False
    )
    household = forms.CharField(label=_("住户(房号或户主)"), max_length=60)
    raised = forms.CharField(
        label=_("反映的问题"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    follow_up = forms.CharField(
        label=_("后续跟进"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, grids: QuerySet[Grid], **kwargs: Any) -> None:
        super().__init__(*args, grids=grids, **kwargs)
        cast(forms.ModelChoiceField, self.fields["building"]).queryset = Building.objects.filter(
            community__in=grids.values("community")
        ).order_by("name")


class ConvertForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices, initial=Category.OTHER)


class LocateForm(forms.Form):
    """Staff correcting where a matter is (admin)."""

    building = forms.ModelChoiceField(
        label=_("楼栋"), queryset=Building.objects.none(), required=False
    )
    grid = forms.ModelChoiceField(
        label=_("网格"),
        queryset=Grid.objects.none(),
        required=False,
        help_text=_("不选时按楼栋所属网格。"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args: Any, community_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["building"]).queryset = Building.objects.filter(
            community_id=community_id
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["grid"]).queryset = Grid.objects.filter(
            community_id=community_id
        ).order_by("code")
