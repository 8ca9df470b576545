"""Data Integrity proofs with generated keys: round trips, proof sets and chains, tampering, hostile input."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cairn.errors import CanonicalizationError, CredentialError, DidResolutionError, KeyFormatError
from cairn.vc import multibase
from cairn.vc.canon.forms import jcs
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.proofs import data_integrity, suites, verified
from cairn.vc.proofs.data_integrity import (
    MAX_PROOFS,
    SUPPORTED_CRYPTOSUITES,
    ProofCheck,
    add_proof,
    controller_of,
    format_datetime,
    key_resolver,
    verify_proofs,
)
from cairn.vc.proofs.suites import P384PublicKey, VerificationKey, b58decode, b58encode, fast_jcs

V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREATED = "2026-05-04T09:30:00Z"
ED = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
ED_OTHER = KeyPair.from_secret(KeyType.ED25519, bytes(range(1, 33)))
P256 = KeyPair.from_secret(KeyType.P256, bytes(range(2, 34)))
KEYS = {"eddsa": ED, "ecdsa": P256}
RESOLVE = key_resolver()


def method(key: KeyPair) -> str:
    return f"{did_key(key.public)}#{key.public.multibase}"


def key_for(suite: str) -> KeyPair:
    return KEYS[suite.split("-")[0]]


def badge() -> dict[str, Any]:
    """A small Open Badges 3.0 credential (bundled contexts only)."""
    return {
        "@context": [V2, OB3],
        "id": "urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data analysis with Python",
        "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "Université d'Exemple"},
        "validFrom": "2026-05-04T09:30:00Z",
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://cairn.example/achievements/1",
                "type": ["Achievement"],
                "name": "Data analysis with Python",
                "criteria": {"narrative": "Pass the project (70%) and the test (30%)."},
                "creditsAvailable": 5.0,
            },
        },
    }


def sign(document: dict[str, Any], suite: str, **options: Any) -> dict[str, Any]:
    key = options.pop("key") if "key" in options else key_for(suite)
    return add_proof(
        document,
        key=key,
        verification_method=options.pop("verification_method") if "verification_method" in options else method(key),
        cryptosuite=suite,
        created=options.pop("created", CREATED),
        **options,
    )


def failed(document: Any, reason: str | None = None, **options: Any) -> ProofCheck:
    checks = verify_proofs(document, resolve_key=options.pop("resolve_key", RESOLVE), **options)
    assert len(checks) == 1
    [check] = checks
    assert not check.ok, check
    assert check.reason
    if reason is not None:
        assert reason in check.reason
    return check


def all_ok(document: Any, **options: Any) -> list[ProofCheck]:
    checks = verify_proofs(document, resolve_key=options.pop("resolve_key", RESOLVE), **options)
    assert checks
    assert [c.reason for c in checks if not c.ok] == []
    return checks


# -- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_round_trip_with_generated_keys(suite: str) -> None:
    kind = KeyType.ED25519 if suite.startswith("eddsa") else KeyType.P256
    key = KeyPair.generate(kind)
    document = badge()
    original = copy.deepcopy(document)
    signed = sign(document, suite, key=key)
    assert document == original  # the input is not modified
    [check] = all_ok(signed)
    assert (check.cryptosuite, check.verification_method) == (suite, method(key))
    assert (check.proof_purpose, check.created) == ("assertionMethod", CREATED)
    proof = signed["proof"]
    assert proof["proofValue"].startswith("z")
    assert ("@context" in proof) == suite.endswith(("jcs-2022", "jcs-2019"))
    # a JSON round trip changes nothing
    all_ok(json.loads(json.dumps(signed)))


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_authentication_proofs_bind_challenge_and_domain(suite: str) -> None:
    signed = sign(badge(), suite, proof_purpose="authentication", challenge="c-123", domain="https://verifier.example")
    options = {"expected_purpose": "authentication", "challenge": "c-123", "domain": "https://verifier.example"}
    all_ok(signed, **options)
    failed(signed, "proof purpose is 'authentication'")  # a credential verifier expects assertionMethod
    failed(signed, "challenge does not match", **{**options, "challenge": "c-124"})
    failed(signed, "domain", **{**options, "domain": "https://other.example"})
    plain = sign(badge(), suite, proof_purpose="authentication")
    failed(plain, "no challenge", **options)
    failed(plain, "no domain", **{**options, "challenge": None})


def test_a_proof_domain_may_be_a_list_containing_the_expected_one() -> None:
    signed = sign(badge(), "eddsa-jcs-2022", proof_purpose="authentication", challenge="c")
    signed = copy.deepcopy(signed)
    signed["proof"]["domain"] = ["https://a.example", "https://b.example"]
    # the domain is signed data: re-sign with a list domain through the proof options
    document = {k: v for k, v in signed.items() if k != "proof"}
    resigned = _resign_with(document, signed["proof"])
    all_ok(resigned, expected_purpose="authentication", challenge="c", domain="https://b.example")
    failed(resigned, "domain", expected_purpose="authentication", challenge="c", domain="https://c.example")


def _resign_with(document: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """Sign ``document`` with arbitrary proof options (Ed25519, eddsa-jcs-2022)."""
    from cairn.vc.proofs.suites import SUITES, hash_data

    proof = {k: v for k, v in options.items() if k != "proofValue"}
    signature = ED.sign(hash_data(SUITES["eddsa-jcs-2022"], proof, document, curve="Ed25519"))
    return {**document, "proof": {**proof, "proofValue": "z" + b58encode(signature)}}


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_a_lone_proof_may_be_written_as_a_list(suite: str) -> None:
    signed = sign(badge(), suite, proof_as_list=True)
    assert isinstance(signed["proof"], list)
    assert signed["proof"][0] == sign(badge(), suite)["proof"] or suite.startswith("ecdsa")  # ECDSA is randomised
    all_ok(signed)
    all_ok({**signed, "proof": signed["proof"][0]})


def test_created_may_be_a_datetime_or_left_out() -> None:
    moment = datetime(2026, 5, 4, 11, 30, 15, 250000, tzinfo=timezone(timedelta(hours=2)))
    signed = sign(badge(), "eddsa-rdfc-2022", created=moment)
    assert signed["proof"]["created"] == "2026-05-04T09:30:15.250000Z"
    all_ok(signed)
    signed = sign(badge(), "eddsa-jcs-2022", created=None)
    assert "created" not in signed["proof"]
    assert all_ok(signed)[0].created is None


def test_expires_is_checked_against_the_time_given() -> None:
    signed = sign(badge(), "eddsa-jcs-2022", expires=datetime(2027, 1, 1, tzinfo=UTC))
    assert signed["proof"]["expires"] == "2027-01-01T00:00:00Z"
    all_ok(signed)
    all_ok(signed, now=datetime(2026, 12, 31, tzinfo=UTC))
    failed(signed, "expired", now=datetime(2027, 1, 1, tzinfo=UTC))
    failed(signed, "timezone-aware", now=datetime(2026, 1, 1))


def test_keys_may_be_reordered_and_the_proof_still_verifies() -> None:
    for suite in SUPPORTED_CRYPTOSUITES:
        signed = sign(badge(), suite)
        reordered = json.loads(json.dumps(signed, sort_keys=True))
        all_ok(dict(reversed(list(reordered.items()))))


# -- proof sets and chains -----------------------------------------------------------------------


def test_a_proof_set_holds_independent_proofs() -> None:
    signed = sign(badge(), "eddsa-rdfc-2022", proof_id="urn:proof:1")
    signed = sign(signed, "ecdsa-jcs-2019", proof_id="urn:proof:2")
    signed = sign(signed, "eddsa-jcs-2022", key=ED_OTHER)
    assert isinstance(signed["proof"], list)
    assert len(signed["proof"]) == 3
    checks = all_ok(signed)
    assert [c.cryptosuite for c in checks] == ["eddsa-rdfc-2022", "ecdsa-jcs-2019", "eddsa-jcs-2022"]
    assert [c.proof_id for c in checks] == ["urn:proof:1", "urn:proof:2", None]
    # each proof stands alone: dropping one leaves the others valid
    alone = {**signed, "proof": signed["proof"][1]}
    all_ok(alone)
    # a broken proof fails alone
    broken = copy.deepcopy(signed)
    broken["proof"][1]["proofValue"] = signed["proof"][0]["proofValue"]
    assert [c.ok for c in verify_proofs(broken, resolve_key=RESOLVE)] == [True, False, True]


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_a_proof_chain_signs_the_previous_proofs(suite: str) -> None:
    signed = sign(badge(), suite, proof_id="urn:proof:1")
    signed = sign(signed, suite, proof_id="urn:proof:2", key=ED_OTHER if suite.startswith("eddsa") else P256)
    signed = sign(signed, suite, previous_proof=["urn:proof:1", "urn:proof:2"], proof_id="urn:proof:3")
    signed = sign(signed, suite, previous_proof="urn:proof:3")
    assert signed["proof"][2]["previousProof"] == ["urn:proof:1", "urn:proof:2"]
    assert signed["proof"][3]["previousProof"] == "urn:proof:3"
    assert len(all_ok(signed)) == 4
    # replacing a previous proof (even by another valid one) breaks the chained proof
    other = sign(badge(), suite, proof_id="urn:proof:1", created="2026-05-05T09:30:00Z")["proof"]
    swapped = {**signed, "proof": [other, *signed["proof"][1:]]}
    assert [c.ok for c in verify_proofs(swapped, resolve_key=RESOLVE)] == [True, True, False, True]


def test_chain_problems_are_refused_when_adding() -> None:
    signed = sign(badge(), "eddsa-jcs-2022", proof_id="urn:proof:1")
    with pytest.raises(CredentialError, match="not in the document"):
        sign(signed, "eddsa-jcs-2022", previous_proof="urn:proof:9")
    with pytest.raises(CredentialError, match="already has a proof"):
        sign(signed, "eddsa-jcs-2022", proof_id="urn:proof:1")
    with pytest.raises(CredentialError, match="previousProof"):
        sign(signed, "eddsa-jcs-2022", previous_proof=[])
    twice = {**signed, "proof": [signed["proof"], signed["proof"]]}
    with pytest.raises(CredentialError, match="more than one proof"):
        sign(twice, "eddsa-jcs-2022", previous_proof="urn:proof:1")


@pytest.mark.parametrize(
    ("previous", "reason"),
    [
        ("urn:proof:9", "not in the document"),
        ("urn:proof:2", "not in the document"),  # itself
        ([], "previousProof must be"),
        ([1], "previousProof must be"),
        ({"id": "urn:proof:1"}, "previousProof must be"),
    ],
)
def test_broken_chains_fail_with_a_reason(previous: Any, reason: str) -> None:
    signed = sign(badge(), "eddsa-jcs-2022", proof_id="urn:proof:1")
    signed = sign(signed, "eddsa-jcs-2022", proof_id="urn:proof:2", previous_proof="urn:proof:1")
    signed["proof"][1]["previousProof"] = previous
    checks = verify_proofs(signed, resolve_key=RESOLVE)
    assert checks[0].ok
    assert not checks[1].ok
    assert reason in checks[1].reason


# -- tampering -----------------------------------------------------------------------------------


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("x" if not value.endswith("x") else "y")
    return "tampered"


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
def test_tampering_with_any_field_fails(suite: str) -> None:
    signed = sign(badge(), suite)
    paths = list(_leaves(signed))
    assert len(paths) > 20
    for path in paths:
        tampered = copy.deepcopy(signed)
        target = tampered
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = _changed(target[path[-1]])
        failed(tampered)
    for extra in ({"nonce": "x"}, {"expires": "2099-01-01T00:00:00Z"}):
        tampered = copy.deepcopy(signed)
        tampered["proof"].update(extra)
        failed(tampered, "does not verify")
    for name in ("name", "validFrom"):
        tampered = copy.deepcopy(signed)
        del tampered[name]
        failed(tampered, "does not verify")
    tampered = copy.deepcopy(signed)
    tampered["description"] = "added after signing"
    failed(tampered)


def test_a_signature_by_another_key_fails() -> None:
    signed = sign(badge(), "eddsa-rdfc-2022", key=ED_OTHER, verification_method=method(ED))
    failed(signed, "does not verify")


# -- hostile input -------------------------------------------------------------------------------


def _with_proof(proof: Any) -> dict[str, Any]:
    return {**badge(), "proof": proof}


def _valid_proof(suite: str = "eddsa-jcs-2022") -> dict[str, Any]:
    proof: dict[str, Any] = sign(badge(), suite)["proof"]
    return proof


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (None, "not a JSON object"),
        ([], "not a JSON object"),
        ("{}", "not a JSON object"),
        (12, "not a JSON object"),
        (badge(), "no proof"),
        (_with_proof("zabc"), "not a JSON object or a list"),
        (_with_proof(7), "not a JSON object or a list"),
        (_with_proof([]), "list is empty"),
        (_with_proof(["x"]), "not a JSON object"),
        (_with_proof([{}] * (MAX_PROOFS + 1)), "more than"),
        (_with_proof({}), "no type"),
        (_with_proof({"type": "BbsBlsSignature2020"}), "not supported"),
        (_with_proof({"type": "Ed25519Signature2018"}), "no verificationMethod"),
        (_with_proof({"type": ["DataIntegrityProof"]}), "not supported"),
        (_with_proof({"type": "DataIntegrityProof"}), "no cryptosuite"),
        (_with_proof({"type": "DataIntegrityProof", "cryptosuite": "bbs-2023"}), "not supported"),
        (_with_proof({"type": "DataIntegrityProof", "cryptosuite": ["eddsa-jcs-2022"]}), "no cryptosuite"),
        (_with_proof({**_valid_proof(), "verificationMethod": None}), "no verificationMethod"),
        (_with_proof({**_valid_proof(), "verificationMethod": "x" * 5000}), "no verificationMethod"),
        (_with_proof({**_valid_proof(), "proofPurpose": 3}), "no proofPurpose"),
        (_with_proof({**_valid_proof(), "proofPurpose": "capabilityInvocation"}), "proof purpose"),
        (_with_proof({**_valid_proof(), "proofValue": None}), "no proofValue"),
        (_with_proof({**_valid_proof(), "proofValue": "uAAAA"}), "base58btc multibase"),
        (_with_proof({**_valid_proof(), "proofValue": "2YwC8z3ap7yx1nZ"}), "base58btc multibase"),
        (_with_proof({**_valid_proof(), "proofValue": "z0OIl"}), "outside the Bitcoin alphabet"),
        (_with_proof({**_valid_proof(), "proofValue": "z" + "2" * 2000}), "base58btc multibase"),
        (_with_proof({**_valid_proof(), "proofValue": "z" + b58encode(bytes(62) + b"\1")}), "63 bytes"),
        (_with_proof({**_valid_proof(), "proofValue": "z" + b58encode(b"\1" * 65)}), "65 bytes"),
        (_with_proof({**_valid_proof(), "proofValue": "z"}), "0 bytes"),
        (_with_proof({**_valid_proof(), "created": "yesterday"}), "created is not a date-time"),
        (_with_proof({**_valid_proof(), "created": "2026-05-04T09:30:00"}), "created is not a date-time"),
        (_with_proof({**_valid_proof(), "expires": 5}), "expires is not a date-time"),
        (_with_proof({**_valid_proof(), "@context": [V2]}), "does not verify"),  # a prefix: hashed, fails
        (_with_proof({**_valid_proof(), "@context": [OB3, V2]}), "@context does not match"),
        (_with_proof({**_valid_proof(), "@context": [V2, OB3, OB3]}), "@context does not match"),
        (_with_proof({**_valid_proof(), "@context": []}), "@context does not match"),
        (_with_proof({**_valid_proof(), "@context": {"@vocab": "https://evil.example/"}}), "@context does not"),
        (_with_proof({**_valid_proof(), "verificationMethod": "did:key:zNotAKey#zNotAKey"}), "cannot be resolved"),
        (_with_proof({**_valid_proof(), "verificationMethod": "did:web:evil.example#k"}), "cannot be resolved"),
        (_with_proof({**_valid_proof(), "verificationMethod": "http://169.254.169.254/#k"}), "cannot be resolved"),
    ],
)
def test_hostile_documents_fail_with_a_reason(document: Any, reason: str) -> None:
    checks = verify_proofs(document, resolve_key=RESOLVE)
    assert checks
    assert not any(c.ok for c in checks)
    assert reason in checks[0].reason, checks[0].reason


def _resolver_returning(value: Any) -> Callable[[str, str], VerificationKey]:
    def resolve(url: str, purpose: str) -> VerificationKey:
        result: VerificationKey = value
        return result

    return resolve


def test_wrong_key_types_fail() -> None:
    eddsa = sign(badge(), "eddsa-rdfc-2022")
    failed(eddsa, "needs a Ed25519 key, but", resolve_key=_resolver_returning(P256.public))
    ecdsa = sign(badge(), "ecdsa-rdfc-2019")
    failed(ecdsa, "needs a P-256 or P-384 key, but", resolve_key=_resolver_returning(ED.public))
    failed(ecdsa, "no public key", resolve_key=_resolver_returning(None))
    failed(ecdsa, "no public key", resolve_key=_resolver_returning("zDnae..."))
    # a P-256 did:key named in an eddsa proof
    eddsa["proof"]["verificationMethod"] = method(P256)
    failed(eddsa, "needs a Ed25519 key")


def test_resolver_errors_become_failed_checks() -> None:
    signed = sign(badge(), "eddsa-jcs-2022")

    def refusing(url: str, purpose: str) -> VerificationKey:
        raise DidResolutionError("not authorised for assertionMethod")

    def crashing(url: str, purpose: str) -> VerificationKey:
        raise ValueError("bug in a resolver")

    failed(signed, "not authorised for assertionMethod", resolve_key=refusing)
    failed(signed, "could not be checked (ValueError)", resolve_key=crashing)


def test_the_resolver_is_asked_for_the_proof_purpose() -> None:
    asked: list[tuple[str, str]] = []

    def recording(url: str, purpose: str) -> VerificationKey:
        asked.append((url, purpose))
        return ED.public

    all_ok(sign(badge(), "eddsa-rdfc-2022", proof_purpose="authentication"), expected_purpose="authentication",
           resolve_key=recording)  # fmt: skip
    assert asked == [(method(ED), "authentication")]


def test_a_proof_context_that_starts_the_document_context_is_hashed_as_the_proof_says() -> None:
    # Data Integrity: "@context" entries added to a document after a JCS proof are allowed; the
    # document is hashed with the proof's @context.
    signed = sign(badge(), "eddsa-jcs-2022")
    extended = {**signed, "@context": [*signed["@context"], "https://www.w3.org/ns/credentials/examples/v2"]}
    all_ok(extended)
    # but the proof's own @context is signed
    shortened = copy.deepcopy(signed)
    shortened["proof"]["@context"] = [V2]
    shortened["@context"] = [V2]
    failed(shortened, "does not verify")


def test_documents_that_cannot_be_canonicalised_fail() -> None:
    for suite in SUPPORTED_CRYPTOSUITES:
        signed = sign(badge(), suite)
        unknown = {**signed, "@context": [V2, "https://evil.example/context.jsonld"]}
        if suite.endswith(("jcs-2022", "jcs-2019")):
            failed(unknown, "@context does not match")
        else:
            failed(unknown, "cannot be canonicalised")
        failed({**signed, "undefinedTerm": "x"}, "does not verify" if "jcs" in suite else "cannot be canonical")


@pytest.mark.parametrize("suite", SUPPORTED_CRYPTOSUITES)
@pytest.mark.parametrize(
    "hostile",
    [
        10**400,
        float("nan"),
        float("inf"),
        "lone \ud800 surrogate",
        {"\U0001f600": 1, "\uffff": 2},
        {"a": {1, 2}},
        [
            [
                [
                    [
                        [
                            [
                                [
                                    [
                                        [
                                            [
                                                [
                                                    [
                                                        [
                                                            [
                                                                [
                                                                    [
                                                                        [
                                                                            [
                                                                                [
                                                                                    [
                                                                                        [
                                                                                            [
                                                                                                [
                                                                                                    [
                                                                                                        [
                                                                                                            [
                                                                                                                [
                                                                                                                    [
                                                                                                                        [
                                                                                                                            [
                                                                                                                                [
                                                                                                                                    [
                                                                                                                                        [
                                                                                                                                            [
                                                                                                                                                [
                                                                                                                                                    [
                                                                                                                                                        [
                                                                                                                                                            [
                                                                                                                                                                [
                                                                                                                                                                    [
                                                                                                                                                                        [
                                                                                                                                                                            [
                                                                                                                                                                                [
                                                                                                                                                                                    [
                                                                                                                                                                                        [
                                                                                                                                                                                            [
                                                                                                                                                                                                [
                                                                                                                                                                                                    [
                                                                                                                                                                                                        [
                                                                                                                                                                                                            [
                                                                                                                                                                                                                [
                                                                                                                                                                                                                    [
                                                                                                                                                                                                                        [
                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                    [
                                                                                                                                                                                                                                                                                        [
                                                                                                                                                                                                                                                                                            [
                                                                                                                                                                                                                                                                                                [
                                                                                                                                                                                                                                                                                                    []
                                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                                ]
                                                                                                                                                                                                                            ]
                                                                                                                                                                                                                        ]
                                                                                                                                                                                                                    ]
                                                                                                                                                                                                                ]
                                                                                                                                                                                                            ]
                                                                                                                                                                                                        ]
                                                                                                                                                                                                    ]
                                                                                                                                                                                                ]
                                                                                                                                                                                            ]
                                                                                                                                                                                        ]
                                                                                                                                                                                    ]
                                                                                                                                                                                ]
                                                                                                                                                                            ]
                                                                                                                                                                        ]
                                                                                                                                                                    ]
                                                                                                                                                                ]
                                                                                                                                                            ]
                                                                                                                                                        ]
                                                                                                                                                    ]
                                                                                                                                                ]
                                                                                                                                            ]
                                                                                                                                        ]
                                                                                                                                    ]
                                                                                                                                ]
                                                                                                                            ]
                                                                                                                        ]
                                                                                                                    ]
                                                                                                                ]
                                                                                                            ]
                                                                                                        ]
                                                                                                    ]
                                                                                                ]
                                                                                            ]
                                                                                        ]
                                                                                    ]
                                                                                ]
                                                                            ]
                                                                        ]
                                                                    ]
                                                                ]
                                                            ]
                                                        ]
                                                    ]
                                                ]
                                            ]
                                        ]
                                    ]
                                ]
                            ]
                        ]
                    ]
                ]
            ]
        ],
    ],
    ids=["huge-int", "nan", "inf", "surrogate", "astral-keys", "set", "nested"],
)
def test_hostile_values_never_raise(suite: str, hostile: Any) -> None:
    signed = sign(badge(), suite)
    checks = verify_proofs({**signed, "name": hostile}, resolve_key=RESOLVE)
    assert len(checks) == 1
    assert not checks[0].ok
    assert "could not be checked" not in checks[0].reason  # each has a reason of its own


def test_very_deep_nesting_fails_with_a_reason() -> None:
    deep: Any = "x"
    for _ in range(50_000):
        deep = [deep]
    for suite in SUPPORTED_CRYPTOSUITES:
        signed = sign(badge(), suite)
        check = failed({**signed, "name": deep})
        assert "nested too deeply" in check.reason or "cannot be canonicalised" in check.reason
        failed({**signed, "proof": {**signed["proof"], "domain": deep}})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "type",
                "cryptosuite",
                "verificationMethod",
                "proofPurpose",
                "proofValue",
                "created",
                "previousProof",
                "@context",
                "challenge",
                "domain",
                "id",
                "expires",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
            max_leaves=8,
        )
        | st.sampled_from(["DataIntegrityProof", "eddsa-jcs-2022", "eddsa-rdfc-2022", "assertionMethod", "z3"]),
    )
)
def test_random_proofs_never_raise(proof: dict[str, Any]) -> None:
    for document in (_with_proof(proof), _with_proof([proof, {**_valid_proof(), **proof}])):
        checks = verify_proofs(document, resolve_key=RESOLVE)
        assert checks
        assert all(isinstance(c.reason, str) and c.reason for c in checks)
        assert not checks[0].ok


# -- adding: bad arguments -------------------------------------------------------------------------


def test_bad_arguments_to_add_proof_raise() -> None:
    with pytest.raises(CredentialError, match="unsupported cryptosuite"):
        sign(badge(), "bbs-2023", key=ED)
    with pytest.raises(CredentialError, match="unsupported cryptosuite"):
        sign(badge(), "Ed25519Signature2020", key=ED)  # verify only
    with pytest.raises(KeyFormatError, match="needs a Ed25519 key"):
        sign(badge(), "eddsa-rdfc-2022", key=P256)
    with pytest.raises(KeyFormatError, match="needs a P-256 or P-384 key"):
        sign(badge(), "ecdsa-jcs-2019", key=ED)
    with pytest.raises(KeyFormatError, match="not a KeyPair"):
        sign(badge(), "eddsa-jcs-2022", key=ED.public, verification_method=method(ED))
    with pytest.raises(CredentialError, match="timezone-aware"):
        sign(badge(), "eddsa-jcs-2022", created=datetime(2026, 5, 4))
    with pytest.raises(CredentialError, match="date-time with a time zone"):
        sign(badge(), "eddsa-jcs-2022", created="2026-05-04 09:30")
    with pytest.raises(CredentialError, match="proof_purpose"):
        sign(badge(), "eddsa-jcs-2022", proof_purpose="keyAgreement")
    with pytest.raises(CredentialError, match="challenge"):
        sign(badge(), "eddsa-jcs-2022", challenge="")
    with pytest.raises(CredentialError, match="verification_method"):
        sign(badge(), "eddsa-jcs-2022", verification_method="")
    with pytest.raises(CredentialError, match="not a JSON object"):
        add_proof([], key=ED, verification_method=method(ED), cryptosuite="eddsa-jcs-2022", created=CREATED)  # type: ignore[arg-type]
    with pytest.raises(CredentialError, match="proof is not"):
        sign({**badge(), "proof": "x"}, "eddsa-jcs-2022")
    with pytest.raises(CanonicalizationError):
        sign({**badge(), "undefinedTerm": 1}, "eddsa-rdfc-2022")
    with pytest.raises(CanonicalizationError):
        sign({**badge(), "name": float("nan")}, "eddsa-jcs-2022")
    for suite in SUPPORTED_CRYPTOSUITES:
        with pytest.raises(CanonicalizationError):
            sign({**badge(), "name": "lone \ud800 surrogate"}, suite)


def test_format_datetime_and_controller_of() -> None:
    assert format_datetime(datetime(2026, 5, 4, 9, 30, tzinfo=UTC)) == "2026-05-04T09:30:00Z"
    assert format_datetime("2026-05-04T11:30:00.5+02:00") == "2026-05-04T11:30:00.5+02:00"
    with pytest.raises(CredentialError):
        format_datetime("2026-13-04T09:30:00Z")
    assert controller_of("did:key:z6Mk#z6Mk") == "did:key:z6Mk"
    assert controller_of("https://example.edu/issuers/1#key-1") == "https://example.edu/issuers/1"


# -- building blocks: JCS, base58, P-384, resolver -------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _same_as_reference(value: Any) -> None:
    try:
        expected = jcs(value)
    except CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            fast_jcs(value)
        return
    assert fast_jcs(value) == expected


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_fast_jcs_equals_rfc8785(value: Any) -> None:
    _same_as_reference(value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1.0, 2.5, -0.0, 1e-7, 1e-4, 0.00011, 1e15 + 0.5, 1e16, 1e21, 1e22, 2.0**53, 2.0**53 + 2]},
        {"\u20ac": 1, "\r": 2, "\U0001f600": 3, "\ufb33": 4, "1": 5, "\u0080": 6, "\u00f6": 7},
        {"esc": "\u0000\u0001\u001f\u007f\b\f\n\r\t\"\\/\u2028\u2029<>&'é😀"},
        [2**53 - 1, -(2**53 - 1), 2**53, 10**400],
        {"k": "lone \udc00"},
        {1: "non-string key"},
        (1, 2),
        {"set": {1}},
        5.0,
    ],
)
def test_fast_jcs_edge_cases(value: Any) -> None:
    _same_as_reference(value)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100))
def test_base58_matches_multibase(data: bytes) -> None:
    assert "z" + b58encode(data) == multibase.encode(data)
    assert b58decode(b58encode(data)) == data
    assert b58decode(b58encode(b"\0\0" + data)) == b"\0\0" + data


def test_base58_refuses_bad_text() -> None:
    for text in ("0", "O", "Il", "abc+", "z" * 600, "é"):
        with pytest.raises(KeyFormatError):
            b58decode(text)


def test_p384_keys() -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    private = ec.derive_private_key(123456789, ec.SECP384R1())
    raw = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    key = P384PublicKey(raw)
    assert P384PublicKey.from_multibase(key.multibase) == key
    assert key.multibase.startswith("z82L")
    assert "P384PublicKey(z82L" in repr(key)
    r, s = decode_dss_signature(private.sign(b"message", ec.ECDSA(hashes.SHA384())))
    signature = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    assert key.verify(signature, b"message")
    assert not key.verify(signature, b"other")
    assert not key.verify(signature[:64], b"message")
    assert not key.verify(bytes(96), b"message")
    for bad in (b"\x02" + bytes(10), b"\x04" + bytes(48), b"\x02" + b"\xff" * 48):
        with pytest.raises(KeyFormatError):
            P384PublicKey(bad)
    with pytest.raises(KeyFormatError, match="not a P-384"):
        P384PublicKey.from_multibase(ED.public.multibase)
    resolve = key_resolver()
    did = f"did:key:{key.multibase}"
    assert resolve(f"{did}#{key.multibase}", "assertionMethod") == key
    with pytest.raises(DidResolutionError, match="fragment"):
        resolve(f"{did}#other", "assertionMethod")
    with pytest.raises(DidResolutionError):
        resolve("did:key:z82LnotAKey", "assertionMethod")


def test_key_resolver_handles_did_key_and_refuses_what_needs_a_fetcher() -> None:
    resolve = key_resolver()
    assert resolve(method(ED), "assertionMethod") == ED.public
    assert resolve(method(P256), "authentication") == P256.public
    assert isinstance(resolve(did_key(ED.public), "assertionMethod"), PublicKey)
    with pytest.raises(DidResolutionError):
        resolve(method(ED), "keyAgreement")
    with pytest.raises(DidResolutionError, match="fetcher"):
        resolve("did:web:example.com#key-1", "assertionMethod")


# -- signatures remembered -----------------------------------------------------------------------


def test_documents_that_differ_never_share_a_fingerprint() -> None:
    """The memory's key tells apart what a fast JSON encoder may write alike (NaN, infinities and null; 1, 1.0
    and true; a big integer), and what each encoder writes, and gives the same key for the same document."""
    key = ED_OTHER.public
    values: list[Any] = [None, float("nan"), float("inf"), float("-inf"), 1, 1.0, True, "null", 2**70, -0.0, 0.0]
    prints = [verified.fingerprint("eddsa-rdfc-2022", key, b"sig", {}, {"a": value, "b": [1]}) for value in values]
    assert None not in prints
    assert len(set(prints)) == len(values)
    assert prints[-1] == verified.fingerprint("eddsa-rdfc-2022", key, b"sig", {}, {"b": [1], "a": 0.0})
    assert verified.fingerprint("eddsa-rdfc-2022", key, b"sig", {}, {"a": object()}) is None


@pytest.mark.parametrize("suite", ["eddsa-rdfc-2022", "ecdsa-rdfc-2019"])
def test_a_remembered_signature_never_covers_a_changed_document_or_another_key(
    suite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified.forget()
    canonicalised: list[object] = []
    real = suites.document_digest

    def counting(*args: Any, **kwargs: Any) -> bytes:
        canonicalised.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(data_integrity, "document_digest", counting)
    signed = sign(badge(), suite)
    all_ok(signed)
    assert len(canonicalised) == 1
    all_ok(copy.deepcopy(signed))  # the same document again: answered from memory
    assert len(canonicalised) == 1

    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["achievement"]["name"] = "Something else"
    failed(changed, "does not verify")  # a changed document is canonicalised and checked
    failed(changed, "does not verify")  # and a failure is never remembered
    assert len(canonicalised) == 3

    wrong = (ED_OTHER if suite.startswith("eddsa") else KeyPair.from_secret(KeyType.P256, bytes(range(3, 35)))).public
    failed(signed, "does not verify", resolve_key=lambda vm, purpose: wrong)  # another key: checked, and fails
    assert len(canonicalised) == 4
    verified.forget()
    all_ok(signed)
    assert len(canonicalised) == 5
