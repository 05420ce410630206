from __future__ import annotations

import datetime
import time

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt

from accounts.models import User
from debriefing.models import DebriefSession, DebriefTemplate
from defectors.models import Case, CaseNameIndex, Consent

PASSWORD = "a long enough test passphrase"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    role = User.Role.CASEWORKER
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def totp(self, create: bool, extracted: object, **kwargs: object) -> None:
        """Every user gets a TOTP authenticator unless built with totp=False."""
        if create and extracted is not False:
            TOTP.activate(self, generate_totp_secret())


def totp_secret(user: User) -> str:
    return decrypt(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP).data["secret"])


def totp_code(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


class CaseFactory(factory.django.DjangoModelFactory):
    """An active case with fake identifying data and one consent to data processing."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    status = Case.Status.ACTIVE
    intake_month = factory.LazyFunction(lambda: datetime.date.today().replace(day=1))
    created_by = factory.SubFactory(UserFactory)
    assigned_to = factory.SelfAttribute("created_by")
    branch = Case.Branch.ARMY
    rank_band = Case.RankBand.ENLISTED
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    service_number = factory.Sequence(lambda n: f"BA-{n:06d}")
    date_of_birth = datetime.date(1995, 5, 17)

    @factory.post_generation
    def name_tags(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            CaseNameIndex.objects.refresh([self])  # as the intake and identity services do

    @factory.post_generation
    def consent(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create and extracted is not False:
            Consent.objects.create(
                case=self, kind=Consent.Kind.DATA_PROCESSING, given_on=datetime.date.today(),
                method=Consent.Method.VERBAL, recorded_by=self.created_by,
            )  # fmt: skip


def give_consent(case: Case, kind: str = Consent.Kind.DEBRIEFING) -> Consent:
    """Record a consent of ``kind`` on ``case`` (today, verbal, by its creator)."""
    return Consent.objects.create(
        case=case, kind=kind, given_on=datetime.date.today(), method=Consent.Method.VERBAL, recorded_by=case.created_by
    )


def standard_template() -> DebriefTemplate:
    """The shipped, published "Standard debrief" v1. A migration makes it; made again here after a
    transactional test's flush emptied the tables."""
    from debriefing.standard import NAME, STRUCTURE

    template, _created = DebriefTemplate.objects.get_or_create(
        name=NAME, version=1, defaults={"structure": STRUCTURE, "status": DebriefTemplate.Status.PUBLISHED}
    )
    return template


def schedule_debrief(*, case: Case, debriefer: User, supervisor: User, consent: bool = True) -> DebriefSession:
    """A session of the standard template, scheduled by ``supervisor``; with debriefing consent unless told."""
    from debriefing.services import schedule_session

    if consent:
        give_consent(case)
    return schedule_session(
        case=case, debriefer=debriefer, template=standard_template(), on=datetime.date.today(), by=supervisor
    )
