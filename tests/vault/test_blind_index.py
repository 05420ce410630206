"""Blind indexes: equal after normalisation, separated by key and field, confirmed by decrypting."""

from __future__ import annotations

import datetime

import pytest

from tests.vaultapp.models import Person
from vault.fields import blind_tag

pytestmark = pytest.mark.django_db

# "Aung Aung" in Zawgyi and in Unicode: the same name as two different code point sequences.
UNICODE_NAME = "အောင်အောင်"
ZAWGYI_NAME = "ေအာင္ေအာင္"


def tag(*values):  # type: ignore[no-untyped-def]
    return blind_tag(Person, "service_number_index", list(values))


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("BA-12345", "ba-12345"),
        ("ＢＡ－１２３４５", "BA-12345"),  # full-width, as some phone keyboards type it
        ("  BA   12345 ", "BA 12345"),
        ("BA/12.345", "BA12345"),
        ("ဗ၁၂၃၄၅", "ဗ12345"),  # Myanmar digits
    ],
)
def test_identifiers_equal_in_canonical_form_get_the_same_tag(typed, stored):
    assert tag(typed) == tag(stored)


def test_names_equal_in_canonical_form_get_the_same_tag():
    born = datetime.date(1990, 1, 2)
    stored = blind_tag(Person, "name_dob_index", [UNICODE_NAME, born])
    for typed in (ZAWGYI_NAME, "ေအာင်ေအာင်", "အောင် အောင်"):
        assert blind_tag(Person, "name_dob_index", [typed, born]) == stored


def test_the_index_declares_its_canonical_forms():
    # A service number is an identifier: separators go. A name is not: "Aung-San" stays hyphenated.
    assert tag("BA-12345") == tag("BA12345")
    born = datetime.date(1990, 1, 2)
    assert blind_tag(Person, "name_dob_index", ["Aung-San", born]) != blind_tag(
        Person, "name_dob_index", ["AungSan", born]
    )
    with pytest.raises(ValueError, match="takes 2 values"):
        blind_tag(Person, "name_dob_index", ["Aung San"])


def test_a_blind_index_without_a_canonical_form_for_each_source_is_refused():
    from vault.fields import BlindIndexField, EncryptedTextField

    with pytest.raises(ValueError, match="canonical"):
        BlindIndexField(sources=("full_name", "date_of_birth"), canonical=("name",))
    with pytest.raises(ValueError, match="canonical"):
        BlindIndexField(sources=("full_name",), canonical=("surname",))
    with pytest.raises(ValueError, match="canonical form"):
        EncryptedTextField(blind_index=True)  # type: ignore[arg-type]


def test_a_different_value_usually_gets_a_different_tag():
    tags = {tag(f"BA-{n:05d}") for n in range(200)}
    assert len(tags) > 150  # 12-bit tags: some collisions are expected and wanted


def test_tags_differ_between_indexes_and_between_keys(settings):
    value = "BA-12345"
    by_field = blind_tag(Person, "service_number_index", [value])
    assert blind_tag(Person, "name_dob_index", [value, datetime.date(2000, 1, 1)]) != by_field
    from dataclasses import replace

    settings.KEYRING = replace(settings.KEYRING, blind_index_key=b"\x01" * 32)
    assert blind_tag(Person, "service_number_index", [value]) != by_field


def test_tags_are_truncated_to_the_configured_bits(settings):
    settings.BLIND_INDEX_BITS = 8
    assert all(0 <= tag(f"SN-{n}") < 256 for n in range(100))
    assert len({tag(f"SN-{n}") for n in range(2000)}) <= 256


def test_a_lookup_finds_the_true_match_and_never_a_false_one(settings):
    settings.BLIND_INDEX_BITS = 4  # 16 buckets: every lookup has company in its bucket
    people = [Person.objects.create(full_name=f"Person {n}", service_number=f"SN-{n:04d}") for n in range(80)]
    target = people[41]
    bucket = Person.objects.filter(service_number_index=target.service_number_index).count()
    assert bucket > 1  # the tag alone does not single anyone out
    assert [p.pk for p in Person.objects.matching(service_number="sn-0041")] == [target.pk]
    assert Person.objects.matching(service_number="SN-9999") == []


