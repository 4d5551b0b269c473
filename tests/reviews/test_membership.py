"""Member rosters (会员实名制): import in both encodings and XLSX, all or nothing, replace
audited, the import page's scoping, 会员核对 per union of the chain, the not-member flag."""

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse

from applications.models import Application
from quotas.audit import AuditAction
from quotas.models import AdminRole, AuditLog, MemberRoster, MemberRosterEntry
from quotas.rosters import member_roster_import, roster_read
from reviews import services
from reviews.flags import FlagCode, flags_for_applications
from reviews.membership import membership_for_applications
from tests.applications.factories import make_id_number

from .conftest import make_admin, make_submitted, make_worker


def csv_roster(rows, encoding="utf-8") -> bytes:
    return ("姓名,身份证号\n" + "".join(f"{n},{i}\n" for n, i in rows)).encode(encoding)


def xlsx_roster(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["某某公司工会会员名册"])
    sheet.append(["序号", "姓名", "身份证号码"])
    for k, (n, i) in enumerate(rows, start=1):
        sheet.append([k, n, i])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_roster_reads_utf8_gb18030_and_xlsx_alike():
    people = [("张三丰", make_id_number()), ("李四", make_id_number().lower().replace("x", "x"))]
    for name, content in [
        ("m.csv", csv_roster(people)),
        ("m.csv", csv_roster(people, "gb18030")),
        ("m.csv", b"\xef\xbb\xbf" + csv_roster(people)),
        ("m.xlsx", xlsx_roster(people)),
    ]:
        reading = roster_read(name=name, content=content)
        assert reading.ok, reading.problems
        assert sorted(reading.members.values()) == ["张*丰", "李*"]
        assert not any(p[1] in str(reading.members) for p in people)  # no number kept


def test_invalid_rows_are_listed_by_row_number():
    good = make_id_number()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    reading = roster_read(
        name="m.csv", content=csv_roster([("张三", good), ("李四", bad_check), ("", make_id_number()), ("王五", good)])
    )
    assert not reading.ok
    assert reading.problems == [
        "第 3 行：身份证号不正确（应为18位且校验位正确）。",
        "第 4 行：姓名为空。",
        "第 5 行：身份证号与前面的行重复。",
    ]
    assert "找不到表头" in roster_read(name="m.csv", content="名字,号码\n张三,1\n".encode()).problems[0]


@pytest.mark.django_db
def test_reimport_replaces_the_roster_and_is_audited(tree):
    manager = make_admin(tree.grassroots_a1, AdminRole.MANAGER)
    first = roster_read(name="m.csv", content=csv_roster([("张三", make_id_number()), ("李四", make_id_number())]))
    member_roster_import(union=tree.grassroots_a1, reading=first, actor=manager)
    keep = make_id_number()
    second = roster_read(name="m.csv", content=csv_roster([("王五", keep)], "gb18030"))
    member_roster_import(union=tree.grassroots_a1, reading=second, actor=manager, filename="m.csv")
    assert list(MemberRosterEntry.objects.values_list("name_masked", flat=True)) == ["王*"]
    assert MemberRoster.objects.get(union=tree.grassroots_a1).count == 1
    logs = AuditLog.objects.filter(action=AuditAction.MEMBER_ROSTER_IMPORT).order_by("id")
    assert [(x.detail["count_before"], x.detail["count_after"]) for x in logs] == [(0, 2), (2, 1)]


@pytest.mark.django_db
def test_only_the_unions_own_managers_import_never_from_above(tree):
    reading = roster_read(name="m.csv", content=csv_roster([("张三", make_id_number())]))
    for user in (make_admin(tree.city, AdminRole.MANAGER), make_admin(tree.grassroots_a1, AdminRole.REVIEWER)):
        with pytest.raises(PermissionDenied, match="本级工会的管理员"):
            member_roster_import(union=tree.grassroots_a1, reading=reading, actor=user)
    assert not MemberRosterEntry.objects.exists()


