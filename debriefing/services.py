"""Every change in debriefing: templates, sessions, autosave, review, addenda, items, incidents, export.

Each is atomic and writes its audit event (object: the case code; never a value).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import log_event
from debriefing import structure as st
from debriefing.models import (
    Addendum,
    DebriefSession,
    DebriefTemplate,
    Incident,
    IntelligenceItem,
    Review,
    SectionAnswers,
)
from debriefing.xlsform import ImportedForm, import_xlsform
from defectors.models import Case, Consent
from defectors.services import has_consent, refuse_if_shredded


class StaleSave(Exception):
    """A save based on answers older than those stored (another tab saved since): nothing was written."""

    def __init__(self, current_version: int) -> None:
        super().__init__("stale save")
        self.current_version = current_version


def _audit(action: str, *, by: User, session: DebriefSession | None = None, reason: str = "") -> None:
    object_ref = session.case.code if session is not None else ""
    log_event(action=f"debriefing.{action}", actor=by, object_ref=object_ref, reason=reason)


# Templates


def import_template(*, data: bytes, by: User) -> tuple[DebriefTemplate, ImportedForm]:
    """A new draft version from an XLSForm (.xlsx bytes); a draft of the same name is replaced.

    Returns the draft and what was read (its warnings: what was kept but changed).
    Raises xlsform.XLSFormError listing every offending row; ValidationError without a form title.
    The form is read before the transaction opens: parsing takes seconds, and must not hold a connection
    in a transaction, nor the draft's row lock, meanwhile.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    form = import_xlsform(data)
    if not form.name:
        raise ValidationError(_("Give the form a form_title on its settings sheet."))
    name = form.name[:200]
    with transaction.atomic():
        draft = (
            DebriefTemplate.objects.select_for_update().filter(name=name, status=DebriefTemplate.Status.DRAFT).first()
        )
        if draft is not None:
            draft.structure = form.structure
            draft.save(update_fields=["structure"])
        else:
            latest = DebriefTemplate.objects.filter(name=name).aggregate(v=Max("version"))["v"] or 0
            draft = DebriefTemplate.objects.create(
                name=name, version=latest + 1, structure=form.structure, created_by=by
            )
        _audit("template.imported", by=by, reason=f"{draft.pk}")
    return draft, form


@transaction.atomic
def publish_template(*, template: DebriefTemplate, by: User) -> None:
    """draft -> published: from now on immutable. Publishing again changes nothing."""
    template = DebriefTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != DebriefTemplate.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    template.status = DebriefTemplate.Status.PUBLISHED
    template.published_at = timezone.now()
    template.save(update_fields=["status", "published_at"])
    _audit("template.published", by=by, reason=f"{template.pk}")


@transaction.atomic
def retire_template(*, template: DebriefTemplate, by: User) -> None:
    """published -> retired: no new session starts with it; sessions pinned to it keep it."""
    template = DebriefTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != DebriefTemplate.Status.PUBLISHED:
        raise ValidationError(_("Only a published template can be retired."))
    template.status = DebriefTemplate.Status.RETIRED
    template.save(update_fields=["status"])
    _audit("template.retired", by=by, reason=f"{template.pk}")


# Sessions


@transaction.atomic
def schedule_session(
    *, case: Case, debriefer: User, template: DebriefTemplate, on: datetime.date, by: User
) -> DebriefSession:
    """A supervisor plans a debrief of ``case`` by ``debriefer`` with a published template.

    Raises PermissionDenied unless ``by`` is a supervisor; ValidationError for a
    non-debriefer, a template that is not published or a shredded case.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    refuse_if_shredded(case=case)
    if debriefer.role != User.Role.DEBRIEFER or not debriefer.is_active:
        raise ValidationError(_("Choose a debriefer."))
    if template.status != DebriefTemplate.Status.PUBLISHED:
        raise ValidationError(_("Choose a published template."))
    total = sum(questions for _answered, questions in st.progress(template.structure, {}).values())
    session = DebriefSession.objects.create(
        case=case, template=template, debriefer=debriefer, scheduled_by=by, scheduled_for=on, questions=total
    )
    _audit("session.scheduled", by=by, session=session)
    return session


def editing_problem(session: DebriefSession) -> str | None:
    """Why the session's answers cannot be changed now, or None when they can (one query: the consent)."""
    if not session.is_editable:
        return _("This debrief is submitted or approved: it can no longer be changed.")
    if session.case.shredded_at is not None:
        return _("This case is shredded: nothing in it can be read or changed.")
    if not has_consent(session.case, Consent.Kind.DEBRIEFING):
        return _("There is no debriefing consent (never given, or withdrawn): the debrief cannot continue.")
    return None


def _refuse_unless_editable(session: DebriefSession, by: User) -> None:
    if by.pk != session.debriefer_id:
        raise PermissionDenied
    if problem := editing_problem(session):
        raise ValidationError(problem)


def section_by_key(session: DebriefSession, key: str) -> dict[str, Any] | None:
    return next((section for section in session.template.sections if section["key"] == key), None)


