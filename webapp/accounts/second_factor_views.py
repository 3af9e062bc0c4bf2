"""Second-factor pages: give a code after the password, set up the authenticator app on the
first sign-in, and make new recovery codes (each shown once)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from webapp.accounts import second_factor, services

CODE_MAX = 40  # a typed code longer than this is not one of ours


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("cases:home")


def _with_next(view: str, request: HttpRequest) -> str:
    return f"{reverse(view)}?{urlencode({'next': _next(request)})}"


def _code_error(request: HttpRequest, code: str, result: second_factor.CodeResult) -> str:
    if not code:
        return "Enter the 6-digit code from your authenticator app"
    if result.address_slowed:
        seconds = int(services.ADDRESS_MAX_DELAY.total_seconds())
        return ("Too many attempts have come from your network. Wait a moment (up to "
                f"{seconds} seconds) and try again")
    if result.locked:
        minutes = int(services.LOCKOUT.total_seconds() // 60)
        return (f"There have been too many wrong codes. Wait {minutes} minutes, then try "
                "again")
    return "The code is not right. Enter the code your app shows now, or a recovery code"


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app, or one of the recovery codes."""
    if not second_factor.is_required(request):
        return redirect(_next(request))
    if second_factor.app_device(request.user) is None:
        return redirect(_with_next("second_factor_enrol", request))
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")[:CODE_MAX]
        result = (second_factor.code_check(request=request, code=code) if code.strip()
                  else second_factor.CodeResult(accepted=False))
        if result.accepted:
            return redirect(_next(request))
        error = _code_error(request, code.strip(), result)
    return render(request, "accounts/second_factor_verify.html",
                  {"error": error, "next": _next(request)}, status=200)


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in without an app: show the secret and its QR code, confirm one code."""
    if not second_factor.is_required(request):
        return redirect(_next(request))
    if second_factor.app_device(request.user) is not None:
        # Setting up a new app needs the old one (or a recovery code) first.
        return redirect(_with_next("second_factor_verify", request))
    device = second_factor.enrolment_device(request.user)
    error = ""
    if request.method == "POST":
        code = request.POST.get("code", "")[:CODE_MAX].strip()
        result = second_factor.CodeResult(accepted=False)
        codes: list[str] = []
        if code:
            result, codes = second_factor.enrolment_confirm(request=request, device=device,
                                                            code=code)
        if result.accepted:
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": _next(request), "first_time": True})
        error = _code_error(request, code, result)
    return render(request, "accounts/second_factor_enrol.html",
                  {"enrolment": second_factor.enrolment_show(device), "error": error,
                   "next": _next(request)})


@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes from the account page (the session has given its second factor)."""
    codes = second_factor.recovery_codes_issue(request=request)
    return render(request, "accounts/recovery_codes.html",
                  {"codes": codes, "next": reverse("account"), "first_time": False})
