"""The form renderer: Django's own templates, with the commonest ones written out in Python.

Every form field on a page goes through four or five small templates (the field group, the
label, the empty error list, the widget, and one per <option> of a select). Rendered by the
template engine they were most of a page's time under load: the case support page renders
eight forms. This renderer produces the same characters for those templates (tests/test_form_renderer.py
compares it with Django's renderer on every form of the project, blank and with errors) and
hands anything else to Django's renderer: other templates, a widget or option with a template
of its own, a label or value that is not text (the template engine would localise a number).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

INPUT = "django/forms/widgets/input.html"
SELECT_OPTION = "django/forms/widgets/select_option.html"
# The widget templates that are nothing but {% include "django/forms/widgets/input.html" %}.
INPUTS = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
        "search", "tel", "color", "checkbox",
    )
)  # fmt: skip


class Fallback(Exception):
    """A value the template engine would treat otherwise than plain text: let it render."""


def _text(value: Any) -> str:
    """``{{ value }}`` for a text value."""
    if not isinstance(value, str | Promise):
        raise Fallback
    return conditional_escape(value)  # type: ignore[arg-type] # a lazy translation is a Promise


def _s(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: stringformat is a safe filter, so safe input stays unescaped."""
    if isinstance(value, tuple):
        value = str(value)
    formatted = "%s" % value  # noqa: UP031 (the filter's own formatting)
    return formatted if isinstance(value, SafeData) else escape(formatted)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html (and django/forms/attrs.html)."""
    return "".join(
        f" {_text(name)}" + ("" if value is True else f'="{_s(value)}"')
        for name, value in (attrs or {}).items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{_s(value)}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'


def _option(option: Mapping[str, Any]) -> str:
    if option.get("template_name") != SELECT_OPTION:
        raise Fallback
    return f'<option value="{_s(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>'


def _select(widget: Mapping[str, Any]) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            # The included option template ends with a newline of its own.
            parts.append(f"\n  {_option(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    text = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{text}</textarea>'


def _label(context: Mapping[str, Any]) -> str:
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return label
    tag = _text(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>"


def _errors(context: Mapping[str, Any]) -> str:
    if context["errors"]:
        raise Fallback  # rare: each error is rendered the template's way
    return ""


def _field(context: Mapping[str, Any]) -> str:
    field = context["field"]
    if field.use_fieldset:
        described = field.aria_describedby
        head = "\n  <fieldset" + (f' aria-describedby="{_text(described)}"' if described else "") + ">\n  "
        head += (conditional_escape(field.legend_tag()) if field.label else "") + "\n"
    else:
        head = "\n  " + (conditional_escape(field.label_tag()) if field.label else "") + "\n"
    help_text = ""
    if field.help_text:
        where = f' id="{_text(field.auto_id)}_helptext"' if field.auto_id else ""
        help_text = f'<div class="helptext"{where}>{field.help_text}</div>'
    tail = "</fieldset>" if field.use_fieldset else ""
    return f"{head}\n{help_text}\n{conditional_escape(field.errors)}\n{conditional_escape(field)}{tail}\n"


def _widget(render: Callable[[Mapping[str, Any]], str]) -> Callable[[Mapping[str, Any]], str]:
    return lambda context: render(context["widget"])


FAST: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{name: _widget(_input) for name in INPUTS},
    "django/forms/widgets/select.html": _widget(_select),
    SELECT_OPTION: _widget(_option),
    "django/forms/widgets/textarea.html": _widget(_textarea),
    "django/forms/label.html": _label,
    "django/forms/errors/list/default.html": _errors,
    "django/forms/errors/list/ul.html": _errors,
    "django/forms/field.html": _field,
}


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER: Django's templates, the commonest written out (same output)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        fast = FAST.get(template_name)
        if fast is not None:
            try:
                return fast(context).strip()
            except Fallback:
                pass
        return super().render(template_name, context, request)
