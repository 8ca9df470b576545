"""Build and sign award credentials: one at a time, or many in worker processes.

:class:`IssuanceContext` is everything that is the same for every award of one definition version (the
definition, its awarding bodies and their DIDs, the suite, the signing key); :class:`AwardSpec` is what
differs (id, recipient, grade, time, salt, status entries). Both are plain and picklable, so bulk awards
can sign in a :class:`SigningPool` of processes (one per core) while the parent writes to the database.
The key's secret travels to the workers through a pipe, never through a file or the environment.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cairn.formats.composite import with_composite
from cairn.formats.ob3 import build_credential, identity_hash
from cairn.model.awards import Award, Evidence, Recipient
from cairn.model.definitions import MicroCredentialDefinition, Organisation
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair

__all__ = ["AwardSpec", "IssuanceContext", "SignedAward", "SigningPool", "sign_award", "sign_awards"]


@dataclass(frozen=True, slots=True)
class IssuanceContext:
    """What every award of one definition version shares."""

    definition: MicroCredentialDefinition
    version: int
    organisations: tuple[Organisation, ...]
    issuer_ids: Mapping[str, str]
    achievement_id: str
    suite: str
    key_kind: str
    key_secret: bytes = field(repr=False)
    verification_method: str
    skill_labels: Mapping[str, str] = field(default_factory=dict)
    lang: str | None = None
    badge_image: str | None = None
    """The URL of the badge image (``achievement.image``)."""
    issuer_image: str | None = None
    """The URL of the issuer's logo (``issuer.image``), when it has one."""

    def key(self) -> KeyPair:
        """The signing key pair."""
        return KeyPair.from_secret(self.key_kind, self.key_secret)


@dataclass(frozen=True, slots=True)
class AwardSpec:
    """What one award adds to the context."""

    award_id: str
    recipient: Recipient
    issued_at: datetime
    salt: str
    statuses: tuple[Mapping[str, Any], ...]
    grade: str | None = None
    external_id: str | None = None
    evidence: tuple[Evidence, ...] = ()
    narrative: str | None = None
    valid_until: datetime | None = None
    composite: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    """A composite's parts (:func:`cairn.formats.composite.composite_parts`): its components as evidence and
    related resources with their digests, and its pathway."""


@dataclass(frozen=True, slots=True)
class SignedAward:
    """A signed credential as JSON text (unsigned for JWT suites), the JWT if any, and the email's hash.

    The text is what is stored, so a worker process serialises it once and the parent never does.
    """

    award_id: str
    credential_json: str
    jwt: str | None
    recipient_hash: str | None

    @property
    def credential(self) -> dict[str, Any]:
        """The credential, parsed."""
        parsed: dict[str, Any] = json.loads(self.credential_json)
        return parsed


def sign_award(context: IssuanceContext, spec: AwardSpec, *, key: KeyPair | None = None) -> SignedAward:
    """Build the Open Badges 3.0 credential of one award and sign it."""
    award = Award(
        definition_id=context.definition.id,
        version=context.version,
        recipient=spec.recipient,
        issued_at=spec.issued_at,
        grade=spec.grade,
        external_id=spec.external_id,
        evidence=spec.evidence,
        narrative=spec.narrative,
        valid_until=spec.valid_until,
    )
    credential = build_credential(
        definition=context.definition,
        version=context.version,
        organisations=context.organisations,
        issuer_ids=context.issuer_ids,
        award=award,
        credential_id=f"urn:uuid:{spec.award_id}",
        achievement_id=context.achievement_id,
        salt=spec.salt,
        lang=context.lang,
        skill_labels=context.skill_labels,
        credential_status=spec.statuses,
        badge_image=context.badge_image,
        issuer_image=context.issuer_image,
    )
    if spec.composite:
        credential = with_composite(credential, spec.composite)
    secured = issue(
        credential,
        key=key or context.key(),
        suite=context.suite,
        created=spec.issued_at,
        verification_method=context.verification_method,
    )
    email = spec.recipient.email
    hashed = identity_hash(email, spec.salt) if email else None
    if isinstance(secured, str):
        return SignedAward(spec.award_id, _dumps(credential), secured, hashed)
    return SignedAward(spec.award_id, _dumps(secured), None, hashed)


def _dumps(credential: Mapping[str, Any]) -> str:
    return json.dumps(credential, ensure_ascii=False, separators=(",", ":"))


def sign_awards(context: IssuanceContext, specs: Sequence[AwardSpec]) -> list[SignedAward]:
    """Sign many awards in this process."""
    key = context.key()
    return [sign_award(context, spec, key=key) for spec in specs]


PARENT_POLL_SECONDS = 0.5
_worker_context: IssuanceContext | None = None


def _init_worker(context: IssuanceContext, parent: int) -> None:
    """Keep ``context`` and watch ``parent`` (its pid, taken in the parent: a worker still starting when the
    parent is killed would read its new parent, init, from ``os.getppid()`` and never leave)."""
    global _worker_context
    _worker_context = context
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """Leave when the parent is gone (killed with SIGKILL, say): nothing else would ever wake the worker."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)


def _sign_in_worker(specs: Sequence[AwardSpec]) -> list[SignedAward]:
    assert _worker_context is not None
    return sign_awards(_worker_context, specs)


class SigningPool:
    """Signs awards in worker processes (started with ``spawn``: nothing of the parent's state is shared).

    ``submit`` returns futures; split a batch into one chunk per worker so every core signs.
    """

    def __init__(self, context: IssuanceContext, *, workers: int) -> None:
        if workers < 1:
            raise ValueError("a signing pool needs at least one worker")
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(context, os.getpid()),
        )

    def submit(self, specs: Sequence[AwardSpec]) -> list[Future[list[SignedAward]]]:
        """Split ``specs`` into one chunk per worker and start signing them."""
        size = max(1, -(-len(specs) // self.workers))
        return [self._executor.submit(_sign_in_worker, list(specs[i : i + size])) for i in range(0, len(specs), size)]

    def close(self) -> None:
        """Stop the workers."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SigningPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
