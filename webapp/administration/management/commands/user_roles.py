"""Change a person's roles, team and collar number."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand, role_values, team_id
from webapp.administration.people import user_change
from webapp.errors import ServiceError
from webapp.forces.models import Membership


class Command(AdminCommand):
    help = "Set a person's roles (replacing them), and optionally their team."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", default=[], required=True,
                            help="a role, by id or name (repeat for several)")
        parser.add_argument("--team", default=None, help="the team's name ('' for none); "
                                                         "default: unchanged")
        parser.add_argument("--collar-number", default=None)
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        membership = (Membership.objects.filter(force=operator.force,
                                                user__username=options["username"]).first())
        if membership is None:
            raise ServiceError("not_found", f"{operator.force.name} has no user "
                                            f"'{options['username']}'.")
        team = membership.team_id if options["team"] is None else team_id(operator,
                                                                          options["team"])
        collar = (membership.collar_number if options["collar_number"] is None
                  else options["collar_number"])
        changed = user_change(operator=operator, user_id=membership.user_id,
                              roles=role_values(options["role"]), team_id=team,
                              collar_number=collar, reason=options["reason"])
        return (f"{options['username']}: {', '.join(changed.role_labels())}; team "
                f"{changed.team.name if changed.team else 'none'}.")
