"""Keyring, data keys, rotation, shredding and the query budget for loading many owners."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditEvent
from tests.vaultapp.models import Person, Relative, SealedRecord
from vault import keyring as keyring_module
from vault import keys
from vault.fields import SHREDDED, state
from vault.keyring import Keyring, KeyringError, load_keyring
from vault.keys import key_scope
from vault.models import DataKey
from vault.services import keyring_status, rotate_keys, shred


@pytest.fixture
def keyring_file(tmp_path, settings):  # type: ignore[no-untyped-def]
    """A keyring of this test's own, loaded the way settings load it."""
    path = tmp_path / "keyring.json"
    keyring_module.generate_keyring(path)
    settings.KEYRING_FILE = str(path)
    settings.KEYRING = load_keyring(path)
    return path


def reload(settings, path) -> Keyring:  # type: ignore[no-untyped-def]
    settings.KEYRING = load_keyring(path)  # what a restart after add_key does
    return settings.KEYRING


class TestKeyringFile:
    def test_a_new_keyring_has_one_kek_and_separate_index_and_audit_keys(self, tmp_path):
        path = tmp_path / "k.json"
        keyring_module.generate_keyring(path)
        keyring = load_keyring(path)
        assert keyring.active_id == "k1"
        assert len({keyring.active_key, keyring.blind_index_key, keyring.audit_key}) == 3
        assert oct(path.stat().st_mode & 0o777) == "0o600"

    def test_an_existing_keyring_is_never_overwritten(self, tmp_path):
        path = tmp_path / "k.json"
        keyring_module.generate_keyring(path)
        before = path.read_text()
        with pytest.raises(KeyringError, match="never overwritten"):
            keyring_module.generate_keyring(path)
        assert path.read_text() == before

    def test_the_command_refuses_to_overwrite_too(self, tmp_path, db):
        path = tmp_path / "k.json"
        call_command("generate_keyring", str(path), stdout=StringIO())
        with pytest.raises(CommandError, match="never overwritten"):
            call_command("generate_keyring", str(path), stdout=StringIO())

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            ("not json", "not valid JSON"),
            ("[]", "not a keyring"),
            ('{"format": "other"}', "not a keyring"),
            ('{"format": "haven-keyring-1", "keks": []}', "no key-encryption key"),
            ('{"format": "haven-keyring-1", "keks": [{"id": "k1", "key": "c2hvcnQ="}]}', "must be 32 bytes"),
            ('{"format": "haven-keyring-1", "keks": [{"id": "k1", "key": "!!"}]}', "not valid base64"),
        ],
    )
    def test_a_malformed_keyring_is_refused_in_one_line(self, tmp_path, content, message):
        path = tmp_path / "k.json"
        path.write_text(content)
        with pytest.raises(KeyringError, match=message) as caught:
            load_keyring(path)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)

    def test_a_missing_keyring_says_how_to_make_one(self, tmp_path):
        with pytest.raises(KeyringError, match="generate_keyring"):
            load_keyring(tmp_path / "absent.json")

    def test_add_key_makes_a_new_active_key_and_keeps_the_old(self, tmp_path):
        path = tmp_path / "k.json"
        keyring_module.generate_keyring(path)
        old = load_keyring(path)
        assert keyring_module.add_key(path) == "k2"
        new = load_keyring(path)
        assert new.active_id == "k2" and new.keks["k1"] == old.keks["k1"]
        assert (new.blind_index_key, new.audit_key) == (old.blind_index_key, old.audit_key)


