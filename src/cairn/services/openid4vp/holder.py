"""Cairn's own wallet answers an OpenID4VP request (1.0, ``direct_post``).

:meth:`WalletAnswers.read` takes an ``openid4vp://`` link or a ``request_uri``; in this round only requests of this
instance are read (another host is refused with a clear message: nothing is fetched from outside). The request
object's signature is checked with the verifier organisation's DID key, resolved like every key of the one
verification path (:func:`cairn.vc.request_object.verify_request_object` with the verification service's
fetcher); who asks is the organisation the signing DID belongs to, named as the registry names it, never as the
request says. :meth:`candidates` lists the wallet's credentials that answer each credential query, and
:meth:`answer` builds the presentations and hands them to the verifier's response endpoint (a call, not HTTP):

- ``dc+sd-jwt``: a credential this instance awarded and the learner claimed is issued again as an SD-JWT VC bound
  to the wallet's key, only the claims asked disclosed, with a KB-JWT (``aud`` the client id, ``nonce``);
- ``ldp_vc``: a Data Integrity VP; ``jwt_vc_json``: a VP-JWT, both signed by the wallet's did:key for the nonce
  and client id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cairn.errors import InputError, NotFoundError
from cairn.formats.sdjwt_vc import learning_claims
from cairn.model.dcql import JWT_VC_JSON, LDP_VC, SD_JWT, VCT, unmet
from cairn.services.issuing.sdjwt import SdJwtVcService
from cairn.services.openid4vp.verifier import REDIRECT_PREFIX, OpenID4VPVerifier
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.records import WalletItem
from cairn.services.wallet.service import WalletService
from cairn.vc.fetch import loads_json
from cairn.vc.multibase import b64url_decode
from cairn.vc.request_object import DID_PREFIX, verify_request_object
from cairn.vc.sdjwt import add_key_binding, present

__all__ = ["Incoming", "WalletAnswers"]


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as the wallet shows it: who asks (from the registry), what, and where the answer goes."""

    request_uri: str
    client_id: str
    signed: bool
    organisation: str
    """The verifier organisation's slug ("" when the request is unsigned: then nobody is identified)."""
    verifier: str
    """Its name as the registry says it."""
    name: str
    purpose: str
    dcql: dict[str, Any]
    nonce: str
    state: str


