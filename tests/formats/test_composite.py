"""Composite (stacked) credentials: the OB 3.0 composite naming its components by digest, and the CLR 2.0 bundle."""

from __future__ import annotations

import base64
import copy
import hashlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import rfc8785

from cairn.errors import CanonicalizationError, CredentialError
from cairn.formats import clr, composite
from cairn.formats.clr import CLR_CONTEXTS, PARENT, Association, clr_credential, read_clr
from cairn.formats.composite import (
    MAX_BYTES,
    MAX_COMPONENTS,
    PATHWAY,
    Component,
    component_digest,
    component_of,
    composite_parts,
    digest_matches,
    match_components,
    read_composite,
    with_composite,
)
from cairn.formats.ob3 import CONTEXTS
from cairn.vc import issue, verify
from cairn.vc.canon.forms import quads
from cairn.vc.intake import verify_any
from cairn.vc.report import Outcome
from cairn.web.i18n import catalog
from tests.factories import (
    NOW,
    STACK_HOLDER,
    STACK_PATHWAY,
    catalogue_award,
    composite_award,
    issuer_key,
    signed_jwt,
    stacked_components,
)

CLR_SCHEMA = (
    "ob3/digital-credentials-public-validator/inspector-tcp-vc/src/main/resources/catalog/www.hropenstandards.org/"
    "recruiting/json/ler-rs/1EdTech/clr_v2p0_clrcredential_schema_draft4.json"
)
CLR_VECTOR = "vectors/ob3-1edtech/clrv2p0/linked-data-proof-clr-4.json"
CLR_FIXTURES = "ob3/digital-credentials-public-validator/inspector-clr/src/test/resources/clr20"
CLR_ID = "urn:uuid:0c1f9d2e-7a61-4d0b-9f43-2b8e5d6a7c10"


def _clr(components: list[Any] | None = None, composite: Any = "default", **changes: Any) -> dict[str, Any]:
    award = composite_award()
    arguments: dict[str, Any] = {
        "issuer": award["issuer"],
        "holder_id": STACK_HOLDER,
        "name": "Data analyst: the pathway and its credentials",
        "components": stacked_components() if components is None else components,
        "composite": award if composite == "default" else composite,
        "valid_from": "2026-06-01T08:00:00Z",
        "id": CLR_ID,
    }
    return clr_credential(**{**arguments, **changes})


def _signed_clr(unsigned: dict[str, Any]) -> dict[str, Any]:
    signed = issue(unsigned, key=issuer_key("uniwersytet-mazowiecki"), suite="eddsa-rdfc-2022", created=NOW)
    assert isinstance(signed, dict)
    return signed


# -- digests -------------------------------------------------------------------------------------------------------


def test_the_digest_is_sha384_over_the_jcs_form_with_the_proof() -> None:
    component = stacked_components()[0]
    expected = base64.b64encode(hashlib.sha384(rfc8785.dumps(component)).digest()).decode()
    assert component_digest(component) == f"sha384-{expected}"
    assert digest_matches(component, component_digest(component))
    reordered = dict(reversed(list(component.items())))  # the same credential, its members in another order
    assert component_digest(reordered) == component_digest(component)
    without_proof = {k: v for k, v in component.items() if k != "proof"}
    assert component_digest(without_proof) != component_digest(component)


def test_one_changed_byte_of_a_component_changes_its_digest() -> None:
    component = stacked_components()[0]
    digest = component_digest(component)
    changed = copy.deepcopy(component)
    name = changed["credentialSubject"]["achievement"]["name"]
    changed["credentialSubject"]["achievement"]["name"] = name[:-1] + chr(ord(name[-1]) ^ 1)
    assert len(rfc8785.dumps(changed)) == len(rfc8785.dumps(component))
    assert component_digest(changed) != digest
    assert not digest_matches(changed, digest)
    proof_changed = copy.deepcopy(component)
    proof_changed["proof"]["created"] = "2026-05-04T09:30:01Z"
    assert not digest_matches(proof_changed, digest)


def test_digests_of_other_strengths_and_garbage() -> None:
    component = stacked_components()[0]
    sha256 = "sha256-" + base64.b64encode(hashlib.sha256(rfc8785.dumps(component)).digest()).decode()
    assert digest_matches(component, sha256)
    assert digest_matches(component, f"{sha256} {component_digest(component)}")  # the strongest decides
    assert not digest_matches(component, f"{component_digest(component)} sha512-AAAA")
    for garbage in ("", "md5-AAAA", "sha384", "sha384-", "nonsense"):
        assert not digest_matches(component, garbage)
    assert not digest_matches("not a jwt", component_digest(component))


