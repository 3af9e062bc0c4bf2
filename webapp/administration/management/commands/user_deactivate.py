"""Deactivate a person's account: their sessions and API tokens end at once (or reactivate)."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand
from webapp.administration.people import user_deactivate, user_reactivate
from webapp.errors import ServiceError
from webapp.forces.models import Membership


class Command(AdminCommand):
    help = "Deactivate an account (ends its sessions and API tokens at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reactivate", action="store_true",
                            help="let a deactivated account sign in again instead")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        user_id = (Membership.objects.filter(force=operator.force,
                                             user__username=options["username"])
                   .values_list("user_id", flat=True).first())
        if user_id is None:
            raise ServiceError("not_found", f"{operator.force.name} has no user "
                                            f"'{options['username']}'.")
        if options["reactivate"]:
            user_reactivate(operator=operator, user_id=user_id, reason=options["reason"])
            return f"{options['username']} can sign in again."
        ended, revoked = user_deactivate(operator=operator, user_id=user_id,
                                         reason=options["reason"])
        return (f"Deactivated {options['username']}: {ended} session(s) ended, {revoked} API "
                "token(s) revoked.")
