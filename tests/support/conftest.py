from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest

from defectors.models import Case, Consent
from support.models import Language, Provider, ServiceType, Shelter


def give_sharing_consent(case: Case) -> Consent:
    return Consent.objects.create(
        case=case, kind=Consent.Kind.REFERRAL_SHARING, given_on=datetime.date.today(),
        method=Consent.Method.VERBAL, recorded_by=case.created_by,
    )  # fmt: skip


def with_token(body: dict[str, Any], token: uuid.UUID | None = None) -> dict[str, Any]:
    """``body`` with the one-time token its page would carry (a fresh one unless given), named
    with the prefix of the body's first field: every support form that adds a row needs one."""
    prefix = next(iter(body)).split("-")[0]
    return {**body, f"{prefix}-token": str(token or uuid.uuid4())}


@pytest.fixture
def provider(db) -> Provider:  # type: ignore[no-untyped-def]
    """An active provider offering every service, in Kayin, in Burmese and Karen."""
    provider = Provider(
        name="Mae Sot Partners", services=list(ServiceType.values), regions=["kayin"],
        languages=[Language.BURMESE, Language.KAREN], contact="Signal: +66 SENTINEL-CONTACT",
    )  # fmt: skip
    provider.save()
    return provider


@pytest.fixture
def shelter(db) -> Shelter:  # type: ignore[no-untyped-def]
    shelter = Shelter(name="Sentinel Safehouse", address="12 Secret Lane", beds=2)
    shelter.save()
    return shelter


@pytest.fixture
def consenting_case(case) -> Case:  # type: ignore[no-untyped-def]
    """``case`` with consent to sharing with referral partners."""
    give_sharing_consent(case)
    return case
