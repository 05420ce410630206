"""Signed checkpoints of the chain's head, kept outside the database, catch a trail cut short."""

from __future__ import annotations

import json
import logging
import stat

import pytest
from django.core.management.base import CommandError

from audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    chain_head,
    read_latest_checkpoint,
    write_checkpoint,
)
from audit.models import AuditEvent
from audit.services import GENESIS_HASH, log_event
from tests.audit.test_chain import tamper, verify_output, write_events

pytestmark = pytest.mark.django_db


def test_the_head_of_an_empty_chain_is_the_genesis():
    assert chain_head() == (0, GENESIS_HASH)


def test_a_checkpoint_names_the_head_and_is_signed_in_a_private_file(settings):
    events = write_events(3)
    checkpoint = write_checkpoint()
    assert (checkpoint.seq, checkpoint.head) == (3, events[-1].hash) == chain_head()
    path = settings.AUDIT_CHECKPOINT_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_latest_checkpoint() == checkpoint
    assert Checkpoint.from_dict(json.loads(json.dumps(checkpoint.to_dict()))) == checkpoint


def test_every_committed_event_is_checkpointed_and_logged(settings, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="audit"), django_capture_on_commit_callbacks(execute=True):
        event = log_event(action="tests.thing.done", reason="a sentinel reason QX7")
    latest = read_latest_checkpoint()
    assert latest is not None and (latest.seq, latest.head) == (event.seq, event.hash)
    assert f"seq={event.seq} head={event.hash}" in caplog.text
    assert "QX7" not in caplog.text and "QX7" not in settings.AUDIT_CHECKPOINT_FILE.read_text()


def test_a_forged_or_edited_checkpoint_is_refused(settings):
    write_events(2)
    write_checkpoint()
    path = settings.AUDIT_CHECKPOINT_FILE
    line = json.loads(path.read_text().splitlines()[-1])
    path.write_text(json.dumps({**line, "seq": 1}) + "\n")
    with pytest.raises(CheckpointError, match="signature"):
        read_latest_checkpoint()
    with pytest.raises(CommandError, match="checkpoint"):
        verify_output()


def test_verify_fails_when_the_table_was_emptied_behind_the_triggers_back():
    write_events(3)
    write_checkpoint()
    tamper("DELETE FROM audit_auditevent")
    with pytest.raises(CommandError, match="checkpoint at event 3"):
        verify_output()


def test_verify_fails_when_events_were_cut_off_the_end():
    write_events(5)
    write_checkpoint()
    tamper("DELETE FROM audit_auditevent WHERE seq > 3")
    with pytest.raises(CommandError, match="checkpoint at event 5"):
        verify_output()


def test_verify_fails_when_the_checkpointed_event_was_replaced():
    """Cut the tail and append new events with the real key: the chain verifies, the checkpoint does not."""
    write_events(4)
    write_checkpoint()
    tamper("DELETE FROM audit_auditevent WHERE seq > 2")
    write_events(3)
    with pytest.raises(CommandError, match="checkpoint at event 4"):
        verify_output()


def test_a_successful_verification_checkpoints_the_head():
    write_events(2)
    assert "Audit chain intact: 2 events." in verify_output()
    latest = read_latest_checkpoint()
    assert latest is not None and latest.seq == 2
    assert AuditEvent.objects.count() == 2
