from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "webapp.accounts"
    label = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        # Connected here, not in the middleware module: sessions made by force_login (tests,
        # management commands) must get their lifetime stamps before any request is served.
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from webapp.accounts import services
        from webapp.security import session_stamp

        user_logged_in.connect(session_stamp, dispatch_uid="accounts.session_stamp")
        user_logged_out.connect(services.logout_record, dispatch_uid="accounts.logout_record")
