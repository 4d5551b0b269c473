"""Keys can rotate (issue 14): with a new key listed first, old tokens still read (one by one
and in the export's bulk reader), the command brings every row to the new key in batches,
the HMAC index does not move, and a second run changes nothing."""

import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from applications.models import Worker
from payouts.models import PayoutLine
from payouts.payout.bulk_decrypt import BulkDecryptor
from payouts.payout.export import payout_rows
from payouts.payout.services import payout_list_build
from qiuxue.crypto import decrypt_text, encrypt_text, hmac_index
from quotas.models import AuditLog

from .conftest import publish_and_end

pytestmark = pytest.mark.django_db


def test_a_new_key_reads_old_rows_and_the_command_moves_them(scenario, city_finance, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    publish_and_end(scenario, city_finance)
    payout_list = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    worker = scenario.applications[0].worker
    id_number = scenario.numbers[scenario.applications[0].pk][0]
    digest = worker.id_number_hmac

    new = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    settings.FIELD_ENCRYPTION_KEY = new
    worker.refresh_from_db()
    assert decrypt_text(worker.id_number_encrypted) == id_number  # an old token, read with the old key
    assert Fernet(new.encode()).decrypt(encrypt_text("x").encode()) == b"x"  # new writes use the new key
    assert hmac_index(id_number) == digest  # the index did not move
    # The export's bulk reader handles both keys (a rotation may be half done).
    half = PayoutLine.objects.filter(payout_list=payout_list).first()
    half.bank_card_encrypted = encrypt_text("6222021602000000008")
    half.save(update_fields=["bank_card_encrypted"])
    rows = {r[0]: r for r in payout_rows(payout_list=payout_list)}
    assert rows[half.sequence][3] == "6222021602000000008"
    others = {r[3] for seq, r in rows.items() if seq != half.sequence}
    assert len(others) == 4 and others <= {c for _, c in scenario.numbers.values()}

    out = io.StringIO()
    call_command("encryption_keys_rotate", "--batch", "2", stdout=out)
    assert "职工（applications.Worker）：已重新加密 5 行" in out.getvalue()
    assert "payouts.PayoutLine）：已重新加密 5 行" in out.getvalue()  # the one done by hand had its ID still old
    only_new = BulkDecryptor(new)
    for w in Worker.objects.all():
        only_new.decrypt(w.id_number_encrypted), only_new.decrypt(w.bank_card_encrypted)
    for line in PayoutLine.objects.all():
        only_new.decrypt(line.id_number_encrypted), only_new.decrypt(line.bank_card_encrypted)
    with pytest.raises(InvalidToken):
        BulkDecryptor(old).decrypt(Worker.objects.get(pk=worker.pk).id_number_encrypted)
    assert Worker.objects.get(pk=worker.pk).id_number_hmac == digest

    again = io.StringIO()
    call_command("encryption_keys_rotate", stdout=again)
    assert "已重新加密 5 行" not in again.getvalue() and "已重新加密 0 行" in again.getvalue()
    assert AuditLog.objects.filter(action="encryption_keys.rotate").count() == 2
