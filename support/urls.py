from django.urls import path

from support.views import cases, dashboard, directory, referrals

app_name = "support"
urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("notifications/", dashboard.notifications, name="notifications"),
    path("notifications/read/", dashboard.mark_read, name="mark_read"),
    path("providers/", directory.providers, name="providers"),
    path("providers/new/", directory.provider_edit, name="provider_new"),
    path("providers/<uuid:pk>/", directory.provider_edit, name="provider_edit"),
    path("shelters/", directory.shelters, name="shelters"),
    path("shelters/new/", directory.shelter_edit, name="shelter_new"),
    path("shelters/<uuid:pk>/", directory.shelter_edit, name="shelter_edit"),
    path("referrals/", referrals.referral_list, name="referrals"),
    path("cases/<case_code:code>/", cases.case_support, name="case"),
    path("cases/<case_code:code>/place/", cases.place, name="place"),
    path("cases/<case_code:code>/placements/<uuid:pk>/check-out/", cases.check_out, name="check_out"),
    path("cases/<case_code:code>/refer/", cases.refer, name="refer"),
    path("cases/<case_code:code>/referrals/<uuid:pk>/", referrals.referral_detail, name="referral"),
    path(
        "cases/<case_code:code>/referrals/<uuid:pk>/transition/",
        referrals.referral_transition,
        name="referral_transition",
    ),
    path(
        "cases/<case_code:code>/referrals/<uuid:pk>/explicit-consent/",
        referrals.referral_explicit_consent,
        name="referral_explicit_consent",
    ),
    path("cases/<case_code:code>/training/", cases.enrol, name="enrol"),
    path("cases/<case_code:code>/training/<uuid:pk>/", cases.edit_training, name="edit_training"),
    path("cases/<case_code:code>/sessions/", cases.add_session, name="add_session"),
    path("cases/<case_code:code>/sessions/<uuid:pk>/attendance/", cases.session_attendance, name="session_attendance"),
    path("cases/<case_code:code>/goals/<uuid:pk>/status/", cases.goal_status, name="goal_status"),
    path("cases/<case_code:code>/assistance/", cases.add_assistance, name="add_assistance"),
    path("cases/<case_code:code>/assistance/<uuid:pk>/approve/", cases.approve_assistance, name="approve_assistance"),
    path("cases/<case_code:code>/assistance/<uuid:pk>/decline/", cases.decline_assistance, name="decline_assistance"),
    path("cases/<case_code:code>/goals/", cases.add_goal, name="add_goal"),
    path("cases/<case_code:code>/tasks/", cases.add_task, name="add_task"),
    path("cases/<case_code:code>/tasks/<uuid:pk>/done/", cases.complete_task, name="complete_task"),
]
