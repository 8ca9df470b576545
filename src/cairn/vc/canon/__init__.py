"""Canonical forms: RDFC-1.0 (``rdfc10``) and JCS, with the entry points proofs use (``forms``)."""
