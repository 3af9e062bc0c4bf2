"""Add or change one of a force's time-limit profiles for a scheme it runs."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand
from webapp.administration.schemes import (
    deployment_of,
    duration_parameters,
    profile_save,
)
from webapp.clocks.durations import duration_from_parts
from webapp.errors import ServiceError
from webapp.forces.models import TimeLimitProfile
from webapp.processes.registry import scheme_for


class Command(AdminCommand):
    help = ("Add or change a force's time limits for a scheme: --limit 'Overall response=28 "
            "days' (a limit's name or parameter, a number and hours, days, weeks or months).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="the profile's name, like 'Local guidance (28 days)'")
        parser.add_argument("--scheme", required=True, help="the scheme's folder name")
        parser.add_argument("--limit", action="append", default=[],
                            help="LIMIT=AMOUNT UNIT, like 'Overall response=28 days'")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        scheme = options["scheme"]
        durations = duration_parameters(scheme_for(
            deployment_of(operator, scheme).active_version_id))
        by_label = {label.casefold(): name for name, label in durations.items()}
        limits: dict[str, str | None] = {}
        for given in options["limit"]:
            key, _, amount = given.partition("=")
            name = key.strip() if key.strip() in durations else by_label.get(
                key.strip().casefold())
            if name is None:
                known = ", ".join(durations.values())
                raise ServiceError("invalid", f"There is no time limit '{key}'. Limits: "
                                              f"{known}.")
            number, _, unit = amount.strip().partition(" ")
            try:
                limits[name] = duration_from_parts(number, unit.strip() or "days")
            except ValueError as exc:
                raise ServiceError("invalid", f"{durations[name]}: {exc}") from exc
        existing = TimeLimitProfile.objects.filter(force=operator.force, scheme=scheme,
                                                   name__iexact=options["name"]).first()
        profile = profile_save(operator=operator, scheme=scheme, name=options["name"],
                               limits=limits, reason=options["reason"],
                               profile_id=existing.pk if existing else None)
        return f"{'Changed' if existing else 'Added'} the time limits {profile.name}."