@pytest.mark.django_db
def test_import_page_previews_refuses_bad_rows_writes_nothing_then_confirms(client, tree):
    manager = make_admin(tree.grassroots_a1, AdminRole.MANAGER)
    client.force_login(manager)
    url = reverse("admin:quotas_memberroster_import")
    page = client.get(url)
    assert "为「甲公司工会」导入会员名册" in page.content.decode()
    bad = csv_roster([("张三", make_id_number()), ("李四", "37010219900101123")], "gb18030")
    page = client.post(url, {"file": _file("名册.csv", bad)})
    assert "第 3 行：身份证号不正确" in page.content.decode() and "确认导入" not in page.content.decode()
    assert not MemberRosterEntry.objects.exists()
    good = xlsx_roster([("张三", make_id_number()), ("李四", make_id_number())])
    page = client.post(url, {"file": _file("名册.xlsx", good)})
    assert "共 2 名会员" in page.content.decode()
    assert not MemberRosterEntry.objects.exists()  # preview only
    done = client.post(url, {"t": page.context["token"]})
    assert done.status_code == 302
    assert MemberRosterEntry.objects.filter(union=tree.grassroots_a1).count() == 2
    # Another union's manager cannot use the token for this union.
    other = make_admin(tree.grassroots_b, AdminRole.MANAGER)
    client.force_login(other)
    client.post(url, {"t": page.context["token"]})
    assert not MemberRosterEntry.objects.filter(union=tree.grassroots_b).exists()


@pytest.mark.django_db
def test_import_page_refuses_a_reviewer_with_the_reason(client, tree):
    client.force_login(make_admin(tree.grassroots_a1, AdminRole.REVIEWER))
    page = client.get(reverse("admin:quotas_memberroster_import"))
    assert page.status_code == 403
    assert "会员名册只能由甲公司工会本级工会的管理员导入" in page.content.decode()


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def _submitted(tree, program, union, id_number):
    app = make_submitted(make_worker(union, id_number=id_number), program)
    Application.objects.filter(pk=app.pk).update(union_path=union.path)
    return Application.objects.select_related("worker", "program").get(pk=app.pk)


@pytest.mark.django_db
def test_membership_per_union_of_the_chain_and_the_flag(tree, program):
    member, outsider = make_id_number(), make_id_number()
    manager = make_admin(tree.township_a, AdminRole.MANAGER)
    member_roster_import(
        union=tree.township_a,
        reading=roster_read(name="m.csv", content=csv_roster([("张三丰", member)])),
        actor=manager,
    )
    on = _submitted(tree, program, tree.grassroots_a1, member)
    off = _submitted(tree, program, tree.grassroots_a2, outsider)
    elsewhere = _submitted(tree, program, tree.grassroots_b, make_id_number())
    result = membership_for_applications([on, off, elsewhere])
    assert [(r.union_name, r.label) for r in result[on.pk].unions] == [
        ("甲公司工会", "未导入名册"),
        ("解放路街道工会", "在册"),
        ("历下区总工会", "未导入名册"),
        ("济南市总工会", "未导入名册"),
    ]
    assert (result[on.pk].label, result[off.pk].label, result[elsewhere.pk].label) == ("在册", "不在册", "未导入名册")
    # Only a programme requiring membership flags 不在册.
    assert FlagCode.NOT_MEMBER not in {f.code for f in flags_for_applications([off])[off.pk]}
    program[0].requires_membership = True
    program[0].save()
    off = Application.objects.select_related("worker", "program").get(pk=off.pk)
    flags = flags_for_applications([on, off, elsewhere])
    assert [f.detail for f in flags[off.pk] if f.code == FlagCode.NOT_MEMBER] == ["未列入解放路街道工会的会员名册"]
    assert not any(f.code == FlagCode.NOT_MEMBER for f in flags[on.pk] + flags[elsewhere.pk])
    reviewer = make_admin(tree.grassroots_a2)
    with pytest.raises(services.ReviewRefused, match="不在工会会员名册中"):
        services.application_approve(application=off, reviewer=reviewer)
    decision = services.application_approve(
        application=off, reviewer=reviewer, acknowledged_flags=[FlagCode.NOT_MEMBER]
    )
    assert decision.flags_acknowledged == [FlagCode.NOT_MEMBER]
    html = render_to_string("admin/reviews/application/_membership.html", {"membership": result[on.pk]})
    assert "会员核对" in html and "解放路街道工会" in html and "在册" in html


@pytest.mark.django_db
def test_review_page_passes_the_membership(client, tree, program):
    app = _submitted(tree, program, tree.grassroots_a1, make_id_number())
    client.force_login(make_admin(tree.grassroots_a1))
    page = client.get(reverse("admin:applications_application_change", args=[app.pk]))
    assert page.status_code == 200
    assert page.context["membership"].label == "未导入名册"
