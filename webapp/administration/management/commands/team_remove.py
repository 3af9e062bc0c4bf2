"""Remove a team nobody is in, no task waits for and no scheme routes tasks to."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand, team_id
from webapp.administration.structure import team_remove


class Command(AdminCommand):
    help = "Remove an empty team from a force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the team's name")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        name = team_remove(operator=operator, team_id=team_id(operator, options["name"]),
                           reason=options["reason"])
        return f"Removed the team {name} from {operator.force.name}."
