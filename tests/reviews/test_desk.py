"""Issue 18: the staff desk on the admin index. Each count equals the changelist it links
to (for every demo account), the desk says what waits at my tier by programme and batch
with the window's days left, returned ones back again are counted, and the index lists only
the sections the role uses."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from applications.demo import demo_workers_load
from applications.models import Application
from quotas.demo import load_quota_demo

from .conftest import make_admin, make_submitted, make_worker

ROW = re.compile(r'<li class="desk-row[^"]*" data-desk="([^"]*)">\s*<a href="([^"]+)">.*?data-count="(\d+)"', re.S)


def desk_rows(client) -> list[tuple[str, str, int]]:
    html = client.get("/admin/").content.decode()
    return [(key, url.replace("&amp;", "&"), int(n)) for key, url, n in ROW.findall(html)]


def changelist_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["cl"].result_count


@pytest.fixture
def demo(db, django_capture_on_commit_callbacks):
    # As deployed: the tasks queued on commit (the reports read, the risk flags checked) run.
    with django_capture_on_commit_callbacks(execute=True):
        result = load_quota_demo()
        demo_workers_load()
    return result


@pytest.mark.django_db
def test_every_desk_count_is_the_changelist_it_links_to(demo, client):
    users = get_user_model().objects
    seen_keys, nonzero = set(), 0
    for username, *_ in demo.accounts:
        client.force_login(users.get(username=username))
        rows = desk_rows(client)
        assert rows, username  # every staff member has a desk
        for key, url, n in rows:
            assert changelist_count(client, url) == n, (username, key, url)
            seen_keys.add(key)
            nonzero += n > 0
        client.logout()
    assert {"mine", "resubmitted", "stranded", "objections", "payout_lists"} <= seen_keys
    assert nonzero >= 5  # the comparison is not only of zeros


@pytest.mark.django_db
def test_desk_groups_my_queue_by_batch_with_days_left_and_counts_resubmitted(client, tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b = make_submitted(make_worker(tree.grassroots_a1), program)
    make_submitted(make_worker(tree.grassroots_a2), program)  # another unit's tier: not mine
    now = timezone.now()
    Application.objects.filter(pk=b.pk).update(returned_at=now - timedelta(days=2), last_submitted_at=now)
    client.force_login(reviewer)
    html = client.get("/admin/").content.decode()
    rows = {key: (url, n) for key, url, n in desk_rows(client)}
    assert rows["mine"][1] == 2 and rows["resubmitted"][1] == 1
    assert f"待我审核：{program[0].name} {a.batch}" in html
    assert "审核期还剩" in html
    assert changelist_count(client, rows["resubmitted"][0]) == 1


@pytest.mark.django_db
def test_index_lists_only_the_sections_the_role_uses(demo, client):
    users = get_user_model().objects
    client.force_login(users.get(username="xianan_grassroots"))
    clerk = client.get("/admin/").content.decode()
    for hidden in ("payouts/allocationrun", "payouts/payoutlist", "quotas/auditlog", "quotas/quota", "quotas/program"):
        assert f'href="/admin/{hidden}/"' not in clerk, hidden
    assert 'href="/admin/applications/application/"' in clerk
    client.force_login(users.get(username="jinan_city"))
    manager = client.get("/admin/").content.decode()
    for shown in ("payouts/allocationrun", "payouts/payoutlist", "quotas/auditlog", "quotas/quota", "quotas/program"):
        assert f'href="/admin/{shown}/"' in manager, shown
    client.force_login(users.get(username="xnzy_finance"))
    university = client.get("/admin/").content.decode()
    assert 'href="/admin/payouts/payoutlist/"' in university and 'href="/admin/quotas/union/"' not in university
