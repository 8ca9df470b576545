"""Cairn's own wallet answers an OpenID4VP request (1.0, ``direct_post``).

:meth:`WalletAnswers.read` takes an ``openid4vp://`` link or a ``request_uri``.

- A request of this instance (by reference; an unsigned one by value is found by its ``state`` and read from the
  store as by reference, the link's ``client_id`` must be its own): the request object's signature is checked with
  the verifier organisation's DID key, resolved like every key of the one verification path
  (:func:`cairn.vc.request_object.verify_request_object` with the verification service's fetcher); who asks is the
  organisation the signing DID belongs to, named as the registry names it, never as the request says. The answer
  goes to the response endpoint by a call.
- A request of another host (:mod:`cairn.services.openid4vp.incoming`): read through the limited outbound client
  (by reference or by value), never trusted by name: the verifier is unidentified, its client id shown as given,
  and the learner confirms before the answer is posted to its ``response_uri``.

:meth:`candidates` lists the wallet's credentials that answer each credential query, and :meth:`answer` builds the
presentations:

- ``dc+sd-jwt``: a credential this instance awarded and the learner claimed is issued again as an SD-JWT VC bound
  to the wallet's key, only the claims asked disclosed, with a KB-JWT (``aud`` the client id, ``nonce``); an
  SD-JWT VC the wallet received (from any issuer) and holds bound to one of its keys (``cnf.jwk``: the Ed25519 key
  or its P-256 companion) is presented as received, only the Disclosures the claims asked reach kept, with a KB-JWT
  by that key (EdDSA or ES256); one bound to another key is never a candidate;
- ``ldp_vc``: a Data Integrity VP; ``jwt_vc_json``: a VP-JWT, both signed by the wallet's did:key for the nonce
  and client id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from cairn.errors import InputError, NotFoundError
from cairn.formats.sdjwt_vc import learning_claims
from cairn.model.dcql import JWT_VC_JSON, LDP_VC, SD_JWT, VCT, unmet
from cairn.services.issuing.sdjwt import SdJwtVcService
from cairn.services.openid4vp.incoming import Incoming, post_answer, read_external
from cairn.services.openid4vp.verifier import REDIRECT_PREFIX, OpenID4VPVerifier
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.offers import Outbound
from cairn.services.wallet.records import WalletItem, cnf_did
from cairn.services.wallet.service import WalletService
from cairn.vc.fetch import loads_json
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.request_object import DID_PREFIX, verify_request_object
from cairn.vc.sdjwt import add_key_binding, looks_like_sd_jwt, present_claims

__all__ = ["Incoming", "WalletAnswers"]


MAX_LINK: Final = 8000
"""Longest link read (a request by value holds its DCQL query)."""
_SCHEMES: Final = ("openid4vp:", "haip:", "eudi-openid4vp:")


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
        outbound: Outbound | None = None,
        allow_http: bool = False,
    ) -> None:
        self.outbound = outbound
        """The limited client other hosts' requests are read and answered through (None: own requests only)."""
        self.allow_http = allow_http
        """Plain http verifiers too (``CAIRN_FETCH_ALLOW_PRIVATE``, for development and tests only)."""
        self.verifier = verifier
        self.wallet = wallet
        self.verification = verification
        self.sd_jwt = sd_jwt
        self.clock = clock

    def _fields(self, text: str) -> dict[str, str]:
        """The link's request parameters (a bare URL is a ``request_uri``)."""
        text = text.strip()
        if not text:
            raise InputError("paste the link the organisation gave you")
        if len(text) > MAX_LINK:
            raise InputError("the link is longer than %(n)s characters", n=str(MAX_LINK))
        if not text.lower().startswith(_SCHEMES):
            return {"request_uri": text}
        try:
            fields = parse_qs(urlsplit(text).query, max_num_fields=30)
        except ValueError:
            raise InputError("the link cannot be read") from None
        return {key: values[0] for key, values in fields.items() if values}

    def read(self, link: str) -> Incoming:
        """The request behind ``link``: this instance's, or another host's (see the module); an InputError when it
        cannot be read, is unsigned wrongly or its signature does not verify; NotFoundError when one of this
        instance's is answered or expired."""
        fields = self._fields(link)
        prefix = self.verifier.request_uri("")
        request_uri = fields.get("request_uri", "")
        if not request_uri and fields.get("response_uri") == self.verifier.response_uri:
            # this instance's unsigned request, by value: read from the store (found by its state), as by reference
            return self._own(self.verifier.handle_of(fields.get("state", "")), fields.get("client_id"))
        if not request_uri.startswith(prefix):
            return read_external(
                fields,
                outbound=self.outbound,
                fetcher=self.verification.fetcher,
                now=self.clock(),
                allow_http=self.allow_http,
            )
        return self._own(request_uri.removeprefix(prefix), fields.get("client_id"))

    def _own(self, handle: str, client_id: str | None) -> Incoming:
        token = self.verifier.request_object(handle)
        owner, requester, name, purpose = self.verifier.requester(handle)  # read once: who made it, what it is
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
            slug, verifier = self._organisation_of(did), requester
            if owner != slug:
                raise InputError("the request is signed by another organisation than the one that made it")
        if client_id is not None and client_id != payload.get("client_id"):
            raise InputError("the link's client_id is not the request's")
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

    def _keys(self, account_id: int) -> dict[str, KeyPair]:
        """The wallet's keys (Ed25519 and its P-256 companion) by their did:key."""
        pairs = (self.wallet.holder_key(account_id, kind) for kind in (KeyType.ED25519, KeyType.P256))
        return {did: key for key, did in pairs}

    @staticmethod
    def _claims_of(item: WalletItem, kind: str, keys: Mapping[str, KeyPair]) -> dict[str, Any] | None:
        if item.about_someone_else or item.status not in ("valid",):
            return None
        received = looks_like_sd_jwt(item.original)
        if kind == SD_JWT:
            if item.award_id:
                return {**learning_claims(item.document), "vct": VCT}
            # an SD-JWT VC of another issuer, presented as received: only when bound to one of the wallet's keys
            return item.document if received and cnf_did(item.document) in keys else None
        if received:
            return None
        if kind == JWT_VC_JSON:
            return item.document if item.is_jwt else None
        return item.document if not item.is_jwt else None

    def candidates(self, account_id: int, incoming: Incoming) -> dict[str, list[WalletItem]]:
        """For each credential query, the wallet's credentials that answer it."""
        items = self.wallet.list(account_id)
        keys = self._keys(account_id)
        found: dict[str, list[WalletItem]] = {}
        for query in incoming.dcql.get("credentials", []):
            kind = str(query.get("format"))
            found[query["id"]] = [
                item
                for item in items
                if (claims := self._claims_of(item, kind, keys)) is not None and unmet(query, claims, kind) is None
            ]
        return found

    def answer(
        self, account_id: int, link: str | Incoming, chosen: Mapping[str, str], *, confirmed: bool = False
    ) -> dict[str, Any]:
        """Present the chosen credential (by wallet id) for each credential query and post the response; the
        verifier's answer (OAuthError when this instance's verifier refuses, InputError when another host's does).
        Another host's request is answered only ``confirmed`` (the learner agreed to share with an unidentified
        verifier)."""
        incoming = link if isinstance(link, Incoming) else self.read(link)
        if incoming.external and not confirmed:
            raise InputError("confirm that you share with a verifier Cairn cannot identify")
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
        if incoming.external:
            return post_answer(self.outbound, incoming, {k: v for k, v in form.items() if v})
        return self.verifier.respond(form)

    def _present(self, account_id: int, item: WalletItem, query: Mapping[str, Any], incoming: Incoming) -> Any:
        kind = query.get("format")
        if kind == SD_JWT and not item.award_id:
            return self._present_received(account_id, item, query, incoming)
        if kind == SD_JWT:
            assert item.award_id is not None
            key, _did = self.wallet.holder_key(account_id)
            issued = self.sd_jwt.issue(item.award_id, holder_jwk=key.public.to_jwk())
            kept = present_claims(issued, _paths(query))
            now = int(self.clock().timestamp())
            return add_key_binding(kept, holder_key=key, aud=incoming.client_id, nonce=incoming.nonce, iat=now)
        form = "jwt" if kind == JWT_VC_JSON else "di"
        assert kind in (JWT_VC_JSON, LDP_VC)
        return self.wallet.present(account_id, [item.id], incoming.nonce, incoming.client_id, format=form)  # type: ignore[arg-type]

    def _present_received(self, account_id: int, item: WalletItem, query: Mapping[str, Any], incoming: Incoming) -> str:
        """An SD-JWT VC as received, only the claims asked disclosed, with a KB-JWT signed by the wallet key its
        ``cnf.jwk`` names (EdDSA for the Ed25519 key, ES256 for the P-256 one)."""
        key = self._keys(account_id).get(cnf_did(item.document) or "")
        if key is None:
            raise InputError("this SD-JWT VC is bound to a key this wallet does not hold, so it cannot present it")
        kept = present_claims(item.original, _paths(query))
        now = int(self.clock().timestamp())
        return add_key_binding(kept, holder_key=key, aud=incoming.client_id, nonce=incoming.nonce, iat=now)


def _paths(query: Mapping[str, Any]) -> list[Any]:
    """The claims paths a DCQL credential query asks for (what :func:`present_claims` discloses)."""
    return [c["path"] for c in query.get("claims", []) if c.get("path")]
