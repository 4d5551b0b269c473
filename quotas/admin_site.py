from django.contrib.admin import AdminSite
from django.utils.translation import gettext_lazy as _


def configure_admin_site(site: AdminSite) -> None:
    site.site_header = _("求学圆梦行动 管理平台")
    site.site_title = _("求学圆梦行动")
    site.index_title = _("工会工作台")
