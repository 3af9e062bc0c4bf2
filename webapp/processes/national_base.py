"""Designating a scheme's national base: one policy lead asks, a different one approves.

Drift is measured against the approved designation only: a newer version that nobody
designated (or that is still awaiting approval) is not the national base.
"""

from __future__ import annotations

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from webapp.errors import ServiceError
from webapp.processes.drift import national_base
from webapp.processes.models import NationalBase, ProcessVersion
from webapp.processes.services import policy_lead

log = logging.getLogger(__name__)


def base_request(*, user: AbstractBaseUser, version_id: int) -> NationalBase:
    """Ask for a version to become its scheme's national base."""
    policy_lead(user)
    version = ProcessVersion.objects.defer("files", "spec_json").filter(pk=version_id).first()
    if version is None:
        raise ServiceError("not_found", "No such process version.")
    current = national_base(version.process_id)
    if current is not None and current.pk == version.pk:
        raise ServiceError("conflict", f"{version} is already the national base.")
    if NationalBase.objects.filter(version=version, approved_at__isnull=True).exists():
        raise ServiceError("conflict", f"A request to make {version} the national base is "
                                       "already waiting.")
    return NationalBase.objects.create(scheme=version.process_id, version=version,
                                       requested_by=user, requested_at=timezone.now())


def base_approve(*, user: AbstractBaseUser, designation_id: int) -> NationalBase:
    """A second policy lead approves: the version becomes its scheme's national base."""
    policy_lead(user)
    with transaction.atomic(durable=True):
        row = (NationalBase.objects.select_for_update().select_related("version")
               .filter(pk=designation_id).first())
        if row is None:
            raise ServiceError("not_found", "No such request.")
        if row.approved_at is not None:
            raise ServiceError("conflict", f"{row.version} was already approved as the "
                                           "national base.")
        if row.requested_by_id == user.pk:
            raise ServiceError("forbidden", "A second policy lead must approve your request.")
        row.approved_by, row.approved_at = user, timezone.now()
        row.save(update_fields=["approved_by", "approved_at"])
    log.info("national base approved: scheme=%s version=%s", row.scheme, row.version_id)
    return row
