"""seed_demo --cases: synthetic cases written in bulk, sealed, indexed and topped up, never doubled."""

from __future__ import annotations

import datetime
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from accounts.roles import GRANTABLE_ROLES
from defectors import demo
from defectors.models import Case, Consent, FamilyMember, Level, Need
from defectors.services import start_intake
from tests.conftest import login_with_mfa
from vault.fields import RecordDamaged
from vault.models import DataKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def debug(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    return settings


def seed(cases: int) -> str:
    out = io.StringIO()
    call_command("seed_demo", cases=cases, stdout=out)
    return out.getvalue()


def test_it_is_refused_unless_debug_is_on(settings, tmp_path):
    settings.DEBUG = False
    settings.VAR_DIR = tmp_path
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", cases=30)
    assert not Case.objects.exists()


def test_an_impossible_count_is_refused(debug):
    with pytest.raises(CommandError, match="--cases"):
        call_command("seed_demo", cases=-1)
    assert not User.objects.exists()


def test_it_creates_cases_with_keys_family_needs_and_consents(debug):
    output = seed(30)
    assert "30 demo cases ready: 30 created" in output
    cases = list(Case.objects.all())
    assert len(cases) == 30
    # One data key each, made in bulk, and no other.
    assert DataKey.objects.filter(purpose=DataKey.Purpose.OWNER).count() == 30
    assert len({case.data_key_id for case in cases}) == 30
    # Data processing is always consented; family and needs are there.
    assert Consent.objects.filter(kind=Consent.Kind.DATA_PROCESSING).count() == 30
    assert FamilyMember.objects.exists()
    assert Need.objects.filter(case__in=cases).values("case").distinct().count() == 30
    assert {case.status for case in cases} <= {Case.Status.ACTIVE, Case.Status.CLOSED, Case.Status.REOPENED}
    for case in cases:
        assert case.urgency == (
            Case.Urgency.URGENT
            if Level.CRITICAL in (case.threat_to_defector, case.threat_to_family)
            else Case.Urgency.NORMAL
        )
        assert datetime.date(2021, 2, 1) <= case.intake_month <= datetime.date(2024, 12, 1)
        assert case.created_at.date().replace(day=1) == case.intake_month  # kept, not overwritten by auto_now
    # The timestamps were given for the bulk insert only: saving a case stamps it again.
    assert Case._meta.get_field("created_at").auto_now_add and Case._meta.get_field("updated_at").auto_now


def test_values_decrypt_and_match_the_generator(debug):
    seed(30)
    for index in (0, 7, 29):
        spec = demo.generate(index)
        case = Case.objects.get(code=spec.fields["code"])
        for name in ("full_name", "service_number", "date_of_birth", "unit", "circumstances", "was_armed"):
            assert getattr(case, name) == spec.fields[name]
        family = FamilyMember.objects.filter(case=case).order_by("position")
        assert [(member.relationship, member.name) for member in family] == [
            (member["relationship"], member["name"]) for member in spec.family
        ]
        assert sorted(need.note for need in Need.objects.filter(case=case)) == sorted(n["note"] for n in spec.needs)


def test_the_database_holds_only_ciphertext(debug):
    seed(30)
    spec = demo.generate(3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_name, service_number FROM defectors_case WHERE code = %s", [spec.fields["code"]])
        full_name, service_number = cursor.fetchone()
    assert spec.fields["full_name"].encode() not in bytes(full_name)
    assert spec.fields["service_number"].encode() not in bytes(service_number)


def test_a_value_moved_to_another_row_does_not_open(debug):
    seed(30)
    first, second = (Case.objects.get(code=demo.generate(index).fields["code"]) for index in (0, 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE defectors_case SET full_name = (SELECT full_name FROM defectors_case WHERE id = %s) WHERE id = %s",
            [first.pk, second.pk],
        )
    with pytest.raises(RecordDamaged):
        _ = Case.objects.get(pk=second.pk).full_name


def test_blind_indexes_find_each_case(debug):
    seed(30)
    for index in range(30):
        spec = demo.generate(index)
        assert [case.code for case in Case.objects.matching(service_number=spec.fields["service_number"])] == [
            spec.fields["code"]
        ]
        if spec.fields["date_of_birth"]:
            found = Case.objects.matching(
                full_name=spec.fields["full_name"], date_of_birth=spec.fields["date_of_birth"]
            )
            assert spec.fields["code"] in [case.code for case in found]
    # Typed with Myanmar digits or ASCII ones, a service number is the same.
    number = demo.generate(4).fields["service_number"]
    myanmar = number.translate(str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉"))
    assert [case.code for case in Case.objects.matching(service_number=myanmar)] == [demo.generate(4).fields["code"]]


def test_running_again_tops_up_and_never_doubles(debug):
    seed(30)
    credentials = json.loads((debug.VAR_DIR / "demo-credentials.json").read_text())
    assert "none created" in seed(30)
    assert Case.objects.count() == 30
    assert "10 created" in seed(40)
    assert Case.objects.count() == 40
    assert seed(20) and Case.objects.count() == 40  # a smaller number removes nothing
    assert len(set(Case.objects.values_list("code", flat=True))) == 40
    assert {case.code for case in Case.objects.all()} == {demo.generate(n).fields["code"] for n in range(40)}
    # The credentials file keeps its format: one entry per role, no extra caseworkers.
    assert json.loads((debug.VAR_DIR / "demo-credentials.json").read_text()) == credentials
    assert sorted(credentials) == sorted(role.value for role in GRANTABLE_ROLES)


def test_cases_go_round_robin_to_the_demo_caseworkers(debug):
    seed(30)
    counts = {
        username: Case.objects.filter(assigned_to__username=username, created_by__username=username).count()
        for username in ("caseworker", "caseworker2", "caseworker3")
    }
    assert counts == {"caseworker": 10, "caseworker2": 10, "caseworker3": 10}
    extra = User.objects.get(username="caseworker2")
    assert extra.role == User.Role.CASEWORKER and not extra.has_usable_password()


def test_cases_opened_through_the_intake_form_are_not_demo_cases(debug):
    seed(5)
    caseworker = User.objects.get(username="caseworker")
    start_intake(by=caseworker, token=uuid.uuid4())
    assert "2 created" in seed(7)
    assert Case.objects.count() == 8


def test_the_generator_is_plausible_and_repeatable():
    specs = [demo.generate(index) for index in range(2000)]
    assert demo.generate(123) == specs[123]
    names = {spec.fields["full_name"] for spec in specs}
    assert not {name.lower() for name in names} & demo.PUBLIC_FIGURES
    assert any(any("\u1000" <= char <= "\u109f" for char in name) for name in names)  # some in Myanmar script
    for spec in specs:
        fields = spec.fields
        born = fields["date_of_birth"]
        intake = fields["created_at"].date()
        age = fields["age_estimate"]
        if born is not None:
            age = intake.year - born.year - ((intake.month, intake.day) < (born.month, born.day))
        assert 18 <= age <= 55
        assert spec.consents[0]["kind"] == Consent.Kind.DATA_PROCESSING
    branches = [spec.fields["branch"] for spec in specs]
    assert branches.count(Case.Branch.ARMY) > branches.count(Case.Branch.POLICE) > branches.count(Case.Branch.NAVY)
    early = sum(spec.fields["intake_month"].year in (2021, 2022) for spec in specs)
    assert early > len(specs) / 2  # the 2021-22 peak
    assert len({spec.fields["service_number"] for spec in specs}) == len(specs)


def test_the_demo_supervisor_sees_the_seeded_cases(debug, client):
    seed(30)
    supervisor = User.objects.get(username="supervisor")
    response = login_with_mfa(client, supervisor).get("/cases/")
    assert response.status_code == 200
    assert "30 cases" in response.content.decode()
    spec = demo.generate(0)
    response = client.post("/cases/", {"service_number": spec.fields["service_number"]})
    assert spec.fields["code"] in response.content.decode()
    assert "1 case" in response.content.decode()


def test_the_cases_option_is_contributed_by_defectors_own_app_config(debug, monkeypatch):
    from django.apps import apps

    monkeypatch.setattr(apps.get_app_config("defectors"), "demo_seeder", "")
    with pytest.raises(TypeError, match="cases"):
        call_command("seed_demo", cases=3)
    call_command("seed_demo", stdout=io.StringIO())
    assert User.objects.filter(role=User.Role.CASEWORKER).exists() and not Case.objects.exists()
