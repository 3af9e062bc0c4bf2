"""The benchmark's URL configuration: the app's, plus a floor page.

The floor page is what every page of the app pays before its own work: the middleware (session,
user, second factor, request log), the sign-in check and the layout (``base.html`` with its
context processors), and no query of its own. bench/national.py sets ``ROOT_URLCONF`` here; the
product does not serve it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "base.html", {"nav": "mine"})


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("webapp.urls")),
]
