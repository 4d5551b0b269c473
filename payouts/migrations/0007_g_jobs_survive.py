"""Jobs that survive a dead worker (quotas.jobs.Job): allocation runs and report exports
get started/heartbeat; AllocationRun.started_by becomes requested_by (who asked, as on
every job); a payout list's export becomes a job row of its own (PayoutExport), its
export_* columns copied into one row per list that had been exported, then dropped."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def export_jobs_from_lists(apps, schema_editor):
    PayoutList = apps.get_model("payouts", "PayoutList")
    PayoutExport = apps.get_model("payouts", "PayoutExport")
    for pl in PayoutList.objects.exclude(export_status="").iterator():
        # A row left running by a dead worker before this change is failed now: nobody
        # can say any more whether its worker lives, and a rerun is safe.
        status = pl.export_status if pl.export_status in ("done", "failed") else "failed"
        message = pl.export_message if status == pl.export_status else "升级时该导出未完成，请重新导出。"
        PayoutExport.objects.create(
            payout_list=pl,
            status=status,
            progress=pl.export_progress,
            message=message,
            finished_at=pl.exported_at,
            requested_by_id=pl.created_by_id,
        )


def export_jobs_back_to_lists(apps, schema_editor):
    PayoutList = apps.get_model("payouts", "PayoutList")
    PayoutExport = apps.get_model("payouts", "PayoutExport")
    seen = set()
    for job in PayoutExport.objects.order_by("payout_list_id", "-id"):
        if job.payout_list_id in seen:
            continue
        seen.add(job.payout_list_id)
        PayoutList.objects.filter(pk=job.payout_list_id).update(
            export_status=job.status, export_progress=job.progress, export_message=job.message[:300]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0006_h_payout_list_payer_cofunder"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="allocationrun", old_name="started_by", new_name="requested_by"),
        migrations.AlterField(
            model_name="allocationrun",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="allocationrun",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最近心跳"),
        ),
        migrations.AddField(
            model_name="allocationrun",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="开始时间"),
        ),
        migrations.AddField(
            model_name="reportexport",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="最近心跳"),
        ),
        migrations.AddField(
            model_name="reportexport",
            name="started_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="开始时间"),
        ),
        migrations.AlterField(
            model_name="allocationrun",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="结束时间"),
        ),
        migrations.AlterField(
            model_name="allocationrun",
            name="message",
            field=models.TextField(blank=True, verbose_name="说明"),
        ),
        migrations.AlterField(
            model_name="allocationrun",
            name="progress",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="进度%"),
        ),
        migrations.AlterField(
            model_name="allocationrun",
            name="status",
            field=models.CharField(
                choices=[("queued", "排队中"), ("running", "进行中"), ("done", "已完成"), ("failed", "失败")],
                default="queued",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.AlterField(
            model_name="reportexport",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="结束时间"),
        ),
        migrations.AlterField(
            model_name="reportexport",
            name="message",
            field=models.TextField(blank=True, verbose_name="说明"),
        ),
        migrations.AlterField(
            model_name="reportexport",
            name="requested_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="reportexport",
            name="status",
            field=models.CharField(
                choices=[("queued", "排队中"), ("running", "进行中"), ("done", "已完成"), ("failed", "失败")],
                default="queued",
                max_length=12,
                verbose_name="状态",
            ),
        ),
        migrations.CreateModel(
            name="PayoutExport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("queued", "排队中"), ("running", "进行中"), ("done", "已完成"), ("failed", "失败")],
                        default="queued",
                        max_length=12,
                        verbose_name="状态",
                    ),
                ),
                ("progress", models.PositiveSmallIntegerField(default=0, verbose_name="进度%")),
                ("message", models.TextField(blank=True, verbose_name="说明")),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="开始时间")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近心跳")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="结束时间")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="申请时间")),
                (
                    "payout_list",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="exports", to="payouts.payoutlist"
                    ),
                ),
                (
                    "requested_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "发放名单导出",
                "verbose_name_plural": "发放名单导出",
                "ordering": ["-id"],
                "constraints": [
                    models.UniqueConstraint(
                        condition=models.Q(("status__in", ["queued", "running"])),
                        fields=("payout_list",),
                        name="payout_export_one_active",
                    )
                ],
            },
        ),
        migrations.RunPython(export_jobs_from_lists, export_jobs_back_to_lists),
        migrations.RemoveField(
            model_name="payoutlist",
            name="export_message",
        ),
        migrations.RemoveField(
            model_name="payoutlist",
            name="export_progress",
        ),
        migrations.RemoveField(
            model_name="payoutlist",
            name="export_status",
        ),
    ]
