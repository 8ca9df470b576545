"""Benchmark SD-JWT VC issuance and verification (with a KB-JWT) beside Data Integrity eddsa-rdfc-2022, one core.

The credential is the demo catalogue's micro-credential (``bench/vc.py``), mapped to the EUDI Learning Credential
claims (:func:`cairn.formats.sdjwt_vc.learning_claims`), every claim selectively disclosable, signed ES256 with a
did:key. Prints one JSON line per figure, measured in the same run::

    {"bench": "sdjwt-issue"|"sdjwt-verify"|"di-issue"|"di-verify", "per_second": X, ...}

``sdjwt-issue`` is :func:`cairn.vc.sdjwt.issue_sd_jwt` plus the holder's KB-JWT; ``sdjwt-verify`` the whole
:func:`cairn.vc.intake.verify_any` report (signature, Disclosures, key binding, validity; no status list);
``di-*`` are :func:`cairn.vc.proofs.data_integrity.add_proof` / ``verify_proofs`` with eddsa-rdfc-2022. Run:
``.venv/bin/python bench/sdjwt.py [--seconds 2]``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from cairn.formats.sdjwt_vc import VCT, learning_claims
from cairn.vc.dids import did_key
from cairn.vc.intake import verify_any
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.data_integrity import add_proof, key_resolver, verify_proofs
from cairn.vc.sdjwt import add_key_binding, issue_sd_jwt
from timing import rate
from vc import micro_credential

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    seconds = parser.parse_args().seconds
    credential = micro_credential()
    issuer, holder = KeyPair.generate(KeyType.P256), KeyPair.generate(KeyType.P256)
    did = did_key(issuer.public)
    kid = f"{did}#{issuer.public.multibase}"
    claims = {"iss": did, "iat": int(NOW.timestamp()), "vct": VCT, "cnf": {"jwk": holder.public.to_jwk()}}
    claims.update(learning_claims(credential))

    def issue() -> str:
        sd_jwt = issue_sd_jwt(claims, key=issuer, kid=kid, array_elements={"learning_outcomes"}, decoys=3)
        return add_key_binding(sd_jwt, holder_key=holder, aud="https://v.example", nonce="n", iat=int(NOW.timestamp()))

    token = issue()
    report = verify_any(token, now=NOW, challenge="n", domain="https://v.example")
    assert report.verified, report.text()
    ed = KeyPair.generate(KeyType.ED25519)
    method = f"{did_key(ed.public)}#{ed.public.multibase}"
    di_credential = {**credential, "issuer": {**credential["issuer"], "id": did_key(ed.public)}}
    di_credential.pop("credentialStatus", None)
    signed = add_proof(di_credential, key=ed, verification_method=method, cryptosuite="eddsa-rdfc-2022", created=NOW)
    assert all(c.ok for c in verify_proofs(signed, resolve_key=key_resolver()))
    figures = {
        "sdjwt-issue": rate(issue, seconds),
        "sdjwt-verify": rate(lambda: verify_any(token, now=NOW, challenge="n", domain="https://v.example"), seconds),
        "di-issue": rate(
            lambda: add_proof(
                di_credential, key=ed, verification_method=method, cryptosuite="eddsa-rdfc-2022", created=NOW
            ),
            seconds,
        ),
        "di-verify": rate(lambda: verify_proofs(signed, resolve_key=key_resolver()), seconds),
    }
    for name, per_second in figures.items():
        line = {"bench": name, "per_second": round(per_second, 1), "bytes": len(token) if "sdjwt" in name else None}
        print(json.dumps(line))


if __name__ == "__main__":
    main()
