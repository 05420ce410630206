"""Every URL, every persona, GET and POST: who gets what.

The table below classifies each named URL in the project. A URL that is not
in the table fails ``test_every_url_is_classified``: access is denied by
default and each new view is classified on purpose. For each URL the table
says how to build its arguments, the body of a POST, what each role gets on
GET and on POST, and which persona holds the object the URL names (``owner``).

The world holds an outsider of each object-holding role (``OUTSIDERS``): for
every URL with an owner, the outsider must get 404 on GET and on POST, exactly
as for an object that does not exist, and nothing in the database may change.
Every request is made inside a savepoint that is rolled back, so each one meets
the same world. ``test_the_walk_catches_a_view_without_its_access_helper``
proves the walk bites (tests/access_trap.py).

To add a view: add its URL name with a Rule. A view that fetches an object
names its ``owner`` and a ``data`` body that would change something if the
view forgot its access helper.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any
from urllib.parse import quote

import pytest
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Brake, RoleRequest, User
from accounts.services import invite_user
from audit.models import AuditEvent
from debriefing.models import DebriefTemplate, IntelligenceItem
from defectors import record
from defectors.models import Case, CaseNote, DuplicateAlert, Need, ShredRequest, WithdrawalTask
from support.models import (
    Assistance,
    Goal,
    Placement,
    Provider,
    Referral,
    Shelter,
    SupportSession,
    Task,
    TrainingEnrolment,
)
from tests.conftest import login_with_mfa
from tests.factories import CaseFactory, UserFactory, schedule_debrief, standard_template

World = dict[str, Any]
Expected = int | str

ROLES = [role.value for role in User.Role]
# Persona -> the role it holds without holding the object.
OUTSIDERS = {"outsider": "caseworker", "outsider_debriefer": "debriefer"}
PERSONAS = [*ROLES, *OUTSIDERS]
ANON = "anonymous"
LOGIN = "login"  # expected: a redirect to the login page
REAUTH = "reauth"  # expected: a redirect to confirm the password first (allauth's sensitive MFA pages)
# Answers that refuse: a request answered so must leave every table as it was.
REFUSED = {403, 404, 405, LOGIN, REAUTH}
# URL arguments that name an object; each must answer 404 to a value that cannot be one.
OBJECT_KWARGS = {"code", "pk", "username"}
MALFORMED = {"NUL": "\x00", "over-long": "A" * 500, "over-long digits": "9" * 500, "non-ASCII": "ဗမာစာ"}
LEAVING = {"accounts:quick_exit", "account_logout"}  # these end the session; checked on their own


def everyone(status: Expected) -> dict[str, Expected]:
    return dict.fromkeys(ROLES, status)


def only(allowed: dict[str, Expected], others: int = 403) -> dict[str, Expected]:
    return {role: allowed.get(role, others) for role in ROLES}


@dataclass
class Rule:
    """One URL: how to reach it and what each role gets.

    ``roles`` is the answer to GET per role; ``post`` the answer to a POST of
    ``data`` (None: the same as GET), and likewise ``anonymous`` and
    ``anonymous_post`` for a visitor who is not logged in. ``owner`` is the
    persona holding the object the URL names: the outsider of that role gets
    404 wherever the owner gets in. A URL only supervisors may use names the
    supervisor (who sees every case, so has no outsider).
    """

    roles: dict[str, Expected]
    post: dict[str, Expected] | None = None
    anonymous: Expected = LOGIN
    anonymous_post: Expected | None = None
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    data: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    owner: str | None = None

    def expected(self, persona: str, method: str) -> Expected:
        if persona == ANON:
            return self.anonymous_post if method == "post" and self.anonymous_post is not None else self.anonymous
        role = OUTSIDERS.get(persona, persona)
        answer = self.post[role] if method == "post" and self.post is not None else self.roles[role]
        if persona in OUTSIDERS and self.owner == role and answer not in REFUSED:
            # As for an object that does not exist. A refusal that comes before the
            # object is looked at (a GET to a POST-only view: 405) is the same for both.
            return 404
        return answer


TODAY = datetime.date.today().isoformat()
ADMIN_ONLY = only({"admin": 200})
ADMIN_POST_ONLY = only({"admin": 405})
SELF_SERVICE = everyone(200)
ORGANISERS = only({"supervisor": 200, "caseworker": 200})
ORGANISERS_POST = only({"supervisor": 405, "caseworker": 405})
ORGANISERS_REDIRECTED = only({"supervisor": 302, "caseworker": 302})
REPORT_READERS = only({"donor": 200, "supervisor": 200, "admin": 200})
REPORT_READERS_POST = only({"donor": 405, "supervisor": 405, "admin": 405})
PUBLISHERS = only({"supervisor": 200, "admin": 200})


def case_code(world: World) -> dict[str, Any]:
    return {"code": world["case"].code}


def draft_code(world: World) -> dict[str, Any]:
    return {"code": world["draft"].code}


def session_pk(world: World) -> dict[str, Any]:
    return {"pk": world["session"].pk}


def template_pk(world: World) -> dict[str, Any]:
    return {"pk": world["template"].pk}


REVIEW = only({"supervisor": 200, "debriefer": 200})
DEBRIEFER_ONLY = only({"debriefer": 200})


def a_person(world: World) -> dict[str, Any]:
    return {"username": world["caseworker"].username}


def a_role_request(world: World) -> dict[str, Any]:
    return {"pk": world["role_request"].pk}


TABLE: dict[str, Rule] = {
    # Haven's own pages
    # An account waiting for its role's approval has no role's home: it is told it waits.
    "accounts:home": Rule({**everyone(302), "none": 200}),
    "accounts:people": Rule(ADMIN_ONLY),
    "accounts:invite": Rule(
        ADMIN_ONLY, post=only({"admin": 302}), data=lambda w: {"username": "newperson", "role": "donor"}
    ),
    "accounts:invitation_link": Rule(ADMIN_ONLY),
    "accounts:person": Rule(ADMIN_ONLY, kwargs=a_person),
    # Changing roles and access asks for the password again first (allauth's reauthentication).
    "accounts:change_role": Rule(
        ADMIN_POST_ONLY, post=only({"admin": REAUTH}), kwargs=a_person, data=lambda w: {"role": "supervisor"}
    ),
    "accounts:deactivate": Rule(ADMIN_POST_ONLY, post=only({"admin": REAUTH}), kwargs=a_person),
    "accounts:reinvite": Rule(ADMIN_POST_ONLY, post=only({"admin": REAUTH}), kwargs=a_person),
    # Suspending does not: a detained colleague's account is cut off at once.
    "accounts:suspend": Rule(ADMIN_POST_ONLY, post=only({"admin": 302}), kwargs=a_person),
    "accounts:lift_suspension": Rule(ADMIN_POST_ONLY, post=only({"admin": REAUTH}), kwargs=a_person),
    "accounts:role_request": Rule(ADMIN_ONLY, kwargs=a_role_request),
    # The world's request was asked by another administrator: the admin persona's withdrawal changes nothing.
    "accounts:withdraw_role_request": Rule(ADMIN_POST_ONLY, post=only({"admin": 302}), kwargs=a_role_request),
    "accounts:decide_role_request": Rule(
        ADMIN_POST_ONLY, post=only({"admin": REAUTH}), kwargs=a_role_request, data=lambda w: {"decision": "approve"}
    ),
    # A POST without a valid code: the same page as for a used or expired link.
    "accounts:accept_invitation": Rule(everyone(200), post=everyone(404), anonymous=200, anonymous_post=404),
    "accounts:quick_exit": Rule(everyone(302), post=everyone(405), anonymous=302, anonymous_post=405),
    "accounts:stay_signed_in": Rule(everyone(405), post=everyone(204)),
    # Everyone gets the same one word; the detail needs the operator's token (tests/health/test_endpoints.py).
    "health:readyz": Rule(everyone(200), post=everyone(405), anonymous=200, anonymous_post=405),
    # 503: no worker or beat has ever beaten in the test world.
    "health:healthz": Rule(everyone(503), post=everyone(405), anonymous=503, anonymous_post=405),
    "audit:event_list": Rule(only({"auditor": 200})),
    "accounts:brakes": Rule(
        only({"supervisor": 200, "auditor": 200, "admin": 200}),
        post=only({"supervisor": 405, "auditor": 405, "admin": 405}),
    ),
    "accounts:lift_brake": Rule(
        only({"supervisor": 405, "admin": 405}),
        post=only({"supervisor": 302, "admin": 302}),
        kwargs=lambda world: {"pk": world["brake"].pk},
        data=lambda world: {"reason": "checked with them"},
    ),
    # Cases: need-to-know. The assigned caseworker owns them; the outsider gets 404.
    "defectors:case_list": Rule(ORGANISERS, data=lambda w: {"service_number": w["case"].service_number}),
    "defectors:intake_start": Rule(ORGANISERS, post=ORGANISERS_REDIRECTED),
    "defectors:case": Rule(ORGANISERS, kwargs=case_code, owner="caseworker"),
    "defectors:intake_step": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**draft_code(w), "step": "identity"},
        data=lambda w: {"full_name": "Forged Name"},
        owner="caseworker",
    ),
    "defectors:intake_resume": Rule(ORGANISERS_REDIRECTED, post=ORGANISERS_POST, kwargs=draft_code, owner="caseworker"),
    "defectors:intake_submit": Rule(ORGANISERS_POST, post=ORGANISERS_REDIRECTED, kwargs=draft_code, owner="caseworker"),
    "defectors:intake_discard": Rule(
        ORGANISERS_POST, post=ORGANISERS_REDIRECTED, kwargs=draft_code, owner="caseworker"
    ),
    "defectors:reveal": Rule(
        ORGANISERS_POST, post=ORGANISERS, kwargs=case_code, data=lambda w: {"reason": "curious"}, owner="caseworker"
    ),
    "defectors:edit_identity": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"full_name": "Forged Name", "change-reason": "forged"},
        owner="caseworker",
    ),
    "defectors:change_status": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"status": "closed", "reason": "forged"},
        owner="caseworker",
    ),
    "defectors:withdraw_consent": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "kind": "data_processing"},
        data=lambda w: {"data_processing-withdrawn_on": "2024-01-02"},
        owner="caseworker",
    ),
    "defectors:assign": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=case_code,
        data=lambda w: {"caseworker": w["outsider"].username},
        owner="supervisor",
    ),
    "defectors:request_shred": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=case_code,
        data=lambda w: {"reason": "forged"},
        owner="supervisor",
    ),
    # The case after intake (defectors/views/record.py): forms on GET, a change and a redirect on POST.
    "defectors:edit_section": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "section": "contact"},
        data=lambda w: {"contact_channel": "forged", "change-reason": "forged"},
        owner="caseworker",
    ),
    "defectors:family": Rule(ORGANISERS, kwargs=case_code, owner="caseworker"),
    "defectors:add_family_member": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"relationship": "forged", "change-reason": "forged", "token": str(uuid.uuid4())},
        owner="caseworker",
    ),
    "defectors:family_member": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["member"].pk},
        data=lambda w: {"remove": "1", "change-reason": "forged"},
        owner="caseworker",
    ),
    "defectors:add_need": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"kind": "legal", "urgency": "low", "token": str(uuid.uuid4())},
        owner="caseworker",
    ),
    "defectors:change_need": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["need"].pk},
        data=lambda w: {"urgency": "critical", "met": "on"},
        owner="caseworker",
    ),
    "defectors:add_note": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"kind": "call", "happened_on": "2024-01-02", "text": "forged", "token": str(uuid.uuid4())},
        owner="caseworker",
    ),
    # The note is the caseworker's own, just written: the supervisor is sent back (not the author).
    "defectors:edit_note": Rule(
        only({"supervisor": 302, "caseworker": 200}),
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["note"].pk},
        data=lambda w: {"kind": "call", "happened_on": "2024-01-02", "text": "forged"},
        owner="caseworker",
    ),
    "defectors:follow_up": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"on": "2999-01-01", "purpose": "forged"},
        owner="caseworker",
    ),
    "defectors:give_consent": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "kind": "testimony"},
        data=lambda w: {"given_on": "2024-01-02", "method": "verbal", "token": str(uuid.uuid4())},
        owner="caseworker",
    ),
    # A POST with a reason reveals the identity on the summary (audited).
    "defectors:summary": Rule(ORGANISERS, kwargs=case_code, data=lambda w: {"reason": "printing"}, owner="caseworker"),
    "defectors:decide_withdrawal": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {"pk": w["withdrawal"].pk},
        data=lambda w: {"decision": "keep", "reason": "forged"},
    ),
    "defectors:tasks": Rule(only({"supervisor": 200})),
    "defectors:resolve_task": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {"pk": w["alert"].pk},
        data=lambda w: {"outcome": "different_person"},
    ),
    "defectors:shred_requests": Rule(ADMIN_ONLY),
    "defectors:shred_request": Rule(ADMIN_ONLY, post=ADMIN_POST_ONLY, kwargs=lambda w: {"pk": w["shred_request"].pk}),
    "defectors:decide_shred": Rule(
        ADMIN_POST_ONLY,
        post=only({"admin": 302}),
        kwargs=lambda w: {"pk": w["shred_request"].pk},
        data=lambda w: {"decision": "approve", "code": w["shred_request"].case.code},
    ),
    "backups:index": Rule(ADMIN_ONLY, post=ADMIN_POST_ONLY),
    # Starting a backup asks for the password again first (allauth's reauthentication).
    "backups:start": Rule(ADMIN_POST_ONLY, post=only({"admin": REAUTH})),
    # Donor reports: donors read published snapshots only (a draft answers them 404: tests/reporting);
    # supervisors compute and propose, a different administrator approves, each after re-authenticating.
    "reporting:published": Rule(REPORT_READERS, post=REPORT_READERS_POST),
    "reporting:report": Rule(REPORT_READERS, post=REPORT_READERS_POST, kwargs=lambda w: {"pk": w["snapshot"].pk}),
    "reporting:csv": Rule(
        REPORT_READERS, post=REPORT_READERS_POST, kwargs=lambda w: {"pk": w["snapshot"].pk, "table": "intakes"}
    ),
    "reporting:snapshots": Rule(PUBLISHERS, post=only({"supervisor": 405, "admin": 405})),
    "reporting:start": Rule(only({"supervisor": 405}), post=only({"supervisor": 302})),
    "reporting:review": Rule(
        PUBLISHERS, post=only({"supervisor": 405, "admin": 405}), kwargs=lambda w: {"pk": w["draft_snapshot"].pk}
    ),
    "reporting:propose": Rule(
        only({"supervisor": 405}), post=only({"supervisor": REAUTH}), kwargs=lambda w: {"pk": w["draft_snapshot"].pk}
    ),
    "reporting:approve": Rule(
        only({"admin": 405}), post=only({"admin": REAUTH}), kwargs=lambda w: {"pk": w["proposed_snapshot"].pk}
    ),
    "reporting:reject": Rule(
        only({"admin": 405}),
        post=only({"admin": REAUTH}),
        kwargs=lambda w: {"pk": w["proposed_snapshot"].pk},
        data=lambda w: {"reason": "forged"},
    ),
    "reporting:withdraw": Rule(
        only({"supervisor": 405, "admin": 405}),
        post=only({"supervisor": REAUTH, "admin": REAUTH}),
        kwargs=lambda w: {"pk": w["snapshot"].pk},
        data=lambda w: {"reason": "forged"},
    ),
    # Transition support: the directory is everyone's who works on cases, kept by supervisors;
    # everything on a case is its caseworker's (the outsider gets 404).
    "support:dashboard": Rule(ORGANISERS),
    "support:notifications": Rule(ORGANISERS),
    "support:mark_read": Rule(ORGANISERS_POST, post=ORGANISERS_REDIRECTED),
    "support:providers": Rule(ORGANISERS),
    "support:provider_new": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        data=lambda w: {"name": "Forged", "services": "legal", "availability": "open", "token": uuid.uuid4()},
    ),
    "support:provider_edit": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {"pk": w["provider"].pk},
        data=lambda w: {"name": "Forged", "services": "legal", "availability": "open"},
    ),
    "support:shelters": Rule(ORGANISERS),
    "support:shelter_new": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        data=lambda w: {"name": "Forged", "beds": 9, "token": uuid.uuid4()},
    ),
    "support:shelter_edit": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {"pk": w["shelter"].pk},
        data=lambda w: {"name": "Forged", "beds": 9},
    ),
    "support:referrals": Rule(ORGANISERS),
    "support:case": Rule(ORGANISERS, kwargs=case_code, owner="caseworker"),
    "support:place": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=draft_code,
        data=lambda w: {
            "placement-shelter": w["shelter"].pk,
            "placement-checked_in_on": TODAY,
            "placement-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:check_out": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["placement"].pk},
        data=lambda w: {"checkout-checked_out_on": TODAY},
        owner="caseworker",
    ),
    "support:refer": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {
            "referral-service_type": "legal",
            "referral-provider": w["provider"].pk,
            "referral-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:referral": Rule(ORGANISERS, kwargs=lambda w: {**case_code(w), "pk": w["referral"].pk}, owner="caseworker"),
    "support:referral_transition": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["referral"].pk},
        data=lambda w: {"to": "cancelled", "version": 1, "reason": "forged"},
        owner="caseworker",
    ),
    "support:referral_explicit_consent": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["referral"].pk},
        data=lambda w: {"explicit_consent_on": TODAY},
        owner="caseworker",
    ),
    "support:enrol": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {
            "training-programme": "Forged",
            "training-provider": w["provider"].pk,
            "training-starts_on": TODAY,
            "training-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:edit_training": Rule(
        ORGANISERS,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["training"].pk},
        data=lambda w: {
            "programme": "Forged",
            "provider": w["provider"].pk,
            "starts_on": TODAY,
            "completed": "on",
        },
        owner="caseworker",
    ),
    "support:session_attendance": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["support_session"].pk},
        data=lambda w: {"attended": "yes"},
        owner="caseworker",
    ),
    "support:goal_status": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["goal"].pk},
        data=lambda w: {"status": "achieved"},
        owner="caseworker",
    ),
    "support:add_session": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {
            "session-provider": w["provider"].pk,
            "session-planned_on": TODAY,
            "session-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:add_assistance": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {
            "assistance-kind": "cash",
            "assistance-amount": "10",
            "assistance-currency": "USD",
            "assistance-given_on": TODAY,
            "assistance-purpose": "Forged",
            "assistance-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:approve_assistance": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {**case_code(w), "pk": w["assistance"].pk},
        owner="supervisor",
    ),
    "support:decline_assistance": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        kwargs=lambda w: {**case_code(w), "pk": w["assistance_to_decline"].pk},
        data=lambda w: {"reason": "Forged"},
        owner="supervisor",
    ),
    "support:add_goal": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {"goal-title": "Forged", "goal-token": uuid.uuid4()},
        owner="caseworker",
    ),
    "support:add_task": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=case_code,
        data=lambda w: {
            "task-title": "Forged",
            "task-owner": w["caseworker"].username,
            "task-due_on": TODAY,
            "task-token": uuid.uuid4(),
        },
        owner="caseworker",
    ),
    "support:complete_task": Rule(
        ORGANISERS_POST,
        post=ORGANISERS_REDIRECTED,
        kwargs=lambda w: {**case_code(w), "pk": w["task"].pk},
        owner="caseworker",
    ),
    # Debriefing: the assigned debriefer owns the session (the outsider debriefer gets 404),
    # supervisors review every one; caseworkers never reach content (403).
    "debriefing:home": Rule(REVIEW),
    "debriefing:schedule": Rule(
        only({"supervisor": 200}),
        post=only({"supervisor": 302}),
        data=lambda w: {
            "case_code": w["case"].code,
            "debriefer": w["debriefer"].username,
            "template": w["template"].pk,
            "scheduled_for": "2026-12-01",
        },
    ),
    "debriefing:case_debriefs": Rule(ORGANISERS, kwargs=case_code, owner="caseworker"),
    "debriefing:session": Rule(REVIEW, kwargs=session_pk, owner="debriefer"),
    "debriefing:section": Rule(
        DEBRIEFER_ONLY,
        post=only({"debriefer": 302}),
        kwargs=lambda w: {**session_pk(w), "section": "background"},
        data=lambda w: {"service_years": "7", "version": "0", "save_token": "8f0b7c3e-2f1a-4f43-9a53-0d7a3c8e9b11"},
        owner="debriefer",
    ),
    "debriefing:submit": Rule(  # the world's debrief has required questions unanswered: refused (400)
        DEBRIEFER_ONLY, post=only({"debriefer": 400}), kwargs=session_pk, owner="debriefer"
    ),
    "debriefing:review": Rule(
        only({"supervisor": 405}),
        post=only({"supervisor": 302}),
        kwargs=session_pk,
        data=lambda w: {"decision": "return", "comment": "forged"},
        owner="supervisor",
    ),
    "debriefing:addendum": Rule(
        only({"supervisor": 405, "debriefer": 405}),
        post=only({"supervisor": 302, "debriefer": 302}),
        kwargs=session_pk,
        data=lambda w: {"question": "unit_name", "text": "forged"},
        owner="debriefer",
    ),
    "debriefing:add_item": Rule(
        DEBRIEFER_ONLY,
        post=only({"debriefer": 302}),
        kwargs=session_pk,
        data=lambda w: {"category": "unit", "summary": "forged", "reliability": "B", "credibility": "2"},
        owner="debriefer",
    ),
    "debriefing:add_incident": Rule(
        DEBRIEFER_ONLY,
        post=only({"debriefer": 302}),
        kwargs=session_pk,
        data=lambda w: {"violation": "killing", "date_from": "2024-03-01", "region": "sagaing", "summary": "forged"},
        owner="debriefer",
    ),
    "debriefing:acknowledge": Rule(
        only({"supervisor": 405}), post=only({"supervisor": 302}), kwargs=lambda w: {"pk": w["item"].pk}
    ),
    # A fresh re-authentication first, always (tests/debriefing/test_export.py downloads).
    "debriefing:export": Rule(
        only({"supervisor": REAUTH}), post=only({"supervisor": 405}), kwargs=lambda w: {"fmt": "csv"}
    ),
    "debriefing:templates": Rule(only({"supervisor": 200})),
    "debriefing:template_preview": Rule(
        only({"supervisor": 200}), post=only({"supervisor": 405}), kwargs=lambda w: {"pk": w["draft_template"].pk}
    ),
    "debriefing:template_xlsform": Rule(only({"supervisor": 200}), post=only({"supervisor": 405}), kwargs=template_pk),
    "debriefing:template_publish": Rule(
        only({"supervisor": 405}), post=only({"supervisor": 302}), kwargs=lambda w: {"pk": w["draft_template"].pk}
    ),
    "debriefing:template_retire": Rule(only({"supervisor": 405}), post=only({"supervisor": 302}), kwargs=template_pk),
    # allauth: login and account self-service, the same for every role
    "account_login": Rule(everyone(302), anonymous=200),
    "account_logout": Rule(everyone(200), anonymous=302),
    "account_inactive": Rule(everyone(200), post=everyone(405), anonymous=200, anonymous_post=405),
    "account_reauthenticate": Rule(SELF_SERVICE),
    "account_change_password": Rule(SELF_SERVICE),
    "accounts:sessions": Rule(SELF_SERVICE, post=everyone(302)),  # ends the person's other sessions
    # allauth.mfa: each person manages only their own authenticators
    "mfa_index": Rule(SELF_SERVICE, post=everyone(405)),
    "mfa_authenticate": Rule(everyone(302), anonymous=302),
    "mfa_reauthenticate": Rule(SELF_SERVICE),
    "mfa_activate_totp": Rule(everyone(302)),  # already enrolled: back to the MFA page
    "mfa_deactivate_totp": Rule(everyone(REAUTH)),
    "mfa_view_recovery_codes": Rule(everyone(404), post=everyone(405)),  # none generated in this world
    "mfa_generate_recovery_codes": Rule(everyone(REAUTH)),
    "mfa_download_recovery_codes": Rule(everyone(404)),
    "mfa_list_webauthn": Rule(SELF_SERVICE, post=everyone(405)),
    "mfa_add_webauthn": Rule(everyone(REAUTH)),
    "mfa_reauthenticate_webauthn": Rule(everyone(302)),  # no security key to reauthenticate with
    # Another person's key: after the password check, 404 (tests/accounts/test_login.py).
    "mfa_remove_webauthn": Rule(everyone(REAUTH), kwargs=lambda w: {"pk": w["others_key"]}),
    "mfa_edit_webauthn": Rule(everyone(REAUTH), kwargs=lambda w: {"pk": w["others_key"]}),
}


def _walk(patterns: list, namespace: str = "") -> list[str]:
    names = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _walk(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern.pattern}>")
    return names


URL_NAMES = sorted(set(_walk(get_resolver().url_patterns)))


def test_every_url_is_classified():
    assert [name for name in URL_NAMES if name not in TABLE] == []


def test_the_table_names_no_url_that_does_not_exist():
    assert [name for name in TABLE if name not in URL_NAMES] == []


def test_post_only_views_are_exercised_with_a_post():
    """A view that answers 405 to GET is classified on POST too: 405 alone would test nothing."""
    assert [name for name, rule in TABLE.items() if 405 in rule.roles.values() and rule.post is None] == []


def test_every_case_url_names_its_owner(world):
    assert [name for name, rule in TABLE.items() if "code" in rule.kwargs(world) and not rule.owner] == []


def test_every_owner_can_reach_what_they_own():
    """Otherwise the outsider's 404 would prove nothing."""
    unreachable = [
        name
        for name, rule in TABLE.items()
        if rule.owner and {rule.expected(rule.owner, "get"), rule.expected(rule.owner, "post")} <= REFUSED
    ]
    assert unreachable == []


