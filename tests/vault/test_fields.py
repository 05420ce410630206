"""Encrypted fields: round trips, tampering, moved ciphertexts, and what reaches the database."""

from __future__ import annotations

import datetime

import pytest
from django import forms
from django.core.exceptions import FieldError
from django.db import connection

from tests.vaultapp.models import Person, Relative, Shelter
from vault.crypto import Damaged
from vault.fields import RecordDamaged, Sealed, state

pytestmark = pytest.mark.django_db

BURMESE = "ဒေါ်အောင်ဆန်းစုကြည်"  # a public figure's name: fake data only


def raw(table: str, column: str, pk) -> bytes | None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        value = cursor.fetchone()[0]
    return bytes(value) if value is not None else None


def write_raw(table: str, column: str, pk, value: bytes | None) -> None:  # type: ignore[no-untyped-def]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


def make_person(**values) -> Person:  # type: ignore[no-untyped-def]
    person = Person(full_name=values.pop("full_name", "Maung Maung"), **values)
    person.save()
    return person


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("full_name", "Ko Zaw Min"),
        ("full_name", BURMESE),
        ("full_name", "x" * 200),
        ("narrative", "Crossed the river at night.\n" * 1000),
        ("narrative", f"{BURMESE} — <script>alert(1)</script> \u200b"),
        ("date_of_birth", datetime.date(1991, 3, 27)),
        ("years_of_service", 0),
        ("years_of_service", -3),
        ("years_of_service", 12),
        ("aliases", ["Ko Ko", BURMESE]),
        ("aliases", {"nickname": "Thura", "languages": ["my", "en"]}),
        ("aliases", []),
        ("was_armed", True),
        ("was_armed", False),
    ],
)
def test_every_field_type_round_trips(field, value):
    person = make_person(**{field: value})
    assert getattr(Person.objects.get(pk=person.pk), field) == value


@pytest.mark.parametrize(
    ("field", "empty"),
    [
        ("service_number", ""),
        ("narrative", ""),
        ("date_of_birth", None),
        ("years_of_service", None),
        ("aliases", None),
        ("was_armed", None),
    ],
)
def test_empty_values_are_stored_as_null_and_read_back_empty(field, empty):
    person = make_person()
    assert raw("vaultapp_person", field, person.pk) is None
    loaded = Person.objects.get(pk=person.pk)
    assert getattr(loaded, field) == empty
    assert state(loaded, field) == "empty"


def test_the_database_holds_only_ciphertext():
    person = make_person(full_name="Sentinel-Name-7731", narrative="Sentinel-Story-7731")
    stored = raw("vaultapp_person", "full_name", person.pk)
    assert stored is not None and b"Sentinel" not in stored
    assert stored[0] == 1  # format version
    assert stored[1:17] == person.data_key_id.bytes  # the data key's id
    assert len(stored) == 17 + 12 + 32 + 16  # header, nonce, padded text, tag


def test_each_write_uses_a_fresh_nonce():
    first, second = make_person(full_name="Same"), make_person(full_name="Same")
    person = Person.objects.get(pk=first.pk)
    person.full_name = "Same"
    person.save()
    values = {raw("vaultapp_person", "full_name", p.pk) for p in (first, second)}
    values.add(raw("vaultapp_person", "full_name", first.pk))
    assert len(values) == 2 and raw("vaultapp_person", "full_name", first.pk) != first.__dict__["full_name"]


def test_a_ciphertext_moved_to_another_row_fails_loudly():
    victim, other = make_person(full_name="Victim"), make_person(full_name="Other")
    write_raw("vaultapp_person", "full_name", other.pk, raw("vaultapp_person", "full_name", victim.pk))
    with pytest.raises(RecordDamaged, match="full_name"):
        _ = Person.objects.get(pk=other.pk).full_name


def test_a_ciphertext_moved_to_another_field_of_the_same_row_fails_loudly():
    person = make_person(full_name="Name", narrative="Story")
    write_raw("vaultapp_person", "narrative", person.pk, raw("vaultapp_person", "full_name", person.pk))
    with pytest.raises(RecordDamaged):
        _ = Person.objects.get(pk=person.pk).narrative


def test_a_ciphertext_moved_under_the_same_key_to_a_child_row_fails():
    person = make_person()
    first, second = Relative.objects.create(person=person, name="A"), Relative.objects.create(person=person, name="B")
    write_raw("vaultapp_relative", "name", second.pk, raw("vaultapp_relative", "name", first.pk))
    with pytest.raises(RecordDamaged):
        _ = Relative.objects.get(pk=second.pk).name


