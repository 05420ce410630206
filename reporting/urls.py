from django.urls import path

from reporting import views

app_name = "reporting"
urlpatterns = [
    # Donors (and the staff who publish, to see exactly what donors see).
    path("", views.published, name="published"),
    path("<uuid:pk>/", views.report, name="report"),
    path("<uuid:pk>/<slug:table>.csv", views.table_csv, name="csv"),
    # Supervisors and administrators: computing, reviewing and publishing.
    path("manage/", views.snapshots, name="snapshots"),
    path("manage/start/", views.start, name="start"),
    path("manage/<uuid:pk>/", views.review, name="review"),
    path("manage/<uuid:pk>/propose/", views.propose, name="propose"),
    path("manage/<uuid:pk>/approve/", views.approve, name="approve"),
    path("manage/<uuid:pk>/reject/", views.reject, name="reject"),
    path("manage/<uuid:pk>/withdraw/", views.withdraw, name="withdraw"),
]