@pytest.fixture
def world(db, admin, supervisor, caseworker, outsider, debriefer, outsider_debriefer, donor, auditor, case) -> World:  # type: ignore[no-untyped-def]
    """The personas of tests/conftest.py, the caseworker's case and draft, a duplicate alert, a shred request,
    a debrief of the case (the debriefer's) with an urgent item, the standard template and a draft one."""
    users = {"admin": admin, "supervisor": supervisor, "caseworker": caseworker, "outsider": outsider}
    users |= {"debriefer": debriefer, "outsider_debriefer": outsider_debriefer, "donor": donor, "auditor": auditor}
    # Enrolled from an invitation to supervisor, waiting for a second administrator (asked by another one).
    users["none"] = UserFactory(role=User.Role.NONE, username="waiting")
    role_request = RoleRequest.objects.create(
        user=users["none"],
        action=RoleRequest.Action.CHANGE_ROLE,
        from_role=User.Role.NONE,
        to_role=User.Role.SUPERVISOR,
        requested_by=UserFactory(role=User.Role.ADMIN, username="bob-admin"),
    )
    session = schedule_debrief(case=case, debriefer=debriefer, supervisor=supervisor)
    item = IntelligenceItem.objects.create(
        session=session,
        category="unit",
        summary="x",
        urgent=True,
        reliability="B",
        credibility="2",
        created_by=debriefer,
    )
    template = standard_template()
    draft_template = DebriefTemplate.objects.create(name="Draft", version=1, structure=template.structure)
    _invitation, token = invite_user(by=admin, username="newcomer", email="", role="donor")
    # Someone else's authenticator: the security-key pages must not reach it.
    others_key = Authenticator.objects.filter(user=supervisor).values_list("pk", flat=True).get()
    draft = CaseFactory(created_by=caseworker, status=Case.Status.INTAKE)
    alert = DuplicateAlert.objects.create(
        case=draft, matched_case=case, matched_on=DuplicateAlert.MatchedOn.SERVICE_NUMBER, raised_by=caseworker
    )
    shred_request = ShredRequest.objects.create(case=case, requested_by=supervisor)
    member = record.add_family_member(case=case, by=caseworker, fields={"relationship": "Mother"}, reason="intake")
    need = Need(case=case, kind=Need.Kind.SHELTER, urgency="high")
    need.save()
    note = CaseNote(case=case, kind=CaseNote.Kind.VISIT, happened_on=datetime.date(2024, 1, 1), text="A visit")
    note.author = caseworker
    note.save()
    other = CaseFactory(created_by=caseworker)
    withdrawal = WithdrawalTask.objects.create(case=other, withdrawn_on=datetime.date(2024, 1, 1), raised_by=caseworker)
    # A tripped exfiltration brake on someone who reads no identity anyway, so no persona's walk is refused by it.
    brake = Brake.objects.create(person=donor, tripped_at=timezone.now(), window="hour", assigned=False, limit=25)
    return {
        **users, "role_request": role_request,
        "token": token, "others_key": others_key, "case": case, "draft": draft, "alert": alert,
        "shred_request": shred_request, "member": member, "need": need, "note": note, "withdrawal": withdrawal,
        "session": session, "item": item, "template": template, "draft_template": draft_template, "brake": brake,
        **_support_world(case, caseworker), **_reporting_world(supervisor),
    }  # fmt: skip


