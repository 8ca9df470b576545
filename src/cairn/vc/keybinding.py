"""Whose key signed: the ``issuer-key`` check of a verification report.

A credential may carry several proofs (a proof set, or a chain through ``previousProof``) by different keys: the
issuer's and, for example, a witness's or a notary's. Each proof verifies on its own, as Data Integrity says; the
credential speaks for its issuer only when at least one verified proof is by a key of the issuer. The others are
named, and speak only for their signers.

A key belongs to the issuer when the verification method's URL without its fragment is the issuer's identifier
(``did:web:x#key-1`` belongs to ``did:web:x``). A key that is not under the issuer's identifier fails for a DID
issuer (its DID document is the authority on its keys) and when it is under another web address (that address's
key: someone else signed); a key of no address (a did:key) warns for an issuer identified by a URL or anything
else, whose own documents are not read to confirm it: the signature holds, but who issued it is not established.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cairn.phrases import Phrase
from cairn.vc.proofs.suites import controller_of
from cairn.vc.report import Outcome

__all__ = ["issuer_key"]


def issuer_key(
    issuer: str, methods: Sequence[str], verified: Sequence[str], unconfirmed: Mapping[str, str] | None = None
) -> tuple[Outcome, str]:
    """The outcome and reason of the ``issuer-key`` check for a credential of ``issuer``.

    ``methods`` are the verification methods every proof names; ``verified`` those of the proofs that verified
    (when none did, the proof check fails already and the keys named are judged all the same). ``unconfirmed``
    maps the methods whose key was read from the method itself (a 1EdTech ``#<multikey>`` fragment), because the
    issuer's own documents could not be read, to why: such a key proves who signed, not that the issuer did."""
    if not methods:
        return Outcome.FAIL, Phrase("no verification method names the signing key")
    judged = list(verified) or list(methods)
    own = [m for m in judged if controller_of(m) == issuer]
    others = list(dict.fromkeys(m for m in judged if controller_of(m) != issuer))
    unconfirmed = unconfirmed or {}
    if own and all(m in unconfirmed for m in own):
        method = own[0]
        return Outcome.WARNING, Phrase(
            "the key is read from the verification method itself (%(method)s); the issuer's own "
            "documents did not confirm it is the issuer's: %(why)s",
            method=method[:160],
            why=unconfirmed[method][:200],
        )
    if own:
        if others:
            named = ", ".join(o[:120] for o in others[:3]) + (", ..." if len(others) > 3 else "")
            more = (
                Phrase("another proof, by %(other)s, verifies but speaks only for its signer", other=others[0][:200])
                if len(others) == 1
                else Phrase(
                    "%(n)s other proofs, by %(others)s, verify but speak only for their signers",
                    n=str(len(others)),
                    others=named,
                )
            )
            return Outcome.PASS, Phrase(
                "the signing key is controlled by the issuer %(issuer)s; %(more)s", issuer=issuer, more=more
            )
        return Outcome.PASS, Phrase("the signing key is controlled by the issuer %(issuer)s", issuer=issuer)
    if issuer.startswith("did:") or controller_of(others[0]).startswith(("https:", "http:")):
        # A DID's document is the authority on its keys; a key under another web address is that address's.
        return Outcome.FAIL, Phrase(
            "the key %(key)s is not one of the issuer's (%(issuer)s): someone else signed it",
            key=others[0][:200],
            issuer=issuer,
        )
    if issuer.startswith(("https:", "http:")):
        return Outcome.WARNING, Phrase(
            "the key %(key)s is not under the issuer's address %(issuer)s, and nothing read confirms "
            "it is the issuer's: it is not established who issued this",
            key=others[0][:200],
            issuer=issuer[:200],
        )
    return Outcome.WARNING, Phrase(
        "the issuer id %(issuer)s cannot control keys, so the key %(key)s cannot be tied to it",
        issuer=issuer[:80],
        key=others[0][:120],
    )
