"""``manage.py publicity_open --program <slug> [--batch N]``: publish the proposed awards
of a batch (公示), as admin › 公示 › 发布公示 does."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from payouts.publicity.services import publicity_open

from ..lookup import add_program_arguments, program_and_batch, refusals_as_errors


class Command(BaseCommand):
    help = "发布拟补助人员名单公示（该批次全部拟补助）"

    def add_arguments(self, parser):
        add_program_arguments(parser, batch_help="批次序号（不填为不分批的方案）")

    def handle(self, *args, program: str, batch: int | None, **options):
        prog, batch_obj = program_and_batch(slug=program, number=batch)
        with refusals_as_errors():
            publicity = publicity_open(program=prog, batch=batch_obj, actor=None)
        ends = timezone.localtime(publicity.ends_at)
        self.stdout.write(f"已发布：{publicity.title}，{publicity.entries.count()}人，公示期至 {ends:%Y-%m-%d %H:%M}")
