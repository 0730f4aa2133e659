# Meetings as offices run them: cancel (with its reason) and an audit log of the changes made
# after scheduling (edit, reschedule, cancel, agenda order, a poll reopened, the follow-up).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0004_minutes_review"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="meeting",
            name="status",
            field=models.CharField(
                choices=[
                    ("scheduled", "已安排"),
                    ("live", "进行中"),
                    ("closed", "已结束"),
                    ("cancelled", "已取消"),
                ],
                default="scheduled",
                max_length=10,
                verbose_name="状态",
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="cancelled_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="meeting",
            name="cancel_reason",
            field=models.TextField(blank=True, verbose_name="取消原因"),
        ),
        migrations.CreateModel(
            name="MeetingEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("edited", "修改会议信息"),
                            ("rescheduled", "改期"),
                            ("cancelled", "取消会议"),
                            ("reordered", "调整议程顺序"),
                            ("poll_reopened", "重新开放表决"),
                            ("followed_up", "会后按表决结果处理议题"),
                        ],
                        max_length=16,
                    ),
                ),
                ("at", models.DateTimeField(auto_now_add=True)),
                ("note", models.TextField(blank=True)),
                ("data", models.JSONField(blank=True, default=dict)),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "meeting",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="meetings.meeting",
                    ),
                ),
            ],
            options={"ordering": ["at", "pk"]},
        ),
    ]
