"""A definition diff as a policy lead reads it: the elements they added, removed or changed,
without the rewiring that follows from it.

Inserting a task between two elements adds the task, adds a flow out of it and points the old
flow at it; the elements on either side then have other flows in or out. The person added one
task: the summary lists that task, and keeps every flow change that is not explained by an
added or removed element (a flow pointed somewhere else, a new flow between existing elements).
The full diff (:class:`engine.diff.DefinitionDiff`) still lists everything, for the diagram's
colours and for migration.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from engine.diff import DefinitionDiff, ElementChange

_FLOWS = {"sequenceFlow", "messageFlow", "association"}
_WIRING = {"incoming", "outgoing"}
_ENDS = {"source", "target"}


@dataclass(frozen=True)
class DiffSummary:
    added: tuple[ElementChange, ...]
    removed: tuple[ElementChange, ...]
    changed: tuple[ElementChange, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def summary(diff: DefinitionDiff) -> DiffSummary:
    """What people changed: flows that only connect an added or removed element are folded
    into it, and flows in and out of an element are reported on the flows, not on it."""
    nodes = {c.element_id for c in (*diff.added, *diff.removed) if c.tag not in _FLOWS}

    def follows(change: ElementChange) -> bool:
        return change.tag in _FLOWS and bool(nodes.intersection(change.ends))

    changed = []
    for change in diff.changed:
        fields = tuple(f for f in change.fields if f not in _WIRING)
        if not fields or (follows(change) and set(fields) <= _ENDS):
            continue
        changed.append(replace(change, fields=fields))
    return DiffSummary(added=tuple(c for c in diff.added if not follows(c)),
                       removed=tuple(c for c in diff.removed if not follows(c)),
                       changed=tuple(changed))
