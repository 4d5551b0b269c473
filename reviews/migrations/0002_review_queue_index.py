"""The review queue's index: "applications at tier X in review, oldest submission first".

It lives on ``applications_application`` but only the review queue needs it, so it is
created here with plain SQL (valid on PostgreSQL and SQLite) rather than by changing the
applications model. With it the queue page is an index range scan in FCFS order instead
of a walk of the ``submitted_at`` index through every past year's rows.
"""

from django.db import migrations

CREATE = (
    "CREATE INDEX IF NOT EXISTS review_queue_fcfs_idx "
    "ON applications_application (current_tier_id, status, submitted_at, id)"
)
DROP = "DROP INDEX IF EXISTS review_queue_fcfs_idx"


class Migration(migrations.Migration):
    dependencies = [
        ("reviews", "0001_review_decision"),
        ("applications", "0001_initial"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
