"""Encryption at rest for personal numbers (ID card, bank card).

Each value is stored twice: Fernet ciphertext (to read it back for payout lists) and an
HMAC-SHA256 digest keyed from the same secret (to find duplicates and enforce uniqueness
without decrypting). A raw database dump shows neither number in plain text.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


@lru_cache(maxsize=4)
def _hmac_key(key: str) -> bytes:
    # A separate key for the index, so the digest never reveals anything about the cipher key.
    return hashlib.sha256(b"qiuxue-hmac-index:" + key.encode()).digest()


def encrypt_text(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()


def hmac_index(value: str) -> str:
    """Stable digest of a normalised value, for equality look-ups."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_hmac_key(settings.FIELD_ENCRYPTION_KEY), normalised.encode(), hashlib.sha256).hexdigest()
