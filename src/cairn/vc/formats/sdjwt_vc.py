"""Verify an SD-JWT VC (``dc+sd-jwt``) into the one :class:`~cairn.vc.report.Report` every format gives.

Checks: ``readable`` (a compact SD-JWT), ``proof`` (the issuer's signature and every Disclosure,
:func:`cairn.vc.sdjwt.verify_sd_jwt`), ``well-formed`` (``vct`` and ``iss``), ``issuer-key`` (the ``kid`` is a key
of ``iss``: a DID URL under the issuer's DID, resolved like any other key, through the caller's fetcher; an
``x5c`` chain is checked against the operator's trusted seal certificates, ``trusted``, as JAdES seals are, and a
header with ``x5c`` and no ``kid`` is verified with its signing certificate's key, confirmed only by such trust),
``validity`` (``exp``/``nbf``), ``key-binding`` (the KB-JWT: signed by ``cnf.jwk``, ``sd_hash``, fresh ``iat``,
and the ``aud``/``nonce`` the caller asked for as ``domain``/``challenge``) and ``status`` (the IETF Token Status
List the ``status`` claim names, fetched through the same fetcher, its token signed by a key of the issuer,
failing closed like every status check; INVALID reads as revoked, SUSPENDED as suspended, and VALID on a list of
two or more bits an entry as neither). The report's ``credential`` is the disclosed claims as JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from cairn.errors import CredentialError, OfflineError
from cairn.phrases import Phrase
from cairn.vc.fetch import Fetcher
from cairn.vc.formats.jades import check_x5c
from cairn.vc.issuer_keys import KeySources
from cairn.vc.keybinding import issuer_key
from cairn.vc.keys import KeyType, PublicKey, RsaPublicKey
from cairn.vc.proofs.jose import JwsKey
from cairn.vc.proofs.suites import controller_of
from cairn.vc.report import Outcome, Report
from cairn.vc.sdjwt import looks_like_sd_jwt, split_sd_jwt, verify_sd_jwt
from cairn.vc.token_status import STATUS_NAMES, read_reference, status_at, verify_status_list_token

__all__ = ["FORMAT", "looks_like_sd_jwt_vc", "verify_sd_jwt_vc"]

FORMAT: Final = "sd-jwt-vc"
MAX_STATUS_TOKEN_BYTES: Final = 4 * 1024 * 1024


def looks_like_sd_jwt_vc(source: Mapping[str, Any] | str) -> bool:
    """Whether ``source`` is text shaped like a compact SD-JWT (a JWS, then ``~``)."""
    return isinstance(source, str) and looks_like_sd_jwt(source)


def verify_sd_jwt_vc(
    source: Mapping[str, Any] | str,
    *,
    now: datetime,
    fetcher: Fetcher | None,
    challenge: str | None = None,
    domain: str | None = None,
    trusted: Collection[str] = (),
    **_: Any,
) -> Report:
    """The report on an SD-JWT VC (never raises). ``challenge``/``domain``: the KB-JWT's expected nonce/aud."""
    report = Report(FORMAT)
    if not isinstance(source, str):
        report.add("readable", Outcome.FAIL, "an SD-JWT VC is text")
        return report
    try:
        _jwt, encoded, kb = split_sd_jwt(source)
    except CredentialError as exc:
        report.add("readable", Outcome.FAIL, exc.message)
        return report
    try:
        return _verify(report, source, len(encoded), kb is not None, now, fetcher, challenge, domain, trusted)
    except Exception as exc:  # a report, never an exception, whatever the input
        report.add("readable", Outcome.FAIL, f"the SD-JWT could not be processed ({type(exc).__name__})")
        return report


def _verify(
    report: Report,
    source: str,
    count: int,
    has_kb: bool,
    now: datetime,
    fetcher: Fetcher | None,
    challenge: str | None,
    domain: str | None,
    trusted: Collection[str],
) -> Report:
    keys = KeySources(fetcher)
    used: dict[str, Any] = {}
    result = verify_sd_jwt(
        source,
        resolve_key=_x5c_or(keys.credential_jwt_resolver("assertionMethod", used), used, now),
        now=now,
        aud=domain,
        nonce=challenge,
    )
    if has_kb:
        said = Phrase("an SD-JWT VC with %(n)s disclosures and a key binding JWT", n=str(count))
    else:
        said = Phrase("an SD-JWT VC with %(n)s disclosures", n=str(count))
    report.add("readable", Outcome.PASS, said)
    if not result.ok or result.claims is None:
        report.add("proof", Outcome.FAIL, result.reason or "the SD-JWT does not verify")
        return report
    claims = result.claims
    _describe(report, claims)
    alg = str((result.header or {}).get("alg"))[:20]
    report.add(
        "proof",
        Outcome.PASS,
        Phrase(
            "the issuer's signature (%(alg)s) is valid, and each of the %(n)s disclosures matches a digest it signed",
            alg=alg,
            n=str(count),
        ),
    )
    issuer = claims.get("iss")
    vct = claims.get("vct")
    if not isinstance(vct, str) or not vct:
        report.add("well-formed", Outcome.FAIL, "an SD-JWT VC names its type in a vct claim; this one has none")
    elif not isinstance(issuer, str) or not issuer:
        report.add("well-formed", Outcome.FAIL, "the SD-JWT VC names no issuer (iss)")
    else:
        report.add("well-formed", Outcome.PASS, Phrase("an SD-JWT VC of type %(vct)s", vct=vct[:200]))
    if isinstance(issuer, str) and issuer and "x5c" not in used:
        _issuer_key(report, keys, issuer, used, result.key)
    x5c = (result.header or {}).get("x5c")
    if x5c is not None:
        named = issuer if isinstance(issuer, str) else None
        _certificate(report, x5c, result.key, now, trusted, relied_on="x5c" in used, issuer=named)
    _validity(report, claims, result.time_problem)
    _key_binding(report, result.key_binding.present, result.key_binding.ok, result.key_binding.reason, claims)
    _status(report, claims, issuer if isinstance(issuer, str) else None, now, fetcher, keys)
    return report


