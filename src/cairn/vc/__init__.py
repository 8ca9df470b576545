"""cairn.vc: Verifiable Credentials on their own, usable without the rest of Cairn.

    from cairn.vc import issue, verify
    signed = issue(credential, key=KeyPair.generate(), suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z")
    report = verify(signed, now=datetime.now(UTC))
    report.verified, report.verdict, report.to_dict()

    # selective disclosure: the issuer signs with ecdsa-sd-2023, the holder shows a part
    base = issue(credential, key=KeyPair.generate(KeyType.P256), suite="ecdsa-sd-2023", created=...)
    shown = derive(base, selective_pointers=["/credentialSubject/achievement/name"])

Pure: no database, no clock of its own (``created`` and ``now`` are passed in), and no network unless the
caller passes a fetcher. JSON-LD contexts are bundled and loaded offline. Modules: ``documents``
(contexts), ``canon`` (RDFC-1.0, JCS), ``keys``, ``dids``, ``proofs`` (Data Integrity), ``jose`` (VC-JWT),
``presentations``, ``status`` (Bitstring Status List), ``fetch`` (guarded HTTPS), ``issuance``,
``verification`` and ``report``.
"""

from cairn.vc.issuance import SUITES, issue
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.proofs.ecdsa_sd import derive
from cairn.vc.report import Check, Outcome, Report
from cairn.vc.verification import verify

__all__ = ["SUITES", "Check", "KeyPair", "KeyType", "Outcome", "PublicKey", "Report", "derive", "issue", "verify"]
