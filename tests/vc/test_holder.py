"""The holder check on real Cairn-issued credentials and on hand-written identity objects."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from cairn.bootstrap import build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.holder import email_matches, holder_match, names_subject
from tests.factories import FixedClock


def _issued(database: Database, clock: FixedClock, examples: Path, recipient: Recipient) -> dict[str, Any]:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=database)
    container.catalog.import_paths([examples])
    result = container.issuing.award("um-sql-databases", recipient, actor="test", organisation="uniwersytet-mazowiecki")
    assert isinstance(result.credential, dict)
    return result.credential


def test_a_cairn_credential_matches_its_learners_email(
    sqlite_database: Database, clock: FixedClock, examples: Path
) -> None:
    credential = _issued(sqlite_database, clock, examples, Recipient(email="Ada@Example.org", name="Ada"))
    assert email_matches(credential, "ada@example.org") is True
    assert email_matches(credential, "  ADA@example.ORG ") is True
    assert email_matches(credential, "eve@example.org") is False
    assert email_matches(credential, "") is None
    assert email_matches(credential, "a" * 400) is None


def test_a_credential_naming_only_a_did_cannot_be_checked(
    sqlite_database: Database, clock: FixedClock, examples: Path
) -> None:
    credential = _issued(sqlite_database, clock, examples, Recipient(did="did:key:z6MkLearner", name="Bo"))
    assert email_matches(credential, "bo@example.org") is None


def _with(identifier: Any) -> dict[str, Any]:
    return {"credentialSubject": {"identifier": identifier}}


def test_plain_md5_and_hostile_identity_objects() -> None:
    plain = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": False, "identityHash": "a@b.org"}
    assert email_matches(_with([plain]), "A@B.org") is True
    assert email_matches(_with([plain]), "c@b.org") is False
    md5 = "md5$" + hashlib.md5(b"a@b.orgpepper").hexdigest()
    hashed = {"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": md5}
    assert email_matches(_with([{**hashed, "salt": "pepper"}]), "a@b.org") is True
    assert email_matches(_with([hashed]), "a@b.org") is False  # no salt: a different hash
    for hostile in (None, 5, "x", [5, None], [{"identityType": "emailAddress", "hashed": True, "identityHash": "x$1"}]):
        assert email_matches(_with(hostile), "a@b.org") is None
    assert email_matches({"credentialSubject": [None, {"identifier": [plain]}]}, "a@b.org") is True
    assert email_matches({}, "a@b.org") is None
    name_only = {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "a@b.org"}
    assert email_matches(_with([name_only]), "a@b.org") is None


def test_holder_match_by_did_by_hashed_email_and_otherwise() -> None:
    salted = "sha256$" + hashlib.sha256(b"ada@example.orgsalt").hexdigest()
    ob3 = _with([{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True, "identityHash": salted}])
    ob3["credentialSubject"]["identifier"][0]["salt"] = "salt"
    assert holder_match(ob3, dids={"did:key:z6MkAda"}, email="Ada@Example.org") == "holder"
    assert holder_match(ob3, dids={"did:key:z6MkAda"}, email="eve@example.org") == "someone-else"
    assert holder_match(ob3, dids={"did:key:z6MkAda"}, email=None) == "someone-else"  # no proved address
    by_did = {"credentialSubject": [{"id": "did:example:other"}, {"id": "did:key:z6MkAda"}]}
    assert holder_match(by_did, dids={"did:key:z6MkAda"}, email=None) == "holder"
    assert holder_match(by_did, dids={"did:key:z6MkEve"}, email="ada@example.org") == "someone-else"
    identity = "sha256$" + hashlib.sha256(b"ada@example.orgs").hexdigest()
    ob2 = {"recipient": {"type": "email", "hashed": True, "salt": "s", "identity": identity}}
    assert holder_match(ob2, dids=set(), email="ada@example.org") == "holder"
    assert holder_match(ob2, dids=set(), email="eve@example.org") == "someone-else"
    name_only = _with([{"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": "Ada"}])
    assert holder_match(name_only, dids={"did:key:z6MkAda"}, email="ada@example.org") == "someone-else"
    nobodies: list[dict[str, Any]] = [{}, {"credentialSubject": {"achievement": {"name": "x"}}}, _with([])]
    for nobody in [*nobodies, {"recipient": {}}]:
        assert not names_subject(nobody)
        assert holder_match(nobody, dids={"did:key:z6MkAda"}, email="ada@example.org") == "unknown"