def _describe(report: Report, claims: dict[str, Any]) -> None:
    report.credential = claims
    issuer = claims.get("iss")
    if isinstance(issuer, str):
        report.issuer = {"id": issuer}
        if isinstance(claims.get("issuing_authority"), str):
            report.issuer["name"] = claims["issuing_authority"]
    if isinstance(claims.get("sub"), str):
        report.subject["id"] = claims["sub"]
    names = [claims.get(k) for k in ("given_name", "family_name")]
    if any(isinstance(n, str) for n in names):
        report.subject["name"] = " ".join(n for n in names if isinstance(n, str))
    for source, target in (("achievement_title", "name"), ("achievement_description", "description")):
        if isinstance(claims.get(source), str):
            report.achievement[target] = claims[source]


def _issuer_key(report: Report, keys: KeySources, issuer: str, used: Mapping[str, Any], key: JwsKey | None) -> None:
    if "kid" in used:
        outcome, reason = issuer_key(issuer, [used["kid"]], [used["kid"]], keys.unconfirmed)
    elif "jwk" in used and key is not None:
        outcome, reason = keys.jwk_binding(issuer, key)
    else:
        outcome, reason = Outcome.WARNING, "the SD-JWT names no key, so the key cannot be tied to the issuer"
    report.add("issuer-key", outcome, reason, undetermined=outcome is Outcome.WARNING)


def _x5c_or(
    resolve: Callable[[Mapping[str, Any]], JwsKey], used: dict[str, Any], now: datetime
) -> Callable[[Mapping[str, Any]], JwsKey]:
    """The key of a header that names neither ``kid`` nor ``jwk`` but carries ``x5c``: its signing
    certificate's (noted as ``used["x5c"]``; :func:`_certificate` then decides whether anything vouches for it).
    Any other header: ``resolve`` (the DID path)."""

    def resolver(header: Mapping[str, Any]) -> JwsKey:
        if "kid" in header or "jwk" in header or "x5c" not in header:
            return resolve(header)
        try:
            _, leaf = check_x5c(header["x5c"], now=now)
        except ValueError as exc:
            raise CredentialError(f"the x5c certificate chain cannot be read: {exc}") from None
        used["x5c"] = True
        return _jws_key(leaf.public_key())

    return resolver


def _jws_key(public: object) -> JwsKey:
    if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1 | ec.SECP384R1):
        kind = KeyType.P256 if isinstance(public.curve, ec.SECP256R1) else KeyType.P384
        return PublicKey(kind, public.public_bytes(Encoding.X962, PublicFormat.CompressedPoint))
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return RsaPublicKey(numbers.n, numbers.e)
    raise CredentialError("the x5c signing certificate's key is not one Cairn verifies JWTs with")


