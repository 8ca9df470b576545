"""Benchmark the format side of composite credentials (issue #15): 10 components from the demo catalogue (four
issuers, each a did:key), the composite OB 3.0 credential naming them, and a CLR 2.0 credential carrying all 11.

Prints one JSON line per operation, ``ms`` the mean time of one call (one core)::

    {"bench": "composite", "op": ..., "components": 10, "ms": X}

``digest``: :func:`cairn.formats.composite.component_digest` of one component; ``parts``:
:func:`~cairn.formats.composite.composite_parts` of the 10 held credentials; ``read_and_match``:
:func:`~cairn.formats.composite.read_composite` and :func:`~cairn.formats.composite.match_components` against the
10 held; ``verify_composite``: :func:`cairn.vc.verify` of the composite; ``verify_clr``: :func:`cairn.vc.verify` of
the CLR (its proof and each of the 11 credentials inside, the contexts and schema checks warm);
``read_clr``: :func:`cairn.formats.clr.read_clr` of it; ``clr_check``: ``read_clr`` and matching the composite's
digests against the bundle's components (hashed once, in ``read_clr``). The issue's goal (a composite of 10
components verified in under 50 ms, warm) is for the whole check, about ``verify_clr`` plus ``clr_check`` (the
pathway's rules are evaluated apart).
Run: ``.venv/bin/python bench/composite.py [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cairn.formats.clr import clr_credential, read_clr
from cairn.formats.composite import (
    component_digest,
    composite_parts,
    match_components,
    read_composite,
    with_composite,
)
from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc import issue, verify
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from timing import rate

CATALOG = Path(__file__).resolve().parents[1] / "examples" / "catalog"
HOLDER = "did:example:learner"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PATHWAY = {
    "pathway_id": "demo-pathway",
    "pathway_version": 1,
    "pathway_url": "https://cairn.example/pathways/demo-pathway/versions/1",
    "pathway_title": "Demo pathway",
}


def _signed(credential: dict[str, Any], key: KeyPair) -> dict[str, Any]:
    signed = issue(credential, key=key, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z")
    assert isinstance(signed, dict)
    return signed


def stack() -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The 10 signed components, the signed composite and the signed CLR."""
    files, _ = read_files([CATALOG])
    catalog, problems = build_catalog(files)
    if problems:
        raise SystemExit(f"the demo catalogue has problems: {problems[:3]}")
    keys: dict[str, KeyPair] = {}

    def award(definition_id: str, number: int) -> tuple[dict[str, Any], KeyPair]:
        definition = catalog.definitions[definition_id]
        org = catalog.organisations[definition.awarding_bodies[0]]
        key = keys.setdefault(org.id, KeyPair.from_secret(KeyType.ED25519, bytes([len(keys) + 1]) * 32))
        credential = build_credential(
            definition=definition,
            version=1,
            organisations=[org],
            issuer_ids={org.id: did_key(key.public)},
            award=Award(
                definition_id=definition.id,
                version=1,
                recipient=Recipient(did=HOLDER, name="Anna Nowak"),
                issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
            ),
            credential_id=f"urn:uuid:0b6c2f4e-0000-4000-8000-{number:012d}",
            achievement_id=f"https://cairn.example/micro-credentials/{definition.id}/versions/1",
            salt="s4lt",
        )
        return credential, key

    definitions = sorted(catalog.definitions)
    components = [_signed(*award(d, i)) for i, d in enumerate(definitions, 1)]
    target, key = award(definitions[0], 100)
    composite = _signed(with_composite(target, composite_parts(components, **PATHWAY)), key)
    clr = clr_credential(
        issuer=composite["issuer"],
        holder_id=HOLDER,
        name="Demo pathway",
        components=components,
        composite=composite,
        valid_from="2026-06-01T00:00:00Z",
        id="urn:uuid:0b6c2f4e-0000-4000-8000-999999999999",
    )
    return components, composite, _signed(clr, key)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    components, composite, clr = stack()
    assert verify(clr, now=NOW).verified

    def read_and_match() -> None:
        ref = read_composite(composite)
        assert ref is not None
        assert match_components(ref, components).complete

    def clr_check() -> None:
        bundle = read_clr(clr)
        assert bundle is not None
        assert bundle.composite_ref is not None
        assert match_components(bundle.composite_ref, bundle.components).complete

    operations: dict[str, Callable[[], object]] = {
        "digest": lambda: component_digest(components[0]),
        "parts": lambda: composite_parts(components, **PATHWAY),
        "read_and_match": read_and_match,
        "verify_composite": lambda: verify(composite, now=NOW),
        "verify_clr": lambda: verify(clr, now=NOW),
        "read_clr": lambda: read_clr(clr),
        "clr_check": clr_check,
    }
    for name, operation in operations.items():
        per_second = rate(operation, args.seconds, batch=1)
        line = {"bench": "composite", "op": name, "components": len(components), "ms": round(1000 / per_second, 3)}
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
