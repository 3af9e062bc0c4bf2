"""Immutable, content-hashed versions of process definitions."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTextTransform

from engine.scheme import DECLARATION_FILE


class ProcessVersion(models.Model):
    """One frozen version: its files (BPMN, DMN, forms), the parsed spec and its hash."""

    process_id = models.CharField(max_length=100)
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, unique=True)
    files = models.JSONField(help_text="file name -> text")
    spec_json = models.TextField()
    note = models.TextField(blank=True)
    base = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", help_text="the version the draft started from")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process_id", "number"],
                                               name="process_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.title} version {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("process versions are immutable once saved")
        super().save(*args, **kwargs)

    def file_bytes(self) -> dict[str, bytes]:
        return {name: text.encode() for name, text in self.files.items()}

    @property
    def title(self) -> str:
        """The scheme's name as people know it (its declared short title), not its folder. A
        list that left the files out reads the scheme folder's declaration instead."""
        if "files" in self.get_deferred_fields():
            return _stored_title(self.pk, self.content_hash, self.process_id)
        return _declared_title(str((self.files or {}).get(DECLARATION_FILE) or "{}"),
                               self.process_id)


def _declared_title(text: str, fallback: str) -> str:
    try:
        doc = json.loads(text)
    except ValueError:
        doc = {}
    doc = doc if isinstance(doc, dict) else {}
    return str(doc.get("short_title") or doc.get("title") or fallback)


@lru_cache(maxsize=256)
def _stored_title(pk: int, content_hash: str, fallback: str) -> str:
    """The declared title of a stored version, reading only its declaration (a version's
    content never changes: its hash keys the cache)."""
    text = (ProcessVersion.objects.filter(pk=pk, content_hash=content_hash)
            .values_list(KeyTextTransform(DECLARATION_FILE, "files"), flat=True).first())
    return _declared_title(text or "{}", fallback)


class ProcessDraft(models.Model):
    """A policy lead's working copy: editable, checked on every save, published into a version."""

    process_id = models.CharField(max_length=100)
    title = models.CharField(max_length=200)
    files = models.JSONField(help_text="file name -> text")
    base = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="drafts")
    problems = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    scenario_results = models.JSONField(null=True, blank=True, default=None,
                                        help_text="each scenario's result at the last save; "
                                                  "null when the draft had errors")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField()
    published_as = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+")

    def __str__(self) -> str:
        return f"draft {self.pk} of {self.process_id}"

    def file_bytes(self) -> dict[str, bytes]:
        return {name: text.encode() for name, text in self.files.items()}


class DeploymentStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    DEPLOYED = "deployed", "Deployed"
    REJECTED = "rejected", "Rejected"


class Deployment(models.Model):
    """Four eyes: one policy lead asks to deploy a version to a force, another approves."""

    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="deployments")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT,
                                related_name="deployments")
    note = models.TextField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=DeploymentStatus.choices,
                              default=DeploymentStatus.PENDING)

    def __str__(self) -> str:
        return f"{self.version} to {self.force_id}: {self.status}"


class MigrationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Finished"
    FAILED = "failed", "Failed"


class Migration(models.Model):
    """A bulk move of a force's live cases to a version, run in the background."""

    force = models.ForeignKey("forces.Force", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MigrationStatus.choices,
                              default=MigrationStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    refused = models.JSONField(default=list, help_text="[{reference, reasons}]")

    def __str__(self) -> str:
        return f"migration {self.pk} to {self.target}: {self.status}"


class NationalBase(models.Model):
    """A version designated the national base of its scheme: asked by one policy lead and
    approved by another. The scheme's base is its newest approved designation."""

    scheme = models.CharField(max_length=100, help_text="the process id")
    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField()
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["scheme", "approved_at"], name="national_base_scheme")]

    def __str__(self) -> str:
        state = "approved" if self.approved_at else "awaiting approval"
        return f"{self.version} as national base ({state})"


class LetterOverride(models.Model):
    """A force's own version of one of a scheme's letter templates (docs/letters.md), written by
    its policy lead; checked against sample words before it is saved. Without one, the case's
    version's template is used."""

    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE, related_name="+")
    scheme = models.CharField(max_length=100, help_text="the process id")
    letter = models.CharField(max_length=40, help_text="the letter's key in scheme.json")
    template = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["force", "scheme", "letter"],
                                               name="letter_override_once")]

    def __str__(self) -> str:
        return f"{self.force_id}: {self.scheme} {self.letter}"


class LetterTemplateChange(models.Model):
    """Every change of a force's version of a letter, kept: what each letter said on any day
    can be told (an empty ``template``: the force went back to the scheme's version)."""

    force = models.ForeignKey("forces.Force", on_delete=models.CASCADE, related_name="+")
    scheme = models.CharField(max_length=100, help_text="the process id")
    letter = models.CharField(max_length=40, help_text="the letter's key in scheme.json")
    template = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    changed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["force", "scheme", "letter", "-changed_at"],
                                name="letter_change_latest")]

    def __str__(self) -> str:
        return f"{self.force_id}: {self.scheme} {self.letter} at {self.changed_at:%Y-%m-%d}"
