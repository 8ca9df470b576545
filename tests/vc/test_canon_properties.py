"""Property tests: the fast canonicaliser gives pyld's answer, or pyld's refusal, for generated credentials."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from pyld.canon import URDNA2015

from cairn.errors import CanonicalizationError, CredentialError
from cairn.vc.canon.forms import fast_quads, rdfc, rdfc_reference
from cairn.vc.canon.rdfc10 import Quad, canonicalize
from cairn.vc.jsonld.documents import DEFAULT_LOADER

V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXAMPLES = "https://www.w3.org/ns/credentials/examples/v2"
XSD = "http://www.w3.org/2001/XMLSchema#"
VOCAB = "https://vocab.example/#"

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with quotes, backslashes, newlines, tabs, non-BMP characters; now and then a control character
# (which both implementations must refuse).
_ALPHABET = st.one_of(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    st.sampled_from(['"', "\\", "\n", "\r", "\t", "é", "ß", "漢", "😀", "\u2028", "\ufeff", " "]),
)
texts = st.text(_ALPHABET, max_size=24)
languages = st.sampled_from(["en", "en-GB", "EN-us", "fr", "de-CH-1901", "zh-Hant-TW", "es-419"])
iris = st.one_of(
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.integers(0, 99).map(lambda n: f"https://example.org/things/{n}"),
    st.sampled_from(["did:example:123", "http://data.europa.eu/esco/skill/abc", "mailto:a@b.example"]),
)
numbers = st.one_of(
    st.integers(-(2**53), 2**53),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1.0, 42.0, 1e21, 1e22, 1.5, 0.1, 123456789.125, 2**53, -(2**53)]),
)
_ONE_IN_FIVE = st.sampled_from([False, False, False, False, True])
_ONE_IN_TEN = st.sampled_from([False] * 9 + [True])
# Values both implementations must refuse (drawn for one field per document, so most documents pass)
risky = st.one_of(
    st.text(st.sampled_from(["a", "\x00", "\x0b", "\x7f", "\x1f", "\x08"]), min_size=1, max_size=3),
    st.sampled_from([2**53 + 1, -(2**60), 10**20]),
    st.sampled_from(["relative/path", "not an iri", "https://example.org/with space", "_:b0"]).map(lambda i: {"id": i}),
    st.sampled_from(["", "en_GB", "toolonglanguage", "e n"]).map(lambda lang: {"@value": "x", "@language": lang}),
)
scalars = st.one_of(texts, numbers, st.booleans())


def _value_objects() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda v, lang: {"@value": v, "@language": lang}, texts, languages),
        st.builds(lambda v, t: {"@value": v, "@type": XSD + t}, texts, st.sampled_from(["date", "token"])),
        st.builds(lambda v: {"@value": v, "@type": XSD + "string"}, scalars),
        st.builds(lambda v: {"@value": v}, scalars),
        st.just({"@value": None}),
    )


def _leaf_values() -> st.SearchStrategy[Any]:
    return st.one_of(scalars, _value_objects(), st.builds(lambda i: {"id": i}, iris), st.none())


def _nodes(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(["colour", "size", "note", "part", "rank", "knows"])
    return st.builds(
        lambda props, ident, types: {
            **props,
            **({"id": ident} if ident is not None else {}),
            **({"type": types} if types else {}),
        },
        st.dictionaries(keys, children, max_size=4),
        st.none() | iris,
        st.lists(st.sampled_from(["Thing", "Widget", "ex:Other", f"{VOCAB}Full"]), max_size=2),
    )


values = st.recursive(
    _leaf_values(),
    lambda children: st.one_of(
        _nodes(children),
        st.lists(children, max_size=4),
        st.builds(lambda items: {"@list": items}, st.lists(children, max_size=3)),
        st.builds(lambda items: {"@set": items}, st.lists(children, max_size=3)),
    ),
    max_leaves=12,
)

INLINE_CONTEXT = {
    "ex": "https://ex.example/",
    "labels": {"@id": f"{VOCAB}labels", "@container": "@language"},
    "steps": {"@id": f"{VOCAB}steps", "@container": "@list"},
    "when": {"@id": f"{VOCAB}when", "@type": f"{XSD}dateTime"},
    "link": {"@id": f"{VOCAB}link", "@type": "@id"},
    "kind": {"@id": f"{VOCAB}kind", "@type": "@vocab"},
    "greeting": {"@id": f"{VOCAB}greeting", "@language": "en"},
}


@st.composite
def extension_credentials(draw: st.DrawFn) -> dict[str, Any]:
    """VCDM 2.0 credentials with @vocab (examples context) or an inline context and arbitrary content."""
    contexts: list[Any] = [V2, draw(st.sampled_from([EXAMPLES, {"@vocab": VOCAB}]))]
    if draw(st.booleans()):
        contexts.append(INLINE_CONTEXT)
    subject: dict[str, Any] = draw(_nodes(values))
    if INLINE_CONTEXT in contexts:
        subject["labels"] = draw(st.dictionaries(languages | st.just("@none"), texts | st.lists(texts), max_size=3))
        subject["steps"] = draw(st.lists(_leaf_values(), max_size=3))
        subject["when"] = draw(st.sampled_from(["2024-01-01T00:00:00Z", "not a date"]))
        subject["link"] = draw(iris)
        subject["kind"] = draw(st.sampled_from(["Thing", "ex:Kind", "https://k.example/x"]))
        subject["greeting"] = draw(texts)
    credential: dict[str, Any] = {
        "@context": contexts,
        "type": ["VerifiableCredential", *draw(st.lists(st.sampled_from(["ExampleCredential", "Other"])))],
        "issuer": draw(iris | st.builds(lambda i, n: {"id": i, "name": n}, iris, texts)),
        "validFrom": "2024-05-06T07:08:09Z",
        "credentialSubject": draw(st.lists(st.just(subject), min_size=1, max_size=1) | st.just(subject)),
    }
    if draw(st.booleans()):
        credential["id"] = draw(iris)
    if draw(_ONE_IN_FIVE):
        credential["risky"] = draw(risky)
    if draw(st.booleans()):
        credential["proof"] = {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-rdfc-2022",
            "created": "2024-05-06T07:08:09Z",
            "verificationMethod": "did:example:issuer#key-1",
            "proofPurpose": "assertionMethod",
            "proofValue": "z" + draw(st.text("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")),
        }
    return credential


@st.composite
def open_badges(draw: st.DrawFn) -> dict[str, Any]:
    """OB 3.0 credentials shaped like real ones, with generated content."""
    alignments = draw(
        st.lists(
            st.builds(
                lambda n, u, f: {"type": ["Alignment"], "targetName": n, "targetUrl": u, "targetFramework": f},
                texts,
                iris,
                st.sampled_from(["ESCO", "O*NET", ""]),
            ),
            max_size=5,
        )
    )
    achievement: dict[str, Any] = {
        "id": draw(iris),
        "type": draw(st.sampled_from([["Achievement"], "Achievement"])),
        "name": draw(texts),
        "description": draw(texts),
        "criteria": {"narrative": draw(texts)},
        "alignment": alignments,
        "creditsAvailable": draw(numbers),
        "tag": draw(st.lists(texts, max_size=3)),
    }
    identifier = {
        "type": "IdentityObject",
        "identityHash": draw(texts),
        "identityType": "emailAddress",
        "hashed": draw(st.booleans()),
        "salt": draw(texts),
    }
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "achievement": achievement,
        "identifier": draw(st.lists(st.just(identifier), min_size=1, max_size=2)),
    }
    if draw(st.booleans()):
        subject["id"] = draw(iris)
    credential: dict[str, Any] = {
        "@context": [V2, OB3],
        "id": draw(iris),
        "type": ["VerifiableCredential", draw(st.sampled_from(["OpenBadgeCredential", "AchievementCredential"]))],
        "issuer": {"id": draw(iris), "type": ["Profile"], "name": draw(texts)},
        "validFrom": "2024-05-06T07:08:09Z",
        "name": draw(texts),
        "credentialSubject": subject,
    }
    if draw(st.booleans()):
        credential["credentialStatus"] = [
            {
                "id": f"https://status.example/list#{index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(index),
                "statusListCredential": "https://status.example/list",
            }
            for index, purpose in enumerate(["revocation", "suspension"])
        ]
    if draw(_ONE_IN_TEN):
        credential["undefinedTerm"] = draw(scalars)
    if draw(_ONE_IN_FIVE):
        achievement["description"] = draw(risky)
    return credential


def _outcome(function: Any, document: dict[str, Any]) -> tuple[str, str]:
    try:
        return "ok", function(document)
    except CredentialError as exc:
        return "refused", type(exc).__name__


def _agree(document: dict[str, Any]) -> None:
    reference = _outcome(rdfc_reference, document)
    assert _outcome(rdfc, document) == reference
    fast = fast_quads(document, loader=DEFAULT_LOADER)
    if fast is not None:
        assert reference[0] == "ok", "the fast path accepted a document the reference refuses"
        assert canonicalize(fast) == reference[1]


@SETTINGS
@given(open_badges())
def test_open_badges_match_pyld(document: dict[str, Any]) -> None:
    _agree(document)


@SETTINGS
@given(extension_credentials())
@example(
    {
        "@context": [V2, EXAMPLES],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:1",
        "credentialSubject": {"part": [{}, {}, {"note": "x"}, {"note": "x"}]},
    }
)
def test_extension_credentials_match_pyld(document: dict[str, Any]) -> None:
    _agree(document)


def test_typical_open_badge_takes_the_fast_path() -> None:
    document = {
        "@context": [V2, OB3],
        "id": "urn:uuid:4d3b7c5e-2c1a-4a8e-9d4c-0f2e8b7a6c5d",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://issuer.example", "type": ["Profile"], "name": "Issuer"},
        "validFrom": "2024-05-06T07:08:09Z",
        "name": "Badge",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/a/1",
                "type": ["Achievement"],
                "name": "Achievement",
                "criteria": {"narrative": "Do it."},
                "creditsAvailable": 2.5,
            },
        },
    }
    fast = fast_quads(document, loader=DEFAULT_LOADER)
    assert fast is not None
    assert canonicalize(fast) == rdfc_reference(document)


# -- RDFC-1.0 on its own: random blank-node graphs, symmetric ones included ---------------------------

_PREDICATES = ["<https://p.example/a>", "<https://p.example/b>"]


@st.composite
def blank_graphs(draw: st.DrawFn) -> list[Quad]:
    count = draw(st.integers(1, 7))
    nodes = [f"_:n{i}" for i in range(count)]
    objects = st.sampled_from([*nodes, "<https://o.example/x>", '"lit"'])
    graphs = st.sampled_from(["", "", "<https://g.example/1>", *nodes[:2]])
    return draw(
        st.lists(
            st.tuples(st.sampled_from(nodes), st.sampled_from(_PREDICATES), objects, graphs),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )


def _pyld_dataset(quads: list[Quad]) -> dict[str, list[dict[str, Any]]]:
    def term(text: str) -> dict[str, Any]:
        if text.startswith("_:"):
            return {"type": "blank node", "value": text}
        if text.startswith("<"):
            return {"type": "IRI", "value": text[1:-1]}
        return {"type": "literal", "value": json.loads(text), "datatype": XSD + "string"}

    dataset: dict[str, list[dict[str, Any]]] = {}
    for s, p, o, g in quads:
        name = "@default" if not g else (g if g.startswith("_:") else g[1:-1])
        dataset.setdefault(name, []).append({"subject": term(s), "predicate": term(p), "object": term(o)})
    return dataset


def _pyld_canon(quads: list[Quad]) -> str:
    result: str = URDNA2015().main(_pyld_dataset(quads), {"format": "application/n-quads"})
    return result


def _relabel(quads: list[Quad], salt: int) -> list[Quad]:
    def term(text: str) -> str:
        return f"_:r{salt}x{text[2:]}" if text.startswith("_:") else text

    return [(term(s), p, term(o), term(g)) for s, p, o, g in quads]


@settings(max_examples=300, deadline=None)
@given(blank_graphs())
@example([("_:a", _PREDICATES[0], "_:b", ""), ("_:b", _PREDICATES[0], "_:c", ""), ("_:c", _PREDICATES[0], "_:a", "")])
@example([("_:a", _PREDICATES[0], "_:a", "_:a")])
def test_rdfc10_matches_pyld_urdna2015(quads: list[Quad]) -> None:
    expected = _pyld_canon(quads)
    ours = {canonicalize(quads), canonicalize(list(reversed(quads))), canonicalize(_relabel(quads, 7))}
    if ours != {expected}:
        # RDFC-1.0 leaves the labels open when blank nodes tie in every hash without being symmetric
        # (the N-degree hash does not record which quad a related node came from; only reachable with
        # explicit blank node identifiers); the answer then follows the input order. Such a dataset must
        # really be ambiguous: pyld itself must disagree with itself.
        answers = {_pyld_canon(_relabel(quads, salt)) for salt in range(12)}
        assume(len(answers) > 1)


def test_rdfc10_refuses_poison_graphs() -> None:
    # Many indistinguishable blank nodes: every permutation looks alike (a "poison" graph).
    nodes = [f"_:n{i}" for i in range(12)]
    quads = [(a, _PREDICATES[0], b, "") for a in nodes for b in nodes if a != b]
    with pytest.raises(CanonicalizationError, match="too entangled"):
        canonicalize(quads)
