"""Immutable, content-hashed versions of process definitions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class ProcessVersion(models.Model):
    """One frozen version: its files (BPMN, DMN, forms), the parsed spec and its hash."""

    process_id = models.CharField(max_length=100)
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64, unique=True)
    files = models.JSONField(help_text="file name -> text")
    spec_json = models.TextField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["process_id", "number"],
                                               name="process_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.process_id} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("process versions are immutable once saved")
        super().save(*args, **kwargs)

    def file_bytes(self) -> dict[str, bytes]:
        return {name: text.encode() for name, text in self.files.items()}