@transaction.atomic
def save_section(
    *, session: DebriefSession, by: User, section: str, answers: dict[str, Any], base_version: int, token: uuid.UUID
) -> SectionAnswers:
    """Autosave one section's answers (the whole section, as the form holds it).

    ``base_version`` is the version the form was loaded with; ``token`` names this
    save. A retry of the last applied save (same token, same answers: the answer was
    lost on the way) returns the row unchanged. The same token with other answers
    comes from the window whose save made the row as it is (an older page retried
    with what it held by then, or its Save button after a lost autosave): it is
    applied as a new save, never answered "saved" unstored. A save based on an older
    version under another token (another window saved since) raises StaleSave and
    writes nothing. Required answers are not checked here (submit).
    Raises PermissionDenied for anyone but the debriefer, ValidationError when
    editing has stopped (submitted, no consent, shredded) or for forged keys.
    """
    # The session row first (as submit_session locks it): a save racing a submit waits for it, then
    # meets the submitted status rather than writing into a submitted debrief.
    session.status = DebriefSession.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
    _refuse_unless_editable(session, by)
    definition = section_by_key(session, section)
    if definition is None:
        raise ValidationError(_("No such section."))
    st.validate_answers(definition, answers)
    # One writer per section at a time: the row is locked until this transaction ends. The
    # unique constraint makes a first save racing another one fail rather than write twice.
    row = SectionAnswers.objects.select_for_update(of=("self",)).filter(session=session, section=section).first()
    if row is None:
        row = SectionAnswers(session=session, section=section)
    elif row.save_token == token:
        if row.answers == answers:
            return row  # the same save again: it was applied, its answer was lost
        # Nothing else was saved since this window's own save (the token would differ):
        # these answers are newer than the row's, so they are applied on top of it.
        base_version = row.version
    if row.version != base_version:
        raise StaleSave(row.version)
    # Progress counts the questions that apply, which answers in other sections decide: every
    # section's answers are read (the session row's lock keeps them as they are).
    others = SectionAnswers.objects.filter(session=session).exclude(section=section)
    counts = st.progress(session.template.structure, {**{o.section: o.answers or {} for o in others}, section: answers})
    row.answers, row.version, row.save_token = answers, row.version + 1, token
    row.answered = counts[section][0]
    if row.version == 1:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            raise StaleSave(1) from None  # another window's first save of this section won
    else:
        row.save()
    status = DebriefSession.Status.IN_PROGRESS if session.status == DebriefSession.Status.SCHEDULED else session.status
    session.answered = sum(answered for answered, _questions in counts.values())
    session.questions = sum(questions for _answered, questions in counts.values())
    DebriefSession.objects.filter(pk=session.pk).update(
        answered=session.answered, questions=session.questions, status=status
    )
    _audit("session.section_saved", by=by, session=session, reason=section)
    return row


def answers_by_section(session: DebriefSession) -> dict[str, dict[str, Any]]:
    """{section key: answers} for the session, in one query."""
    return {row.section: row.answers or {} for row in SectionAnswers.objects.filter(session=session)}


@dataclass(frozen=True)
class Submission:
    """What submitting a session would do now: the confirmation page shows it, submit_session applies it."""

    missing: list[st.Missing]  # required questions that apply and are unanswered: submit is refused
    unanswered: list[str]  # questions that apply, are not required and are unanswered
    dropping: list[st.Dropped]  # answers to questions that no longer apply: left out of the record
    kept: dict[str, dict[str, Any]]  # {section key: answers} as they will be submitted


class SubmissionChanged(ValidationError):
    """The answers that would be left out are not the ones the debriefer confirmed: nothing was submitted."""


def submission_of(session: DebriefSession) -> Submission:
    """The answers as submitting would record them, and what stands in the way (decrypts the answers)."""
    return _submission(session.template.structure, answers_by_section(session))


def _submission(structure: dict[str, Any], answers: dict[str, dict[str, Any]]) -> Submission:
    kept, dropping = st.without_irrelevant(structure, answers)
    return Submission(
        missing=st.missing_required(structure, kept),
        unanswered=st.unanswered_optional(structure, kept),
        dropping=dropping,
        kept=kept,
    )


