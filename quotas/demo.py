"""Demo data for the rules of the game: the four seed programmes as real configurations.

Idempotent: every object is looked up by a stable key (union code, programme slug, batch
number, source name) and brought to the state below, so running it twice changes nothing.
Quota tables go through the real importer, reading the real spreadsheets in ``demo_data/``.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction

from .catalogue import catalogue_read_csv
from .models import (
    COFUNDER_TIER,
    AdminRole,
    AllocationMode,
    BatchSplit,
    ChannelKind,
    CoFunder,
    CoFunderStaff,
    DocumentKind,
    EducationLevel,
    FundingSource,
    PayerRule,
    PaymentChannel,
    PrintedForm,
    PriorityMode,
    Program,
    ProgramStage,
    ReviewRound,
    TopUpRule,
    Union,
    UnionAdmin,
    UnionLevel,
    WorkerCategory,
)
from .quota_tables import quota_table_import, quota_table_preview, quota_table_read
from .quota_tables.matching import guess_union_level
from .services import catalogue_import, cofunder_save, cofunder_staff_create, union_admin_create, union_create
from .topups import funding_source_topup_approve, funding_source_topup_propose

DATA_DIR = Path(__file__).resolve().parent / "demo_data"
TZ = ZoneInfo("Asia/Shanghai")
DEMO_PASSWORD = "qiuxue-demo-2024"
# Members per slot used to invent member counts that reproduce the published tables
# roughly (Jinan: 3000 slots for the units ≈ 9 million members at 3000 per slot).
MEMBERS_PER_SLOT = 3000

STANDARD_DOCUMENTS = [
    DocumentKind.APPLICATION_FORM,
    DocumentKind.CHSI_REPORT,
    DocumentKind.ID_FRONT,
    DocumentKind.ID_BACK,
    DocumentKind.BANK_CARD,
]

# Xian'an's papers (seed 003): the stamped 推荐表, then 录取通知书, 学信网报告, ID both sides, card.
# Its year is in two stages (附件2): 申请助学 with the 推荐表 (the place is taken then), and in
# December 助学金申报 with the rest (``XIANAN_STAGES``).
XIANAN_PAPERS = (
    DocumentKind.RECOMMENDATION,
    DocumentKind.ADMISSION_LETTER,
    DocumentKind.CHSI_REPORT,
    DocumentKind.ID_FRONT,
    DocumentKind.ID_BACK,
    DocumentKind.BANK_CARD,
)


@dataclass
class DemoResult:
    programs: dict[str, Program] = field(default_factory=dict)
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)  # username, password, union, role
    password_hash: str = ""


def _day(y: int, m: int, d: int, *, end: bool = False) -> datetime:
    return datetime.combine(datetime(y, m, d).date(), time(23, 59, 59) if end else time(0, 0), tzinfo=TZ)


def _union(*, code: str, name: str, level: str, parent: Union | None, members: int = 0) -> Union:
    # By code, else by name under the same parent: a database loaded before the codes were
    # made unique per level keeps its unions (and takes the new code) instead of failing.
    union = Union.objects.filter(code=code).first() or Union.objects.filter(parent=parent, name=name).first()
    if union is None:
        return union_create(name=name, code=code, level=level, parent=parent, member_count=members)
    if (union.code, union.name, union.level, union.member_count) != (code, name, level, members):
        Union.objects.filter(pk=union.pk).update(code=code, name=name, level=level, member_count=members)
        union.refresh_from_db()
    return union


def _jitter(name: str, spread: int) -> int:
    """A stable pseudo-random offset in [-spread, spread] so counts do not look invented."""
    digest = int(hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:8], 16)
    return digest % (2 * spread + 1) - spread


def _units_from_table(*, filename: str, parent: Union, code_prefix: str) -> dict[str, Union]:
    """One union per row of a published table (pool excluded), member counts ∝ slots."""
    table = quota_table_read(data=(DATA_DIR / filename).read_bytes(), filename=filename)
    units = {}
    for row in table.rows:
        if "调剂" in row.label:
            continue
        members = row.slots * MEMBERS_PER_SLOT + _jitter(row.label, MEMBERS_PER_SLOT // 3)
        units[row.label] = _union(
            code=f"{code_prefix}-u{row.position:02d}",
            name=row.label,
            level=guess_union_level(row.label),
            parent=parent,
            members=max(members, 50),
        )
    return units


def _grassroots(parent: Union, names: list[str], *, level: str = UnionLevel.GRASSROOTS) -> list[Union]:
    # Townships and grassroots unions under one parent are numbered apart ("-t01", "-g01"):
    # one numbering for both gave Xian'an's streets and its direct grassroots unions the
    # same codes, so one overwrote the other.
    letter = "t" if level == UnionLevel.TOWNSHIP else "g"
    return [
        _union(code=f"{parent.code}-{letter}{i:02d}", name=name, level=level, parent=parent, members=200 + 37 * i)
        for i, name in enumerate(names, start=1)
    ]


def _program(slug: str, **fields) -> Program:
    program, _ = Program.objects.update_or_create(slug=slug, defaults=fields)
    return program


def _batch(program: Program, number: int, apply: tuple, review: tuple, **extra) -> None:
    program.batches.update_or_create(
        number=number,
        defaults={
            "name": f"第{number}批",
            "apply_opens": _day(*apply[0]),
            "apply_closes": _day(*apply[1], end=True),
            "review_opens": _day(*review[0]),
            "review_closes": _day(*review[1], end=True),
            **extra,
        },
    )


def _source(program: Program, name: str, **fields) -> FundingSource:
    defaults = {
        "payer_rule": PayerRule.FIXED,
        "payer_union": None,
        "payer_name": "",
        "total_slots": None,
        "uses_unit_quotas": False,
        "batch_split": BatchSplit.NONE,
        "first_batches_cap": None,
        "matching_of": None,
        **fields,
    }
    source, _ = FundingSource.objects.update_or_create(program=program, name=name, defaults=defaults)
    return source


def _import_table(source: FundingSource, filename: str) -> None:
    table = quota_table_read(data=(DATA_DIR / filename).read_bytes(), filename=filename)
    preview = quota_table_preview(source=source, table=table)
    if not preview.ok:
        raise RuntimeError("演示名额表有误：" + "；".join(str(p) for p in preview.problems))
    quota_table_import(source=source, rows=preview.rows, actor=None, filename=filename)


def _demo_user(result: DemoResult, username: str):
    user, _ = get_user_model().objects.get_or_create(username=username)
    # Hash once for all demo accounts: PBKDF2 per account would dominate the demo's time.
    if not result.password_hash:
        result.password_hash = make_password(DEMO_PASSWORD)
    user.password = result.password_hash
    user.save(update_fields=["password"])
    return user


def _account(result: DemoResult, username: str, union: Union, role: str) -> None:
    user = _demo_user(result, username)
    admin = UnionAdmin.objects.filter(user=user).first()
    if admin is None:
        union_admin_create(user=user, union=union, role=role)
    elif (admin.union_id, admin.role) != (union.pk, role):
        UnionAdmin.objects.filter(pk=admin.pk).update(union=union, role=role)
    result.accounts.append((username, DEMO_PASSWORD, union.name, str(AdminRole(role).label)))


def _cofunder_account(result: DemoResult, username: str, cofunder: CoFunder, role: str) -> None:
    """A university's staff account (no union): like ``_account``, for a co-funder."""
    user = _demo_user(result, username)
    staff = CoFunderStaff.objects.filter(user=user).first()
    if staff is None:
        cofunder_staff_create(user=user, cofunder=cofunder, role=role)
    elif (staff.cofunder_id, staff.role) != (cofunder.pk, role):
        CoFunderStaff.objects.filter(pk=staff.pk).update(cofunder=cofunder, role=role)
    result.accounts.append((username, DEMO_PASSWORD, cofunder.name, str(AdminRole(role).label)))


