"""Cairn's wallet presents an SD-JWT VC it received (not one it makes from an award of this instance), on SQLite and
PostgreSQL: bound to the wallet's P-256 key it answers a DCQL query with only the claims asked disclosed and an ES256
KB-JWT, and Cairn's verifier accepts it; one bound to a key the wallet does not hold is never offered."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import NotFoundError
from cairn.model.awards import Recipient
from cairn.model.dcql import SD_JWT, Ask, build_query
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.sdjwt import split_sd_jwt
from tests.factories import DEFINITION, ORG

EMAIL = "ewa@example.org"
ASKED = ("given_name", "achievement_title")


def received(container: Container, account: int, holder_jwk: dict[str, str]) -> str:
    """An SD-JWT VC issued to ``holder_jwk`` (by this instance's issuer, standing in for another) and added to the
    wallet as received: its wallet id."""
    award = container.issuing.award(DEFINITION, Recipient(email=EMAIL, name="Ewa Lis"), actor="t", organisation=ORG)
    issued = container.sd_jwt.issue(award.award_id, holder_jwk=holder_jwk, organisation=ORG)
    item = container.wallet.import_credential(account, issued)
    assert item.award_id is None
    return item.id


def test_a_received_sd_jwt_vc_answers_with_only_the_claims_asked(container: Container) -> None:
    account = container.accounts.create_account(email=EMAIL).id
    companion, _ = container.wallet.holder_key(account, KeyType.P256)
    mine = received(container, account, companion.public.to_jwk())
    foreign = received(container, account, KeyPair.generate(KeyType.P256).public.to_jwk())
    query = build_query(Ask(formats=(SD_JWT,), claims=ASKED))
    view = container.presentation_requests.create(ORG, actor="t", name="Hiring", purpose="", dcql=query)
    answers = container.wallet_answers
    incoming = answers.read(view.link)
    query_id = query["credentials"][0]["id"]
    assert [i.id for i in answers.candidates(account, incoming)[query_id]] == [mine]  # not the foreign-bound one

    with pytest.raises(NotFoundError):
        answers.answer(account, incoming, {query_id: foreign})

    sent: list[str] = []
    respond = container.presentation_requests.respond

    def keeping(form: Mapping[str, str]) -> dict[str, Any]:
        sent.append(form["vp_token"])
        return respond(form)

    answers.verifier.respond = keeping  # type: ignore[method-assign]
    assert answers.answer(account, incoming, {query_id: mine}) == {}

    [presentation] = json.loads(sent[0])[query_id]
    _, disclosures, kb = split_sd_jwt(presentation)
    names = sorted(json.loads(b64url_decode(d))[1] for d in disclosures)
    assert names == sorted(ASKED)
    assert kb is not None
    assert json.loads(b64url_decode(kb.split(".")[0]))["alg"] == "ES256"  # the P-256 key cnf.jwk names
    result = container.presentation_requests.get(ORG, view.id).result
    assert result is not None
    assert (result["verified"], result["bound"]) == (True, {query_id: True})
    assert result["holder"] == companion.public.to_jwk()["x"]
    shown = result["disclosed"][query_id]["shown"]
    assert shown["given_name"] == "Ewa"
    assert "family_name" not in shown
