"""The roles a scheme's lanes may map to (each scheme's scheme.json maps its lane names)."""

from webapp.permissions import WORK_ROLES

__all__ = ["WORK_ROLES"]
