"""``manage.py payout_lists_build --program <slug> [--batch N]``: every payout list the
batch needs (each source once, matching money once per paying county), as admin › 发放名单
› 生成发放名单 does."""

from django.core.management.base import BaseCommand

from payouts.payout.services import payout_lists_build_for_batch

from ..lookup import add_program_arguments, program_and_batch, refusals_as_errors


class Command(BaseCommand):
    help = "生成该批次的全部发放名单"

    def add_arguments(self, parser):
        add_program_arguments(parser, batch_help="批次序号（不填为不分批的方案）")

    def handle(self, *args, program: str, batch: int | None, **options):
        prog, batch_obj = program_and_batch(slug=program, number=batch)
        with refusals_as_errors():
            built = payout_lists_build_for_batch(program=prog, batch=batch_obj, actor=None)
        for payout_list in built:
            self.stdout.write(
                f"#{payout_list.pk} {payout_list.title}：{payout_list.row_count}人，{payout_list.total_yuan}元"
            )
        self.stdout.write(f"共生成 {len(built)} 份发放名单。")
