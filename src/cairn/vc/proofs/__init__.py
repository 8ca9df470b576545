"""Proofs: Data Integrity cryptosuites (eddsa-rdfc-2022, eddsa-jcs-2022, ecdsa-rdfc-2019, ecdsa-jcs-2019,
Ed25519Signature2020) in ``data_integrity`` and ``suites``, and JOSE / VC-JWT in ``jose``."""
