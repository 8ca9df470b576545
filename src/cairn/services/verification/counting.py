"""How often credentials are verified by someone else (issue 18), counted in memory and written in bulk.

Verifying is the hot path (1,000 verifications a second per instance), so nothing is written per verification:
:meth:`VerificationCounts.add` adds one to a count in this process's memory (under a lock: a dictionary update),
and a background thread (:meth:`~VerificationCounts.start`) writes every count at once every few seconds, sooner
after many verifications, and once more when the process stops (:meth:`~VerificationCounts.stop`), with one
upsert (:func:`cairn.store.counts.add_counts`): processes that share a database add up.

What is counted: the day, the channel (``web``, ``api``, ``batch``, ``openid4vp``, ``share-link``), who verified
(``anonymous``, or an ``organisation``: the one of the API token the caller sent, of the signed-in member, or that
made the OpenID4VP request, with its type and country), whether it verified, and for a credential one of this
instance's organisations awarded, that organisation and the definition. The issuer's country comes from the
report's trust information (the registry's legal identity of the issuer) or, for this instance's own
organisations, from their record; never from what the signer wrote. A presentation counts each credential in it.
A wallet checking its owner's own credentials again is no verification by someone else: nothing calls this then.

Who verified is worked out when the counts are written, not on the request: the request leaves the token or the
session cookie it carried (kept in memory only until then, never written), the flush asks the account service
once per token (remembered a few minutes) and counts the organisation. Nothing here names a person.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Final

from cairn.errors import CairnError
from cairn.store.analytics_tables import VerificationCountRow
from cairn.store.counts import VERIFICATION_DIMENSIONS, CountsRepository, add_counts
from cairn.store.database import Database
from cairn.vc.report import Outcome, Report

__all__ = ["CHANNELS", "VerificationCounts", "Who", "identify_with"]

log = logging.getLogger("cairn.analytics")

CHANNELS: Final = ("web", "api", "batch", "openid4vp", "share-link")
_PRESENTATIONS: Final = frozenset({"presentation", "vp-jwt", "enveloped-presentation", "enveloped-vp-jwt"})
_MAX_IN_PRESENTATION: Final = 20
_IDENTITY_SECONDS: Final = 300.0

Who = tuple[str, str]
"""Who verified, as the request says it: ``("token", <bearer token>)``, ``("session", <session cookie>)`` or
``("organisation", <id>)``; None: nobody said (anonymous)."""
_Raw = tuple[date, str, "Who | None", str | None, str | None, str | None, bool]
"""(day, channel, who, issuer DID of an own award, its credential id, issuer country, verified)."""


def identify_with(accounts: Any) -> Callable[[str, str], int | None]:
    """The organisation a token or a session cookie speaks for, by ``accounts``
    (:class:`~cairn.services.accounts.service.AccountService`): a token's organisation; a signed-in member's
    organisation (the first made, when several); None for anyone else."""

    def identify(kind: str, secret: str) -> int | None:
        try:
            if kind == "token":
                return int(accounts.authenticate_token(secret).organisation_id)
            if kind == "session":
                signed_in = accounts.session(secret)
                if signed_in is None:
                    return None
                memberships = accounts.organisations_of(signed_in.account)
                return min((int(m.organisation_id) for m in memberships), default=None)
        except CairnError:
            return None
        return None

    return identify


class VerificationCounts:
    """Verification counts of one process (see the module's text); thread-safe."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        own_prefix: str | None,
        identify: Callable[[str, str], int | None] | None = None,
        flush_seconds: float = 5.0,
        flush_events: int = 5_000,
        max_keys: int = 50_000,
    ) -> None:
        self.database = database
        self.clock = clock
        self.own_prefix = own_prefix
        """``did:web:HOST:orgs:``: the DIDs of this instance's organisations start with it."""
        self.identify = identify
        self.flush_seconds = flush_seconds
        self.flush_events = flush_events
        self.max_keys = max_keys
        self.dropped = 0
        """Verifications not counted because too many different counts waited (the database did not answer)."""
        self._counts: dict[_Raw, int] = {}
        self._events = 0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._identities: dict[tuple[str, str], tuple[float, int | None]] = {}

    # -- counting (the hot path) -------------------------------------------------------------------------------

    def add(self, report: Report, *, channel: str, who: Who | None = None) -> None:
        """Count one verification of ``report`` through ``channel`` by ``who``."""
        day = self.clock().date()
        verified = report.verified
        if report.format in _PRESENTATIONS and report.credentials:
            items = [(inner, verified and inner.verified) for inner in report.credentials[:_MAX_IN_PRESENTATION]]
        else:
            items = [(report, verified)]
        raws = [(day, channel, who, *_issuer_of(inner), ok) for inner, ok in items]
        with self._lock:
            counts = self._counts
            for raw in raws:
                if raw in counts:
                    counts[raw] += 1
                elif len(counts) < self.max_keys:
                    counts[raw] = 1
                else:
                    self.dropped += 1
            self._events += len(raws)
            full = self._events >= self.flush_events
        if full:
            self._wake.set()

    def pending(self) -> int:
        """How many verifications are counted in memory and not yet written."""
        with self._lock:
            return sum(self._counts.values())

    # -- writing ----------------------------------------------------------------------------------------------

    def flush(self) -> int:
        """Write every count waiting in memory with one upsert; how many verifications it adds. When the
        database fails the counts wait for the next flush (and the error is raised)."""
        with self._flushing:
            with self._lock:
                taken, self._counts, self._events = self._counts, {}, 0
            if not taken:
                return 0
            try:
                return self._write(taken)
            except Exception:
                self._put_back(taken)
                raise

    def _put_back(self, taken: dict[_Raw, int]) -> None:
        with self._lock:
            for raw, count in taken.items():
                if raw in self._counts or len(self._counts) < self.max_keys:
                    self._counts[raw] = self._counts.get(raw, 0) + count
                else:
                    self.dropped += count

    def _write(self, taken: dict[_Raw, int]) -> int:
        verifiers = self._verifiers({raw[2] for raw in taken if raw[2] is not None})
        with self.database.transaction() as session:
            repo = CountsRepository(session)
            slugs = {did: self._slug(did) for did in {raw[3] for raw in taken if raw[3]}}
            organisations = repo.organisations(s for s in slugs.values() if s)
            awards = {raw[4]: raw[4].removeprefix("urn:uuid:") for raw in taken if raw[4]}
            definitions = repo.definitions_of_awards(a for a in awards.values() if a)
            by_id = repo.organisations_by_id(v for v in verifiers.values() if v is not None)
            rows: dict[tuple[Any, ...], int] = {}
            for (day, channel, who, did, credential_id, country, verified), count in taken.items():
                own = organisations.get(slugs.get(did or "") or "")
                verifier = by_id.get(verifiers.get(who) or -1) if who is not None else None
                definition = definitions.get(awards.get(credential_id or "") or "") if own else None
                key = (
                    day,
                    channel,
                    "organisation" if verifier else "anonymous",
                    verifier[0] if verifier else None,
                    verifier[1] if verifier else None,
                    own[0] if own else None,
                    country or (own[2] if own else None),
                    definition,
                    verified,
                )
                rows[key] = rows.get(key, 0) + count
            add_counts(session, VerificationCountRow, (_row(key, count) for key, count in rows.items()))
        return sum(rows.values())

    def _slug(self, did: str) -> str | None:
        prefix = self.own_prefix
        if not prefix or not did.startswith(prefix):
            return None
        slug = did[len(prefix) :]
        return slug if slug and ":" not in slug and len(slug) <= 80 else None

    def _verifiers(self, whos: Iterable[Who]) -> dict[Who, int | None]:
        """The organisation each ``who`` speaks for (remembered for a few minutes per token or session)."""
        found: dict[Who, int | None] = {}
        now = time.monotonic()
        for who in whos:
            kind, value = who
            if kind == "organisation":
                found[who] = int(value) if value.isdigit() else None
                continue
            cache_key = (kind, hashlib.sha256(value.encode()).hexdigest())
            cached = self._identities.get(cache_key)
            if cached is None or now - cached[0] > _IDENTITY_SECONDS:
                cached = (now, self.identify(kind, value) if self.identify is not None else None)
                if len(self._identities) > 10_000:
                    self._identities.clear()
                self._identities[cache_key] = cached
            found[who] = cached[1]
        return found

    # -- the background thread ----------------------------------------------------------------------------------

    def start(self) -> threading.Thread:
        """Write the counts from a background thread every ``flush_seconds`` (sooner after ``flush_events``
        verifications) until :meth:`stop`; the thread already running when there is one."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cairn-verification-counts", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread, and write what is left."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=timeout)
        self._flush_logged()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if not self._stop.is_set():
                self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # the database is away: the counts wait in memory for the next try
            log.warning("verification counts not written yet: %s", type(exc).__name__)


def _issuer_of(report: Report) -> tuple[str | None, str | None, str | None]:
    """(issuer DID, credential id) when this instance's organisation issued ``report``'s credential (its proof
    verified: a forgery's words are not taken), and the issuer's country from its trust information."""
    trust = report.trust
    identity = trust.get("identity")
    country = identity.get("country") if isinstance(identity, dict) else None
    country = country.upper() if isinstance(country, str) and len(country) == 2 and country.isalpha() else None
    if not trust.get("issued_here") or report.outcome_of("proof") is not Outcome.PASS:
        return None, None, country
    did = report.issuer.get("id")
    credential_id = (report.credential or {}).get("id")
    return (
        did if isinstance(did, str) and len(did) <= 300 else None,
        credential_id if isinstance(credential_id, str) and len(credential_id) <= 100 else None,
        country,
    )


def _row(key: tuple[Any, ...], count: int) -> dict[str, Any]:
    return {**dict(zip(VERIFICATION_DIMENSIONS, key, strict=True)), "count": count}
