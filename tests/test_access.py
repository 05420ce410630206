"""Every URL, every role: who gets what.

The table below classifies each named URL in the project. A URL that is not
in the table fails ``test_every_url_is_classified``: access is denied by
default and each new view is classified on purpose. For each URL the table
says how to build its arguments and the status each role gets on GET; an
anonymous visitor must be sent to the login page unless the view is public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from allauth.mfa.models import Authenticator
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from accounts.services import invite_user
from defectors.models import Case, DuplicateAlert, ShredRequest
from tests.conftest import login_with_mfa
from tests.factories import CaseFactory

ROLES = [role.value for role in User.Role]
ANON = "anonymous"
LOGIN = "login"  # expected: a redirect to the login page
REAUTH = "reauth"  # expected: a redirect to confirm the password first (allauth's sensitive MFA pages)


def everyone(status: int | str) -> dict[str, int | str]:
    return dict.fromkeys(ROLES, status)


def only(allowed: dict[str, int | str], others: int = 403) -> dict[str, int | str]:
    return {role: allowed.get(role, others) for role in ROLES}


@dataclass
class Rule:
    roles: dict[str, int | str]
    anonymous: int | str = LOGIN
    kwargs: Callable[[dict], dict] = field(default=lambda world: {})


ADMIN_ONLY = only({"admin": 200})
ADMIN_POST_ONLY = only({"admin": 405})
SELF_SERVICE = everyone(200)
ORGANISERS = only({"supervisor": 200, "caseworker": 200})
ORGANISERS_POST = only({"supervisor": 405, "caseworker": 405})

TABLE: dict[str, Rule] = {
    # Haven's own pages
    "accounts:home": Rule(everyone(302) | {"debriefer": 200, "donor": 200}),
    "accounts:people": Rule(ADMIN_ONLY),
    "accounts:invite": Rule(ADMIN_ONLY),
    "accounts:invitation_link": Rule(ADMIN_ONLY),
    "accounts:person": Rule(ADMIN_ONLY, kwargs=lambda w: {"username": w["caseworker"].username}),
    "accounts:change_role": Rule(ADMIN_POST_ONLY, kwargs=lambda w: {"username": w["caseworker"].username}),
    "accounts:deactivate": Rule(ADMIN_POST_ONLY, kwargs=lambda w: {"username": w["caseworker"].username}),
    "accounts:reinvite": Rule(ADMIN_POST_ONLY, kwargs=lambda w: {"username": w["caseworker"].username}),
    "accounts:accept_invitation": Rule(everyone(200), anonymous=200),
    "accounts:quick_exit": Rule(everyone(302), anonymous=302),
    "accounts:healthz": Rule(everyone(200), anonymous=200),
    "audit:event_list": Rule(only({"auditor": 200})),
    # Cases: need-to-know (tests/defectors/test_access.py covers another caseworker's case)
    "defectors:case_list": Rule(ORGANISERS),
    "defectors:intake_start": Rule(ORGANISERS),
    "defectors:case": Rule(ORGANISERS, kwargs=lambda w: {"code": w["case"].code}),
    "defectors:intake_step": Rule(ORGANISERS, kwargs=lambda w: {"code": w["draft"].code, "step": "identity"}),
    "defectors:intake_submit": Rule(ORGANISERS_POST, kwargs=lambda w: {"code": w["draft"].code}),
    "defectors:intake_discard": Rule(ORGANISERS_POST, kwargs=lambda w: {"code": w["draft"].code}),
    "defectors:reveal": Rule(ORGANISERS_POST, kwargs=lambda w: {"code": w["case"].code}),
    "defectors:edit_identity": Rule(ORGANISERS, kwargs=lambda w: {"code": w["case"].code}),
    "defectors:change_status": Rule(ORGANISERS_POST, kwargs=lambda w: {"code": w["case"].code}),
    "defectors:withdraw_consent": Rule(
        ORGANISERS_POST, kwargs=lambda w: {"code": w["case"].code, "kind": "debriefing"}
    ),
    "defectors:assign": Rule(only({"supervisor": 405}), kwargs=lambda w: {"code": w["case"].code}),
    "defectors:request_shred": Rule(only({"supervisor": 405}), kwargs=lambda w: {"code": w["case"].code}),
    "defectors:tasks": Rule(only({"supervisor": 200})),
    "defectors:resolve_task": Rule(only({"supervisor": 405}), kwargs=lambda w: {"pk": w["alert"].pk}),
    "defectors:shred_requests": Rule(ADMIN_ONLY),
    "defectors:decide_shred": Rule(ADMIN_POST_ONLY, kwargs=lambda w: {"pk": w["shred_request"].pk}),
    "backups:index": Rule(ADMIN_ONLY),
    "backups:start": Rule(ADMIN_POST_ONLY),
    # allauth: login and account self-service, the same for every role
    "account_login": Rule(everyone(302), anonymous=200),
    "account_logout": Rule(everyone(200), anonymous=302),
    "account_inactive": Rule(everyone(200), anonymous=200),
    "account_reauthenticate": Rule(SELF_SERVICE),
    "account_change_password": Rule(SELF_SERVICE),
    "usersessions_list": Rule(SELF_SERVICE),
    # allauth.mfa: each person manages only their own authenticators
    "mfa_index": Rule(SELF_SERVICE),
    "mfa_authenticate": Rule(everyone(302), anonymous=302),
    "mfa_reauthenticate": Rule(SELF_SERVICE),
    "mfa_activate_totp": Rule(everyone(302)),  # already enrolled: back to the MFA page
    "mfa_deactivate_totp": Rule(everyone(REAUTH)),
    "mfa_view_recovery_codes": Rule(everyone(404)),  # none generated in this world
    "mfa_generate_recovery_codes": Rule(everyone(REAUTH)),
    "mfa_download_recovery_codes": Rule(everyone(404)),
    "mfa_list_webauthn": Rule(SELF_SERVICE),
    "mfa_add_webauthn": Rule(everyone(REAUTH)),
    "mfa_reauthenticate_webauthn": Rule(everyone(302)),  # no security key to reauthenticate with
    # Another person's key: after the password check, 404 (tests/accounts/test_mfa.py).
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


@pytest.fixture
def world(db, make_user) -> dict:
    users = {role: make_user(role, username=f"the-{role}") for role in ROLES}
    _invitation, token = invite_user(by=users["admin"], username="newcomer", email="", role="donor")
    # Someone else's authenticator: the security-key pages must not reach it.
    others_key = Authenticator.objects.filter(user=users["supervisor"]).values_list("pk", flat=True).get()
    case = CaseFactory(assigned_to=users["caseworker"], created_by=users["caseworker"])
    draft = CaseFactory(assigned_to=users["caseworker"], created_by=users["caseworker"], status=Case.Status.INTAKE)
    alert = DuplicateAlert.objects.create(
        case=draft, matched_case=case, matched_on="service number", raised_by=users["caseworker"]
    )
    shred_request = ShredRequest.objects.create(case=case, requested_by=users["supervisor"])
    return {
        **users, "token": token, "others_key": others_key, "case": case, "draft": draft, "alert": alert,
        "shred_request": shred_request,
    }  # fmt: skip


def _check(client, name: str, expected: int | str, world: dict) -> None:
    url = reverse(name, kwargs=TABLE[name].kwargs(world))
    response = client.get(url)
    if expected in (LOGIN, REAUTH):
        target = reverse("account_login" if expected == LOGIN else "account_reauthenticate")
        assert response.status_code == 302, f"{name}: got {response.status_code}, want {expected}"
        assert response["Location"].startswith(target), f"{name}: sent to {response['Location']}, want {target}"
    else:
        assert response.status_code == expected, f"{name}: got {response.status_code}, want {expected}"


@pytest.mark.parametrize("name", sorted(TABLE))
def test_an_anonymous_visitor_gets_only_public_pages(client, world, name):
    _check(client, name, TABLE[name].anonymous, world)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_the_table_allows(client, world, role):
    login_with_mfa(client, world[role])
    failures = []
    for name in sorted(TABLE):
        if name in {"accounts:quick_exit", "account_logout"}:
            continue  # these end the session; checked on their own below
        try:
            _check(client, name, TABLE[name].roles[role], world)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0])
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["accounts:quick_exit", "account_logout"])
def test_leaving_works_for_every_role(client, world, role, name):
    login_with_mfa(client, world[role])
    _check(client, name, TABLE[name].roles[role], world)
