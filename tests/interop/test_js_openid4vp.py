"""Cairn's OpenID4VP 1.0 against an independent implementation from the npm registry (issue #17):
``@openid4vc/openid4vp`` 0.4.6 (OpenWallet Foundation, formerly Animo's oid4vc-ts) with ``@sd-jwt/sd-jwt-vc``.

- **Their wallet answers Cairn's verifier**: an organisation's request (client id ``decentralized_identifier:`` its
  did:web, the request object signed, ``direct_post``, a DCQL query for the Learning Credential as ``dc+sd-jwt``) is
  read by the library's ``Openid4vpClient`` from the ``openid4vp://`` link: it fetches ``request_uri`` from the
  running Cairn over HTTPS and verifies the request object with the key its ``kid`` names in the DID document. It
  answers with an SD-JWT VC Cairn issued to the wallet's key, presented by ``@sd-jwt/sd-jwt-vc`` with a KB-JWT for
  the nonce and client id, submitted with the library (form ``vp_token``, ``state``). Cairn refuses first a KB-JWT
  for another nonce and one of another key (400 ``invalid_request``, the request still open), then accepts the
  good one: the stored result is verified, bound, with the claims disclosed. In the same run it answers an
  unsigned request of Cairn's (``redirect_uri:``, passed by value in the link), which Cairn accepts too.
- **Cairn's wallet answers their verifier**: the library's ``Openid4vpVerifier`` makes two requests on an HTTPS
  server of its own on loopback (another origin than Cairn's): ``redirect_uri:`` by value, and
  ``decentralized_identifier:`` (a did:key of its own) signed, by reference. Cairn's wallet reads each through its
  limited outbound client, shows the verifier as unidentified, and after the learner confirms posts the answer to
  the ``response_uri``; the JS side parses it with the library and verifies the SD-JWT VC (the issuer's key from
  Cairn's did:web DID document, the EdDSA KB-JWT with ``cnf.jwk``, nonce, ``aud`` = client id) and reports the
  claims disclosed.

Packages: tests/interop/js/package.json (pinned) and its lock, installed once (tests/interop/node.py); the tests
skip saying why without node and npm or without the npm registry.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.model.awards import Recipient
from cairn.model.dcql import SD_JWT, Ask, build_query
from cairn.vc.keys import KeyPair, KeyType
from tests.factories import DEFINITION, ORG
from tests.interop.node import Harness, Instance

pytestmark = pytest.mark.slow

ASKED = ("given_name", "family_name", "achievement_title")


def _harness(folder: Path, cairn: Instance) -> Harness:
    return Harness(folder, cairn.tls[0], "openid4vp.mjs")


def test_an_openid4vp_wallet_answers_cairns_signed_request(
    harness_folder: Path, cairn: Instance, tmp_path: Path
) -> None:
    container = cairn.container
    award = container.issuing.award(DEFINITION, Recipient(email="anna@example.org", name="Anna Nowak"), actor="t")
    holder = KeyPair.generate(KeyType.P256)
    issued = container.sd_jwt.issue(award.award_id, holder_jwk=holder.public.to_jwk(), organisation=ORG)
    (tmp_path / "credential.txt").write_text(issued, encoding="ascii")
    (tmp_path / "holder.json").write_text(json.dumps(holder.to_jwk(private=True)), encoding="ascii")
    query = build_query(Ask(formats=(SD_JWT,), claims=ASKED))
    verifier = container.presentation_requests
    view = verifier.create(ORG, actor="t", name="Data analyst", purpose="Hiring", dcql=query)
    unsigned = verifier.create(ORG, actor="t", name="Unsigned", purpose="", dcql=query, signed=False)
    assert "request_uri" not in unsigned.link

    result = _harness(harness_folder, cairn).run(
        "wallet", view.link, str(tmp_path / "credential.txt"), str(tmp_path / "holder.json"), unsigned.link
    )

    assert result["ok"] is True, result
    resolved = result["resolved"]
    assert resolved["client"]["prefix"] == "decentralized_identifier"
    assert resolved["client"]["effective"] == view.client_id
    assert resolved["client"]["didUrl"].startswith(view.client_id.removeprefix("decentralized_identifier:") + "#")
    assert resolved["signed"] is True
    assert resolved["version"] == 100  # read as OpenID4VP 1.0 final
    assert (resolved["response_mode"], resolved["response_uri"]) == ("direct_post", f"{cairn.url}/openid4vp/response")
    assert resolved["claims"] == list(ASKED)
    for name in ("wrong_nonce", "other_key"):
        refused = result["refused"][name]
        assert refused["status"] == 400, refused
        assert refused["body"]["error"] == "invalid_request", refused
    assert "key binding" in result["refused"]["other_key"]["body"]["error_description"]
    assert result["answer"] == {"status": 200, "body": {}}, result["answer"]
    assert result["blocked"] == []

    answered = verifier.get(ORG, view.id)
    assert answered.status == "answered"
    assert answered.result is not None
    assert answered.result["verified"] is True
    query_id = query["credentials"][0]["id"]
    assert answered.result["bound"] == {query_id: True}
    assert answered.result["holder"] == holder.public.to_jwk()["x"]
    shown = answered.result["disclosed"][query_id]["shown"]
    assert (shown["given_name"], shown["family_name"]) == ("Anna", "Nowak")
    assert "learning_outcomes" not in shown  # only what was asked was disclosed

    plain = result["plain"]  # the unsigned request, read by value
    assert plain["resolved"]["client"]["prefix"] == "redirect_uri"
    assert plain["resolved"]["client"]["effective"] == unsigned.client_id
    assert (plain["resolved"]["signed"], plain["resolved"]["by_reference"]) == (False, False)
    assert plain["resolved"]["claims"] == list(ASKED)
    assert plain["answer"] == {"status": 200, "body": {}}, plain["answer"]
    accepted = verifier.get(ORG, unsigned.id).result
    assert accepted is not None
    assert (accepted["verified"], accepted["bound"]) == (True, {query_id: True})


def test_cairns_wallet_answers_an_openid4vp_verifier_elsewhere(harness_folder: Path, cairn: Instance) -> None:
    container = cairn.container
    answers = container.wallet_answers
    email = "jan@example.org"
    award = container.issuing.award(DEFINITION, Recipient(email=email, name="Jan Kowalski"), actor="t")
    assert award.claim_token
    account = container.accounts.create_account(email=email).id
    item = container.wallet.add_from_claim(account, email, award.claim_token)
    _, certificate, key = cairn.tls  # the JS verifier's server presents the loopback certificate too
    with _harness(harness_folder, cairn).serving("verifier", str(certificate), str(key)) as js:
        links, base = js.first["links"], js.first["base"]
        assert not base.startswith(cairn.url)
        plain = answers.read(links["plain"])
        assert plain.client_id == f"redirect_uri:{base}/response/plain"
        assert (plain.signed, plain.organisation, plain.verifier, plain.external) == (False, "", "", True)
        assert [i.id for i in answers.candidates(account, plain)["learning"]] == [item.id]
        with pytest.raises(InputError, match="confirm"):
            answers.answer(account, plain, {"learning": item.id})
        assert answers.answer(account, plain, {"learning": item.id}, confirmed=True) == {}

        signed = answers.read(links["signed"])
        assert signed.client_id == f"decentralized_identifier:{js.first['did']}"
        assert (signed.signed, signed.organisation, signed.verifier) == (True, "", "")
        assert signed.request_uri == f"{base}/request/signed"
        assert answers.answer(account, signed, {"learning": item.id}, confirmed=True) == {}
    received = js.finish()["received"]

    for name, incoming in (("plain", plain), ("signed", signed)):
        got = received[name]
        assert got["verified"] is True, got
        assert got["content_type"] == "application/x-www-form-urlencoded"
        assert got["form_fields"] == ["state", "vp_token"]
        claims = got["claims"]
        assert (claims["given_name"], claims["family_name"]) == ("Jan", "Kowalski")
        assert claims["achievement_title"]
        assert "learning_outcomes" not in claims  # only what was asked was disclosed
        assert got["kb"]["aud"] == incoming.client_id
        assert got["kb"]["nonce"] == incoming.nonce
        assert got["resolved"]["url"] == f"{cairn.url}/orgs/{ORG}/did.json"
        assert claims["cnf"]["jwk"]["kty"] == "OKP"  # the wallet's Ed25519 key