def test_a_jwt_component_is_digested_as_its_token() -> None:
    token = signed_jwt()
    part = component_of(token)
    expected = base64.b64encode(hashlib.sha384(token.encode()).digest()).decode()
    assert part.digest == f"sha384-{expected}"
    assert part.media_type == "application/vc+jwt"
    assert part.credential_id == "urn:uuid:7c5b0e44-52d1-4f0f-9a8e-9f0b3c2a1d10"
    assert part.achievement_name == "Data analysis with Python"


def test_a_component_is_named_by_its_ids_and_names() -> None:
    part = component_of(stacked_components()[2])
    assert part == Component(
        credential_id="urn:uuid:5e1f3c7a-0000-4000-8000-000000000003",
        achievement_id="https://cairn.example/micro-credentials/sb-cloud-applications/versions/1",
        achievement_name=part.achievement_name,
        issuer_id=stacked_components()[2]["issuer"]["id"],
        issuer_name="SkillBridge Europe GmbH",
        digest=component_digest(stacked_components()[2]),
        subject_id=STACK_HOLDER,
    )
    assert part.achievement_name.strip()
    for broken, said in (
        ({k: v for k, v in stacked_components()[0].items() if k != "id"}, "needs an id"),
        ({k: v for k, v in stacked_components()[0].items() if k != "issuer"}, "names no issuer"),
    ):
        with pytest.raises(CredentialError, match=said):
            component_of(broken)


# -- the composite OB 3.0 credential ---------------------------------------------------------------------------------


def test_the_composite_names_each_component_by_evidence_and_digest() -> None:
    components = stacked_components()
    parts = composite_parts(components, **STACK_PATHWAY)
    assert [e["id"] for e in parts["evidence"]] == [c["id"] for c in components]
    assert all(e["type"] == ["Evidence"] for e in parts["evidence"])
    assert "awarded by SkillBridge Europe" in parts["evidence"][2]["description"]
    assert "Data analyst" in parts["evidence"][0]["description"]
    assert parts["relatedResource"] == [
        {"id": c["id"], "digestSRI": component_digest(c), "mediaType": "application/vc"} for c in components
    ]
    [alignment] = parts["alignment"]
    assert alignment["targetType"] == PATHWAY
    assert alignment["targetCode"] == "data-analyst@2"
    assert "by 2 issuers" in alignment["targetDescription"]


def test_the_composite_uses_only_the_vc_and_ob3_contexts_and_expands_in_safe_mode() -> None:
    unsigned = composite_award(signed=False)
    assert unsigned["@context"] == list(CONTEXTS)
    assert quads(unsigned)  # safe mode: refuses any undefined term
    with pytest.raises(CanonicalizationError):  # and it is on: a term neither context defines is refused
        quads({**unsigned, "evidence": [{**unsigned["evidence"][0], "pathwayVersion": 2}]})


def test_the_signed_composite_verifies_in_cairn() -> None:
    report = verify(composite_award(), now=NOW)
    assert report.verified, report.text()
    for check in ("proof", "well-formed", "schema"):
        assert report.outcome_of(check) is Outcome.PASS, check


def test_read_composite_gives_back_the_pathway_and_the_components() -> None:
    ref = read_composite(composite_award())
    assert ref is not None
    assert (ref.pathway_id, ref.pathway_version) == ("data-analyst", 2)
    assert (ref.pathway_url, ref.pathway_title) == (STACK_PATHWAY["pathway_url"], "Data analyst")
    components = stacked_components()
    assert ref.ids == tuple(c["id"] for c in components)
    assert [c.digest for c in ref.components] == [component_digest(c) for c in components]
    assert ref.components[0].name == components[0]["credentialSubject"]["achievement"]["name"]
    assert read_composite(components[0]) is None  # an ordinary award is no composite
    for other in ("", "not a credential", signed_jwt(), {"credentialSubject": "x"}):
        assert read_composite(other) is None


def test_a_composite_naming_too_many_components_is_refused_when_read() -> None:
    award = composite_award()
    extra = [f"urn:uuid:00000000-0000-4000-8000-{i:012d}" for i in range(MAX_COMPONENTS)]
    award["evidence"] += [{"id": i, "type": ["Evidence"], "name": "x"} for i in extra]
    award["relatedResource"] += [{"id": i, "digestSRI": award["relatedResource"][0]["digestSRI"]} for i in extra]
    with pytest.raises(CredentialError, match=f"names at most {MAX_COMPONENTS} components"):
        read_composite(award)


