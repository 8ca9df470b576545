"""The verifier's side of OpenID for Verifiable Presentations 1.0: an organisation asks for "a micro-credential
with these properties" (a DCQL query) and receives the presentation by ``direct_post``.

- :meth:`OpenID4VPVerifier.create`: a request (name, purpose, DCQL query) of an organisation, open
  :data:`REQUEST_LIFETIME`. Its id is random; its handle (the ``request_uri``), ``state`` and ``nonce`` are derived
  from the id with a key from ``CAIRN_SECRET_KEY``, and only the handle's and the state's SHA-256 are stored.
- :meth:`request_object`: the request object at ``request_uri``: ``client_id`` ``decentralized_identifier:`` +
  the organisation's did:web, signed (``typ: oauth-authz-req+jwt``) by its key with ``kid`` the DID URL; or,
  for a ``redirect_uri:`` client, unsigned (``alg: none``). The link of a signed request passes it by reference
  (``request_uri``); an unsigned one's passes it by value (its parameters in the link, as OpenID4VP 1.0 expects of
  an unsigned request, and as independent wallets read it only).
- :meth:`respond`: the response endpoint. Each presentation of ``vp_token`` (1.0: a JSON object keyed by
  credential query id; a bare presentation is read for a one-query request) is verified on the one verification
  path with ``challenge`` = the nonce and ``domain`` (KB-JWT ``aud``) = the client id, must be bound to its
  holder, and must answer its credential query. Accepted, the report is stored and the nonce is used up;
  refused, an :class:`~cairn.services.openid4vci.protocol.OAuthError` says why and nothing changes. The
  presentation itself is not kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlencode

from sqlalchemy import select

from cairn.errors import InputError, NotFoundError
from cairn.model.dcql import JWT_VC_JSON, LDP_VC, SD_JWT, DcqlError, check_query, satisfied, unmet
from cairn.model.dcql import select as select_claim
from cairn.services.accounts.access import organisation_name
from cairn.services.issuing.keys import KeyService
from cairn.services.openid4vci.protocol import OAuthError, digest
from cairn.services.verification.service import VerificationService
from cairn.store.catalog.repository import OrganisationRepository
from cairn.store.database import Database
from cairn.store.issuing.repository import AuditRecord, append_audit
from cairn.store.tables import OrganisationRow, PresentationRequestRow
from cairn.vc.keys import KeyType
from cairn.vc.multibase import b64url_encode
from cairn.vc.report import Outcome, Report
from cairn.vc.request_object import DID_PREFIX, sign_request_object

__all__ = ["MAX_RESPONSE", "REDIRECT_PREFIX", "REQUEST_LIFETIME", "OpenID4VPVerifier", "RequestView"]

REQUEST_LIFETIME: Final = timedelta(minutes=10)
MAX_RESPONSE: Final = 512 * 1024
"""Largest response (bytes of the form) the response endpoint reads."""
REDIRECT_PREFIX: Final = "redirect_uri:"
SELF_ISSUED: Final = "https://self-issued.me/v2"
_KINDS: Final = {"sd-jwt-vc": SD_JWT, "presentation": LDP_VC, "vp-jwt": JWT_VC_JSON}
MAX_NAME: Final = 200
MAX_PURPOSE: Final = 1000


@dataclass(frozen=True, slots=True)
class RequestView:
    """A presentation request as its organisation sees it."""

    id: str
    organisation: str
    name: str
    purpose: str
    dcql: dict[str, Any]
    client_id: str
    signed: bool
    request_uri: str
    link: str
    """What the QR code holds: ``openid4vp://?client_id=...&request_uri=...`` for a signed request, the request's
    parameters by value for an unsigned one."""
    same_device: str
    """The address of Cairn's own wallet answering it on the same device."""
    created_at: datetime
    expires_at: datetime
    status: str
    """``open``, ``answered`` or ``expired``."""
    result: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The API's JSON form."""
        return {
            "id": self.id,
            "organisation": self.organisation,
            "name": self.name,
            "purpose": self.purpose,
            "dcql_query": self.dcql,
            "client_id": self.client_id,
            "request_uri": self.request_uri,
            "link": self.link,
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "status": self.status,
            "result": self.result,
        }


