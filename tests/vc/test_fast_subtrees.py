"""The fast JSON-LD path remembers the quads of large objects (cairn.vc.jsonld.fast._Expander.subtree): whatever it
remembers, each document still canonicalises exactly as pyld's reference path does, the first time and again."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cairn.vc.canon.forms import fast_quads, rdfc, rdfc_reference
from cairn.vc.jsonld.context import root_for
from cairn.vc.jsonld.documents import DEFAULT_LOADER
from cairn.vc.jsonld.fast import SUBTREE_MAX_BYTES, SUBTREE_MIN_KEYS

CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"]


def big(value: Any, *, node_id: str | None = "https://example.org/thing") -> dict[str, Any]:
    """An object with enough entries to be remembered; ``value`` in one of them."""
    node: dict[str, Any] = {f"p{i}": f"text {i}" for i in range(SUBTREE_MIN_KEYS)}
    node["value"] = value
    if node_id is not None:
        node["id"] = node_id
    return node


def document(subject: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": ["VerifiableCredential"],
        "issuer": "did:example:issuer",
        "credentialSubject": {"id": "did:example:subject", "thing": subject, **extra},
    }


def same_as_reference(doc: dict[str, Any]) -> str:
    canonical = rdfc(doc)
    assert canonical == rdfc_reference(doc)
    return canonical


@pytest.mark.parametrize("value", [1, 1.0, True, "1", 2.5, [1, 2]], ids=repr)
def test_values_that_json_tells_apart_are_never_confused(value: Any) -> None:
    first = same_as_reference(document(big(value)))
    assert same_as_reference(document(big(value))) == first  # remembered now
    others = {same_as_reference(document(big(other))) for other in (1, 1.0, True, "1", 2.5) if other != value}
    assert first not in others


def test_a_remembered_subtree_is_right_beside_different_surroundings() -> None:
    for n in range(3):
        same_as_reference(document(big("x"), note=f"note {n}"))
    # the subtree's node is described outside it too: pyld's duplicate detection still applies
    twice = document(big("x"), also={"id": "https://example.org/thing", "p0": "text 0", "extra": "y"})
    canonical = same_as_reference(twice)
    assert canonical.count("<https://example.org/thing> <https://www.w3.org/ns/credentials/examples#p0>") == 1


def test_subtrees_with_blank_nodes_nulls_or_lists_stay_right() -> None:
    for subtree in (
        big({"nested": "a blank node"}),
        big("x", node_id=None),
        big(None),
        big({"@list": ["a", "b"]}),
    ):
        first = same_as_reference(document(copy.deepcopy(subtree)))
        assert same_as_reference(document(copy.deepcopy(subtree))) == first
        assert fast_quads(document(subtree), loader=DEFAULT_LOADER) is not None


def test_the_memory_is_bounded() -> None:
    memo = root_for(DEFAULT_LOADER).subtrees
    for n in range(300):
        same_as_reference(document(big(f"value {n}")))
    assert len(memo) <= 128
    huge = document(big("x" * SUBTREE_MAX_BYTES))
    before = set(memo)
    same_as_reference(huge)
    assert all(len(key[-1]) <= SUBTREE_MAX_BYTES for key in set(memo) - before)