def test_name_and_date_of_birth_are_matched_together_across_encodings():
    born = datetime.date(1995, 6, 1)
    person = Person.objects.create(full_name=UNICODE_NAME, date_of_birth=born)
    Person.objects.create(full_name=UNICODE_NAME, date_of_birth=datetime.date(1996, 6, 1))
    found = Person.objects.matching(full_name=ZAWGYI_NAME, date_of_birth=born)
    assert [p.pk for p in found] == [person.pk]


def test_the_tag_follows_an_edit_and_clears_when_emptied():
    person = Person.objects.create(full_name="Edit Me", service_number="SN-1")
    person = Person.objects.get(pk=person.pk)
    person.service_number = "SN-2"
    person.save()
    assert Person.objects.matching(service_number="SN-2")[0].pk == person.pk
    assert Person.objects.matching(service_number="SN-1") == []
    person.service_number = ""
    person.save()
    assert Person.objects.get(pk=person.pk).service_number_index is None


def test_saving_only_a_source_field_keeps_its_index_current():
    """update_fields naming a source writes the index too, without the caller naming it."""
    born = datetime.date(1990, 1, 2)
    person = Person.objects.create(full_name="Old Name", service_number="SN-1", date_of_birth=born)
    loaded = Person.objects.get(pk=person.pk)
    loaded.service_number = "SN-2"
    loaded.save(update_fields=["service_number"])
    loaded.full_name = "New Name"
    loaded.save(update_fields=["full_name"])
    assert [p.pk for p in Person.objects.matching(service_number="SN-2")] == [person.pk]
    assert Person.objects.matching(service_number="SN-1") == []
    assert [p.pk for p in Person.objects.matching(full_name="New Name", date_of_birth=born)] == [person.pk]
    assert Person.objects.matching(full_name="Old Name", date_of_birth=born) == []


def test_saving_a_partly_loaded_row_keeps_the_index_of_a_changed_source_current():
    person = Person.objects.create(full_name="Partly", service_number="SN-4")
    loaded = Person.objects.only("id", "service_number").get(pk=person.pk)
    loaded.service_number = "SN-5"
    loaded.save()  # Django saves the loaded columns only
    assert [p.pk for p in Person.objects.matching(service_number="SN-5")] == [person.pk]
    assert Person.objects.matching(service_number="SN-4") == []


def test_saving_without_touching_the_sources_keeps_the_tag_without_decrypting():
    person = Person.objects.create(full_name="Keep", service_number="SN-3")
    loaded = Person.objects.get(pk=person.pk)
    loaded.code = "HV-X"
    loaded.save()
    assert "_vault_plain" not in loaded.__dict__  # nothing was opened
    assert Person.objects.get(pk=person.pk).service_number_index == person.service_number_index


def test_an_index_over_other_fields_is_refused():
    with pytest.raises(ValueError, match="no blind index"):
        Person.objects.matching(narrative="anything")


def test_rebuilding_follows_a_new_tag_length_and_keeps_lookups_working(settings):
    from django.core.management import call_command

    people = [Person.objects.create(full_name=f"P {n}", service_number=f"SN-{n}") for n in range(30)]
    settings.BLIND_INDEX_BITS = 6
    assert Person.objects.matching(service_number="SN-7") == []  # old 12-bit tags, new 6-bit lookups
    call_command("rebuild_blind_indexes", "--batch-size", "7", stdout=__import__("io").StringIO())
    assert [p.pk for p in Person.objects.matching(service_number="SN-7")] == [people[7].pk]
    assert all(tag < 64 for tag in Person.objects.values_list("service_number_index", flat=True))
