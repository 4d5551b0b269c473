"""The city's programme-and-batch pages in the admin: publish the 公示, build payout lists."""

import pytest
from django.urls import reverse

from payouts.models import PayoutList, Publicity

from .conftest import end_period, staff


@pytest.mark.django_db
def test_publish_then_build_lists_from_the_admin_pages(scenario, city_finance, client):
    county_admin = staff(scenario.counties[0], "manager", "county-manager")
    client.force_login(county_admin)
    # Not the programme's owner: not offered, and told why on the page, not a bare 403.
    assert "发布公示" not in client.get(reverse("admin:payouts_publicity_changelist")).content.decode()
    told = client.get(reverse("admin:payouts_publicity_open"), follow=True).content.decode()
    assert "只有本方案主办工会（济南市总工会）及上级工会的管理员或财务可以发布公示" in told

    client.force_login(city_finance)
    page = client.get(reverse("admin:payouts_publicity_open"))
    assert page.status_code == 200 and scenario.program.name in page.content.decode()
    response = client.post(
        reverse("admin:payouts_publicity_open"), {"program": scenario.program.pk, "batch": scenario.batch.pk}
    )
    assert response.status_code == 302
    publicity = Publicity.objects.get(program=scenario.program, batch=scenario.batch)

    # Building the lists before the period has ended is refused on the form, nothing written.
    build = reverse("admin:payouts_payoutlist_build")
    refused = client.post(build, {"program": scenario.program.pk, "batch": scenario.batch.pk})
    assert refused.status_code == 200 and not PayoutList.objects.exists()

    end_period(publicity)
    built = client.post(build, {"program": scenario.program.pk, "batch": scenario.batch.pk})
    assert built.status_code == 302 and PayoutList.objects.filter(program=scenario.program).exists()


@pytest.mark.django_db
def test_a_batch_of_another_programme_is_refused(scenario, city_finance, client):
    from quotas.models import Program

    other = Program.objects.create(
        owner_union=scenario.city, year=2025, name="另一方案", slug="other-2025", review_tiers=["city"]
    )
    client.force_login(city_finance)
    page = client.post(reverse("admin:payouts_payoutlist_build"), {"program": other.pk, "batch": scenario.batch.pk})
    assert page.status_code == 200 and "批次不属于所选项目" in page.content.decode()
