"""Which key signed a credential, and whether the issuer's own documents say it is the issuer's.

:class:`KeySources` resolves the keys of what an issuer signs (credentials and their status lists) for
:func:`cairn.vc.verify`. Besides the usual routes (did:key offline; did:web and HTTPS documents through the
fetcher) it reads two forms in which the credential carries its own key:

- the 1EdTech convention ``ISSUER-URL#<publicKeyMultibase>``, where the issuer URL serves no document listing
  the key: the key from the fragment checks the signature, and :attr:`KeySources.unconfirmed` remembers why the
  issuer's documents did not confirm it;
- a JWT's ``jwk`` header: :meth:`KeySources.jwk_binding` asks the issuer's documents whether they list it.

Such a key proves who signed, not that the signer is the issuer: the verifier reports it as a warning on
``issuer-key`` (a fail when the issuer's documents were read and list other keys), and the trust check never
vouches for an issuer on that basis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cairn.errors import CredentialError, FetchError
from cairn.vc.dids import (
    UnreadDocumentError,
    fragment_key,
    key_in_documents,
    resolve_jws_key,
    resolve_verification_method,
)
from cairn.vc.fetch import Fetcher
from cairn.vc.keys import PublicKey
from cairn.vc.proofs.jose import JwsKey, header_jwk
from cairn.vc.report import Outcome

__all__ = ["KeySources"]

_UNREAD = (FetchError, UnreadDocumentError)
_RESOLVED_KEPT = 32
"""Keys one verification remembers having resolved (a presentation of many credentials resolves the rest again)."""


class KeySources:
    """Key resolution for one verification: ``override(verification_method, purpose)`` replaces it entirely
    (callers that hold keys themselves); otherwise keys resolve through ``fetcher``."""

    def __init__(self, fetcher: Fetcher | None, override: Callable[[str, str], PublicKey] | None = None) -> None:
        self.fetcher = fetcher
        self.override = override
        self.unconfirmed: dict[str, str] = {}
        """Verification methods whose key was read from the method itself because the issuer's own documents
        could not be read: why they could not."""
        self._resolved: dict[tuple[str, str], PublicKey] = {}

    def resolve_key(self, verification_method: str, purpose: str) -> PublicKey:
        """The key a verification method names (no fallback: presentations and holders use this). Within one
        verification a method resolved once is not resolved again (a credential's proof and its status lists'
        proofs name the same key; the documents read are those of this verification anyway)."""
        if self.override is not None:
            return self.override(verification_method, purpose)
        found = self._resolved.get((verification_method, purpose))
        if found is None:
            found = resolve_verification_method(verification_method, fetcher=self.fetcher, purpose=purpose)
            if len(self._resolved) < _RESOLVED_KEPT:
                self._resolved[(verification_method, purpose)] = found
        return found

    def issuer_key(self, verification_method: str, purpose: str) -> PublicKey:
        """:meth:`resolve_key`, or the key of a 1EdTech ``#<publicKeyMultibase>`` fragment when the issuer's
        documents cannot be read (noted in :attr:`unconfirmed`)."""
        key: PublicKey = self._or_fragment(verification_method, purpose, self.resolve_key)
        return key

    def _jws_key(self, verification_method: str, purpose: str) -> JwsKey:
        if self.override is not None:
            return self.override(verification_method, purpose)
        return resolve_jws_key(verification_method, fetcher=self.fetcher, purpose=purpose)

    def _or_fragment(self, verification_method: str, purpose: str, resolve: Callable[[str, str], Any]) -> Any:
        try:
            return resolve(verification_method, purpose)
        except _UNREAD as exc:
            key = fragment_key(verification_method) if self.override is None else None
            if key is None:
                raise
            self.unconfirmed[verification_method] = exc.message
            return key

    def credential_jwt_resolver(self, purpose: str, used: dict[str, Any]) -> Callable[[Mapping[str, Any]], JwsKey]:
        """The key of a credential JWT: the one its ``kid`` names (noted as ``used["kid"]``), else its ``jwk``
        header (``used["jwk"]``), which :meth:`jwk_binding` must then tie to the issuer. A header with both must
        name the same key."""

        def resolve(header: Mapping[str, Any]) -> JwsKey:
            kid, jwk = header.get("kid"), header_jwk(header)
            if isinstance(kid, str) and (jwk is None or kid.startswith(("did:", "https://"))):
                used["kid"] = kid  # named, even if it cannot be resolved: the report says whose key it claims
                try:
                    key: JwsKey = self._or_fragment(kid, purpose, self._jws_key)
                except _UNREAD:
                    if jwk is None:
                        raise
                    del used["kid"]
                else:
                    if jwk is not None and jwk != key:
                        raise CredentialError("the jwk header is not the key that its kid names")
                    return key
            if jwk is None:
                raise CredentialError("the header names no key (neither kid nor jwk)")
            used["jwk"] = jwk
            return jwk

        return resolve

    def jwk_binding(self, issuer: str, key: JwsKey) -> tuple[Outcome, str]:
        """Whether the issuer's own documents list the key of a JWT's ``jwk`` header: pass when they do, fail
        when they were read and do not, a warning when they could not be read."""
        try:
            method = key_in_documents(issuer, key, fetcher=self.fetcher, purpose="assertionMethod")
        except _UNREAD as exc:
            return Outcome.WARNING, (
                "the key comes from the token's own jwk header; the issuer's own documents did not confirm it is "
                f"the issuer's: {exc.message[:200]}"
            )
        except CredentialError as exc:
            return Outcome.FAIL, f"the token's jwk header key is not the issuer's: {exc.message[:200]}"
        return Outcome.PASS, f"the issuer's own document lists the jwk header key as {method}"
