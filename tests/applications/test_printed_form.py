"""The paper that is printed is the paper that is uploaded (issue 12).

Jinan and Linyi print the 申请表 and take it back as the 盖章申请表; Xian'an prints its
《“求学圆梦行动”助学推荐表》 (seed 003, 附件3) and takes it back as the 助学推荐表.
"""

import re

import pytest
from django.urls import reverse

from qiuxue.crypto import decrypt_text
from quotas.demo import XIANAN_PAPERS
from quotas.models import AuditLog, PrintedForm

from .factories import make_program, make_ready_application, make_worker

pytestmark = pytest.mark.django_db


def xianan_programme(owner):
    return make_program(
        owner,
        name="2026年咸安区一线职工、农民工“求学圆梦行动”",
        required_documents=list(XIANAN_PAPERS),
        public_sector_documents=[],
        printed_form=PrintedForm.RECOMMENDATION,
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", html))


def test_xianan_prints_its_recommendation_form_with_every_box_of_the_seed(client, tree):
    worker = make_worker(tree["shop"], name="李四", employer="咸宁市某纺织有限公司")
    program = xianan_programme(tree["county"])
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    html = client.get(reverse("applications:print", args=[app.pk])).content.decode()
    text = _text(html)
    owner = tree["county"].name
    assert f"{program.year}年{owner}“求学圆梦行动”助学推荐表" in text
    # The first rows: name, ID, the photo box, phone, employer, the bank card (in full: the
    # stamped form declares the card the subsidy is paid to).
    for label, value in (
        ("姓名", "李四"),
        ("身份证号", decrypt_text(worker.id_number_encrypted)),
        ("联系电话", worker.phone),
        ("工作单位", "咸宁市某纺织有限公司"),
        ("银行卡号", decrypt_text(worker.bank_card_encrypted)),
    ):
        assert f"{label}{value}" in text, label
    assert "1寸蓝底照片" in text
    # The three boxes, each with its wording, its signature or stamp and its date.
    boxes = dict(re.findall(r'data-box="(\w+)">(.*?)</tr>', html, re.S))
    assert set(boxes) == {"applicant", "grassroots", "district"}
    applicant, grassroots, district = (_text(boxes[k]) for k in ("applicant", "grassroots", "district"))
    assert applicant.startswith("本人申请本人所提交“求学圆梦行动”助学申请材料均真实、有效。签名：")
    assert grassroots.startswith("基层工会审核意见经审核，该职工符合“求学圆梦行动”助学申请条件。基层工会（签章）：")
    assert district.startswith(f"区总工会审核意见{owner}（签章）：")
    assert all(box.endswith("年月日") for box in (applicant, grassroots, district))
    assert "说明：1.申请职工填报基本信息及后期补贴发放银行卡（储蓄卡），本人签名；" in text
    assert "“区总工会审核意见”由求学圆梦服务中心编订成册上交审核，无需职工本人提交至区总工会。" in text
    # Not the 申请表, and its stamped copy is uploaded as the 助学推荐表.
    assert "补助申请表" not in text and "盖章申请表" not in text
    assert "上传到申请" in text and "的“助学推荐表”" in text
    log = AuditLog.objects.get(action="application_form_print", object_id=str(app.pk))
    assert log.detail == {"full_id_shown": True, "full_bank_card_shown": True, "form": "recommendation"}


def test_jinan_prints_the_application_form_uploaded_as_the_stamped_form(client, tree, program, worker):
    app = make_ready_application(worker, program)
    client.force_login(worker.user)
    text = _text(client.get(reverse("applications:print", args=[app.pk])).content.decode())
    assert "一线职工“求学圆梦行动”补助申请表" in text and "的“盖章申请表”" in text
    assert "助学推荐表" not in text and "1寸蓝底照片" not in text
    assert decrypt_text(worker.bank_card_encrypted) not in text  # the 申请表 keeps the card masked
    assert AuditLog.objects.get(action="application_form_print").detail["form"] == "form"


def test_worker_pages_name_the_programmes_own_form_and_papers(client, tree):
    worker = make_worker(tree["shop"], is_public_sector=True)
    app = make_ready_application(worker, xianan_programme(tree["county"]))
    client.force_login(worker.user)
    edit = client.get(reverse("applications:edit", args=[app.pk])).content.decode()
    assert "打印助学推荐表" in edit and "打印申请表" not in edit
    offered = set(re.findall(r'<article class="paper[^"]*" id="paper-([a-z_]+)"', edit))  # one card per paper
    assert offered == {k.value for k in XIANAN_PAPERS}
    detail = client.get(reverse("applications:detail", args=[app.pk])).content.decode()
    assert ">助学推荐表</a>" in detail
