"""``manage.py payout_list_export --list ID --out FILE``: write a payout list's XLSX (full
ID and card numbers) as the Celery task does, record it (audited, list marked exported)
and copy it to FILE for the operator."""

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.models import PayoutList
from payouts.payout.export import payout_list_export


class Command(BaseCommand):
    help = "导出发放名单文件（含完整证件号和银行卡号）"

    def add_arguments(self, parser):
        parser.add_argument("--list", type=int, required=True, dest="list_id", help="发放名单编号")
        parser.add_argument("--out", required=True, help="保存到的文件（.xlsx）")

    def handle(self, *args, list_id: int, out: str, **options):
        if not PayoutList.objects.filter(pk=list_id).exists():
            raise CommandError(f"找不到发放名单：{list_id}")
        try:
            exported = payout_list_export(payout_list_id=list_id, actor_id=None)
        except ValueError as exc:  # the lines no longer match the list's figures
            raise CommandError(str(exc)) from exc
        target = Path(out)
        with exported.file.open("rb") as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        self.stdout.write(f"已导出：{exported.title} → {target}（{exported.row_count}行）")
