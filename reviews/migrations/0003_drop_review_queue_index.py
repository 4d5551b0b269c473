"""The review queue index now lives on the model: ``applications`` 0002 creates
``app_review_queue_idx (current_tier_id, status, submitted_at, id, union_path)``, the same
FCFS order with the scope column appended. Drop the RunSQL copy made by 0002 here."""

from django.db import migrations

DROP = "DROP INDEX IF EXISTS review_queue_fcfs_idx"
CREATE = (
    "CREATE INDEX IF NOT EXISTS review_queue_fcfs_idx "
    "ON applications_application (current_tier_id, status, submitted_at, id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0002_review_queue_index"),
        ("applications", "0002_application_union_path"),
    ]

    operations = [migrations.RunSQL(DROP, CREATE)]
