"""{% vault_value %}: any vault value shown in its four states (a value, empty, shredded, damaged)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template import Context, Template

from tests.vaultapp.models import Person
from vault.services import shred

pytestmark = pytest.mark.django_db


def shown(person: Person, field: str) -> str:
    template = Template("{% load vault %}{% vault_value person field %}")
    return template.render(Context({"person": Person.objects.get(pk=person.pk), "field": field})).strip()


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        ("was_armed", True, "Yes"),
        ("was_armed", False, "No"),
        ("years_of_service", 0, "0"),  # a real zero, not "empty"
        ("date_of_birth", datetime.date(1990, 1, 2), "1990-01-02"),
        ("full_name", "<b>Ko</b>", "&lt;b&gt;Ko&lt;/b&gt;"),
        ("aliases", ["Ko Ko", "Maung"], "Ko Ko, Maung"),
    ],
)
def test_a_value_is_shown_formatted_and_escaped(field, value, text):
    person = Person.objects.create(**{"full_name": "Someone", field: value})
    assert shown(person, field) == text


@pytest.mark.parametrize("field", ["was_armed", "years_of_service", "date_of_birth", "narrative", "aliases"])
def test_an_empty_value_says_not_recorded(field):
    person = Person.objects.create(full_name="Someone")
    assert "Not recorded" in shown(person, field)


@pytest.mark.parametrize("field", ["was_armed", "full_name", "date_of_birth", "years_of_service"])
def test_a_shredded_value_says_shredded_and_never_no(field, admin):
    person = Person.objects.create(full_name="Someone", was_armed=False, years_of_service=0)
    shred(owner=person)
    text = shown(person, field)
    assert "Shredded" in text
    assert "No" not in text and "Not recorded" not in text and "0" not in text


def test_a_damaged_value_says_damaged_and_shows_nothing_of_it():
    person = Person.objects.create(full_name="Damaged 4471", narrative="Story 4471")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vaultapp_person SET narrative = full_name WHERE id = %s", [person.pk])
    text = shown(person, "narrative")
    assert "Damaged" in text and "4471" not in text
    assert shown(person, "full_name") == "Damaged 4471"  # the other fields still read


def test_a_field_that_is_not_encrypted_is_a_mistake():
    person = Person.objects.create(full_name="Someone")
    with pytest.raises(ValueError, match="not an encrypted field"):
        shown(person, "code")
