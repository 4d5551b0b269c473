"""Settings modes (in subprocesses, as a deployment would start) and the demo loader."""

import http.client
import os
import runpy
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
from django.utils.timezone import localdate

from quotas.models import (
    AllocationMode,
    Batch,
    CatalogueEntry,
    DocumentKind,
    EducationLevel,
    FundingSource,
    PayerRule,
    Program,
    Quota,
    Union,
    UnionAdmin,
    UnionLevel,
    WorkerCategory,
)

ROOT = Path(__file__).resolve().parents[2]
ENV_KEYS = (
    "QIUXUE_ENV",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "FIELD_ENCRYPTION_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "FIELD_HMAC_KEY",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "REDIS_URL",
    "DEBUG",
)


def run(args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def setting(expr, **env):
    code = f"import django, os; os.environ['DJANGO_SETTINGS_MODULE']='qiuxue.settings'; django.setup(); from django.conf import settings; print({expr})"
    result = run(["-c", code], **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_mode_passes_the_deploy_check():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        QIUXUE_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="example.org",
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_secret_key_refuses_to_start():
    result = run(
        ["manage.py", "check"],
        QIUXUE_ENV="production",
        ALLOWED_HOSTS="example.org",
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_development_defaults_to_sqlite_and_eager_celery():
    assert setting("settings.DATABASES['default']['ENGINE']") == "django.db.backends.sqlite3"
    assert setting("settings.CELERY_TASK_ALWAYS_EAGER") == "True"
    assert setting("settings.CELERY_BROKER_URL") == "memory://"


def test_a_broker_turns_eager_mode_off():
    assert setting("settings.CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL="redis://127.0.0.1:6379/2") == "False"


@pytest.mark.django_db
def test_load_demo_twice_gives_the_same_state():
    call_command("load_demo")
    first = _state()
    call_command("load_demo")
    assert _state() == first

    jinan_city = FundingSource.objects.get(program__slug="jinan-2024", name="市总工会补助")
    quotas = Quota.objects.filter(source=jinan_city)
    assert quotas.aggregate(s=Sum("slots"))["s"] == 3500
    assert quotas.count() == 57 and quotas.get(is_pool=True).slots == 500
    linyi_city = FundingSource.objects.get(program__slug="linyi-2022", name="市总工会补助")
    assert linyi_city.quotas.count() == 16 and linyi_city.quotas.aggregate(s=Sum("slots"))["s"] == 300


def _state():
    return {
        "unions": sorted(Union.objects.values_list("code", "name", "level", "path", "member_count")),
        "programs": sorted(Program.objects.values_list("slug", "owner_union__code", "review_tiers", "allocation_mode")),
        "batches": sorted(Batch.objects.values_list("program__slug", "number", "apply_opens", "review_closes")),
        "sources": sorted(FundingSource.objects.values_list("pk", "name", "amount_yuan", "total_slots", "matching_of")),
        "quotas": sorted(Quota.objects.values_list("pk", "union_id", "slots", "is_pool")),
        "catalogue": CatalogueEntry.objects.count(),
        "admins": sorted(UnionAdmin.objects.values_list("user__username", "union__code", "role")),
    }


@pytest.mark.django_db
def test_demo_programmes_follow_their_seeds():
    call_command("load_demo")
    jinan = Program.objects.get(slug="jinan-2024")
    assert jinan.owner_union.name == "济南市总工会" and jinan.owner_union.parent.level == UnionLevel.PROVINCE
    assert jinan.review_tiers == ["grassroots", "county", "city"]
    assert jinan.public_sector_documents == [DocumentKind.RANK_CERTIFICATE]
    batches = list(jinan.batches.order_by("number"))
    assert [(localdate(b.apply_opens).isoformat(), localdate(b.review_closes).isoformat()) for b in batches] == [
        ("2024-05-08", "2024-06-14"),
        ("2024-06-17", "2024-07-12"),
        ("2024-10-15", "2024-11-18"),
    ]
    assert [b.skip_if_quota_filled for b in batches] == [False, False, True]
    province = jinan.sources.get(name="省总工会补助")
    assert (province.total_slots, province.batch_split, province.first_batches_cap) == (1000, "even_first_two", 500)
    assert province.payer_union == jinan.owner_union
    county = jinan.sources.get(matching_of__name="市总工会补助")
    assert county.payer_rule == PayerRule.APPLICANT_COUNTY and county.amount_yuan == 1000
    assert Union.objects.filter(parent=jinan.owner_union).count() == 56
    lixia = Union.objects.get(name="历下区总工会")
    assert lixia.level == UnionLevel.COUNTY and lixia.member_count > Union.objects.get(name="钢城区总工会").member_count

    linyi = Program.objects.get(slug="linyi-2022")
    assert linyi.batches.count() == 2
    assert {s.name: s.amount_yuan for s in linyi.sources.all()} == {
        "市总工会补助": 500,
        "省总工会补助": 1000,
        "县区总工会配套补助": 500,
        # Seed 000: 乡镇（街道）工会……可在此基础上投入适当资金: 兰山街道's top-up, approved by the city.
        "兰山街道工会补助": 300,
    }
    topup = linyi.sources.get(name="兰山街道工会补助")
    assert (topup.scope_union.name, topup.topup_rule, topup.total_slots, topup.approval) == (
        "兰山街道工会",
        "funded_by",
        10,
        "approved",
    )
    assert linyi.payment_channels.get().name == "齐鲁工惠APP 我的钱包"
    assert Union.objects.filter(name="市产业（系统）工会，市直机关工会工委，大企业工会").exists()

    xianan = Program.objects.get(slug="xianan-2026")
    assert xianan.allocation_mode == AllocationMode.AT_SUBMISSION and xianan.publicity_days == 7
    assert xianan.owner_union.level == UnionLevel.COUNTY and xianan.owner_union.parent.level == UnionLevel.CITY
    assert {DocumentKind.RECOMMENDATION, DocumentKind.ADMISSION_LETTER} <= set(xianan.required_documents)
    university = xianan.sources.get(name="高校助学金")
    # Each university pays its own students (seed 003), one list per university.
    assert university.matching_of.total_slots == 100 and university.payer_rule == PayerRule.APPLICANT_COFUNDER
    assert set(xianan.cofunders.values_list("name", flat=True)) == {
        "咸宁职业技术学院",
        "荆楚理工学院",
        "湖北第二师范学院",
    }
    assert xianan.review_tiers[-1] == "cofunder"
    assert xianan.catalogue.count() == 62
    assert set(xianan.catalogue.values_list("level", flat=True)) == {
        EducationLevel.GAO_SHENG_ZHUAN,
        EducationLevel.ZHUAN_SHENG_BEN,
    }

    conghua = Program.objects.get(slug="conghua-2023")
    assert set(conghua.excluded_categories) == set(WorkerCategory.values)
    assert EducationLevel.POSTGRADUATE in conghua.eligible_levels and conghua.one_per_level_ever
    assert conghua.sources.get().total_slots == 300

    user = get_user_model().objects.get(username="jinan_city")
    assert user.check_password("qiuxue-demo-2024") and user.union_admin.union == jinan.owner_union


def test_gunicorn_reads_its_config_from_the_project_folder():
    # As production starts it: plain ``gunicorn qiuxue.wsgi`` in the project folder. The
    # bind address only comes from gunicorn.conf.py, so a page answering there proves the
    # file was read; the worker count is the one the submit benchmark measured.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env = {**clean, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1", "GUNICORN_BIND": f"127.0.0.1:{port}"}
    env["WEB_CONCURRENCY"] = "1"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "qiuxue.wsgi"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline, status = time.monotonic() + 30, None
        while time.monotonic() < deadline and status is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/login/")
                status = conn.getresponse().status
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                time.sleep(0.2)
        assert status == 200
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 2 * (os.cpu_count() or 1)


@pytest.mark.django_db
def test_the_demo_pays_one_linyi_worker_to_the_qilu_wallet():
    from applications.demo import LINYI_WALLET_ACCOUNT
    from applications.models import Worker
    from applications.payment_accounts import payment_account_of

    call_command("load_demo")
    worker = Worker.objects.select_related("payment_channel").get(payment_channel__name="齐鲁工惠APP 我的钱包")
    program = worker.payment_channel.program
    account = payment_account_of(worker=worker, program=program)
    assert account.channel_id == worker.payment_channel_id and account.masked.endswith(LINYI_WALLET_ACCOUNT[-4:])
    assert worker.applications.filter(program=program).exists()
