"""Encryption at rest for personal numbers (ID card, bank card).

Each value is stored twice: Fernet ciphertext (to read it back for payout lists) and an
HMAC-SHA256 digest (to find duplicates and enforce uniqueness without decrypting). A raw
database dump shows neither number in plain text.

Keys rotate: ``settings.FIELD_ENCRYPTION_KEYS`` lists them newest first. The newest
encrypts; every listed key decrypts (``MultiFernet``); ``encryption_keys_rotate`` brings every
stored token to the newest. The index is keyed by ``FIELD_HMAC_KEY`` (by default the oldest
listed key), so a new cipher key leaves every digest, and every look-up by it, as it was.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


@lru_cache(maxsize=8)
def _primary(key: str) -> Fernet:
    return Fernet(key.encode())


@lru_cache(maxsize=4)
def _hmac_key(key: str) -> bytes:
    # A separate key for the index, so the digest never reveals anything about a cipher key.
    return hashlib.sha256(b"qiuxue-hmac-index:" + key.encode()).digest()


def field_keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt_text(value: str) -> str:
    return _primary(field_keys()[0]).encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    if not token:
        return ""
    return _fernets(field_keys()).decrypt(token.encode()).decode()


def token_is_current(token: str) -> bool:
    """Encrypted with the newest key already (nothing for a rotation to do)."""
    if not token:
        return True
    try:
        _primary(field_keys()[0]).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def token_rotate(token: str) -> str:
    """The same value under the newest key (``InvalidToken`` if no listed key reads it)."""
    return _fernets(field_keys()).rotate(token.encode()).decode() if token else token


def hmac_index(value: str) -> str:
    """Stable digest of a normalised value, for equality look-ups."""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(_hmac_key(settings.FIELD_HMAC_KEY), normalised.encode(), hashlib.sha256).hexdigest()
