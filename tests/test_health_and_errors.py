"""/healthz/ for the load balancer, personal numbers scrubbed before Sentry, a request id
on every log line (issue 14)."""

import logging
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from qiuxue.observability import SCRUBBED, scrub, sentry_before_send
from quotas.jobs import beat_seen_record


@pytest.mark.django_db
def test_healthz_checks_database_cache_broker_storage_and_beat(client, settings):
    settings.HEALTH_CHECK_BEAT = True
    cache.clear()
    response = client.get("/healthz/")
    assert response.status_code == 500  # beat never seen: the balancer takes the machine out
    body = response.content.decode()
    for name in ("Database", "Cache", "Broker", "Storage", "BeatSeen"):
        assert name in body
    assert "BeatSeen(): Unavailable: beat never seen" in body

    beat_seen_record()
    ok = client.get("/healthz/")
    assert ok.status_code == 200, ok.content.decode()
    assert ok["Content-Type"].startswith("text/plain") and "Cache-Control" in ok

    beat_seen_record(now=timezone.now() - timedelta(minutes=30))
    assert client.get("/healthz/").status_code == 500


@pytest.mark.django_db
def test_healthz_fails_when_the_broker_is_gone(client, settings):
    settings.HEALTH_CHECK_BEAT = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz/?format=json")
    assert response.status_code == 500
    assert "broker unreachable" in response.content.decode()


@pytest.mark.django_db
def test_healthz_on_the_bucket(client, settings, s3_storage):
    settings.HEALTH_CHECK_BEAT = False
    assert client.get("/healthz/").status_code == 200
    assert "Contents" not in s3_storage.list_objects_v2(Bucket=s3_storage.bucket)  # its probe file is gone


def test_sentry_events_lose_id_card_and_phone_numbers():
    event = {
        "message": "导出失败：370102198001011234 卡 6222021602001234567 电话 13800001234 金额 1000",
        "exception": {"values": [{"value": "bad card 6222 0216 0200 1234 567 for 37010219800101123X"}]},
        "request": {"data": {"id_number": "370102198001011234", "note": "ok"}, "query_string": "phone=13912345678"},
        "extra": {"cards": ["6222021602001234567"], "bank_card_masked": "6222****4567", "count": 42},
        "breadcrumbs": {"values": [{"message": "SELECT ... WHERE hmac = 13800001234"}]},
    }
    out = sentry_before_send(event, {})
    text = repr(out)
    for number in ("370102198001011234", "6222021602001234567", "13800001234", "13912345678", "37010219800101123X"):
        assert number not in text
    assert "6222 0216 0200 1234 567" not in text
    assert out["request"]["data"]["id_number"] == SCRUBBED and out["request"]["data"]["note"] == "ok"
    assert "金额 1000" in out["message"] and out["extra"]["count"] == 42
    assert scrub(6222021602001234567) == SCRUBBED


@pytest.mark.django_db
def test_every_log_line_of_a_request_carries_its_id(client, caplog):
    from qiuxue.observability import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-abc12345")
    assert response["X-Request-ID"] == "req-abc12345"
    assert any(getattr(r, "request_id", None) == "req-abc12345" for r in caplog.records)
    forged = client.get("/no-such-page/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert forged["X-Request-ID"] != "bad id\nwith newline" and len(forged["X-Request-ID"]) == 32


def test_settings_log_format_has_the_request_id(settings):
    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
    assert settings.MIDDLEWARE[0] == "qiuxue.observability.RequestIdMiddleware"
