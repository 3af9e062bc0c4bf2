"""The lanes diagrams may use, and the role that works each one (process-spec §2)."""

LANE_ROLES: dict[str, str] = {
    "Contact handler": "contact_handler",
    "Case officer": "case_officer",
    "Decision maker": "decision_maker",
    "Disclosure officer": "disclosure_officer",
}
