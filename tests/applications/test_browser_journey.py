"""A new worker's whole way on a 390×844 phone, on each demo programme: the public home
page → register with an SMS code → profile → apply → one card per paper (a 12 MP photo shrunk
on the phone, a HEIC photo converted on the server, a scanned PDF) → check → submit → returned
by the grassroots reviewer → fix the date and a paper → check → resubmit → status.

The demo's windows are in 2022-2026 (only Xian'an's is open in December 2026), so each run
moves its programme's application window around today and drops the review rounds (the batch's
review window then applies): the programme, its papers, money and catalogue stay the demo's.
Every page is checked with axe-core (no serious or critical violation) and photographed into
``tests/applications/artifacts/journey-<programme>-NN-<step>.png``."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from applications.models import Application, ApplicationStatus
from quotas.demo import load_quota_demo
from quotas.models import AdminRole, Batch, ReviewRound, Union, UnionLevel
from quotas.services import union_admin_create
from quotas.stages import program_is_staged
from reviews.services import application_approve, application_return
from tests.browser import PHONE, axe_serious, chromium_page, fits_width
from tests.conftest import sms_code_in

from .factories import jpeg_bytes, make_card, make_id_number, make_phone
from .test_browser_paper_cards import big_photo
from .test_pdf_preview import scanned_pdf
from .test_phone_photos import heic_bytes

ARTIFACTS = Path(__file__).parent / "artifacts"
DEMO_SLUGS = ["jinan-2024", "linyi-2022", "xianan-2026", "conghua-2023"]


@pytest.fixture(scope="module")
def browser_page():
    """One Chromium for the module's four journeys (each starts without cookies)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with chromium_page(PHONE, scale=2) as page:
            yield page
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _open_now(program) -> None:
    now = timezone.now()
    ReviewRound.objects.filter(program=program).delete()
    Batch.objects.filter(program=program).delete()
    Batch.objects.create(
        program=program,
        number=1,
        apply_opens=now - timedelta(days=3),
        apply_closes=now + timedelta(days=30),
        review_opens=now - timedelta(days=3),
        review_closes=now + timedelta(days=60),
    )


def _grassroots_of(program) -> Union:
    return (
        Union.objects.filter(path__startswith=program.owner_union.path, level=UnionLevel.GRASSROOTS)
        .order_by("path")
        .first()
    )


class Journey:
    """Takes each step's screenshot and axe result."""

    def __init__(self, page, slug: str):
        self.page, self.slug, self.n = page, slug, 0
        self.problems: dict[str, list[str]] = {}
        self.shots: list[str] = []

    def look(self, step: str) -> None:
        self.page.wait_for_load_state("networkidle")
        self.n += 1
        path = ARTIFACTS / f"journey-{self.slug}-{self.n:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(str(path))
        found = axe_serious(self.page)
        if not fits_width(self.page, PHONE["width"]):
            found.append("wider than the phone")
        if found:
            self.problems[step] = found


def _upload(page, kind: str, name: str, mime: str, data: bytes) -> None:
    card = page.locator(f"#paper-{kind}")
    card.locator("input[type=file]").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": data}])
    expect(card.locator("button[type=submit]")).to_be_enabled(timeout=30_000)  # shrinking done
    card.locator("button[type=submit]").click()
    expect(page.locator(f"#paper-{kind} [role=status]")).to_contain_text("材料已上传", timeout=30_000)


def _study_facts(page, year: int, today) -> None:
    page.fill("#id_enrolled_on", f"{year}-03-01")
    page.fill("#id_chsi_code", "A1B2C3D4E5F6")
    page.fill("#id_chsi_expires_on", f"{today.year + 1}-12-31")


def _papers(page, program, photo: bytes) -> None:
    """Every card not done yet: the stamped form as a 12 MP photo (shrunk on the phone), the
    report as a scanned PDF, the ID front as a HEIC photo."""
    cards = page.locator("article.paper")
    kinds = [k.get_attribute("id").removeprefix("paper-") for k in cards.all()]
    done = [k.get_attribute("id").removeprefix("paper-") for k in page.locator("article.paper.done").all()]
    for kind in kinds:
        if kind in done:
            continue
        if kind == program.printed_form:
            _upload(page, kind, "IMG_20260301_101500.jpg", "image/jpeg", photo)
        elif kind == "chsi":
            _upload(page, kind, "学信网报告扫描.pdf", "application/pdf", scanned_pdf(2))
        elif kind == "id_front":
            _upload(page, kind, "IMG_0001.HEIC", "image/heic", heic_bytes((1600, 1200)))
        else:
            _upload(page, kind, f"{kind}.jpg", "image/jpeg", jpeg_bytes((1200, 800)))
    expect(page.locator(".paper.done")).to_have_count(len(kinds))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slug", DEMO_SLUGS)