# Seed 003: "咸安区总工会联合咸宁职业技术学院、湖北第二师范学院、荆楚理工学院共同开展"; each pays
# its own students 1000 yuan. Demo account prefix of each.
XIANAN_UNIVERSITIES = (("咸宁职业技术学院", "xnzy"), ("荆楚理工学院", "jclg"), ("湖北第二师范学院", "hbes"))


def load_jinan_2024(result: DemoResult) -> None:
    """Seed 001: 2024年济南市一线职工“求学圆梦行动”实施方案."""
    province = _union(code="370000", name="山东省总工会", level=UnionLevel.PROVINCE, parent=None)
    city = _union(code="370100", name="济南市总工会", level=UnionLevel.CITY, parent=province)
    units = _units_from_table(filename="jinan-2024-quota-table.xlsx", parent=city, code_prefix="370100")
    lixia = units["历下区总工会"]
    street = _grassroots(lixia, ["泉城路街道工会", "姚家街道工会"], level=UnionLevel.TOWNSHIP)
    lixia_grassroots = _grassroots(street[0], ["济南泉城软件有限公司工会", "历下区人民医院工会"])
    _grassroots(street[1], ["山东齐鲁物流有限公司工会"])
    _grassroots(units["市中区总工会"], ["济南华联商厦工会", "市中区快递行业联合工会"])
    _grassroots(units["济南公共交通集团有限公司工会"], ["济南公交第一分公司工会", "济南公交第二分公司工会"])
    _grassroots(units["章丘区总工会"], ["章丘鼓风机股份有限公司工会"])

    program = _program(
        "jinan-2024",
        owner_union=city,
        year=2024,
        name="2024年济南市一线职工“求学圆梦行动”",
        description=(
            "省总工会补助1000名、市总工会补助3500名（含全市调剂名额500名），每人各1000元；"
            "各区县总工会原则上按市总名额和标准配套。严格审核、先到先得。"
            "省市补助由济南市职工文化事业发展中心实际发放。"
        ),
        eligible_levels=[
            EducationLevel.GAO_SHENG_ZHUAN,
            EducationLevel.DAZHUAN,
            EducationLevel.ZHUAN_SHENG_BEN,
            EducationLevel.BENKE,
            EducationLevel.POSTGRADUATE,  # 新入读大专及以上学历
        ],
        excluded_categories=[],
        required_documents=STANDARD_DOCUMENTS,
        public_sector_documents=[DocumentKind.RANK_CERTIFICATE],
        review_tiers=["grassroots", "county", "city"],
        allocation_mode=AllocationMode.BATCH,
        publicity_days=7,
        # Seed 001: 学信网学籍在线验证报告（要求有效期为6个月以上）, in calendar months.
        chsi_valid_months=6,
        # Seed 001, 联系方式 (the notice prints the centre's numbers without area code; 0531 is Jinan's).
        contact=("职工咨询服务热线：4000123318\n省暨济南市“求学圆梦”职工教育运营中心：0531-85826289、0531-68828301"),
        one_per_level_ever=True,
    )
    _batch(program, 1, ((2024, 5, 8), (2024, 6, 6)), ((2024, 5, 8), (2024, 6, 14)))
    _batch(program, 2, ((2024, 6, 17), (2024, 6, 28)), ((2024, 6, 17), (2024, 7, 12)))
    _batch(program, 3, ((2024, 10, 15), (2024, 11, 8)), ((2024, 10, 15), (2024, 11, 18)), skip_if_quota_filled=True)
    # The province money is paid out by the city: in practice 济南市职工文化事业发展中心
    # (the workers' culture centre) transfers it, on the city federation's account.
    _source(
        program,
        "省总工会补助",
        payer_union=city,
        amount_yuan=1000,
        total_slots=1000,
        batch_split=BatchSplit.EVEN_FIRST_TWO,
        first_batches_cap=500,
        position=0,
    )
    city_source = _source(
        program, "市总工会补助", payer_union=city, amount_yuan=1000, total_slots=3500, uses_unit_quotas=True, position=1
    )
    _source(
        program,
        "区县总工会配套补助",
        payer_rule=PayerRule.APPLICANT_COUNTY,
        amount_yuan=1000,
        matching_of=city_source,
        position=2,
    )
    _import_table(city_source, "jinan-2024-quota-table.xlsx")
    result.programs["jinan-2024"] = program
    _account(result, "jinan_city", city, AdminRole.MANAGER)
    _account(result, "jinan_reviewer", city, AdminRole.REVIEWER)
    _account(result, "jinan_finance", city, AdminRole.FINANCE)
    _account(result, "lixia_county", lixia, AdminRole.MANAGER)
    _account(result, "shizhong_county", units["市中区总工会"], AdminRole.MANAGER)
    _account(result, "lixia_grassroots", lixia_grassroots[0], AdminRole.REVIEWER)
    # The province above Jinan and Linyi: its dashboard compares the two cities' programmes.
    _account(result, "shandong_province", province, AdminRole.MANAGER)


