"""Load demo forces, officers and cases (safe to run twice)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from webapp.accounts import second_factor
from webapp.cases.demo import PASSWORD, demo_users, seed


class Command(BaseCommand):
    help = "Create Hertfordshire and Warwickshire with an officer for each role and ~30 cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list-users", action="store_true",
                            help="only print the demo logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["list_users"]:
            made = seed()
            users = get_user_model().objects.filter(
                username__in=[login for login, _, _ in demo_users()])
            for user in users:  # the published demo authenticator secret (README)
                second_factor.demo_enrol(user)
            self.stdout.write(f"Demo data ready ({made} new cases).")
        for login, force, role in demo_users():
            self.stdout.write(f"    {login:<22} {force:<14} {role}")
        if not options["list_users"]:
            self.stdout.write(f"  Password for every demo login: {PASSWORD}")
            self.stdout.write("  Authenticator code: 'manage.py totp_code <login>', or add "
                              f"the setup key {second_factor.DEMO_SECRET} to an app")
