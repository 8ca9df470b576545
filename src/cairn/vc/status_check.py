"""The verifier's ``status`` check: every ``credentialStatus`` entry of a credential, failing closed.

A status Cairn tries to check and cannot determine is a failed check marked *undetermined* (the verdict reads
"Cannot confirm it has not been revoked", :data:`cairn.vc.report.UNCONFIRMED`), never a pass: the list out of
reach, unreadable, too large, not a ``BitstringStatusListCredential``, out of its validity period, for another
purpose, issued by someone other than the credential's issuer, signed by a key its issuer does not control or not
signed at all; a status type Cairn cannot read; an entry that is malformed or whose index is outside the list.
Only where the caller chose not to go online (no fetcher, or a fetcher that raises
:class:`~cairn.errors.OfflineError`) does the report say "not checked", a warning beside a valid signature.

Read:

- ``BitstringStatusListEntry`` (W3C Bitstring Status List v1.0, :func:`cairn.vc.status.check_status`; the older
  ``StatusList2021Entry`` likewise), its list
  secured with Data Integrity, or as a JWT: VC-JOSE ``application/vc+jwt`` (the list is the payload), the Open
  Badges 3.0 form (the list in a ``vc`` claim, or the payload itself with ``iss``/``jti``/``nbf`` beside it, as
  ``openbadgeslib`` publishes it), or an ``EnvelopedVerifiableCredential`` around such a JWT. A JWT's key is named
  by ``kid`` (resolved like any key, and it must be the list issuer's) or carried in a ``jwk`` header, which is
  believed only when it is the very key that verified the credential;
- ``1EdTechRevocationList`` (the 1EdTech Revocation List Status Method of Open Badges 3.0 and CLR 2.0,
  :func:`cairn.vc.status.check_revocation_list`): verified where it is signed; its specification publishes it
  unsigned, so an unsigned list is read as it is, from the address the issuer signed into the credential.

Fetches go through the verifier's fetcher only, with its size and time limits; a decoded bitstring is bounded
(:data:`cairn.vc.status.MAX_DECODED_BYTES`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, Final, Protocol
from urllib.parse import unquote

from cairn.errors import CredentialError, OfflineError
from cairn.phrases import Phrase
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.keys import PublicKey
from cairn.vc.proofs.jose import JwsKey, is_compact_jws
from cairn.vc.proofs.suites import controller_of
from cairn.vc.report import Outcome, Report
from cairn.vc.status import (
    ENTRY_TYPES,
    REVOCATION_LIST,
    StatusResult,
    StatusState,
    check_revocation_list,
    check_status,
)
from cairn.vc.values import as_list, id_of

__all__ = ["MAX_STATUS_ENTRIES", "StatusCheck", "Verifier"]

MAX_STATUS_ENTRIES: Final = 8
"""Most ``credentialStatus`` entries read; a credential with more cannot be confirmed."""
_ENVELOPES: Final = ("data:application/vc+jwt,", "data:application/vc-ld+jwt,")

SIGNED_LISTS_KEPT: Final = 64
"""Most status list credentials whose proofs are remembered as verified (:data:`_SIGNED_LISTS`)."""
SIGNED_LIST_MAX_BYTES: Final = 1_000_000
"""Larger lists are checked afresh each time rather than remembered."""
_SIGNED_LISTS: dict[bytes, tuple[Mapping[str, Any], tuple[tuple[str, PublicKey], ...]]] = {}
"""Status list credentials (JSON with a Data Integrity proof) whose proofs verified, by their exact bytes, with the
key each proof's verification method resolved to. Every credential of an issuer names the same few lists, so one
list is checked for every verification of its credentials; what such a check reads is the list's bytes and the
keys its methods resolve to now, and nothing else (no clock: a list's proofs are checked without one). A list
whose bytes are remembered is taken as verified when each of its methods still resolves to the same key; the
resolution is done afresh each time, so a key taken out of the issuer's DID document stops the list at once. The
parsed document is shared by the verifications that use it and is never changed by them."""
_signed_lock = threading.Lock()


class Verifier(Protocol):
    """What the status check needs of the verification under way (:class:`cairn.vc.verification._Context`)."""

    now: datetime
    fetcher: Fetcher | None
    loader: DocumentLoader | None
    fetch_status_list: Callable[[str], Mapping[str, Any]] | None
    jwt_keys: dict[int, tuple[Mapping[str, Any], JwsKey]]

    def resolve_key(self, verification_method: str, purpose: str) -> PublicKey: ...

    def jwt_resolver(self, purpose: str) -> Callable[[Mapping[str, Any]], JwsKey]: ...


class StatusCheck:
    """The ``status`` check of one credential ``doc`` (already checked for its proof) into ``report``."""

    def __init__(self, verifier: Verifier, report: Report, doc: Mapping[str, Any]) -> None:
        self.verifier = verifier
        self.report = report
        self.doc = doc

    def run(self) -> None:
        """Add one ``status`` check per entry (or one skipped check when there is none)."""
        report, doc = self.report, self.doc
        entries = as_list(doc.get("credentialStatus"))
        if not entries:
            report.add(
                "status", Outcome.SKIPPED, Phrase("the issuer gives no way to revoke or suspend this credential")
            )
            return
        online = self.verifier.fetch_status_list is not None or self.verifier.fetcher is not None
        for entry in entries[:MAX_STATUS_ENTRIES]:
            kind = entry.get("type") if isinstance(entry, Mapping) else None
            if not isinstance(entry, Mapping) or (kind not in ENTRY_TYPES and kind != REVOCATION_LIST):
                shown = kind[:60] if isinstance(kind, str) else "(none)"
                _unconfirmed(report, None, Phrase("Cairn cannot read the status type %(type)s", type=shown))
            elif not online:
                _not_checked(report, entry.get("id" if kind == REVOCATION_LIST else "statusListCredential"))
            else:
                try:
                    self._one(entry)
                except Exception as exc:  # a hostile list is a failing check, never a crash of the whole report
                    why = Phrase("the status list could not be processed (%(error)s)", error=type(exc).__name__)
                    _unconfirmed(report, None, why)
        if len(entries) > MAX_STATUS_ENTRIES:
            why = Phrase("only the first %(n)s status entries are read", n=str(MAX_STATUS_ENTRIES))
            _unconfirmed(report, None, why)

    def _one(self, entry: Mapping[str, Any]) -> None:
        report, doc, verifier = self.report, self.doc, self.verifier
        issuer = id_of(doc.get("issuer"))
        one_edtech = entry.get("type") == REVOCATION_LIST
        if verifier.fetch_status_list is not None and not (one_edtech and verifier.fetcher is not None):
            fetch: Callable[[str], Mapping[str, Any]] = verifier.fetch_status_list
        else:
            fetch = self.fetch_revocation_list if one_edtech else self.fetch_list
        offline: list[str] = []

        def fetch_list(url: str) -> Mapping[str, Any]:
            try:
                return fetch(url)
            except OfflineError:
                offline.append(url)
                raise

        result: StatusResult
        if one_edtech:
            url = entry.get("id")
            try:
                if not isinstance(url, str) or not url:
                    raise CredentialError("the 1EdTech revocation list entry has no id URL")
                document = fetch_list(url)
            except CredentialError as exc:
                reason = Phrase("cannot get the revocation list: %(error)s", error=exc.message)
                result = StatusResult(StatusState.ERROR, "revocation", reason=reason)
            else:
                own_id = id_of(doc.get("id"))
                result = check_revocation_list(document, credential_id=own_id, expected_issuer=issuer, now=verifier.now)
        else:
            result = check_status(entry, fetch_list=fetch_list, now=verifier.now, expected_issuer=issuer)
        purpose = result.purpose or str(entry.get("statusPurpose"))
        if offline:
            _not_checked(report, offline[0])
        elif result.state is StatusState.ERROR:
            _unconfirmed(report, purpose, Phrase("%(reason)s", reason=str(result.reason)))
        elif result.state is StatusState.SET and purpose in ("revocation", "suspension"):
            report.add("status", Outcome.FAIL, _set_reason(purpose, result.message))
        elif result.state is StatusState.SET:
            shown = f"{result.message} ({hex(result.value or 0)})" if result.message else hex(result.value or 0)
            reason = Phrase("the issuer's %(purpose)s status is %(value)s", purpose=purpose, value=shown)
            report.add("status", Outcome.WARNING, reason)
        elif purpose == "suspension":
            report.add("status", Outcome.PASS, Phrase("not suspended"))
        elif purpose == "revocation":
            report.add("status", Outcome.PASS, Phrase("not revoked"))
        else:
            shown = f" ({result.message})" if result.message else ""
            reason = Phrase("the issuer's %(purpose)s status is not set%(message)s", purpose=purpose, message=shown)
            report.add("status", Outcome.PASS, reason)

    # -- getting a list and checking how it is secured ----------------------------------------------------

    def fetch_list(self, url: str, *, unsigned: bool = False) -> Mapping[str, Any]:
        """Fetch a status list credential and check how it is secured: a Data Integrity proof, or a JWT, each signed
        by a key of the list's own issuer; a list that does not verify is refused (raises
        :class:`~cairn.errors.CredentialError`). ``unsigned``: a list with no proof is taken as it is."""
        fetcher = self.verifier.fetcher
        if fetcher is None:
            raise OfflineError(f"{url[:200]} was not fetched (offline)")
        response = fetcher.fetch(url)
        if response.content.lstrip()[:1] not in (b"{", b"["):
            token = response.content.decode("ascii", errors="replace").strip()
            if not is_compact_jws(token):
                raise CredentialError("the status list is neither JSON nor a JWT")
            return self._jwt_list(token)
        content = response.content
        remembered = self.verifier.loader is None  # a loader of the caller's own may read contexts otherwise
        if remembered and (kept := _SIGNED_LISTS.get(content)) is not None and self._same_keys(kept[1]):
            return kept[0]
        document = loads_json(content, what="status list")
        if not isinstance(document, dict):
            raise CredentialError("the status list is not a JSON object")
        if "EnvelopedVerifiableCredential" in as_list(document.get("type")):
            ident = str(document.get("id", ""))
            prefix = next((p for p in _ENVELOPES if ident.startswith(p)), None)
            if prefix is None:
                raise CredentialError("the enveloped status list is not a data:application/vc+jwt URL")
            return self._jwt_list(unquote(ident[len(prefix) :]).strip())
        if unsigned and "proof" not in document:
            return document
        keys = self._list_proofs(document)
        if remembered and len(content) <= SIGNED_LIST_MAX_BYTES:
            shared = MappingProxyType(document)
            with _signed_lock:
                if len(_SIGNED_LISTS) >= SIGNED_LISTS_KEPT:
                    _SIGNED_LISTS.clear()
                _SIGNED_LISTS[content] = (shared, keys)
            return shared
        return document

    def _same_keys(self, keys: tuple[tuple[str, PublicKey], ...]) -> bool:
        """Whether each verification method still resolves to the key it verified a remembered list with."""
        try:
            return all(self.verifier.resolve_key(method, "assertionMethod") == key for method, key in keys)
        except CredentialError:
            return False

    def fetch_revocation_list(self, url: str) -> Mapping[str, Any]:
        """A 1EdTech revocation list: verified where it is signed, taken as it is where it is not."""
        return self.fetch_list(url, unsigned=True)

    def _list_proofs(self, document: Mapping[str, Any]) -> tuple[tuple[str, PublicKey], ...]:
        """Verify the list's proofs (raising :class:`CredentialError` when one fails); the key each one's method
        resolved to."""
        from cairn.vc.proofs.data_integrity import verify_proofs

        checks = verify_proofs(document, resolve_key=self.verifier.resolve_key, loader=self.verifier.loader)
        if not checks or not all(c.ok for c in checks):
            reason = next((c.reason for c in checks if not c.ok), "it has no proof")
            raise CredentialError(f"the status list credential does not verify: {reason}")
        owner = id_of(document.get("issuer"))
        for check in checks:
            method = check.verification_method or ""
            if owner is None or controller_of(method) != owner:
                raise CredentialError(f"the status list is signed by {method[:120]}, a key its issuer does not control")
        return tuple(
            (m, self.verifier.resolve_key(m, "assertionMethod"))
            for m in sorted({c.verification_method or "" for c in checks})
        )

    def _credential_keys(self) -> list[JwsKey]:
        """The keys that verified the credential whose status is checked (none unless its proof passed)."""
        if self.report.outcome_of("proof") is not Outcome.PASS:
            return []
        doc = self.doc
        held = self.verifier.jwt_keys.get(id(doc))
        keys: list[JwsKey] = [held[1]] if held is not None and held[0] is doc else []
        for proof in as_list(doc.get("proof"))[:MAX_STATUS_ENTRIES]:
            method = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
            if isinstance(method, str):
                try:
                    keys.append(self.verifier.resolve_key(method, "assertionMethod"))
                except CredentialError:
                    continue
        return keys

    def _jwt_list(self, token: str) -> dict[str, Any]:
        from cairn.vc.proofs.jose import header_jwk, verify_jwt

        kid_resolve = self.verifier.jwt_resolver("assertionMethod")

        def resolve(header: Mapping[str, Any]) -> JwsKey:
            if isinstance(header.get("kid"), str):
                return kid_resolve(header)
            key = header_jwk(header)
            if key is None:
                raise CredentialError("the status list's JWT names no key (no kid, no jwk)")
            if key not in self._credential_keys():
                raise CredentialError(
                    "the status list's JWT carries its own key, not the key that signed the credential"
                )
            return key

        result = verify_jwt(token, resolve_key=resolve, now=self.verifier.now)
        if not result.ok or result.payload is None:
            raise CredentialError(f"the status list's JWT does not verify: {result.reason}")
        payload = result.payload
        inner = payload.get("vc")
        document = inner if isinstance(inner, dict) else payload
        owner = id_of(document.get("issuer"))
        if "iss" in payload and payload["iss"] != owner:
            raise CredentialError("the status list's JWT iss claim is not the list's issuer")
        kid = (result.header or {}).get("kid")
        if isinstance(kid, str) and (owner is None or controller_of(kid) != owner):
            raise CredentialError(f"the status list is signed by {kid[:120]}, a key its issuer does not control")
        return document


def _set_reason(purpose: str, message: str | None) -> Phrase:
    if purpose == "suspension":
        if message:
            return Phrase("the issuer has suspended this credential: %(message)s", message=message)
        return Phrase("the issuer has suspended this credential")
    if message:
        return Phrase("the issuer has revoked this credential: %(message)s", message=message)
    return Phrase("the issuer has revoked this credential")


def _unconfirmed(report: Report, purpose: str | None, why: Phrase) -> None:
    """A status Cairn tried to check and could not determine: a failed check, marked undetermined."""
    if purpose == "suspension":
        reason = Phrase("cannot confirm it has not been suspended: %(why)s", why=why)
    else:
        reason = Phrase("cannot confirm it has not been revoked: %(why)s", why=why)
    report.add("status", Outcome.FAIL, reason, undetermined=True)


def _not_checked(report: Report, url: object) -> None:
    shown = url[:200] if isinstance(url, str) else "(none)"
    reason = Phrase("not checked: the status list %(url)s was not fetched (offline)", url=shown)
    report.add("status", Outcome.WARNING, reason)
