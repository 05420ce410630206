"""What support adds to ``seed_demo``: ``--support``, a small, clearly fake set of transition support.

Two shelters and four providers (entered by the demo supervisor), then, on a few open cases of
the demo caseworker (``--cases`` makes them): placements, referrals (sent where the person
consented to sharing, a draft where not), assistance (one entry above the approval limit, so
it waits for a supervisor), a goal and an overdue task. Everything goes through support.services,
so it is validated and audited as if typed in. Found through ``SupportConfig.demo_seeder``.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from defectors.models import Case, Consent, Region
from support import services
from support.models import Assistance, Language, Provider, Referral, ServiceType, Shelter

# Fixed tokens name the demo directory: a second run finds it and adds nothing.
NAMESPACE = uuid.UUID("5d1f3c1e-4a53-4a5e-9a43-2b1d0c0f0d10")
SHELTERS = [("River House (demo)", "Demo address, Mae Sot", 8), ("Hill Camp (demo)", "Demo address, Kayin State", 4)]
PROVIDERS = [
    ("Skills Centre (demo)", [ServiceType.TRAINING, ServiceType.LIVELIHOOD], [Language.BURMESE, Language.KAREN]),
    ("Hope Counselling (demo)", [ServiceType.MENTAL_HEALTH], [Language.BURMESE, Language.ENGLISH]),
    ("Border Legal Aid (demo)", [ServiceType.LEGAL, ServiceType.FAMILY_PROTECTION], [Language.BURMESE]),
    ("Mobile Clinic (demo)", [ServiceType.MEDICAL, ServiceType.FOOD_CASH], [Language.BURMESE, Language.THAI]),
]
REGIONS = [Region.KAYIN, Region.TANINTHARYI]
OPEN = [Case.Status.ACTIVE, Case.Status.REOPENED]


def _token(name: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, name)


class SupportSeeder:
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--support",
            action="store_true",
            help=(
                "add demo transition support: 2 shelters, 4 providers and, on up to 4 open cases of the demo "
                "caseworker (use with --cases), placements, referrals, assistance (one awaiting approval), "
                "a goal and an overdue task; once only (a rerun adds nothing)"
            ),
        )

    def check(self, options: dict[str, Any]) -> None:
        """Nothing to refuse: --support takes no value."""

    def seed(self, *, users: dict[str, User], options: dict[str, Any], stdout: OutputWrapper) -> None:
        if not options.get("support"):
            return
        if Shelter.objects.filter(token=_token(SHELTERS[0][0])).exists():
            stdout.write("Demo support already there: none added.")
            return
        with transaction.atomic():  # all or nothing: an interrupted run leaves nothing to trip over
            shelters, providers = self._directory(users[User.Role.SUPERVISOR])
            cases = self._cases(users[User.Role.CASEWORKER])
            made = self._support(cases, users[User.Role.CASEWORKER], shelters, providers)
        stdout.write(f"Demo support ready: {len(shelters)} shelters, {len(providers)} providers; {made}.")
        if not cases:
            stdout.write("The demo caseworker has no open case to support: add --cases N (for example 100).")

    def _directory(self, supervisor: User) -> tuple[list[Shelter], dict[str, Provider]]:
        shelters = [
            services.save_shelter(
                shelter=Shelter(name=name, address=address, beds=beds), by=supervisor, token=_token(name)
            )
            for name, address, beds in SHELTERS
        ]
        providers: dict[str, Provider] = {}
        for name, offered, languages in PROVIDERS:
            # The code sets are lists (CodeSetField), which the stubs do not know of.
            fields: dict[str, Any] = {"services": offered, "languages": languages, "regions": REGIONS}
            provider = Provider(name=name, capacity=20, contact="Signal: demo number", **fields)
            providers[offered[0]] = services.save_provider(provider=provider, by=supervisor, token=_token(name))
        return shelters, providers

    def _cases(self, caseworker: User) -> list[Case]:
        """Up to four open cases of ``caseworker``: two who consented to sharing, then two who did not."""
        sharing = Consent.objects.filter(
            case=OuterRef("pk"), kind=Consent.Kind.REFERRAL_SHARING, withdrawn_on__isnull=True
        )
        mine = (
            Case.objects.filter(assigned_to=caseworker, status__in=OPEN, shredded_at__isnull=True)
            .annotate(consented=Exists(sharing))
            .order_by("created_at", "code")
        )
        return [*mine.filter(consented=True)[:2], *mine.filter(consented=False)[:2]]

    def _support(
        self, cases: list[Case], caseworker: User, shelters: list[Shelter], providers: dict[str, Provider]
    ) -> str:
        today = timezone.localdate()
        days = datetime.timedelta
        placements = referrals = assistance = 0
        for n, case in enumerate(cases):
            consented = case.consented  # type: ignore[attr-defined]
            if n < len(shelters):  # the first stay ends this week: the dashboard shows it
                services.place_in_shelter(
                    case=case, shelter=shelters[n], by=caseworker,
                    checked_in_on=today - days(10 - 5 * n), expected_end=today + days(3 + 27 * n),
                )  # fmt: skip
                placements += 1
            service = ServiceType.TRAINING if n % 2 == 0 else ServiceType.LEGAL
            referral = services.create_referral(
                case=case, by=caseworker, provider=providers[service], service_type=service,
                note="Demo referral: clearly fake.",
            )  # fmt: skip
            referrals += 1
            if consented:  # sent: its packet was shown once; without consent it stays a draft
                services.transition_referral(
                    referral=referral, by=caseworker, to=Referral.Status.SENT, version=referral.version
                )
            over_limit = n == 0
            services.record_assistance(
                case=case, by=caseworker,
                fields={
                    "kind": Assistance.Kind.CASH if over_limit else Assistance.Kind.FOOD,
                    "amount": services.approval_limit("THB") + Decimal(3000) if over_limit else Decimal(1500),
                    "currency": "THB", "given_on": today - days(n), "purpose": "Demo: rent and food for a month.",
                },
            )  # fmt: skip
            assistance += 1
        if cases:
            goal = services.add_goal(
                case=cases[0], by=caseworker, fields={"title": "Find work (demo)", "target_date": today + days(90)}
            )
            services.add_task(
                case=cases[0], by=caseworker,
                fields={"title": "Call the skills centre (demo)", "owner": caseworker, "due_on": today - days(2),
                        "goal": goal},
            )  # fmt: skip
        return (
            f"on {len(cases)} cases of the demo caseworker, {placements} placements, {referrals} referrals, "
            f"{assistance} assistance entries (1 awaiting approval), a goal and an overdue task"
            if cases
            else "no case support"
        )
