"""Set a force's single sign-on: the issuer of its ID tokens and what its identity provider's
groups mean here (docs/sso.md). Without options it shows the current setting."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from webapp.audit.log import record
from webapp.audit.models import Operation
from webapp.forces.models import Force, Role, Team


def _pair(text: str, what: str) -> tuple[str, str]:
    group, sep, value = text.partition("=")
    if not sep or not group.strip() or not value.strip():
        raise CommandError(f"Write each {what} as <group id>=<{what}>, not {text!r}.")
    return group.strip(), value.strip()


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("force", help="the force's code, e.g. HRT")
        parser.add_argument("--issuer", help="the exact iss of its ID tokens ('' turns it off)")
        parser.add_argument("--group-role", action="append", default=[], metavar="GROUP=ROLE",
                            help=f"a group's role, one of: {', '.join(Role.values)}")
        parser.add_argument("--group-team", action="append", default=[], metavar="GROUP=TEAM",
                            help="a group's team (the name of one of the force's teams)")
        parser.add_argument("--clear-groups", action="store_true",
                            help="forget the force's group mappings first")

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            force = Force.objects.select_for_update().filter(
                code=options["force"].upper()).first()
            if force is None:
                raise CommandError(f"There is no force with the code {options['force']!r}.")
            changed = self._apply(force, options)
            if changed:
                force.save(update_fields=changed)
                record(actor=None, operation=Operation.ALTER, object_type="force",
                       object_id=force.pk, fields=changed, force_code=force.code)
        self.stdout.write(json.dumps({"force": force.code, "issuer": force.sso_issuer,
                                      "group_roles": force.sso_group_roles,
                                      "group_teams": force.sso_group_teams}, indent=2))

    @staticmethod
    def _apply(force: Force, options: dict[str, Any]) -> list[str]:
        roles = {} if options["clear_groups"] else dict(force.sso_group_roles or {})
        teams = {} if options["clear_groups"] else dict(force.sso_group_teams or {})
        for text in options["group_role"]:
            group, role = _pair(text, "role")
            if role not in Role.values:
                raise CommandError(f"{role!r} is not a role. Roles: {', '.join(Role.values)}.")
            had = roles.get(group, [])
            had = [had] if isinstance(had, str) else list(had)
            roles[group] = [*had, role] if role not in had else had
        for text in options["group_team"]:
            group, name = _pair(text, "team")
            if not Team.objects.filter(force=force, name=name).exists():
                raise CommandError(f"{force.name} has no team called {name!r}.")
            teams[group] = name
        wanted = {"sso_group_roles": roles, "sso_group_teams": teams}
        if options["issuer"] is not None:
            issuer = options["issuer"].strip()
            if issuer and Force.objects.exclude(pk=force.pk).filter(sso_issuer=issuer).exists():
                raise CommandError("Another force already trusts that issuer.")
            wanted["sso_issuer"] = issuer
        changed = [name for name, value in wanted.items() if getattr(force, name) != value]
        for name in changed:
            setattr(force, name, wanted[name])
        return changed
