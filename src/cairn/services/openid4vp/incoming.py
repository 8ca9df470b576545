"""Requests of other verifiers to Cairn's wallet (OpenID4VP 1.0): read through the limited outbound client, never
trusted by name, and the answer posted back to their ``response_uri``.

:func:`read_external` takes the parameters of an ``openid4vp://`` link of another host: a ``request_uri`` (fetched
with GET, at most :data:`~cairn.vc.request_object.MAX_REQUEST_OBJECT` bytes, within the fetcher's timeout) or the
request by value. What is read:

- ``redirect_uri:`` client ids: unsigned (by value, or a request object with ``alg: none``); the ``response_uri``
  must be the client id's URI (so the answer goes where the client id says, nowhere else);
- ``decentralized_identifier:`` client ids: a request object signed by a key of that DID (resolved on the one
  verification path: did:key offline, did:web over the limited fetcher); a signature that does not verify is
  refused;
- anything else (x509, verifier attestations, federation, ``request_uri_method=post``, ``direct_post.jwt``,
  ``dc_api``) is refused with a message saying so.

Such a verifier is **unidentified**: the wallet shows its client id as given, marked not verified (a verified
signature proves only that the DID's key signed it, not who that is), and the learner must confirm before anything
is sent. :func:`post_answer` posts ``vp_token`` and ``state`` form-encoded to the ``response_uri`` (no redirects,
a size limit on the answer, the fetcher's timeout); a refusal comes back as an InputError in plain words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from cairn.errors import FetchError, InputError, KeyFormatError
from cairn.model.dcql import DcqlError, check_query
from cairn.services.wallet.offers import Outbound, clean_text, get, parse_json
from cairn.vc.fetch import Fetcher
from cairn.vc.multibase import b64url_decode
from cairn.vc.request_object import DID_PREFIX, MAX_REQUEST_OBJECT, verify_request_object

__all__ = ["MAX_VERIFIER_ANSWER", "REDIRECT_PREFIX", "Incoming", "post_answer", "read_external"]

REDIRECT_PREFIX: Final = "redirect_uri:"
MAX_VERIFIER_ANSWER: Final = 64 * 1024
"""Largest answer read from a verifier's response endpoint."""
_MAX_VALUE: Final = 500
_FORM: Final = "application/x-www-form-urlencoded"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as the wallet shows it: who asks (from the registry), what, and where the answer goes."""

    request_uri: str
    client_id: str
    signed: bool
    organisation: str
    """The verifier organisation's slug ("" when nobody is identified: an unsigned request, or another host's)."""
    verifier: str
    """Its name as the registry says it ("" when unidentified)."""
    name: str
    purpose: str
    dcql: dict[str, Any]
    nonce: str
    state: str
    response_uri: str = ""
    """Another host's response endpoint ("": this instance's, answered by a call)."""

    @property
    def external(self) -> bool:
        """A request of another host: unidentified, the learner confirms before sharing."""
        return bool(self.response_uri)


def _https(url: object, what: str, allow_http: bool) -> str:
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise InputError("the request has no %(what)s", what=what)
    parts = urlsplit(url)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise InputError("the request's %(what)s is not an https address", what=what)
    if not parts.hostname:
        raise InputError("the request's %(what)s is not an https address", what=what)
    return url


def _segment(token: str, index: int, what: str) -> Any:
    try:
        return parse_json(b64url_decode(token.split(".")[index], max_length=MAX_REQUEST_OBJECT), what)
    except (IndexError, ValueError, KeyFormatError):
        raise InputError("the request object is not a JWT") from None


def _request_object(token: str, *, fetcher: Fetcher | None, now: datetime) -> tuple[dict[str, Any], bool]:
    """The request object's claims and whether it was signed (and verified)."""
    if token.count(".") != 2:
        raise InputError("the request object is not a JWT")
    header = _segment(token, 0, "request object header")
    if not isinstance(header, dict):
        raise InputError("the request object is not a JWT")
    if header.get("alg") == "none":
        payload = _segment(token, 1, "request object")
        if not isinstance(payload, dict) or not str(payload.get("client_id", "")).startswith(REDIRECT_PREFIX):
            raise InputError("an unsigned request object must use a redirect_uri: client id")
        return payload, False
    claims = _segment(token, 1, "request object")
    client_id = str(claims.get("client_id", "")) if isinstance(claims, dict) else ""
    if not client_id.startswith(DID_PREFIX):
        raise InputError(
            "Cairn's wallet reads signed requests of decentralized_identifier: verifiers only, not %(id)s",
            id=clean_text(client_id.split(":", 1)[0] or "this one", 60),
        )
    checked = verify_request_object(token, fetcher=fetcher, now=now)
    if not checked.ok or checked.payload is None:
        raise InputError("the request's signature does not verify: %(reason)s", reason=checked.reason or "")
    return checked.payload, True


