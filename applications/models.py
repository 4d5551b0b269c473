"""Workers, their applications and papers, and the append-only trail of every step.

The status field changes only through ``applications.workflow.application_transition``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Trim, Upper
from django.utils.translation import gettext_lazy as _

from qiuxue.masking import mask_phone
from quotas.models import Batch, CoFunder, DocumentKind, EducationLevel, Program, Union

from .phash import bands


class Worker(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="worker", verbose_name=_("用户")
    )
    name = models.CharField(_("姓名"), max_length=40)
    # ID number: Fernet ciphertext + HMAC index (unique: one real person, one account).
    id_number_encrypted = models.TextField(editable=False, verbose_name=_("身份证号（加密）"))
    id_number_hmac = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("身份证号索引"))
    id_number_masked = models.CharField(_("身份证号"), max_length=24, editable=False)
    birth_date = models.DateField(_("出生日期"))
    phone = models.CharField(_("手机号"), max_length=11, unique=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    employer = models.CharField(_("工作单位"), max_length=120)
    union = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="workers", verbose_name=_("所在工会"))
    position = models.CharField(_("岗位"), max_length=60, blank=True)
    is_frontline = models.BooleanField(_("一线职工（车间/工段/科室主任或科级及以下）"), default=False)
    is_migrant = models.BooleanField(_("农民工"), default=False)
    is_public_sector = models.BooleanField(_("机关事业单位职工"), default=False)
    # The four priority groups of Xian'an's seed (applications/priority.py).
    is_model_worker = models.BooleanField(_("劳模工匠"), default=False)
    # db_default too: the benches insert workers with plain SQL that predates these columns.
    is_union_cadre = models.BooleanField(_("优秀工会干部"), default=False, db_default=False)
    is_advanced_worker = models.BooleanField(_("先进工作者"), default=False, db_default=False)
    is_new_form_worker = models.BooleanField(_("新就业形态劳动者"), default=False)
    categories = models.JSONField(_("人员类别"), default=list, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=60)
    bank_card_encrypted = models.TextField(editable=False, verbose_name=_("银行卡号（加密）"))
    # Not unique: one card used by several people is a fraud flag for reviewers, not a crash.
    bank_card_hmac = models.CharField(max_length=64, db_index=True, editable=False, verbose_name=_("银行卡号索引"))
    bank_card_masked = models.CharField(_("银行卡号"), max_length=24, editable=False)
    # Paid to another channel of a programme (an app wallet, 数字人民币) instead of the card:
    # NULL = the bank card. Written by ``applications.payment_accounts`` (held after approval).
    payment_channel = models.ForeignKey(
        "quotas.PaymentChannel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("收款方式"),
        editable=False,
    )
    # db_default too: set-based inserts (benchmarks, bulk tools) name only the old columns.
    payment_account_encrypted = models.TextField(blank=True, default="", db_default="", editable=False)
    payment_account_hmac = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    payment_account_masked = models.CharField(
        _("收款账号"), max_length=48, blank=True, default="", db_default="", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("注册时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        verbose_name = _("职工")
        verbose_name_plural = _("职工")

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)


class WorkerChangeStatus(models.TextChoices):
    PENDING = "pending", _("待核实")
    CONFIRMED = "confirmed", _("已确认")
    REFUSED = "refused", _("未通过")
    CANCELLED = "cancelled", _("本人已改回")


# The fields of ``Worker`` that the money follows: once a worker has approved money, a
# change of these is held for review (``WorkerChange``) instead of written to the row.
HELD_FIELDS = ("name", "employer", "union", "bank_name", "bank_card", "payment_account")


class WorkerChange(models.Model):
    """A change of name, employer, union or bank card asked for after approval.

    The ``Worker`` row keeps the confirmed values until staff of the worker's union tree or
    the programme owner's finance confirm this; meanwhile the worker's awards are held (not
    put on payout lists). The new values are complete (unchanged fields copied), the card
    stored like ``Worker`` stores it; ``before``/``after`` are the masked values to show.
    At most one pending change per worker: a second edit updates it.
    """

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="changes", verbose_name=_("职工"))
    status = models.CharField(
        _("状态"), max_length=12, choices=WorkerChangeStatus.choices, default=WorkerChangeStatus.PENDING
    )
    fields = models.JSONField(_("变更项目"), default=list)  # names from HELD_FIELDS that differ
    name = models.CharField(_("姓名"), max_length=40)
    employer = models.CharField(_("工作单位"), max_length=120)
    union = models.ForeignKey(Union, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在工会"))
    bank_name = models.CharField(_("开户银行"), max_length=60)
    bank_card_encrypted = models.TextField(editable=False, verbose_name=_("银行卡号（加密）"))
    bank_card_hmac = models.CharField(max_length=64, db_index=True, editable=False, verbose_name=_("银行卡号索引"))
    bank_card_masked = models.CharField(_("银行卡号"), max_length=24, editable=False)
    payment_channel = models.ForeignKey(
        "quotas.PaymentChannel", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # db_default too: set-based inserts (benchmarks, bulk tools) name only the old columns.
    payment_account_encrypted = models.TextField(blank=True, default="", db_default="", editable=False)
    payment_account_hmac = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    payment_account_masked = models.CharField(
        _("收款账号"), max_length=48, blank=True, default="", db_default="", editable=False
    )
    before = models.JSONField(_("变更前"), default=dict)  # field -> shown value (card masked)
    after = models.JSONField(_("变更后"), default=dict)
    requested_at = models.DateTimeField(_("提交时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("办理人"),
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decision_note = models.TextField(_("核实意见"), blank=True)

    class Meta:
        verbose_name = _("信息变更")
        verbose_name_plural = _("信息变更核实")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Two tabs cannot open two; its partial index also serves the payout hold
            # (``awards_payable``: "has this worker a pending change?").
            models.UniqueConstraint(fields=["worker"], condition=Q(status="pending"), name="worker_change_one_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} {self.get_status_display()}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("已驳回")
    STAGE_PASSED = "stage_passed", _("本阶段通过，待申报下一阶段")
    APPROVED = "approved", _("审核通过")
    REVOKED = "revoked", _("已取消资格")
    WITHDRAWN = "withdrawn", _("已撤回")
    PAID = "paid", _("已发放")
    LAPSED = "lapsed", _("逾期未申报")


# Out of the race for good. Any other application is live: one per worker per programme.
ENDED_STATUSES = (
    ApplicationStatus.WITHDRAWN,
    ApplicationStatus.REJECTED,
    ApplicationStatus.REVOKED,
    ApplicationStatus.LAPSED,  # a later stage not submitted by its deadline (``stages``)
)


class SeatStatus(models.TextChoices):
    """Only for ``at_submission`` programmes: the place is taken when the worker submits."""

    NONE = "", _("—")
    PLACED = "placed", _("已占名额")
    WAITLISTED = "waitlisted", _("候补")


class ApplicationQuerySet(models.QuerySet):
    def in_subtree(self, union: Union) -> "ApplicationQuerySet":
        # The application's own copy of the path: one indexed column, no join.
        return self.filter(union_path__startswith=union.path)


class Application(models.Model):
    number = models.CharField(_("申请编号"), max_length=24, unique=True, null=True, editable=False)
    worker = models.ForeignKey(Worker, on_delete=models.PROTECT, related_name="applications", verbose_name=_("职工"))
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="applications", verbose_name=_("方案"))
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="applications", verbose_name=_("批次")
    )
    level = models.CharField(_("学历层次"), max_length=20, choices=EducationLevel.choices)
    school = models.CharField(_("院校"), max_length=120)
    major = models.CharField(_("专业"), max_length=120)
    # Empty until the stage that asks for them (Xian'an: December's 助学金申报).
    enrolled_on = models.DateField(_("入学日期"), null=True, blank=True)
    chsi_code = models.CharField(_("学信网报告验证码"), max_length=40, blank=True)
    chsi_expires_on = models.DateField(_("学信网报告有效期至"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # First-come-first-served order. Set at first submission; kept when a returned
    # application is resubmitted within the programme's window, reset otherwise.
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True, db_index=True)
    last_submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("最近提交时间"))
    current_tier = models.ForeignKey(
        Union, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("当前审核单位")
    )
    # Ordered ids of the unions that review this application, lowest first; fixed at submission.
    review_chain = models.JSONField(default=list, editable=False, verbose_name=_("审核链"))
    # A programme with a co-funder step (``quotas.models.COFUNDER_TIER``): the university of
    # ``school``, which reviews it after the union tiers and pays its share. Set at
    # submission (and resubmission). While it waits at that step ``current_tier`` is empty:
    # in review with no union tier and a co-funder means "at the university".
    cofunder = models.ForeignKey(
        CoFunder,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("审核高校"),
    )
    # The materialised path of the worker's union, copied when the draft is created and
    # again at submission (the union whose chain reviews it). Like ``review_chain`` it is
    # not followed afterwards: a worker who moves to another union leaves the applications
    # already submitted with the union they were submitted under. Subtree scoping of
    # applications filters this one column (``in_subtree``), with no join to the worker.
    union_path = models.CharField(_("所属工会路径"), max_length=255, blank=True, default="", editable=False)
    returned_at = models.DateTimeField(null=True, blank=True, verbose_name=_("退回时间"))
    return_fields = models.JSONField(default=list, blank=True, verbose_name=_("退回修改项"))
    return_reason = models.TextField(blank=True, verbose_name=_("退回原因"))
    # Programmes in stages (``quotas.models.ProgramStage``): the stage the application is at,
    # and the deadline by which this worker must submit it (a later stage's close, or later
    # for a worker promoted from the waitlist near it). 1 and empty for a one-step programme.
    # db_default: the benchmarks seed applications with raw SQL that need not know of stages.
    stage = models.PositiveSmallIntegerField(_("当前阶段"), default=1, db_default=1)
    stage_due_at = models.DateTimeField(_("本阶段截止"), null=True, blank=True)
    seat_status = models.CharField(_("名额"), max_length=12, choices=SeatStatus.choices, default="", blank=True)
    seat_rank = models.PositiveIntegerField(_("候补/占位序号"), null=True, blank=True)
    # The worker's priority groups as they were at submission (applications/priority.py):
    # a later profile edit does not move a seat already taken.
    # db_default too: the benches insert applications with plain SQL that predates these.
    priority_groups = models.JSONField(
        _("优先群体"), default=list, db_default=models.Value([], models.JSONField()), blank=True, editable=False
    )
    is_priority = models.BooleanField(_("优先群体"), default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("申请")
        verbose_name_plural = _("申请")
        ordering = ["-created_at"]
        constraints = [
            # One live application per worker per programme: double clicks and two tabs
            # cannot create a second one.
            models.UniqueConstraint(
                fields=["worker", "program"],
                condition=~Q(status__in=list(ENDED_STATUSES)),
                name="application_one_live_per_program",
            ),
        ]
        indexes = [
            models.Index(fields=["program", "status", "submitted_at", "id"], name="app_fcfs_idx"),
            # The review queue: "at tier X, in review, oldest first" is a range of this
            # index in page order; the scope column at the end lets the (capped) count
            # run as an index-only scan. Supersedes (current_tier, status).
            models.Index(
                fields=["current_tier", "status", "submitted_at", "id", "union_path"], name="app_review_queue_idx"
            ),
            # Subtree prefix queries (``LIKE 'path%'``) whatever the database collation,
            # with the status so scoped counts per status need no heap visits.
            models.Index(
                fields=["union_path", "status"],
                name="app_scope_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # Applications in review per subtree (the review overview): every column it
            # reads is here, so even the city's whole pending set is an index-only scan.
            models.Index(
                fields=["union_path", "current_tier", "batch"],
                name="app_in_review_scope_idx",
                condition=Q(status="in_review"),
                opclasses=["varchar_pattern_ops", "int8_ops", "int8_ops"],
            ),
            models.Index(fields=["program", "seat_status", "seat_rank"], name="app_seat_idx"),
            # The same 验证码 under two workers (reviews/copies.py) compares it trimmed and
            # upper-cased: this index serves exactly that expression.
            models.Index(Upper(Trim("chsi_code")), name="app_chsi_code_norm_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"草稿#{self.pk}"

    def save(self, *args, **kwargs):
        # The services set ``union_path``; rows created any other way (fixtures, the shell)
        # must not fall outside every subtree, so a blank one is filled from the worker.
        if not self.union_path and self.worker_id is not None:
            self.union_path = Worker.objects.filter(pk=self.worker_id).values_list("union__path", flat=True).get()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "union_path"}
        super().save(*args, **kwargs)


class SeatCounter(models.Model):
    """The seat counts of one at-submission programme, kept exact by applications/seats.py.

    Submissions lock this row (not the programme) for the few statements that take the
    seat, right before commit. ``placed``/``waiting`` equal the applications with that
    ``seat_status``; the ``priority_`` counts are those of them with ``is_priority``.
    """

    program = models.OneToOneField(Program, primary_key=True, on_delete=models.CASCADE, related_name="seat_counter")
    placed = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)
    priority_placed = models.PositiveIntegerField(default=0)
    priority_waiting = models.PositiveIntegerField(default=0)
    # Set when the unused reserved places were handed to the waitlist after the stage-1
    # window closed (seats.seat_reserved_release); the rule itself does not depend on it.
    reserved_released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("名额计数")
        verbose_name_plural = _("名额计数")

    def __str__(self) -> str:
        return f"{self.program_id}: {self.placed}/{self.waiting}"


class Attachment(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("申请")
    )
    kind = models.CharField(_("材料类型"), max_length=20, choices=DocumentKind.choices)
    # Server-chosen name under a private root; never routed by URL.
    file = models.FileField(upload_to="attachments/%Y/%m/", verbose_name=_("文件"))
    content_type = models.CharField(max_length=40, verbose_name=_("文件类型"))
    size = models.PositiveIntegerField(verbose_name=_("大小（字节）"))
    sha256 = models.CharField(max_length=64, db_index=True, verbose_name=_("SHA-256 校验值"))
    # The picture's dHash (16 hex digits) and its four 16-bit bands, each indexed, for the
    # copied-paper flag (applications/phash.py); empty/NULL for PDFs.
    phash = models.CharField(_("图片指纹"), max_length=16, blank=True, default="", db_default="")
    phash_b0 = models.PositiveIntegerField(null=True, blank=True, db_index=True, verbose_name=_("图片指纹分段1"))
    phash_b1 = models.PositiveIntegerField(null=True, blank=True, db_index=True, verbose_name=_("图片指纹分段2"))
    phash_b2 = models.PositiveIntegerField(null=True, blank=True, db_index=True, verbose_name=_("图片指纹分段3"))
    phash_b3 = models.PositiveIntegerField(null=True, blank=True, db_index=True, verbose_name=_("图片指纹分段4"))
    original_name = models.CharField(max_length=120, blank=True, verbose_name=_("原文件名"))
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("上传时间"))
    is_current = models.BooleanField(default=True, verbose_name=_("当前有效"))

    class Meta:
        verbose_name = _("申请材料")
        verbose_name_plural = _("申请材料")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind"], condition=Q(is_current=True), name="attachment_one_current_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()

    def phash_set(self, value: str) -> None:
        self.phash = value
        self.phash_b0, self.phash_b1, self.phash_b2, self.phash_b3 = bands(value) if value else (None,) * 4


class ReportReadingStatus(models.TextChoices):
    PENDING = "pending", _("核对中")
    READ = "read", _("已读取报告内容")
    NO_TEXT = "no_text", _("无法自动核对（扫描件）")
    NOT_REPORT = "not_report", _("无法自动核对（未找到学信网报告的栏目）")
    ENCRYPTED = "encrypted", _("无法自动核对（PDF 已加密）")
    DAMAGED = "damaged", _("无法自动核对（PDF 无法解析）")
    TOO_LARGE = "too_large", _("无法自动核对（文件过大或页数过多）")


class ReportReading(models.Model):
    """The 学信网 report of one attachment, read once (``applications.report_readings``) by a
    Celery task after the upload: pages read this row, never the PDF. The ID number is kept
    as its HMAC and masked form only, like ``Worker``."""

    attachment = models.OneToOneField(Attachment, on_delete=models.CASCADE, related_name="report_reading")
    status = models.CharField(max_length=12, choices=ReportReadingStatus.choices, default=ReportReadingStatus.PENDING)
    source = models.CharField(max_length=20, blank=True)  # verifiers.SOURCE_*
    layout = models.CharField(max_length=8, blank=True)
    fields = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("学信网报告读取结果")
        verbose_name_plural = _("学信网报告读取结果")

    def __str__(self) -> str:
        return self.get_status_display()


class ApplicationEvent(models.Model):
    """Append-only trail of every transition (who, which tier, when, from -> to, why).
    Written in the same transaction as the change; shown as the timeline and the history."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="events", verbose_name=_("申请")
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True, verbose_name=_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理人")
    )
    tier = models.ForeignKey(Union, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("审核单位"))
    action = models.CharField(max_length=30, verbose_name=_("办理"))
    from_status = models.CharField(max_length=20, blank=True, verbose_name=_("原状态"))
    to_status = models.CharField(max_length=20, blank=True, verbose_name=_("新状态"))
    reason = models.TextField(blank=True, verbose_name=_("意见"))
    detail = models.JSONField(default=dict, blank=True, verbose_name=_("详情"))

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.application} {self.action}"


