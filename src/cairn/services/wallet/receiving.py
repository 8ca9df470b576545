"""Cairn's wallet as an OpenID4VCI client: receive credentials another issuer offers (pre-authorised code flow).

:meth:`CredentialReceiver.read_offer` reads the offer link and the metadata (:mod:`cairn.services.wallet.offers`)
and answers what a learner sees before accepting. :meth:`CredentialReceiver.accept` redeems the pre-authorised
code (with the transaction code, never stored or logged) for an access token, gets a ``c_nonce`` (the nonce
endpoint, else the token answer's, else an ``invalid_nonce``/``invalid_proof`` answer's), signs a key proof with the
wallet's own key (EdDSA; ES256 with its P-256 companion key when the issuer takes only that, as EUDI issuers do;
``typ: openid4vci-proof+jwt``, ``aud`` the issuer, the key as a ``jwk``, or as a did:key ``kid`` when the
configuration binds to DIDs only), asks for each chosen credential (the 1.0 request; draft 13's shape when the
metadata reads as draft 13 or the 1.0 request is refused as malformed), and checks every
credential on the one verification path, as an import would. A configuration the issuer defers (a
``transaction_id`` instead of credentials) is kept as a pending receipt (:mod:`cairn.services.wallet.deferred`,
:attr:`CredentialReceiver.pending`), checked later on the same path.

The rule for whom a received credential must be about: it must be **bound to the wallet's key it proved**: a W3C
credential whose subjects' ``id`` are all that key's did:key (and there is one), an SD-JWT VC whose ``cnf.jwk`` is
that key. The issuer decided whom to issue to when it accepted the pre-authorised code and transaction code;
the wallet checks that what came back is bound to the key it proved. A credential bound to any other key or DID, or
one that does not verify, is refused; then nothing is stored and the issuer is told ``credential_failure``. When all
are accepted they are stored in one transaction and the issuer is told ``credential_accepted``.

Only :class:`~cairn.errors.InputError` (with the reason in plain words) and
:class:`~cairn.errors.ConflictError` (already in the wallet) leave here; codes and tokens never appear in them or in
the audit log (``wallet.receive``: the issuer, the configurations and the wallet items).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import urlencode

from cairn.errors import CairnError, ConflictError, FetchError, InputError
from cairn.services.wallet.deferred import Deferral, DeferredReceipts, PendingReceipt, deferral_of
from cairn.services.wallet.offers import (
    MAX_ANSWER,
    MAX_CREDENTIAL_ANSWER,
    PRE_AUTHORIZED_GRANT,
    Offer,
    OfferedConfiguration,
    Outbound,
    clean_text,
    credentials_of,
    oauth_error,
    parse_json,
    read_offer,
)
from cairn.services.wallet.records import ALREADY, WalletItem, _Checked, _to_item, cnf_did
from cairn.services.wallet.service import WalletService
from cairn.store.audit import AuditRepository
from cairn.store.wallet.repository import WalletRepository
from cairn.vc.fetch import Response
from cairn.vc.keyproof import PROOF_TYPE
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import sign_jwt

__all__ = ["CredentialReceiver", "Received"]

log = logging.getLogger(__name__)

MAX_CHOSEN: Final = 5
"""Configurations accepted from one offer at most."""
_DRAFT13_RETRY: Final = frozenset(
    {"invalid_credential_request", "invalid_request", "unsupported_credential_format", "unsupported_credential_type"}
)
_NONCE_RETRY: Final = frozenset({"invalid_nonce", "invalid_proof"})


@dataclass(frozen=True, slots=True)
class Received:
    """What accepting an offer did: the credentials stored, and the pending receipts of those deferred."""

    items: list[WalletItem]
    pending: list[PendingReceipt]


class CredentialReceiver:
    """Receives offered credentials into learners' wallets through a limited ``outbound`` client (None: this
    instance fetches nothing from the web)."""

    def __init__(self, *, wallet: WalletService, outbound: Outbound | None, allow_http: bool = False) -> None:
        self.wallet = wallet
        self.outbound = outbound
        self.allow_http = allow_http
        """Plain http issuers too (``CAIRN_FETCH_ALLOW_PRIVATE``, for development and tests only)."""
        self.pending = DeferredReceipts(self)
        """The pending receipts of deferred issuance (:mod:`cairn.services.wallet.deferred`)."""

    def _client(self) -> Outbound:
        if self.outbound is None:
            raise InputError("this Cairn does not fetch from the web, so it cannot receive offers")
        return self.outbound

    # -- reading -------------------------------------------------------------------------------------------------

    def read_offer(self, account_id: int, text: str, *, lang: str = "en") -> Offer:
        """The offer ``text`` names (a link, or its JSON) with the issuer's self-declared name and what it offers."""
        self.wallet.wallet_for(account_id)  # the account exists (and has a wallet) before anything is fetched
        return read_offer(self._client(), text, lang=lang, allow_http=self.allow_http)

    # -- accepting -----------------------------------------------------------------------------------------------

    def accept(
        self, account_id: int, offer: Offer | str, tx_code: str | None, configuration_ids: Sequence[str]
    ) -> list[WalletItem]:
        """Receive the chosen credentials, check them and store them all, or refuse and store nothing; what the
        issuer defers is kept as pending receipts (:meth:`receive` says which)."""
        return self.receive(account_id, offer, tx_code, configuration_ids).items

    def receive(
        self, account_id: int, offer: Offer | str, tx_code: str | None, configuration_ids: Sequence[str]
    ) -> Received:
        """:meth:`accept`, with the pending receipts kept for what the issuer will issue later."""
        if isinstance(offer, str):
            offer = self.read_offer(account_id, offer)
        chosen = self._chosen(offer, configuration_ids)
        code = (tx_code or "").strip()
        if offer.tx_code is not None and not code:
            raise InputError("type the transaction code the issuer gave you")
        if len(code) > 100:
            raise InputError("the transaction code is too long")
        keys = {c.id: (_key_kind(c), *self.wallet.holder_key(account_id, _key_kind(c))) for c in chosen}
        token = self._token(offer, code if offer.tx_code is not None else None)
        access, nonce = token["access_token"], token.get("c_nonce")
        received: list[tuple[str, _Checked | None, str | None, str]] = []
        deferred: list[tuple[OfferedConfiguration, KeyType, str, Deferral]] = []
        notify = offer.notification_endpoint, offer.credential_issuer, access
        try:
            for configuration in chosen:
                kind, key, did = keys[configuration.id]
                nonce, credentials, notification, deferral = self._credential(
                    offer, configuration, access, key, did, nonce, token
                )
                if deferral is not None:
                    self.deferred_endpoint(offer)  # refused here, before anything is kept, when it names none
                    deferred.append((configuration, kind, did, deferral))
                for credential in credentials:
                    checked, why = self._checked(credential, did)
                    received.append((configuration.id, checked, why, notification or ""))
        except InputError as exc:  # a later request failed: what came before is not kept either
            earlier = list(dict.fromkeys(n for *_, n in received if n))
            self._notify(*notify, earlier, "credential_failure", exc.message)
            raise
        refused = next((why for _, checked, why, _ in received if checked is None), None)
        notifications = list(dict.fromkeys(n for *_, n in received if n))
        if refused is not None:
            self._notify(*notify, notifications, "credential_failure", refused)
            raise InputError("the credential was refused and not added: %(why)s", why=refused)
        try:
            result = self._store(
                account_id, offer, [(c, checked) for c, checked, _, _ in received if checked], deferred, access
            )
        except ConflictError:
            self._notify(*notify, notifications, "credential_failure", ALREADY)
            raise
        self._notify(*notify, notifications, "credential_accepted", None)
        return result

    def deferred_endpoint(self, offer: Offer) -> str:
        """The issuer's deferred credential endpoint; refused when its metadata names none."""
        if offer.deferred_endpoint is None:
            raise InputError("the issuer will issue this credential later but names no deferred credential endpoint")
        return offer.deferred_endpoint

    @staticmethod
    def _chosen(offer: Offer, ids: Sequence[str]) -> list[OfferedConfiguration]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            raise InputError("choose at least one credential to receive")
        if len(wanted) > MAX_CHOSEN:
            raise InputError("choose at most %(n)s credentials at a time", n=str(MAX_CHOSEN))
        by_id = {c.id: c for c in offer.configurations}
        chosen = [by_id[i] for i in wanted if i in by_id]
        if len(chosen) != len(wanted):
            raise InputError("choose only credentials the offer names")
        unsupported = [c for c in chosen if not c.supported]
        if unsupported:
            raise InputError(
                "Cairn's wallet cannot hold %(name)s (format %(format)s)",
                name=unsupported[0].name,
                format=unsupported[0].format,
            )
        return chosen

    def _post(self, url: str, body: bytes, content_type: str, limit: int, **headers: str) -> Response:
        try:
            return self._client().post(url, body, content_type=content_type, headers=headers or None, max_bytes=limit)
        except FetchError as exc:
            raise InputError("the issuer could not be reached: %(why)s", why=clean_text(exc.message)) from None

    def _json(self, response: Response, what: str) -> dict[str, Any]:
        if response.status != 200:
            raise oauth_error(response)
        answer = parse_json(response.content, what)
        if not isinstance(answer, dict):
            raise InputError("the issuer's %(what)s is not a JSON object", what=what)
        return answer

    def _token(self, offer: Offer, tx_code: str | None) -> dict[str, Any]:
        form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": offer.pre_authorized_code}
        if tx_code is not None:
            form["tx_code"] = tx_code
        body = urlencode(form).encode("ascii")
        answer = self._json(
            self._post(offer.token_endpoint, body, "application/x-www-form-urlencoded", MAX_ANSWER), "token answer"
        )
        access = answer.get("access_token")
        if not isinstance(access, str) or not access or len(access) > 4096 or not access.isprintable():
            raise InputError("the issuer's token answer has no access token")
        if str(answer.get("token_type", "")).lower() != "bearer":
            raise InputError("the issuer gave a token of a kind this wallet cannot use (only Bearer tokens)")
        return answer

    def _nonce(self, offer: Offer) -> str | None:
        if offer.nonce_endpoint is None:
            return None
        answer = self._json(self._post(offer.nonce_endpoint, b"", "application/json", MAX_ANSWER), "nonce answer")
        nonce = answer.get("c_nonce")
        return nonce if isinstance(nonce, str) and 0 < len(nonce) <= 512 else None

    @staticmethod
    def _proof(
        offer: Offer, configuration: OfferedConfiguration, key: KeyPair, did: str, nonce: str | None, iat: int
    ) -> str:
        methods = configuration.raw.get("cryptographic_binding_methods_supported")
        methods = [m for m in methods if isinstance(m, str)] if isinstance(methods, list) else []
        types = configuration.raw.get("proof_types_supported")
        jwt_type = types.get("jwt") if isinstance(types, dict) else None
        if isinstance(types, dict) and types and jwt_type is None:
            raise InputError("the issuer asks for a key proof this wallet cannot make (only jwt key proofs)")
        payload: dict[str, Any] = {"aud": offer.credential_issuer, "iat": iat}
        if nonce is not None:
            payload["nonce"] = nonce
        return _sign(payload, key, did, methods)

    @staticmethod
    def _request(offer: Offer, configuration: OfferedConfiguration, proof: str, token: Mapping[str, Any]) -> bytes:
        if offer.draft13:
            return json.dumps(_draft13(configuration, proof)).encode("utf-8")
        request: dict[str, Any] = {"proofs": {"jwt": [proof]}}
        identifier = _identifier(token, configuration.id)
        if identifier is not None:
            request["credential_identifier"] = identifier
        else:
            request["credential_configuration_id"] = configuration.id
        return json.dumps(request).encode("utf-8")

    def _credential(
        self,
        offer: Offer,
        configuration: OfferedConfiguration,
        access: str,
        key: KeyPair,
        did: str,
        nonce: object,
        token: Mapping[str, Any],
    ) -> tuple[str | None, list[str], str | None, Deferral | None]:
        """One configuration's credentials: (the next c_nonce, the credentials as text, the notification id, the
        deferred transaction when the issuer will issue later)."""
        current = self._nonce(offer) or (nonce if isinstance(nonce, str) else None)
        draft13 = offer.draft13
        retried = False
        while True:
            iat = int(self.wallet.clock().timestamp())
            proof = self._proof(offer, configuration, key, did, current, iat)
            body = self._request(_with(offer, draft13), configuration, proof, token)
            bearer = f"Bearer {access}"
            response = self._post(
                offer.credential_endpoint, body, "application/json", MAX_CREDENTIAL_ANSWER, Authorization=bearer
            )
            if response.status == 200 or retried:
                break
            error = _error_of(response)
            fresh = error.get("c_nonce")
            if error.get("error") in _NONCE_RETRY and isinstance(fresh, str) and fresh:
                current, retried = fresh, True
            elif error.get("error") in _DRAFT13_RETRY and not draft13:
                draft13, retried = True, True
                current = self._nonce(offer) or current
            else:
                break
        deferral = deferral_of(response)
        if deferral is not None:
            return None, [], None, deferral
        answer = self._json(response, "credential answer")
        credentials = credentials_of(answer)
        notification = answer.get("notification_id")
        next_nonce = answer.get("c_nonce")
        return (
            next_nonce if isinstance(next_nonce, str) else None,
            credentials,
            notification if isinstance(notification, str) and 0 < len(notification) <= 500 else None,
            None,
        )

    def _checked(self, credential: str, did: str) -> tuple[_Checked | None, str | None]:
        """The credential verified on the one path and bound to ``did``; else (None, why it was refused)."""
        try:
            checked = self.wallet._check(credential)
        except InputError as exc:
            return None, exc.message
        if not _bound(checked.report.credential or {}, did):
            return None, "it is not bound to this wallet's key: it is about someone else"
        return checked, None

    def _store(
        self,
        account_id: int,
        offer: Offer,
        received: Sequence[tuple[str, _Checked]],
        deferred: Sequence[tuple[OfferedConfiguration, KeyType, str, Deferral]],
        access: str,
    ) -> Received:
        wallet = self.wallet
        with wallet.database.transaction() as session:
            row = wallet._wallet(session, account_id)
            rows = [wallet._store(session, row, checked, source="openid4vci") for _, checked in received]
            pending = [self.pending.keep(session, row, offer, c, kind, did, access, d) for c, kind, did, d in deferred]
            memberships = WalletRepository(session).memberships([r.id for r in rows])
            details: dict[str, Any] = {
                "credential_issuer": offer.credential_issuer,
                "configurations": [c for c, _ in received],
                "credentials": [r.id for r in rows],
            }
            if deferred:
                details["deferred"] = [c.id for c, *_ in deferred]
            AuditRepository(session).append(
                at=wallet.clock(),
                actor=f"account:{account_id}",
                action="wallet.receive",
                subject=f"account:{account_id}",
                details=details,
            )
            return Received([_to_item(r, memberships.get(r.id, [])) for r in rows], pending)

    def _notify(
        self, endpoint: str | None, issuer: str, access: str, ids: Sequence[str], event: str, why: str | None
    ) -> None:
        if endpoint is None:
            return
        for notification_id in ids:
            body: dict[str, str] = {"notification_id": notification_id, "event": event}
            if why:
                body["event_description"] = clean_text(why, 200).encode("ascii", "replace").decode("ascii")
            try:
                self._post(
                    endpoint,
                    json.dumps(body).encode("utf-8"),
                    "application/json",
                    MAX_ANSWER,
                    Authorization=f"Bearer {access}",
                )
            except CairnError as exc:  # the learner's credential does not depend on the issuer hearing of it
                log.info("notification to %s failed: %s", issuer, exc.message)


