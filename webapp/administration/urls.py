from django.urls import path

from . import people_views, scheme_views, views

app_name = "administration"

urlpatterns = [
    path("", views.index, name="index"),
    path("force/", views.ForceEdit.as_view(), name="force"),
    path("teams/new/", views.TeamAdd.as_view(), name="team_add"),
    path("teams/<int:team_id>/", views.TeamEdit.as_view(), name="team"),
    path("teams/<int:team_id>/remove/", views.TeamRemove.as_view(), name="team_remove"),
    path("people/", people_views.people, name="people"),
    path("people/new/", people_views.PersonAdd.as_view(), name="person_add"),
    path("people/<int:user_id>/", people_views.PersonEdit.as_view(), name="person"),
    path("people/<int:user_id>/deactivate/", people_views.PersonDeactivate.as_view(),
         name="person_deactivate"),
    path("people/<int:user_id>/reactivate/", people_views.PersonReactivate.as_view(),
         name="person_reactivate"),
    path("people/<int:user_id>/password/", people_views.PersonPassword.as_view(),
         name="person_password"),
    path("schemes/<str:scheme>/", scheme_views.SchemeEdit.as_view(), name="scheme"),
    path("schemes/<str:scheme>/running/", scheme_views.SchemeRunning.as_view(),
         name="scheme_running"),
    path("schemes/<str:scheme>/time-limits/new/", scheme_views.ProfileAdd.as_view(),
         name="profile_add"),
    path("time-limits/<int:profile_id>/", scheme_views.ProfileEdit.as_view(), name="profile"),
    path("forces/", views.forces, name="forces"),
    path("forces/new/", views.ForceCreate.as_view(), name="force_create"),
]
