"""Issuing: organisations' keys and DIDs (``keys``), awards one at a time (``service``) or in bulk
(``bulk``, ``bulk_files``, ``credentials``), status lists (``status_lists``), award queries (``queries``) and
the VC-API issuer (``api``)."""
