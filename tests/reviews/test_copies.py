"""Copied papers: the same file, the same picture re-saved, the same 验证码 under two workers."""

import io
import random

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image, ImageDraw

from applications import phash
from applications.models import Application, Attachment
from applications.uploads import upload_clean
from quotas.models import DocumentKind
from reviews import services
from reviews.flags import FlagCode, flags_for_applications
from tests.applications.factories import upload

from .conftest import make_admin, make_submitted, make_worker


def photo(seed: int, size=(1200, 900), quality=90) -> bytes:
    """A 'photo' of a paper: random shapes, different per seed."""
    rng = random.Random(seed)
    img = Image.new("RGB", (1200, 900), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(1100), rng.randrange(800)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x, y, x + rng.randrange(20, 300), y + rng.randrange(20, 200)), fill=colour)
    img = img.resize(size)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def attach(app, data: bytes, kind=DocumentKind.ID_FRONT) -> Attachment:
    clean = upload_clean(upload("p.jpg", data))
    att = Attachment(
        application=app,
        kind=kind,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        original_name="p.jpg",
    )
    att.phash_set(clean.phash)
    att.file.save(f"{kind}-{app.pk}.jpg", ContentFile(clean.content), save=False)
    att.save()
    return att


def flags_of(app):
    app = Application.objects.select_related("worker", "program").get(pk=app.pk)
    # Each flag names the other applications (number, masked name): shown and linked.
    return {
        f.code: "、".join(f"{o.number}（{o.name_masked}）" for o in f.others)
        for f in flags_for_applications([app])[app.pk]
    }


def test_dhash_survives_resave_and_tells_photos_apart():
    original = phash.phash_hex(phash.dhash(photo(1)))
    resaved = phash.phash_hex(phash.dhash(photo(1, size=(800, 600), quality=45)))
    other = phash.phash_hex(phash.dhash(photo(2)))
    assert phash.distance(original, resaved) <= phash.MAX_DISTANCE
    assert phash.distance(original, other) > phash.MAX_DISTANCE * 2


def test_band_probes_find_every_hash_within_the_distance():
    rng = random.Random(7)
    for _ in range(300):
        a = rng.getrandbits(64)
        b = a
        for bit in rng.sample(range(64), rng.randrange(phash.MAX_DISTANCE + 1)):
            b ^= 1 << bit
        ba, bb = phash.bands(f"{a:016x}"), phash.bands(f"{b:016x}")
        assert any(y in phash.probes(x) for x, y in zip(ba, bb, strict=True))


@pytest.mark.django_db
def test_resaved_photo_under_another_worker_is_flagged_with_its_number(tree, program):
    mine = make_submitted(make_worker(tree.grassroots_a1, name="李四"), program)
    theirs = make_submitted(make_worker(tree.grassroots_b, name="王小明"), program)
    attach(mine, photo(11))
    attach(theirs, photo(11, size=(900, 675), quality=55))
    flags = flags_of(mine)
    assert FlagCode.COPIED_PICTURE in flags and FlagCode.COPIED_FILE not in flags
    assert flags[FlagCode.COPIED_PICTURE] == f"{theirs.number}（王*明）"
    assert f"{mine.number}（李*）" == flags_of(theirs)[FlagCode.COPIED_PICTURE]
    mine = Application.objects.select_related("worker", "program").get(pk=mine.pk)
    (copied,) = [f for f in flags_for_applications([mine])[mine.pk] if f.code == FlagCode.COPIED_PICTURE]
    assert [o.pk for o in copied.others] == [theirs.pk]  # the review page links it


@pytest.mark.django_db
def test_different_photos_and_the_same_workers_own_papers_are_not_flagged(tree, program):
    worker = make_worker(tree.grassroots_a1)
    a = make_submitted(worker, program)
    b = make_submitted(make_worker(tree.grassroots_b), program)
    attach(a, photo(21))
    attach(b, photo(22))
    assert flags_of(a) == {}
    # The same worker's own other application with the same photo: not this flag's business.
    Application.objects.filter(pk=a.pk).update(status="rejected")
    again = make_submitted(worker, program)
    attach(again, photo(21))
    assert FlagCode.COPIED_PICTURE not in flags_of(again)


@pytest.mark.django_db
def test_same_file_under_two_workers(tree, program):
    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b = make_submitted(make_worker(tree.grassroots_b), program)
    attach(a, photo(31))
    attach(b, photo(31))
    assert {FlagCode.COPIED_FILE, FlagCode.COPIED_PICTURE} <= set(flags_of(a))


@pytest.mark.django_db
def test_same_chsi_code_under_two_workers(tree, program):
    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b = make_submitted(make_worker(tree.grassroots_b), program)
    Application.objects.filter(pk=b.pk).update(chsi_code=f" {a.chsi_code.lower()} ")
    assert flags_of(a)[FlagCode.SHARED_CHSI_CODE].startswith(b.number)
    Application.objects.filter(pk=b.pk).update(status="withdrawn")
    assert FlagCode.SHARED_CHSI_CODE not in flags_of(a)


@pytest.mark.django_db
def test_upload_stores_the_picture_hash(tree):
    from applications.services import attachment_upload
    from tests.applications.factories import make_program, make_ready_application
    from tests.applications.factories import make_worker as make_profile

    worker = make_profile(tree.grassroots_a1)
    app = make_ready_application(worker, make_program(tree.city))
    att = attachment_upload(
        application=app, kind=DocumentKind.ID_FRONT, uploaded_file=upload("x.jpg", photo(41)), actor=worker.user
    )
    att.refresh_from_db()
    assert att.phash and [att.phash_b0, att.phash_b1, att.phash_b2, att.phash_b3] == phash.bands(att.phash)
    pdf = Attachment.objects.filter(application=app, content_type="application/pdf").first()
    assert pdf is None or pdf.phash == ""


@pytest.mark.django_db
def test_copy_flags_cost_a_fixed_number_of_queries(tree, program):
    def page(n, seed):
        apps = []
        for i in range(n):
            app = make_submitted(make_worker(tree.grassroots_a1), program)
            attach(app, photo(seed + i % 2))
            apps.append(app)
        return list(Application.objects.select_related("worker", "program").filter(pk__in=[a.pk for a in apps]))

    small, large = page(2, 100), page(12, 200)
    with CaptureQueriesContext(connection) as q_small:
        flags_for_applications(small)
    with CaptureQueriesContext(connection) as q_large:
        flagged = flags_for_applications(large)
    assert len(q_small) == len(q_large)
    assert all(any(f.code == FlagCode.COPIED_PICTURE for f in flagged[a.pk]) for a in large)


@pytest.mark.django_db
def test_copy_flag_must_be_acknowledged_before_approval(tree, program):
    reviewer = make_admin(tree.grassroots_a1)
    a = make_submitted(make_worker(tree.grassroots_a1), program)
    b = make_submitted(make_worker(tree.grassroots_b), program)
    attach(a, photo(51))
    attach(b, photo(51, size=(600, 450), quality=40))
    with pytest.raises(services.ReviewRefused, match="材料图片与他人申请相同或相近"):
        services.application_approve(application=a, reviewer=reviewer)
    decision = services.application_approve(
        application=a, reviewer=reviewer, acknowledged_flags=[FlagCode.COPIED_PICTURE]
    )
    assert decision.flags_acknowledged == [FlagCode.COPIED_PICTURE]
