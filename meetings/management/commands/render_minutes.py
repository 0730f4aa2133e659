"""``render_minutes MEETING``: regenerate a meeting's minutes now, in this process."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from meetings.minutes.services import MinutesRenderFailed, minutes_render
from meetings.models import Meeting


class Command(BaseCommand):
    help = "Render (again) the minutes PDF of a meeting and store it as its Wagtail document."

    def add_arguments(self, parser) -> None:
        parser.add_argument("meeting", type=int, help="meeting id")

    def handle(self, *args, meeting: int, **options) -> None:
        try:
            target = Meeting.objects.select_related("community").get(pk=meeting)
        except Meeting.DoesNotExist as error:
            raise CommandError(_("会议 %(id)s 不存在") % {"id": meeting}) from error
        try:
            record = minutes_render(meeting=target)
        except MinutesRenderFailed as error:
            raise CommandError(_("会议纪要生成失败:%(error)s") % {"error": error}) from error
        self.stdout.write(
            _("已生成会议纪要:%(path)s(%(size)s 字节,内容摘要 %(hash)s)")
            % {
                "path": f"/{target.community.slug}/meetings/{target.pk}/minutes.pdf",
                "size": record.document.file_size,
                "hash": record.html_hash[:16],
            }
        )
