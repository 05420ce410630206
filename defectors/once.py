"""One-time tokens: a form that adds a row, sent twice (a double click, a retried post on a slow
link), writes one row.

The form carries a hidden token, new each time it is shown (OneTimeTokenMixin); the row keeps it
in a unique ``token`` column. A service asks already_sent before writing and saves with save_once.
Used by defectors and support alike; both apps may import defectors.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from defectors.models import Case

# Said when a form that creates a row comes back without the token its page carried, or with a
# broken one: a page from before tokens, a hand-made post. Nothing was written.
EXPIRED = _("This form has expired or was not sent from Haven. Check what it says and save it again.")


class OneTimeTokenMixin(forms.Form):
    """A hidden token, new each time the form is shown: the same form sent twice writes one row
    (already_sent). Required: without it nothing is written. A ModelForm that edits an existing
    row has no token.

    The field is hidden, so its error is the form's (one plain sentence, not "(Hidden field
    token) ..."), and the form comes back with a fresh token: saving it again works.
    """

    token = forms.UUIDField(
        widget=forms.HiddenInput, initial=uuid.uuid4, error_messages={"required": EXPIRED, "invalid": EXPIRED}
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and not instance._state.adding:
            del self.fields["token"]  # editing a row writes no new one

    def clean(self) -> dict[str, Any]:
        if "token" in self.errors:
            self.add_error(None, self.errors.pop("token").as_data())
            data: Any = self.data  # a QueryDict, immutable: the form comes back from a copy
            self.data = data = data.copy()
            data[self.add_prefix("token")] = str(uuid.uuid4())
        return super().clean() or {}


Row = TypeVar("Row", bound=models.Model)


def already_sent(
    model: type[Row], *, token: uuid.UUID | None, case: Case, by: User, creator: str = "created_by"
) -> Row | None:
    """The row an earlier post of the same form wrote, or None for a new token.

    ``creator`` names the row's field that holds who wrote it. A token known from another case
    or another person is refused (PermissionDenied): it must not be a way to reach their row.
    """
    if token is None:
        return None
    sent = model._default_manager.filter(token=token).first()
    if sent is not None and (sent.serializable_value("case") != case.pk or sent.serializable_value(creator) != by.pk):
        raise PermissionDenied
    return sent


def save_once(row: Row, *, case: Case, by: User, creator: str = "created_by") -> Row:
    """Save a new row carrying the form's token; when the same token won a race from a second
    tab a moment earlier, answer with that row instead (the caller then writes nothing more)."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        token = row.serializable_value("token")
        if token is None:
            raise
        raced = type(row)._default_manager.filter(token=token, case=case, **{creator: by}).first()
        if raced is None:
            raise PermissionDenied from None
        return raced
    return row
