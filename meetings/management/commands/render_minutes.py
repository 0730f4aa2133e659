"""``render_minutes MEETING``: regenerate a meeting's minutes now, in this process."""

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.translation import gettext as _

from meetings.minutes.pdf import MinutesRenderFailed, minutes_render
from meetings.models import Meeting


class Command(BaseCommand):
    help = "Render (again) the minutes PDF of a meeting and store it as its Wagtail document."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("meeting", type=int, help="meeting id")

    def handle(self, *args: Any, meeting: int, **options: Any) -> None:
        try:
            target = Meeting.objects.select_related("community").get(pk=meeting)
        except Meeting.DoesNotExist as error:
            raise CommandError(_("会议 %(id)s 不存在") % {"id": meeting}) from error
        try:
            record = minutes_render(meeting=target)
        except MinutesRenderFailed as error:
            raise CommandError(_("会议纪要生成失败:%(error)s") % {"error": error}) from error
        document = record.document
        assert document is not None  # a successful render always stores one
        path = reverse(
            "meeting-minutes-pdf", kwargs={"community": target.community.slug, "pk": target.pk}
        )
        self.stdout.write(
            _("已生成会议纪要:%(path)s(%(size)s 字节,内容摘要 %(hash)s)")
            % {"path": path, "size": document.file_size, "hash": record.html_hash[:16]}
        )
