from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from quotas.models import DocumentKind, Program
from quotas.review_rounds import review_window_for

from .. import eligibility
from ..announcements import consequences_of, money_lines_of
from ..changes import pending_notice
from ..forms import ApplicationForm, UploadForm, WithdrawForm
from ..listing import public_programs
from ..models import ENDED_STATUSES, Application, ApplicationStatus, SeatStatus
from ..papers import paper_guide, pdf_facts_of
from ..report_prefill import PREFILL_PARAM, PREFILL_VALUE, report_prefill_for
from ..seat_outlook import seat_outlook_of
from ..selectors import (
    application_queue_position,
    applications_of_worker,
    batch_state_of,
    current_attachments,
    open_batch_of,
    programs_for_worker,
    return_field_labels,
    returned_document_kinds,
    worker_change_pending_of,
    worker_of,
)
from ..services import (
    EDITABLE_STATUSES,
    application_create_draft,
    application_resubmit,
    application_submit,
    application_submit_reasons,
    application_update,
    application_withdraw,
    attachment_upload,
    resubmit_keeps_position,
)
from ..stage_rules import stage_asks_study_facts, stage_steps_of
from ..stages import application_stage_submit
from ..upload_handlers import TOO_LARGE_ATTR, SizeCapUploadHandler
from ..workflow import Action, TransitionError, event_label, transition_allowed
from .common import error_messages, own_application_required, worker_required

S = ApplicationStatus


def home(request: HttpRequest) -> HttpResponse:
    worker = worker_of(request.user)
    if request.user.is_authenticated and worker is None and not request.user.is_staff:
        return redirect("applications:profile")
    context: dict = {"worker": worker}
    if worker is None:  # signed out (or staff): every owner's open and coming programmes
        context["public_programs"] = public_programs()
    else:
        apps = applications_of_worker(worker=worker)
        live = {a.program_id: a for a in apps if a.status not in ENDED_STATUSES}
        context["applications"] = apps
        rows = []
        for p in programs_for_worker(worker=worker):  # batches prefetched
            state = batch_state_of(program=p)
            rows.append(
                {
                    "program": p,
                    "reasons": eligibility.worker_reasons(worker=worker, program=p),
                    "batch": state.open,
                    "next_batch": state.next,
                    "filled_batch": state.filled,
                    "application": live.get(p.pk),
                }
            )
        context["programs"] = rows
    return render(request, "applications/home.html", context)


def _documents(application, worker, errors: dict | None = None) -> list[dict]:
    current = {a.kind: a for a in current_attachments(application=application)}
    labels = dict(DocumentKind.choices)
    returned = returned_document_kinds(fields=application.return_fields)
    rows = []
    for k in eligibility.required_documents_for(program=application.program, worker=worker, stage=application.stage):
        must_show, hint = paper_guide(k)
        rows.append(
            {
                "kind": k,
                "label": labels.get(k, k),
                "attachment": current.get(k),
                "pdf": pdf_facts_of(current.get(k)),
                "returned": k in returned,
                "must_show": must_show,
                "hint": hint,
                "errors": (errors or {}).get(k, []),
            }
        )
    return rows


PAPER_TAG = "paper-"  # a message's extra tag naming the paper card it belongs on


def _paper_messages(request: HttpRequest) -> tuple[list, dict[str, list[str]]]:
    """Split the flashed messages: an upload's answer goes on its paper's card, next to the
    button that was tapped; the rest at the top of the page."""
    top, by_kind = [], {}
    for m in messages.get_messages(request):
        tag = next((t for t in m.extra_tags.split() if t.startswith(PAPER_TAG)), "")
        if tag:
            by_kind.setdefault(tag[len(PAPER_TAG) :], []).append(m)
        else:
            top.append(m)
    return top, by_kind