def _sign(payload: dict[str, Any], key: KeyPair, did: str, methods: Sequence[str]) -> str:
    if methods and "jwk" not in methods and any(m == "did:key" or m.startswith("did:key") for m in methods):
        return sign_jwt(payload, key=key, kid=f"{did}#{did.removeprefix('did:key:')}", typ=PROOF_TYPE)
    if methods and "jwk" not in methods and not any(m.startswith("did") for m in methods):
        named = clean_text(", ".join(methods[:4]), 100)
        raise InputError("the issuer binds credentials to keys in a way this wallet cannot (%(m)s)", m=named)
    return sign_jwt(payload, key=key, kid=None, typ=PROOF_TYPE, extra_header={"jwk": key.public.to_jwk()})


def _key_kind(configuration: OfferedConfiguration) -> KeyType:
    """Which of the wallet's keys proves possession for ``configuration``: Ed25519 unless the issuer takes only ES256
    (as EUDI issuers and HAIP do); refused when it takes neither."""
    types = configuration.raw.get("proof_types_supported")
    jwt_type = types.get("jwt") if isinstance(types, dict) else None
    algs = jwt_type.get("proof_signing_alg_values_supported") if isinstance(jwt_type, dict) else None
    if not isinstance(algs, list) or not algs or KeyType.ED25519.jose_alg in algs:
        return KeyType.ED25519
    if KeyType.P256.jose_alg in algs:
        return KeyType.P256
    raise InputError(
        "the issuer does not accept this wallet's keys (EdDSA, ES256); it asks for %(algs)s",
        algs=clean_text(", ".join(str(a) for a in algs[:6]), 100),
    )


