"""Print the current sign-in code of a demo login (whose secret is the published demo one)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP

from webapp.accounts import second_factor


class Command(BaseCommand):
    help = ("Print the authenticator code for a demo login. Refused for any account whose "
            "secret is not the published demo secret, so it cannot reveal a real one.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        device = second_factor.demo_device(user) if user is not None else None
        if device is None:
            raise CommandError(f"'{options['username']}' is not a demo login with the demo "
                               "authenticator secret; use the person's own app.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
