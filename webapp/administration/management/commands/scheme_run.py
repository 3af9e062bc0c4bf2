"""Set how a force runs a scheme: new cases taken or stopped, its time limits, lane teams.
The version it runs changes only by the studio's four-eyes deployment."""

from typing import Any

from django.core.management.base import CommandParser

from webapp.administration.command_base import AdminCommand, team_id
from webapp.administration.schemes import (
    deployment_of,
    profiles_for,
    scheme_running,
    scheme_settings,
)
from webapp.errors import ServiceError


class Command(AdminCommand):
    help = ("Stop or start new cases of a scheme a force runs, choose its time limits and the "
            "team each lane's tasks go to.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scheme", help="the scheme's folder name")
        running = parser.add_mutually_exclusive_group()
        running.add_argument("--stop", action="store_true", help="take no new cases")
        running.add_argument("--start", action="store_true", help="take new cases again")
        parser.add_argument("--profile", default=None,
                            help="the time limits' name ('' for the scheme's defaults)")
        parser.add_argument("--lane", action="append", default=[],
                            help="LANE=TEAM, like 'Case officer=MASH' (TEAM empty: no team)")
        super().add_arguments(parser)

    def act(self, options: dict[str, Any]) -> str:
        operator = self.operator(options)
        scheme = options["scheme"]
        deployment = deployment_of(operator, scheme)
        done = []
        if options["profile"] is not None or options["lane"]:
            profile_id = deployment.time_limit_profile_id
            if options["profile"] is not None:
                profile_id = None
                if options["profile"]:
                    found = profiles_for(operator.force.pk, scheme).filter(
                        name__iexact=options["profile"]).first()
                    if found is None:
                        raise ServiceError("not_found", f"There are no time limits called "
                                                        f"'{options['profile']}' for {scheme}.")
                    profile_id = found.pk
            routes: dict[str, int | str | None] = {}
            names = dict(deployment.lane_teams or {})
            for given in options["lane"]:
                lane, _, team = given.partition("=")
                names[lane.strip()] = team.strip()
            routes = {lane: team_id(operator, team) for lane, team in names.items()}
            scheme_settings(operator=operator, scheme=scheme, profile_id=profile_id,
                            lane_teams=routes, reason=options["reason"])
            done.append("time limits and lane teams saved")
        if options["stop"] or options["start"]:
            scheme_running(operator=operator, scheme=scheme, running=options["start"],
                           reason=options["reason"])
            done.append("new cases started again" if options["start"] else
                        "new cases stopped")
        if not done:
            raise ServiceError("invalid", "Say what to change: --stop, --start, --profile or "
                                          "--lane.")
        return f"{operator.force.name}, {scheme}: {'; '.join(done)}."
