"""Debrief sessions: the lists, scheduling, the section forms with autosave, review, items, export."""

from __future__ import annotations

import uuid

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import brake
from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from config import spreadsheets
from debriefing import services
from debriefing import structure as st
from debriefing.access import get_item_for_user, get_session_for_user
from debriefing.export import FORMATS, export_for_partners
from debriefing.forms import AddendumForm, IncidentForm, ItemForm, ReviewForm, ScheduleForm, SubmitForm
from debriefing.models import Addendum, DebriefSession, IntelligenceItem, Review, SectionAnswers, SessionQuerySet
from defectors.access import get_case_for_user
from defectors.models import Case, Consent
from defectors.services import has_consent

REVIEWERS_AND_DEBRIEFERS = (User.Role.SUPERVISOR, User.Role.DEBRIEFER)
LIST_SIZE = 100


@role_required(*REVIEWERS_AND_DEBRIEFERS)
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Supervisors: urgent items first, then every session. Debriefers: their debriefs returned for
    changes with the reviewer's comments first, then their sessions (case code only).

    A fixed number of queries whatever the number of rows (tests/debriefing/test_home.py).
    """
    sessions = DebriefSession.objects.visible_to(request.user).select_related("case", "debriefer")
    urgent: list[IntelligenceItem] = []
    returned: list[Review] = []
    is_supervisor = request.user.role == User.Role.SUPERVISOR
    withheld = False
    if is_supervisor:
        urgent = list(
            IntelligenceItem.objects.filter(urgent=True, acknowledged_at__isnull=True).select_related("session__case")
        )
    else:
        returned = _latest_returns(DebriefSession.objects.visible_to(request.user))
    # Graded one-line summaries and review comments, no names: not counted (a list must not trip
    # the brake by being long), but withheld while the person's brake is on.
    if (urgent or returned) and brake.is_braked(request.user):
        withheld = True
        messages.error(request, brake.refusal_message())
    rows = sessions.only(
        "id", "status", "scheduled_for", "answered", "questions", "case__code", "debriefer__username"
    )[:LIST_SIZE]  # fmt: skip
    context = {
        "sessions": rows, "urgent": urgent, "returned": returned, "is_supervisor": is_supervisor, "withheld": withheld
    }  # fmt: skip
    return render(request, "debriefing/home.html", context)


def _latest_returns(sessions: SessionQuerySet) -> list[Review]:
    """The latest return of each of ``sessions`` now returned for changes, newest first (one query)."""
    reviews = (
        Review.objects.filter(
            session__in=sessions.filter(status=DebriefSession.Status.RETURNED), decision=Review.Decision.RETURN
        )
        .select_related("session__case", "by")
        .only("id", "session_id", "comment", "at", "session__id", "session__case__code", "by__username")
        .order_by("at")
    )
    latest = {review.session_id: review for review in reviews}  # a debrief returned twice: the last word
    return sorted(latest.values(), key=lambda review: review.at, reverse=True)


@role_required(User.Role.SUPERVISOR)
def schedule(request: AuthenticatedRequest) -> HttpResponse:
    form = ScheduleForm(request.POST or None, initial={"case_code": request.GET.get("case", "")[:12]})
    if request.method == "POST" and form.is_valid():
        case = Case.objects.visible_to(request.user).filter(code=form.cleaned_data["case_code"]).first()
        if case is None:
            form.add_error("case_code", _("No case has this code."))
        else:
            try:
                session = services.schedule_session(
                    case=case, debriefer=form.cleaned_data["debriefer"], template=form.cleaned_data["template"],
                    on=form.cleaned_data["scheduled_for"], by=request.user,
                )  # fmt: skip
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Debrief scheduled."))
                if not has_consent(case, Consent.Kind.DEBRIEFING):
                    messages.warning(
                        request,
                        _(
                            "This case has no debriefing consent yet: the debriefer cannot start until the "
                            "caseworker records it on the case page."
                        ),
                    )
                return redirect(session)
    return render(request, "debriefing/schedule.html", {"form": form})


@role_required(*User.CASE_ROLES)
def case_debriefs(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """For the case's caseworker: that debriefs exist and their status, never their content."""
    case = get_case_for_user(request.user, code)
    sessions = DebriefSession.objects.filter(case=case).only("id", "status", "scheduled_for", "case_id")
    return render(request, "debriefing/case_debriefs.html", {"case": case, "sessions": sessions})


