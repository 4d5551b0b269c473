"""manage.py load_demo: the demo, built from the seeds and the real tables. Idempotent.

It lives in the top app so it may call every app's demo loader, in dependency order.
"""

from django.core.management.base import BaseCommand

from quotas.demo import DemoResult, load_quota_demo


def load_worker_demo(result: DemoResult) -> None:
    """HOOK (lead): worker, application, review and award demo data go here, e.g.
    ``applications.demo.load(programs=result.programs)``, then reviews and payouts.
    Must stay idempotent like ``load_quota_demo``."""


class Command(BaseCommand):
    help = "载入演示数据：四个方案、工会树、名额表和演示账号（可重复运行）。"

    def handle(self, *args, **options):
        result = load_quota_demo()
        load_worker_demo(result)
        self.stdout.write(self.style.SUCCESS(f"已载入 {len(result.programs)} 个方案：" + "、".join(result.programs)))
        self.stdout.write("演示账号（登录 /admin/）：")
        for username, password, union, role in result.accounts:
            self.stdout.write(f"  {username:<18} {password:<18} {union}（{role}）")
