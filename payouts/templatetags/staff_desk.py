"""``{% staff_desk %}`` on the admin index: the desk of ``payouts.desk``."""

from django import template

from ..desk import sections_in_use, staff_desk

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_desk_for(context):
    return staff_desk(context["request"])


@register.simple_tag(takes_context=True)
def sections_for(context, app_list):
    return sections_in_use(context["request"], app_list)
