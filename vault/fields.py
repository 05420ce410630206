"""Encrypted model fields, blind indexes and the owner's data key.

A model that holds sensitive data names where its data key is once, and
declares each encrypted field in one line next to its plaintext fields::

    class Case(VaultModel):
        VAULT_KEY = "data_key"          # or "case__data_key" on a child row, or "organisation"
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        data_key = OwnerKeyField()
        full_name = EncryptedTextField(max_length=200)
        service_number = EncryptedTextField(max_length=40, blank=True, blind_index="identifier")
        date_of_birth = EncryptedDateField(null=True, blank=True)
        name_dob_index = BlindIndexField(sources=("full_name", "date_of_birth"), canonical=("name", "date"))

Each blind index declares the canonical form of each of its sources
(``CANONICAL_FORMS``): what counts as the same value is a property of the
index, never guessed from a field's name.

Values are opened lazily, on first access, with the key the queryset loaded
alongside (``VaultManager`` joins it in: never a query per row). Rows that read
their owners through relations load those owners' keys the same way::

    for member in FamilyMember.objects.with_keys("case"):  # one query, any number of rows
        member.case.full_name

A stored row whose key was not loaded with it fetches the key with a query of
its own and warns ``OwnerKeyQuery`` (an error in the test suite). New children
of an owner in memory use its key. ``save(update_fields=[...])`` writes the
blind indexes over the fields named. vault/checks.py fails start-up for a model
whose primary key or ``VAULT_KEY`` would lose data.

A value is in one of four states: a value, empty, ``SHREDDED`` (its key was
destroyed; falsy), or damaged (opening raises ``RecordDamaged``; the middleware
shows a plain page). Templates show all four with ``{% vault_value %}``
(vault/templatetags/vault.py).
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import hmac
import json
import warnings
from typing import Any, Self

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django import forms
from django.conf import settings
from django.core import validators
from django.db import models
from django.db.models.query import ModelIterable
from django.utils.dateparse import parse_date
from django.utils.translation import gettext

from vault import crypto, keys

# A ciphertext as stored, not opened yet. Plain values are never bytes (text is
# str, dates are dates, JSON is parsed), so the type alone tells them apart.
Sealed = bytes


class _Shredded:
    """The value of every encrypted field whose data key was destroyed."""

    _instance: _Shredded | None = None

    def __new__(cls) -> _Shredded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return gettext("[shredded]")

    def __repr__(self) -> str:
        return "SHREDDED"


SHREDDED = _Shredded()


class RecordDamaged(Exception):
    """A stored value does not open: changed, moved to another row or field, or truncated.

    Names the row and field, never a value: safe to log.
    """

    def __init__(self, instance: models.Model, field: models.Field, reason: str) -> None:
        self.label = instance._meta.label
        self.pk = instance.pk
        self.field = field.name
        super().__init__(f"{self.label} {self.pk} field {self.field}: {reason}")


class OwnerKeyQuery(RuntimeWarning):
    """A stored row's data key was fetched with a query of its own: in a list, one query per row.

    An error in the test suite (pyproject's filterwarnings), a console warning under
    ``runserver``: load the rows with ``.with_keys(relation)`` or through their
    own ``VaultManager`` instead.
    """


def owner_key(instance: models.Model):  # type: ignore[no-untyped-def]
    """The DataKey that seals ``instance``'s fields, following ``VAULT_KEY``."""
    path: str = instance.VAULT_KEY  # type: ignore[attr-defined]
    if path == "organisation":
        return keys.organisation_key()
    target: Any = instance
    for part in path.split("__"):
        if not instance._state.adding and not target._meta.get_field(part).is_cached(target):
            warnings.warn(
                OwnerKeyQuery(
                    f"{instance._meta.label} {instance.pk}: its data key ({path}) is fetched by a query of its "
                    "own. Load these rows with Model.objects, or with .with_keys(relation) from the rows that "
                    "reach them."
                ),
                stacklevel=4,
            )
        parent, target = target, getattr(target, part)
        if target is None:
            if parent is not instance:
                raise ValueError(f"{instance._meta.label}: no data key at {path}")
            # A new owner: its key is made on first write, inside the same save.
            target = keys.new_data_key()
            setattr(instance, part, target)
    return target


def open_owner_key(instance: models.Model) -> crypto.OpenKey:
    """The open data key for ``instance``, once per row.

    Rows from ``VaultManager`` carry their key's columns as annotations (one
    join, no extra model objects); new rows follow ``VAULT_KEY``.
    """
    data = instance.__dict__
    key = data.get("_vault_key")
    if key is None:
        if data.get("_vk_id") is not None:
            key = keys.open_key_parts(data["_vk_id"], data["_vk_kek"], data["_vk_wrapped"])
        elif (owner := _owner_in_memory(instance)) is not None:
            key = open_owner_key(owner)  # a child of a loaded (or new) owner: its key, no query
        else:
            key = keys.open_key(owner_key(instance))
        data["_vault_key"] = key
    return key


def _owner_in_memory(instance: models.Model) -> models.Model | None:
    """The related row already in memory whose own key seals ``instance`` (a family member's case)."""
    head, _sep, rest = instance.VAULT_KEY.partition("__")  # type: ignore[attr-defined]
    if not rest:
        return None
    field = instance._meta.get_field(head)
    if not field.is_cached(instance):  # type: ignore[union-attr]
        return None
    owner = field.get_cached_value(instance)  # type: ignore[union-attr]
    return owner if owner is not None and getattr(owner, "VAULT_KEY", None) == rest else None


def _context(instance: models.Model, field: models.Field) -> bytes:
    # table|row id|column: a ciphertext opens only where it was written.
    row = instance.__dict__.get("_vault_row")
    if row is None:
        row = instance.__dict__["_vault_row"] = f"{instance._meta.db_table}|{instance.pk}|".encode()
    return row + field.column.encode()


class VaultDescriptor:
    """Opens a field's ciphertext the first time it is read, and remembers the plaintext."""

    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        data = instance.__dict__
        if name not in data:
            # A deferred column: fetch the ciphertext alone and open it with this row's
            # key (refresh_from_db would open it on a fresh copy, without the key at hand).
            raw = type(instance)._base_manager.filter(pk=instance.pk).values_list(name, flat=True).get()
            data[name] = self.field.from_db_value(raw, None, None)
        value = data[name]
        if not isinstance(value, Sealed):
            return value
        opened = data.setdefault("_vault_plain", {})
        if name not in opened:
            opened[name] = self.field.open(instance, value)
        return opened[name]

    def __set__(self, instance: models.Model, value: Any) -> None:
        data, name = instance.__dict__, self.field.attname
        # Changed means assigned in Python after loading (or a value given to a new
        # row): a ciphertext or an empty value set while the row loads is not.
        loading = name not in data and (isinstance(value, Sealed) or value in (None, self.field.empty_value))
        data[name] = value
        data.get("_vault_plain", {}).pop(name, None)
        if not loading and not isinstance(value, Sealed):
            data.setdefault("_vault_changed", set()).add(name)


class EncryptedField(models.Field):
    """Base of the encrypted fields: a bytea column, a plain value in Python and in forms."""

    empty_value: Any = None
    form_class: type[forms.Field] = forms.CharField
    descriptor_class = VaultDescriptor

    def __init__(self, *args: Any, blind_index: str = "", **kwargs: Any) -> None:
        if blind_index and blind_index not in CANONICAL_FORMS:
            raise ValueError(f"blind_index names a canonical form: one of {sorted(CANONICAL_FORMS)}")
        self.blind_index = blind_index
        kwargs["null"] = True  # empty is stored as NULL, whatever the type
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def deconstruct(self) -> Any:
        # blind_index is left out: its column is a field of its own in migrations.
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("null", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)  # installs VaultDescriptor
        if self.blind_index and not cls._meta.abstract:
            cls.add_to_class(f"{name}_index", BlindIndexField(sources=(name,), canonical=(self.blind_index,)))

    def get_internal_type(self) -> str:
        return "BinaryField"

    # Plaintext is never compared in SQL: only IS NULL can be asked of a column.
    def get_lookup(self, lookup_name: str) -> Any:
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self.empty_value if value is None else value

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None or value == self.empty_value:
            return None
        if not isinstance(value, Sealed):
            raise TypeError(f"{self.name}: only sealed values are written to the database")
        return connection.Database.Binary(bytes(value))

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        if value is SHREDDED:
            raise keys.ShreddedKey(f"{model_instance._meta.label} {model_instance.pk}")
        value = self.to_python(value)
        if value in self.empty_values:
            return None
        sealed = crypto.seal(open_owner_key(model_instance), self.to_bytes(value), _context(model_instance, self))
        model_instance.__dict__[self.attname] = sealed
        model_instance.__dict__.setdefault("_vault_plain", {})[self.attname] = value
        return sealed

    def open(self, instance: models.Model, sealed: Sealed) -> Any:
        try:
            key = open_owner_key(instance)
        except keys.ShreddedKey:
            return SHREDDED
        except crypto.Damaged as exc:
            raise RecordDamaged(instance, self, str(exc)) from None
        try:
            data = crypto.open_sealed(key, sealed, _context(instance, self))
            return self.from_bytes(data)
        except (crypto.Damaged, ValueError, UnicodeDecodeError) as exc:
            raise RecordDamaged(instance, self, str(exc)) from None

    def value_to_string(self, obj: models.Model) -> str:
        # Serialising (dumpdata) gives the ciphertext, never the plaintext.
        raw = obj.__dict__.get(self.attname)
        return base64.b64encode(raw).decode() if isinstance(raw, Sealed) else ""

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        defaults: dict[str, Any] = {"form_class": self.form_class}
        if self.max_length is not None and issubclass(self.form_class, forms.CharField):
            defaults["max_length"] = self.max_length
        return super().formfield(**{**defaults, **kwargs})

    def to_bytes(self, value: Any) -> bytes:
        raise NotImplementedError

    def from_bytes(self, data: bytes) -> Any:
        raise NotImplementedError


class EncryptedTextField(EncryptedField):
    """A short text (a name, a number, a place): give max_length."""

    empty_value = ""

    def to_python(self, value: Any) -> Any:
        if value is None or value is SHREDDED:
            return value
        return str(value)

    def to_bytes(self, value: Any) -> bytes:
        return value.encode()

    def from_bytes(self, data: bytes) -> Any:
        return data.decode()


class EncryptedLongTextField(EncryptedTextField):
    """A narrative or note: a text area in forms, 50,000 characters unless told otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 50_000)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"widget": forms.Textarea, **kwargs})


class EncryptedDateField(EncryptedField):
    form_class = forms.DateField

    def to_python(self, value: Any) -> Any:
        if value is None or value is SHREDDED or isinstance(value, datetime.date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            raise ValueError(f"{self.name}: not a date")
        return parsed

    def to_bytes(self, value: Any) -> bytes:
        return value.isoformat().encode()

    def from_bytes(self, data: bytes) -> Any:
        return datetime.date.fromisoformat(data.decode())


class EncryptedIntegerField(EncryptedField):
    form_class = forms.IntegerField

    def to_python(self, value: Any) -> Any:
        if value is None or value is SHREDDED:
            return value
        return int(value)

    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode()

    def from_bytes(self, data: bytes) -> Any:
        return int(data)


class EncryptedBooleanField(EncryptedField):
    """Yes, no, or not known (empty): a three-way choice in forms."""

    form_class = forms.NullBooleanField

    def to_python(self, value: Any) -> Any:
        if value is None or value is SHREDDED or isinstance(value, bool):
            return value
        return {"true": True, "1": True, "false": False, "0": False}.get(str(value).lower())

    def to_bytes(self, value: Any) -> bytes:
        return b"1" if value else b"0"

    def from_bytes(self, data: bytes) -> Any:
        if data not in (b"0", b"1"):
            raise ValueError("not a boolean")
        return data == b"1"

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"required": False, **kwargs})


class EncryptedJSONField(EncryptedField):
    """Lists and small documents (aliases, languages). JSON only: nothing is ever unpickled."""

    form_class = forms.JSONField
    empty_values = [None]  # an empty list or object is a value

    def to_python(self, value: Any) -> Any:
        return value

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)


class OwnerKeyField(models.OneToOneField):
    """The owner's data key; made on first save. Destroying it shreds the owner."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("to", "vault.DataKey")
        kwargs.setdefault("on_delete", models.PROTECT)
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        if getattr(model_instance, self.attname) is None:
            setattr(model_instance, self.name, keys.new_data_key())
        return super().pre_save(model_instance, add)


def blind_index_bits() -> int:
    return int(settings.BLIND_INDEX_BITS)


def _index_key(model: type[models.Model], index_name: str) -> bytes:
    # One key per index (domain separation), derived from the keyring's blind-index key.
    info = f"haven.blind-index|{model._meta.db_table}|{index_name}".encode()
    return _derive_index_key(settings.KEYRING.blind_index_key, info)


@functools.lru_cache(maxsize=64)
def _derive_index_key(blind_index_key: bytes, info: bytes) -> bytes:
    # Cached: rebuilding 100,000 rows' tags would otherwise run HKDF 200,000 times.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(blind_index_key)


def _canonical_date(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value).strip()


def _canonical_name(value: Any) -> str:
    from vault.normalise import canonical_name  # ICU loads on first use, not at start-up

    return canonical_name(str(value))


def _canonical_identifier(value: Any) -> str:
    from vault.normalise import canonical_identifier

    return canonical_identifier(str(value))


# The canonical forms a blind index may declare for a source (vault/normalise.py).
CANONICAL_FORMS = {"name": _canonical_name, "identifier": _canonical_identifier, "date": _canonical_date}


def canonical(form: str, value: Any) -> str:
    """``value`` in canonical ``form`` ("name", "identifier" or "date"): a str, "" when empty."""
    return CANONICAL_FORMS[form](value)


def blind_tag(model: type[models.Model], index_name: str, values: list[Any]) -> int | None:
    """The truncated HMAC of the values in their index's canonical forms, or None when one is empty.

    ``values`` are in the order of the index's sources; ValueError if their number differs.
    """
    forms = model._meta.get_field(index_name).canonical  # type: ignore[union-attr]
    if len(values) != len(forms):
        raise ValueError(f"{model._meta.label}.{index_name} takes {len(forms)} values")
    if any(value is None or value is SHREDDED for value in values):
        return None
    normalised = [canonical(form, value) for form, value in zip(forms, values, strict=True)]
    if not all(normalised):  # empty, or only spaces and invisible characters
        return None
    message = "\x1f".join(normalised).encode()
    digest = hmac.new(_index_key(model, index_name), message, hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - blind_index_bits())


class BlindIndexField(models.IntegerField):
    """A truncated keyed hash of one or more encrypted fields, for exact-match lookups only.

    Truncated on purpose: each tag matches several records, so a tag does not
    fingerprint a person; matches are confirmed by decrypting the candidates.
    """

    def __init__(
        self, *args: Any, sources: tuple[str, ...] = (), canonical: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        self.sources = tuple(sources)
        self.canonical = tuple(canonical)
        if len(self.canonical) != len(self.sources) or not set(self.canonical) <= set(CANONICAL_FORMS):
            raise ValueError(f"canonical: one of {sorted(CANONICAL_FORMS)} for each source")
        kwargs.update(null=True, editable=False, db_index=True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for key in ("null", "editable", "db_index"):
            kwargs.pop(key, None)
        kwargs["sources"] = self.sources
        kwargs["canonical"] = self.canonical
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        changed = model_instance.__dict__.get("_vault_changed", set())
        attnames = {model_instance._meta.get_field(source).attname for source in self.sources}  # type: ignore[union-attr]
        if not add and not changed & attnames:
            return getattr(model_instance, self.attname)  # sources unchanged since loaded
        tag = blind_tag(type(model_instance), self.name, [getattr(model_instance, source) for source in self.sources])
        setattr(model_instance, self.attname, tag)
        return tag


def _related_owner(model: type[models.Model], relation: str) -> type[models.Model]:
    current: Any = model
    for part in relation.split("__"):
        try:
            field = current._meta.get_field(part)
        except Exception:
            field = None
        if field is None or not (field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete):
            current = None
            break
        current = field.related_model
    if not hasattr(current, "VAULT_KEY"):
        raise ValueError(f"{model._meta.label}: {relation!r} is not a relation to a model with encrypted fields")
    return current  # type: ignore[no-any-return]


class _RowsWithOwnerKeys(ModelIterable):
    """Rows as usual; each related owner named in ``with_keys`` gets its key columns."""

    def __iter__(self) -> Any:
        relations = self.queryset._vault_relations  # type: ignore[attr-defined]
        for row in super().__iter__():
            data = row.__dict__
            for n, relation in enumerate(relations):
                columns = {name: data.pop(f"_vkr{n}{name}", None) for name in ("_vk_id", "_vk_kek", "_vk_wrapped")}
                owner: Any = row
                for part in relation.split("__"):
                    owner = getattr(owner, part) if owner is not None else None  # joined: no query
                if owner is not None and columns["_vk_id"] is not None:
                    owner.__dict__.update(columns)
            yield row


class VaultQuerySet(models.QuerySet):
    _vault_relations: tuple[str, ...] = ()

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._vault_relations = self._vault_relations
        return clone  # type: ignore[no-any-return]

    def with_keys(self, *relations: str) -> Self:
        """Join the owners named by ``relations`` and load their data keys in the same query.

        ``Note.objects.with_keys("case")`` is ``select_related("case")`` that also
        brings the case's key columns, so ``[note.case.full_name for note in ...]``
        is one query for any number of rows. A relation path ("referral__case")
        works too. Raises ValueError for a relation that does not lead to a model
        with encrypted fields. Without it, reading a joined owner's values costs a
        query per row and warns (``OwnerKeyQuery``).
        """
        from vault.models import DataKey

        clone = self.select_related(*relations)
        for relation in relations:
            owner = _related_owner(self.model, relation)
            path: str = owner.VAULT_KEY  # type: ignore[attr-defined]
            if path == "organisation":
                continue  # one key for all, remembered per request
            prefix = f"_vkr{len(clone._vault_relations)}"
            key_id = models.F(f"{relation}__{path}__id" if "__" in path else f"{relation}__{path}_id")
            keys_row = DataKey.objects.filter(pk=models.OuterRef(f"{prefix}_vk_id"))
            clone = clone.annotate(**{f"{prefix}_vk_id": key_id}).annotate(
                **{
                    f"{prefix}_vk_kek": models.Subquery(keys_row.values("kek_id")[:1]),
                    f"{prefix}_vk_wrapped": models.Subquery(keys_row.values("wrapped")[:1]),
                }
            )
            clone._vault_relations = (*clone._vault_relations, relation)
        if clone._iterable_class is ModelIterable:
            clone._iterable_class = _RowsWithOwnerKeys
        return clone

    def matching(self, **values: Any) -> list[Any]:
        """Rows whose encrypted fields equal ``values`` in the index's canonical forms.

        Looks up the blind index over exactly these fields, then opens each
        candidate to drop the other members of its bucket.
        """
        index = next(
            (
                field
                for field in self.model._meta.get_fields()
                if isinstance(field, BlindIndexField) and set(field.sources) == set(values)
            ),
            None,
        )
        if index is None:
            raise ValueError(f"{self.model._meta.label} has no blind index over {sorted(values)}")
        ordered = [values[source] for source in index.sources]
        tag = blind_tag(self.model, index.name, ordered)
        if tag is None:
            return []
        pairs = list(zip(index.canonical, index.sources, strict=True))
        wanted = [canonical(form, values[source]) for form, source in pairs]
        return [
            row
            for row in self.defer(None).filter(**{index.name: tag})  # sources loaded with the rows
            if [canonical(form, getattr(row, source)) for form, source in pairs] == wanted
        ]


class VaultManager(models.Manager.from_queryset(VaultQuerySet)):  # type: ignore[misc]
    """Loads each row's data key in the same query: no query per row when values are opened."""

    def get_queryset(self) -> Any:
        return _with_own_key(super().get_queryset())


def _with_own_key(queryset: Any) -> Any:
    """``queryset`` with each row's data key columns as annotations (``_vk_id``, ``_vk_kek``, ``_vk_wrapped``)."""
    path = queryset.model.VAULT_KEY
    if path == "organisation":
        return queryset
    # The key's columns ride along as annotations: cheaper than select_related's
    # model objects. For an owner they are subqueries on the key's primary key,
    # run only for the rows fetched: count() drops them instead of joining every row.
    from vault.models import DataKey

    key_id = models.F(f"{path}__id" if "__" in path else f"{path}_id")
    keys_row = DataKey.objects.filter(pk=models.OuterRef("_vk_id"))
    return queryset.annotate(_vk_id=key_id).annotate(
        _vk_kek=models.Subquery(keys_row.values("kek_id")[:1]),
        _vk_wrapped=models.Subquery(keys_row.values("wrapped")[:1]),
    )


class VaultModel(models.Model):
    """Base for models with encrypted fields: uses ``VaultManager``.

    Each concrete model declares ``VAULT_KEY`` itself (there is no default:
    vault.checks fails start-up without it).
    """

    VAULT_KEY: str

    objects = VaultManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save as Django does; a blind index is written whenever one of its sources is.

        ``save(update_fields=["service_number"])``, and the save of a row loaded
        with ``only()``, would otherwise leave the index tag of the old value:
        search and duplicate checks would find neither the old nor the new one.
        """
        update_fields = kwargs.get("update_fields")
        if update_fields is None and not kwargs.get("force_insert") and not self._state.adding:
            deferred = self.get_deferred_fields()
            if deferred:  # Django would save the loaded columns only: name them, with their indexes
                fields = self._meta.concrete_fields
                loaded = [f.attname for f in fields if not f.primary_key and f.attname not in deferred]
                update_fields = loaded or None
        if update_fields is not None:
            kwargs["update_fields"] = with_blind_indexes(type(self), update_fields)
        super().save(*args, **kwargs)

    def refresh_from_db(self, using: str | None = None, fields: Any = None, from_queryset: Any = None) -> None:
        """Django's, with the data key read in the same query; refreshed values do not count as changed."""
        if from_queryset is None:
            from_queryset = _with_own_key(type(self)._base_manager.db_manager(using, hints={"instance": self}).all())
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)
        data = self.__dict__
        encrypted = {f.attname for f in self._meta.concrete_fields if isinstance(f, EncryptedField)}
        refreshed = encrypted if fields is None else encrypted & set(fields)
        data.get("_vault_changed", set()).difference_update(refreshed)
        if any(data.get(name) is SHREDDED for name in refreshed):
            data.pop("_vault_key", None)  # shredded since it was loaded: never seal with the old key

    @classmethod
    def refresh_index_rows(cls, rows: list[Any]) -> None:
        """Recompute the blind-index tags ``rows`` keep in other tables (one per alias, say).

        ``rebuild_blind_indexes`` calls it for each batch, inside the batch's
        transaction; a model with such a table overrides it.
        """

    @classmethod
    def forget_index_rows(cls, key_ids: list[Any]) -> None:
        """Delete the blind-index tags kept in other tables by rows sealed with these data keys.

        ``vault.services.shred_data_keys`` (shredding, and a restore's shred list) calls it.
        """

    @classmethod
    def mark_shredded(cls, key_ids: list[Any], when: Any) -> None:
        """Record on the rows that own these data keys that they are shredded (a case's status, say).

        ``vault.services.shred_data_keys`` calls it in the same transaction, so a live
        shred and a restore re-applying a shred list leave the rows alike; an owner
        model with such state overrides it.
        """


def with_blind_indexes(model: type[models.Model], update_fields: Any) -> list[str]:
    """``update_fields`` and the blind indexes over any of them (field names or attnames)."""
    names = set(update_fields)
    named = {
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedField) and (field.name in names or field.attname in names)
    }
    indexes = [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, BlindIndexField) and named & set(field.sources) and field.name not in names
    ]
    return [*update_fields, *indexes]


def is_shredded(instance: models.Model) -> bool:
    """Whether the data key sealing ``instance`` was destroyed (no query for a row from VaultManager)."""
    data = instance.__dict__
    if "_vault_key" in data:
        return False
    if data.get("_vk_id") is not None:
        return data["_vk_wrapped"] is None
    owner = _owner_in_memory(instance)
    if owner is not None:
        return is_shredded(owner)
    return bool(owner_key(instance).is_shredded)


def state(instance: models.Model, field_name: str) -> str:
    """'value', 'empty', 'shredded' or 'damaged': for templates and checks that must not raise."""
    try:
        value = getattr(instance, field_name)
    except RecordDamaged:
        return "damaged"
    if value is SHREDDED:
        return "shredded"
    return "empty" if value in (None, "", [], {}) else "value"