class WalletAnswers:
    """The wallet's side of OpenID4VP."""

    def __init__(
        self,
        *,
        verifier: OpenID4VPVerifier,
        wallet: WalletService,
        verification: VerificationService,
        sd_jwt: SdJwtVcService,
        clock: Callable[[], datetime],
    ) -> None:
        self.verifier = verifier
        self.wallet = wallet
        self.verification = verification
        self.sd_jwt = sd_jwt
        self.clock = clock

    def _handle(self, text: str) -> tuple[str, str | None]:
        text = text.strip()[:2000]
        client_id: str | None = None
        if text.startswith("openid4vp:"):
            fields = parse_qs(urlsplit(text).query)
            request_uri = (fields.get("request_uri") or [""])[0]
            client_id = fields["client_id"][0] if fields.get("client_id") else None
            if not request_uri:
                raise InputError("this link holds no request_uri: Cairn reads requests by reference only")
        else:
            request_uri = text
        prefix = self.verifier.request_uri("")
        if not request_uri.startswith(prefix):
            raise InputError(
                "Cairn's wallet answers requests of verifiers on this Cairn only for now; this one is elsewhere"
            )
        return request_uri.removeprefix(prefix), client_id

    def read(self, link: str) -> Incoming:
        """The request behind ``link`` (InputError when it is elsewhere, unsigned wrongly or its signature does
        not verify; NotFoundError when it is answered or expired)."""
        handle, client_id = self._handle(link)
        token = self.verifier.request_object(handle)
        header_part = token.split(".", 1)[0]
        header = loads_json(b64url_decode(header_part, max_length=400), what="JWT header")
        if isinstance(header, dict) and header.get("alg") == "none":
            payload = loads_json(b64url_decode(token.split(".")[1]), what="request object")
            if not isinstance(payload, dict) or not str(payload.get("client_id", "")).startswith(REDIRECT_PREFIX):
                raise InputError("an unsigned request object must use a redirect_uri: client id")
            if payload["client_id"].removeprefix(REDIRECT_PREFIX) != payload.get("response_uri"):
                raise InputError("the request's redirect_uri client id is not its response_uri")
            slug, verifier = "", ""
        else:
            checked = verify_request_object(token, fetcher=self.verification.fetcher, now=self.clock())
            if not checked.ok or checked.payload is None:
                raise InputError("the request's signature does not verify: %(reason)s", reason=checked.reason or "")
            payload = checked.payload
            did = payload["client_id"].removeprefix(DID_PREFIX)
            slug = self._organisation_of(did)
            owner, verifier, _, _ = self.verifier.requester(handle)
            if owner != slug:
                raise InputError("the request is signed by another organisation than the one that made it")
        if client_id is not None and client_id != payload.get("client_id"):
            raise InputError("the link's client_id is not the request's")
        _, _, name, purpose = self.verifier.requester(handle)
        return Incoming(
            self.verifier.request_uri(handle),
            str(payload["client_id"]),
            bool(slug),
            slug,
            verifier,
            name,
            purpose,
            dict(payload.get("dcql_query") or {}),
            str(payload.get("nonce", "")),
            str(payload.get("state", "")),
        )

    def _organisation_of(self, did: str) -> str:
        prefix = self.verifier.keys.did("x")[:-1]
        slug = did.removeprefix(prefix)
        if not did.startswith(prefix) or not slug or ":" in slug:
            raise InputError("the request is signed by a verifier that is not an organisation of this Cairn")
        return slug

    @staticmethod
    def _claims_of(item: WalletItem, kind: str) -> dict[str, Any] | None:
        if item.about_someone_else or item.status not in ("valid",):
            return None
        if kind == SD_JWT:
            return {**learning_claims(item.document), "vct": VCT} if item.award_id else None
        if kind == JWT_VC_JSON:
            return item.document if item.is_jwt else None
        return item.document if not item.is_jwt else None

    def candidates(self, account_id: int, incoming: Incoming) -> dict[str, list[WalletItem]]:
        """For each credential query, the wallet's credentials that answer it."""
        items = self.wallet.list(account_id)
        found: dict[str, list[WalletItem]] = {}
        for query in incoming.dcql.get("credentials", []):
            kind = str(query.get("format"))
            found[query["id"]] = [
                item
                for item in items
                if (claims := self._claims_of(item, kind)) is not None and unmet(query, claims, kind) is None
            ]
        return found

    def answer(self, account_id: int, link: str, chosen: Mapping[str, str]) -> dict[str, Any]:
        """Present the chosen credential (by wallet id) for each credential query and post the response; the
        verifier's answer (OAuthError when it refuses)."""
        incoming = self.read(link)
        queries = {q["id"]: q for q in incoming.dcql.get("credentials", [])}
        offered = self.candidates(account_id, incoming)
        vp_token: dict[str, list[Any]] = {}
        for query_id, credential_id in chosen.items():
            if query_id not in queries or not credential_id:
                continue
            item = next((i for i in offered.get(query_id, []) if i.id == credential_id), None)
            if item is None:
                raise NotFoundError("that credential does not answer this request")
            vp_token[query_id] = [self._present(account_id, item, queries[query_id], incoming)]
        if not vp_token:
            raise InputError("choose a credential to present")
        form = {"vp_token": json.dumps(vp_token), "state": incoming.state}
        return self.verifier.respond(form)

    def _present(self, account_id: int, item: WalletItem, query: Mapping[str, Any], incoming: Incoming) -> Any:
        kind = query.get("format")
        if kind == SD_JWT:
            assert item.award_id is not None
            key, _did = self.wallet.holder_key(account_id)
            issued = self.sd_jwt.issue(item.award_id, holder_jwk=key.public.to_jwk())
            wanted = {str(c["path"][0]) for c in query.get("claims", []) if c.get("path")}
            kept = present(
                issued, keep=lambda d: d.name in wanted or (d.name is None and "learning_outcomes" in wanted)
            )
            now = int(self.clock().timestamp())
            return add_key_binding(kept, holder_key=key, aud=incoming.client_id, nonce=incoming.nonce, iat=now)
        form = "jwt" if kind == JWT_VC_JSON else "di"
        assert kind in (JWT_VC_JSON, LDP_VC)
        return self.wallet.present(account_id, [item.id], incoming.nonce, incoming.client_id, format=form)  # type: ignore[arg-type]
