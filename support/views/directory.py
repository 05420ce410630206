"""The provider directory and the shelters: supervisors maintain them, caseworkers search them."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.decorators import role_required
from accounts.http import AuthenticatedRequest
from accounts.models import User
from defectors.models import Case
from support import services
from support.forms import ProviderForm, ProviderSearchForm, ShelterForm
from support.models import PACKET_FIELDS, Provider, ServiceType, Shelter


@role_required(*User.CASE_ROLES)
def providers(request: AuthenticatedRequest) -> HttpResponse:
    form = ProviderSearchForm(request.GET or None)
    found = Provider.objects.offering(**form.cleaned_data) if form.is_valid() else Provider.objects.filter(active=True)
    if not form.is_bound:
        found = Provider.objects.all() if request.user.role == User.Role.SUPERVISOR else found
    # What each service type receives in a referral packet: part of the directory.
    packet = [
        (label, [Case._meta.get_field(name).verbose_name for name in PACKET_FIELDS[code]])  # type: ignore[union-attr]
        for code, label in ServiceType.choices
    ]
    context = {
        "form": form,
        "providers": found,
        "packet": packet,
        "can_edit": request.user.role == User.Role.SUPERVISOR,
    }
    return render(request, "support/providers.html", context)


@role_required(User.Role.SUPERVISOR)
def provider_edit(request: AuthenticatedRequest, pk: uuid.UUID | None = None) -> HttpResponse:
    provider = get_object_or_404(Provider, pk=pk) if pk else None
    form = ProviderForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        services.save_provider(provider=form.save(commit=False), by=request.user, token=form.cleaned_data.get("token"))
        messages.success(request, _("Provider saved."))
        return redirect("support:providers")
    return render(request, "support/provider_edit.html", {"form": form, "provider": provider})


@role_required(*User.CASE_ROLES)
def shelters(request: AuthenticatedRequest) -> HttpResponse:
    rows = Shelter.objects.with_occupancy()
    if request.user.role != User.Role.SUPERVISOR:
        rows = rows.filter(active=True)
    context = {"shelters": rows, "can_edit": request.user.role == User.Role.SUPERVISOR}
    return render(request, "support/shelters.html", context)


@role_required(User.Role.SUPERVISOR)
def shelter_edit(request: AuthenticatedRequest, pk: uuid.UUID | None = None) -> HttpResponse:
    shelter = get_object_or_404(Shelter, pk=pk) if pk else None
    form = ShelterForm(request.POST or None, instance=shelter)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_shelter(
                shelter=form.save(commit=False), by=request.user, token=form.cleaned_data.get("token")
            )
        except ValidationError as error:
            form.add_error("beds", error)
        else:
            messages.success(request, _("Shelter saved."))
            return redirect("support:shelters")
    return render(request, "support/shelter_edit.html", {"form": form, "shelter": shelter})
