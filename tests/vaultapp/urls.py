"""A page that shows a Person, for testing how the vault behaves inside a request."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from config.urls import urlpatterns as haven_urlpatterns
from tests.vaultapp.models import Person


def show(request: HttpRequest, pk: str) -> HttpResponse:
    person = get_object_or_404(Person, pk=pk)
    return HttpResponse(f"{person.full_name} / {person.narrative}")


urlpatterns = [path("person/<uuid:pk>/", show), *haven_urlpatterns]
