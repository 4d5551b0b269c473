"""The export runs as a Celery task on a real worker process, with progress the admin polls."""

import time

import pytest
from django.urls import reverse

from payouts.models import ExportStatus, PayoutList
from payouts.payout.services import payout_list_build

from .conftest import publish_and_end
from .xlsx_read import data_rows, read_sheet


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_export_runs_on_a_real_worker(scenario, city_finance, celery_worker_process, client):
    publish_and_end(scenario, city_finance)
    pl = payout_list_build(
        program=scenario.program, source=scenario.city_money, batch=scenario.batch, actor=city_finance
    )
    client.force_login(city_finance)
    response = client.post(reverse("payouts:payout_export_start", args=[pl.pk]))
    assert response.status_code == 302
    status_url = reverse("payouts:payout_export_status", args=[pl.pk])
    deadline = time.monotonic() + 60
    status = {}
    while time.monotonic() < deadline:
        status = client.get(status_url).json()
        if status["status"] in (ExportStatus.DONE, ExportStatus.FAILED):
            break
        time.sleep(0.2)
    assert status["status"] == ExportStatus.DONE, status
    assert status["progress"] == 100
    download = client.get(status["download_url"])
    rows = data_rows(read_sheet(b"".join(download.streaming_content)))
    assert len(rows) == PayoutList.objects.get(pk=pl.pk).row_count == len(scenario.applications)
