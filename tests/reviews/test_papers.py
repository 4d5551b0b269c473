"""The reviewer's 退回修改 checklist offers the application's own papers only (issue 12).

Xian'an asks for the stamped 助学推荐表 and the 录取通知书, not for the 盖章申请表 nor (no
public-sector rule) the 职级证明; the checklist once offered all eight kinds everywhere.
"""

import re

import pytest
from django.urls import reverse

from applications.models import ApplicationStatus
from quotas.demo import XIANAN_PAPERS
from quotas.models import DocumentKind, PrintedForm
from reviews import services
from reviews.services import ReviewRefused

from .conftest import make_admin, make_program, make_submitted, make_worker


def xianan_like(owner):
    program, batch = make_program(owner)
    program.required_documents = [k.value for k in XIANAN_PAPERS]
    program.public_sector_documents = []
    program.printed_form = PrintedForm.RECOMMENDATION
    program.save(update_fields=["required_documents", "public_sector_documents", "printed_form"])
    return program, batch


def jinan_like(owner):
    program, batch = make_program(owner)
    program.required_documents = [
        DocumentKind.APPLICATION_FORM,
        DocumentKind.CHSI_REPORT,
        DocumentKind.ID_FRONT,
        DocumentKind.ID_BACK,
        DocumentKind.BANK_CARD,
    ]
    program.public_sector_documents = [DocumentKind.RANK_CERTIFICATE]
    program.save(update_fields=["required_documents", "public_sector_documents"])
    return program, batch


def offered_papers(html: str) -> set[str]:
    return set(re.findall(r'name="return-fields_to_fix" value="doc:([a-z_]+)"', html))


@pytest.mark.django_db
def test_return_checklist_of_a_xianan_application_lists_only_its_papers(client, tree):
    app = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), xianan_like(tree.city))
    client.force_login(make_admin(tree.grassroots_a1))
    html = client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
    assert offered_papers(html) == {k.value for k in XIANAN_PAPERS}
    assert "助学推荐表" in html and "盖章申请表" not in html and "职级证明" not in html
    # The application's fields stay on the list.
    assert 'value="school"' in html and 'value="bank_card"' in html


@pytest.mark.django_db
def test_jinan_checklist_offers_the_rank_certificate_only_to_public_sector_staff(client, tree):
    program = jinan_like(tree.city)
    public = make_submitted(make_worker(tree.grassroots_a1, public_sector=True), program)
    frontline = make_submitted(make_worker(tree.grassroots_a1), program)
    client.force_login(make_admin(tree.grassroots_a1))
    papers = {
        app.pk: offered_papers(
            client.get(reverse("admin:applications_application_change", args=[app.pk])).content.decode()
        )
        for app in (public, frontline)
    }
    assert DocumentKind.APPLICATION_FORM in papers[public.pk] and DocumentKind.RANK_CERTIFICATE in papers[public.pk]
    assert DocumentKind.RANK_CERTIFICATE not in papers[frontline.pk]
    assert DocumentKind.RECOMMENDATION not in papers[public.pk] | papers[frontline.pk]


@pytest.mark.django_db
def test_a_paper_the_programme_does_not_ask_for_cannot_be_sent_back(tree):
    app = make_submitted(make_worker(tree.grassroots_a1), xianan_like(tree.city))
    reviewer = make_admin(tree.grassroots_a1)
    with pytest.raises(ReviewRefused, match=r"所在方案不需要以下材料.*盖章申请表"):
        services.application_return(application=app, reviewer=reviewer, reason="请补盖章", fields=["doc:form"])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_REVIEW
    services.application_return(application=app, reviewer=reviewer, reason="请补盖章", fields=["doc:recommendation"])
    app.refresh_from_db()
    assert app.status == ApplicationStatus.RETURNED and app.return_fields == ["doc:recommendation"]


@pytest.mark.django_db
def test_bulk_return_offers_the_papers_of_the_selected_applications(client, tree):
    apps = [make_submitted(make_worker(tree.grassroots_a1), xianan_like(tree.city)) for _ in range(2)]
    client.force_login(make_admin(tree.grassroots_a1))
    page = client.post(
        reverse("admin:applications_application_changelist"),
        {"action": "return_selected", "_selected_action": [a.pk for a in apps]},
    )
    html = page.content.decode()
    offered = set(re.findall(r'name="fields_to_fix" value="doc:([a-z_]+)"', html))
    assert offered == {k.value for k in XIANAN_PAPERS}
