"""A tripped brake is seen at once: the banner and the brakes page in the application, then e-mail
and a webhook out of band (a real Celery worker; the webhook's receiver is a small local server)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import alerts, brake, tasks
from accounts.models import Brake
from audit.models import AuditEvent
from defectors import services
from tests.factories import CaseFactory
from tests.worker import real_worker


def trip(supervisor, caseworker, settings) -> Brake:  # type: ignore[no-untyped-def]
    settings.BRAKE_OTHER_PER_HOUR = 1
    services.reveal_identity(case=CaseFactory(created_by=caseworker), by=supervisor, reason="review")
    with pytest.raises(brake.IdentityRefused):
        services.reveal_identity(case=CaseFactory(created_by=caseworker), by=supervisor, reason="review")
    return Brake.objects.get()


@pytest.mark.django_db
class TestInApp:
    @pytest.mark.parametrize("role", ["supervisor", "auditor", "admin"])
    def test_supervisors_auditors_and_administrators_see_the_banner_at_once(
        self, supervisor, caseworker, settings, client_for, make_user, role
    ):
        trip(supervisor, caseworker, settings)
        page = client_for(make_user(role)).get("/accounts/2fa/").content.decode()
        assert "A brake tripped" in page and 'href="/brakes/"' in page

    @pytest.mark.parametrize("role", ["caseworker", "debriefer", "donor"])
    def test_other_roles_see_no_banner(self, supervisor, caseworker, settings, client_for, make_user, role):
        trip(supervisor, caseworker, settings)
        assert "A brake tripped" not in client_for(make_user(role)).get("/accounts/2fa/").content.decode()

    def test_the_page_lists_the_open_brake_and_another_supervisor_lifts_it(
        self, supervisor, caseworker, settings, client_for, make_user
    ):
        tripped = trip(supervisor, caseworker, settings)
        colleague = client_for(make_user("supervisor", username="sue"))
        page = colleague.get("/brakes/").content.decode()
        assert "sam" in page and f"/brakes/{tripped.pk}/lift/" in page
        response = colleague.post(f"/brakes/{tripped.pk}/lift/", {"reason": "a review day, checked"})
        assert response.status_code == 302
        assert not brake.is_braked(supervisor)
        assert "A brake tripped" not in colleague.get("/brakes/").content.decode()

    def test_the_braked_supervisor_sees_it_but_no_lift_form(self, supervisor, caseworker, settings, sup):
        tripped = trip(supervisor, caseworker, settings)
        page = sup.get("/brakes/").content.decode()
        assert f"/brakes/{tripped.pk}/lift/" not in page
        sup.post(f"/brakes/{tripped.pk}/lift/", {"reason": "it was only me"})  # forged
        assert brake.is_braked(supervisor)
        assert not AuditEvent.objects.filter(action="accounts.brake.lifted").exists()

    def test_an_auditor_reads_the_page_without_a_lift_form(self, supervisor, caseworker, settings, auditor_client):
        tripped = trip(supervisor, caseworker, settings)
        assert "/lift/" not in auditor_client.get("/brakes/").content.decode()
        assert auditor_client.post(f"/brakes/{tripped.pk}/lift/", {"reason": "x" * 10}).status_code == 403

    def test_a_lift_without_a_reason_or_too_long_lifts_nothing(self, supervisor, caseworker, settings, admin_client):
        tripped = trip(supervisor, caseworker, settings)
        for reason in ["", "x" * 301]:
            admin_client.post(f"/brakes/{tripped.pk}/lift/", {"reason": reason})
        assert brake.is_braked(supervisor)

    def test_a_double_submitted_lift_lifts_once(self, supervisor, caseworker, settings, admin_client):
        tripped = trip(supervisor, caseworker, settings)
        for _time in range(2):
            admin_client.post(f"/brakes/{tripped.pk}/lift/", {"reason": "checked with Sam"})
        assert AuditEvent.objects.filter(action="accounts.brake.lifted").count() == 1


@pytest.mark.django_db
class TestEmail:
    def test_the_email_says_only_sign_in_and_goes_out_once(self, supervisor, caseworker, settings, mailoutbox):
        settings.BRAKE_ALERT_EMAILS = ["duty@example.org", "director@example.org"]
        tripped = trip(supervisor, caseworker, settings)
        tasks.send_brake_alert.apply(args=[tripped.pk])
        tasks.send_brake_alert.apply(args=[tripped.pk])  # a retry after the mail went: nothing more
        assert len(mailoutbox) == 1
        message = mailoutbox[0]
        assert (message.subject, message.body) == ("a brake tripped: sign in", "a brake tripped: sign in")
        assert message.to == [] and message.bcc == ["duty@example.org", "director@example.org"]
        assert "sam" not in str(message.message())
        assert Brake.objects.get(pk=tripped.pk).emailed_at is not None

    def test_nothing_is_sent_when_no_channel_is_configured(self, supervisor, caseworker, settings, mailoutbox):
        tasks.send_brake_alert.apply(args=[trip(supervisor, caseworker, settings).pk])
        assert mailoutbox == []

    def test_an_alert_not_yet_sent_stays_pending_for_the_sweep_until_it_goes(
        self, supervisor, caseworker, settings, mailoutbox
    ):
        """A trip while the broker was down queued nothing: the sweep finds it, once sent it finds it no more."""
        settings.BRAKE_ALERT_EMAILS = ["duty@example.org"]
        tripped = trip(supervisor, caseworker, settings)
        assert alerts.pending() == [tripped.pk]
        settings.BRAKE_ALERT_EMAILS = []
        assert alerts.pending() == []  # nothing configured: nothing to send
        settings.BRAKE_ALERT_EMAILS = ["duty@example.org"]
        alerts.send_brake_alert(brake_id=tripped.pk)
        assert alerts.pending() == [] and len(mailoutbox) == 1


class Receiver(BaseHTTPRequestHandler):
    """A webhook's receiver: the first call fails (500), later ones are kept and answered 204."""

    bodies: list[bytes] = []
    calls = 0

    def do_POST(self) -> None:
        Receiver.calls += 1
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Receiver.calls == 1:
            self.send_response(500)
        else:
            Receiver.bodies.append(body)
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.django_db(transaction=True)
def test_the_webhook_is_told_only_sign_in_by_a_real_worker_that_retries(
    supervisor, caseworker, settings, tmp_path: Path
):
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        with real_worker(tmp_path / "worker.log", HAVEN_BRAKE_ALERT_WEBHOOK=url):
            tripped = trip(supervisor, caseworker, settings)
            deadline = time.monotonic() + 60
            while not Receiver.bodies and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)  # let the worker record it
    finally:
        server.shutdown()
    assert Receiver.calls == 2, (tmp_path / "worker.log").read_text()
    assert [json.loads(body) for body in Receiver.bodies] == [{"text": "a brake tripped: sign in"}]
    assert Brake.objects.get(pk=tripped.pk).posted_at is not None


