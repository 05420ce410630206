from django.urls import path

from defectors.views import cases, intake

app_name = "defectors"
urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("new/", intake.start, name="intake_start"),
    path("tasks/", cases.tasks, name="tasks"),
    path("tasks/<int:pk>/resolve/", cases.resolve_task, name="resolve_task"),
    path("shred-requests/", cases.shred_requests, name="shred_requests"),
    path("shred-requests/<int:pk>/decide/", cases.decide_shred, name="decide_shred"),
    path("<case_code:code>/", cases.case_detail, name="case"),
    path("<case_code:code>/intake/", intake.resume, name="intake_resume"),
    path("<case_code:code>/intake/submit/", intake.submit, name="intake_submit"),
    path("<case_code:code>/intake/discard/", intake.discard, name="intake_discard"),
    path("<case_code:code>/intake/<str:step>/", intake.step, name="intake_step"),
    path("<case_code:code>/reveal/", cases.reveal, name="reveal"),
    path("<case_code:code>/identity/edit/", cases.edit_identity, name="edit_identity"),
    path("<case_code:code>/assign/", cases.assign, name="assign"),
    path("<case_code:code>/status/", cases.change_status, name="change_status"),
    path("<case_code:code>/consents/<str:kind>/withdraw/", cases.withdraw_consent, name="withdraw_consent"),
    path("<case_code:code>/shred/", cases.request_shred, name="request_shred"),
]
