"""``{% vault_value instance "field" %}``: any encrypted value, shown in its four states.

A value (booleans as Yes/No, dates as YYYY-MM-DD, lists joined), empty ("Not
recorded"), shredded ("Shredded") or damaged ("Damaged", and recorded in the audit trail: which is why this
library lives in ``audit``, which may import the vault, and not the other way). A shredded
or damaged value is never shown as a false fact: ``SHREDDED`` is falsy, so
``yesno`` or ``default`` would turn it into "No" or "—".
"""

from __future__ import annotations

import datetime
from typing import Any

from django import template
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from audit.middleware import record_damage
from vault.fields import SHREDDED, EncryptedField, RecordDamaged, is_shredded

register = template.Library()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item}" for key, item in value.items())
    return str(value)


@register.simple_tag(takes_context=True)
def vault_value(context: template.Context, instance: models.Model, field_name: str) -> str | SafeString:
    """The field's value as escaped text, or a labelled state; ValueError for a field that is not encrypted."""
    field = instance._meta.get_field(field_name)
    if not isinstance(field, EncryptedField):
        raise ValueError(f"{instance._meta.label}.{field_name} is not an encrypted field")
    try:
        value = getattr(instance, field_name)
    except RecordDamaged as damage:
        record_damage(context.get("request"), damage)
        return format_html('<span class="badge badge--danger">{}</span>', _("Damaged"))
    empty = value is None or value == "" or value == [] or value == {}
    # A field left empty before its owner was shredded reads as shredded too: the record as a whole is gone.
    if value is SHREDDED or (empty and is_shredded(instance)):
        return format_html('<span class="badge badge--muted">{}</span>', _("Shredded"))
    if empty:
        return format_html('<span class="muted">{}</span>', _("Not recorded"))
    return _text(value)  # escaped by simple_tag
