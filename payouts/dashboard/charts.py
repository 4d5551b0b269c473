"""Server-side SVG charts (pygal): the page carries finished pictures, so it needs no
JavaScript, no CDN and no browser feature beyond inline SVG, and prints as it shows.

pygal's optional tooltip script is switched off (``js=[]``): by default it would point the
browser at an external address, which an intranet cannot reach.
"""

import re
from datetime import datetime

import pygal
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from pygal.style import Style

from .selectors import DashboardStats

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#222",
    foreground_subtle="#999",
    colors=("#c8102e", "#1f77b4", "#1a7f37", "#b35900", "#6f42c1", "#555"),
    font_family='"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=16,
    tooltip_font_size=12,
)


def _config(**kwargs) -> dict:
    return {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 720,
        "height": 360,
        "print_values": True,
        "legend_at_bottom": True,
        "no_data_text": "暂无数据",
        "truncate_label": -1,
        **kwargs,
    }


def _cjk_margin(labels: list[str]) -> int:
    # pygal sizes the label gutter for Latin glyphs; a Chinese glyph is about twice as wide,
    # so add the difference or long unit names are cut at the left edge.
    longest = max((len(label) for label in labels), default=0)
    return int(longest * STYLE.label_font_size * 0.5)


# pygal still writes a small inline <script> with the chart's config for its tooltips.
# With no tooltip script it does nothing, and the pages' CSP (no inline scripts) would
# refuse it; so it is cut out. The SVG's own <style> stays (style-src allows inline).
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.DOTALL | re.IGNORECASE)


def _render(chart) -> SafeString:
    # pygal builds the SVG with an XML tree, which escapes every label we pass in.
    return mark_safe(_SCRIPT.sub("", chart.render(is_unicode=True)))  # noqa: S308


def funnel_chart(stats: DashboardStats) -> SafeString:
    stages = stats.funnel
    chart = pygal.HorizontalBar(
        **_config(title="办理漏斗", show_legend=False, margin_left=_cjk_margin([s for s, _ in stages]))
    )
    chart.x_labels = [label for label, _ in stages]
    chart.add("人数", [n for _, n in stages])
    return _render(chart)


def daily_chart(stats: DashboardStats) -> SafeString:
    chart = pygal.Bar(**_config(title="每日提交申请数", show_legend=False, x_label_rotation=30, print_values=False))
    chart.x_labels = [d.strftime("%m-%d") for d, _ in stats.per_day]
    chart.add("提交数", [n for _, n in stats.per_day])
    return _render(chart)


def seats_chart(stats: DashboardStats) -> SafeString:
    """At-submission programmes: per submission day, who took a place and who is waiting."""
    days = stats.seats.per_day if stats.seats else []
    chart = pygal.StackedBar(
        **_config(title="每日提交：占名额 / 候补", x_label_rotation=30, print_values=False, height=300)
    )
    chart.x_labels = [d.strftime("%m-%d") for d, _, _ in days]
    chart.add("占名额", [p for _, p, _ in days])
    chart.add("候补", [w for _, _, w in days])
    return _render(chart)


def backlog_chart(stats: DashboardStats, *, now: datetime | None = None) -> SafeString:
    now = now or timezone.now()
    rows = stats.backlog[:20]
    labels = []
    for b in rows:
        left = b.days_left(now)
        suffix = "无截止" if left is None else (f"已超期{-left}天" if left < 0 else f"剩{left}天")
        labels.append(f"{b.union_name}（{suffix}）")
    chart = pygal.HorizontalBar(
        **_config(
            title="各级待审核（距审核截止天数）",
            show_legend=False,
            height=max(300, 60 + 38 * len(rows)),
            margin_left=_cjk_margin(labels),
        )
    )
    chart.x_labels = labels
    chart.add("待审核", [b.pending for b in rows])
    return _render(chart)


def dashboard_charts(stats: DashboardStats) -> dict[str, SafeString]:
    return {
        "funnel": funnel_chart(stats),
        "daily": daily_chart(stats),
        "backlog": backlog_chart(stats),
        # Quota use is a table with CSS bars (the template): 57 units, each readable.
        **({"seats": seats_chart(stats)} if stats.seats else {}),
    }
