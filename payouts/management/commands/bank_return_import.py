"""``manage.py bank_return_import --list ID FILE``: record the bank's return (回盘) of a
payout list from the bank's XLSX or CSV, as the list page's 导入银行回盘 does. All or
nothing: one bad row and nothing is written."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.models import PayoutList
from payouts.payout.bank_return import MAX_RETURN_BYTES, bank_return_import

from ..lookup import refusals_as_errors


class Command(BaseCommand):
    help = "导入银行回盘文件（XLSX 或 CSV）"

    def add_arguments(self, parser):
        parser.add_argument("--list", type=int, required=True, dest="list_id", help="发放名单编号")
        parser.add_argument("file", help="银行回盘文件")

    def handle(self, *args, list_id: int, file: str, **options):
        payout_list = PayoutList.objects.filter(pk=list_id).first()
        if payout_list is None:
            raise CommandError(f"找不到发放名单：{list_id}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        if path.stat().st_size > MAX_RETURN_BYTES:
            raise CommandError("回盘文件过大。")
        with refusals_as_errors():
            counts = bank_return_import(payout_list=payout_list, name=path.name, content=path.read_bytes(), actor=None)
        self.stdout.write(
            f"回盘已导入：{payout_list.title}：成功 {counts['paid']} 笔，失败 {counts['failed']} 笔，"
            f"作废未发 {counts['void']} 笔。"
        )
