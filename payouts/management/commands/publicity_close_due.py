"""``manage.py publicity_close_due``: close every publicity period whose end has passed
(what the beat tick does each minute); idempotent."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from payouts.publicity.services import publicity_close_due


class Command(BaseCommand):
    help = "结束已到期的公示（与定时任务相同，可重复运行）"

    def handle(self, *args, **options):
        closed = publicity_close_due(now=timezone.now())
        self.stdout.write(f"已结束 {closed} 个到期公示。")
