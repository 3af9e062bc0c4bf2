"""Add a team to a force, in a unit if one is named."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand
from webapp.administration.structure import team_add


class Command(AdminCommand):
    help = "Add a team to a force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the team's name")
        parser.add_argument("--unit", default="", help="the unit the team belongs to")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        team = team_add(operator=operator, name=options["name"], unit=options["unit"],
                        reason=options["reason"])
        unit = f" in {team.unit}" if team.unit else ""
        return f"Added the team {team.name}{unit} to {operator.force.name}."
