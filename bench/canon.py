"""Benchmark RDFC-1.0 canonicalisation: pyld against Cairn's fast path, for OB 3.0 micro-credentials.

Prints JSON lines::

    {"bench": "canon", "impl": "pyld"|"cairn", "quads": N, "per_second": X}
    {"bench": "issue", "impl": "pyld"|"cairn", "quads": N, "per_second": X}

"canon" canonicalises the credential; "issue" is a whole eddsa-rdfc-2022 proof: canonicalise the
credential and the proof configuration, SHA-256 both, Ed25519-sign the concatenated hashes (one core).
Run: ``.venv/bin/python bench/canon.py [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cairn.vc.canon.forms import fast_quads, rdfc, rdfc_reference
from cairn.vc.jsonld.documents import DEFAULT_LOADER
from timing import rate

V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
ESCO = "http://data.europa.eu/esco/skill/"


def micro_credential(alignments: int = 5, statuses: int = 2) -> dict[str, Any]:
    """A realistic OB 3.0 micro-credential (VCDM 2.0 + OB 3.0.3) with ESCO-aligned learning outcomes."""
    space = uuid.UUID("6f1c3a52-7a4e-4d59-9a3e-1b7c2f0d9e11")
    issuer = "https://university.example/issuers/42"
    return {
        "@context": [V2, OB3],
        "id": f"urn:uuid:{uuid.uuid5(space, 'credential')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Data Analysis with Python (micro-credential)",
        "description": "Awarded for completing the 5 ECTS module \u201cData Analysis with Python\u201d.",
        "issuer": {
            "id": issuer,
            "type": ["Profile"],
            "name": "Universit\u00e9 d'Exemple",
            "url": "https://university.example",
            "email": "credentials@university.example",
        },
        "validFrom": "2025-06-30T12:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": "sha256$" + hashlib.sha256(b"learnersalt" + b"learner@example.org").hexdigest(),
                    "identityType": "emailAddress",
                    "hashed": True,
                    "salt": "learnersalt",
                }
            ],
            "achievement": {
                "id": f"{issuer}/achievements/data-analysis-python",
                "type": ["Achievement"],
                "achievementType": "MicroCredential",
                "name": "Data Analysis with Python",
                "description": "Clean, explore and visualise data sets with pandas and matplotlib.",
                "criteria": {
                    "narrative": "Pass the final project (60%) and the written exam (40%) with at least 50%.\n"
                    "Assessment is supervised and identity-checked."
                },
                "creditsAvailable": 5,
                "fieldOfStudy": "Information and Communication Technologies",
                "inLanguage": "en",
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": f"learning outcome {n}",
                        "targetUrl": f"{ESCO}{uuid.uuid5(space, f'skill-{n}')}",
                        "targetFramework": "ESCO",
                        "targetType": "ext:ESCOSkill",
                        "targetCode": str(uuid.uuid5(space, f"skill-{n}")),
                    }
                    for n in range(alignments)
                ],
            },
        },
        "credentialStatus": [
            {
                "id": f"https://university.example/status/1#{1000 + n}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(1000 + n),
                "statusListCredential": f"https://university.example/status/{purpose}/1",
            }
            for n, purpose in zip(range(statuses), ["revocation", "suspension"], strict=False)
        ],
    }


def proof_configuration() -> dict[str, Any]:
    """An eddsa-rdfc-2022 proof configuration (with the credential's @context)."""
    return {
        "@context": [V2, OB3],
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2025-06-30T12:00:00Z",
        "verificationMethod": "https://university.example/issuers/42#key-1",
        "proofPurpose": "assertionMethod",
    }


def main() -> None:
    """Run every benchmark and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    args = parser.parse_args()
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    config = proof_configuration()
    implementations: dict[str, Callable[[dict[str, Any]], str]] = {"pyld": rdfc_reference, "cairn": rdfc}
    for alignments in (0, 3, 5, 20):
        credential = micro_credential(alignments)
        assert rdfc(credential) == rdfc_reference(credential)
        assert fast_quads(credential, loader=DEFAULT_LOADER) is not None
        quads = rdfc(credential).count("\n")
        for impl, canon in implementations.items():

            def canon_only(
                canon: Callable[[dict[str, Any]], str] = canon, credential: dict[str, Any] = credential
            ) -> str:
                return canon(credential)

            def issue(canon: Callable[[dict[str, Any]], str] = canon, credential: dict[str, Any] = credential) -> bytes:
                proof_hash = hashlib.sha256(canon(config).encode("utf-8")).digest()
                document_hash = hashlib.sha256(canon(credential).encode("utf-8")).digest()
                return key.sign(proof_hash + document_hash)

            for bench, function in (("canon", canon_only), ("issue", issue)):
                per_second = rate(function, args.seconds, batch=20)
                line = {"bench": bench, "impl": impl, "quads": quads, "per_second": round(per_second, 1)}
                print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
