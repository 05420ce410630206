"""Navigation entries and role home pages, contributed by each app's AppConfig.

An app declares what it offers, and accounts collects it without naming the app::

    class SupportConfig(AppConfig):
        nav = [NavEntry("support:dashboard", _("Referrals"), roles={Role.CASEWORKER})]
        home = {Role.CASEWORKER: "support:dashboard"}

Entries appear in INSTALLED_APPS order, then in the order the app lists them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavEntry:
    """One link in the main navigation: a URL name (no arguments), its label, and who sees it."""

    url_name: str
    label: str | Promise
    roles: Collection[str]

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(self.roles))


def nav_entries(role: str) -> list[NavEntry]:
    """The entries every installed app offers to ``role``, in order; [] for an unknown role."""
    return [entry for config in apps.get_app_configs() for entry in getattr(config, "nav", ()) if role in entry.roles]


def role_home(role: str) -> str | None:
    """The URL name of ``role``'s home page, or None when no app gives it one.

    Raises ImproperlyConfigured when two apps claim the same role's home.
    """
    declared: list[dict[str, str]] = [getattr(config, "home", {}) for config in apps.get_app_configs()]
    homes = [home[role] for home in declared if role in home]
    if len(homes) > 1:
        raise ImproperlyConfigured(f"more than one app declares the home page of role '{role}': {homes}")
    return homes[0] if homes else None
