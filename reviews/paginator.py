"""A paginator whose count stops at a cap.

An exact ``COUNT(*)`` over a million joined rows costs more than the whole rest of the
page. Queues (my tier) stay far below the cap and are counted exactly; long history lists
count up to the cap and page through it — narrowing with a filter gives the exact figure.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedCountPaginator(Paginator):
    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        # Counting a sliced queryset is ``SELECT COUNT(*) FROM (… LIMIT cap+1)``: it stops
        # reading at the cap. No ORDER BY inside, the order does not change a count.
        return min(self.object_list.order_by()[: self.cap + 1].count(), self.cap)

    @property
    def is_capped(self) -> bool:
        return self.count >= self.cap
