# Resolutions gain a draft state: created after a meeting per adopted option, completed and
# assigned by committee staff (deliberation.resolutions.services.resolution_assign).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0008_unguessable_photo_names"),
    ]

    operations = [
        migrations.AlterField(
            model_name="resolution",
            name="status",
            field=models.CharField(
                choices=[
                    ("draft", "待完善"),
                    ("in_progress", "办理中"),
                    ("completed", "已办结"),
                    ("reopened", "重新办理"),
                ],
                default="in_progress",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="resolutiontransition",
            name="from_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("draft", "待完善"),
                    ("in_progress", "办理中"),
                    ("completed", "已办结"),
                    ("reopened", "重新办理"),
                ],
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="resolutiontransition",
            name="to_status",
            field=models.CharField(
                choices=[
                    ("draft", "待完善"),
                    ("in_progress", "办理中"),
                    ("completed", "已办结"),
                    ("reopened", "重新办理"),
                ],
                max_length=12,
            ),
        ),
    ]