def load_linyi_2022(result: DemoResult) -> None:
    """Seed 000: 2022年临沂市一线职工“求学圆梦行动”实施方案."""
    province = _union(code="370000", name="山东省总工会", level=UnionLevel.PROVINCE, parent=None)
    city = _union(code="371300", name="临沂市总工会", level=UnionLevel.CITY, parent=province)
    units = _units_from_table(filename="linyi-2022-quota-table.xlsx", parent=city, code_prefix="371300")
    lanshan = units["兰山区总工会"]
    town = _grassroots(lanshan, ["兰山街道工会"], level=UnionLevel.TOWNSHIP)
    _grassroots(town[0], ["临沂商城物流有限公司工会", "兰山区建筑业联合工会"])
    program = _program(
        "linyi-2022",
        owner_union=city,
        year=2022,
        name="2022年临沂市一线职工“求学圆梦行动”",
        description=(
            "省总工会每人1000元、市总工会每人500元，共300名；县区（开发区）总工会按市总名额1:1配套每人500元。"
            "全年常态化申请（1月1日至11月30日），两批审核。"
        ),
        eligible_levels=[
            EducationLevel.GAO_SHENG_ZHUAN,
            EducationLevel.DAZHUAN,
            EducationLevel.ZHUAN_SHENG_BEN,
            EducationLevel.BENKE,
        ],
        excluded_categories=[],
        required_documents=STANDARD_DOCUMENTS,
        public_sector_documents=[],
        review_tiers=["grassroots", "township", "county", "city"],
        allocation_mode=AllocationMode.BATCH,
        publicity_days=7,
        # Seed 000: 学信网学籍在线验证报告（要求有效期为6个月以上）, in calendar months.
        chsi_valid_months=6,
        # Seed 000 as printed: 联系电话 8726723 in the header, 0539—8276723，8726163 at the end
        # (the two differ by two swapped digits; both are copied, neither is corrected).
        contact=(
            "职工咨询热线：4000123318\n"
            "临沂市总工会：0539-8276723、0539-8726163（通知抬头所列联系电话：8726723）\n"
            "省暨济南市“求学圆梦”职工教育运营中心：宋燕 0531-85826289，张滨 0531-68828301"
        ),
        one_per_level_ever=True,
    )
    # Applications are open all year; an application belongs to the review round that
    # follows it: submitted by Jun 10 → first round, after → second round.
    _batch(program, 1, ((2022, 1, 1), (2022, 6, 10)), ((2022, 5, 5), (2022, 6, 10)))
    _batch(program, 2, ((2022, 6, 11), (2022, 11, 30)), ((2022, 11, 1), (2022, 12, 9)))
    # The seed's two review rounds decide for both batches: unfinished on Jun 10 → Nov 1.
    for number, opens, closes in ((1, (2022, 5, 5), (2022, 6, 10)), (2, (2022, 11, 1), (2022, 12, 9))):
        ReviewRound.objects.update_or_create(
            program=program, number=number, defaults={"opens": _day(*opens), "closes": _day(*closes, end=True)}
        )
    city_source = _source(
        program, "市总工会补助", payer_union=city, amount_yuan=500, total_slots=300, uses_unit_quotas=True, position=0
    )
    # Same 300 people: the province money follows the city's quota table.
    _source(program, "省总工会补助", payer_union=city, amount_yuan=1000, matching_of=city_source, position=1)
    _source(
        program,
        "县区总工会配套补助",
        payer_rule=PayerRule.APPLICANT_COUNTY,
        amount_yuan=500,
        matching_of=city_source,
        position=2,
    )
    _import_table(city_source, "linyi-2022-quota-table.xlsx")
    # Seed 000: "本人银行卡或齐鲁工惠APP我的钱包电子账号" (the wallet's account: 16 digits here).
    PaymentChannel.objects.update_or_create(
        program=program,
        name="齐鲁工惠APP 我的钱包",
        defaults={
            "kind": ChannelKind.WALLET,
            "account_label": "钱包电子账号",
            "payer_name": "齐鲁工惠",
            "min_length": 16,
            "max_length": 16,
        },
    )
    result.programs["linyi-2022"] = program
    _account(result, "linyi_city", city, AdminRole.MANAGER)
    _account(result, "lanshan_county", lanshan, AdminRole.MANAGER)
    # Seed 000: "乡镇（街道）工会、基层单位工会可在此基础上，根据自身情况投入适当资金进行补助":
    # 兰山街道工会 adds 300 yuan for its first 10 members funded by the city, with the city's consent.
    _account(result, "lanshan_street", town[0], AdminRole.MANAGER)
    if not program.sources.filter(scope_union=town[0]).exists():
        topup = funding_source_topup_propose(
            program=program,
            union=town[0],
            amount_yuan=300,
            rule=TopUpRule.FUNDED_BY,
            total_slots=10,
            base_source=city_source,
            actor=None,
        )
        funding_source_topup_approve(source=topup, actor=None, note="市总工会同意")


