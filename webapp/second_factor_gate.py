"""Holds a local account's session at the second-factor pages until it has given a code
(rules in ``webapp.accounts.second_factor``). Outside the app layers: it answers API calls
with the API's own problem details."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from webapp.accounts import second_factor
from webapp.api.problems import plain_problem


class SecondFactorMiddleware:
    """Sends a signed-in local account that has not given its second factor to the page that
    asks for it (or sets it up); an API call on such a session gets 403 problem+json."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.url_name in second_factor.OPEN_VIEWS:
            return None
        if not second_factor.is_required(request):
            return None
        if match.namespace == "api" or request.path_info.startswith("/api/"):
            return plain_problem(403, "second_factor_required",
                                 "Finish signing in with the code from your authenticator app, "
                                 "or use an API token.", request)
        has_app = second_factor.app_device(request.user) is not None
        target = reverse("second_factor_verify" if has_app else "second_factor_enrol")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