def read_external(
    fields: dict[str, str],
    *,
    outbound: Outbound | None,
    fetcher: Fetcher | None,
    now: datetime,
    allow_http: bool = False,
) -> Incoming:
    """The request of another host that the link's query ``fields`` hold (by reference or by value), checked; an
    InputError saying why it cannot be answered (nothing is sent to anyone but the ``request_uri``)."""
    if outbound is None:
        raise InputError("this Cairn does not fetch from the web, so its wallet answers its own verifiers only")
    request_uri = fields.get("request_uri", "")
    if request_uri:
        if fields.get("request_uri_method", "get").lower() != "get":
            raise InputError("Cairn's wallet fetches request objects with GET only (request_uri_method=post)")
        url = _https(request_uri, "request_uri", allow_http)
        answer = get(outbound, url, MAX_REQUEST_OBJECT, "request object", Accept="application/oauth-authz-req+jwt")
        token = answer.content.decode("ascii", "replace").strip()
        payload, signed = _request_object(token, fetcher=fetcher, now=now)
        if fields.get("client_id") and fields["client_id"] != payload.get("client_id"):
            raise InputError("the link's client_id is not the request's")
    else:
        payload = dict(fields)
        if "dcql_query" in payload:
            payload["dcql_query"] = parse_json(fields["dcql_query"], "DCQL query")
        signed = False
        if not str(payload.get("client_id", "")).startswith(REDIRECT_PREFIX):
            raise InputError("a request given by value must use a redirect_uri: client id; others must be signed")
    return _checked(payload, signed=signed, request_uri=request_uri, allow_http=allow_http)


def _checked(payload: dict[str, Any], *, signed: bool, request_uri: str, allow_http: bool) -> Incoming:
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 2000:
        raise InputError("the request has no client_id")
    if payload.get("response_type") != "vp_token":
        raise InputError("the request does not ask for a vp_token (response_type)")
    mode = payload.get("response_mode")
    if mode != "direct_post":
        raise InputError(
            "Cairn's wallet answers by direct_post only, not %(mode)s", mode=clean_text(mode or "none", 40)
        )
    response_uri = _https(payload.get("response_uri"), "response_uri", allow_http)
    if client_id.startswith(REDIRECT_PREFIX) and client_id.removeprefix(REDIRECT_PREFIX) != response_uri:
        raise InputError("the request's response_uri is not the address its redirect_uri: client id names")
    nonce, state = payload.get("nonce"), payload.get("state", "")
    if not isinstance(nonce, str) or not nonce or len(nonce) > _MAX_VALUE:
        raise InputError("the request has no nonce")
    if not isinstance(state, str) or len(state) > _MAX_VALUE:
        raise InputError("the request's state is not a short text")
    if "dcql_query" not in payload:
        raise InputError("the request holds no DCQL query (presentation_definition is not read)")
    try:
        dcql = check_query(payload["dcql_query"])
    except DcqlError as exc:
        raise InputError("the DCQL query is not supported: %(reason)s", reason=str(exc)) from None
    return Incoming(request_uri, client_id, signed, "", "", "", "", dcql, nonce, state, response_uri)


def post_answer(outbound: Outbound | None, incoming: Incoming, form: dict[str, str]) -> dict[str, Any]:
    """Post the response to another host's ``response_uri``: its JSON answer (``{}`` when it says nothing), or an
    InputError saying why it was refused or could not be sent."""
    if outbound is None:
        raise InputError("this Cairn does not fetch from the web, so its wallet answers its own verifiers only")
    body = urlencode(form).encode("ascii")
    try:
        answer = outbound.post(
            incoming.response_uri,
            body,
            content_type=_FORM,
            headers={"Accept": "application/json"},
            max_bytes=MAX_VERIFIER_ANSWER,
        )
    except FetchError as exc:
        raise InputError("the answer could not be sent to the verifier: %(why)s", why=clean_text(exc.message)) from None
    try:
        said = json.loads(answer.content.decode("utf-8", "replace")) if answer.content.strip() else {}
    except ValueError:
        said = {}
    said = said if isinstance(said, dict) else {}
    if answer.status != 200:
        raise InputError(
            "the verifier refused the answer: %(error)s (%(description)s)",
            error=clean_text(said.get("error") or f"HTTP {answer.status}", 80),
            description=clean_text(said.get("error_description") or "", 300),
        )
    return said
