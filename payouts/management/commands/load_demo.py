"""manage.py load_demo: the demo, built from the seeds and the real tables. Idempotent.

It lives in the top app so it may call every app's demo loader, in dependency order.
"""

from django.core.management.base import BaseCommand

from applications.demo import demo_workers_load
from payouts.allocation.services import allocation_run
from payouts.models import Award, Publicity
from payouts.publicity.services import publicity_open
from quotas.demo import DemoResult, load_quota_demo

JINAN = "jinan-2024"


def load_worker_demo(result: DemoResult) -> dict:
    """Workers and applications in every status, then the Jinan batch-1 allocation and its
    public list, so every page of the demo has something to show. Idempotent: the
    allocation is deterministic and the list is published only once."""
    workers = demo_workers_load()
    program = result.programs.get(JINAN)
    if program is None:
        return workers
    batch = program.batches.get(number=1)
    allocation_run(program=program, batch=batch, actor=None)
    if (
        not Publicity.objects.filter(program=program, batch=batch).exists()
        and Award.objects.filter(application__program=program, batch=batch).exists()
    ):
        publicity_open(program=program, batch=batch, actor=None)
    return workers


class Command(BaseCommand):
    help = "载入演示数据：四个方案、工会树、名额表和演示账号（可重复运行）。"

    def handle(self, *args, **options):
        result = load_quota_demo()
        workers = load_worker_demo(result)
        self.stdout.write(self.style.SUCCESS(f"已载入 {len(result.programs)} 个方案：" + "、".join(result.programs)))
        self.stdout.write("演示账号（登录 /admin/）：")
        for username, password, union, role in result.accounts:
            self.stdout.write(f"  {username:<18} {password:<18} {union}（{role}）")
        self.stdout.write(f"职工演示账号（登录 /）：手机号 {workers['phone']}  密码 {workers['password']}")
