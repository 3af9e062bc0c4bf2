from django.urls import path

from webapp.reports import heatmap_views, views

app_name = "reports"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/<slug:key>.csv", views.figure_csv, name="csv"),
    path("returns/", views.returns_page, name="returns"),
    path("returns/<slug:key>.csv", views.returns_csv, name="returns_csv"),
    path("heatmap/", heatmap_views.heatmap, name="heatmap"),
    path("heatmap/versions/<int:version_id>/diagram.bpmn", heatmap_views.heatmap_diagram,
         name="heatmap_diagram"),
]
