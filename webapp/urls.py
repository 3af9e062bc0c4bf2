"""URL routes: sign-in, the inbox and case pages."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from webapp.accounts import session_clock
from webapp.accounts import views as accounts_views

urlpatterns = [
    path("login/", accounts_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/keep-alive/", session_clock.keep_alive, name="session_keep_alive"),
    path("sso/", include("webapp.oidc.urls")),
    path("", include("webapp.accounts.second_factor_urls")),
    path("account/", include("webapp.api.account_urls")),
    path("account/", include("webapp.notifications.urls")),
    path("", include("webapp.cases.urls")),
    path("", include("webapp.clocks.urls")),
    path("", include("webapp.reports.urls")),
    path("studio/", include("webapp.processes.urls")),
    path("api/", include("webapp.api.urls")),
    path("audit/", include("webapp.audit.urls")),
    path("administration/", include("webapp.administration.urls")),
]

handler400 = "webapp.failure_pages.bad_request"
handler403 = "webapp.failure_pages.permission_denied"
handler404 = "webapp.failure_pages.page_not_found"
handler500 = "webapp.failure_pages.server_error"