class OpenID4VPVerifier:
    """Organisations' presentation requests and the response endpoint."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        keys: KeyService,
        verification: VerificationService,
        secret: Callable[[], bytes],
        public_url: str,
    ) -> None:
        self.database = database
        self.clock = clock
        self.keys = keys
        self.verification = verification
        self._secret = secret
        self.public_url = public_url.rstrip("/")
        self.counted: Callable[..., None] | None = None
        """Counts each presentation verified for policy analytics
        (:meth:`cairn.services.verification.counting.VerificationCounts.add`), wired by the bootstrap."""

    # -- derived values -----------------------------------------------------------------------------

    def _derive(self, purpose: str, request_id: str) -> str:
        key = hmac.new(self._secret(), b"cairn openid4vp", hashlib.sha256).digest()
        return b64url_encode(hmac.new(key, f"{purpose}\x1f{request_id}".encode(), hashlib.sha256).digest())

    def handle(self, request_id: str) -> str:
        return self._derive("handle", request_id)

    def state(self, request_id: str) -> str:
        return self._derive("state", request_id)

    def nonce(self, request_id: str) -> str:
        return self._derive("nonce", request_id)

    @property
    def response_uri(self) -> str:
        return f"{self.public_url}/openid4vp/response"

    def request_uri(self, handle: str) -> str:
        return f"{self.public_url}/openid4vp/requests/{handle}"

    def client_id(self, row: PresentationRequestRow, slug: str) -> str:
        if row.client_prefix == "redirect_uri":
            return REDIRECT_PREFIX + self.response_uri
        return DID_PREFIX + self.keys.did(slug)

    def _view(self, row: PresentationRequestRow, slug: str) -> RequestView:
        handle = self.handle(row.id)
        client_id = self.client_id(row, slug)
        request_uri = self.request_uri(handle)
        if row.client_prefix == "redirect_uri":
            # ``:/,`` as they are (RFC 3986 allows them in a query): the QR code of the demo's request is then a
            # version 30 symbol, not 32; no ``client_metadata`` (optional; it would make it version 38)
            link = "openid4vp://?" + urlencode(self._parameters(row, client_id), quote_via=quote, safe=":/,")
        else:
            link = f"openid4vp://?client_id={quote(client_id, safe='')}&request_uri={quote(request_uri, safe='')}"
        now = self.clock()
        status = "answered" if row.answered_at is not None else "open" if now < row.expires_at else "expired"
        return RequestView(
            row.id,
            slug,
            row.name,
            row.purpose,
            dict(row.dcql),
            client_id,
            row.client_prefix != "redirect_uri",
            request_uri,
            link,
            f"/wallet/presentation-requests?request_uri={quote(request_uri, safe='')}"
            f"&client_id={quote(client_id, safe='')}",
            row.created_at,
            row.expires_at,
            status,
            dict(row.result) if row.result else None,
        )

    # -- requests -----------------------------------------------------------------------------------

    def create(
        self, slug: str, *, actor: str, name: str, purpose: str, dcql: Mapping[str, Any], signed: bool = True
    ) -> RequestView:
        """A new presentation request of organisation ``slug`` (InputError for a bad name or query)."""
        name, purpose = name.strip(), purpose.strip()
        if not name or len(name) > MAX_NAME:
            raise InputError("give the request a name of up to %(n)s characters", n=MAX_NAME)
        if len(purpose) > MAX_PURPOSE:
            raise InputError("the purpose is at most %(n)s characters", n=MAX_PURPOSE)
        try:
            query = check_query(dcql)
        except DcqlError as exc:
            raise InputError("the DCQL query is not supported: %(reason)s", reason=str(exc)) from None
        request_id = str(uuid.uuid4())
        now = self.clock()
        if signed:
            self.keys.ensure_key(slug, suite="ecdsa-rdfc-2019", key_type=KeyType.P256.value)
        with self.database.transaction() as session:
            org = OrganisationRepository(session).row(slug)
            if org is None:
                raise NotFoundError("no such organisation")
            row = PresentationRequestRow(
                id=request_id,
                organisation_id=org.id,
                created_by=actor[:120],
                name=name,
                purpose=purpose,
                dcql=query,
                client_prefix="decentralized_identifier" if signed else "redirect_uri",
                handle_hash=digest(self.handle(request_id)),
                state_hash=digest(self.state(request_id)),
                created_at=now,
                expires_at=now + REQUEST_LIFETIME,
            )
            session.add(row)
            details = {"name": name, "queries": [q["id"] for q in query["credentials"]]}
            append_audit(session, [AuditRecord(now, actor, "openid4vp.request", slug, details)])
            session.flush()
            return self._view(row, slug)

    def get(self, slug: str, request_id: str) -> RequestView:
        """One request of organisation ``slug`` (NotFoundError for another's)."""
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(slug)
            row = session.get(PresentationRequestRow, request_id[:36])
            if org is None or row is None or row.organisation_id != org.id:
                raise NotFoundError("no such presentation request")
            return self._view(row, slug)

    def list(self, slug: str, *, limit: int = 50) -> list[RequestView]:
        """The organisation's requests, newest first."""
        with self.database.transaction(read_only=True) as session:
            org = OrganisationRepository(session).row(slug)
            if org is None:
                raise NotFoundError("no such organisation")
            rows = session.scalars(
                select(PresentationRequestRow)
                .where(PresentationRequestRow.organisation_id == org.id)
                .order_by(PresentationRequestRow.created_at.desc())
                .limit(limit)
            )
            return [self._view(row, slug) for row in rows]

    def _by_handle(self, handle: str) -> tuple[PresentationRequestRow, str, str]:
        if not handle or len(handle) > 100 or not handle.isascii():
            raise NotFoundError("there is no such presentation request, or it has expired")
        with self.database.transaction(read_only=True) as session:
            row = session.scalar(
                select(PresentationRequestRow).where(PresentationRequestRow.handle_hash == digest(handle))
            )
            if row is None or row.answered_at is not None or self.clock() >= row.expires_at:
                raise NotFoundError("there is no such presentation request, or it has expired")
            org = session.get_one(OrganisationRow, row.organisation_id)
            session.expunge(row)
            return row, org.slug, organisation_name(org)

    def _parameters(self, row: PresentationRequestRow, client_id: str) -> dict[str, str]:
        """The request's parameters as a link passes them by value (JSON values as compact JSON text)."""
        return {
            "client_id": client_id,
            "response_type": "vp_token",
            "response_mode": "direct_post",
            "response_uri": self.response_uri,
            "nonce": self.nonce(row.id),
            "state": self.state(row.id),
            "dcql_query": json.dumps(row.dcql, separators=(",", ":"), ensure_ascii=False),
        }

    def handle_of(self, state: str) -> str:
        """The handle of the open request whose ``state`` this is (a request read by value names itself by its
        state); NotFoundError when none is open."""
        if not state or len(state) > 100 or not state.isascii():
            raise NotFoundError("there is no such presentation request, or it has expired")
        with self.database.transaction(read_only=True) as session:
            row = session.scalar(
                select(PresentationRequestRow).where(PresentationRequestRow.state_hash == digest(state))
            )
            if row is None or row.answered_at is not None or self.clock() >= row.expires_at:
                raise NotFoundError("there is no such presentation request, or it has expired")
            return self.handle(row.id)

    def request_object(self, handle: str) -> str:
        """The request object at ``request_uri`` (NotFoundError once answered or expired). An unsigned request's
        (``alg: none``) is still served, though its link passes the request by value."""
        row, slug, _ = self._by_handle(handle)
        client_id = self.client_id(row, slug)
        # no ``iss``: RFC 9101 leaves its value open, and wallets read it differently (@openid4vc/openid4vp takes an
        # ``iss`` as the DID the ``kid`` must start with, so ``iss`` = the prefixed client id fails there); who asks
        # is the ``client_id``, and the ``kid`` is a key of its DID
        claims: dict[str, Any] = {
            "aud": SELF_ISSUED,
            "iat": int(self.clock().timestamp()),
            "exp": int(row.expires_at.timestamp()),
            **self._parameters(row, client_id),
            "dcql_query": row.dcql,
            "client_metadata": {"vp_formats_supported": VP_FORMATS},
        }
        if row.client_prefix == "redirect_uri":
            header = b64url_encode(b'{"alg":"none","typ":"oauth-authz-req+jwt"}')
            return header + "." + b64url_encode(json.dumps(claims, separators=(",", ":")).encode()) + "."
        signing = self.keys.ensure_key(slug, suite="ecdsa-rdfc-2019", key_type=KeyType.P256.value)
        return sign_request_object(claims, key=signing.key, kid=signing.verification_method)

    def requester(self, handle: str) -> tuple[str, str, str, str]:
        """Who asks by ``handle`` as the registry says it: (organisation slug, its name, the request's name, its
        purpose); NotFoundError when it is not open."""
        row, slug, name = self._by_handle(handle)
        return slug, name, row.name, row.purpose

    # -- the response endpoint ----------------------------------------------------------------------

    def respond(self, form: Mapping[str, str]) -> dict[str, Any]:
        """Answer a ``direct_post`` response (its form fields): ``{}`` when accepted, else OAuthError."""
        state = form.get("state", "")
        if not state or len(state) > 100:
            raise OAuthError("invalid_request", "state is missing")
        with self.database.transaction(read_only=True) as session:
            row = session.scalar(
                select(PresentationRequestRow).where(PresentationRequestRow.state_hash == digest(state))
            )
            if row is None:
                raise OAuthError("invalid_request", "no presentation request has this state")
            if row.answered_at is not None:
                raise OAuthError("invalid_request", "this request was answered already: a presentation is used once")
            if self.clock() >= row.expires_at:
                raise OAuthError("invalid_request", "this presentation request has expired")
            org = session.get_one(OrganisationRow, row.organisation_id)
            request_id, slug, query, verifier = row.id, org.slug, dict(row.dcql), ("organisation", str(org.id))
            client_id = self.client_id(row, slug)
        if "error" in form:
            raise OAuthError("invalid_request", "the wallet declined: " + form.get("error", "")[:100])
        presented = _vp_token(form.get("vp_token", ""), query)
        reports: dict[str, Any] = {}
        disclosed: dict[str, Any] = {}
        holders: set[str] = set()
        bound: dict[str, bool] = {}
        for query_id, presentation in presented.items():
            wanted = next(q for q in query["credentials"] if q["id"] == query_id)
            report = self.verification.verify(presentation, challenge=self.nonce(request_id), domain=client_id)
            if self.counted is not None:
                self.counted(report, channel="openid4vp", who=verifier)
            holder, problem, document, bound[query_id] = _accepted(report, wanted)
            if problem:
                raise OAuthError("invalid_request", f"{query_id}: {problem}")
            holders.add(holder)
            reports[query_id] = report.to_dict()
            disclosed[query_id] = _disclosed(wanted, document)
        if not satisfied(query, reports):
            raise OAuthError("invalid_request", "the presentations do not answer every credential the request asks for")
        if len(holders) > 1:
            raise OAuthError("invalid_request", "the presentations are of different holders")
        now = self.clock()
        with self.database.transaction() as session:
            row = session.get_one(PresentationRequestRow, request_id, with_for_update=True)
            if row.answered_at is not None:
                raise OAuthError("invalid_request", "this request was answered already: a presentation is used once")
            verified = all(r["verified"] for r in reports.values())
            row.answered_at = now
            holder = holders.pop() if holders else ""
            row.result = {
                "holder": holder,
                "verified": verified,
                "reports": reports,
                "disclosed": disclosed,
                "bound": bound,
            }
            details = {"request": request_id, "queries": sorted(reports), "verified": verified}
            append_audit(session, [AuditRecord(now, "wallet", "openid4vp.answer", slug, details)])
        return {}


VP_FORMATS: Final = {
    SD_JWT: {"sd-jwt_alg_values": ["ES256", "ES384", "EdDSA"], "kb-jwt_alg_values": ["ES256", "ES384", "EdDSA"]},
    LDP_VC: {"proof_type_values": ["DataIntegrityProof"], "cryptosuite_values": ["eddsa-rdfc-2022", "ecdsa-rdfc-2019"]},
    JWT_VC_JSON: {"alg_values": ["ES256", "ES384", "EdDSA"]},
}


def _vp_token(raw: str, query: Mapping[str, Any]) -> dict[str, Any]:
    """``{credential query id: presentation}`` from the form's ``vp_token`` (OAuthError when malformed)."""
    raw = raw.strip()
    if not raw:
        raise OAuthError("invalid_request", "vp_token is missing")
    ids = [q["id"] for q in query["credentials"]]
    parsed: Any = raw
    if raw.startswith("{"):
        try:
            parsed = json.loads(raw)
        except (ValueError, RecursionError):
            raise OAuthError("invalid_request", "vp_token is not valid JSON") from None
    if isinstance(parsed, str) or (isinstance(parsed, dict) and "@context" in parsed):
        if len(ids) != 1:  # a draft-style bare presentation: only one query it can answer
            raise OAuthError("invalid_request", "vp_token must be a JSON object keyed by credential query id")
        return {ids[0]: parsed}
    if not isinstance(parsed, dict) or not parsed:
        raise OAuthError("invalid_request", "vp_token must be a JSON object keyed by credential query id")
    out: dict[str, Any] = {}
    for key, value in parsed.items():
        if key not in ids:
            raise OAuthError("invalid_request", f"vp_token names a credential query the request has not: {key[:64]}")
        if not isinstance(value, list) or len(value) != 1:
            raise OAuthError("invalid_request", f"vp_token.{key} must be a list of one presentation")
        if not isinstance(value[0], str | dict):
            raise OAuthError("invalid_request", f"vp_token.{key} holds no presentation")
        out[key] = value[0]
    return out


_TECHNICAL: Final = frozenset({"iss", "iat", "nbf", "exp", "cnf", "status", "vct", "_sd", "_sd_alg", "jti", "sub"})
_SHOWN: Final = 500


def _short(value: Any) -> Any:
    if isinstance(value, bool | int | float) or value is None:
        return value
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text[:_SHOWN]


def _disclosed(query: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """What the holder disclosed for one credential query, as the request keeps it: the values found at each
    claim path the query asks (``claims``) and, for an SD-JWT VC, every claim it shows (``shown``)."""
    claims = [
        {
            "path": claim["path"],
            "values": [_short(v) for v in select_claim(document, claim["path"]) if v is not None][:20],
        }
        for claim in query.get("claims", [])
    ]
    out: dict[str, Any] = {"format": query.get("format"), "claims": claims}
    if query.get("format") == SD_JWT:
        shown = [(k, v) for k, v in document.items() if isinstance(k, str) and k not in _TECHNICAL]
        out["shown"] = {k[:100]: _short(v) for k, v in shown[:60]}
    return out


def _accepted(report: Report, query: Mapping[str, Any]) -> tuple[str, str, Mapping[str, Any], bool]:
    """The holder of a presentation, when it is refused why (else ``""``), the credential it presents, and whether
    that credential is bound to the holder: an SD-JWT VC by its key binding, a W3C credential when its subject is the
    presentation's holder (a credential naming its subject otherwise, by a hashed email say, could be presented by
    anyone holding a copy)."""
    kind = _KINDS.get(report.format)
    if kind is None:
        return "", f"a {report.format} is not a presentation this request takes", {}, False
    if report.outcome_of("proof") is not Outcome.PASS:
        failed = next((c.reason for c in report.checks if c.outcome is Outcome.FAIL), "it does not verify")
        return "", f"the presentation does not verify: {failed}", {}, False
    if kind == SD_JWT:
        if report.outcome_of("key-binding") is not Outcome.PASS:
            return "", "the SD-JWT VC is not bound to its holder by a key binding JWT for this request", {}, False
        bound = True
        document = report.credential or {}
        holder = (
            str((document.get("cnf") or {}).get("jwk", {}).get("x", ""))
            if isinstance(document.get("cnf"), dict)
            else ""
        )
    else:
        if len(report.credentials) != 1:
            return "", "a presentation carries exactly one credential for each credential query", {}, False
        inner = report.credentials[0]
        if inner.outcome_of("proof") is not Outcome.PASS:
            return "", "the credential inside the presentation does not verify", {}, False
        holder = str(report.subject.get("id") or "")
        subject = inner.subject.get("id")
        if not holder or (isinstance(subject, str) and subject != holder):
            return "", "the credential is about someone else than the presentation's holder", {}, False
        bound = subject == holder
        document = inner.credential or {}
    problem = unmet(query, document, kind)
    return holder, problem or "", document, bound
