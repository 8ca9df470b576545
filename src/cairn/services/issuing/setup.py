"""The issuing services of one instance, built from its settings (called by :mod:`cairn.bootstrap`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from cairn.services.audit import AuditService
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.service import IssuingService
from cairn.services.issuing.status_lists import StatusListService
from cairn.settings import Settings
from cairn.store.database import Database

__all__ = ["IssuingServices", "build_issuing"]


@dataclass(frozen=True, slots=True)
class IssuingServices:
    """Keys and DIDs, status lists, single and bulk awards, and audit checks."""

    keys: KeyService
    status_lists: StatusListService
    issuing: IssuingService
    bulk: BulkAwardService
    audit: AuditService


def build_issuing(settings: Settings, database: Database, *, clock: Callable[[], datetime]) -> IssuingServices:
    """Build the issuing services; a missing CAIRN_SECRET_KEY fails only when a key is first needed."""
    keys = KeyService(database, secret_key=settings.require_secret_key, public_url=settings.public_url, clock=clock)
    status_lists = StatusListService(database, keys=keys, clock=clock)
    issuing = IssuingService(database, keys=keys, status_lists=status_lists, clock=clock)
    bulk = BulkAwardService(issuing, max_upload_bytes=settings.max_upload_bytes)
    return IssuingServices(keys, status_lists, issuing, bulk, AuditService(database))
