"""The one vocabulary of audit actions.

Every ``AuditLog`` row names its act with a value of ``AuditAction``; ``audit_log_write``
refuses any other string, so a typo or a new act without a label fails loudly in the test
that reaches it instead of landing as an unreadable code in the log. The labels are what
the audit admin filters by. Add a member here when a service starts recording a new act.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # programme set-up (before/after recorded by setup_object_save)
    PROGRAM_CREATE = "program.create", _("新建实施方案")
    PROGRAM_UPDATE = "program.update", _("修改实施方案")
    BATCH_CREATE = "batch.create", _("新建批次")
    BATCH_UPDATE = "batch.update", _("修改批次")
    FUNDINGSOURCE_CREATE = "fundingsource.create", _("新建补助来源")
    FUNDINGSOURCE_UPDATE = "fundingsource.update", _("修改补助来源")
    TOPUP_PROPOSE = "topup.propose", _("申报下级工会补助")
    TOPUP_APPROVE = "topup.approve", _("批准下级工会补助")
    TOPUP_REJECT = "topup.reject", _("不批准下级工会补助")
    PAYMENTCHANNEL_CREATE = "paymentchannel.create", _("新建发放渠道")
    PAYMENTCHANNEL_UPDATE = "paymentchannel.update", _("修改发放渠道")
    CATALOGUEENTRY_CREATE = "catalogueentry.create", _("新建目录条目")
    CATALOGUEENTRY_UPDATE = "catalogueentry.update", _("修改目录条目")
    CATALOGUE_IMPORT = "catalogue.import", _("导入院校专业目录")
    REVIEWROUND_CREATE = "reviewround.create", _("新建审核轮次")
    REVIEWROUND_UPDATE = "reviewround.update", _("修改审核轮次")
    BATCH_APPLY_OPENED = "batch.apply_opened", _("批次开放申请")
    BATCH_APPLY_CLOSED = "batch.apply_closed", _("批次截止申请")
    BATCH_CLOSED_AS_FILLED = "batch.closed_as_filled", _("名额用完，批次不再开放")
    BATCH_REOPENED = "batch.reopened", _("批次恢复开放")
    # union tree and staff
    UNION_CREATE = "union.create", _("新建工会")
    UNION_UPDATE = "union.update", _("修改工会")
    UNION_ADMIN_CREATE = "union_admin.create", _("新增工会管理员")
    UNION_ADMIN_UPDATE = "union_admin.update", _("修改工会管理员")
    UNION_ADMIN_DELETE = "union_admin.delete", _("移除工会管理员")
    STAFF_OTP_ENROL = "staff_otp.enrol", _("绑定双因素认证器")
    STAFF_OTP_RECOVERY_USE = "staff_otp.recovery_use", _("使用备用恢复码登录")
    STAFF_OTP_RESET = "staff_otp.reset", _("上级管理员重置双因素认证")
    COFUNDER_CREATE = "cofunder.create", _("新增合作资助单位（高校）")
    COFUNDER_UPDATE = "cofunder.update", _("修改合作资助单位（高校）")
    COFUNDER_STAFF_CREATE = "cofunder_staff.create", _("新增高校工作人员")
    # quotas
    QUOTA_TABLE_IMPORT = "quota_table.import", _("导入名额分配表")
    QUOTA_TABLE_EXPORT = "quota_table.export", _("导出名额分配表")
    QUOTA_UPDATE = "quota.update", _("调整名额")
    QUOTA_TRANSFER = "quota.transfer", _("名额调剂")
    QUOTA_RELEASE_UNUSED = "quota.release_unused", _("未用名额收回")
    SEAT_RESERVED_RELEASE = "seat.reserved_release", _("第一阶段截止，未用的优先群体预留名额转给候补")
    # the worker's side
    WORKER_PROFILE_CREATE = "worker_profile_create", _("填写实名信息")
    WORKER_PROFILE_UPDATE = "worker_profile_update", _("修改实名信息")
    APPLICATION_FORM_PRINT = "application_form_print", _("打印申请表（显示完整身份证号）")
    ATTACHMENT_VIEW = "attachment.view", _("查看申请材料")
    NOTIFICATION_RETRY = "notification.retry", _("重发消息")
    WORKER_CHANGE_SUBMIT = "worker_change.submit", _("提交信息变更（待核实）")
    WORKER_PAYMENT_ACCOUNT_SAVE = "worker.payment_account", _("设置收款账户")
    WORKER_CHANGE_CANCEL = "worker_change.cancel", _("信息变更由本人改回")
    WORKER_CHANGE_CONFIRM = "worker_change.confirm", _("确认信息变更")
    WORKER_CHANGE_REFUSE = "worker_change.refuse", _("驳回信息变更")
    ACCOUNT_REGISTER = "account.register", _("短信验证后注册账号")
    ACCOUNT_PASSWORD_RESET = "account.password_reset", _("短信验证后重设密码")
    ACCOUNT_PASSWORD_CHANGE = "account.password_change", _("修改密码")
    ACCOUNT_PHONE_CHANGE = "account.phone_change", _("更换手机号")
    ACCOUNT_SMS_LOGIN = "account.sms_login", _("短信验证码登录")
    # review
    REVIEW_WINDOW_OVERRIDE = "review.window_override", _("窗口关闭后审核（特批）")
    REVIEW_STRANDED_DECIDE = "review.stranded_decide", _("审核期全部结束，主办单位管理员代下级审核（特批）")
    REVIEW_COFUNDER_DECIDE = "review.cofunder_decide", _("高校审核（就读学校核实学籍）")
    # allocation and money
    ALLOCATION_START = "allocation.start", _("发起分配")
    ALLOCATION_RUN = "allocation.run", _("运行分配")
    ALLOCATION_USAGE_EXPORT = "allocation.usage_export", _("导出名额使用情况")
    AWARD_PUBLISH = "award.publish", _("补助进入公示")
    AWARD_PAY = "award.pay", _("补助已发放")
    AWARD_FAIL = "award.fail", _("补助发放失败")
    AWARD_REISSUE = "award.reissue", _("补助补发")
    AWARD_REVOKE = "award.revoke", _("撤销补助")
    AWARD_VOID = "award.void", _("补助作废")
    AWARD_RELEASE = "award.release", _("申请结束，补助作废并递补")
    PUBLICITY_OPEN = "publicity.open", _("发布公示")
    PUBLICITY_CLOSE = "publicity.close", _("公示结束")
    OBJECTION_SUBMIT = "objection.submit", _("提出公示异议")
    OBJECTION_UPHOLD = "objection.uphold", _("异议成立")
    OBJECTION_DISMISS = "objection.dismiss", _("异议不成立")
    OBJECTION_PHONE_VIEW = "objection.phone_view", _("查看异议人完整电话")
    PAYOUT_LIST_BUILD = "payout_list.build", _("生成发放名单")
    PAYOUT_LIST_REISSUE = "payout_list.reissue", _("生成补发名单")
    PAYOUT_LIST_EXPORT_REQUEST = "payout_list.export_request", _("申请导出发放名单")
    PAYOUT_LIST_EXPORT = "payout_list.export", _("导出发放名单")
    PAYOUT_LIST_DOWNLOAD = "payout_list.download", _("下载发放名单")
    PAYOUT_LINE_VOID = "payout_line.void", _("发放明细作废")
    PAYOUT_LIST_BANK_RETURN = "payout_list.bank_return", _("导入银行回盘")
    PAYOUT_RECONCILIATION_EXPORT = "payout.reconciliation_export", _("导出发放对账")
    # operations
    ENCRYPTION_KEYS_ROTATE = "encryption_keys.rotate", _("加密密钥轮换（重新加密）")
    # reports and follow-up
    REPORT_REQUEST = "report.request", _("申请生成报表")
    REPORT_DOWNLOAD = "report.download", _("下载报表")
    FOLLOWUP_RECORD = "followup.record", _("登记学习跟踪")
    FOLLOWUP_IMPORT = "followup.import", _("导入学习跟踪")
    # member rosters (quotas/rosters.py)
    MEMBER_ROSTER_IMPORT = "member_roster.import", _("导入会员名册")
    # background jobs (quotas/jobs.py)
    JOB_STALE_FAIL = "job.stale_fail", _("后台任务中断，判定失败")


AUDIT_LABELS: dict[str, str] = dict(AuditAction.choices)
