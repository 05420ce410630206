from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.home, name="home"),
    path("people/", views.people, name="people"),
    path("people/invite/", views.invite, name="invite"),
    path("people/invitation-link/", views.invitation_link, name="invitation_link"),
    path("people/<username:username>/", views.person, name="person"),
    path("people/<username:username>/role/", views.change_role, name="change_role"),
    path("people/<username:username>/deactivate/", views.deactivate, name="deactivate"),
    path("people/<username:username>/reinvite/", views.reinvite, name="reinvite"),
    path("people/<username:username>/suspend/", views.suspend, name="suspend"),
    path("people/<username:username>/lift-suspension/", views.lift_suspension, name="lift_suspension"),
    path("people/approvals/<int:pk>/", views.role_request, name="role_request"),
    path("people/approvals/<int:pk>/decide/", views.decide_role_request, name="decide_role_request"),
    path("people/approvals/<int:pk>/withdraw/", views.withdraw_role_request, name="withdraw_role_request"),
    path("brakes/", views.brakes, name="brakes"),
    path("brakes/<int:pk>/lift/", views.lift_brake, name="lift_brake"),
    path("invitation/", views.accept_invitation, name="accept_invitation"),
    path("accounts/sessions/", views.sessions, name="sessions"),
    path("exit/", views.quick_exit, name="quick_exit"),
    path("stay-signed-in/", views.stay_signed_in, name="stay_signed_in"),
]
