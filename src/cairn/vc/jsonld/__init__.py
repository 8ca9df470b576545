"""JSON-LD: the bundled contexts and the offline document loader (``documents``), context processing
(``context``), the fast expander proven identical to pyld (``fast``) and the safety checks (``safe``)."""
