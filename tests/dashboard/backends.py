"""Mail backends for the delivery tests: real locmem delivery, made slow or flaky."""

import threading
import time

from django.core.mail.backends.locmem import EmailBackend

_lock = threading.Lock()
failures_left = {"n": 0}


class SlowLocmemBackend(EmailBackend):
    """Holds each send open long enough for a racing second sender to overlap it."""

    def send_messages(self, messages):
        time.sleep(0.3)
        return super().send_messages(messages)


class FlakyLocmemBackend(EmailBackend):
    """Fails while ``failures_left['n']`` > 0, like a mail server that is briefly down."""

    def send_messages(self, messages):
        with _lock:
            if failures_left["n"] > 0:
                failures_left["n"] -= 1
                raise ConnectionError("mail server unavailable")
        return super().send_messages(messages)