def test_a_new_worker_goes_the_whole_way_on_a_phone(slug, live_server, browser_page, sms_outbox):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser_page
    page.context.clear_cookies()
    program = load_quota_demo().programs[slug]
    _open_now(program)
    union = _grassroots_of(program)
    year, today = program.year, timezone.localdate()
    phone, id_number, card = make_phone(), make_id_number(), make_card()
    walk = Journey(page, slug)
    base = live_server.url

    # The public home page: the programme with its money, places, window and papers.
    page.goto(base + "/")
    expect(page.locator(f"#prog-{program.pk}")).to_contain_text(program.name)
    walk.look("home")
    page.click("footer >> text=常见问题")
    expect(page.locator("h1")).to_have_text("常见问题")
    walk.look("help")

    page.goto(base + "/register/")
    page.fill("#id_phone", phone)
    page.click("button[name=send]")
    page.fill("#id_code", sms_code_in(sms_outbox, phone))
    page.fill("#id_password1", "Strong-pass-2024")
    page.fill("#id_password2", "Strong-pass-2024")
    walk.look("register")
    page.click("button.primary[type=submit]")
    expect(page.locator("h1")).to_have_text("实名信息")

    page.fill("#id_name", "王小明")
    page.fill("#id_id_number", id_number)
    page.fill("#id_employer", "一线职工所在单位")
    page.fill("#id_position", "装配工")
    page.fill("#id_union_search", union.name[:4])
    page.locator(".picker-list li", has_text=union.name).first.click()
    page.check("#id_is_frontline")
    page.fill("#id_bank_name", "中国工商银行")
    page.fill("#id_bank_card", card)
    page.check("#id_holder_declaration")
    walk.look("profile")
    page.click("button:has-text('保存')")
    expect(page.locator(".msg")).to_contain_text("个人信息已保存")

    page.goto(base + "/")
    page.locator(f"a[href='/programs/{program.pk}/apply/']").click()
    catalogue = page.locator("#id_entry").count() == 1
    if catalogue:  # Xian'an: 院校 · 层次 · 专业 from the programme's catalogue
        page.select_option("#id_entry", index=1)
    else:
        page.select_option("#id_level", index=1)
        page.fill("#id_school", "山东开放大学")
        page.fill("#id_major", "机电一体化技术")
    staged = program_is_staged(program)  # Xian'an: the enrolment facts come in December
    if not staged:
        _study_facts(page, year, today)
    walk.look("apply")
    page.click("button:has-text('保存并继续')")
    expect(page.locator("h2", has_text="申请材料")).to_be_visible()
    app = Application.objects.get(worker__user__username=phone, program=program)

    photo = big_photo()
    _papers(page, program, photo)
    walk.look("papers")

    page.click("a:has-text('检查并提交')")
    expect(page.locator("#submit-ready")).to_be_visible()
    walk.look("check")
    page.click("button:has-text('确认提交')")
    expect(page.locator(".msg")).to_contain_text("申请已提交")
    walk.look("submitted")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_REVIEW, app.status

    if staged:
        # Stage 1 (申请助学, the place taken) passes the grassroots union and the district;
        # in December the worker adds the enrolment facts and the rest of the papers.
        for tier, role in zip(app.review_chain, (AdminRole.REVIEWER, AdminRole.MANAGER), strict=False):
            stage_reviewer = get_user_model().objects.create_user(username=f"stage1-{slug}-{tier}")
            union_admin_create(user=stage_reviewer, union=Union.objects.get(pk=tier), role=role)
            application_approve(application=app, reviewer=stage_reviewer)
        app.refresh_from_db()
        assert app.status == ApplicationStatus.STAGE_PASSED, app.status
        page.goto(f"{base}/applications/{app.pk}/")
        expect(page.locator("#stage-steps li.stage-current")).to_contain_text("第2阶段")
        walk.look("stage-2-open")
        page.click("a:has-text('申报第2阶段')")
        _study_facts(page, year, today)
        page.click("button:has-text('保存修改')")
        expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
        _papers(page, program, photo)
        walk.look("stage-2-papers")
        page.click("a:has-text('检查并提交第2阶段')")
        expect(page.locator("#submit-ready")).to_be_visible()
        page.click("button:has-text('确认提交第2阶段')")
        expect(page.locator(".msg")).to_contain_text("申请已提交")
        walk.look("stage-2-submitted")
        app.refresh_from_db()
        assert (app.status, app.stage) == (ApplicationStatus.IN_REVIEW, 2), app.status

    current = {a.kind: a for a in app.attachments.filter(is_current=True)}
    assert current[program.printed_form].size < len(photo) // 2  # shrunk before it was sent
    assert current["id_front"].content_type == "image/jpeg"  # HEIC converted

    # The grassroots union sends it back: a wrong enrolment date and an unreadable ID photo.
    reviewer = get_user_model().objects.create_user(username=f"review-{slug}")
    union_admin_create(user=reviewer, union=app.current_tier, role=AdminRole.REVIEWER)
    application_return(
        application=app,
        reviewer=reviewer,
        reason="入学日期与录取通知书不一致；身份证正面照片反光看不清。",
        fields=["enrolled_on", "doc:id_front"],
    )
    page.goto(base + "/messages/")
    expect(page.locator("body")).to_contain_text("入学日期与录取通知书不一致")
    walk.look("returned-message")
    page.locator("a", has_text=f"查看申请 {app.number}").first.click()
    expect(page.locator("body")).to_contain_text("退回修改")
    walk.look("returned-status")

    page.goto(f"{base}/applications/{app.pk}/edit/")
    page.fill("#id_enrolled_on", f"{year}-09-01")
    page.click("button:has-text('保存修改')")
    expect(page.locator(".msg.success")).to_contain_text("申请信息已保存")
    _upload(page, "id_front", "IMG_0002.HEIC", "image/heic", heic_bytes((1600, 1200)))
    walk.look("fixed")
    page.click("a:has-text('检查并重新提交')")
    walk.look("recheck")
    page.click("button:has-text('确认重新提交')")
    expect(page.locator(".msg")).to_contain_text("申请已提交")
    walk.look("status")

    app.refresh_from_db()
    assert app.status == ApplicationStatus.IN_REVIEW and app.enrolled_on == date(year, 9, 1)
    assert app.attachments.filter(kind="id_front").count() == 2  # the old photo kept, not current
    print(f"\n{slug}: {len(walk.shots)} screenshots in {ARTIFACTS}")
    assert walk.problems == {}, walk.problems