def test_a_jwt_component_is_named_and_matched_as_a_jwt() -> None:
    token = signed_jwt()
    parts = composite_parts([token, *stacked_components()[1:]], **STACK_PATHWAY)
    assert parts["relatedResource"][0]["mediaType"] == "application/vc+jwt"
    target, _ = catalogue_award("um-applied-statistics", 8)
    ref = read_composite(with_composite(target, parts))
    assert ref is not None
    assert ref.components[0].media_type == "application/vc+jwt"
    match = match_components(ref, [*stacked_components(), token])
    assert match.complete
    assert match.found[0][1] == token


def test_matching_held_credentials_finds_the_missing_and_the_altered() -> None:
    ref = read_composite(composite_award())
    assert ref is not None
    components = stacked_components()
    assert match_components(ref, components).complete
    altered = copy.deepcopy(components[1])
    altered["credentialSubject"]["achievement"]["name"] = "Something else"
    match = match_components(ref, [components[0], altered, "junk"])
    assert not match.complete
    assert [r.credential_id for r in match.altered] == [components[1]["id"]]
    assert [r.credential_id for r in match.missing] == [components[2]["id"]]
    assert [r.credential_id for r, _ in match.found] == [components[0]["id"]]


def test_a_composite_is_refused_when_its_components_are_not_right() -> None:
    components = stacked_components()
    pathway = STACK_PATHWAY
    with pytest.raises(CredentialError, match="at least one"):
        composite_parts([], **pathway)
    with pytest.raises(CredentialError, match="listed twice"):
        composite_parts([components[0], components[1], components[0]], **pathway)
    many = [{**components[0], "id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}"} for i in range(MAX_COMPONENTS + 1)]
    with pytest.raises(CredentialError, match=f"at most {MAX_COMPONENTS} components, not {MAX_COMPONENTS + 1}"):
        composite_parts(many, **pathway)
    assert len(composite_parts(many[:MAX_COMPONENTS], **pathway)["evidence"]) == MAX_COMPONENTS
    huge = {**components[0], "description": "x" * MAX_BYTES}
    with pytest.raises(CredentialError, match="larger than"):
        composite_parts([huge], **pathway)
    deep: dict[str, Any] = {}
    nested = deep
    for _ in range(70):
        nested["x"] = {}
        nested = nested["x"]
    with pytest.raises(CredentialError, match="deeper than 64"):
        composite_parts([{**components[0], "description": deep}], **pathway)
    for change, said in (
        ({"pathway_version": 0}, "whole number"),
        ({"pathway_version": True}, "whole number"),
        ({"pathway_url": "not a url"}, "URL"),
        ({"pathway_id": "two words"}, "without spaces"),
        ({"pathway_title": " "}, "needs a title"),
    ):
        with pytest.raises(CredentialError, match=said):
            composite_parts(components, **{**pathway, **change})
    with pytest.raises(CredentialError, match="before it is signed"):
        with_composite(components[0], composite_parts(components, **pathway))


def test_with_composite_keeps_what_the_award_had() -> None:
    target, _ = catalogue_award("um-applied-statistics", 7)
    target["evidence"] = [{"id": "https://cairn.example/portfolio/1", "type": ["Evidence"], "name": "Portfolio"}]
    alignments = len(target["credentialSubject"]["achievement"]["alignment"])
    merged = with_composite(target, composite_parts(stacked_components(), **STACK_PATHWAY))
    assert merged["evidence"][0]["name"] == "Portfolio"
    assert len(merged["evidence"]) == 4
    assert len(merged["credentialSubject"]["achievement"]["alignment"]) == alignments + 1
    assert "relatedResource" not in target  # the award given is left as it was
    assert len(target["credentialSubject"]["achievement"]["alignment"]) == alignments


# -- CLR 2.0 --------------------------------------------------------------------------------------------------------


def test_the_clr_bundles_the_components_and_the_composite_with_their_associations() -> None:
    clr = _clr()
    assert clr["@context"] == list(CLR_CONTEXTS)
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    subject = clr["credentialSubject"]
    assert subject["id"] == STACK_HOLDER
    assert [c["id"] for c in subject["verifiableCredential"]] == [
        *(c["id"] for c in stacked_components()),
        composite_award()["id"],
    ]
    parent = composite_award()["credentialSubject"]["achievement"]["id"]
    assert subject["achievement"][0]["id"] == parent
    assert len(subject["achievement"]) == 4
    assert subject["association"] == [
        {"type": "Association", "associationType": PARENT, "sourceId": parent, "targetId": a["id"]}
        for a in subject["achievement"][1:]
    ]
    assert quads(clr)  # expands in safe mode with the CLR 2.0.1 context


