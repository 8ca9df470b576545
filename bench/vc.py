"""Benchmark Data Integrity proofs on a realistic Open Badges 3.0 micro-credential, one core.

The credential is built by ``cairn.formats.ob3.build_credential`` from the demo catalogue (every Annex I
element, ESCO alignments). For each cryptosuite it prints one JSON line per operation::

    {"bench": "issue"|"verify", "suite": ..., "per_second": X, "raw_per_second": Y, "quads": N}

``issue`` is :func:`cairn.vc.proofs.data_integrity.add_proof` (or :func:`cairn.vc.proofs.jose.sign_vc_jwt` for
``jwt``); ``verify`` is :func:`cairn.vc.proofs.data_integrity.verify_proofs` with a did:key resolver (or
:func:`cairn.vc.proofs.jose.verify_vc_jwt`);
``verify_report`` is the whole :func:`cairn.vc.verification.verify` (well-formedness, the OB 3.0 schema,
proof, issuer key, validity, status). ``--memory N`` issues N credentials and prints the resident memory
before and after (it must stay flat). ``raw_per_second`` is the bare Ed25519 or P-256 sign (issue) or
verify (verify) rate of a 64-byte message, measured beside it; each figure is the best of three interleaved rounds (the
machine may be shared). Run: ``.venv/bin/python bench/vc.py [--seconds 2] [--memory 100000]``.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc.canon.forms import rdfc
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.data_integrity import add_proof, key_resolver, verify_proofs
from cairn.vc.proofs.jose import kid_resolver, sign_vc_jwt, verify_vc_jwt
from cairn.vc.verification import verify as verify_report
from timing import rate

CATALOG = Path(__file__).resolve().parents[1] / "examples" / "catalog"
DEFINITION = "um-python-data-analysis"
SUITES = ("jwt", "eddsa-jcs-2022", "eddsa-rdfc-2022", "ecdsa-jcs-2019", "ecdsa-rdfc-2019")
ROUNDS = 3


def micro_credential() -> dict[str, Any]:
    """The demo catalogue's Python data-analysis micro-credential as an unsigned OpenBadgeCredential."""
    files, _ = read_files([CATALOG])
    catalog, problems = build_catalog(files)
    if problems:
        raise SystemExit(f"the demo catalogue has problems: {problems[:3]}")
    definition = catalog.definitions[DEFINITION]
    organisations = [catalog.organisations[body] for body in definition.awarding_bodies]
    return build_credential(
        definition=definition,
        version=3,
        organisations=organisations,
        issuer_ids={o.id: f"did:web:cairn.example:orgs:{o.id}" for o in organisations},
        award=Award(
            definition_id=definition.id,
            version=3,
            recipient=Recipient(name="Anna Nowak", email="anna.nowak@example.org"),
            issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
            grade="4.5",
        ),
        credential_id="urn:uuid:2f1b8e0c-1d9e-4a51-9f0a-6f6f4b1c9a11",
        achievement_id=f"https://cairn.example/micro-credentials/{definition.id}/versions/3",
        salt="s4lt",
        skill_labels={"http://data.europa.eu/esco/skill/598de5b0-5b58-4ea7-8058-a4bc4d18c742": "SQL"},
    )


