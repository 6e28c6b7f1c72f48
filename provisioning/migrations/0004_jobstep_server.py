"""Each job step names the server it acts on; existing steps act on their job's server."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def steps_act_on_their_jobs_server(apps, schema_editor):
    JobStep = apps.get_model("provisioning", "JobStep")
    ProvisioningJob = apps.get_model("provisioning", "ProvisioningJob")
    job_server = ProvisioningJob.objects.filter(pk=OuterRef("job_id")).values("server_id")
    JobStep.objects.filter(server__isnull=True).update(server_id=Subquery(job_server[:1]))


class Migration(migrations.Migration):
    dependencies = [("provisioning", "0003_jobstep_undoing_state")]

    operations = [
        migrations.AddField(
            model_name="jobstep",
            name="server",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="job_steps",
                to="provisioning.server",
            ),
        ),
        migrations.RunPython(steps_act_on_their_jobs_server, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="jobstep",
            name="server",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="job_steps",
                to="provisioning.server",
            ),
        ),
    ]