def test_the_clr_has_the_fields_the_1edtech_clr_examples_and_schema_require(test_data: Path) -> None:
    ours = _clr()
    example = json.loads((test_data / CLR_VECTOR).read_text())
    assert set(example) - {"proof", "credentialSchema"} <= set(ours)
    assert ours["@context"] == example["@context"][:3]
    assert set(example["credentialSubject"]) <= set(ours["credentialSubject"])
    assert {frozenset(a) for a in ours["credentialSubject"]["association"]} == {
        frozenset(a) for a in example["credentialSubject"]["association"]
    }
    schema = json.loads((test_data / CLR_SCHEMA).read_text())
    # the CLR schema's own requirements, less those of VCDM 1.1 (issuanceDate is VCDM 2.0's validFrom)
    required = {"validFrom" if r == "issuanceDate" else r for r in schema["required"]}
    assert required <= set(ours)
    subject_schema = schema["$defs"]["ClrSubject"]
    assert set(subject_schema["required"]) <= set(ours["credentialSubject"])
    association = schema["$defs"]["Association"]
    for item in ours["credentialSubject"]["association"]:
        jsonschema.Draft4Validator(association).validate(item)  # its four properties and nothing else
    # this draft's Achievement predates OB 3.0.3's Related (type, inLanguage, name): only what it requires is judged
    for item in ours["credentialSubject"]["achievement"]:
        assert set(schema["$defs"]["Achievement"]["required"]) <= set(item)


def test_the_signed_clr_verifies_with_every_credential_inside() -> None:
    report = verify(_signed_clr(_clr()), now=NOW)
    assert report.verified, report.text()
    assert report.outcome_of("nested") is Outcome.PASS
    assert [r.verified for r in report.credentials] == [True] * 4
    assert verify_any(json.dumps(_signed_clr(_clr())), now=NOW).verified  # the same path from any input


def test_a_clr_whose_component_was_tampered_reports_that_component() -> None:
    clr = _signed_clr(_clr())
    inner = clr["credentialSubject"]["verifiableCredential"][1]
    inner["credentialSubject"]["achievement"]["name"] = "Advanced databases"
    report = verify_any(clr, now=NOW)
    assert report.outcome_of("proof") is Outcome.FAIL  # the CLR's own proof covers what it carries
    assert report.outcome_of("nested") is Outcome.FAIL
    assert [r.verified for r in report.credentials] == [True, False, True, True]
    assert report.credentials[1].outcome_of("proof") is Outcome.FAIL
    assert report.credentials[1].achievement["name"] == "Advanced databases"


def test_the_bundle_of_a_tampered_clr_does_not_match_its_composite() -> None:
    clr = _signed_clr(_clr())
    bundle = read_clr(clr)
    assert bundle is not None
    assert bundle.composite_ref is not None
    match = match_components(bundle.composite_ref, bundle.components)  # by the digests read_clr computed
    assert match.complete
    assert [held for _, held in match.found] == stacked_components()
    clr["credentialSubject"]["verifiableCredential"][2]["validFrom"] = "2026-05-04T09:30:01Z"
    tampered = read_clr(clr)
    assert tampered is not None
    assert tampered.composite_ref is not None
    match = match_components(tampered.composite_ref, tampered.components)
    assert [r.credential_id for r in match.altered] == [stacked_components()[2]["id"]]
    assert not match.complete


def test_read_clr_gives_back_the_bundle() -> None:
    bundle = read_clr(_signed_clr(_clr()))
    assert bundle is not None
    assert (bundle.id, bundle.holder_id) == (CLR_ID, STACK_HOLDER)
    assert bundle.issuer_id == composite_award()["issuer"]["id"]
    assert bundle.composite == composite_award()
    assert bundle.composite_ref == read_composite(composite_award())
    assert [c.credential_id for c in bundle.components] == [c["id"] for c in stacked_components()]
    assert [c.credential for c in bundle.components] == stacked_components()
    parent = composite_award()["credentialSubject"]["achievement"]["id"]
    assert bundle.associations[0] == Association(PARENT, parent, bundle.components[0].achievement_id or "")
    assert len(bundle.achievements) == 4
    assert read_clr(composite_award()) is None  # not a CLR


