from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

QUOTA_TABLE_MAX_BYTES = 2 * 1024 * 1024


class QuotaTableUploadForm(forms.Form):
    file = forms.FileField(label=_("名额分配表（.xlsx 或 .csv）"))
    create_missing = forms.BooleanField(
        label=_("自动创建工会树中没有的单位"),
        required=False,
        help_text=_("按名称推断层级：区/县总工会→县区，机关工会工委→机关，集团/公司→大企业，其余→产业"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".csv"):
            raise forms.ValidationError(_("只支持 .xlsx 或 .csv 文件"))
        limit = min(QUOTA_TABLE_MAX_BYTES, getattr(settings, "UPLOAD_MAX_BYTES", QUOTA_TABLE_MAX_BYTES))
        if upload.size > limit:
            raise forms.ValidationError(_("文件过大（上限 %(mb)s MB）") % {"mb": limit // (1024 * 1024)})
        return upload


class ApportionForm(forms.Form):
    pool = forms.IntegerField(label=_("全市调剂名额"), min_value=0, initial=0)
