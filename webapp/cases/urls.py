from django.urls import path

from webapp.cases import owner_views, views

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("my-tasks/", views.my_tasks, name="mine"),
    path("queue/", views.team_queue, name="queue"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<str:reference>/", views.case_page, name="case"),
    path("cases/<str:reference>/answers.csv", views.case_answers_csv, name="answers_csv"),
    path("cases/<str:reference>/diagram.bpmn", views.case_diagram, name="diagram"),
    path("cases/<str:reference>/withdraw/", views.case_withdraw, name="withdraw"),
    path("cases/<str:reference>/owner/", owner_views.case_owner, name="owner"),
    path("cases/<str:reference>/break-glass/", views.case_break_glass, name="break_glass"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("tasks/<int:task_id>/claim/", views.task_claim, name="claim"),
    path("tasks/<int:task_id>/claim-all/", owner_views.task_claim_all, name="claim_all"),
    path("tasks/<int:task_id>/release/", views.task_release, name="release"),
    path("tasks/<int:task_id>/assign/", views.task_assign, name="assign"),
    path("enquiries/new/", views.start_enquiry, name="start"),
]
