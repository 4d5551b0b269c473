"""The two strings of Django's admin that zh_Hans leaves in English and no template can
reach: the empty choice of a select (new in Django 6.1, not yet translated) and the ``alt``
of the yes/no icons (Python's ``True``/``False``). Set once at start-up; Django reads both
at call time (``django.db.models.utils.get_blank_choice_label``, ``admin_list._boolean_icon``).
The rest (filter titles, field names, choices) are verbose names of our own models, and the
admin templates Django hard-codes in English are overridden in ``templates/admin/``."""

from django.contrib.admin.templatetags import admin_list
from django.db.models import fields
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

BOOLEAN_ALT = {True: _("是"), False: _("否"), None: _("未知")}


def _boolean_icon(field_val):
    icon = {True: "yes", False: "no", None: "unknown"}[field_val]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), BOOLEAN_ALT[field_val])


def admin_in_chinese() -> None:
    fields.BLANK_CHOICE_LABEL = _("请选择")
    admin_list._boolean_icon = _boolean_icon
