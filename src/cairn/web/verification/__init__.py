"""Verification pages and APIs: ``/verify`` (``page``, ``views``), ``/verify/batch`` (``batch``) and the
VC-API with DID documents and status lists (``vcapi``)."""
