"""How a batch is named on the papers union staff print: 第一批, or the batch's own name."""

from django.utils.translation import gettext as _

from quotas.models import Batch

# The sign-off line at the foot of the unions' own payout forms.
SIGN_OFF = (_("制表人："), _("审核人："), _("负责人："), _("日期：　　年　　月　　日"))

_CN_NUMBERS = "零一二三四五六七八九十"


def batch_label(batch: Batch | None) -> str:
    if batch is None:
        return _("全部")
    if batch.name:
        return batch.name
    n = batch.number
    return _("第%(n)s批") % {"n": _CN_NUMBERS[n] if 0 < n <= 10 else str(n)}
