"""Seat assertions shared by the seat tests: the counter equals the rows, ranks are dense."""

from django.db.models import Count, Q

from applications.models import Application, SeatCounter, SeatStatus


def counter_matches_rows(program) -> dict:
    """The counter row and the counts from the applications, side by side."""
    rows = Application.objects.filter(program=program).aggregate(
        placed=Count("pk", filter=Q(seat_status=SeatStatus.PLACED)),
        waiting=Count("pk", filter=Q(seat_status=SeatStatus.WAITLISTED)),
        priority_placed=Count("pk", filter=Q(seat_status=SeatStatus.PLACED, is_priority=True)),
        priority_waiting=Count("pk", filter=Q(seat_status=SeatStatus.WAITLISTED, is_priority=True)),
    )
    counter = SeatCounter.objects.filter(pk=program.pk).first()
    stored = {k: getattr(counter, k) if counter else 0 for k in rows}
    return {"counter": stored, "rows": rows}


def assert_counter_exact(program) -> None:
    both = counter_matches_rows(program)
    assert both["counter"] == both["rows"]


def ranks(program, status) -> list[int]:
    return list(
        Application.objects.filter(program=program, seat_status=status)
        .order_by("seat_rank")
        .values_list("seat_rank", flat=True)
    )


def assert_ranks_dense(program) -> None:
    for status in (SeatStatus.PLACED, SeatStatus.WAITLISTED):
        found = ranks(program, status)
        assert found == list(range(1, len(found) + 1)), status
