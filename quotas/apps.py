from django.apps import AppConfig

from .admin_chinese import admin_in_chinese

# Before any admin module is imported (their ModelForms take the empty label at class creation).
admin_in_chinese()


class QuotasConfig(AppConfig):
    name = "quotas"
    verbose_name = "名额与方案"
