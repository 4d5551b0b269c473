"""``manage.py seats_release_reserved``: hand the unused reserved places of programmes whose
stage-1 window has closed to their waitlists (what beat does every few minutes); idempotent."""

from django.core.management.base import BaseCommand

from applications.seats import seats_release_reserved_due


class Command(BaseCommand):
    help = "第一阶段申请截止后，把未用完的优先群体预留名额转给候补名单（与定时任务相同，可重复运行）"

    def handle(self, *args, **options):
        promoted = seats_release_reserved_due()
        self.stdout.write(f"已递补 {promoted} 人。")
