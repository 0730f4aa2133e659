"""The form staff fill in from a signed 授权委托书: principal, holder, scan, scope and the
per-poll instructions. Validation of substance (electorate, cap, scan content) is the
service's (``votes.proxies.services``); this form only shapes the input."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from votes.models import Method, Poll

NO_INSTRUCTION = ""


class ProxyLetterForm(forms.Form):
    principal_key = forms.ChoiceField(label=_("委托人(房号)"))
    holder_name = forms.CharField(label=_("受托人姓名"), max_length=60)
    holder_phone = forms.CharField(label=_("受托人电话"), max_length=20)
    scan = forms.FileField(
        label=_("授权委托书扫描件"),
        help_text=_("PDF 或照片(JPEG、PNG),不超过 10 MB;须有委托人签名。"),
    )
    polls = forms.TypedMultipleChoiceField(
        label=_("委托范围(表决事项)"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(
        self, *args: Any, principals: list[tuple[str, str]], polls: list[Poll], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.poll_objects = polls
        principal = self.fields["principal_key"]
        scope = self.fields["polls"]
        assert isinstance(principal, forms.ChoiceField) and isinstance(scope, forms.ChoiceField)
        principal.choices = [("", _("请选择")), *principals]
        scope.choices = [(poll.pk, poll.question) for poll in polls]
        for poll in polls:
            if poll.method not in (Method.SINGLE, Method.YESNO):
                continue  # instructions for approval and ranked polls: not offered here
            choices: list[tuple[str, Any]] = [(NO_INSTRUCTION, _("无指示(由受托人决定)"))]
            choices += [(str(option.pk), option.label) for option in poll.options.all()]
            self.fields[f"instruction_{poll.pk}"] = forms.ChoiceField(
                label=_("“%(poll)s”的表决指示") % {"poll": poll.question},
                choices=choices,
                required=False,
            )

    def instruction_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith("instruction_")]

    def instructions(self) -> dict[int, dict[str, Any]]:
        """Poll id → the choice payload the holder must cast, for the polls in scope."""
        chosen = set(self.cleaned_data.get("polls") or [])
        out: dict[int, dict[str, Any]] = {}
        for poll in self.poll_objects:
            value = self.cleaned_data.get(f"instruction_{poll.pk}")
            if poll.pk in chosen and value:
                out[poll.pk] = {"choice": int(value)}
        return out
