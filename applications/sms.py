"""SMS delivery behind one small interface, chosen by ``settings.SMS_BACKEND``.

A real gateway (a province's unified SMS platform, a cloud SMS API) is one subclass with a
``send``; the default only logs, masked, to the ``qiuxue.sms`` logger.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from qiuxue.masking import mask_phone

logger = logging.getLogger("qiuxue.sms")


class SmsError(Exception):
    """The gateway refused or failed; the caller may retry."""


class BaseSmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsBackend(BaseSmsBackend):
    def send(self, phone: str, text: str) -> None:
        # Masked: logs are read by more people than the worker's record is.
        logger.info("SMS to %s: %s", mask_phone(phone), text, extra={"sms_phone": phone})


def sms_backend() -> BaseSmsBackend | None:
    path = getattr(settings, "SMS_BACKEND", "")
    return import_string(path)() if path else None