def xianan_stages_load(program: Program) -> None:
    """附件2: 一、申请助学 (推荐表, 基层工会 then 区总工会); 四、助学金申报 in December (录取通知书,
    学信网报告, ID, card; 区总工会 then the university). A demo loaded after December keeps a
    month to the stage-2 deadline, so its workers in stage 2 are not lapsed at once."""
    ProgramStage.objects.update_or_create(
        program=program,
        number=1,
        defaults={
            "name": "申请助学",
            "required_documents": [DocumentKind.RECOMMENDATION],
            "review_tiers": ["grassroots", "county"],
            "asks_study_facts": False,
            "opens": None,
            "closes": None,
        },
    )
    now = datetime.now(tz=TZ)
    opens = min(_day(2026, 12, 1), now - timedelta(days=1))
    month_on = (now + timedelta(days=30)).date()
    closes = max(_day(2026, 12, 31, end=True), _day(month_on.year, month_on.month, month_on.day, end=True))
    ProgramStage.objects.update_or_create(
        program=program,
        number=2,
        defaults={
            "name": "助学金申报",
            "required_documents": [k for k in XIANAN_PAPERS if k != DocumentKind.RECOMMENDATION],
            "review_tiers": ["county", COFUNDER_TIER],
            "asks_study_facts": True,
            "opens": opens,
            "closes": closes,
            "reminder_days": 7,
            "grace_days": 14,
        },
    )