def _reporting_world(supervisor: User) -> World:
    """A published report (one table, one cell), a draft and a proposed one."""
    from reporting.models import Snapshot

    block = {
        "title": "", "rows": ["2025-Q1"], "columns": ["army"], "cells": [["intakes/2025-Q1/army"]],
        "row_totals": [None], "column_totals": [None], "grand_total": None,
    }  # fmt: skip
    publication = [
        {"slug": "intakes", "kind": "count", "blocks": [block], "cells": {block["cells"][0][0]: ["primary", None]}}
    ]
    common = {"period_end": datetime.date(2025, 3, 31), "threshold": 10, "rounding_base": 5, "created_by": supervisor}
    now = timezone.now()
    return {
        "snapshot": Snapshot.objects.create(
            **common, status=Snapshot.Status.PUBLISHED, publication=publication, computed_at=now, approved_at=now
        ),
        "draft_snapshot": Snapshot.objects.create(
            **common, status=Snapshot.Status.DRAFT, publication=publication, computed_at=now
        ),
        "proposed_snapshot": Snapshot.objects.create(
            **common, status=Snapshot.Status.PROPOSED, publication=publication, computed_at=now, proposed_by=supervisor
        ),
    }


def _support_world(case: Case, caseworker: User) -> World:
    """A provider, a shelter the case is placed in, a draft referral, a task, assistance awaiting approval."""
    provider = Provider(name="Partner", services=["legal", "training", "mental_health"])
    provider.save()
    shelter = Shelter(name="Shelter", beds=5)
    shelter.save()
    placement = Placement.objects.create(
        case=case, shelter=shelter, checked_in_on=datetime.date.today(), created_by=caseworker
    )
    referral = Referral(case=case, provider=provider, service_type="legal", created_by=caseworker)
    referral.status_changed_at = timezone.now()
    referral.save()
    task = Task(case=case, title="Call", owner=caseworker, due_on=datetime.date.today())
    task.save()
    assistance = Assistance(
        case=case, kind="cash", amount=1000, currency="USD", given_on=datetime.date.today(), purpose="Rent",
        created_by=caseworker, needs_approval=True,
    )  # fmt: skip
    assistance.save()
    # Another awaiting entry for the decline page: the walk approves the first one before it gets there.
    to_decline = Assistance(
        case=case, kind="cash", amount=1000, currency="USD", given_on=datetime.date.today(), purpose="Rent",
        created_by=caseworker, needs_approval=True,
    )  # fmt: skip
    to_decline.save()
    training = TrainingEnrolment.objects.create(
        case=case, provider=provider, programme="Welding", starts_on=datetime.date.today(), created_by=caseworker
    )
    session = SupportSession(case=case, provider=provider, planned_on=datetime.date.today(), created_by=caseworker)
    session.save()
    goal = Goal(case=case, title="Work", created_by=caseworker)
    goal.save()
    return {
        "training": training, "support_session": session, "goal": goal,
        "provider": provider, "shelter": shelter, "placement": placement, "referral": referral, "task": task,
        "assistance": assistance, "assistance_to_decline": to_decline,
    }  # fmt: skip


