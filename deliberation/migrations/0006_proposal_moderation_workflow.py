"""Put proposals under a Wagtail moderation workflow (one group-approval task).

The same set-up is also ensured at run time by
``deliberation.services.proposal_moderation_workflow`` (e.g. after a test database flush).
"""

from django.db import migrations

WORKFLOW_NAME = "议题发布审核"
TASK_NAME = "社区工作人员审核"


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Group = apps.get_model("auth", "Group")

    proposal_type, _ = ContentType.objects.get_or_create(app_label="deliberation", model="proposal")
    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, content_type=task_type, active=True)
    task.groups.add(
        *Group.objects.filter(
            permissions__codename="publish_proposal", permissions__content_type=proposal_type
        )
    )
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowContentType.objects.update_or_create(
        content_type=proposal_type, defaults={"workflow": workflow}
    )


def backwards(apps, schema_editor):
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Workflow.objects.filter(name=WORKFLOW_NAME).update(active=False)


class Migration(migrations.Migration):
    dependencies = [
        ("deliberation", "0005_registry_signin_codes"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