# Back-off after a failed attempt ends here; the message stays undelivered (the in-app copy
# is there) until a manager sends it again.
DELIVERY_MAX_ATTEMPTS = 8


class NotificationQuerySet(models.QuerySet):
    """The outbox states of the email/SMS copies (applications/notifications.py)."""

    def delivered(self):
        return self.filter(delivered_at__isnull=False)

    def waiting(self):
        return self.filter(delivered_at__isnull=True, delivery_attempts__lt=DELIVERY_MAX_ATTEMPTS)

    def failed(self):
        return self.filter(delivered_at__isnull=True, delivery_attempts__gte=DELIVERY_MAX_ATTEMPTS)

    def due(self, now):
        return self.waiting().filter(Q(deliver_after__isnull=True) | Q(deliver_after__lte=now))


class Notification(models.Model):
    """In-app message to a worker; email/SMS copies are sent from it, once.

    The row is also the outbox of those copies: it is written in the transaction of the
    step it tells about, and a beat sweep sends what is undelivered (``delivered_at`` empty,
    ``deliver_after`` due). A request never talks to the broker, and a broker that is down
    when the step commits loses no message.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("用户")
    )
    application = models.ForeignKey(
        Application, null=True, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("申请")
    )
    # One message per event at most: retries and double delivery cannot duplicate it.
    event = models.OneToOneField(
        ApplicationEvent, null=True, on_delete=models.CASCADE, related_name="notification", verbose_name=_("事件")
    )
    title = models.CharField(max_length=120, verbose_name=_("标题"))
    body = models.TextField(blank=True, verbose_name=_("内容"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=_("阅读时间"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("邮件发送时间"))
    texted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("短信发送时间"))
    # Outbox state: done when both copies are sent or not wanted. ``deliver_after`` is a
    # sweep's lease on the row, or the back-off after a failed attempt.
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("送达时间"))
    deliver_after = models.DateTimeField(null=True, blank=True, verbose_name=_("计划发送时间"))
    delivery_attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("发送尝试次数"))

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep reads only the few undelivered rows out of millions of messages.
            models.Index(fields=["id"], condition=Q(delivered_at__isnull=True), name="notification_undelivered"),
        ]

    def __str__(self) -> str:
        return self.title


class SmsCodePurpose(models.TextChoices):
    REGISTER = "register", _("注册")
    RESET = "reset", _("忘记密码")
    LOGIN = "login", _("短信登录")
    REAUTH = "reauth", _("敏感操作验证")
    PHONE_NEW = "phone_new", _("更换手机号")


class SmsCode(models.Model):
    """One SMS code sent (or one notice sent instead of a code, ``code_hash`` empty).

    Only an HMAC of the code is kept. The rows are also the send log that the limits per
    number and per client address count, so they hold without the cache."""

    phone = models.CharField(max_length=11)
    purpose = models.CharField(max_length=12, choices=SmsCodePurpose.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=64, blank=True)  # "" = no code was sent: never matches
    ip_digest = models.CharField(max_length=32)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["phone", "purpose", "-created_at"], name="smscode_phone_purpose"),
            models.Index(fields=["ip_digest", "-created_at"], name="smscode_ip"),
        ]

    def __str__(self) -> str:
        return f"{mask_phone(self.phone)} {self.purpose}"


class ThrottleCount(models.Model):
    """Login-failure counters when the shared cache is down (applications/throttle.py)."""

    key = models.CharField(max_length=80, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
