"""manage.py import_quota_table <file> --program <slug> --source <name> [--dry-run] [--create-missing]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quotas.models import FundingSource
from quotas.quota_tables import (
    QuotaTableError,
    QuotaTableReadError,
    quota_table_import,
    quota_table_preview,
    quota_table_read,
)


class Command(BaseCommand):
    help = "导入名额分配表（XLSX 或 CSV）到某个补助来源；先预览，无误才写入。"

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--program", required=True, help="方案 slug")
        parser.add_argument("--source", required=True, help="补助来源名称")
        parser.add_argument("--dry-run", action="store_true", help="只预览，不写入")
        parser.add_argument("--create-missing", action="store_true", help="自动创建表中有、工会树中没有的单位")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            source = FundingSource.objects.select_related("program__owner_union", "matching_of").get(
                program__slug=options["program"], name=options["source"]
            )
        except FundingSource.DoesNotExist as exc:
            raise CommandError(f"方案「{options['program']}」中没有补助来源「{options['source']}」") from exc
        try:
            table = quota_table_read(data=path.read_bytes(), filename=path.name)
        except QuotaTableReadError as exc:
            raise CommandError(str(exc)) from exc
        preview = quota_table_preview(source=source, table=table, create_missing=options["create_missing"])
        for row in preview.rows:
            target = row.union_name or ("（调剂）" if row.is_pool else f"（新建：{row.create_level}）")
            self.stdout.write(f"{row.line or '':>4} {row.position:>3} {row.label} → {target} {row.slots}")
        self.stdout.write(f"合计 {preview.total}，补助来源名额 {preview.expected_total}")
        if not preview.ok:
            for problem in preview.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"名额表有 {len(preview.problems)} 处问题，未写入任何数据")
        if options["dry_run"]:
            self.stdout.write(self.style.SUCCESS("预览无误（--dry-run，未写入）"))
            return
        try:
            result = quota_table_import(
                source=source,
                rows=preview.rows,
                actor=None,
                create_missing=options["create_missing"],
                filename=path.name,
            )
        except QuotaTableError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入：新增 {result.created}，更新 {result.updated}，未变 {result.unchanged}，"
                f"删除 {len(result.removed)}，新建单位 {len(result.created_unions)}"
            )
        )
