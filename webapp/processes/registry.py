"""Definitions for stored versions, and registering the national processes from disk."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction

from engine import Definition, load_files
from engine.definitions import read_folder
from engine.scheme import Scheme
from webapp.processes.lanes import WORK_ROLES
from webapp.processes.models import ProcessVersion

_by_version: dict[int, Definition] = {}


def definition_for(version: ProcessVersion) -> Definition:
    """The engine definition of a stored version (parsed once per process, cached by hash)."""
    definition = _by_version.get(version.pk)
    if definition is None:
        definition = load_files(version.file_bytes(), version.process_id, roles=WORK_ROLES)
        _by_version[version.pk] = definition
    return definition


def definition_for_id(version_id: int) -> Definition:
    """Like ``definition_for`` but without reading the version row (versions are immutable)."""
    definition = _by_version.get(version_id)
    if definition is None:
        definition = definition_for(ProcessVersion.objects.get(pk=version_id))
    return definition


def scheme_for(version_id: int) -> Scheme:
    """The declarations of a stored version (lanes, clocks, parties, outcomes, words)."""
    return definition_for_id(version_id).scheme


def version_from_folder(process_id: str, folder: Path | None = None, *,
                        note: str = "") -> ProcessVersion:
    """Register the folder's current content as a version (or return the one with its hash)."""
    folder = folder or Path(settings.PROCESSES_DIR) / process_id
    files = read_folder(folder)
    definition = load_files(files, process_id, roles=WORK_ROLES)
    with transaction.atomic():
        existing = ProcessVersion.objects.filter(content_hash=definition.content_hash).first()
        if existing is not None:
            return existing
        last = (ProcessVersion.objects.select_for_update().filter(process_id=process_id)
                .order_by("-number").first())
        return ProcessVersion.objects.create(
            process_id=process_id, number=(last.number + 1) if last else 1,
            content_hash=definition.content_hash,
            files={name: data.decode() for name, data in files.items()},
            spec_json=definition.spec_json(), note=note,
        )
