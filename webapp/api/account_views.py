"""The person's own account page: their API tokens (issue one, shown once; revoke one) and
their second factor (new recovery codes)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from webapp.accounts import second_factor
from webapp.api import token_services

NAME_MAX = 100


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """List the tokens; a POST issues one and shows its secret on this answer only."""
    error, issued, secret, name = "", None, "", ""
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            error = "Enter a name for the token, such as the system that will use it"
        elif len(name) > NAME_MAX:
            error = f"The name must be {NAME_MAX} characters or fewer"
        else:
            issued, secret = token_services.token_issue(user=request.user, name=name,
                                                        by=request.user)
            name = ""
    user = request.user
    return render(request, "api/account.html", {
        "tokens": token_services.tokens_of(user), "issued": issued, "secret": secret,
        "error": error, "name": name, "name_max": NAME_MAX,
        "has_app": second_factor.app_device(user) is not None,
        "recovery_left": second_factor.recovery_codes_left(user),
    }, status=400 if error else 200)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        token = token_services.token_withdraw(user=request.user, token_ref=pk, by=request.user)
    except token_services.TokenNotFound:
        messages.error(request, "That token was not found. It may have been revoked already.")
    else:
        messages.success(request, f"The token '{token.name}' is revoked. Calls that use it "
                                  "are now refused.")
    return redirect("account")
