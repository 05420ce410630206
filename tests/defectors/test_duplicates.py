"""The same person typed another way is still the same person: duplicate check and search (issue 8).

Each kind of difference is driven through the intake pages: a first intake,
then a second one of the same person typed differently, which must raise the
duplicate warning. Different people one character apart must not.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from defectors.models import Case, CaseNameIndex
from tests.defectors.test_intake import start, step
from tests.factories import CaseFactory

BORN = "1988-03-04"
WARNING = "A case with the same details already exists"


@pytest.fixture
def caseworker(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(User.Role.CASEWORKER, username="cora")


@pytest.fixture
def cw(client_for, caseworker):  # type: ignore[no-untyped-def]
    return client_for(caseworker)


def intake_identity(client, full_name: str, other_names: str = "", born: str = BORN):  # type: ignore[no-untyped-def]
    case = start(client)
    response = step(
        client, case, "identity", {"full_name": full_name, "other_names": other_names, "date_of_birth": born}
    )
    return case, response


def intake_service(client, number: str):  # type: ignore[no-untyped-def]
    case = start(client)
    return case, step(client, case, "service", {"service_number": number})


def assert_warned(response, first: Case) -> None:  # type: ignore[no-untyped-def]
    page = response.content.decode()
    assert response.status_code == 200 and WARNING in page
    assert f'href="/cases/{first.code}/"' in page


@pytest.mark.parametrize(
    ("first", "second"),
    [("ကိုကိုလွင်", "ကုိကုိလွင်"), ("အောင်အောင်", "ေအာင်ေအာင်"), ("မြင့်မြင့်", "ြမင့်ြမင့်")],
    ids=["u-before-i", "e-before-consonant", "medial-ra-before-consonant"],
)
def test_a_name_typed_in_visual_or_another_mark_order_raises_the_warning(cw, first, second):
    earlier, response = intake_identity(cw, first)
    assert response.status_code == 302  # nobody to match yet
    _case, response = intake_identity(cw, second)
    assert_warned(response, earlier)


@pytest.mark.parametrize(
    ("first", "second"),
    [("ဉာဏ်ဝင်း", "ဥာဏ်ဝင်း"), ("ဦးနု", "ဉီးနု"), ("နေဝင်း", "နေ၀င်း"), ("ရာဇာ", "၇ာဇာ")],
    ids=["u-for-nya", "nya-ii-for-uu", "zero-for-wa", "seven-for-ra"],
)
def test_a_name_typed_with_look_alike_characters_raises_the_warning(cw, first, second):
    earlier, _response = intake_identity(cw, first)
    _case, response = intake_identity(cw, second)
    assert_warned(response, earlier)


@pytest.mark.parametrize(
    ("unicode", "zawgyi"),
    [("ဝေဝေ", "ေဝေဝ"), ("မင်္ဂလာ", "မဂၤလာ"), ("ဉာဏ်စု", "ဉာဏ္စု")],
    ids=["wai-wai", "mingala", "nyan-su"],
)
def test_a_name_in_zawgyi_the_detector_scores_low_raises_the_warning(cw, unicode, zawgyi):
    earlier, _response = intake_identity(cw, unicode)
    _case, response = intake_identity(cw, zawgyi)
    assert_warned(response, earlier)


@pytest.mark.parametrize(
    ("first", "second"),
    [("BC-51001", "BC51001"), ("BC 51002", "BC51002"), ("bc/51.003", "BC_51003"), ("BC–51004", "ＢＣ５１００４")],
    ids=["dash", "space", "slash-dot-underscore", "en-dash-full-width"],
)
def test_a_service_number_typed_with_other_separators_raises_the_warning(cw, first, second):
    earlier, response = intake_service(cw, first)
    assert response.status_code == 302
    _case, response = intake_service(cw, second)
    assert_warned(response, earlier)


def test_a_burmese_name_split_by_spaces_raises_the_warning(cw):
    earlier, _response = intake_identity(cw, "ဗိုလ်ကြီးထွန်းထွန်း")
    _case, response = intake_identity(cw, "ဗိုလ်ကြီး ထွန်း ထွန်း")
    assert_warned(response, earlier)


@pytest.mark.parametrize(
    ("first", "second"),
    [("မြင့်မြင့်", "မျင့်မျင့်"), ("ကိုကို", "ကီကီ"), ("ဝင်း", "ဝင့်"), ("ခင်ခင်", "ခန်ခန်")],
    ids=["another-medial", "another-vowel", "another-tone", "another-final"],
)
def test_names_one_meaningful_character_apart_raise_no_warning(cw, first, second):
    intake_identity(cw, first)
    _case, response = intake_identity(cw, second)
    assert response.status_code == 302


def test_service_numbers_with_swapped_digits_raise_no_warning(cw):
    intake_service(cw, "BC51001")
    _case, response = intake_service(cw, "BC51010")
    assert response.status_code == 302


def test_the_same_name_with_another_date_of_birth_raises_no_warning(cw):
    intake_identity(cw, "ကိုကိုလွင်", born="1988-03-04")
    _case, response = intake_identity(cw, "ကုိကုိလွင်", born="1988-03-05")
    assert response.status_code == 302


def test_an_alias_of_the_first_case_typed_as_a_full_name_raises_the_warning(cw):
    earlier, _response = intake_identity(cw, "Kyaw Zin", other_names="ကိုကြီး\nTiger Kyaw")
    _case, response = intake_identity(cw, "tiger  kyaw")
    assert_warned(response, earlier)
    _case, response = intake_identity(cw, "ကို ကြီး")
    assert_warned(response, earlier)


def test_a_full_name_given_as_an_alias_later_raises_the_warning(cw):
    earlier, _response = intake_identity(cw, "Kyaw Zin")
    _case, response = intake_identity(cw, "", other_names="Min Min\nkyaw zin")
    assert_warned(response, earlier)


def test_a_supervisor_finds_a_case_by_an_alias(client_for, make_user, caseworker):
    case = CaseFactory(
        created_by=caseworker, full_name="Kyaw Zin", other_names="ေဝေဝ", date_of_birth=datetime.date(1988, 3, 4)
    )
    CaseFactory(created_by=caseworker, full_name="Wai Wai", date_of_birth=datetime.date(1988, 3, 5))
    supervisor = client_for(make_user(User.Role.SUPERVISOR))
    page = supervisor.post("/cases/", {"full_name": "ဝေ ဝေ", "date_of_birth": BORN}).content.decode()
    assert case.code in page


def test_an_alias_does_not_let_a_caseworker_find_another_caseworkers_case(cw, make_user):
    theirs = CaseFactory(
        created_by=make_user(User.Role.CASEWORKER), other_names="Tiger Kyaw", date_of_birth=datetime.date(1988, 3, 4)
    )
    assert theirs.code not in cw.post("/cases/", {"full_name": "Tiger Kyaw", "date_of_birth": BORN}).content.decode()


def test_each_name_form_has_one_tag_row_and_no_plaintext(cw):
    case, _response = intake_identity(cw, "Sentinel Kyaw", other_names="Sentinel Alias\n\n  \nSentinel Alias")
    assert CaseNameIndex.objects.filter(case=case).count() in (1, 2)  # two names; tags may collide
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM defectors_casenameindex")
        rows = cursor.fetchall()
        columns = [column.name for column in cursor.description]
    assert columns == ["id", "tag", "case_id"] or sorted(columns) == ["case_id", "id", "tag"]
    assert "Sentinel" not in repr(rows)


def test_editing_the_aliases_replaces_the_tags(cw):
    case, _response = intake_identity(cw, "Kyaw Zin", other_names="Tiger Kyaw")
    step(cw, case, "identity", {"full_name": "Kyaw Zin", "other_names": "Lion Kyaw", "date_of_birth": BORN})
    born = datetime.date(1988, 3, 4)
    assert [c.pk for c in Case.objects.named("Lion Kyaw", born=born)] == [case.pk]
    assert Case.objects.named("Tiger Kyaw", born=born) == []


def test_discarding_a_draft_deletes_its_name_tags(cw):
    case, _response = intake_identity(cw, "Kyaw Zin", other_names="Tiger Kyaw")
    assert CaseNameIndex.objects.filter(case=case).exists()
    cw.post(f"/cases/{case.code}/intake/discard/")
    assert not CaseNameIndex.objects.filter(case=case).exists()
    _case, response = intake_identity(cw, "Kyaw Zin")
    assert response.status_code == 302


def test_rebuilding_restores_the_name_tags_and_can_resume(caseworker):
    cases = [
        CaseFactory(created_by=caseworker, other_names=f"Alias {n}", date_of_birth=datetime.date(1988, 3, 4))
        for n in range(5)
    ]
    CaseNameIndex.objects.all().delete()
    Case.objects.update(service_number_index=None)  # as if made under older canonical forms
    out = io.StringIO()
    call_command("rebuild_blind_indexes", "--batch-size", "2", stdout=out)
    born = datetime.date(1988, 3, 4)
    assert [c.pk for c in Case.objects.named("alias 3", born=born)] == [cases[3].pk]
    assert [c.pk for c in Case.objects.matching(service_number=cases[1].service_number.replace("-", " "))] == [
        cases[1].pk
    ]
    assert "defectors.Case: 2 rows (to continue from here: --resume defectors.Case:" in out.getvalue()
    # Resuming after the fourth case leaves the first four as they are.
    ordered = sorted(cases, key=lambda case: case.pk)
    CaseNameIndex.objects.all().delete()
    call_command("rebuild_blind_indexes", "--resume", f"defectors.Case:{ordered[3].pk}", stdout=io.StringIO())
    assert set(CaseNameIndex.objects.values_list("case_id", flat=True)) == {ordered[4].pk}


def test_looking_up_every_alias_costs_one_query(caseworker, django_assert_num_queries):
    born = datetime.date(1988, 3, 4)
    cases = [CaseFactory(created_by=caseworker, other_names=f"Alias {n}", date_of_birth=born) for n in range(6)]
    names = [f"alias {n}" for n in range(6)] + [f"Nobody {n}" for n in range(14)]
    with django_assert_num_queries(1):  # the cases whose name tags match, with their keys' columns
        found = Case.objects.named(*names, born=born)
    assert {case.pk for case in found} == {case.pk for case in cases}


def test_shredding_any_way_deletes_the_name_tags(caseworker):
    case = CaseFactory(created_by=caseworker, other_names="Tiger Kyaw", date_of_birth=datetime.date(1988, 3, 4))
    other = CaseFactory(created_by=caseworker, other_names="Lion Kyaw", date_of_birth=datetime.date(1988, 3, 4))
    call_command("shred", f"defectors.Case:{case.pk}", "--yes", stdout=io.StringIO())
    assert not CaseNameIndex.objects.filter(case=case).exists()
    assert CaseNameIndex.objects.filter(case=other).count() == 2
