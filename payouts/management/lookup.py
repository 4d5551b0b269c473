"""What every staff command shares: the programme and batch named on the command line, and
a service's Chinese refusal turned into the command's error."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from quotas.models import Batch, Program


def program_and_batch(*, slug: str, number: int | None) -> tuple[Program, Batch | None]:
    program = Program.objects.filter(slug=slug).select_related("owner_union").first()
    if program is None:
        raise CommandError(f"找不到实施方案：{slug}")
    if number is None:
        return program, None
    batch = Batch.objects.filter(program=program, number=number).first()
    if batch is None:
        raise CommandError(f"{program} 没有第{number}批")
    return program, batch


def add_program_arguments(parser, *, batch_help: str) -> None:
    parser.add_argument("--program", required=True, help="实施方案 slug")
    parser.add_argument("--batch", type=int, help=batch_help)


@contextmanager
def refusals_as_errors():
    """The same refusal the page shows, as the command's error (exit status 1)."""
    try:
        yield
    except ValidationError as exc:
        raise CommandError("；".join(exc.messages)) from exc