def main() -> None:
    """Run every benchmark and print one JSON line each."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--suite", action="append", choices=SUITES, help="only these suites (repeatable)")
    parser.add_argument("--memory", type=int, default=0, metavar="N", help="also issue N credentials, printing RSS")
    args = parser.parse_args()
    credential = micro_credential()
    quads = rdfc(credential).count("\n")
    keys = {
        KeyType.ED25519: KeyPair.from_secret(KeyType.ED25519, bytes(range(32))),
        KeyType.P256: KeyPair.from_secret(KeyType.P256, bytes(range(1, 33))),
    }
    message = bytes(range(64))
    resolve = key_resolver()
    created = "2026-05-04T09:30:00Z"
    for suite in args.suite or SUITES:
        kind = KeyType.ED25519 if suite.startswith("eddsa") else KeyType.P256
        key = keys[kind]
        method = f"{did_key(key.public)}#{key.public.multibase}"

        unsigned = dict(credential, issuer=dict(credential["issuer"], id=did_key(key.public)))
        issue: Callable[[], Any]
        verify: Callable[[], bool]
        if suite == "jwt":
            jwt_resolve = kid_resolver()

            def issue(key: KeyPair = key, method: str = method, unsigned: dict[str, Any] = unsigned) -> str:
                return sign_vc_jwt(unsigned, key=key, kid=method)

            token = issue()

            def verify(token: str = token, jwt_resolve: Any = jwt_resolve) -> bool:
                return verify_vc_jwt(token, resolve_key=jwt_resolve).ok

        else:

            def issue(
                key: KeyPair = key, method: str = method, suite: str = suite, unsigned: dict[str, Any] = unsigned
            ) -> dict[str, Any]:
                return add_proof(unsigned, key=key, verification_method=method, cryptosuite=suite, created=created)

            signed = issue()
            checks = verify_proofs(signed, resolve_key=resolve)
            if not all(check.ok for check in checks):
                raise SystemExit(f"{suite}: the signed credential does not verify: {checks}")

            def verify(signed: dict[str, Any] = signed) -> bool:
                return all(check.ok for check in verify_proofs(signed, resolve_key=resolve))

        secured = issue()
        when = datetime(2026, 6, 1, tzinfo=UTC)
        if not verify_report(secured, now=when).verified:
            raise SystemExit(f"{suite}: the whole verify does not pass")

        def whole(secured: Any = secured, when: datetime = when) -> bool:
            return verify_report(secured, now=when).verified

        raw_sign = functools.partial(key.sign, message)
        raw_verify = functools.partial(key.public.verify, key.sign(message), message)
        for bench, function, raw in (("issue", issue, raw_sign), ("verify", verify, raw_verify)):
            # best of a few interleaved rounds: the raw rate is taken beside the measured one
            rounds = [
                (rate(function, args.seconds / ROUNDS), rate(raw, args.seconds / ROUNDS / 2)) for _ in range(ROUNDS)
            ]
            line = {
                "bench": bench,
                "suite": suite,
                "per_second": round(max(r[0] for r in rounds), 1),
                "raw_per_second": round(max(r[1] for r in rounds), 1),
                "quads": quads,
            }
            print(json.dumps(line), flush=True)
        line = {"bench": "verify_report", "suite": suite, "per_second": round(rate(whole, args.seconds / ROUNDS), 1)}
        print(json.dumps(line), flush=True)
    if args.memory:
        memory(credential, keys[KeyType.ED25519], args.memory)


def rss_mb() -> float:
    """Resident memory of this process, in MB (Linux /proc)."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 1e6, 1)


def memory(credential: dict[str, Any], key: KeyPair, count: int) -> None:
    """Issue ``count`` credentials with eddsa-rdfc-2022 (fresh ids) and print memory before and after."""
    method = f"{did_key(key.public)}#{key.public.multibase}"
    unsigned = dict(credential, issuer=dict(credential["issuer"], id=did_key(key.public)))
    add_proof(
        unsigned, key=key, verification_method=method, cryptosuite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z"
    )
    start = rss_mb()
    begun = time.perf_counter()
    for i in range(count):
        doc = dict(unsigned, id=f"urn:uuid:00000000-0000-4000-8000-{i:012d}")
        add_proof(
            doc, key=key, verification_method=method, cryptosuite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z"
        )
        if i == count // 2:
            middle = rss_mb()
    line = {
        "bench": "memory",
        "suite": "eddsa-rdfc-2022",
        "issuances": count,
        "rss_start_mb": start,
        "rss_middle_mb": middle,
        "rss_end_mb": rss_mb(),
        "per_second": round(count / (time.perf_counter() - begun), 1),
    }
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
