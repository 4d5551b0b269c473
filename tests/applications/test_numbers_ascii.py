"""Numbers are ASCII (issue 11, case 8): ID, card and phone numbers typed in full-width
digits are folded to ASCII (NFKC); digits of other scripts are refused; stored numbers of
the old kind are normalised by a data migration, so the shared-card flag sees every copy."""

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from applications.accounts import account_register
from applications.models import Worker
from applications.services import ProfileData, worker_profile_save
from applications.validators import id_check_char, validate_bank_card, validate_id_number, validate_phone
from qiuxue.crypto import decrypt_text, encrypt_text, hmac_index
from qiuxue.masking import mask_bank_card, mask_id_number
from reviews.flags import FlagCode, flags_for_applications
from tests.conftest import sms_code_in

from .factories import make_card, make_id_number, make_phone, make_ready_application, make_user, make_worker

pytestmark = pytest.mark.django_db


def numbers_ascii(*args, **kwargs):
    """The data migration's function, run on the test database's real rows."""
    return importlib.import_module("applications.migrations.0005_numbers_ascii").numbers_ascii(*args, **kwargs)


def full_width(value: str) -> str:
    """６２２２… : what a phone keyboard in full-width mode types."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in value)


def arabic_indic(value: str) -> str:
    """٦٢٢٢… : Arabic-Indic digits, which NFKC leaves as they are."""
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in value)


def test_full_width_numbers_fold_to_ascii():
    card, id_number, phone = make_card(), make_id_number(), make_phone()
    assert validate_bank_card(full_width(card)) == card
    # With the full-width spaces and hyphens people type between groups.
    assert validate_bank_card("\u3000".join([full_width(card[:4]), full_width(card[4:8]) + "－" + card[8:]])) == card
    assert validate_phone(full_width(phone)) == phone
    assert validate_id_number(full_width(id_number)) == id_number


def test_id_check_character_x_folds_and_upper_cases():
    first17 = next(f"37010219900315{n:03d}" for n in range(1000) if id_check_char(f"37010219900315{n:03d}") == "X")
    number = validate_id_number(first17 + "x")
    assert number.endswith("X") and number.isascii()
    assert validate_id_number(full_width(first17) + "ｘ") == number


@pytest.mark.parametrize(
    ("validator", "value", "message"),
    [
        (validate_bank_card, arabic_indic(make_card()), "银行卡号只能使用数字0-9"),
        (validate_phone, arabic_indic(make_phone()), "手机号只能使用数字0-9"),
        (validate_id_number, arabic_indic(make_id_number()), "身份证号只能使用数字0-9和X"),
        # Other non-ASCII digits pass str.isdigit() and Python's \d as well.
        (validate_bank_card, make_card()[:-2] + "\u0967\u0968", "银行卡号只能使用数字0-9"),  # Devanagari
        (validate_bank_card, "\u0e56\u0e52" + make_card()[2:], "银行卡号只能使用数字0-9"),  # Thai
    ],
)
def test_digits_of_other_scripts_are_refused_with_a_reason(validator, value, message):
    with pytest.raises(ValidationError, match=message):
        validator(value)


def test_full_width_card_is_stored_ascii_with_the_same_hmac_and_raises_the_shared_card_flag(tree, program):
    card = make_card()
    first = make_worker(tree["shop"], bank_card=card)
    second = make_worker(tree["shop"], bank_card=full_width(card), name="李四")
    assert decrypt_text(second.bank_card_encrypted) == card
    assert second.bank_card_hmac == first.bank_card_hmac == hmac_index(card)
    assert second.bank_card_masked == mask_bank_card(card)
    app = make_ready_application(second, program)
    flags = flags_for_applications([app])[app.pk]
    assert FlagCode.SHARED_BANK_CARD in {f.code for f in flags}


def test_full_width_id_number_is_the_same_person(tree):
    id_number = make_id_number()
    make_worker(tree["shop"], id_number=id_number)
    with pytest.raises(ValidationError, match="已被其他账号登记"):
        make_worker(tree["shop"], id_number=full_width(id_number))


def test_registration_with_a_full_width_phone_uses_the_ascii_number(client, sms_outbox):
    phone = make_phone()
    typed = full_width(phone[:3]) + " " + full_width(phone[3:])
    client.post(reverse("applications:register"), {"phone": typed, "send": "1"})
    response = client.post(
        reverse("applications:register"),
        {
            "phone": typed,
            "code": sms_code_in(sms_outbox, phone),
            "password1": "Qx-str0ng-2024",
            "password2": "Qx-str0ng-2024",
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(username=phone).exists()
    # And the login form takes the number the same way.
    client.logout()
    response = client.post(reverse("applications:login"), {"username": full_width(phone), "password": "Qx-str0ng-2024"})
    assert response.status_code == 302
    with pytest.raises(ValidationError, match="手机号只能使用数字0-9"):
        account_register(phone=arabic_indic(make_phone()), code="123456", password="Qx-str0ng-2024")


def test_profile_form_refuses_arabic_indic_card_on_the_page(client, tree):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("applications:profile"),
        {
            "name": "王小明",
            "id_number": make_id_number(),
            "employer": "泉城软件公司",
            "union": tree["shop"].pk,
            "bank_name": "中国工商银行",
            "bank_card": arabic_indic(make_card()),
            "holder_declaration": "on",
        },
    )
    assert response.status_code == 200
    assert "银行卡号只能使用数字0-9" in response.content.decode()
    assert not Worker.objects.filter(user=user).exists()


def _stored_the_old_way(worker: Worker, *, id_number: str, card: str, phone: str | None = None) -> Worker:
    """What fd71f13 stored for a number typed in full-width: the characters as typed."""
    Worker.objects.filter(pk=worker.pk).update(
        id_number_encrypted=encrypt_text(id_number),
        id_number_hmac=hmac_index(id_number),
        id_number_masked=mask_id_number(id_number),
        bank_card_encrypted=encrypt_text(card),
        bank_card_hmac=hmac_index(card),
        bank_card_masked=mask_bank_card(card),
        **({"phone": phone} if phone else {}),
    )
    if phone:
        get_user_model().objects.filter(pk=worker.user_id).update(username=phone)
    worker.refresh_from_db()
    return worker


def test_migration_normalises_stored_numbers_and_their_hmacs(tree):
    id_number, card, phone = make_id_number(), make_card(), make_phone()
    ascii_twin = make_worker(tree["shop"], bank_card=card)  # the same card typed in ASCII elsewhere
    old = _stored_the_old_way(
        make_worker(tree["shop"]), id_number=full_width(id_number), card=full_width(card), phone=full_width(phone)
    )
    assert old.bank_card_hmac != ascii_twin.bank_card_hmac  # the flag missed it

    out = io.StringIO()
    left = numbers_ascii(django_apps, None, out=out)

    assert left == []
    old.refresh_from_db()
    assert decrypt_text(old.bank_card_encrypted) == card
    assert old.bank_card_hmac == ascii_twin.bank_card_hmac == hmac_index(card)
    assert old.bank_card_masked == mask_bank_card(card)
    assert decrypt_text(old.id_number_encrypted) == id_number
    assert old.id_number_hmac == hmac_index(id_number) and old.id_number_masked == mask_id_number(id_number)
    assert old.phone == phone and old.user.username == phone
    # Running it again changes nothing.
    before = Worker.objects.values_list("pk", "bank_card_encrypted", "id_number_encrypted").order_by("pk")
    snapshot = list(before)
    assert numbers_ascii(django_apps, None, out=io.StringIO()) == []
    assert list(before) == snapshot


def test_migration_leaves_what_it_cannot_fix_and_says_so(tree):
    id_number = make_id_number()
    make_worker(tree["shop"], id_number=id_number)
    duplicate = _stored_the_old_way(make_worker(tree["shop"]), id_number=full_width(id_number), card=make_card())
    arabic = _stored_the_old_way(make_worker(tree["shop"]), id_number=make_id_number(), card=arabic_indic(make_card()))
    out = io.StringIO()
    left = numbers_ascii(django_apps, None, out=out)
    assert len(left) == 2
    assert f"worker {duplicate.pk}: 身份证号与另一账号相同" in out.getvalue()
    assert f"worker {arabic.pk}: 银行卡号折算后仍不是ASCII数字" in out.getvalue()
    duplicate.refresh_from_db()
    assert decrypt_text(duplicate.id_number_encrypted) == full_width(id_number)  # untouched, for a person to decide


def test_profile_saved_with_full_width_digits_by_a_worker_before_approval(tree):
    worker = make_worker(tree["shop"])
    card = make_card()
    saved = worker_profile_save(
        user=worker.user,
        data=ProfileData(
            name=worker.name,
            employer=worker.employer,
            union=worker.union,
            bank_name="中国银行",
            bank_card=full_width(card),
        ),
    )
    assert decrypt_text(saved.bank_card_encrypted) == card
