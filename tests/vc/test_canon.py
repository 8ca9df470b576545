"""rdfc and jcs: behaviour, refusals (safe mode), caching and purity."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, cast

import pytest

from cairn.errors import CanonicalizationError, DocumentLoadError
from cairn.vc.canon.forms import fast_quads, jcs, quads, rdfc, rdfc_reference
from cairn.vc.canon.rdfc10 import canonicalize
from cairn.vc.jsonld.documents import DEFAULT_LOADER, OfflineLoader
from cairn.vc.jsonld.safe import pyld_dataset

V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _credential(**extra: Any) -> dict[str, Any]:
    return {
        "@context": [V2, OB3],
        "id": "urn:uuid:2f0f5a4e-5d7e-4f2b-8a33-4d1e6f1b9c21",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example", "type": ["Profile"], "name": 'Issuer "Q"\nLine 2'},
        "validFrom": "2024-05-06T07:08:09Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/achievements/1",
                "type": ["Achievement"],
                "name": "Achievement 😀",
                "criteria": {"narrative": "Tab\there"},
                "alignment": [
                    {"type": ["Alignment"], "targetName": "A", "targetUrl": "http://data.europa.eu/esco/skill/1"},
                    {"type": ["Alignment"], "targetName": "B", "targetUrl": "http://data.europa.eu/esco/skill/2"},
                ],
                "creditsAvailable": 5,
            },
        },
        **extra,
    }


def test_rdfc_matches_the_reference_and_takes_the_fast_path() -> None:
    credential = _credential()
    expected = rdfc_reference(credential)
    assert rdfc(credential) == expected
    fast = fast_quads(credential, loader=DEFAULT_LOADER)
    assert fast is not None
    assert canonicalize(fast) == expected
    assert expected.endswith(" .\n")
    assert '"Issuer \\"Q\\"\\nLine 2"' in expected
    assert '"5"^^<https://www.w3.org/2001/XMLSchema#float>' in expected


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        cast(Any, rdfc)(_credential(), DEFAULT_LOADER)  # the loader is keyword-only: passed by position on purpose


def test_documents_are_not_mutated() -> None:
    credential = _credential(proof={"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"})
    before = copy.deepcopy(credential)
    rdfc(credential)
    rdfc_reference(credential)
    assert credential == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shoeSize": 42}, "term shoeSize is not defined"),
        ({"id": "credentials/1"}, "is not an absolute IRI"),
        ({"type": ["VerifiableCredential", "UnknownCredential"]}, "'UnknownCredential' is not an absolute IRI"),
        ({"name": "bell\x07"}, "control characters"),
        ({"name": {"@value": "x", "@language": "en_GB"}}, "not well-formed BCP 47"),
        ({"name": {"@value": "x", "@language": "ar", "@direction": "up"}}, "cannot be canonicalised"),
        ({"issuer": "https://issuer.example/with space"}, "not an absolute IRI"),
    ],
)
def test_unsafe_documents_are_refused_by_both(change: dict[str, Any], message: str) -> None:
    credential = {**_credential(), **change}
    for implementation in (rdfc, rdfc_reference):
        with pytest.raises(CanonicalizationError, match=message):
            implementation(credential)


def test_huge_integers_are_refused() -> None:
    credential = _credential()
    credential["credentialSubject"]["achievement"]["creditsAvailable"] = 2**53 + 1
    with pytest.raises(CanonicalizationError, match="too large"):
        rdfc(credential)


def test_unknown_contexts_raise_document_load_error() -> None:
    credential = {**_credential(), "@context": [V2, "https://unknown.example/context.jsonld"]}
    for implementation in (rdfc, rdfc_reference):
        with pytest.raises(DocumentLoadError, match="is not bundled; an operator can allow it"):
            implementation(credential)


def test_an_allowed_remote_context_is_used_but_not_cached() -> None:
    url = "https://remote.example/context.jsonld"
    served = {"@context": {"shoeSize": {"@id": "https://remote.example/shoeSize", "@type": "@id"}}}

    def fetch(requested: str) -> dict[str, Any]:
        assert requested == url
        return served

    credential = {
        "@context": [V2, url],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "shoeSize": "https://size.example/42"},
    }
    loader = OfflineLoader(allow_remote=fetch)
    result = rdfc(credential, loader=loader)
    assert result == rdfc_reference(credential, loader=loader)
    assert "<https://remote.example/shoeSize> <https://size.example/42>" in result
    served["@context"]["shoeSize"]["@id"] = "https://remote.example/changed"
    assert "<https://remote.example/changed>" in rdfc(credential, loader=loader)
    with pytest.raises(DocumentLoadError):
        rdfc(credential)


def test_inline_contexts_are_told_apart() -> None:
    def with_vocab(vocab: str) -> dict[str, Any]:
        return {
            "@context": [V2, {"@vocab": vocab}],
            "type": ["VerifiableCredential"],
            "issuer": "did:example:issuer",
            "credentialSubject": {"id": "did:example:subject", "colour": "blue"},
        }

    first = rdfc(with_vocab("https://one.example/#"))
    second = rdfc(with_vocab("https://two.example/#"))
    assert "<https://one.example/#colour>" in first
    assert "<https://two.example/#colour>" in second
    assert second == rdfc_reference(with_vocab("https://two.example/#"))


def test_proofs_go_to_their_own_graph() -> None:
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2024-05-06T07:08:09Z",
        "verificationMethod": "https://issuer.example#key-1",
        "proofPurpose": "assertionMethod",
        "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKiW",
    }
    credential = _credential(proof=[proof, {**proof, "created": "2024-05-07T07:08:09Z"}])
    result = rdfc(credential)
    assert result == rdfc_reference(credential)
    assert fast_quads(credential, loader=DEFAULT_LOADER) is not None
    assert result.count("<https://w3id.org/security#proof>") == 2


def test_documents_outside_the_fast_subset_fall_back_to_pyld() -> None:
    credential = _credential()
    credential["credentialSubject"]["id"] = "_:subject"  # explicit blank node identifiers
    assert fast_quads(credential, loader=DEFAULT_LOADER) is None
    assert canonicalize(quads(credential)) == rdfc(credential) == rdfc_reference(credential)


def test_sha384_and_unknown_hash_algorithms() -> None:
    credential = _credential()
    assert rdfc(credential, hash_algorithm="sha384") == rdfc_reference(credential, hash_algorithm="sha384")
    with pytest.raises(CanonicalizationError, match=r"unsupported RDFC-1\.0 hash"):
        rdfc(credential, hash_algorithm="md5")


def test_non_json_documents_are_refused() -> None:
    with pytest.raises(CanonicalizationError, match="not plain JSON"):
        rdfc_reference({**_credential(), "name": float("nan")})
    with pytest.raises(CanonicalizationError):
        rdfc({**_credential(), "name": object()})


def test_deeply_nested_documents_are_refused_not_crashed() -> None:
    nested: dict[str, Any] = {"id": "https://leaf.example"}
    for _ in range(5000):
        nested = {"part": nested}
    credential = {"@context": [V2, {"@vocab": "https://vocab.example/#"}], **nested}
    with pytest.raises(CanonicalizationError, match="nested too deeply"):
        rdfc(credential)


def test_pyld_safe_mode_can_be_switched_off_for_diagnostics() -> None:
    dataset = pyld_dataset({**_credential(), "shoeSize": 42}, safe=False)
    assert all("shoeSize" not in json.dumps(triples) for triples in dataset.values())


def test_jcs_is_rfc8785() -> None:
    assert jcs({"b": [1, 2.5, "é"], "a": None, "c": 1e21}) == b'{"a":null,"b":[1,2.5,"\xc3\xa9"],"c":1e+21}'
    with pytest.raises(CanonicalizationError):
        jcs({"x": float("inf")})


def test_ob3_fixtures_match_pyld(test_data: Path) -> None:
    """Every OB 3.0 / CLR 2.0 example and validator fixture: same answer or same refusal as pyld."""
    folder = test_data / "ob3"
    checked = fast = 0
    for path in sorted(folder.rglob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            continue
        if not isinstance(document, dict) or "@context" not in document:
            continue
        outcomes = []
        for implementation in (rdfc, rdfc_reference):
            try:
                outcomes.append(("ok", implementation(document)))
            except (CanonicalizationError, DocumentLoadError) as exc:
                outcomes.append(("refused", type(exc).__name__))
        assert outcomes[0] == outcomes[1], path
        checked += 1
        if outcomes[0][0] == "ok" and fast_quads(document, loader=DEFAULT_LOADER) is not None:
            fast += 1
    assert checked >= 60
    assert fast >= 35


def test_values_that_are_not_json_or_not_unicode_are_refused() -> None:
    from cairn.errors import CanonicalizationError
    from cairn.vc.canon.forms import rdfc

    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "score": 1.5},
    }
    assert '"1.5E0"' in rdfc(doc)
    for bad in (float("nan"), float("inf"), "a\ud800b"):
        doc["credentialSubject"]["score"] = bad
        with pytest.raises(CanonicalizationError):
            rdfc(doc)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        # JSON-LD 1.1 API toRdf tests di01 / di02 (rdfDirection "i18n-datatype"): the direction, and the
        # language in lower case, go into the datatype IRI, as jsonld.js writes it for Data Integrity proofs.
        ({"@value": "no language", "@direction": "ltr"}, '"no language"^^<https://www.w3.org/ns/i18n#_ltr>'),
        (
            {"@value": "en-US", "@language": "en-US", "@direction": "rtl"},
            '"en-US"^^<https://www.w3.org/ns/i18n#en-us_rtl>',
        ),
    ],
)
def test_a_base_direction_is_kept_as_an_i18n_datatype(value: dict[str, Any], literal: str) -> None:
    document = {"@id": "http://example.org/s", "http://example.org/p": value}
    expected = f"<http://example.org/s> <http://example.org/p> {literal} .\n"
    assert rdfc(document) == expected
    assert rdfc_reference(document) == expected


def test_only_the_direction_tells_two_credentials_apart() -> None:
    name = {"@value": "x", "@language": "ar", "@direction": "rtl"}
    left = rdfc({**_credential(), "name": name})
    right = rdfc({**_credential(), "name": {**name, "@direction": "ltr"}})
    plain = rdfc({**_credential(), "name": {"@value": "x", "@language": "ar"}})
    assert len({left, right, plain}) == 3
    assert '"x"^^<https://www.w3.org/ns/i18n#ar_rtl>' in left
