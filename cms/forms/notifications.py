"""The preferred-channel form: one choice per community the person belongs to."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from deliberation.models import Member, NotificationChannel

AUTOMATIC_LABEL = gettext_lazy("自动(有手机发短信,否则电子邮件,否则纸质通知)")


class PreferredChannelForm(forms.Form):
    """A ``channel_<member id>`` field per membership; blank means automatic."""

    def __init__(self, *args: Any, members: list[Member], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = members
        choices = [("", AUTOMATIC_LABEL), *NotificationChannel.choices]
        for member in members:
            self.fields[self.field_name(member)] = forms.ChoiceField(
                label=_("%(community)s 的通知方式") % {"community": member.community.name},
                choices=choices,
                required=False,
                initial=member.preferred_channel,
            )

    @staticmethod
    def field_name(member: Member) -> str:
        return f"channel_{member.pk}"

    def chosen(self) -> list[tuple[Member, str]]:
        """(member, channel) pairs once valid."""
        return [(m, self.cleaned_data[self.field_name(m)]) for m in self.members]
