from django.urls import path

from debriefing.views import sessions, templates

app_name = "debriefing"
urlpatterns = [
    path("", sessions.home, name="home"),
    path("schedule/", sessions.schedule, name="schedule"),
    path("export/<slug:fmt>/", sessions.export, name="export"),
    path("cases/<case_code:code>/", sessions.case_debriefs, name="case_debriefs"),
    path("items/<uuid:pk>/seen/", sessions.acknowledge, name="acknowledge"),
    path("templates/", templates.template_list, name="templates"),
    path("templates/<int:pk>/", templates.template_preview, name="template_preview"),
    path("templates/<int:pk>/xlsform/", templates.template_xlsform, name="template_xlsform"),
    path("templates/<int:pk>/publish/", templates.publish, name="template_publish"),
    path("templates/<int:pk>/retire/", templates.retire, name="template_retire"),
    path("<uuid:pk>/", sessions.session_detail, name="session"),
    path("<uuid:pk>/submit/", sessions.submit, name="submit"),
    path("<uuid:pk>/review/", sessions.review, name="review"),
    path("<uuid:pk>/addendum/", sessions.addendum, name="addendum"),
    path("<uuid:pk>/items/new/", sessions.add_item, name="add_item"),
    path("<uuid:pk>/incidents/new/", sessions.add_incident, name="add_incident"),
    path("<uuid:pk>/<slug:section>/", sessions.section, name="section"),
]
