# A poll closed by mistake at a live meeting may be reopened while its result is unpublished.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("votes", "0003_chain_anchor"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pollevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "创建"),
                    ("opened", "开始表决(公布基数)"),
                    ("extended", "延长表决期"),
                    ("closed", "截止(公布初步结果)"),
                    ("finalised", "公布最终结果"),
                    ("reopened", "误截止后重新开放"),
                    ("note", "说明"),
                ],
                max_length=10,
            ),
        ),
    ]
