"""Rows read together with the owners they reach through relations: one query, never one per row."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.vaultapp.models import Person, Relative
from vault.fields import SHREDDED, OwnerKeyQuery
from vault.keys import key_scope
from vault.services import shred

pytestmark = pytest.mark.django_db


def make_relatives(count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        person = Person.objects.create(full_name=f"Owner {n}", service_number=f"SN-{n}")
        Relative.objects.create(person=person, name=f"Relative {n}")


def queries_to_list() -> tuple[int, list[tuple[str, str]]]:
    with key_scope(), CaptureQueriesContext(connection) as queries:
        rows = [(r.name, r.person.full_name) for r in Relative.objects.with_keys("person")]
    return len(queries), sorted(rows)


def test_a_list_of_twenty_children_reading_their_owners_costs_what_a_list_of_two_does():
    make_relatives(2)
    two, rows = queries_to_list()
    assert rows == [("Relative 0", "Owner 0"), ("Relative 1", "Owner 1")]
    make_relatives(18, start=2)
    twenty, rows = queries_to_list()
    assert len(rows) == 20 and {owner for _name, owner in rows} == {f"Owner {n}" for n in range(20)}
    assert two == twenty == 1  # the children, their owners and every data key, in one query


def test_with_keys_keeps_working_through_filters_get_and_iterator():
    make_relatives(3)
    first = Relative.objects.order_by("pk").first()
    assert first is not None
    owner_name = Person.objects.get(pk=first.person_id).full_name
    with CaptureQueriesContext(connection) as queries:
        relative = Relative.objects.with_keys("person").filter(pk=first.pk).get()
        assert relative.person.full_name == owner_name
        numbers = {r.person.service_number for r in Relative.objects.with_keys("person").iterator()}
    assert numbers == {"SN-0", "SN-1", "SN-2"}
    assert len(queries) == 2
    rows = Relative.objects.with_keys("person")
    assert rows.count() == 3 and rows.exists() and len(rows[:2]) == 2


def test_an_owner_reached_through_a_join_without_its_key_is_loud():
    make_relatives(1)
    relative = Relative.objects.select_related("person").get()
    with pytest.warns(OwnerKeyQuery, match="with_keys"):
        assert relative.person.full_name == "Owner 0"
    lazily = Relative.objects.get()
    with pytest.warns(OwnerKeyQuery):
        assert lazily.person.full_name == "Owner 0"


def test_a_relation_that_is_not_a_vault_owner_is_refused():
    with pytest.raises(ValueError, match="not a relation to a model with encrypted fields"):
        Relative.objects.with_keys("name")


def test_new_children_of_a_loaded_owner_open_its_key_without_a_query_each():
    person = Person.objects.create(full_name="Parent")
    loaded = Person.objects.get(pk=person.pk)
    with CaptureQueriesContext(connection) as queries:
        Relative.objects.bulk_create([Relative(person=loaded, name=f"Child {n}") for n in range(10)])
    assert len(queries) == 1  # the INSERT
    assert sorted(r.name for r in Relative.objects.all())[:2] == ["Child 0", "Child 1"]


def test_a_shredded_owner_reads_as_shredded_through_with_keys(admin):
    make_relatives(1)
    shred(owner=Person.objects.get())
    relative = Relative.objects.with_keys("person").get()
    assert relative.person.full_name is SHREDDED and relative.name is SHREDDED


def test_refreshing_a_row_reads_its_key_in_the_same_query_and_changes_nothing():
    person = Person.objects.create(full_name="Fresh", service_number="SN-7")
    with CaptureQueriesContext(connection) as queries:
        person.refresh_from_db()
        assert person.full_name == "Fresh"
    assert len(queries) == 1
    assert not person.__dict__.get("_vault_changed")  # a save now does not recompute the indexes