def _footprint() -> tuple[str, ...]:
    """A digest of every table's rows and the audit trail's last sequence number, in one query.

    The session table counts only its rows: every request saves the session.
    """
    sessions = import_module(settings.SESSION_ENGINE).SessionStore.get_model_class()._meta.db_table
    tables = sorted(
        {model._meta.db_table for model in apps.get_models(include_auto_created=True) if model._meta.managed}
    )
    quote_name = connection.ops.quote_name
    digests = [
        f"(SELECT count(*)::text FROM {quote_name(table)})"
        if table == sessions
        else f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {quote_name(table)} t)"
        for table in tables
    ]
    last_seq = f"(SELECT coalesce(max(seq), 0)::text FROM {quote_name(AuditEvent._meta.db_table)})"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join([*digests, last_seq])}")  # table names come from the models
        return tuple(cursor.fetchone())


def _answer_problem(response: Any, expected: Expected) -> str | None:
    if expected in (LOGIN, REAUTH):
        target = reverse("account_login" if expected == LOGIN else "account_reauthenticate")
        if response.status_code != 302:
            return f"got {response.status_code}, want {expected}"
        if not response["Location"].startswith(target):
            return f"sent to {response['Location']}, want {target}"
        return None
    return None if response.status_code == expected else f"got {response.status_code}, want {expected}"


