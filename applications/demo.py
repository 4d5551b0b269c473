"""Demo workers and applications, built through the real services and state machine.

``demo_workers_load()`` expects the programmes of ``quotas.demo`` (loads them if missing) and
is idempotent: if the demo worker exists, nothing is added. Jinan 2024's windows are in the
past, so Jinan submissions pass ``now=`` a moment inside batch 1 (Conghua 2023's likewise);
Xian'an 2026 is open. Xian'an and Conghua each get approved applications, so their district
accounts can run the year (allocation to bank return) as ``jinan_city`` does.

Every 学信网 report is a PDF with a text layer (``sample_reports``) that says what its
application says, so the review page's 报告核对 shows ✓ rows; one (``REPORT_MISMATCH_PHONE``'s,
at 荆楚理工学院) reads 休学, so a reviewer sees a ✗ and the flag. The other papers are plain
pictures.
"""

import io
import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from qiuxue.crypto import decrypt_text
from quotas.models import CatalogueEntry, DocumentKind, EducationLevel, Program, Union, UnionLevel
from quotas.rosters import roster_read, roster_replace

from . import eligibility
from .models import Application, Worker
from .payment_accounts import worker_payment_account_save
from .report_prefill import LEVELS_OF
from .sample_reports import NEW_LAYOUT, OLD_LAYOUT, report_pdf
from .services import (
    ApplicationData,
    ProfileData,
    application_create_draft,
    application_resubmit,
    application_submit,
    application_withdraw,
    attachment_upload,
    worker_profile_save,
)
from .stages import application_stage_submit
from .validators import id_check_char, luhn_check_digit
from .workflow import Action, application_transition

TZ = ZoneInfo("Asia/Shanghai")
DEMO_PHONE = "13800000001"
DEMO_PASSWORD = "qiuxue-worker-2024"
JINAN_SUBMIT_AT = datetime(2024, 5, 20, 9, 0, tzinfo=TZ)
CONGHUA_SUBMIT_AT = datetime(2023, 9, 15, 9, 0, tzinfo=TZ)
LINYI_SUBMIT_AT = datetime(2022, 3, 1, 9, 0, tzinfo=TZ)
# The 兰山街道 worker paid to the 齐鲁工惠 wallet (16 digits, the programme's set-up).
LINYI_WALLET_ACCOUNT = "6000202203010001"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "志强", "海燕", "晓东", "丽娟", "国平", "春梅", "伟", "静", "磊", "敏", "军", "芳", "洋", "婷"]
# The Xian'an applicant (at its university, 荆楚理工学院) whose report reads 休学: the demo's
# one ✗ in 报告核对 (README, demo).
REPORT_MISMATCH_PHONE = "13900000008"
REPORT_MISMATCH = {"status": "休学"}
EMPLOYERS = ["济南泉城软件有限公司", "历下区人民医院", "山东齐鲁物流有限公司", "济南公交集团", "章丘鼓风机股份有限公司"]


def _id_number(n: int) -> str:
    birth = date(1980, 1, 1) + timedelta(days=(n * 397) % 7000)
    body = f"370102{birth:%Y%m%d}{(n * 7) % 1000:03d}"
    return body + id_check_char(body)


def _card(n: int) -> str:
    body = f"622202{n:012d}"
    return body + luhn_check_digit(body)


def _image(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (600, 400), color).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def _printed_level(level: str) -> str:
    """The 层次 a report prints for the level applied for (高升专 ⇒ 专科, 专升本 ⇒ 本科)."""
    return next(printed for printed, levels in LEVELS_OF.items() if level in levels)


def _report(app: Application, worker: Worker, **overrides) -> bytes:
    """The application's 学信网 report, as 学信网 would print it for what the worker typed
    (both layouts in turn, so the older one's 证件号码 row shows too)."""
    id_number = decrypt_text(worker.id_number_encrypted)
    fields = {
        "layout": OLD_LAYOUT if app.pk % 2 else NEW_LAYOUT,
        "name": worker.name,
        "sex": "男" if int(id_number[16]) % 2 else "女",  # GB 11643: the 17th digit
        "birth": worker.birth_date,
        "id_number": id_number,
        "school": app.school,
        "level": _printed_level(app.level),
        "major": app.major,
        "enrolled": app.enrolled_on,
        "code": app.chsi_code,
        "updated": app.enrolled_on,
        "valid_until": app.chsi_expires_on,
    }
    return report_pdf(**(fields | overrides))


def _paper(app: Application, worker: Worker, kind: str, i: int) -> SimpleUploadedFile:
    if kind == DocumentKind.CHSI_REPORT:
        overrides = REPORT_MISMATCH if worker.phone == REPORT_MISMATCH_PHONE else {}
        return SimpleUploadedFile(f"{kind}.pdf", _report(app, worker, **overrides), content_type="application/pdf")
    data = _image((200 - 20 * i, 60 + 15 * i, 40))
    return SimpleUploadedFile(f"{kind}.jpg", data, content_type="image/jpeg")


