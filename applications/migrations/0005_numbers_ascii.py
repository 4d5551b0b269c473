"""Stored ID, bank-card and phone numbers become ASCII (issue 11, case 8).

Before this, ``\\d`` let full-width (``６２２２…``) and other digits through: such a card was
stored as typed, so its HMAC differed from the same card in ASCII (the shared-card flag
missed it) and it reached the bank file as non-ASCII. Each worker's numbers are decrypted,
NFKC-folded and stripped of spaces and hyphens as the validators now do; when that changes
the value it is re-encrypted with a fresh HMAC and mask.

A value that is still not ASCII digits after folding (Arabic-Indic digits: NFKC keeps them),
or whose folded ID number or phone already belongs to another worker (the same person
registered twice), is left as it is and listed on the output for the staff to resolve.
The normalisation is written out here, not imported from the validators, so this
migration keeps doing what it did when the validators change later.
"""

import re
import sys
import unicodedata

from cryptography.fernet import InvalidToken
from django.db import migrations

from qiuxue.crypto import decrypt_text, encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number

_SEPARATORS = re.compile(r"[\s\-]")
_ID = re.compile(r"[0-9]{17}[0-9X]")
_CARD = re.compile(r"[0-9]{12,19}")
_PHONE = re.compile(r"1[3-9][0-9]{9}")


def _fold(value: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def numbers_ascii(apps, schema_editor, out=None) -> list[str]:
    """Normalise every worker's stored numbers; returns (and prints) what it had to leave."""
    Worker = apps.get_model("applications", "Worker")
    User = Worker._meta.get_field("user").related_model
    left: list[str] = []
    for worker in Worker.objects.order_by("pk").iterator(chunk_size=500):
        changed: list[str] = []
        try:
            id_number = decrypt_text(worker.id_number_encrypted)
            card = decrypt_text(worker.bank_card_encrypted)
        except InvalidToken:
            left.append(f"worker {worker.pk}: 无法解密（密钥不符），未处理")
            continue
        folded_id = _fold(id_number).upper()
        if folded_id != id_number or not folded_id.isascii():
            digest = hmac_index(folded_id)
            if not _ID.fullmatch(folded_id):
                left.append(f"worker {worker.pk}: 身份证号折算后仍不是ASCII数字，需人工更正")
            elif Worker.objects.filter(id_number_hmac=digest).exclude(pk=worker.pk).exists():
                left.append(f"worker {worker.pk}: 身份证号与另一账号相同（重复注册），需人工处理")
            else:
                worker.id_number_encrypted = encrypt_text(folded_id)
                worker.id_number_hmac = digest
                worker.id_number_masked = mask_id_number(folded_id)
                changed += ["id_number_encrypted", "id_number_hmac", "id_number_masked"]
        folded_card = _fold(card)
        if folded_card != card or not folded_card.isascii():
            if not _CARD.fullmatch(folded_card):
                left.append(f"worker {worker.pk}: 银行卡号折算后仍不是ASCII数字，需人工更正")
            else:
                worker.bank_card_encrypted = encrypt_text(folded_card)
                worker.bank_card_hmac = hmac_index(folded_card)
                worker.bank_card_masked = mask_bank_card(folded_card)
                changed += ["bank_card_encrypted", "bank_card_hmac", "bank_card_masked"]
        folded_phone = _fold(worker.phone)
        if folded_phone != worker.phone or not folded_phone.isascii():
            if not _PHONE.fullmatch(folded_phone):
                left.append(f"worker {worker.pk}: 手机号折算后仍不是ASCII数字，需人工更正")
            elif (
                Worker.objects.filter(phone=folded_phone).exclude(pk=worker.pk).exists()
                or User.objects.filter(username=folded_phone).exclude(pk=worker.user_id).exists()
            ):
                left.append(f"worker {worker.pk}: 手机号与另一账号相同，需人工处理")
            else:
                # The login is the mobile number: keep the account's username in step.
                User.objects.filter(pk=worker.user_id, username=worker.phone).update(username=folded_phone)
                worker.phone = folded_phone
                changed.append("phone")
        if changed:
            worker.save(update_fields=changed)
    if left:
        (out or sys.stdout).write("\n".join(["", "号码规范化：以下记录未处理：", *left, ""]))
    return left


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0004_notification_outbox"),
    ]

    operations = [
        migrations.RunPython(numbers_ascii, migrations.RunPython.noop, elidable=True),
    ]