@role_required(*REVIEWERS_AND_DEBRIEFERS)
def session_detail(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    """The session: progress and sections for its debriefer, every answer with addenda for review.

    A fixed number of queries whatever the number of answers (tests/debriefing/test_views.py).
    """
    return _session_page(request, get_session_for_user(request.user, pk))


def _session_page(
    request: AuthenticatedRequest, session: DebriefSession, review_form: ReviewForm | None = None, status: int = 200
) -> HttpResponse:
    brake.admit(by=request.user, cases=[_read_of(session)])  # debrief content: counted before it is decrypted
    answers = services.answers_by_section(session)
    addenda: dict[str, list[Addendum]] = {}
    for addendum in Addendum.objects.filter(session=session).select_related("by"):
        addenda.setdefault(addendum.question, []).append(addendum)
    default = st.default_language(session.template.structure)
    counts = st.progress(session.template.structure, answers)
    sections = [
        {"key": s["key"], "label": st.text(s["label"], default),
         "answered": counts[s["key"]][0], "questions": counts[s["key"]][1]}
        for s in session.template.sections
    ]  # fmt: skip
    is_reviewer = request.user.role == User.Role.SUPERVISOR
    if review_form is None and is_reviewer and session.status == DebriefSession.Status.SUBMITTED:
        review_form = ReviewForm()
    questions = [(q["key"], st.text(q["label"], default)) for q in st.all_questions(session.template.structure)]
    # A return the debriefer has answered by submitting again is history, not the current word.
    reviews = [
        (review, review.decision == Review.Decision.RETURN and review.at < (session.submitted_at or review.at))
        for review in session.reviews.select_related("by")
    ]
    context = {
        "session": session,
        "sections": sections,
        "sheet": st.answer_sheet(session.template.structure, answers, addenda),
        "reviews": reviews,
        "items": session.items.all(),
        "incidents": session.incidents.all(),
        "testimony_consent": _testimony_consent(session),
        "editing_problem": services.editing_problem(session),
        "is_reviewer": is_reviewer,
        "review_form": review_form,
        "addendum_form": AddendumForm(questions=questions)
        if session.status == DebriefSession.Status.APPROVED
        else None,
    }
    return render(request, "debriefing/session.html", context, status=status)


def _read_of(session: DebriefSession) -> brake.CaseRead:
    """The brake's view of a debrief: its case, "assigned" to the session's debriefer."""
    return brake.CaseRead(pk=session.case_id, assigned_to_id=session.debriefer_id)


def _autosave_wanted(request: AuthenticatedRequest) -> bool:
    return request.headers.get("X-Autosave") == "1"


@role_required(User.Role.DEBRIEFER)
def section(request: AuthenticatedRequest, pk: uuid.UUID, section: str) -> HttpResponse:
    """One section's form. The page's script autosaves it (X-Autosave: JSON answers); Save posts it whole.

    A stale save (another tab saved newer answers) answers 409 and writes nothing;
    a retried save whose answer was lost is recognised by its token.
    """
    session = get_session_for_user(request.user, pk)
    definition = services.section_by_key(session, section)
    if definition is None:
        raise Http404
    try:
        brake.admit(by=request.user, cases=[_read_of(session)])  # debrief answers, shown or compared
    except brake.IdentityRefused as refused:
        if not _autosave_wanted(request):
            raise  # the plain page (accounts.middleware.BrakeMiddleware)
        return JsonResponse({"error": refused.args[0]}, status=403)  # the page's script shows it
    repeats = [q["key"] for q in definition["questions"] if q["type"] == "repeat"]
    default = st.default_language(session.template.structure)
    if request.method != "POST":
        row = SectionAnswers.objects.filter(session=session, section=section).first()
        stored = (row.answers or {}) if row else {}
        wanted = request.GET.get("more")
        entries = {key: len(stored.get(key) or []) + (1 if wanted == key else 0) or 1 for key in repeats}
        form = st.SectionForm(
            initial=st.initial_for(definition, stored), section=definition, entries=entries, default=default
        )
        if services.editing_problem(session):
            # Nothing typed here could be saved (submitted, no consent, shredded): show the answers,
            # offer nothing to type into, and send nothing (debrief.js autosaves only an editable form).
            for field in form.fields.values():
                field.disabled = True
            return _section_page(request, session, form, version=row.version if row else 0, read_only=True)
        return _section_page(request, session, form, version=row.version if row else 0)
    entries = {key: _posted_entries(request, key, 1) for key in repeats}
    form = st.SectionForm(request.POST, section=definition, entries=entries, default=default)
    # Shown again, if it must be, on the version it was loaded with: never newer answers'.
    posted = request.POST.get("version", "")
    version = int(posted) if posted.isdigit() and len(posted) < 10 else 0
    if not form.is_valid():
        if _autosave_wanted(request):
            return JsonResponse({"error": _needs_correcting(form), "fields": list(form.errors)}, status=400)
        return _section_page(request, session, form, version=version, status=400)
    try:
        token = uuid.UUID(request.POST.get("save_token", ""))
        base = int(posted)
    except ValueError:
        return _not_saved(request, session, form, version, 400, {"error": _("The form is incomplete: reload it.")})
    try:
        saved = services.save_section(
            session=session, by=request.user, section=section, answers=form.answers(), base_version=base, token=token
        )
    except services.StaleSave as stale:
        message = _("Newer answers were saved from another window: reload this section to see them.")
        return _not_saved(request, session, form, version, 409, {"error": message, "version": stale.current_version})
    except ValidationError as error:
        return _not_saved(request, session, form, version, 400, {"error": error.messages[0]})
    if _autosave_wanted(request):
        return JsonResponse({"version": saved.version, "progress": session.progress_percent})
    messages.success(request, _("Saved."))
    more = request.POST.get("more", "")
    return redirect(f"{request.path}?more={more}" if more in entries else session.get_absolute_url())


def _section_page(
    request: AuthenticatedRequest,
    session: DebriefSession,
    form: st.SectionForm,
    *,
    version: int,
    status: int = 200,
    read_only: bool = False,
) -> HttpResponse:
    definition = form.section
    default = st.default_language(session.template.structure)
    keys = [s["key"] for s in session.template.sections]
    following = session.template.sections[keys.index(definition["key"]) + 1 :][:1]
    returned = None
    if session.status == DebriefSession.Status.RETURNED:  # the reviewer's last word on every section page
        returned = next(iter(_latest_returns(DebriefSession.objects.filter(pk=session.pk))), None)
    context = {
        "session": session, "section": definition, "label": st.text(definition["label"], default), "form": form,
        "version": version, "save_token": uuid.uuid4(), "editing_problem": services.editing_problem(session),
        "read_only": read_only,
        "repeats": [(q["key"], st.text(q["label"], default)) for q in definition["questions"] if q["type"] == "repeat"],
        "next_section": {"key": following[0]["key"], "label": st.text(following[0]["label"], default)}
        if following else None,
        "returned": returned,
    }  # fmt: skip
    return render(request, "debriefing/section.html", context, status=status)


def _needs_correcting(form: st.SectionForm) -> str:
    """An autosave's refusal, naming each question to correct (the page's error summary does the same)."""
    problems = [
        f"{form.fields[name].label}: {errors[0]}" for name, errors in form.errors.items() if name in form.fields
    ]
    return " ".join([_("Some answers need correcting."), *problems])


def _posted_entries(request: AuthenticatedRequest, key: str, default: int) -> int:
    """How many entries of repeat ``key`` the posted form holds (bounded)."""
    try:
        count = int(request.POST.get(f"{key}__count", default))
    except ValueError:
        count = default
    return max(1, min(count, st.MAX_ENTRIES))


def _not_saved(
    request: AuthenticatedRequest,
    session: DebriefSession,
    form: st.SectionForm,
    version: int,
    status: int,
    body: dict[str, object],
) -> HttpResponse:
    """A save that wrote nothing: JSON for the page's script; for the Save button, the page again
    with every posted answer in its field (a redirect would lose what was typed)."""
    if _autosave_wanted(request):
        return JsonResponse(body, status=status)
    form.add_error(None, str(body["error"]))
    form.add_error(None, _("Nothing on this page was saved. What you typed is still below: copy it before leaving."))
    return _section_page(request, session, form, version=version, status=status)


@role_required(User.Role.DEBRIEFER)
def submit(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    """Submit for review, confirmed on a page of its own (no script needed): what is unanswered, and
    which answers no longer apply and will be left out. The confirmation names those it was shown."""
    session = get_session_for_user(request.user, pk)
    if request.method == "POST" and not session.is_editable:
        return redirect(session)  # a second click, or another tab submitted it: nothing changes
    brake.admit(by=request.user, cases=[_read_of(session)])  # which answers are given: read from the answers
    form = SubmitForm(request.POST if request.method == "POST" else None)  # an empty POST too
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_session(session=session, by=request.user, confirmed_drops=form.cleaned_data["dropping"])
        except ValidationError as refused:
            error = refused.messages[0] if isinstance(refused, services.SubmissionChanged) else None
        else:
            messages.success(request, _("Submitted for review."))
            return redirect(session)
    submission = services.submission_of(session)
    form = SubmitForm(initial={"dropping": " ".join(drop.ref for drop in submission.dropping)})
    context = {
        "session": session, "submission": submission, "form": form, "error": error,
        "editing_problem": services.editing_problem(session),
    }  # fmt: skip
    return render(request, "debriefing/submit.html", context, status=400 if request.method == "POST" else 200)


@role_required(User.Role.SUPERVISOR)
@require_POST
def review(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    """Record the decision; a refused one shows the session again with the decision and comment as posted."""
    session = get_session_for_user(request.user, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.review_session(session=session, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(session)
    if session.status != DebriefSession.Status.SUBMITTED:
        messages.error(request, _("Only a submitted debrief can be reviewed."))
        return redirect(session)
    return _session_page(request, session, review_form=form, status=400)


@role_required(*REVIEWERS_AND_DEBRIEFERS)
@require_POST
def addendum(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    questions = [(q["key"], q["key"]) for q in st.all_questions(session.template.structure)]
    form = AddendumForm(request.POST, questions=questions)
    if not form.is_valid():
        messages.error(request, _("Choose the question and write the correction."))
        return redirect(session)
    try:
        services.add_addendum(session=session, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(session)


def _testimony_consent(session: DebriefSession) -> Consent | None:
    """Where the case's consent to testimony stands today (shown, never edited, on debrief pages)."""
    return Consent.objects.filter(case_id=session.case_id).standing(Consent.Kind.TESTIMONY)


def _record(
    request: AuthenticatedRequest, pk: uuid.UUID, form_class: type[ItemForm] | type[IncidentForm], kind: str
) -> HttpResponse:
    session = get_session_for_user(request.user, pk)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        record = services.record_item if kind == "item" else services.record_incident
        try:
            record(session=session, by=request.user, fields=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Recorded."))
            return redirect(session)
    context = {
        "session": session, "form": form, "kind": kind, "editing_problem": services.editing_problem(session),
        "testimony_consent": _testimony_consent(session) if kind == "incident" else None,
    }  # fmt: skip
    return render(request, "debriefing/record.html", context, status=400 if form.errors else 200)


@role_required(User.Role.DEBRIEFER)
def add_item(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _record(request, pk, ItemForm, "item")


@role_required(User.Role.DEBRIEFER)
def add_incident(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    return _record(request, pk, IncidentForm, "incident")


@role_required(User.Role.SUPERVISOR)
@require_POST
def acknowledge(request: AuthenticatedRequest, pk: uuid.UUID) -> HttpResponse:
    item = get_item_for_user(request.user, pk)
    services.acknowledge_item(item=item, by=request.user)
    return redirect("debriefing:home")


@role_required(User.Role.SUPERVISOR)
@require_GET
@reauthentication_required
def export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    """Approved items and consented incidents for partners, de-identified (debriefing/export.py)."""
    if fmt not in FORMATS:
        raise Http404
    content, _rows = export_for_partners(by=request.user, fmt=fmt)
    if fmt == "csv":
        return spreadsheets.csv_response(content, filename="haven-debrief-export.csv")
    response = HttpResponse(content, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="haven-debrief-export.json"'
    return response