def _papers(app: Application, worker: Worker, *, stage: int | None = None) -> None:
    """The papers of the programme, or of its stages up to ``stage`` not yet uploaded."""
    have = set(app.attachments.filter(is_current=True).values_list("kind", flat=True))
    kinds = eligibility.required_documents_for(program=app.program, worker=worker, stage=stage)
    for i, kind in enumerate(k for k in kinds if k not in have):
        attachment_upload(application=app, kind=kind, uploaded_file=_paper(app, worker, kind, i), actor=worker.user)


def _worker(n: int, *, phone: str, union: Union, password_hash: str, **flags) -> Worker:
    user, _ = get_user_model().objects.get_or_create(username=phone, defaults={"password": password_hash})
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
    return worker_profile_save(
        user=user,
        data=ProfileData(
            name=flags.pop("name", name),
            employer=EMPLOYERS[n % len(EMPLOYERS)],
            union=union,
            bank_name="中国工商银行",
            id_number=_id_number(n),
            bank_card=_card(9000 + n),
            position="一线操作工",
            is_frontline=True,
            is_migrant=n % 3 == 0,
            **flags,
        ),
    )


def _jinan_data(n: int) -> ApplicationData:
    level = [
        EducationLevel.DAZHUAN,
        EducationLevel.BENKE,
        EducationLevel.GAO_SHENG_ZHUAN,
        EducationLevel.ZHUAN_SHENG_BEN,
    ][n % 4]
    return ApplicationData(
        level=level,
        school=["山东开放大学", "济南大学", "山东劳动职业技术学院", "齐鲁工业大学"][n % 4],
        major=["机电一体化技术", "护理", "物流管理", "计算机科学与技术"][n % 4],
        enrolled_on=date(2024, 3, 1),
        chsi_code=f"DEMO{n:08d}",
        chsi_expires_on=date(2025, 3, 1),
    )


