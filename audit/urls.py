from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("brakes/", views.brakes, name="brakes"),
    path("brakes/<int:pk>/lift/", views.lift_brake, name="lift_brake"),
]