def load_xianan_2026(result: DemoResult) -> None:
    """Seed 003: 咸安区“求学圆梦行动”实施方案 (2026)."""
    province = _union(code="420000", name="湖北省总工会", level=UnionLevel.PROVINCE, parent=None)
    city = _union(code="421200", name="咸宁市总工会", level=UnionLevel.CITY, parent=province)
    district = _union(code="421202", name="咸安区总工会", level=UnionLevel.COUNTY, parent=city, members=52000)
    towns = _grassroots(
        district,
        ["温泉街道工会", "永安街道工会", "浮山街道工会", "横沟桥镇工会", "贺胜桥镇工会", "马桥镇工会"],
        level=UnionLevel.TOWNSHIP,
    )
    _grassroots(towns[0], ["咸宁市某纺织有限公司工会", "温泉街道快递物流联合工会"])
    _grassroots(towns[3], ["横沟桥镇建材有限公司工会"])
    direct = _grassroots(district, ["咸安区人民医院工会", "咸安经济开发区企业联合工会"])
    program = _program(
        "xianan-2026",
        owner_union=district,
        year=2026,
        name="2026年咸安区一线职工、农民工“求学圆梦行动”",
        description=(
            "一次求学，双重补助：工会1000元、高校1000元。全区不超过100人，按成功提交申请的先后顺序分配，"
            "先到先得，额满即止。劳模工匠、优秀工会干部、先进工作者、新就业形态职工优先。公示7天。"
        ),
        eligible_levels=[EducationLevel.GAO_SHENG_ZHUAN, EducationLevel.ZHUAN_SHENG_BEN],
        excluded_categories=[],
        required_documents=list(XIANAN_PAPERS),
        public_sector_documents=[],
        # The recommendation form has two stamps: 基层工会 then 区总工会; then the university
        # the worker enrolled at checks the enrolment ("经区总工会、高校审核申报信息").
        review_tiers=["grassroots", "county", COFUNDER_TIER],
        printed_form=PrintedForm.RECOMMENDATION,  # 附件3, uploaded as 助学推荐表
        allocation_mode=AllocationMode.AT_SUBMISSION,
        # "劳模工匠、优秀工会干部、先进工作者、新就业形态职工优先" with no reserved number: once the
        # 100 places are taken, the priority groups queue ahead on the waitlist, which the
        # stage deadlines promote from (applications/seats.py).
        priority_mode=PriorityMode.WAITLIST_FIRST,
        publicity_days=7,
        # The Xian'an seed sets no validity: the Shandong six months, as everywhere else.
        chsi_valid_months=6,
        # Seed 003 gives no telephone or office (its 联系电话 is a box of the form, for the
        # worker's own number): contact stays blank and the pages say to ask the union.
        contact="",
        one_per_level_ever=True,
        # "区总工会所属基层工会会员": 不在册 on a union's imported roster is a review flag
        # (the demo roster of 温泉街道工会: applications/demo.py).
        requires_membership=True,
    )
    # Applications from spring (stage 1, the batch's window: places first come first
    # served); admission letters arrive in December, then the claim (stage 2). The demo keeps
    # the stage-1 window open to the year's end so that a new demo worker can still apply.
    _batch(program, 1, ((2026, 3, 1), (2026, 12, 31)), ((2026, 3, 1), (2027, 1, 31)))
    xianan_stages_load(program)
    union_source = _source(
        program, "区总工会助学金", payer_union=district, amount_yuan=1000, total_slots=100, position=0
    )
    # Each university pays its own students: one list per university, by its finance.
    _source(
        program,
        "高校助学金",
        payer_rule=PayerRule.APPLICANT_COFUNDER,
        amount_yuan=1000,
        matching_of=union_source,
        position=1,
    )
    entries = catalogue_read_csv(data=(DATA_DIR / "xianan-2026-schools-majors.csv").read_bytes())
    catalogue_import(program=program, entries=entries, actor=None)
    result.programs["xianan-2026"] = program
    _account(result, "xianan_district", district, AdminRole.MANAGER)
    _account(result, "xianan_grassroots", direct[0], AdminRole.REVIEWER)
    for name, prefix in XIANAN_UNIVERSITIES:
        cofunder = cofunder_save(program=program, name=name, schools=[name], actor=None)
        _cofunder_account(result, f"{prefix}_reviewer", cofunder, AdminRole.REVIEWER)
        _cofunder_account(result, f"{prefix}_finance", cofunder, AdminRole.FINANCE)