def test_a_clr_without_a_composite_is_a_plain_bundle() -> None:
    clr = _clr(composite=None)
    assert "association" not in clr["credentialSubject"]
    bundle = read_clr(clr)
    assert bundle is not None
    assert bundle.composite is None
    assert len(bundle.components) == 3


def test_the_1edtech_clr_examples_are_read(test_data: Path) -> None:
    paths = [test_data / CLR_VECTOR, *sorted((test_data / CLR_FIXTURES).glob("*.json"))]
    assert len(paths) == 6
    for path in paths:
        bundle = read_clr(json.loads(path.read_text()))
        assert bundle is not None, path
        assert bundle.credentials, path
        assert bundle.composite is None  # their CLRs name no pathway
        assert any(a.association_type == PARENT for a in bundle.associations), path


def test_a_clr_is_refused_when_it_does_not_hold_together() -> None:
    components = stacked_components()
    with pytest.raises(CredentialError, match="not among the components"):
        _clr(components=components[:2])
    altered = copy.deepcopy(components)
    altered[0]["credentialSubject"]["achievement"]["name"] = "Something else"
    with pytest.raises(CredentialError, match="not among the components"):
        _clr(components=altered)
    other, key = catalogue_award("zsz7-mag-welding", 40)
    extra = issue(other, key=key, suite="eddsa-rdfc-2022", created=NOW)
    with pytest.raises(CredentialError, match="does not name the component"):
        _clr(components=[*components, extra])
    with pytest.raises(CredentialError, match="about someone else"):
        _clr(holder_id="did:example:someone-else")
    elsewhere = composite_award()
    elsewhere["credentialSubject"]["id"] = "did:example:someone-else"
    with pytest.raises(CredentialError, match="about someone else"):  # the composite too
        _clr(composite=elsewhere)
    with pytest.raises(CredentialError, match="names no pathway"):
        _clr(components=components[:2], composite=components[2])
    with pytest.raises(CredentialError, match="issuer needs an id"):
        _clr(issuer={"name": "Nobody"})


def _hostile(items: list[Any]) -> dict[str, Any]:
    clr = _clr(composite=None)
    clr["credentialSubject"]["verifiableCredential"] = items
    return clr


def test_a_hostile_clr_is_refused_with_a_clear_error() -> None:
    component = stacked_components()[0]
    thousand = _hostile([component] * 1000)
    with pytest.raises(CredentialError, match="holds 1000 credentials; at most 51 are read"):
        read_clr(thousand)
    assert verify(thousand, now=NOW).outcome_of("nested") is Outcome.FAIL  # the verifier checks at most 500
    huge = _hostile([{**component, "description": "x" * (MAX_BYTES // 2)} for _ in range(3)])
    with pytest.raises(CredentialError, match="larger than 2,000,000 bytes"):
        read_clr(huge)
    with pytest.raises(CredentialError, match="credential 2 inside the CLR is neither"):
        read_clr(_hostile([component, "a string"]))
    with pytest.raises(CredentialError, match="holds 51 credentials and no composite; at most 50 are read"):
        read_clr(_hostile([{**component, "id": f"urn:uuid:00000000-0000-4000-8000-{i:012d}"} for i in range(51)]))
    tangled = _clr()
    tangled["credentialSubject"]["association"] *= 1000
    with pytest.raises(CredentialError, match="holds 3000 associations; at most 2601 are read"):
        read_clr(tangled)
    with pytest.raises(CredentialError, match=f"at most {MAX_COMPONENTS} components"):
        _clr(composite=None, components=[{**component, "id": f"urn:x:{i}"} for i in range(MAX_COMPONENTS + 1)])


def test_every_refusal_is_said_in_polish_too() -> None:
    """The messages of the CredentialErrors both modules raise are in the Polish catalogue, with the same places."""
    source = inspect.getsource(composite) + inspect.getsource(clr)
    messages = set(re.findall(r'CredentialError\(\s*"([^"]+)"', source))
    messages |= set(re.findall(r'"(the CLR holds [^"]+)"', source))
    assert len(messages) > 20
    polish = catalog("pl")
    missing = sorted(m for m in messages if not polish.get(m, "").strip())
    assert not missing
    for message in messages:
        assert sorted(re.findall(r"%\((\w+)\)s", polish[message])) == sorted(re.findall(r"%\((\w+)\)s", message))
