"""The roles a scheme's lanes may map to (each scheme's scheme.json maps its lane names)."""

from webapp.forces.models import Role

WORK_ROLES: tuple[str, ...] = (Role.CONTACT_HANDLER, Role.CASE_OFFICER, Role.DECISION_MAKER,
                               Role.DISCLOSURE_OFFICER)