def _certificate(
    report: Report,
    x5c: object,
    key: JwsKey | None,
    now: datetime,
    trusted: Collection[str],
    *,
    relied_on: bool,
    issuer: str | None,
) -> None:
    """The ``x5c`` chain, checked as a seal's (links, validity now, a trusted certificate reached), never
    believed for being there: it confirms the issuer's key only when it reaches one of ``trusted``. Beside a
    ``kid`` (``relied_on`` False) the DID path has already judged the key, and a chain nothing vouches for is
    only shown (``report.issuer``); a broken chain, or one that does not certify the signing key, fails. Relied on
    alone, a trusted chain confirms an ``iss`` only when the certificate names it (a URI SAN): otherwise anyone
    with a trusted certificate could claim another issuer's DID."""
    try:
        chain, leaf = check_x5c(x5c, now=now, trusted=trusted)
        leaf_key = _jws_key(leaf.public_key())
    except (ValueError, CredentialError) as exc:
        report.add("issuer-key", Outcome.FAIL, f"the x5c certificate chain cannot be used: {str(exc)[:200]}")
        return
    report.issuer["certificate_chain"] = chain.chain
    report.issuer["trust"] = chain.trust
    holder = chain.chain[0]["organisation"] or chain.chain[0]["subject"]
    if key is None or leaf_key != key:
        report.add("issuer-key", Outcome.FAIL, "the x5c signing certificate is not for the key that signed")
    elif not chain.chain_ok or not chain.cert_time_ok:
        reasons = [r for ok, r in ((chain.chain_ok, chain.chain_reason), (chain.cert_time_ok, chain.cert_time_reason))]
        report.add("issuer-key", Outcome.FAIL, "; ".join(r for r in reasons if r))
    elif chain.trust == "trusted" and relied_on and issuer is not None and issuer not in _uris(leaf):
        reason = f"the certificate of {holder} (x5c) is trusted but does not name the issuer {issuer[:200]}"
        report.add("issuer-key", Outcome.WARNING, reason, undetermined=True)
    elif chain.trust == "trusted":
        reason = f"the key is certified by the certificate of {holder} (x5c): {chain.trust_reason}"
        report.add("issuer-key", Outcome.PASS, reason)
    elif relied_on:
        reason = f"the key comes from the certificate of {holder} (x5c) alone: {chain.trust_reason}"
        report.add("issuer-key", Outcome.WARNING, reason, undetermined=True)
    else:
        report.issuer["trust_reason"] = chain.trust_reason


def _uris(cert: x509.Certificate) -> list[str]:
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(uri) for uri in names.get_values_for_type(x509.UniformResourceIdentifier)]


def _validity(report: Report, claims: Mapping[str, Any], problem: str | None) -> None:
    exp = claims.get("exp")
    if problem:
        report.add("validity", Outcome.FAIL, problem)
    elif isinstance(exp, int | float) and not isinstance(exp, bool):
        date = datetime.fromtimestamp(exp, UTC).isoformat()
        report.add("validity", Outcome.PASS, Phrase("valid until %(date)s", date=date))
    else:
        report.add("validity", Outcome.PASS, Phrase("valid with no end date"))


def _key_binding(report: Report, present: bool, ok: bool, reason: str, claims: Mapping[str, Any]) -> None:
    if ok:
        report.add("key-binding", Outcome.PASS, Phrase("the holder proved it holds the key the issuer bound"))
    elif present:
        report.add("key-binding", Outcome.FAIL, reason)
    elif "cnf" in claims:
        report.add(
            "key-binding",
            Outcome.WARNING,
            Phrase("no key binding JWT: whoever holds this copy could present it"),
        )
    else:
        report.add("key-binding", Outcome.SKIPPED, Phrase("the credential binds no holder key"))


def _offline(report: Report, uri: str) -> None:
    reason = Phrase("not checked: the status list %(url)s was not fetched (offline)", url=uri[:200])
    report.add("status", Outcome.WARNING, reason)


def _status(
    report: Report,
    claims: Mapping[str, Any],
    issuer: str | None,
    now: datetime,
    fetcher: Fetcher | None,
    keys: KeySources,
) -> None:
    try:
        reference = read_reference(claims)
    except CredentialError as exc:
        _unconfirmed(report, exc.message)
        return
    if reference is None:
        report.add("status", Outcome.SKIPPED, Phrase("the issuer gives no way to revoke or suspend this credential"))
        return
    idx, uri = reference
    if fetcher is None:
        _offline(report, uri)
        return
    try:
        response = fetcher.fetch(uri)
        if len(response.content) > MAX_STATUS_TOKEN_BYTES:
            raise CredentialError("the Status List Token is too large")
        token = response.content.decode("ascii", errors="replace").strip()

        def resolve(header: Mapping[str, Any]) -> JwsKey:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise CredentialError("the Status List Token names no key (kid)")
            if issuer is None or controller_of(kid) != issuer:
                raise CredentialError("the Status List Token is signed by a key the issuer does not control")
            found: JwsKey = keys.resolve_key(kid, "assertionMethod")
            return found

        status = verify_status_list_token(token, uri=uri, resolve_key=resolve, now=now)
        value = status_at(status, idx)
    except OfflineError:
        _offline(report, uri)
        return
    except CredentialError as exc:
        _unconfirmed(report, exc.message)
        return
    if value == 0:
        report.add("status", Outcome.PASS, Phrase("not revoked"))
        if status.bits > 1:  # a list with room for SUSPENDED says that too (Cairn's own: .../combined/N/token)
            report.add("status", Outcome.PASS, Phrase("not suspended"))
    elif value == 1:
        report.add("status", Outcome.FAIL, Phrase("the issuer has revoked this credential"))
    elif value == 2:
        report.add("status", Outcome.FAIL, Phrase("the issuer has suspended this credential"))
    else:
        name = STATUS_NAMES.get(value, hex(value))
        report.add("status", Outcome.WARNING, Phrase("the issuer's status is %(value)s", value=name))


def _unconfirmed(report: Report, why: str) -> None:
    reason = Phrase("cannot confirm it has not been revoked: %(why)s", why=why)
    report.add("status", Outcome.FAIL, reason, undetermined=True)
