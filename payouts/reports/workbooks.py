"""XLSX builders. Each returns an openpyxl Workbook; the caller saves it privately.

The unit table keeps the shape of the quota table the city publishes (title row, then
序号/单位/拟补贴人数) and adds the live columns to the right, with a 合计 row, so staff can
lay it next to the original 附件.
"""

from collections.abc import Callable

from openpyxl import Workbook

from payouts.dashboard.selectors import DashboardStats
from payouts.followup.selectors import FOLLOW_UP_COLUMNS, follow_up_counts
from payouts.labels import batch_label
from payouts.models import AWARD_ENDED_STATUSES, AwardStatus
from qiuxue.tables.sheets import sheet_table, sheet_title
from quotas.models import Program, Union

from .selectors import award_totals, batch_application_counts

Progress = Callable[[int], None]


def _noop(_: int) -> None:
    return None


def unit_header(stats: DashboardStats) -> list[str]:
    """The dashboard's 分单位统计 columns, in its order, after 序号."""
    return [
        "序号",
        "单位",
        "拟补贴人数",
        "申请人数",
        *[f"待{label}审核" for label in stats.tier_labels],
        "退回",
        "驳回",
        "终审通过",
        "已分配",
        "候补",
        "已发放",
        *[f"{s.name}（元）" for s in stats.sources],
        "补助金额（元）",
        "已发放金额（元）",
    ]


def _unit_values(u, tiers: list[int], money: list[int]) -> list:
    return [
        u.quota_slots,
        u.applications,
        *tiers,
        u.returned,
        u.rejected,
        u.approved,
        u.awarded,
        u.waitlisted,
        u.paid,
        *money,
        u.money_live_yuan,
        u.money_paid_yuan,
    ]


def page_header(program: Program, batch=None, scope: Union | None = None) -> str:
    """What each printed page says at its top: the programme, the batch, whose figures."""
    return "　".join(
        p for p in (program.name, batch_label(batch) if batch else "全部批次", scope.name if scope else "") if p
    )


def unit_table_workbook(*, stats: DashboardStats, progress: Progress = _noop) -> Workbook:
    """The page's table: units (then the pool line, for the owner), 合计 including the pool."""
    wb = Workbook()
    ws = wb.active
    ws.title = "分单位统计"
    header = unit_header(stats)
    batch = f" {stats.batch}" if stats.batch else ""
    sheet_title(ws, f"{stats.program.name}{batch} 分单位统计表（{stats.scope.name}）", len(header))
    *lines, (total, total_tiers, total_money) = stats.table_rows()
    rows = [[i, u.name, *_unit_values(u, t, m)] for i, (u, t, m) in enumerate(lines, start=1)]
    progress(60)
    sheet_table(
        ws,
        header=header,
        rows=rows,
        total=["合计", "", *_unit_values(total, total_tiers, total_money)],
        freeze="C3",
        widths=[6, 26, *[11] * (len(header) - 2)],
        page_header=page_header(stats.program, stats.batch, stats.scope),
    )
    return wb


SOURCE_HEADER = [
    "批次",
    "拟补助人数",
    "拟补助金额（元）",
    "公示中人数",
    "已发放人数",
    "已发放金额（元）",
    "发放失败",
    "已撤销/作废",
]


def program_summary_workbook(*, program: Program, scope: Union, progress: Progress = _noop) -> Workbook:
    """One summary sheet per batch, then one sheet per funding source (rows per batch)."""
    batches = list(program.batches.order_by("number"))
    sources = list(program.sources.order_by("position", "id"))
    counts = batch_application_counts(program=program, scope=scope)
    money = award_totals(program=program, scope=scope)
    progress(40)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    header = ["批次", "申请人数", "审核中", "审核通过", "已发放", *[f"{s.name}（元）" for s in sources]]
    sheet_title(ws, f"{program.name} 汇总表（{scope.name}）", len(header))
    keys = [(b.pk, str(b)) for b in batches] + ([(None, "未分批")] if None in counts else [])
    rows, total = [], ["合计", 0, 0, 0, 0, *[0] * len(sources)]
    for key, label in keys:
        c = counts.get(key, {})
        yuan = [
            sum(y for st, (_, y) in money.get(s.pk, {}).get(key, {}).items() if st not in AWARD_ENDED_STATUSES)
            for s in sources
        ]
        row = [label, c.get("applications", 0), c.get("in_review", 0), c.get("approved", 0), c.get("paid", 0), *yuan]
        rows.append(row)
        total = [total[0], *(a + b for a, b in zip(total[1:], row[1:], strict=True))]
    sheet_table(ws, header=header, rows=rows, total=total, freeze="C3", page_header=page_header(program, None, scope))
    for index, source in enumerate(sources, start=1):
        sheet = wb.create_sheet(title=f"{index}-{source.name}"[:31])
        sheet_title(sheet, f"{source.name}（{source.payer_display}，每人{source.amount_yuan}元）", len(SOURCE_HEADER))
        rows, total = [], ["合计", *[0] * (len(SOURCE_HEADER) - 1)]
        for key, label in keys:
            by_status = money.get(source.pk, {}).get(key, {})

            def get(status, by_status=by_status):
                return by_status.get(status, (0, 0))

            live = [v for st, v in by_status.items() if st not in AWARD_ENDED_STATUSES]
            row = [
                label,
                sum(n for n, _ in live),
                sum(y for _, y in live),
                get(AwardStatus.PUBLISHED)[0],
                get(AwardStatus.PAID)[0],
                get(AwardStatus.PAID)[1],
                get(AwardStatus.FAILED)[0],
                get(AwardStatus.REVOKED)[0] + get(AwardStatus.VOID)[0],
            ]
            rows.append(row)
            total = [total[0], *(a + b for a, b in zip(total[1:], row[1:], strict=True))]
        sheet_table(
            sheet,
            header=SOURCE_HEADER,
            rows=rows,
            total=total,
            freeze="C3",
            page_header=page_header(program, None, scope) + f"　{source.name}",
        )
        progress(40 + 50 * index // max(len(sources), 1))
    return wb


def follow_up_workbook(*, program: Program, scope: Union, progress: Progress = _noop) -> Workbook:
    rows, total = follow_up_counts(program=program, scope=scope)
    progress(60)
    wb = Workbook()
    ws = wb.active
    ws.title = "学习跟踪"
    header = ["序号", "单位", *[label for _, label in FOLLOW_UP_COLUMNS], "合计"]
    sheet_title(ws, f"{program.name} 学习跟踪统计表（{scope.name}）", len(header))

    def values(r) -> list[int]:
        return [r.counts.get(key, 0) for key, _ in FOLLOW_UP_COLUMNS] + [r.total]

    sheet_table(
        ws,
        header=header,
        rows=[[i, r.name, *values(r)] for i, r in enumerate(rows, start=1)],
        total=["合计", "", *values(total)],
        freeze="C3",
        page_header=page_header(program, None, scope),
    )
    return wb