def _xianan_data(program: Program, n: int, *, study: bool = True) -> ApplicationData:
    """``study``: the enrolment facts, known at stage 2 (December) only."""
    entries = list(CatalogueEntry.objects.filter(program=program).order_by("id"))
    # Round the schools (the three universities, each reviewing and paying its own
    # students), then the majors of each.
    schools = list(dict.fromkeys(e.school for e in entries))
    of_school = [e for e in entries if e.school == schools[n % len(schools)]]
    entry = of_school[(n // len(schools)) % len(of_school)]
    today = timezone.localdate()
    if not study:
        return ApplicationData(level=entry.level, school=entry.school, major=entry.major)
    return ApplicationData(
        level=entry.level,
        school=entry.school,
        major=entry.major,
        enrolled_on=date(program.year, 3, 1),
        chsi_code=f"XA{n:08d}",
        chsi_expires_on=today + timedelta(days=365),
    )


def _conghua_data(n: int) -> ApplicationData:
    level = [EducationLevel.DAZHUAN, EducationLevel.BENKE, EducationLevel.ZHUAN_SHENG_BEN][n % 3]
    return ApplicationData(
        level=level,
        school=["广州开放大学", "华南理工大学", "广东工贸职业技术学院"][n % 3],
        major=["机电一体化技术", "工商管理", "汽车检测与维修技术"][n % 3],
        enrolled_on=date(2023, 3, 1),
        chsi_code=f"CH{n:08d}",
        chsi_expires_on=date(2024, 6, 1),
    )


def _linyi_data(n: int) -> ApplicationData:
    return ApplicationData(
        level=[EducationLevel.DAZHUAN, EducationLevel.ZHUAN_SHENG_BEN][n % 2],
        school=["山东开放大学", "临沂大学"][n % 2],
        major=["物流管理", "土木工程"][n % 2],
        enrolled_on=date(2022, 3, 1),
        chsi_code=f"LY{n:08d}",
        chsi_expires_on=date(2023, 3, 1),
    )


def _linyi_workers(*, password_hash: str) -> int:
    """Linyi 2022: four approved workers of 兰山街道 (the street's top-up, 300 yuan for its
    first 10 members funded by the city), one of them paid to the 齐鲁工惠 wallet."""
    linyi = Program.objects.filter(slug="linyi-2022").first()
    street = Union.objects.filter(name="兰山街道工会").first()
    if linyi is None or street is None:
        return 0
    units = list(Union.objects.subtree_of(street).filter(level=UnionLevel.GRASSROOTS).order_by("path"))
    wallet = linyi.payment_channels.first()
    for k in range(4):
        n = 300 + k
        w = _worker(n, phone=f"1360000{k + 1:04d}", union=units[k % len(units)], password_hash=password_hash)
        if k == 0 and wallet is not None:
            worker_payment_account_save(user=w.user, channel=wallet, account=LINYI_WALLET_ACCOUNT)
        a = application_create_draft(worker=w, program=linyi, data=_linyi_data(k), actor=w.user)
        _papers(a, w)
        a = application_submit(application=a, actor=w.user, now=LINYI_SUBMIT_AT + timedelta(minutes=13 * k))
        _review_to(a, "approved")
    return 4


def _review_to(app: Application, outcome: str, *, at: datetime | None = None) -> None:
    """Play the reviewers' part through the state machine (the reviews app does this for real)."""
    chain = list(Union.objects.filter(pk__in=app.review_chain))
    chain.sort(key=lambda u: app.review_chain.index(u.pk))
    if outcome == "returned":
        application_transition(
            application=app,
            action=Action.RETURN,
            actor=None,
            tier=chain[0],
            reason="学信网学籍在线验证报告不清晰，请重新上传。",
            changes={
                "returned_at": at or timezone.now(),
                "return_fields": ["doc:chsi"],
                "return_reason": "学信网报告不清晰",
            },
        )
        return
    if outcome == "rejected":
        application_transition(
            application=app, action=Action.REJECT, actor=None, tier=chain[0], reason="经核实不是本单位一线职工。"
        )
        return
    for lower, upper in itertools.pairwise(chain):
        application_transition(
            application=app, action=Action.APPROVE, actor=None, tier=lower, changes={"current_tier": upper}
        )
    if app.cofunder_id is not None:
        # Xian'an: past the district, on to the university of the school (its step).
        application_transition(
            application=app, action=Action.APPROVE, actor=None, tier=chain[-1], changes={"current_tier": None}
        )
        if outcome == "at_cofunder":
            return
        application_transition(application=app, action=Action.APPROVE_FINAL, actor=None, tier=None)
        return
    application_transition(application=app, action=Action.APPROVE_FINAL, actor=None, tier=chain[-1])


def _xianan_roster(program: Program) -> None:
    """温泉街道工会's member roster (会员名册): its demo applicants but the first, so that one
    reads 不在册 and carries the not-member flag (Xian'an requires membership)."""
    town = Union.objects.get(parent=program.owner_union, name="温泉街道工会")
    workers = Worker.objects.filter(union__path__startswith=town.path, applications__program=program).order_by("pk")
    rows = (
        [("姓名", "身份证号")]
        + [(w.name, decrypt_text(w.id_number_encrypted)) for w in workers[1:]]
        + [("周建国", _id_number(990))]
    )
    content = "\n".join(",".join(r) for r in rows).encode("gb18030")
    roster_replace(union=town, reading=roster_read(name="温泉街道会员名册.csv", content=content), actor=None)


def _pass_stage(app: Application) -> None:
    """Stage 1 of a programme in stages through its tiers: the stage passed (Xian'an's
    grassroots union and district stamp the 推荐表), the next stage open to the worker."""
    chain = list(Union.objects.filter(pk__in=app.review_chain))
    chain.sort(key=lambda u: app.review_chain.index(u.pk))
    for lower, upper in itertools.pairwise(chain):
        application_transition(
            application=app, action=Action.APPROVE, actor=None, tier=lower, changes={"current_tier": upper}
        )
    application_transition(
        application=app,
        action=Action.PASS_STAGE,
        actor=None,
        tier=chain[-1],
        changes={"stage": app.stage + 1, "current_tier": None},
    )


def demo_workers_load() -> dict:
    """One demo worker (13800000001) with a submitted Jinan application, and ~40 more."""
    if Worker.objects.filter(phone=DEMO_PHONE).exists():
        return {"phone": DEMO_PHONE, "password": DEMO_PASSWORD, "created": 0}
    jinan = Program.objects.filter(slug="jinan-2024").first()
    xianan = Program.objects.filter(slug="xianan-2026").first()
    conghua = Program.objects.filter(slug="conghua-2023").first()
    if jinan is None or xianan is None or conghua is None:
        from quotas.demo import load_quota_demo

        load_quota_demo()
        jinan, xianan = Program.objects.get(slug="jinan-2024"), Program.objects.get(slug="xianan-2026")
        conghua = Program.objects.get(slug="conghua-2023")
    password_hash = make_password(DEMO_PASSWORD)  # once: PBKDF2 per account would dominate
    jinan_units = list(Union.objects.subtree_of(jinan.owner_union).filter(level=UnionLevel.GRASSROOTS).order_by("path"))
    xianan_units = list(
        Union.objects.subtree_of(xianan.owner_union)
        .filter(level__in=(UnionLevel.GRASSROOTS, UnionLevel.TOWNSHIP))
        .order_by("path")
    )
    home = next((u for u in jinan_units if u.name == "济南泉城软件有限公司工会"), jinan_units[0])
    created = 0
    with transaction.atomic():
        demo = _worker(0, phone=DEMO_PHONE, union=home, password_hash=password_hash, name="王小明", email="")
        app = application_create_draft(worker=demo, program=jinan, data=_jinan_data(0), actor=demo.user)
        _papers(app, demo)
        application_submit(application=app, actor=demo.user, now=JINAN_SUBMIT_AT)
        created += 1
        # Jinan: a spread of statuses across units.
        outcomes = ["in_review"] * 8 + ["approved"] * 8 + ["returned"] * 4 + ["rejected"] * 2
        outcomes += ["draft"] * 3 + ["withdrawn"] * 2 + ["resubmitted"] * 2
        for i, outcome in enumerate(outcomes, start=1):
            unit = jinan_units[i % len(jinan_units)]
            w = _worker(
                i, phone=f"1380000{i + 1:04d}", union=unit, password_hash=password_hash, is_public_sector=i % 7 == 0
            )
            a = application_create_draft(worker=w, program=jinan, data=_jinan_data(i), actor=w.user)
            _papers(a, w)
            created += 1
            if outcome == "draft":
                continue
            a = application_submit(application=a, actor=w.user, now=JINAN_SUBMIT_AT + timedelta(minutes=7 * i))
            if outcome in ("approved", "returned", "rejected"):
                _review_to(a, outcome)
            elif outcome == "withdrawn":
                application_withdraw(application=a, actor=w.user, reason="个人原因")
            elif outcome == "resubmitted":
                _review_to(a, "returned", at=JINAN_SUBMIT_AT + timedelta(days=2))
                a.refresh_from_db()
                application_resubmit(application=a, actor=w.user, now=JINAN_SUBMIT_AT + timedelta(days=3))
        # Xian'an, a year in two stages: places are taken at the stage-1 submission (spring),
        # in order. Six have claimed in December and been approved (the district runs its
        # year), two wait at their university (xnzy_reviewer, ...), two have passed stage 1
        # and must still claim (当前阶段 2), two wait at the unions in stage 1, two are drafts.
        spring = datetime(2026, 4, 1, 9, 0, tzinfo=TZ)
        for j in range(14):
            n = 100 + j
            w = _worker(
                n,
                phone=f"1390000{j + 1:04d}",
                union=xianan_units[j % len(xianan_units)],
                password_hash=password_hash,
                is_new_form_worker=j % 4 == 0,
                is_model_worker=j % 5 == 2,  # priority groups (Xian'an: waitlist first)
            )
            data = _xianan_data(xianan, j, study=j < 8)
            a = application_create_draft(worker=w, program=xianan, data=data, actor=w.user)
            _papers(a, w, stage=1)
            created += 1
            if j >= 12:
                continue
            a = application_submit(application=a, actor=w.user, now=spring + timedelta(hours=j))
            if j == 10:
                continue  # stage 1 at the grassroots union
            if j == 11:  # stage 1 stamped by the grassroots union, at the district now
                chain = [Union.objects.get(pk=pk) for pk in a.review_chain]
                if len(chain) > 1:
                    application_transition(
                        application=a,
                        action=Action.APPROVE,
                        actor=None,
                        tier=chain[0],
                        changes={"current_tier": chain[1]},
                    )
                continue
            _pass_stage(a)
            if j >= 8:
                continue  # stage 2 still to claim
            a.refresh_from_db()
            _papers(a, w, stage=2)
            a = application_stage_submit(application=a, actor=w.user)
            _review_to(a, "approved" if j < 6 else "at_cofunder")
        _xianan_roster(xianan)
        # Conghua 2023: approved applications for the district (conghua_district) to
        # allocate, publish and pay, as Jinan's city does. Its 2023 window is past.
        conghua_units = list(
            Union.objects.subtree_of(conghua.owner_union).filter(level=UnionLevel.GRASSROOTS).order_by("path")
        )
        for k in range(6):
            n = 200 + k
            w = _worker(
                n, phone=f"1370000{k + 1:04d}", union=conghua_units[k % len(conghua_units)], password_hash=password_hash
            )
            a = application_create_draft(worker=w, program=conghua, data=_conghua_data(k), actor=w.user)
            _papers(a, w)
            created += 1
            a = application_submit(application=a, actor=w.user, now=CONGHUA_SUBMIT_AT + timedelta(minutes=11 * k))
            _review_to(a, "approved")
        created += _linyi_workers(password_hash=password_hash)
    print(
        f"演示职工账号：{DEMO_PHONE}  密码：{DEMO_PASSWORD}（其余演示职工 1380000xxxx / 1390000xxxx / 1370000xxxx / 1360000xxxx 同一密码）"
    )
    return {"phone": DEMO_PHONE, "password": DEMO_PASSWORD, "created": created, "document_kinds": DocumentKind.values}