@pytest.mark.parametrize("position", [0, 5, 20, 40, -1])
def test_one_flipped_byte_fails_loudly(position):
    person = make_person(full_name="Integrity")
    stored = bytearray(raw("vaultapp_person", "full_name", person.pk))
    stored[position] ^= 0x01
    write_raw("vaultapp_person", "full_name", person.pk, bytes(stored))
    loaded = Person.objects.get(pk=person.pk)
    with pytest.raises(RecordDamaged):
        _ = loaded.full_name
    assert state(loaded, "full_name") == "damaged"


def test_a_truncated_ciphertext_fails_loudly():
    person = make_person()
    write_raw("vaultapp_person", "full_name", person.pk, raw("vaultapp_person", "full_name", person.pk)[:20])
    with pytest.raises(RecordDamaged):
        _ = Person.objects.get(pk=person.pk).full_name


def test_the_damage_error_names_the_place_never_the_value():
    person = make_person(full_name="Secret-Name-4410")
    stored = bytearray(raw("vaultapp_person", "full_name", person.pk))
    stored[-1] ^= 0xFF
    write_raw("vaultapp_person", "full_name", person.pk, bytes(stored))
    with pytest.raises(RecordDamaged) as caught:
        _ = Person.objects.get(pk=person.pk).full_name
    assert "vaultapp.Person" in str(caught.value) and "full_name" in str(caught.value)
    assert "Secret" not in str(caught.value)


def test_values_are_opened_only_when_read():
    person = make_person(full_name="Lazy")
    loaded = Person.objects.get(pk=person.pk)
    assert isinstance(loaded.__dict__["full_name"], Sealed)
    assert "_vault_plain" not in loaded.__dict__
    assert loaded.full_name == "Lazy"


def test_an_unchanged_value_is_written_back_as_it_was():
    person = make_person(full_name="Keep")
    before = raw("vaultapp_person", "full_name", person.pk)
    loaded = Person.objects.get(pk=person.pk)
    loaded.code = "HV-TEST"
    loaded.save()
    assert raw("vaultapp_person", "full_name", person.pk) == before


def test_organisation_data_uses_the_organisation_key():
    shelter = Shelter.objects.create(name="Safe house by the river", address="Somewhere")
    assert Shelter.objects.get(pk=shelter.pk).name == "Safe house by the river"
    assert b"river" not in raw("vaultapp_shelter", "name", shelter.pk)


def test_encrypted_columns_cannot_be_searched_in_sql():
    make_person(full_name="Findable")
    with pytest.raises(FieldError):
        list(Person.objects.filter(full_name="Findable"))
    assert Person.objects.filter(narrative__isnull=True).count() == 1


def test_modelforms_work_unchanged():
    class PersonForm(forms.ModelForm):
        class Meta:
            model = Person
            fields = ["full_name", "service_number", "date_of_birth", "narrative", "years_of_service"]

    form = PersonForm(
        data={"full_name": "Form Person", "service_number": "BA-123", "date_of_birth": "1990-05-01", "narrative": ""}
    )
    assert form.is_valid(), form.errors
    person = form.save()
    loaded = Person.objects.get(pk=person.pk)
    assert (loaded.full_name, loaded.date_of_birth) == ("Form Person", datetime.date(1990, 5, 1))
    edit = PersonForm(instance=loaded)
    assert edit["full_name"].value() == "Form Person"
    assert isinstance(edit.fields["narrative"].widget, forms.Textarea)


def test_forms_enforce_each_fields_limit():
    class PersonForm(forms.ModelForm):
        class Meta:
            model = Person
            fields = ["full_name", "narrative"]

    form = PersonForm(data={"full_name": "x" * 201, "narrative": "y" * 50_001})
    assert not form.is_valid()
    assert "at most 200 characters" in str(form.errors["full_name"])
    assert "at most 50000 characters" in str(form.errors["narrative"])


def test_damaged_is_an_error_code_can_catch():
    assert issubclass(RecordDamaged, Exception)
    assert not issubclass(RecordDamaged, Damaged)  # the field error, not the crypto one


def test_a_deferred_field_is_fetched_and_opened_in_one_query(django_assert_num_queries):
    person = make_person(full_name="Deferred")
    loaded = Person.objects.only("code").get(pk=person.pk)
    with django_assert_num_queries(1):
        assert loaded.full_name == "Deferred"
    assert "full_name" not in loaded.__dict__.get("_vault_changed", set())


def test_counting_rows_does_not_touch_their_keys(django_assert_num_queries):
    make_person()
    with django_assert_num_queries(1) as queries:
        assert Person.objects.count() == 1
    assert "vault_datakey" not in queries.captured_queries[0]["sql"]
