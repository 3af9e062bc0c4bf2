"""Add a person to a force with their roles and team; prints a temporary password once."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand, role_values, team_id
from webapp.administration.people import NewUser, user_add


class Command(AdminCommand):
    help = "Add a person (an account) to a force."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--collar-number", default="")
        parser.add_argument("--team", default="", help="the team's name")
        parser.add_argument("--role", action="append", default=[], required=True,
                            help="a role, by id or name (repeat for several)")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        user, password = user_add(operator=operator, reason=options["reason"], new=NewUser(
            username=options["username"], first_name=options["first_name"],
            last_name=options["last_name"], email=options["email"],
            collar_number=options["collar_number"],
            team_id=team_id(operator, options["team"]), roles=role_values(options["role"])))
        return (f"Added {user.get_username()} to {operator.force.name}.\n"
                f"Temporary password (shown once): {password}")