@worker_required
def program_apply(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_object_or_404(Program.objects.select_related("owner_union"), pk=pk, is_open=True)
    worker = request.worker
    reasons = eligibility.worker_reasons(worker=worker, program=program)
    form = ApplicationForm(
        request.POST or None, program=program, study_facts=stage_asks_study_facts(program=program, number=1)
    )
    if request.method == "POST" and not reasons and form.is_valid():
        try:
            app = application_create_draft(
                worker=worker, program=program, data=form.application_data(), actor=request.user
            )
        except ValidationError as exc:
            for m in error_messages(exc):
                form.add_error(None, m)
        else:
            return redirect("applications:edit", pk=app.pk)
    state = batch_state_of(program=program)
    return render(
        request,
        "applications/program_apply.html",
        {
            "program": program,
            "form": form,
            "reasons": reasons,
            "batch": state.open,
            "filled_batch": state.filled,
            "outlook": seat_outlook_of(program=program, worker=worker),
        },
    )


@own_application_required
def application_edit(request: HttpRequest, app: Application) -> HttpResponse:
    if app.status not in EDITABLE_STATUSES:
        return redirect("applications:detail", pk=app.pk)
    prefill = report_prefill_for(app)  # issue 19: the stored 学信网 reading
    initial = ApplicationForm.initial_from(app)
    if prefill and request.GET.get(PREFILL_PARAM) == PREFILL_VALUE:
        initial |= prefill.initial  # shown in the form; saved only when the worker saves
    form = ApplicationForm(
        request.POST or None,
        program=app.program,
        initial=initial,
        study_facts=stage_asks_study_facts(program=app.program, number=app.stage),
    )
    if request.method == "POST" and form.is_valid():
        try:
            application_update(application=app, data=form.application_data(), actor=request.user)
        except ValidationError as exc:
            for m in error_messages(exc):
                form.add_error(None, m)
        else:
            messages.success(request, _("申请信息已保存。"))
            return redirect("applications:edit", pk=app.pk)
    top_messages, paper_messages = _paper_messages(request)
    return render(
        request,
        "applications/application_edit.html",
        {
            "app": app,
            "form": form,
            "page_messages": top_messages,
            "documents": _documents(app, request.worker, paper_messages),
            "stages": stage_steps_of(app),
            "return_labels": return_field_labels(fields=app.return_fields),
            "upload_max_bytes": settings.UPLOAD_MAX_BYTES,
            "upload_max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
            "outlook": _outlook_before_submit(app, request.worker),
            "report_prefill": prefill,
        },
    )


@csrf_exempt  # only so the handler can be added before the body is read: CSRF is checked below
def attachment_upload_view(request: HttpRequest, pk: int) -> HttpResponse:
    request.upload_handlers.insert(0, SizeCapUploadHandler(request, limit=settings.UPLOAD_MAX_BYTES))
    return _attachment_upload(request, pk)


@csrf_protect
@own_application_required
@require_POST
def _attachment_upload(request: HttpRequest, app: Application) -> HttpResponse:
    files = request.FILES  # the body goes through the handlers here (if CSRF has not already)
    kind = request.POST.get("kind", "")
    tag = PAPER_TAG + kind if kind in DocumentKind.values else ""
    back = redirect(reverse("applications:edit", args=[app.pk]) + (f"#paper-{kind}" if tag else "#documents"))
    if getattr(request, TOO_LARGE_ATTR, False):
        limit_mb = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        messages.error(
            request,
            _("上传失败：文件超过 %(mb)s MB 上限，请压缩图片或分页扫描后重新上传。") % {"mb": limit_mb},
            extra_tags=tag,
        )
        return back
    form = UploadForm(request.POST, files)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e, extra_tags=tag)
        return back
    try:
        attachment_upload(
            application=app, kind=form.cleaned_data["kind"], uploaded_file=form.cleaned_data["file"], actor=request.user
        )
    except ValidationError as exc:
        for m in error_messages(exc):
            messages.error(request, _("上传失败：%(reason)s") % {"reason": m}, extra_tags=tag)
    else:
        messages.success(request, _("材料已上传。"), extra_tags=tag)
    return back


def _outlook_before_submit(app: Application, worker):
    """额满即止 said before: only a draft is still to take a seat (a resubmit keeps its own)."""
    return seat_outlook_of(program=app.program, worker=worker) if app.status == S.DRAFT else None


