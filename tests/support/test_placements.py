from __future__ import annotations

import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from audit.models import AuditEvent
from support import services
from support.models import Placement, Shelter
from tests.factories import CaseFactory
from tests.support.conftest import with_token

TODAY = datetime.date.today()


def test_a_placement_is_made_counted_and_audited(case, caseworker, shelter):
    services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    row = Shelter.objects.with_occupancy().get(pk=shelter.pk)
    assert (row.occupied, row.free) == (1, 1)
    assert AuditEvent.objects.filter(action="support.placement.created", object_ref=case.code).exists()


def test_checking_out_frees_the_bed(case, caseworker, shelter):
    placement = services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    services.check_out(placement=placement, by=caseworker, on=TODAY)
    assert Shelter.objects.with_occupancy().get(pk=shelter.pk).free == 2


def test_a_full_shelter_refuses_and_names_shelters_with_free_beds(caseworker, shelter):
    other = Shelter(name="Riverside House", beds=3)
    other.save()
    for _n in range(2):
        services.place_in_shelter(
            case=CaseFactory(created_by=caseworker), shelter=shelter, by=caseworker, checked_in_on=TODAY
        )
    with pytest.raises(ValidationError, match=r"full.*Riverside House \(3\)"):
        services.place_in_shelter(
            case=CaseFactory(created_by=caseworker), shelter=shelter, by=caseworker, checked_in_on=TODAY
        )
    assert Placement.objects.filter(shelter=shelter).count() == 2


def test_a_case_is_in_one_shelter_at_a_time(case, caseworker, shelter):
    other = Shelter(name="Riverside House", beds=3)
    other.save()
    services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    with pytest.raises(ValidationError, match="already in a shelter"):
        services.place_in_shelter(case=case, shelter=other, by=caseworker, checked_in_on=TODAY)


def test_a_stay_overlapping_an_earlier_one_is_refused(case, caseworker, shelter):
    placement = services.place_in_shelter(
        case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY - datetime.timedelta(days=10)
    )
    services.check_out(placement=placement, by=caseworker, on=TODAY - datetime.timedelta(days=2))
    with pytest.raises(ValidationError, match="overlaps"):
        services.place_in_shelter(
            case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY - datetime.timedelta(days=5)
        )


def test_check_out_before_check_in_is_refused(case, caseworker, shelter):
    placement = services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    with pytest.raises(ValidationError, match="before the check-in"):
        services.check_out(placement=placement, by=caseworker, on=TODAY - datetime.timedelta(days=1))
    placement.refresh_from_db()
    assert placement.checked_out_on is None


def test_an_expected_end_before_the_check_in_is_refused_on_its_field(cw, case, shelter):
    response = cw.post(
        f"/support/cases/{case.code}/place/",
        with_token({"placement-shelter": shelter.pk, "placement-checked_in_on": TODAY.isoformat(),
                    "placement-expected_end": (TODAY - datetime.timedelta(days=1)).isoformat()}),
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_placement-expected_end">Expected end: The expected end is before the check-in date.</a>' in page
    assert not Placement.objects.exists()


def test_a_check_in_in_the_future_is_refused_by_the_page_and_the_service(cw, case, caseworker, shelter):
    tomorrow = TODAY + datetime.timedelta(days=1)
    response = cw.post(
        f"/support/cases/{case.code}/place/",
        with_token({"placement-shelter": shelter.pk, "placement-checked_in_on": tomorrow.isoformat()}),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'href="#id_placement-checked_in_on">Check-in date: The check-in cannot be dated in the future.</a>' in page
    with pytest.raises(ValidationError, match="check-in cannot be dated in the future"):
        services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=tomorrow)
    assert not Placement.objects.exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [(-1, "The check-out date is before the check-in date."), (1, "The check-out cannot be dated in the future.")],
)
def test_a_check_out_before_the_check_in_or_in_the_future_is_refused_on_its_field(
    cw, case, caseworker, shelter, days, message
):
    placement = services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    response = cw.post(
        f"/support/cases/{case.code}/placements/{placement.pk}/check-out/",
        {"checkout-checked_out_on": (TODAY + datetime.timedelta(days=days)).isoformat()},
    )
    assert response.status_code == 400
    assert f'href="#id_checkout-checked_out_on">Check-out date: {message}</a>' in response.content.decode()
    placement.refresh_from_db()
    assert placement.checked_out_on is None


def test_the_service_refuses_a_check_out_in_the_future(case, caseworker, shelter):
    placement = services.place_in_shelter(case=case, shelter=shelter, by=caseworker, checked_in_on=TODAY)
    with pytest.raises(ValidationError, match="check-out cannot be dated in the future"):
        services.check_out(placement=placement, by=caseworker, on=TODAY + datetime.timedelta(days=1))
    placement.refresh_from_db()
    assert placement.checked_out_on is None


def test_the_page_refuses_a_full_shelter_with_a_message(cw, case, caseworker, shelter):
    shelter.beds = 0
    shelter.save()
    response = cw.post(
        f"/support/cases/{case.code}/place/",
        with_token({"placement-shelter": shelter.pk, "placement-checked_in_on": TODAY.isoformat()}),
    )
    assert response.status_code == 400
    assert "This shelter is full." in response.content.decode()
    assert not Placement.objects.exists()


def test_another_caseworkers_case_cannot_be_placed(client_for, outsider, case, shelter):
    response = client_for(outsider).post(
        f"/support/cases/{case.code}/place/",
        with_token({"placement-shelter": shelter.pk, "placement-checked_in_on": TODAY.isoformat()}),
    )
    assert response.status_code == 404
    assert not Placement.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_caseworkers_taking_the_last_bed_at_once_exactly_one_succeeds(make_user):
    """Two threads, two real PostgreSQL connections, released together at a barrier."""
    first, second = make_user(username="cw1"), make_user(username="cw2")
    shelter = Shelter(name="Last Bed House", beds=1)
    shelter.save()
    cases = [CaseFactory(created_by=first), CaseFactory(created_by=second)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def place(case, by) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            services.place_in_shelter(case=case, shelter=shelter, by=by, checked_in_on=TODAY)
            outcomes.append("placed")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            connection.close()  # each thread's own connection

    threads = [threading.Thread(target=place, args=(c, u)) for c, u in zip(cases, (first, second), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["This shelter is full. No shelter has a free bed.", "placed"]
    assert Placement.objects.filter(shelter=shelter, checked_out_on__isnull=True).count() == 1
