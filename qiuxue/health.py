"""``/healthz/`` for the load balancer (django-health-check): the database, the cache, the
Celery broker, the file storage (a small file written, read and deleted) and beat's last
tick. Any failure answers 500, so the balancer takes this machine out; the body names the
check that failed and nothing else (no host names, no keys)."""

import dataclasses
import datetime

from django.conf import settings
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Cache, Database, Storage
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker answers (Redis in production): the web side can queue jobs."""

    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=3), repr=False)

    def run(self):
        from kombu import Connection

        try:
            with Connection(settings.CELERY_BROKER_URL, connect_timeout=self.timeout.total_seconds()) as conn:
                conn.ensure_connection(max_retries=1, timeout=self.timeout.total_seconds())
        except Exception as exc:
            raise ServiceUnavailable("broker unreachable") from exc


@dataclasses.dataclass
class BeatSeen(HealthCheck):
    """Beat's watchdog tick ran lately (quotas.tasks.job_watchdog records it each minute):
    without beat, windows do not open and stuck jobs are never failed."""

    def run(self):
        if not settings.HEALTH_CHECK_BEAT:
            return
        from quotas.jobs import beat_seen_at

        seen = beat_seen_at()
        if seen is None:
            raise ServiceUnavailable("beat never seen")
        age = (timezone.now() - seen).total_seconds()
        if age > settings.HEALTH_BEAT_MAX_AGE_SECONDS:
            raise ServiceUnavailable(f"beat last seen {int(age)} s ago")


class HealthzView(HealthCheckView):
    checks = (Database, Cache, Broker, Storage, BeatSeen)

    async def get(self, request, *args, **kwargs):
        # The balancer wants a short text answer whatever it sends as Accept.
        if "format" not in request.GET and "text/html" not in request.headers.get("accept", ""):
            request.GET = request.GET.copy()
            request.GET["format"] = "text"
        return await super().get(request, *args, **kwargs)
