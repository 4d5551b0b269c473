"""``Application.union_path``: the scope column of applications.

Existing rows get their worker's current union path (the best record of the union they
were submitted under that exists), in one set-based UPDATE before the indexes are built.
The review queue index moves here from ``reviews`` (0003 there drops its old copy).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def union_path_fill(apps, schema_editor):
    Application = apps.get_model("applications", "Application")
    Worker = apps.get_model("applications", "Worker")
    if schema_editor.connection.vendor == "postgresql":
        # A hash join instead of a correlated subquery per row: a million rows in seconds.
        schema_editor.execute(
            "UPDATE applications_application a SET union_path = u.path "
            "FROM applications_worker w JOIN quotas_union u ON u.id = w.union_id "
            "WHERE w.id = a.worker_id AND a.union_path = ''"
        )
        return
    paths = Worker.objects.filter(pk=OuterRef("worker_id")).values("union__path")[:1]
    Application.objects.filter(union_path="").update(union_path=Subquery(paths))


class Migration(migrations.Migration):

    dependencies = [
        ('applications', '0001_initial'),
        ('quotas', '0001_initial'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='application',
            name='app_tier_queue_idx',
        ),
        migrations.AddField(
            model_name='application',
            name='union_path',
            field=models.CharField(blank=True, default='', editable=False, max_length=255, verbose_name='所属工会路径'),
        ),
        migrations.RunPython(union_path_fill, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['current_tier', 'status', 'submitted_at', 'id', 'union_path'], name='app_review_queue_idx'),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['union_path', 'status'], name='app_scope_idx', opclasses=['varchar_pattern_ops', 'varchar_pattern_ops']),
        ),
    ]
