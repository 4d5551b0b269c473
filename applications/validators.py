"""Checks for the personal numbers a worker types in. Pure functions, clear Chinese errors.

Every ID, bank-card and phone number typed or imported goes through ``number_normalise``
first: NFKC folds full-width digits (``６２２２``) and spaces to ASCII, then spaces and
hyphens are dropped. What remains must be ASCII digits (``X`` as the ID check character).
``\\d`` is never used on these: in Python it also matches Arabic-Indic and other digits,
which would pass the Luhn check, defeat the HMAC duplicate flags and reach the bank file.
"""

import re
import unicodedata
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qiuxue.id_numbers import id_check_char

# The check character (GB 11643-1999) is computed in qiuxue.id_numbers, shared with rosters.
# First two digits: the province-level division codes in use (GB/T 2260).
_PROVINCE_CODES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
        "91",
    ]
)
_PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
ID_NUMBER_RE = re.compile(r"[0-9]{17}[0-9X]")
_CARD_RE = re.compile(r"[0-9]{12,19}")
_SEPARATORS_RE = re.compile(r"[\s\-]")
MIN_AGE = 16
MAX_AGE = 65


def number_normalise(value: str) -> str:
    """NFKC (full-width digits, letters and spaces to ASCII), without spaces and hyphens.
    Digits of other scripts stay as they are (NFKC does not fold them): the ASCII checks
    after this refuse them."""
    return _SEPARATORS_RE.sub("", unicodedata.normalize("NFKC", str(value or "")))


def _not_ascii_digits(value: str) -> bool:
    return any(ch.isdigit() and not ch.isascii() for ch in value)


def id_number_normalise(value: str) -> str:
    return number_normalise(value).upper()


def birth_date_from_id(value: str) -> date:
    digits = id_number_normalise(value)
    return date(int(digits[6:10]), int(digits[10:12]), int(digits[12:14]))


def _age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_id_number(value: str, *, today: date | None = None) -> str:
    """Return the normalised 18-character number, or raise with the reason."""
    number = id_number_normalise(value)
    if _not_ascii_digits(number):
        raise ValidationError(_("身份证号只能使用数字0-9和X，请切换到半角数字输入。"))
    if not ID_NUMBER_RE.fullmatch(number):
        raise ValidationError(_("身份证号应为18位，前17位为数字，最后一位为数字或X。"))
    if number[:2] not in _PROVINCE_CODES:
        raise ValidationError(_("身份证号的地区码不正确。"))
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对后重新输入。"))
    try:
        birth = birth_date_from_id(number)
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。")) from None
    today = today or date.today()
    if birth > today:
        raise ValidationError(_("身份证号中的出生日期晚于今天。"))
    age = _age_on(birth, today)
    if not MIN_AGE <= age <= MAX_AGE:
        raise ValidationError(
            _("按身份证号计算的年龄为%(age)s岁，须在%(min)s至%(max)s岁之间。")
            % {"age": age, "min": MIN_AGE, "max": MAX_AGE}
        )
    return number


def validate_phone(value: str) -> str:
    phone = number_normalise(value)
    if _not_ascii_digits(phone):
        raise ValidationError(_("手机号只能使用数字0-9，请切换到半角数字输入。"))
    if not _PHONE_RE.fullmatch(phone):
        raise ValidationError(_("请输入11位手机号码（以13-19开头）。"))
    return phone


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass ``luhn_ok`` (demo and test data)."""
    return next(d for d in "0123456789" if luhn_ok(body + d))


def validate_bank_card(value: str) -> str:
    card = number_normalise(value)
    if _not_ascii_digits(card):
        raise ValidationError(_("银行卡号只能使用数字0-9，请切换到半角数字输入。"))
    if not _CARD_RE.fullmatch(card):
        raise ValidationError(_("银行卡号应为12至19位数字。"))
    if not luhn_ok(card):
        raise ValidationError(_("银行卡号校验不通过，请核对后重新输入。"))
    return card
