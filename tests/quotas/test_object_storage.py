"""The quota-table import on an S3-protocol bucket (moto's server on loopback): the file
the browser uploads waits in the bucket, so the preview and the confirm may be answered by
another web server than the upload; nothing is written to this machine's disk."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Sum
from django.urls import reverse

from quotas.models import Quota

from .conftest import JINAN_XLSX, make_admin
from .test_admin import _upload, login


@pytest.mark.django_db
def test_upload_preview_confirm_through_the_bucket(s3_storage, client, jinan, jinan_source):
    login(client, make_admin("jinan_mgr", jinan))
    preview_url = _upload(client, jinan_source, JINAN_XLSX.read_bytes(), "济南名额表.xlsx", create_missing=True)
    keys = [o["Key"] for o in s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("Contents", [])]
    assert len(keys) == 1 and re.fullmatch(r"private/imports/[0-9a-f]{32}\.xlsx", keys[0])
    head = s3_storage.head_object(Bucket=s3_storage.bucket, Key=keys[0])
    assert head["ServerSideEncryption"] == "AES256"
    assert not Path(settings.MEDIA_ROOT).exists() or not any(Path(settings.MEDIA_ROOT).rglob("*.xlsx"))

    preview = client.get(preview_url)
    assert preview.status_code == 200 and preview.context["preview"].total == 3500
    token = re.search(r"[?&]t=([^&]+)", preview_url).group(1)
    done = client.post(reverse("admin:quotas_fundingsource_quota_import_preview", args=[jinan_source.pk]), {"t": token})
    assert done.status_code == 302
    assert Quota.objects.filter(source=jinan_source).aggregate(s=Sum("slots"))["s"] == 3500
    assert "Contents" not in s3_storage.list_objects_v2(Bucket=s3_storage.bucket)  # the upload is deleted