def _with(offer: Offer, draft13: bool) -> Offer:
    return offer if offer.draft13 == draft13 else replace(offer, draft13=draft13)


def _draft13(configuration: OfferedConfiguration, proof: str) -> dict[str, Any]:
    fmt = configuration.format
    request: dict[str, Any] = {"format": fmt, "proof": {"proof_type": "jwt", "jwt": proof}}
    if fmt in ("dc+sd-jwt", "vc+sd-jwt"):
        request["vct"] = configuration.raw.get("vct")
    elif isinstance(configuration.raw.get("credential_definition"), dict):
        request["credential_definition"] = configuration.raw["credential_definition"]
    return request


def _identifier(token: Mapping[str, Any], configuration_id: str) -> str | None:
    details = token.get("authorization_details")
    for detail in details if isinstance(details, list) else []:
        if isinstance(detail, dict) and detail.get("credential_configuration_id") == configuration_id:
            ids = detail.get("credential_identifiers")
            if isinstance(ids, list) and ids and isinstance(ids[0], str):
                return ids[0]
    return None


def _error_of(response: Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _bound(document: Mapping[str, Any], did: str) -> bool:
    """Whether the credential is bound to ``did``: an SD-JWT VC's ``cnf`` key, else every subject ``id``."""
    if "cnf" in document and "credentialSubject" not in document:
        return cnf_did(document) == did
    subjects = document.get("credentialSubject")
    listed = subjects if isinstance(subjects, list) else [subjects]
    ids = [s.get("id") for s in listed if isinstance(s, dict)]
    return bool(ids) and all(i == did for i in ids)
