"""The export's bulk decryptor reads exactly what ``qiuxue.crypto`` writes, and refuses
anything Fernet would refuse."""

import base64

import pytest
from cryptography.fernet import Fernet, InvalidToken
from hypothesis import given
from hypothesis import strategies as st

from payouts.payout.bulk_decrypt import BulkDecryptor
from qiuxue.crypto import encrypt_text

KEY = Fernet.generate_key().decode()


@given(st.text(max_size=80))
def test_agrees_with_fernet(value):
    token = Fernet(KEY.encode()).encrypt(value.encode()).decode()
    assert BulkDecryptor(KEY).decrypt(token) == value


def test_reads_the_project_tokens(settings):
    token = encrypt_text("37010219900101123X")
    assert BulkDecryptor().decrypt(token) == "37010219900101123X"
    assert BulkDecryptor().decrypt("") == ""


@pytest.mark.parametrize("position", [0, 5, 30, -40, -1])
def test_refuses_tampered_tokens(position):
    token = Fernet(KEY.encode()).encrypt(b"6222021602000000010")
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[position] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(InvalidToken):
        Fernet(KEY.encode()).decrypt(forged)
    with pytest.raises(InvalidToken):
        BulkDecryptor(KEY).decrypt(forged)


def test_refuses_a_token_of_another_key():
    other = Fernet(Fernet.generate_key()).encrypt(b"x").decode()
    with pytest.raises(InvalidToken):
        BulkDecryptor(KEY).decrypt(other)
    with pytest.raises(InvalidToken):
        BulkDecryptor(KEY).decrypt("not a token")
