"""The rules of the game: the union tree, admins, programmes, batches, funding, quotas.

No workflow here: writes live in ``services.py``, reads in ``selectors.py``.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Each path segment is a zero-padded node id plus a dot, so a subtree is one indexed
# prefix query: ``path LIKE '0001.0042.%'``.
PATH_SEGMENT_WIDTH = 6


class UnionLevel(models.TextChoices):
    PROVINCE = "province", _("省总工会")
    CITY = "city", _("市总工会")
    COUNTY = "county", _("县区总工会")
    INDUSTRY = "industry", _("产业（系统）工会")
    ENTERPRISE = "enterprise", _("大企业工会")
    ORGANS = "organs", _("机关工会工委")
    TOWNSHIP = "township", _("乡镇（街道）工会")
    GRASSROOTS = "grassroots", _("基层工会")


class UnionQuerySet(models.QuerySet):
    def subtree_of(self, union: "Union") -> "UnionQuerySet":
        return self.filter(path__startswith=union.path)

    def ancestors_of(self, union: "Union") -> "UnionQuerySet":
        return self.filter(path__in=union.ancestor_paths())


class Union(models.Model):
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级工会")
    )
    name = models.CharField(_("名称"), max_length=120)
    code = models.CharField(_("代码"), max_length=40, unique=True)
    level = models.CharField(_("层级"), max_length=20, choices=UnionLevel.choices)
    member_count = models.PositiveIntegerField(_("会员数"), default=0)
    # Materialised path, set by quotas.services.union_create; never edited by hand.
    path = models.CharField(max_length=255, unique=True, editable=False, verbose_name=_("路径"))
    depth = models.PositiveSmallIntegerField(default=0, editable=False, verbose_name=_("层级深度"))

    objects = UnionQuerySet.as_manager()

    class Meta:
        verbose_name = _("工会")
        verbose_name_plural = _("工会")
        ordering = ["path"]
        indexes = [models.Index(fields=["path"], name="union_path_prefix_idx", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="union_unique_name_per_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestor_paths(self) -> list[str]:
        width = PATH_SEGMENT_WIDTH + 1
        return [self.path[: i * width] for i in range(1, len(self.path) // width + 1)]

    def is_within(self, other: "Union") -> bool:
        return self.path.startswith(other.path)


class AdminRole(models.TextChoices):
    REVIEWER = "reviewer", _("审核员")
    MANAGER = "manager", _("管理员")  # may also override windows, run allocation, export
    FINANCE = "finance", _("财务")  # may export payout lists with full numbers


class UnionAdmin(models.Model):
    """A staff account belongs to exactly one union and acts on its subtree only."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="union_admin", verbose_name=_("用户")
    )
    union = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="admins", verbose_name=_("所属工会"))
    role = models.CharField(_("角色"), max_length=20, choices=AdminRole.choices, default=AdminRole.REVIEWER)
    # The staff member's own numbers, optional: with them a reviewer cannot decide the case
    # of the same person, or of someone sharing their card or phone, under another account.
    # Stored as HMAC (to compare with workers' copies) and mask (to show); the ID number
    # also encrypted, like a worker's. Set only by quotas.services.union_admin_*.
    id_number_encrypted = models.TextField(blank=True, default="", editable=False, verbose_name=_("身份证号（加密）"))
    id_number_hmac = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False, verbose_name=_("身份证号索引")
    )
    id_number_masked = models.CharField(_("本人身份证号"), max_length=24, blank=True, default="", editable=False)
    phone_hmac = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False, verbose_name=_("手机号索引")
    )
    phone_masked = models.CharField(_("本人手机号"), max_length=24, blank=True, default="", editable=False)
    bank_card_hmac = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False, verbose_name=_("银行卡号索引")
    )
    bank_card_masked = models.CharField(_("本人银行卡号"), max_length=24, blank=True, default="", editable=False)

    class Meta:
        verbose_name = _("工会管理员")
        verbose_name_plural = _("工会管理员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.union}"


class EducationLevel(models.TextChoices):
    GAO_SHENG_ZHUAN = "gsz", _("高升专")
    ZHUAN_SHENG_BEN = "zsb", _("专升本")
    DAZHUAN = "dazhuan", _("大专")
    BENKE = "benke", _("本科")
    POSTGRADUATE = "yjs", _("研究生")


class WorkerCategory(models.TextChoices):
    """Categories a programme may exclude. Conghua 2023: "公务员、事业编制人员、工勤人员及其他
    参公人员不纳入补助对象" (all four)."""

    CIVIL_SERVANT = "civil_servant", _("公务员")
    PUBLIC_INSTITUTION_STAFF = "shiye_bianzhi", _("事业编制人员")
    GONGQIN_STAFF = "gongqin", _("机关事业单位工勤人员")
    CANGONG_STAFF = "cangong", _("参公管理人员")


class DocumentKind(models.TextChoices):
    APPLICATION_FORM = "form", _("盖章申请表")
    CHSI_REPORT = "chsi", _("学信网学籍在线验证报告")
    ID_FRONT = "id_front", _("身份证正面")
    ID_BACK = "id_back", _("身份证反面")
    BANK_CARD = "bank_card", _("本人银行卡")
    RANK_CERTIFICATE = "rank_cert", _("职级证明")
    RECOMMENDATION = "recommendation", _("助学推荐表")
    ADMISSION_LETTER = "admission", _("录取通知书")
    # Proofs of a priority group the worker claims (applications/priority.py), asked for
    # only when the programme requires them (``Program.priority_proof_required``).
    MODEL_WORKER_PROOF = "proof_model", _("劳模工匠证明")
    UNION_CADRE_PROOF = "proof_cadre", _("优秀工会干部证明")
    ADVANCED_WORKER_PROOF = "proof_advanced", _("先进工作者证明")
    NEW_FORM_PROOF = "proof_new_form", _("新就业形态职工证明")


class PrintedForm(models.TextChoices):
    """The form the system prints for the stamp. Each value is also the ``DocumentKind`` of
    its stamped copy, so the paper printed is the paper uploaded: Jinan and Linyi print the
    申请表 (uploaded as 盖章申请表), Xian'an its 助学推荐表 (seed 附件3)."""

    APPLICATION_FORM = DocumentKind.APPLICATION_FORM.value, _("申请表")
    RECOMMENDATION = DocumentKind.RECOMMENDATION.value, _("助学推荐表")


class AllocationMode(models.TextChoices):
    BATCH = "batch", _("审核后按批次分配")
    AT_SUBMISSION = "at_submission", _("提交即占名额")


class FullPolicy(models.TextChoices):
    """At-submission programmes: what a submission gets once every place is taken."""

    WAITLIST = "waitlist", _("进入候补名单")
    STOP = "stop", _("额满即止，不再接受申请")


class PriorityMode(models.TextChoices):
    """How the priority groups (劳模工匠、优秀工会干部、先进工作者、新就业形态职工) come first.
    At-submission programmes only (applications/seats.py)."""

    NONE = "none", _("不设优先")
    RESERVED = "reserved", _("为优先群体预留名额")
    WAITLIST_FIRST = "waitlist_first", _("候补名单中优先群体排在前面")


class Program(models.Model):
    owner_union = models.ForeignKey(
        Union, on_delete=models.PROTECT, related_name="programs", verbose_name=_("主办工会")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(_("名称"), max_length=200)
    slug = models.SlugField(unique=True, verbose_name=_("标识"))
    description = models.TextField(_("说明"), blank=True)
    eligible_levels = models.JSONField(_("可申请学历层次"), default=list)
    excluded_categories = models.JSONField(_("不可申请人员类别"), default=list, blank=True)
    required_documents = models.JSONField(_("必需材料"), default=list)
    # Extra document required of public-sector staff (Jinan: 职级证明).
    public_sector_documents = models.JSONField(_("机关事业单位人员另需材料"), default=list, blank=True)
    printed_form = models.CharField(
        _("打印盖章的表格"),
        max_length=20,
        choices=PrintedForm.choices,
        default=PrintedForm.APPLICATION_FORM,
        help_text=_("职工打印、盖章后上传的表格；上传时即为同名材料（申请表 → 盖章申请表）"),
    )
    review_tiers = models.JSONField(_("审核层级"), default=list, help_text=_("勾选需要审核的层级，由低到高逐级审核"))
    allocation_mode = models.CharField(
        _("分配方式"), max_length=20, choices=AllocationMode.choices, default=AllocationMode.BATCH
    )
    full_policy = models.CharField(
        _("名额已满时"),
        max_length=12,
        choices=FullPolicy.choices,
        default=FullPolicy.WAITLIST,
        help_text=_("仅“提交即占名额”的方案：名额用完后，新的申请进入候补，或不再接受申请"),
    )
    waitlist_limit = models.PositiveIntegerField(
        _("候补名单人数上限"), null=True, blank=True, help_text=_("留空表示不限；候补排满后不再接受申请")
    )
    priority_mode = models.CharField(
        _("优先群体"),
        max_length=16,
        choices=PriorityMode.choices,
        default=PriorityMode.NONE,
        help_text=_("劳模工匠、优秀工会干部、先进工作者、新就业形态职工；仅“提交即占名额”的方案"),
    )
    priority_reserved_places = models.PositiveIntegerField(
        _("预留给优先群体的名额"),
        default=0,
        help_text=_("“预留名额”方式：第一阶段申请截止（最后一批申请截止）后，未用完的预留名额转给其他申请人"),
    )
    priority_proof_required = models.BooleanField(
        _("优先群体须上传证明"), default=False, help_text=_("勾选后，职工声明的每个优先群体都须上传相应证明材料")
    )
    publicity_days = models.PositiveSmallIntegerField(_("公示天数"), default=7)
    return_keep_days = models.PositiveSmallIntegerField(_("退回修改保留排位天数"), default=7)
    # Only members on a union's roster may claim (Xian'an: 区总工会所属基层工会会员): a
    # worker not on any imported roster of their union or the unions above is a review flag.
    requires_membership = models.BooleanField(_("须为工会会员（核对会员名册）"), default=False, db_default=False)
    # Seeds 000 (Linyi) and 001 (Jinan): 学信网学籍在线验证报告"要求有效期为6个月以上", counted
    # in calendar months from the day of submission (not 180 days: six months are 181-184).
    chsi_valid_months = models.PositiveSmallIntegerField(
        _("学信网报告最短有效期（月）"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text=_(
            "提交时学信网学籍在线验证报告须至少还有几个月有效期（按自然月计算，例如 5月20日提交须有效至11月20日）"
        ),
    )
    one_per_level_ever = models.BooleanField(_("同一学历层次只可申请一次"), default=True)
    # Who a worker calls about this programme, as its notice prints it (seed 000: 联系电话；
    # seed 004: 联系人及联系电话). Shown on the public home and help pages; blank = the pages
    # say the notice gives no number and send the worker to their own union.
    contact = models.TextField(
        _("咨询联系方式"),
        blank=True,
        help_text=_("职工咨询的联系人、电话、地址，每行一项，照实施方案原文填写；不填则页面提示向所在工会咨询"),
    )
    is_open = models.BooleanField(_("对职工开放"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("年度实施方案")
        verbose_name_plural = _("年度实施方案")
        ordering = ["-year", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.allocation_mode != AllocationMode.AT_SUBMISSION and self.priority_mode != PriorityMode.NONE:
            errors["priority_mode"] = _(
                "优先群体只适用于“提交即占名额”的方案；“审核后按批次分配”的方案请选择“不设优先”。"
            )
        if self.priority_mode == PriorityMode.RESERVED and not self.priority_reserved_places:
            errors["priority_reserved_places"] = _("选择“预留名额”时，请填写预留给优先群体的名额数。")
        if self.allocation_mode != AllocationMode.AT_SUBMISSION and (
            self.full_policy != FullPolicy.WAITLIST or self.waitlist_limit is not None
        ):
            errors["full_policy"] = _("“名额已满时”和候补人数上限只适用于“提交即占名额”的方案。")
        if errors:
            raise ValidationError(errors)


class ProgramStage(models.Model):
    """One step of a programme's year (Xian'an, seed 003 附件2): 申请助学 in spring with the
    stamped 推荐表, then 助学金申报 in December with the 录取通知书 and the 学信网 report.

    A programme without stages is one step as before: its papers, its review tiers and its
    batches' windows. With stages, stage 1's window is the batches' (the place is taken at
    its submission, first come first served) and each later stage has its own window; its
    ``closes`` is the deadline by which the worker must have submitted it, or the place is
    lost (``applications.stages``). Each stage has its own papers and review tiers.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="stages", verbose_name=_("方案"))
    number = models.PositiveSmallIntegerField(_("阶段"), validators=[MinValueValidator(1)])
    name = models.CharField(_("阶段名称"), max_length=60)
    required_documents = models.JSONField(_("本阶段材料"), default=list)
    review_tiers = models.JSONField(_("本阶段审核层级"), default=list, help_text=_("从低到高，例如 grassroots, county"))
    # Rules whose facts only exist at this stage: the enrolment date and the CHSI report
    # are known in December, not in spring (``eligibility.submission_reasons``).
    asks_study_facts = models.BooleanField(_("本阶段填写入学信息（入学日期、学信网报告）"), default=False)
    opens = models.DateTimeField(_("本阶段开始"), null=True, blank=True, help_text=_("第1阶段按批次申请时间，不填"))
    closes = models.DateTimeField(_("本阶段截止"), null=True, blank=True, help_text=_("第1阶段按批次申请时间，不填"))
    reminder_days = models.PositiveSmallIntegerField(_("截止前几天提醒"), default=7)
    # A worker promoted from the waitlist close to (or after) the deadline gets at least
    # this long to submit the stage: the same rule, a fair start.
    grace_days = models.PositiveSmallIntegerField(_("递补者至少可用天数"), default=14)

    class Meta:
        verbose_name = _("申报阶段")
        verbose_name_plural = _("申报阶段")
        ordering = ["program", "number"]
        constraints = [models.UniqueConstraint(fields=["program", "number"], name="stage_unique_number")]

    def __str__(self) -> str:
        return _("第%(n)s阶段：%(name)s") % {"n": self.number, "name": self.name}


class Batch(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="batches", verbose_name=_("方案"))
    number = models.PositiveSmallIntegerField(_("批次"))
    name = models.CharField(_("名称"), max_length=60, blank=True)
    apply_opens = models.DateTimeField(_("申请开始"))
    apply_closes = models.DateTimeField(_("申请截止"))
    review_opens = models.DateTimeField(_("审核开始"))
    review_closes = models.DateTimeField(_("审核截止"))
    # Jinan batch 3: "如第一、二批次补助名额已满，第三批申请不再开放".
    skip_if_quota_filled = models.BooleanField(_("前批次名额已满则不开放"), default=False)
    # Set (and cleared) only by payouts' batch_fill_check, while the batch has not opened:
    # the earlier batches' awards used every place. Such a batch takes no applications.
    closed_as_filled_at = models.DateTimeField(_("因名额已满不开放"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("批次")
        verbose_name_plural = _("批次")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="batch_unique_number"),
            models.CheckConstraint(
                condition=Q(apply_closes__gt=models.F("apply_opens")), name="batch_apply_window_order"
            ),
            models.CheckConstraint(
                condition=Q(review_closes__gt=models.F("review_opens")), name="batch_review_window_order"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.program} 第{self.number}批"


class ReviewRound(models.Model):
    """A review period (审核期) of a programme. Linyi 2022: "第一批审核时间为2022年5月5日至6月10日；
    第二批审核时间为2022年11月1日至12月9日", applications all year.

    When a programme has rounds, they alone say when its applications (of any batch) are
    reviewed: one unfinished when a round closes waits at its tier for the next round.
    Without rounds, a batch's own 审核开始/审核截止 is its one round
    (``quotas.review_rounds``)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="review_rounds", verbose_name=_("方案"))
    number = models.PositiveSmallIntegerField(_("轮次"))
    opens = models.DateTimeField(_("审核开始"))
    closes = models.DateTimeField(_("审核截止"))

    class Meta:
        verbose_name = _("审核轮次")
        verbose_name_plural = _("审核轮次")
        ordering = ["program", "number"]
        constraints = [
            models.UniqueConstraint(fields=["program", "number"], name="review_round_unique_number"),
            models.CheckConstraint(condition=Q(closes__gt=models.F("opens")), name="review_round_window_order"),
        ]

    def __str__(self) -> str:
        return f"{self.program} 第{self.number}轮审核"


class BatchSplit(models.TextChoices):
    NONE = "none", _("不分批")
    EVEN = "even", _("各批次平均分配")
    # Jinan province money: even over three batches; if batches 1 and 2 fill the quota,
    # the first ``first_batches_cap`` approved of batch 1 and of batch 2 get it.
    EVEN_FIRST_TWO = "even_first_two", _("平均分配；前两批已满则各取前N名")


class PayerRule(models.TextChoices):
    FIXED = "fixed", _("指定单位发放")
    APPLICANT_COUNTY = "applicant_county", _("职工所在县区总工会发放")
    # Xian'an: "高校补助1000元", each university paying its own students (``CoFunder``).
    APPLICANT_COFUNDER = "applicant_cofunder", _("职工就读高校发放")


class TopUpRule(models.TextChoices):
    """Who gets a top-up source's money (a union's own money for its own subtree, 多重补助).
    Linyi: "乡镇（街道）工会、基层单位工会可在此基础上，根据自身情况投入适当资金进行补助"."""

    ALL_APPROVED = "all_approved", _("本单位审核通过的职工均补助")
    FUNDED_BY = "funded_by", _("只补助获得指定补助的职工")
    FCFS = "fcfs", _("本单位内先到先得")


class SourceApproval(models.TextChoices):
    """A top-up is proposed by the union that pays it and approved by the owner's manager;
    only approved sources allocate. The programme's own sources are approved from the start."""

    PENDING = "pending", _("待主办工会批准")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("未批准")


class FundingSource(models.Model):
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="sources", verbose_name=_("方案"))
    name = models.CharField(_("名称"), max_length=100)
    payer_rule = models.CharField(_("发放方式"), max_length=20, choices=PayerRule.choices, default=PayerRule.FIXED)
    payer_union = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_sources", verbose_name=_("支付工会")
    )
    payer_name = models.CharField(_("发放单位名称"), max_length=120, blank=True, help_text=_("非工会发放方（如高校）"))
    amount_yuan = models.PositiveIntegerField(_("每人补助（元）"))
    total_slots = models.PositiveIntegerField(_("补助名额"), null=True, blank=True, help_text=_("跟随配套时为空"))
    uses_unit_quotas = models.BooleanField(_("按单位名额分配"), default=False)
    batch_split = models.CharField(_("分批规则"), max_length=20, choices=BatchSplit.choices, default=BatchSplit.NONE)
    first_batches_cap = models.PositiveIntegerField(_("前两批各取名额"), null=True, blank=True)
    matching_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="matched_by", verbose_name=_("配套于")
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("排序"))
    # A top-up (多重补助): money of a union below the owner for the applicants of its own
    # subtree only, paid by that union. Written by quotas.services.funding_source_topup_*.
    scope_union = models.ForeignKey(
        Union,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topup_sources",
        verbose_name=_("补助范围（本工会及下级）"),
    )
    topup_rule = models.CharField(_("补助对象"), max_length=20, choices=TopUpRule.choices, blank=True)
    approval = models.CharField(
        _("批准状态"), max_length=10, choices=SourceApproval.choices, default=SourceApproval.APPROVED, editable=False
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(_("批准时间"), null=True, blank=True, editable=False)
    decision_note = models.CharField(_("批准意见"), max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("补助来源")
        verbose_name_plural = _("补助来源")
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="source_unique_name"),
            models.CheckConstraint(
                condition=Q(matching_of__isnull=False) | Q(total_slots__isnull=False) | Q(scope_union__isnull=False),
                name="source_slots_unless_matching",
            ),
            models.CheckConstraint(
                condition=Q(scope_union__isnull=True, topup_rule="") | Q(scope_union__isnull=False) & ~Q(topup_rule=""),
                name="source_topup_has_rule",
            ),
            models.CheckConstraint(
                condition=~Q(topup_rule="funded_by") | Q(matching_of__isnull=False),
                name="source_topup_funded_by_names_base",
            ),
            models.CheckConstraint(
                condition=~Q(payer_rule="fixed") | Q(payer_union__isnull=False) | ~Q(payer_name=""),
                name="source_fixed_payer_named",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.name}"

    @property
    def is_topup(self) -> bool:
        return self.scope_union_id is not None

    @property
    def payer_display(self) -> str:
        if self.payer_rule == PayerRule.APPLICANT_COUNTY:
            return str(_("职工所在县区总工会"))
        if self.payer_rule == PayerRule.APPLICANT_COFUNDER:
            return str(_("职工就读高校"))
        return self.payer_union.name if self.payer_union_id else self.payer_name


class ChannelKind(models.TextChoices):
    BANK_CARD = "bank_card", _("本人银行卡")
    WALLET = "wallet", _("APP电子钱包")
    ECNY = "ecny", _("数字人民币钱包")


class PaymentChannel(models.Model):
    """A way the programme pays besides the bank card (always offered): an e-wallet of a
    named app (Linyi: "本人银行卡或齐鲁工惠APP我的钱包电子账号") or a 数字人民币 wallet (Jiangsu).
    The account is digits only, of ``min_length``..``max_length`` (the programme's set-up:
    the payer's format); stored encrypted and masked like the card."""

    program = models.ForeignKey(
        Program, on_delete=models.CASCADE, related_name="payment_channels", verbose_name=_("方案")
    )
    kind = models.CharField(_("渠道类型"), max_length=12, choices=ChannelKind.choices, default=ChannelKind.WALLET)
    name = models.CharField(_("名称"), max_length=60, help_text=_("例如：齐鲁工惠APP 我的钱包"))
    account_label = models.CharField(
        _("账号名称"), max_length=30, default="电子账号", help_text=_("例如：钱包电子账号")
    )
    payer_name = models.CharField(_("到账机构"), max_length=60, blank=True, help_text=_("上传名单的平台，如齐鲁工惠"))
    min_length = models.PositiveSmallIntegerField(_("账号最短位数"), default=8)
    max_length = models.PositiveSmallIntegerField(_("账号最长位数"), default=20)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)

    class Meta:
        verbose_name = _("发放渠道")
        verbose_name_plural = _("发放渠道")
        ordering = ["program", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["program", "name"], name="payment_channel_unique_name"),
            models.CheckConstraint(condition=~Q(kind="bank_card"), name="payment_channel_not_bank_card"),
            models.CheckConstraint(
                condition=Q(min_length__gte=4) & Q(max_length__gte=models.F("min_length")) & Q(max_length__lte=40),
                name="payment_channel_lengths",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Quota(models.Model):
    """A row of a quota table (名额分配表): a unit's slots, or the city-wide pool."""

    source = models.ForeignKey(
        FundingSource, on_delete=models.CASCADE, related_name="quotas", verbose_name=_("补助来源")
    )
    union = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="quotas", verbose_name=_("单位")
    )
    is_pool = models.BooleanField(_("全市调剂名额"), default=False)
    label = models.CharField(_("表中名称"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("序号"), default=0)
    slots = models.IntegerField(_("名额"))
    # Unused slots of this unit go to the pool at this time (结合申请人数及时调整).
    release_unused_at = models.DateTimeField(_("未用名额释放时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名额")
        verbose_name_plural = _("名额分配表")
        ordering = ["source", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(slots__gte=0), name="quota_slots_not_negative"),
            models.CheckConstraint(
                condition=(Q(is_pool=True) & Q(union__isnull=True)) | (Q(is_pool=False) & Q(union__isnull=False)),
                name="quota_pool_xor_union",
            ),
            models.UniqueConstraint(fields=["source", "union"], name="quota_one_row_per_unit"),
            models.UniqueConstraint(fields=["source"], condition=Q(is_pool=True), name="quota_one_pool_per_source"),
        ]

    def __str__(self) -> str:
        return self.label or (str(_("全市调剂名额")) if self.is_pool else str(self.union))


# The review-tier key of a co-funder step: put last in ``Program.review_tiers`` (after the
# union tiers), each application is then also reviewed by the ``CoFunder`` of its school.
COFUNDER_TIER = "cofunder"


class CoFunder(models.Model):
    """An organisation that is not a union but reviews and pays a share: a university.

    Xian'an 2026: "经区总工会、高校审核申报信息……补助学费2000元（其中工会补助1000元、高校补助
    1000元）", each of the three universities for its own students. Its staff
    (``CoFunderStaff``) see the applications whose ``school`` is one of ``schools`` — never
    the union tree. Written only by ``quotas.services.cofunder_*``."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="cofunders", verbose_name=_("方案"))
    name = models.CharField(_("名称"), max_length=120)
    # The school names as applications spell them (the programme's catalogue). A school
    # belongs to at most one co-funder of a programme (checked by the service).
    schools = models.JSONField(_("院校"), default=list)

    class Meta:
        verbose_name = _("合作资助单位（高校）")
        verbose_name_plural = _("合作资助单位（高校）")
        ordering = ["program", "name"]
        constraints = [models.UniqueConstraint(fields=["program", "name"], name="cofunder_unique_name")]

    def __str__(self) -> str:
        return self.name


class CoFunderStaff(models.Model):
    """A staff account of a co-funder: reviewer, finance or manager, for its own students only.
    A user is either union staff (``UnionAdmin``) or co-funder staff, never both, never a worker."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cofunder_staff", verbose_name=_("用户")
    )
    cofunder = models.ForeignKey(CoFunder, on_delete=models.PROTECT, related_name="staff", verbose_name=_("单位"))
    role = models.CharField(_("角色"), max_length=20, choices=AdminRole.choices, default=AdminRole.REVIEWER)

    class Meta:
        verbose_name = _("高校工作人员")
        verbose_name_plural = _("高校工作人员")

    def __str__(self) -> str:
        return f"{self.user} @ {self.cofunder}"


class CatalogueEntry(models.Model):
    """A school and major a programme accepts (Xian'an publishes such a list)."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="catalogue", verbose_name=_("方案"))
    school = models.CharField(_("院校"), max_length=120)
    level = models.CharField(_("层次"), max_length=20, choices=EducationLevel.choices)
    category = models.CharField(_("类别"), max_length=40, blank=True)
    major = models.CharField(_("专业"), max_length=120)

    class Meta:
        verbose_name = _("院校专业目录")
        verbose_name_plural = _("院校专业目录")
        ordering = ["program", "school", "level", "major"]
        constraints = [
            models.UniqueConstraint(fields=["program", "school", "level", "major"], name="catalogue_unique_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.school} {self.get_level_display()} {self.major}"


class AuditLog(models.Model):
    """Append-only record of sensitive acts: exports of personal data, document views,
    quota changes, overrides. Written in the same transaction as the act it records."""

    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人")
    )
    actor_union = models.ForeignKey(
        Union, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("操作人所在工会")
    )
    # One of quotas.audit.AuditAction (checked by audit_log_write). Not a choices field, so a
    # new action needs no migration; the admin shows and filters by the labels.
    action = models.CharField(max_length=60, db_index=True, verbose_name=_("操作"))
    object_type = models.CharField(max_length=60, blank=True, verbose_name=_("对象类型"))
    object_id = models.CharField(max_length=60, blank=True, verbose_name=_("对象编号"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("详情"))

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.action}"  # Beijing time, as every page


class TopUpSource(FundingSource):
    """The admin's view of the top-ups (多重补助): proposed by a lower union, approved by the
    owner. Same rows as ``FundingSource`` (``scope_union`` set)."""

    class Meta:
        proxy = True
        verbose_name = _("下级工会补助")
        verbose_name_plural = _("下级工会补助（多重补助）")


# --- member rosters (会员实名制): quotas/rosters.py ------------------------------------------


class MemberRoster(models.Model):
    """A union's current member list: one per union, replaced whole by each import."""

    union = models.OneToOneField(Union, on_delete=models.CASCADE, related_name="member_roster", verbose_name=_("工会"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("导入人")
    )
    imported_at = models.DateTimeField(_("导入时间"))
    count = models.PositiveIntegerField(_("会员人数"), default=0)
    filename = models.CharField(_("文件名"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("会员名册")
        verbose_name_plural = _("会员名册")

    def __str__(self) -> str:
        return str(self.union)


class MemberRosterEntry(models.Model):
    """One member: only the HMAC of the ID number (``qiuxue.crypto.hmac_index``, the same
    digest as ``Worker.id_number_hmac``) and the masked name; no number is stored."""

    union = models.ForeignKey(Union, on_delete=models.CASCADE, related_name="roster_entries")
    id_number_hmac = models.CharField(max_length=64)
    name_masked = models.CharField(max_length=40)
    imported_at = models.DateTimeField()

    class Meta:
        verbose_name = _("会员名册条目")
        verbose_name_plural = _("会员名册条目")
        constraints = [
            models.UniqueConstraint(fields=["id_number_hmac", "union"], name="roster_entry_one_per_union"),
        ]

    def __str__(self) -> str:
        return self.name_masked
