"""What every administration command shares: the force and the operator it acts as (``--by``
a named force or national administrator; without it, "system"), and refusals printed as
plain errors with a non-zero exit."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webapp.errors import ServiceError
from webapp.forces.models import Role, Team

from .scope import Operator, command_operator


class AdminCommand(BaseCommand):
    """A command acting on one force (``--force CODE``) as ``--by USERNAME`` or the system."""

    force_option = True

    def add_arguments(self, parser: CommandParser) -> None:
        if self.force_option:
            parser.add_argument("--force", required=True, help="the force's code, like HRT")
        parser.add_argument("--by", default="", help="the administrator making the change "
                                                     "(recorded in the access log; default: "
                                                     "system)")
        parser.add_argument("--reason", default="", help="why (recorded in the access log)")

    def operator(self, options: dict[str, Any]) -> Operator:
        return command_operator(options["force"], options["by"])

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            message = self.act(options)
        except ServiceError as exc:
            fields = "; ".join(m for ms in exc.field_errors.values() for m in ms)
            raise CommandError(fields if fields and fields != exc.message
                               else exc.message) from exc
        self.stdout.write(message)

    def act(self, options: dict[str, Any]) -> str:
        raise NotImplementedError


def role_values(names: list[str]) -> list[str]:
    """Roles given by id or by name, like "Case officer"."""
    by_label = {label.casefold(): value for value, label in Role.choices}
    found = []
    for name in names:
        value = name if name in Role.values else by_label.get(name.strip().casefold())
        if value is None:
            known = ", ".join(f"{v} ({label})" for v, label in Role.choices)
            raise ServiceError("invalid", f"There is no role '{name}'. Roles: {known}.")
        found.append(value)
    return found


def team_id(operator: Operator, name: str | None) -> int | None:
    """The id of the force's team called ``name`` (None for no name)."""
    if not name:
        return None
    team = Team.objects.filter(force=operator.force, name__iexact=name.strip()).first()
    if team is None:
        raise ServiceError("not_found", f"{operator.force.name} has no team called '{name}'.")
    return team.pk
