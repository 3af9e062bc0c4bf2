"""Create a force and its first force administrator (a national administrator's task)."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand
from webapp.administration.people import NewUser
from webapp.administration.scope import national_operator
from webapp.administration.structure import force_create


class Command(AdminCommand):
    help = "Create a force (code, name) with its first force administrator."
    force_option = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="2 to 4 letters, like HRT")
        parser.add_argument("name", help="the force's name")
        parser.add_argument("--admin", required=True, help="the first administrator's username")
        parser.add_argument("--first-name", required=True)
        parser.add_argument("--last-name", required=True)
        parser.add_argument("--email", default="")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        force, password = force_create(
            actor=national_operator(options["by"]), code=options["code"],
            name=options["name"], reason=options["reason"],
            first_admin=NewUser(username=options["admin"], first_name=options["first_name"],
                                last_name=options["last_name"], email=options["email"]))
        return (f"Created {force.name} ({force.code}) with force administrator "
                f"{options['admin']}.\nTemporary password (shown once): {password}")