@pytest.mark.django_db
class TestRotation:
    def test_values_written_under_an_old_kek_read_after_add_key_and_after_rotation(self, keyring_file, settings):
        person = Person.objects.create(full_name="Old Key Person")
        Relative.objects.create(person=person, name="Old Key Relative")
        keyring_module.add_key(keyring_file)
        reload(settings, keyring_file)
        assert Person.objects.get(pk=person.pk).full_name == "Old Key Person"
        assert DataKey.objects.get(pk=person.data_key_id).kek_id == "k1"
        newer = Person.objects.create(full_name="New Key Person")
        assert DataKey.objects.get(pk=newer.data_key_id).kek_id == "k2"

        assert rotate_keys() == 1
        assert set(DataKey.objects.values_list("kek_id", flat=True)) == {"k2"}
        # Drop k1 from the keyring altogether: everything still reads.
        data = json.loads(keyring_file.read_text())
        data["keks"] = [entry for entry in data["keks"] if entry["id"] != "k1"]
        keyring_file.write_text(json.dumps(data))
        reload(settings, keyring_file)
        assert Person.objects.get(pk=person.pk).full_name == "Old Key Person"
        assert Relative.objects.get().name == "Old Key Relative"
        assert Person.objects.get(pk=newer.pk).full_name == "New Key Person"

    def test_an_interrupted_rotation_finishes_when_run_again(self, keyring_file, settings):
        people = [Person.objects.create(full_name=f"Person {n}") for n in range(10)]
        keyring_module.add_key(keyring_file)
        reload(settings, keyring_file)
        batches = []

        def crash_after_two_batches() -> None:
            batches.append(1)
            if len(batches) == 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_keys(batch_size=3, after_batch=crash_after_two_batches)
        assert DataKey.objects.filter(kek_id="k2").count() == 6
        assert DataKey.objects.filter(kek_id="k1").count() == 4
        assert all(Person.objects.get(pk=p.pk).full_name == p.full_name for p in people)

        assert rotate_keys(batch_size=3) == 4
        assert rotate_keys() == 0  # idempotent
        assert DataKey.objects.filter(kek_id="k2").count() == 10
        assert all(Person.objects.get(pk=p.pk).full_name == p.full_name for p in people)

    def test_the_rotate_command_shows_progress(self, keyring_file, settings):
        for n in range(3):
            Person.objects.create(full_name=f"P{n}")
        keyring_module.add_key(keyring_file)
        reload(settings, keyring_file)
        out = StringIO()
        call_command("rotate_keys", "--batch-size", "2", stdout=out)
        assert "rewrapped 2 of 3" in out.getvalue() and "rewrapped 3 of 3" in out.getvalue()
        assert "k1 any more: it may be removed" in out.getvalue()

    def test_keyring_status_counts_and_names_missing_keys(self, keyring_file, settings):
        Person.objects.create(full_name="Counted")
        status = keyring_status()
        assert status.wrapped_by == {"k1": 1} and status.missing == []
        DataKey.objects.update(kek_id="k9")
        out = StringIO()
        with pytest.raises(CommandError, match="k9"):
            call_command("keyring_status", stdout=out)

    def test_a_wrapped_key_copied_to_another_row_does_not_unwrap(self):
        first, second = Person.objects.create(full_name="First"), Person.objects.create(full_name="Second")
        wrapped = DataKey.objects.get(pk=first.data_key_id).wrapped
        DataKey.objects.filter(pk=second.data_key_id).update(wrapped=wrapped)
        from vault.fields import RecordDamaged

        with pytest.raises(RecordDamaged):
            _ = Person.objects.get(pk=second.pk).full_name


@pytest.mark.django_db
class TestShredding:
    def test_after_shredding_every_value_of_the_owner_reads_as_shredded(self, admin):
        person = Person.objects.create(full_name="To Shred", service_number="SN-1", narrative="Story")
        Relative.objects.create(person=person, name="Family")
        other = Person.objects.create(full_name="Untouched", service_number="SN-2")
        shred(owner=person)
        loaded = Person.objects.get(pk=person.pk)
        assert loaded.full_name is SHREDDED and loaded.narrative is SHREDDED
        assert state(loaded, "full_name") == "shredded"
        assert Relative.objects.get().name is SHREDDED
        assert str(loaded.full_name) == "[shredded]"
        assert Person.objects.get(pk=other.pk).full_name == "Untouched"

    def test_shredding_destroys_the_key_and_the_blind_index_tags(self, admin):
        person = Person.objects.create(full_name="Indexed", service_number="SN-77")
        assert person.service_number_index is not None
        shred(owner=person)
        key = DataKey.objects.get(pk=person.data_key_id)
        assert key.wrapped is None and key.shredded_at is not None
        row = Person.objects.values("service_number_index", "name_dob_index").get(pk=person.pk)
        assert row == {"service_number_index": None, "name_dob_index": None}
        with connection.cursor() as cursor:
            cursor.execute("SELECT wrapped FROM vault_datakey WHERE id = %s", [person.data_key_id])
            assert cursor.fetchone()[0] is None

    def test_the_vault_shreds_without_writing_to_the_audit_trail(self, admin):
        person = Person.objects.create(full_name="Quiet Shred", code="HV-TEST-0002")
        assert shred(owner=person) is True
        assert shred(owner=person) is False  # already gone: nothing to do
        assert not AuditEvent.objects.exists()  # its callers record it (the shred command, defectors)

    def test_the_shred_command_is_audited_without_contents(self, admin):
        person = Person.objects.create(full_name="Audited Shred", code="HV-TEST-0001")
        call_command("shred", f"vaultapp.Person:{person.pk}", "--yes", "--reason", "raid expected", stdout=StringIO())
        event = AuditEvent.objects.get(action="vault.datakey.shredded")
        assert (event.object_ref, event.actor_username, event.reason) == ("HV-TEST-0001", "", "raid expected")
        assert Person.objects.get(pk=person.pk).full_name is SHREDDED

    def test_a_shredded_record_refuses_new_values_and_survives_other_saves(self, admin):
        person = Person.objects.create(full_name="Frozen")
        shred(owner=person)
        loaded = Person.objects.get(pk=person.pk)
        loaded.code = "HV-AFTER"
        loaded.save()  # plaintext columns can still change; sealed ones stay as they were
        loaded.full_name = "New Name"
        from vault.keys import ShreddedKey

        with pytest.raises(ShreddedKey):
            loaded.save()

    def test_the_shred_command_asks_first(self, monkeypatch):
        person = Person.objects.create(full_name="Command Shred")
        monkeypatch.setattr("builtins.input", lambda prompt: "no")
        with pytest.raises(CommandError, match="Not shredded"):
            call_command("shred", f"vaultapp.Person:{person.pk}")
        assert Person.objects.get(pk=person.pk).full_name == "Command Shred"
        monkeypatch.setattr("builtins.input", lambda prompt: "shred")
        call_command("shred", f"vaultapp.Person:{person.pk}", stdout=StringIO())
        assert Person.objects.get(pk=person.pk).full_name is SHREDDED

    @pytest.mark.parametrize("owner", ["vaultapp.Nope:1", "nonsense", "vaultapp.Person:not-a-uuid"])
    def test_the_shred_command_explains_a_bad_owner(self, owner):
        with pytest.raises(CommandError, match="No such"):
            call_command("shred", owner, "--yes")


