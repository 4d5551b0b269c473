"""What operations sees: a request id on every log line, and errors sent to Sentry (when
``SENTRY_DSN`` is set) with personal numbers scrubbed before they leave the machine.

The request id comes from nginx (``X-Request-ID``, see ``deploy/nginx/qiuxue.conf``) so one
id follows a request through the proxy's access log and ours, or is made here; it goes back
in the response header for the person reporting a problem.
"""

import contextvars
import logging
import re
import uuid

REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"
_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(REQUEST_ID_HEADER, "")
        # A client could send anything: only an id of plain characters is kept.
        rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        # Not reset on the way out: Django logs a 4xx/5xx (django.request) after the whole
        # middleware chain has returned, and that line must carry the id too. The next
        # request on this thread sets its own.
        _request_id.set(rid)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


# --- scrubbing personal numbers --------------------------------------------------------

SCRUBBED = "[已隐去]"
# ID card (18 characters, the last may be X), mobile number, bank card (12-19 digits), each
# not part of a longer run of digits. Order matters: the ID before the card.
PERSONAL_NUMBER_PATTERNS = (
    re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9])(?:\+?86[- ]?)?1[3-9][0-9]{9}(?![0-9])"),
    re.compile(r"(?<![0-9])[0-9]{12,19}(?![0-9])"),
    # Spaced or dashed groups of a card: 6222 0212 3456 7890 123
    re.compile(r"(?<![0-9])[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -][0-9]{1,4})?(?![0-9])"),
)
SENSITIVE_KEYS = re.compile(
    r"id_?number|id_?card|bank_?card|card_?no|phone|mobile|password|secret|token|身份证|银行卡|手机", re.I
)


def scrub_text(text: str) -> str:
    for pattern in PERSONAL_NUMBER_PATTERNS:
        text = pattern.sub(SCRUBBED, text)
    return text


def scrub(value, depth: int = 0):
    """Every string in a nested event, numbers replaced; values under a sensitive key
    (``id_number``, ``bank_card``, ``phone``, …) replaced whole."""
    if depth > 20:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            k: (SCRUBBED if isinstance(k, str) and SENSITIVE_KEYS.search(k) and v else scrub(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, depth + 1) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= 11:
        return scrub_text(str(value))
    return value


def sentry_before_send(event: dict, hint: dict | None = None) -> dict:
    return scrub(event)


def sentry_init(*, dsn: str, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,  # no user names, addresses, cookies or bodies
        max_request_body_size="never",
        before_send=sentry_before_send,
        before_send_transaction=sentry_before_send,
        before_breadcrumb=lambda crumb, hint: scrub(crumb),
        traces_sample_rate=0.0,
    )
