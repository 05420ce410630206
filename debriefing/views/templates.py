"""Interview templates: list, XLSForm import and export, preview, publish, retire (supervisors)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from debriefing import preview, services
from debriefing.access import get_template_for_user
from debriefing.forms import ImportForm
from debriefing.models import DebriefTemplate
from debriefing.xlsform import XLSFormError, export_xlsform, summary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@role_required(User.Role.SUPERVISOR)
def template_list(request: AuthenticatedRequest) -> HttpResponse:
    """The templates; a POST imports an XLSForm as a draft, or lists every row it refuses."""
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            template, imported = services.import_template(data=form.cleaned_data["xlsform"], by=request.user)
        except XLSFormError as error:
            problems = error.problems
        except ValidationError as error:
            problems = error.messages
        else:
            message = _("Imported as draft version %(version)s: %(summary)s.") % {
                "version": template.version,
                "summary": summary(template.structure),
            }
            published = (
                DebriefTemplate.objects.filter(
                    name=template.name, status=DebriefTemplate.Status.PUBLISHED, version__lt=template.version
                )
                .order_by("-version")
                .first()
            )
            if published is not None:  # a new draft changes nothing yet: say so, or it looks as if it did
                message += " " + _(
                    "Version %(published)s stays published: debriefs already scheduled keep using it, and no "
                    "debrief uses this draft until it is published."
                ) % {"published": published.version}
            messages.success(request, message)
            for warning in imported.warnings:
                messages.warning(request, warning)
            return redirect("debriefing:templates")
    context = {"templates": DebriefTemplate.objects.all(), "form": form, "problems": problems}
    return render(request, "debriefing/templates.html", context, status=400 if problems else 200)


@role_required(User.Role.SUPERVISOR)
@require_GET
def template_xlsform(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    template = get_template_for_user(request.user, pk)
    content = export_xlsform(name=template.name, version=template.version, structure=template.structure)
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="template-{template.pk}-v{template.version}.xlsx"'
    return response


@role_required(User.Role.SUPERVISOR)
@require_GET
def template_preview(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The template as its debriefer will see it, read-only, in each of its languages (``?lang=``)."""
    template = get_template_for_user(request.user, pk)
    codes = preview.languages(template.structure)
    wanted = request.GET.get("lang", "")
    current = translation.get_language() or ""
    default = str(template.structure.get("default_language") or "en")
    language = next((code for code in (wanted, current, default) if code in codes), codes[0] if codes else "")
    context = {
        "template": template,
        "language": language,
        "languages": [(code, preview.language_name(code)) for code in codes],
        "sections": preview.sections(template.structure, language=language),
    }
    return render(request, "debriefing/template_preview.html", context)


@role_required(User.Role.SUPERVISOR)
@require_POST
def publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    template = get_template_for_user(request.user, pk)
    try:
        services.publish_template(template=template, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(template)s is published: it can no longer be changed, and debriefs can be scheduled with it.")
            % {"template": template},
        )
    return redirect("debriefing:templates")


@role_required(User.Role.SUPERVISOR)
@require_POST
def retire(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    template = get_template_for_user(request.user, pk)
    try:
        services.retire_template(template=template, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("debriefing:templates")
