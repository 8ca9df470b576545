"""What the OpenID4VCI tests share (services and web, both flows): an issuing instance, a learner holding a claimed
award, a wallet's key proof and credential request, an offer redeemed for its access token."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.services.accounts.service import AccountService
from cairn.services.openid4vci.formats import JWT_VC_JSON
from cairn.services.openid4vci.protocol import PRE_AUTHORIZED_GRANT
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import sign_jwt
from tests.factories import FixedClock, fast_hasher

SECRET = "o" * 48
PUBLIC = "https://cairn.example"
UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
ADA = "ada@example.org"
FAST = fast_hasher()


def issuer(database: Database, clock: FixedClock, examples: Path, *, quick_passwords: bool = False) -> Container:
    """An instance at :data:`PUBLIC` with the example catalogue (``quick_passwords``: cheap password hashing, for the
    pages' sign-in)."""
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url=PUBLIC)
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    if quick_passwords:
        return dataclasses.replace(built, accounts=AccountService(database, clock=clock, password_hasher=FAST))
    return built


def claimed(container: Container, email: str = ADA, *, password: str | None = None) -> tuple[int, str, str]:
    """An account holding a claimed award: (account id, wallet credential id, award id); ``password`` for one that
    signs in on the pages (hashing it costs time the service tests need not spend)."""
    result = container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=UM)
    assert result.claim_token
    account = container.accounts.create_account(email=email, password=password).id
    item = container.wallet.add_from_claim(account, email, result.claim_token)
    return account, item.id, result.award_id


def proof(
    clock: FixedClock,
    nonce: str,
    *,
    key: KeyPair | None = None,
    aud: str = PUBLIC,
    by_did: bool = False,
    typ: str = "openid4vci-proof+jwt",
    iat: float | None = None,
) -> tuple[str, KeyPair]:
    """A wallet's key proof for ``nonce`` (its key as ``jwk``, or as a did:key ``kid`` when ``by_did``) and the key."""
    key = key or KeyPair.generate(KeyType.P256)
    did = did_key(key.public)
    kid = f"{did}#{did.removeprefix('did:key:')}" if by_did else None
    header = None if by_did else {"jwk": key.public.to_jwk()}
    payload = {"aud": aud, "iat": int(iat if iat is not None else clock().timestamp()), "nonce": nonce}
    return sign_jwt(payload, key=key, kid=kid, typ=typ, extra_header=header), key


def request(jwts: list[str], configuration: str = JWT_VC_JSON) -> bytes:
    """A credential request (1.0) for ``configuration`` with these key proofs."""
    return json.dumps({"credential_configuration_id": configuration, "proofs": {"jwt": jwts}}).encode()


def redeem(container: Container, offer_uri: str, tx_code: str) -> str:
    """The access token a wallet gets for the offer at ``offer_uri`` with its transaction code."""
    document = container.openid4vci.offer_document(offer_uri.rsplit("/", 1)[1])
    code = document["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": tx_code}
    return str(container.openid4vci.token(form)["access_token"])
