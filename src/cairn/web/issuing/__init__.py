"""An organisation's awards: list, award, revoke and verify (``awards``, ``forms``) and bulk awards
(``bulk``)."""