@own_application_required
def application_submit_view(request: HttpRequest, app: Application) -> HttpResponse:
    """GET: what will happen (and what is missing); POST: submit or resubmit."""
    resubmitting = app.status == S.RETURNED
    next_stage = app.status == S.STAGE_PASSED
    if request.method == "POST":
        service = application_resubmit if resubmitting else application_submit
        if next_stage:
            service = application_stage_submit
        try:
            service(application=app, actor=request.user)
        except (ValidationError, TransitionError) as exc:
            msgs = error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]
            for m in msgs:
                messages.error(request, m)
            return redirect("applications:submit", pk=app.pk)
        messages.success(request, _("申请已提交，请留意审核进度。"))
        return redirect("applications:detail", pk=app.pk)
    if app.status not in EDITABLE_STATUSES:
        return redirect("applications:detail", pk=app.pk)
    outlook = _outlook_before_submit(app, request.worker)
    refusal = [outlook.refusal] if outlook and outlook.refusal else []
    return render(
        request,
        "applications/submit_confirm.html",
        {
            "app": app,
            "resubmitting": resubmitting,
            "next_stage": next_stage,
            "stages": stage_steps_of(app),
            "keeps_position": resubmit_keeps_position(application=app) if resubmitting else True,
            "batch": open_batch_of(program=app.program),
            "documents": _documents(app, request.worker),
            # The submit's own rule, so the page never passes what the button refuses.
            "reasons": application_submit_reasons(application=app) + refusal,
            "outlook": outlook,
        },
    )


@own_application_required
def application_detail(request: HttpRequest, app: Application) -> HttpResponse:
    events = list(app.events.select_related("tier").order_by("at", "id"))
    for e in events:
        e.label = event_label(e)  # labels only: status codes mean nothing to the worker
        # A university's decision has no union tier: the reviews write its name in the detail.
        detail = e.detail or {}
        e.cofunder_name = detail.get("tier_name", "") if e.tier_id is None and detail.get("cofunder_id") else ""
    # Between review rounds the application waits at its tier: say when it moves again.
    window = review_window_for(application=app) if app.status == S.IN_REVIEW else None
    return render(
        request,
        "applications/application_detail.html",
        {
            "app": app,
            "review_window": window if window is not None and not window.is_open else None,
            "events": events,
            "queue": application_queue_position(application=app),
            "stages": stage_steps_of(app),
            "documents": current_attachments(application=app),
            "return_labels": return_field_labels(fields=app.return_fields),
            "editable": app.status in EDITABLE_STATUSES,
            "withdrawable": transition_allowed(status=app.status, action=Action.WITHDRAW)
            and not consequences_of(application=app, action=Action.WITHDRAW).refusal,
            "pending": pending_notice(worker_change_pending_of(worker=app.worker)),
            "money": money_lines_of(application=app),
            "now": timezone.now(),
        },
    )


@own_application_required
def application_withdraw_view(request: HttpRequest, app: Application) -> HttpResponse:
    # What the withdrawal would do to money the apps above hold (payouts): a warning when
    # a subsidy is proposed or listed, a refusal once it has been paid.
    consequences = consequences_of(application=app, action=Action.WITHDRAW)
    if not transition_allowed(status=app.status, action=Action.WITHDRAW):
        consequences.refusal = _("申请当前为“%(status)s”，不能撤回。") % {"status": app.get_status_display()}
    elif app.seat_status == SeatStatus.PLACED:
        # A kept place (at-submission programmes, Xian'an) goes to the first on the waiting
        # list at once: the worker must know before confirming.
        consequences.warnings.insert(
            0,
            _("您已占用第%(rank)s个补助名额。撤回后名额立即让给候补的职工，再次申请也不能恢复，须重新排队。")
            % {"rank": app.seat_rank},
        )
    elif app.seat_status == SeatStatus.WAITLISTED:
        consequences.warnings.insert(0, _("您正在候补第%(rank)s位。撤回后候补位置不再保留。") % {"rank": app.seat_rank})
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            application_withdraw(application=app, actor=request.user, reason=form.cleaned_data["reason"])
        except (ValidationError, TransitionError) as exc:
            msgs = error_messages(exc) if isinstance(exc, ValidationError) else [str(exc)]
            for m in msgs:
                messages.error(request, m)
        else:
            messages.success(request, _("申请已撤回。"))
        return redirect("applications:detail", pk=app.pk)
    return render(
        request, "applications/withdraw_confirm.html", {"app": app, "form": form, "consequences": consequences}
    )
