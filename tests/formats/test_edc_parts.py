"""A composite (pathway) credential as a European Digital Credential carries its components as ELM ``hasPart``:
one LearningAchievement per component, with this instance's organisation for a component it awarded and only what
the composite says (an Agent with the stated name) for the others; the EDC shapes pass; a plain award has no part."""

from __future__ import annotations

from cairn.formats.edc import build_edc
from cairn.formats.edc_parts import LocalPart, with_parts
from cairn.vc.formats.elm_shacl import check_shapes
from tests.factories import composite_award, stacked_components


def test_a_composite_edc_has_one_part_per_component_and_passes_the_shapes() -> None:
    composite, components = composite_award(), stacked_components()
    edc = build_edc(composite, credential_id="urn:credential:composite", issuer_id=composite["issuer"]["id"])
    sql, cloud = components[1], components[2]  # of the composite's issuer, and of SkillBridge
    local = {sql["id"]: LocalPart(sql, sql["issuer"]["id"])}
    out = with_parts(edc, composite, local=local)
    result = check_shapes(out)
    assert result.checked
    assert result.conforms, result.violations

    parts = out["credentialSubject"]["hasClaim"]["hasPart"]
    assert [p["identifier"]["notation"] for p in parts] == [c["id"] for c in components]
    assert [p["title"]["en"] for p in parts] == [
        "Data analysis with Python",
        "Relational databases and SQL",
        "Building applications with cloud services",
    ]
    bodies = [p["awardedBy"]["awardingBody"] for p in parts]
    assert bodies[0] == bodies[1] == out["issuer"]  # the composite's issuer awarded both: its own node
    assert parts[1]["awardedBy"]["awardingDate"] == sql["awardedDate"]  # known here
    assert "awardingDate" not in parts[2]["awardedBy"]  # not stated by the composite
    assert bodies[2] == {"id": cloud["issuer"]["id"], "type": "Agent", "prefLabel": {"en": "SkillBridge Europe GmbH"}}
    assert all("isPartOf" not in p for p in parts)


def test_a_plain_award_has_no_part() -> None:
    plain = stacked_components()[0]
    edc = build_edc(plain, credential_id="urn:credential:plain", issuer_id=plain["issuer"]["id"])
    assert with_parts(edc, plain, local={}) == edc
    assert "hasPart" not in edc["credentialSubject"]["hasClaim"]
