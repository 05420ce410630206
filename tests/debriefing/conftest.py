"""The debrief every debriefing test starts from, and its debriefer's signed-in client."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from debriefing import services
from debriefing.models import DebriefSession, SectionAnswers
from tests.factories import schedule_debrief


@pytest.fixture
def session(case, debriefer, supervisor) -> DebriefSession:  # type: ignore[no-untyped-def]
    return schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)


@pytest.fixture
def dbc(client_for, debriefer) -> Client:  # type: ignore[no-untyped-def]
    return client_for(debriefer)


def save(session: DebriefSession, section: str, answers: dict) -> None:  # type: ignore[type-arg]
    """Store ``answers`` for ``section`` as the debriefer's autosave would, on the row's current version."""
    row = SectionAnswers.objects.filter(session=session, section=section).first()
    services.save_section(
        session=session, by=session.debriefer, section=section, answers=answers,
        base_version=row.version if row else 0, token=uuid.uuid4(),
    )  # fmt: skip
