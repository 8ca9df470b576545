"""An organisation's endorsement of an achievement as an Open Badges 3.0 ``EndorsementCredential``.

Pure (no database, no clock): :func:`endorsement_credential` builds the unsigned credential an organisation (an
employer, typically) signs to say it co-created or values a micro-credential, in terms of the VC 2.0 and OB 3.0.3
contexts only (no private context):

- ``type``: ``VerifiableCredential`` and ``EndorsementCredential``;
- ``issuer``: the endorsing organisation's OB 3.0 ``Profile``;
- ``credentialSubject``: an ``EndorsementSubject`` whose ``id`` is the endorsed achievement's id, and the
  endorser's words as its ``endorsementComment``, opened by what the relation says (co-created or valued), so the
  signed text keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from cairn.formats.ob3 import CONTEXTS

__all__ = ["CO_CREATED", "ENDORSEMENT_TYPES", "RELATIONS", "VALUES", "endorsement_credential"]

CO_CREATED: Final = "co-created"
VALUES: Final = "values"
RELATIONS: Final = (CO_CREATED, VALUES)
"""How the endorser relates to the achievement: it co-created it, or it values it."""
ENDORSEMENT_TYPES: Final = ("VerifiableCredential", "EndorsementCredential")

_SAYS: Final = {
    CO_CREATED: "{endorser} co-created {name}.",
    VALUES: "{endorser} values {name}.",
}


def _stamp(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def endorsement_credential(
    *,
    credential_id: str,
    issuer: Mapping[str, Any],
    achievement_id: str,
    achievement_name: str,
    relation: str,
    comment: str,
    issued: datetime,
) -> dict[str, Any]:
    """The unsigned endorsement (see the module's text). ``issuer``: the endorser's ``Profile`` (``id``,
    ``name``); ``achievement_id``: the endorsed achievement's id; ``issued``: an aware datetime."""
    if relation not in RELATIONS:
        raise ValueError(f"an endorsement's relation is one of {', '.join(RELATIONS)}")
    endorser = str(issuer.get("name") or issuer.get("id"))
    says = _SAYS[relation].format(endorser=endorser, name=achievement_name)
    text = f"{says} {comment.strip()}".strip()
    return {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": list(ENDORSEMENT_TYPES),
        "name": f"{endorser} endorses {achievement_name}",
        "issuer": dict(issuer),
        "validFrom": _stamp(issued),
        "awardedDate": _stamp(issued),
        "credentialSubject": {"id": achievement_id, "type": ["EndorsementSubject"], "endorsementComment": text},
    }
