"""URL configuration.

allauth's account URLs are included one by one: sign-up, email management and
password reset by email do not exist in Haven. Every view here is classified in
tests/test_access.py; a new one that is not fails the suite.
"""

from allauth.account import views as account_views
from django.urls import include, path, register_converter

from accounts.converters import UsernameConverter
from accounts.views import remove_webauthn
from defectors.converters import CaseCodeConverter

# Path values that name an object are typed: one that cannot be valid answers 404
# before any view or query sees it (tests/test_access.py walks them). Registered
# here, before any app's URLs, so every app can use them.
register_converter(CaseCodeConverter, "case_code")
register_converter(UsernameConverter, "username")

# PostgreSQL or Redis down, wherever the exception was raised: a 503 naming it (health/unavailable.py).
handler500 = "health.views.server_error"

urlpatterns = [
    path("", include("health.urls")),
    path("", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("cases/", include("defectors.urls")),
    path("backups/", include("backups.urls")),
    path("support/", include("support.urls")),
    path("debriefing/", include("debriefing.urls")),
    path("reports/", include("reporting.urls")),
    path("accounts/login/", account_views.login, name="account_login"),
    path("accounts/logout/", account_views.logout, name="account_logout"),
    path("accounts/inactive/", account_views.account_inactive, name="account_inactive"),
    path("accounts/reauthenticate/", account_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/password/change/", account_views.password_change, name="account_change_password"),
    # Before allauth's own: refuses to remove the last security key.
    path("accounts/2fa/webauthn/keys/<int:pk>/remove/", remove_webauthn, name="mfa_remove_webauthn"),
    path("accounts/2fa/", include("allauth.mfa.urls")),
]
