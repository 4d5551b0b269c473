"""``manage.py allocate --program <slug> [--batch N] [--dry-run]``: run the allocation
from the shell (the operator), printing what changed and each unit's usage."""

from django.core.management.base import BaseCommand

from payouts.allocation.services import allocation_run

from ..lookup import add_program_arguments, program_and_batch, refusals_as_errors


class Command(BaseCommand):
    help = "按先到先得规则分配补助名额（可只运行到某一批次，可模拟运行）"

    def add_arguments(self, parser):
        add_program_arguments(parser, batch_help="只分配到该批次（含之前批次）")
        parser.add_argument("--dry-run", action="store_true", help="模拟运行，不写入")

    def handle(self, *args, program: str, batch: int | None, dry_run: bool, **options):
        prog, batch_obj = program_and_batch(slug=program, number=batch)
        with refusals_as_errors():
            result = allocation_run(program=prog, batch=batch_obj, actor=None, dry_run=dry_run)
        self.stdout.write(f"{prog}{'（模拟运行，未写入）' if dry_run else ''}")
        for s in result.sources:
            self.stdout.write(
                f"  {s.name}: 新增{s.created} 更新{s.updated} 删除{s.deleted} 不变{s.unchanged}，现有补助{s.live}"
            )
            for row in result.usage[str(s.source_id)]:
                self.stdout.write(
                    f"    {row['label']}: 名额{row['slots']} 审核通过{row['approved']} "
                    f"已分配{row['awarded']} 未获补助{row['unfunded']} 剩余{row['remaining']}"
                )
