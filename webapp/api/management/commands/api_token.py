"""Issue, list and revoke a person's API tokens from the command line (each change logged)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.timezone import localtime

from webapp.api import token_services

VIA = "command"


class Command(BaseCommand):
    help = ("Manage API tokens: 'issue --user NAME --name TEXT' prints the new token once; "
            "'list --user NAME'; 'revoke --user NAME --token ID_OR_PREFIX'.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["issue", "list", "revoke"])
        parser.add_argument("--user", required=True, help="the username the token acts as")
        parser.add_argument("--name", default="", help="what will use the token (issue)")
        parser.add_argument("--token", default="", help="the token's id or prefix (revoke)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=options["user"])
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"There is no user '{options['user']}'.") from exc
        action = options["action"]
        if action == "issue":
            if not options["name"].strip():
                raise CommandError("Give the token a name with --name, such as the system "
                                   "that will use it.")
            token, secret = token_services.token_issue(user=user, name=options["name"], via=VIA)
            self.stdout.write(f"Issued token {token.pk} '{token.name}' for {user.username}. "
                              "It is shown only this once:")
            self.stdout.write(secret)
        elif action == "list":
            for token in token_services.tokens_of(user):  # times in UK local time
                used = (f"{localtime(token.last_used_at):%Y-%m-%d %H:%M}"
                        if token.last_used_at else "never")
                self.stdout.write(f"{token.pk}\t{token.prefix}\t"
                                  f"{localtime(token.created_at):%Y-%m-%d %H:%M}"
                                  f"\tlast used {used}\t{token.name}")
        else:
            if not options["token"]:
                raise CommandError("Say which token to revoke with --token (its id or prefix; "
                                   "see 'list').")
            try:
                token = token_services.token_withdraw(user=user, token_ref=options["token"],
                                                      via=VIA)
            except token_services.TokenNotFound as exc:
                raise CommandError(f"{user.username} has no token '{options['token']}' in "
                                   "force.") from exc
            self.stdout.write(f"Revoked token {token.pk} '{token.name}'.")