def _check(client: Client, method: str, url: str, data: dict[str, Any], expected: Expected, label: str) -> list[str]:
    """Make one request, undone afterwards; the problems found, as lines (empty: as the table says)."""
    with transaction.atomic():
        before = _footprint()
        response = client.post(url, data) if method == "post" else client.get(url)
        after = _footprint()
        transaction.set_rollback(True)  # the next request meets the same world
    problems = []
    if problem := _answer_problem(response, expected):
        problems.append(f"{label} {method.upper()}: {problem}")
    if expected in REFUSED and after != before:
        problems.append(f"{label} {method.upper()}: refused, but the database changed")
    return problems


def walk(client: Client, world: World, persona: str, table: dict[str, Rule]) -> list[str]:
    """Every URL of ``table`` on GET and POST as ``persona`` (already logged in); the problems found."""
    client.raise_request_exception = False  # a server error is one more failure to list, not the end of the walk
    problems = []
    for name, rule in sorted(table.items()):
        if name in LEAVING:
            continue
        url = reverse(name, kwargs=rule.kwargs(world))
        for method in ("get", "post"):
            data = rule.data(world) if method == "post" else {}
            problems += _check(client, method, url, data, rule.expected(persona, method), name)
    return problems


def test_an_anonymous_visitor_gets_only_public_pages(client, world):
    problems = []
    for name, rule in sorted(TABLE.items()):
        url = reverse(name, kwargs=rule.kwargs(world))
        for method in ("get", "post"):
            data = rule.data(world) if method == "post" else {}
            problems += _check(client, method, url, data, rule.expected(ANON, method), name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_gets_what_the_table_allows(client, world, persona):
    login_with_mfa(client, world[persona])
    problems = walk(client, world, persona, TABLE)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(LEAVING))
