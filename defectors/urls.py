from django.urls import path

from defectors.views import cases, intake, record, shredding

app_name = "defectors"
urlpatterns = [
    path("", cases.case_list, name="case_list"),
    path("new/", intake.start, name="intake_start"),
    path("tasks/", cases.tasks, name="tasks"),
    path("tasks/<int:pk>/resolve/", cases.resolve_task, name="resolve_task"),
    path("tasks/withdrawals/<int:pk>/decide/", record.decide_withdrawal, name="decide_withdrawal"),
    path("shred-requests/", shredding.shred_requests, name="shred_requests"),
    path("shred-requests/<int:pk>/", shredding.shred_request, name="shred_request"),
    path("shred-requests/<int:pk>/decide/", shredding.decide_shred, name="decide_shred"),
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
    # The case after intake (defectors/views/record.py)
    path("<case_code:code>/edit/<str:section>/", record.edit_section, name="edit_section"),
    path("<case_code:code>/family/", record.family, name="family"),
    path("<case_code:code>/family/add/", record.add_family_member, name="add_family_member"),
    path("<case_code:code>/family/<uuid:pk>/", record.family_member, name="family_member"),
    path("<case_code:code>/needs/add/", record.add_need, name="add_need"),
    path("<case_code:code>/needs/<uuid:pk>/", record.change_need, name="change_need"),
    path("<case_code:code>/notes/add/", record.add_note, name="add_note"),
    path("<case_code:code>/notes/<uuid:pk>/", record.edit_note, name="edit_note"),
    path("<case_code:code>/follow-up/", record.follow_up, name="follow_up"),
    path("<case_code:code>/consents/<str:kind>/give/", record.give_consent, name="give_consent"),
    path("<case_code:code>/summary/", record.summary, name="summary"),
]
