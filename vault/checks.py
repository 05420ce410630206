"""System checks: a model whose encrypted values could never be read again fails at start-up.

Both traps fail silently at run time, so they are caught when Django starts:

- vault.E001: the primary key must be a UUIDField with a callable default. The
  row id is bound into every ciphertext's associated data when the row is
  sealed, before the INSERT; an id the database makes is still ``None`` then.
- vault.E002: ``VAULT_KEY`` must be declared by the model (or an ancestor
  other than ``VaultModel``): a default would silently point at a field that
  may not exist.
- vault.E003: ``VAULT_KEY`` must be ``"organisation"`` or a path of forward
  relations whose last hop is an ``OwnerKeyField`` (or a relation to
  ``vault.DataKey``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core import checks
from django.db import models

from vault.fields import EncryptedField, VaultModel


def _has_encrypted_fields(model: type[models.Model]) -> bool:
    return any(isinstance(field, EncryptedField) for field in model._meta.concrete_fields)


def _declared_vault_key(model: type[models.Model]) -> str | None:
    """``VAULT_KEY`` as the model or one of its ancestors (never ``VaultModel``) declares it."""
    for klass in model.__mro__:
        if klass is VaultModel:
            return None
        if "VAULT_KEY" in vars(klass):
            return vars(klass)["VAULT_KEY"]  # type: ignore[no-any-return]
    return None


def _is_data_key(model: Any) -> bool:
    return isinstance(model, type) and issubclass(model, models.Model) and model._meta.label == "vault.DataKey"


def _path_error(model: type[models.Model], path: str) -> str | None:
    """Why ``path`` does not lead from ``model`` to a data key, or None when it does."""
    current: Any = model
    parts = path.split("__")
    for n, part in enumerate(parts):
        try:
            field = current._meta.get_field(part)
        except Exception:  # FieldDoesNotExist, or an unresolved model given as a string
            return f"{current.__name__ if isinstance(current, type) else current} has no field {part!r}"
        if not (field.is_relation and (field.many_to_one or field.one_to_one) and field.concrete):
            return f"{part!r} is not a foreign key or one-to-one field"
        current = field.related_model
        if n == len(parts) - 1 and not _is_data_key(current):
            return f"{part!r} is not a data key (an OwnerKeyField)"
    return None


def check_model(model: type[models.Model]) -> list[checks.CheckMessage]:
    """The vault.E001-E003 errors of one model; none for a model without encrypted fields."""
    if model._meta.abstract or model._meta.proxy or not _has_encrypted_fields(model):
        return []
    errors: list[checks.CheckMessage] = []
    pk = model._meta.pk
    if not (isinstance(pk, models.UUIDField) and pk.has_default() and callable(pk.default)):
        errors.append(
            checks.Error(
                "A model with encrypted fields needs a UUID primary key generated in Python.",
                hint="Declare id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False): "
                "the row id is sealed into each value before the first INSERT.",
                obj=model,
                id="vault.E001",
            )
        )
    path = _declared_vault_key(model)
    if path is None:
        errors.append(
            checks.Error(
                "A model with encrypted fields must name its data key.",
                hint='Declare VAULT_KEY = "data_key" (an OwnerKeyField on this model), '
                '"<relation>__data_key" (its owner\'s key) or "organisation".',
                obj=model,
                id="vault.E002",
            )
        )
    elif path != "organisation":
        problem = _path_error(model, path)
        if problem is not None:
            errors.append(
                checks.Error(
                    f"VAULT_KEY = {path!r} does not lead to a data key: {problem}.",
                    hint="Follow foreign keys with '__' and end on an OwnerKeyField, "
                    'e.g. "case__data_key"; or use "organisation".',
                    obj=model,
                    id="vault.E003",
                )
            )
    return errors


@checks.register(checks.Tags.models)
def check_vault_models(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check_model`` for every installed model (or those of ``app_configs``)."""
    if app_configs is None:
        candidates = apps.get_models()
    else:
        candidates = [model for app_config in app_configs for model in app_config.get_models()]
    return [message for model in candidates for message in check_model(model)]