def test_leaving_works_for_every_role(client, world, role, name):
    login_with_mfa(client, world[role])
    assert not _check(client, "get", reverse(name), {}, TABLE[name].roles[role], name)


def test_the_walk_catches_a_view_without_its_access_helper(client, world, settings):
    """A view that fetches a case without get_case_for_user, and changes it before it refuses: both are caught."""
    settings.ROOT_URLCONF = "tests.access_trap"
    trap = Rule(ORGANISERS, kwargs=case_code, owner="caseworker", data=lambda w: {"reason": "forged"})
    login_with_mfa(client, world["outsider"])
    assert walk(client, world, "outsider", {"access_trap:leaky_case": trap}) == [
        "access_trap:leaky_case GET: got 200, want 404",
        "access_trap:leaky_case POST: refused, but the database changed",
    ]


def _malformed_urls(world: World) -> list[tuple[str, str, str, str]]:
    """(URL name, argument, kind of bad value, URL) for every object argument of every URL."""
    urls = []
    for name, rule in sorted(TABLE.items()):
        kwargs = rule.kwargs(world)
        for key in sorted(OBJECT_KWARGS & kwargs.keys()):
            good = reverse(name, kwargs=kwargs)
            segment = f"/{quote(str(kwargs[key]))}/"
            assert good.count(segment) == 1, f"{name}: cannot find {key} in {good}"
            urls += [(name, key, kind, good.replace(segment, f"/{quote(bad)}/")) for kind, bad in MALFORMED.items()]
    return urls


@pytest.mark.parametrize("role", ROLES)
def test_a_path_value_that_cannot_name_an_object_answers_404(client, world, role):
    """NUL bytes, 500 characters and non-ASCII text in an object argument: 404, never a server error."""
    login_with_mfa(client, world[role])
    client.raise_request_exception = False
    problems = []
    for name, key, kind, url in _malformed_urls(world):
        rule = TABLE[name]
        for method in ("get", "post"):
            if rule.expected(role, method) in {403, 405, REAUTH}:
                continue  # refused before any argument is read
            data = rule.data(world) if method == "post" else {}
            problems += _check(client, method, url, data, 404, f"{name} {key}={kind}")
    assert not problems, "\n".join(problems)