def load_conghua_2023(result: DemoResult) -> None:
    """Seed 004: 从化区职工素质提升活动——2023年学历教育项目."""
    province = _union(code="440000", name="广东省总工会", level=UnionLevel.PROVINCE, parent=None)
    city = _union(code="440100", name="广州市总工会", level=UnionLevel.CITY, parent=province)
    district = _union(code="440117", name="从化区总工会", level=UnionLevel.COUNTY, parent=city, members=61000)
    towns = _grassroots(
        district,
        ["街口街道工会", "江埔街道工会", "城郊街道工会", "太平镇总工会", "温泉镇总工会", "鳌头镇总工会"],
        level=UnionLevel.TOWNSHIP,
    )
    _grassroots(towns[0], ["从化区某电子有限公司工会", "街口街道环卫工人联合工会"])
    _grassroots(towns[3], ["广州明珠工业园某汽车配件有限公司工会"])
    program = _program(
        "conghua-2023",
        owner_union=district,
        year=2023,
        name="从化区职工素质提升活动——2023年学历教育",
        description=(
            "对2023年成功取得大专、本科、研究生学籍的职工，给予500元/人的学习补助，全年300名。"
            "公务员、事业编制人员、工勤人员及其他参公人员不纳入补助对象。"
            "享受过一次区级大专补助的职工继续报读本科，可再次享受补助（每一学历层次一次）。"
        ),
        eligible_levels=[
            EducationLevel.GAO_SHENG_ZHUAN,
            EducationLevel.DAZHUAN,
            EducationLevel.ZHUAN_SHENG_BEN,
            EducationLevel.BENKE,
            EducationLevel.POSTGRADUATE,
        ],
        excluded_categories=[
            WorkerCategory.CIVIL_SERVANT,
            WorkerCategory.PUBLIC_INSTITUTION_STAFF,
            WorkerCategory.GONGQIN_STAFF,
            WorkerCategory.CANGONG_STAFF,
        ],
        required_documents=STANDARD_DOCUMENTS,
        public_sector_documents=[],
        review_tiers=["grassroots", "township", "county"],
        allocation_mode=AllocationMode.BATCH,
        publicity_days=7,
        # The Conghua seed sets no validity: the Shandong six months, as everywhere else.
        chsi_valid_months=6,
        # One subsidy per level: 大专 once, then 本科 again is a different level.
        # Seed 004: the district union's contacts and the education centre's office.
        contact=(
            "从化区总工会：黄雯、梁智聪，电话 37902077（广州，区号020），电子邮箱 chqzghzxb@gz.gov.cn\n"
            "广州职工教育网从化服务中心：从化区从城大道181号东科商务，电话 020-66334530\n"
            "彭老师 18502096387，徐老师 13360563497"
        ),
        one_per_level_ever=True,
    )
    _batch(program, 1, ((2023, 2, 1), (2023, 11, 30)), ((2023, 2, 1), (2023, 12, 31)))
    _source(program, "区总工会学习补助", payer_union=district, amount_yuan=500, total_slots=300, position=0)
    result.programs["conghua-2023"] = program
    _account(result, "conghua_district", district, AdminRole.MANAGER)


def load_quota_demo() -> DemoResult:
    """Build (or bring back to) the four seed programmes, their trees, tables and accounts."""
    result = DemoResult()
    with transaction.atomic():
        load_jinan_2024(result)
        load_linyi_2022(result)
        load_xianan_2026(result)
        load_conghua_2023(result)
    return result
