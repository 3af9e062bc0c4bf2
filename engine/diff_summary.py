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
    added = {c.element_id for c in diff.added if c.tag not in _FLOWS}
    removed = {c.element_id for c in diff.removed if c.tag not in _FLOWS}
    nodes = added | removed
    added_flows = [c for c in diff.added if c.tag in _FLOWS]
    removed_flows = [c for c in diff.removed if c.tag in _FLOWS]

    def follows(change: ElementChange) -> bool:
        return change.tag in _FLOWS and bool(nodes.intersection(change.ends))

    changed = []
    for change in diff.changed:
        fields = tuple(f for f in change.fields if f not in _WIRING)
        if not fields or (follows(change) and set(fields) <= _ENDS):
            continue
        changed.append(replace(change, fields=fields))
    return DiffSummary(
        added=tuple(c for c in diff.added if not follows(c)
                    and not _bypassed(c, removed_flows, removed)),
        removed=tuple(c for c in diff.removed if not follows(c)
                      and not _bypassed(c, added_flows, added)),
        changed=tuple(changed))


def _bypassed(flow: ElementChange, others: list[ElementChange], via: set[str]) -> bool:
    """Whether ``flow`` (A to B) stands for a path A to B through elements of ``via`` in the
    other version: a flow replaced by a task put in its way (bpmn-js removes the flow and
    draws two), or a flow that joins the neighbours of a removed task."""
    if flow.tag not in _FLOWS:
        return False
    source, target = flow.ends[:2]
    pairs = [other.ends[:2] for other in others]
    return (any(s == source and t in via for s, t in pairs)
            and any(t == target and s in via for s, t in pairs))