@pytest.mark.django_db(transaction=True)
def test_the_sweep_tells_the_webhook_of_a_brake_whose_alert_was_never_queued(
    supervisor, caseworker, settings, tmp_path: Path
):
    """As after a trip while Redis was down: no task was queued; beat's sweep queues it on a real worker."""
    Receiver.calls, Receiver.bodies = 1, []  # answer 204 from the first call
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    untold = Brake.objects.create(person=supervisor, tripped_at=timezone.now(), window="hour", assigned=False, limit=1)
    try:
        with real_worker(tmp_path / "worker.log", HAVEN_BRAKE_ALERT_WEBHOOK=url):
            tasks.resend_brake_alerts.delay()
            deadline = time.monotonic() + 60
            while not Brake.objects.get(pk=untold.pk).posted_at and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        server.shutdown()
    assert [json.loads(body) for body in Receiver.bodies] == [{"text": "a brake tripped: sign in"}], (
        tmp_path / "worker.log"
    ).read_text()
    assert Brake.objects.get(pk=untold.pk).posted_at is not None


class Trickle(BaseHTTPRequestHandler):
    """A receiver that answers one byte every half second: each read is quick, the answer never ends."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        for _byte in range(200):
            self.wfile.write(b"H")
            self.wfile.flush()
            time.sleep(0.5)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.django_db
def test_a_webhook_that_trickles_its_answer_is_given_up_on_in_time(supervisor, caseworker, settings, monkeypatch):
    """The alert is not held up, and stays pending for a retry or the sweep."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    server.daemon_threads = True  # the trickling handler is left behind when the test ends
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BRAKE_ALERT_WEBHOOK = f"http://127.0.0.1:{server.server_port}/hook"
    monkeypatch.setattr(alerts, "WEBHOOK_TIMEOUT", 2)
    tripped = trip(supervisor, caseworker, settings)
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            alerts.send_brake_alert(brake_id=tripped.pk)
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
    assert elapsed < 5
    assert alerts.pending() == [tripped.pk]
