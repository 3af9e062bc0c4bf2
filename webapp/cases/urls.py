from django.urls import path

from webapp.cases import (
    action_views,
    evidence_views,
    letter_views,
    owner_views,
    views,
    worklist_views,
)

app_name = "cases"

urlpatterns = [
    path("", views.home, name="home"),
    path("my-tasks/", worklist_views.my_tasks, name="mine"),
    path("queue/", worklist_views.team_queue, name="queue"),
    path("workload/", worklist_views.workload, name="workload"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<str:reference>/", views.case_page, name="case"),
    path("cases/<str:reference>/answers.csv", views.case_answers_csv, name="answers_csv"),
    path("cases/<str:reference>/diagram.bpmn", views.case_diagram, name="diagram"),
    path("cases/<str:reference>/withdraw/", action_views.CaseWithdraw.as_view(),
         name="withdraw"),
    path("cases/<str:reference>/owner/", owner_views.CaseOwner.as_view(), name="owner"),
    path("cases/<str:reference>/break-glass/", views.case_break_glass, name="break_glass"),
    path("cases/<str:reference>/notes/new/", evidence_views.CaseNoteAdd.as_view(),
         name="note_add"),
    path("cases/<str:reference>/documents/new/", evidence_views.AttachmentAdd.as_view(),
         name="attachment_add"),
    path("cases/<str:reference>/documents/<int:attachment_id>/",
         evidence_views.attachment_file, name="attachment"),
    path("cases/<str:reference>/letters/<slug:key>.pdf", letter_views.letter_file,
         name="letter"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("tasks/<int:task_id>/claim/", action_views.TaskClaim.as_view(), name="claim"),
    path("tasks/<int:task_id>/claim-all/", owner_views.TaskClaimAll.as_view(),
         name="claim_all"),
    path("tasks/<int:task_id>/release/", action_views.TaskRelease.as_view(),
         name="release"),
    path("tasks/<int:task_id>/assign/", action_views.TaskAssign.as_view(), name="assign"),
    path("enquiries/new/", views.start_enquiry, name="start"),
    path("enquiries/new/draft/", views.enquiry_draft, name="start_draft"),
]