@transaction.atomic
def submit_session(*, session: DebriefSession, by: User, confirmed_drops: Sequence[str] | None = None) -> None:
    """Send for review. Answers to questions that no longer apply are left out of the record here
    (until now the draft kept them, in case the answer they hang on changed back).

    ``confirmed_drops`` are the refs of st.Dropped the debriefer was shown; when given and no longer
    what would be dropped, SubmissionChanged is raised and nothing changes. Raises ValidationError
    listing the required questions still unanswered. A second submit changes nothing.
    """
    session = (
        DebriefSession.objects.select_for_update(of=("self",))
        .with_keys("case")
        .select_related("template")
        .get(pk=session.pk)
    )
    if session.status == DebriefSession.Status.SUBMITTED:
        return  # a second click changes nothing
    _refuse_unless_editable(session, by)
    rows = {row.section: row for row in SectionAnswers.objects.select_for_update(of=("self",)).filter(session=session)}
    submission = _submission(session.template.structure, {key: row.answers or {} for key, row in rows.items()})
    if submission.missing:
        raise ValidationError([missing.label for missing in submission.missing])
    if confirmed_drops is not None and sorted(confirmed_drops) != sorted(d.ref for d in submission.dropping):
        raise SubmissionChanged(_("The answers changed since this page was shown: check them again, then submit."))
    counts = st.progress(session.template.structure, submission.kept)
    for key, row in rows.items():
        # Every row a new version with no token: a window still open on the draft (its last
        # save's token included) cannot write into the debrief, now or after a return.
        row.answers, row.version, row.save_token = submission.kept.get(key, {}), row.version + 1, None
        row.answered = counts.get(key, (0, 0))[0]
        row.save(update_fields=["answers", "version", "save_token", "answered", "saved_at"])
    session.answered = sum(answered for answered, _questions in counts.values())
    session.questions = sum(questions for _answered, questions in counts.values())
    session.status = DebriefSession.Status.SUBMITTED
    session.submitted_at = timezone.now()
    session.save(update_fields=["status", "submitted_at", "answered", "questions"])
    # Question refs only (template structure, plaintext): never an answer.
    reason = ("dropped: " + " ".join(d.ref for d in submission.dropping)) if submission.dropping else ""
    _audit("session.submitted", by=by, session=session, reason=reason)


@transaction.atomic
def review_session(*, session: DebriefSession, by: User, decision: str, comment: str) -> Review:
    """Approve (immutable from now on) or return with comments (required, encrypted)."""
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    session = DebriefSession.objects.select_for_update(of=("self",)).with_keys("case").get(pk=session.pk)
    refuse_if_shredded(case=session.case)
    if session.status != DebriefSession.Status.SUBMITTED:
        raise ValidationError(_("Only a submitted debrief can be reviewed."))
    if decision == Review.Decision.RETURN and not comment.strip():
        raise ValidationError(_("Say what needs changing when you return a debrief."))
    review = Review.objects.create(session=session, decision=decision, comment=comment, by=by)
    if decision == Review.Decision.APPROVE:
        session.status, session.approved_at = DebriefSession.Status.APPROVED, timezone.now()
    else:
        session.status = DebriefSession.Status.RETURNED
    session.save(update_fields=["status", "approved_at"])
    _audit("session.approved" if decision == Review.Decision.APPROVE else "session.returned", by=by, session=session)
    return review


@transaction.atomic
def add_addendum(*, session: DebriefSession, by: User, question: str, text: str) -> Addendum:
    """A correction to an approved session's answer, kept beside the original (which never changes)."""
    if by.pk != session.debriefer_id and by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    refuse_if_shredded(case=session.case)
    if session.status != DebriefSession.Status.APPROVED:
        raise ValidationError(_("Addenda are for approved debriefs; change the answers instead."))
    if not has_consent(session.case, Consent.Kind.DEBRIEFING):
        raise ValidationError(_("Consent to debriefing was withdrawn: nothing more is recorded for this debrief."))
    if question not in {q["key"] for q in st.all_questions(session.template.structure)}:
        raise ValidationError(_("No such question."))
    addendum = Addendum.objects.create(session=session, question=question, text=text, by=by)
    _audit("session.addendum_added", by=by, session=session, reason=question)
    return addendum


# Items and incidents


def _create_once(model: Any, *, session: DebriefSession, **fields: Any) -> tuple[Any, bool]:
    """(row, created): a new row, or the one this form token already made (a double click, even a racing one)."""
    token = fields.get("form_token")
    if token is not None and (made := model.objects.filter(form_token=token, session=session).first()):
        return made, False
    try:
        with transaction.atomic():
            return model.objects.create(session=session, **fields), True
    except IntegrityError:
        made = model.objects.filter(form_token=token, session=session).first() if token is not None else None
        if made is None:  # a token another session's form used: forged or replayed
            raise ValidationError(_("This form was already used: open it again.")) from None
        return made, False


@transaction.atomic
def record_item(*, session: DebriefSession, by: User, fields: dict[str, Any]) -> IntelligenceItem:
    """A graded intelligence item. An urgent one is on every supervisor's Debriefs page at once.

    ``fields`` may hold the form's ``form_token``: the same form sent again returns the item it made.
    """
    _refuse_unless_editable(session, by)
    item, created = _create_once(IntelligenceItem, session=session, created_by=by, **fields)
    if created:
        _audit("item.recorded", by=by, session=session, reason="urgent" if item.urgent else "")
    return item


@transaction.atomic
def record_incident(*, session: DebriefSession, by: User, fields: dict[str, Any]) -> Incident:
    _refuse_unless_editable(session, by)
    incident, created = _create_once(Incident, session=session, created_by=by, **fields)
    if created:
        _audit("incident.recorded", by=by, session=session)
    return incident


@transaction.atomic
def acknowledge_item(*, item: IntelligenceItem, by: User) -> None:
    """A supervisor has seen an urgent item: it leaves the notifications. Twice changes nothing."""
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    updated = IntelligenceItem.objects.filter(pk=item.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    if updated:
        _audit("item.acknowledged", by=by, reason=str(item.pk))
