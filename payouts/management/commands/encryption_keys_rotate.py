"""``manage.py encryption_keys_rotate [--batch N] [--dry-run]``: re-encrypt every stored
personal number to the newest key of ``FIELD_ENCRYPTION_KEYS``.

Every model field named ``*_encrypted`` is covered (workers, held changes, staff records,
payout lines), found from the model registry so a new one is not forgotten. Rows go in
batches, each its own transaction with the rows locked; tokens already under the newest key
are left alone, so the command can be stopped and run again. The HMAC index does not change
(``FIELD_HMAC_KEY``). Once it reports 0 everywhere, the old key may leave the list.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from qiuxue.crypto import token_is_current, token_rotate
from quotas.audit import AuditAction
from quotas.services import audit_log_write


def encrypted_fields() -> list[tuple[type, list[str]]]:
    out = []
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if f.name.endswith("_encrypted")]
        if fields:
            out.append((model, fields))
    return out


def model_rotate(*, model: type, fields: list[str], batch: int, dry_run: bool) -> int:
    rotated, last_pk = 0, None
    manager = model._default_manager
    while True:
        with transaction.atomic():
            rows = manager.select_for_update().order_by("pk").only("pk", *fields)
            if last_pk is not None:
                rows = rows.filter(pk__gt=last_pk)
            rows = list(rows[:batch])
            if not rows:
                return rotated
            changed = []
            for row in rows:
                stale = [f for f in fields if not token_is_current(getattr(row, f))]
                for field in stale:
                    setattr(row, field, token_rotate(getattr(row, field)))
                if stale:
                    changed.append(row)
            if changed and not dry_run:
                manager.bulk_update(changed, fields, batch_size=batch)
            rotated += len(changed)
            last_pk = rows[-1].pk


class Command(BaseCommand):
    help = "将全部加密的身份证号、银行卡号重新加密为最新密钥（分批，可中断后重复运行）"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000, help="每批行数")
        parser.add_argument("--dry-run", action="store_true", help="只统计，不写入")

    def handle(self, *args, batch: int, dry_run: bool, **options):
        counts = {}
        for model, fields in encrypted_fields():
            label = model._meta.label
            counts[label] = model_rotate(model=model, fields=fields, batch=batch, dry_run=dry_run)
            verb = "需要重新加密" if dry_run else "已重新加密"
            self.stdout.write(f"{model._meta.verbose_name}（{label}）：{verb} {counts[label]} 行")
        if not dry_run:
            with transaction.atomic():
                audit_log_write(actor=None, action=AuditAction.ENCRYPTION_KEYS_ROTATE, detail={"rows": counts})
