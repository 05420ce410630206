"""The partners' export of approved intelligence items and testimony-consented incidents.

De-identified: no case code, name or debriefer; the source is a pseudonym that
is stable within one export only (a fresh random key each time), so two exports
cannot be joined on it. The CSV is written by config.spreadsheets (byte-order mark,
formula-like cells neutralised).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts import brake
from accounts.models import User
from audit.services import log_event
from config import spreadsheets
from debriefing.models import DebriefSession, Incident, IntelligenceItem
from defectors.models import Case, Consent

COLUMNS = [
    "kind", "source", "category", "summary", "urgent", "reliability", "credibility",
    "date_from", "date_to", "region", "township", "perpetrator_unit", "victims",
]  # fmt: skip
FORMATS = ("csv", "json")


def _iso(value: Any) -> str:
    return value.isoformat() if value else ""


Sources = tuple[QuerySet[IntelligenceItem], QuerySet[Incident]]


def _sources() -> Sources:
    """The items and incidents an export holds (nothing decrypted yet)."""
    approved = {"session__status": DebriefSession.Status.APPROVED, "session__case__shredded_at__isnull": True}
    # Consent is read as it is today, not as it was when the debrief was approved: a person who
    # withdrew consent to debriefing (or to testimony) after the fact leaves every later export.
    consents = Consent.objects.filter(case=OuterRef("session__case"))
    debriefing = Exists(consents.in_force(Consent.Kind.DEBRIEFING))
    # An incident is testimony only while the case's consent to testimony is in force.
    testimony = Exists(consents.in_force(Consent.Kind.TESTIMONY))
    items = IntelligenceItem.objects.filter(debriefing, **approved).select_related("session")
    incidents = Incident.objects.filter(debriefing, testimony, **approved).select_related("session")
    return items, incidents


def _rows(sources: Sources | None = None) -> list[dict[str, Any]]:
    items, incidents = sources or _sources()
    key = secrets.token_bytes(32)  # this export's own: pseudonyms never match another export's

    def pseudonym(session: DebriefSession) -> str:
        return "SRC-" + hmac.new(key, str(session.case_id).encode(), hashlib.sha256).hexdigest()[:10].upper()

    rows = []
    for item in items.order_by("created_at"):
        rows.append({
            "kind": "item", "source": pseudonym(item.session), "category": item.category, "summary": item.summary,
            "urgent": item.urgent, "reliability": item.reliability, "credibility": item.credibility,
        })  # fmt: skip
    for incident in incidents.order_by("created_at"):
        rows.append({
            "kind": "incident", "source": pseudonym(incident.session), "category": incident.violation,
            "summary": incident.summary, "date_from": _iso(incident.date_from), "date_to": _iso(incident.date_to),
            "region": incident.region, "township": incident.township,
            "perpetrator_unit": incident.perpetrator_unit, "victims": incident.victims,
        })  # fmt: skip
    return rows


def export_for_partners(*, by: User, fmt: str) -> tuple[bytes, int]:
    """(file content, row count) in ``fmt`` ("csv" or "json"); audited with the count.

    Raises PermissionDenied unless ``by`` is a supervisor; ValueError for another format;
    IdentityRefused (accounts.brake) when the distinct cases its rows come from pass the
    exfiltration brake's limits. The view makes sure the supervisor re-authenticated recently.
    """
    if by.role != User.Role.SUPERVISOR:
        raise PermissionDenied
    if fmt not in FORMATS:
        raise ValueError(fmt)
    items, incidents = _sources()
    drawn_from = Q(pk__in=items.values("session__case_id")) | Q(pk__in=incidents.values("session__case_id"))
    brake.admit(by=by, cases=Case.objects.filter(drawn_from).only("id", "assigned_to_id"))  # before decrypting
    return _export(by=by, fmt=fmt, sources=(items, incidents))


@transaction.atomic
def _export(*, by: User, fmt: str, sources: Sources) -> tuple[bytes, int]:
    rows = _rows(sources)
    if fmt == "json":
        content = json.dumps({"rows": rows}, ensure_ascii=False, indent=1, default=str).encode()
    else:
        content = spreadsheets.csv_bytes([COLUMNS, *([row.get(column) for column in COLUMNS] for row in rows)])
    log_event(action="debriefing.export.created", actor=by, reason=f"{fmt} {len(rows)} rows")
    return content, len(rows)