@pytest.mark.django_db
def test_loading_fifty_owners_costs_the_same_queries_as_five(django_assert_num_queries):
    def load_all() -> list[str]:
        with key_scope():
            return [value for record in SealedRecord.objects.all() for value in (record.f1, record.f10)]

    for n in range(5):
        SealedRecord.objects.create(**{f"f{i}": f"value {n}-{i}" for i in range(1, 11)})
    with django_assert_num_queries(1):  # the rows with their data keys, in one join
        assert len(load_all()) == 10
    for n in range(45):
        SealedRecord.objects.create(**{f"f{i}": f"value {n}-{i}" for i in range(1, 11)})
    with django_assert_num_queries(1):
        assert len(load_all()) == 100


@pytest.mark.django_db
def test_child_rows_load_their_owners_keys_in_the_same_query(django_assert_num_queries):
    for n in range(20):
        Relative.objects.create(person=Person.objects.create(full_name=f"P{n}"), name=f"R{n}")
    with django_assert_num_queries(1):
        assert len({relative.name for relative in Relative.objects.all()}) == 20


class TestSigningKey:
    def test_a_new_keyring_has_an_ed25519_signing_key_that_verifies_its_own_signatures(self, tmp_path):
        import base64

        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        from vault.keyring import generate_keyring, load_keyring

        path = tmp_path / "keyring.json"
        generate_keyring(path)
        keyring = load_keyring(path)
        signature = keyring.signer().sign(b"checkpoint")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keyring.signing_public_key))
        public.verify(signature, b"checkpoint")  # raises if it does not verify
        assert keyring.signing_key not in (keyring.audit_key, keyring.blind_index_key, keyring.active_key)

    def test_an_old_keyring_gains_a_signing_key_and_keeps_every_other_key(self, tmp_path):
        import json

        from vault.keyring import generate_keyring, load_keyring, main

        path = tmp_path / "keyring.json"
        generate_keyring(path)
        data = json.loads(path.read_text())
        del data["signing_key"]
        path.write_text(json.dumps(data))
        assert main(["generate", str(path), "--if-missing"]) == 0
        upgraded = json.loads(path.read_text())
        assert upgraded["signing_key"]
        assert {k: v for k, v in upgraded.items() if k != "signing_key"} == data
        assert load_keyring(path).signer() is not None
        assert main(["generate", str(path), "--if-missing"]) == 0
        assert json.loads(path.read_text()) == upgraded  # a second run changes nothing


@pytest.mark.django_db
def test_bulk_data_keys_are_saved_in_one_insert_and_seal_at_once(django_assert_num_queries):
    with django_assert_num_queries(1):
        made = keys.new_data_keys(5)
    assert DataKey.objects.filter(pk__in=[key.pk for key in made], wrapped__isnull=False).count() == 5
    people = [Person(data_key=key, full_name=f"Bulk {n}") for n, key in enumerate(made)]
    Person.objects.bulk_create(people)
    assert sorted(p.full_name for p in Person.objects.all()) == [f"Bulk {n}" for n in range(5)]
