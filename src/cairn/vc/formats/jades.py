"""JAdES (ETSI TS 119 182-1) signatures on European Digital Credentials: parse, verify, show the x5c chain.

A sealed EDC is a JWS, usually in the JSON serialization ``{"payload", "signatures": [{"protected",
"header", "signature"}]}``; the flattened form ``{"payload", "protected", "signature"}`` and the compact form
``header.payload.signature`` are read too. The protected header names ``alg`` (RS/PS/ES 256-512, EdDSA),
``x5c`` (the base64 DER chain, leaf first), and often ``b64: false`` (RFC 7797: the payload is the raw
credential JSON, not base64url), ``sigT`` (the claimed signing time), ``x5t#S256`` and ``kid``.

:func:`verify_jades` never raises for bad input: the :class:`JadesResult` says what failed. It checks

- the signature with the leaf certificate's public key (``cryptography``);
- each chain link: certificate *n* is signed by certificate *n+1* (and a self-signed last one by itself);
- certificate validity at the signing time: ``sigT`` when present (eIDAS practice: a seal is judged at the
  time it was made), otherwise at ``now``;
- trust: ``"trusted"`` when a certificate of the verified chain matches the caller's list (SHA-256
  fingerprints in hex, or subject DNs in RFC 4514 form), ``"unknown"`` otherwise.

Not checked (said so in the result): the timestamp tokens (``adoTst``, ``etsiU``/``sigTst``), revocation
(CRL/OCSP) and EU trusted lists. Nothing is fetched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtensionOID, NameOID

from cairn.errors import KeyFormatError
from cairn.vc.multibase import b64url_decode
from cairn.vc.values import parse_time

__all__ = ["MAX_JWS_LENGTH", "JadesResult", "check_x5c", "parse_jws", "verify_jades"]

MAX_JWS_LENGTH: Final = 5_000_000
"""Longest JWS (characters) read."""
_MAX_CERTS: Final = 10
_MAX_CERT_LENGTH: Final = 20_000
_MAX_HEADER_LENGTH: Final = 200_000  # JAdES headers carry timestamp tokens (adoTst)
_CLOCK_SKEW: Final = timedelta(minutes=5)

_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
_EC_CURVES: Final = {"ES256": ec.SECP256R1, "ES384": ec.SECP384R1, "ES512": ec.SECP521R1}
# Header parameters a critical list may name: they do not change what is signed, or Cairn handles them
# (b64). The timestamp tokens are read but not verified (the result says so).
_UNDERSTOOD: Final = frozenset(
    {"b64", "sigT", "adoTst", "x5t#o", "sigX5ts", "srCms", "srAts", "sigPl", "sigPId", "x5t#S256", "cty", "kid"}
)


@dataclass
class JadesResult:
    """What verifying one JAdES JWS found; ``payload`` is the signed content whenever it could be read."""

    form: str = "unknown"
    header: dict[str, Any] = field(default_factory=dict)
    payload: bytes | None = None
    readable: bool = False
    signature_ok: bool = False
    signature_reason: str = ""
    chain: list[dict[str, Any]] = field(default_factory=list)
    chain_ok: bool = False
    chain_reason: str = ""
    cert_time_ok: bool = False
    cert_time_reason: str = ""
    cert_expired_now: bool = False
    signing_time: datetime | None = None
    trust: str = "unknown"
    trust_reason: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def leaf(self) -> dict[str, Any] | None:
        """The signing certificate's description, if any."""
        return self.chain[0] if self.chain else None


# -- reading the JWS ---------------------------------------------------------------------------------------


def _b64url(value: str, what: str) -> bytes:
    try:
        return b64url_decode(value)
    except KeyFormatError:
        raise ValueError(f"the {what} is not base64url") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise ValueError(f"duplicate member {key!r}")
            out[key] = value
        return out

    try:
        value = json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"the {what} is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(value, dict):
        raise ValueError(f"the {what} is not a JSON object")
    return value


@dataclass(frozen=True)
class _Jws:
    form: str
    protected_b64: str
    header: dict[str, Any]
    unprotected: dict[str, Any]
    payload_text: str
    signature: bytes
    count: int


def _split(source: Mapping[str, Any] | str) -> tuple[str, str, str, dict[str, Any], str, int]:
    """(form, protected, payload as given, unprotected header, signature) of the first signature."""
    if isinstance(source, str):
        text = source.strip()
        if len(text) > MAX_JWS_LENGTH:
            raise ValueError("the JWS is too long")
        if text.startswith("{"):
            return _split(_json_object(text.encode("utf-8"), "JWS"))
        first, last = text.find("."), text.rfind(".")
        if first < 0 or first == last:
            raise ValueError("a compact JWS has three parts separated by dots")
        return "compact", text[:first], text[first + 1 : last], {}, text[last + 1 :], 1
    if "signatures" in source:
        signatures = source["signatures"]
        if not isinstance(signatures, list) or not signatures or not isinstance(signatures[0], Mapping):
            raise ValueError("signatures must be a non-empty list of objects")
        entry, form, count = signatures[0], "JSON serialization", len(signatures)
    else:
        entry, form, count = source, "flattened JSON serialization", 1
    protected, signature = entry.get("protected"), entry.get("signature")
    payload, header = source.get("payload"), entry.get("header", {})
    if not isinstance(protected, str) or not isinstance(signature, str):
        raise ValueError("the signature has no protected header or no signature value")
    if not isinstance(payload, str):
        raise ValueError("the JWS has no payload (a detached payload is not supported)")
    if not isinstance(header, Mapping):
        raise ValueError("the unprotected header is not an object")
    return form, protected, payload, dict(header), signature, count


def _read(source: Mapping[str, Any] | str) -> _Jws:
    form, protected, payload, unprotected, signature, count = _split(source)
    if len(protected) > _MAX_HEADER_LENGTH:
        raise ValueError("the protected header is too long")
    header = _json_object(_b64url(protected, "protected header"), "protected header")
    clash = set(header) & set(unprotected)
    if clash:
        raise ValueError(f"header parameter {sorted(clash)[0]!r} is both protected and unprotected")
    return _Jws(form, protected, header, unprotected, payload, _b64url(signature, "signature"), count)


def parse_jws(source: Mapping[str, Any] | str) -> tuple[dict[str, Any], bytes]:
    """The protected header and the payload bytes of a JWS (no verification); raises ValueError."""
    jws = _read(source)
    return jws.header, _payload_bytes(jws)


def _payload_bytes(jws: _Jws) -> bytes:
    if jws.header.get("b64", True) is False:
        return jws.payload_text.encode("utf-8")
    return _b64url(jws.payload_text, "payload")


# -- certificates --------------------------------------------------------------------------------------------


def _name(value: x509.Name) -> str:
    try:
        return value.rfc4514_string()
    except ValueError:
        return "(unreadable name)"


def _attribute(value: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = value.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def _key_usage(cert: x509.Certificate) -> list[str]:
    try:
        usage = cert.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    except x509.ExtensionNotFound:
        return []
    assert isinstance(usage, x509.KeyUsage)
    names = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
    ]
    out = [n for n in names if getattr(usage, n)]
    if usage.key_agreement:
        out += [n for n in ("encipher_only", "decipher_only") if getattr(usage, n)]
    return out


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
    except x509.ExtensionNotFound:
        return False
    assert isinstance(constraints, x509.BasicConstraints)
    return constraints.ca


def describe_certificate(cert: x509.Certificate, der: bytes) -> dict[str, Any]:
    """A certificate as data a page can show."""
    return {
        "subject": _name(cert.subject),
        "issuer": _name(cert.issuer),
        "organisation": _attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        "organisation_identifier": _attribute(cert.subject, NameOID.ORGANIZATION_IDENTIFIER),
        "country": _attribute(cert.subject, NameOID.COUNTRY_NAME),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "key_usage": _key_usage(cert),
        "ca": _is_ca(cert),
        "sha256": hashlib.sha256(der).hexdigest(),
        "link": "",
    }


def _load_chain(x5c: object) -> list[tuple[x509.Certificate, bytes]]:
    if not isinstance(x5c, list) or not x5c:
        raise ValueError("the header has no x5c certificate chain")
    if len(x5c) > _MAX_CERTS:
        raise ValueError(f"the x5c chain has more than {_MAX_CERTS} certificates")
    out = []
    for index, item in enumerate(x5c):
        if not isinstance(item, str) or len(item) > _MAX_CERT_LENGTH:
            raise ValueError(f"x5c[{index}] is not a base64 certificate")
        try:
            der = base64.b64decode(item, validate=True)
            out.append((x509.load_der_x509_certificate(der), der))
        except (binascii.Error, ValueError):
            raise ValueError(f"x5c[{index}] is not a DER X.509 certificate") from None
    return out


def _verify_signature(alg: str, key: object, signature: bytes, data: bytes) -> None:
    """Raise InvalidSignature or ValueError (algorithm/key mismatch)."""
    if alg == "EdDSA":
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise ValueError("alg EdDSA needs an Ed25519 certificate key")
        key.verify(signature, data)
        return
    family, bits = alg[:2], alg[2:]
    digest = _HASHES.get(bits)
    if digest is None or family not in ("RS", "PS", "ES"):
        raise ValueError(f"algorithm {alg[:20]!r} is not supported")
    if family in ("RS", "PS"):
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError(f"alg {alg} needs an RSA certificate key")
        if key.key_size < 2048:
            raise ValueError(f"the RSA key has only {key.key_size} bits")
        pad: padding.AsymmetricPadding = (
            padding.PKCS1v15() if family == "RS" else padding.PSS(padding.MGF1(digest()), padding.PSS.DIGEST_LENGTH)
        )
        key.verify(signature, data, pad, digest())
        return
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, _EC_CURVES[alg]):
        raise ValueError(f"alg {alg} needs an EC certificate key on the matching curve")
    half = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * half:
        raise InvalidSignature
    r, s = int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big")
    key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest()))


def _normalise_dn(value: str) -> str:
    return ",".join(part.strip().lower() for part in value.split(","))


def _matches(entry: Mapping[str, Any], trusted: Collection[str]) -> bool:
    for item in trusted:
        text = item.strip()
        hexed = text.replace(":", "").lower()
        if re.fullmatch(r"[0-9a-f]{64}", hexed):
            if hexed == entry["sha256"]:
                return True
        elif text and _normalise_dn(text) == _normalise_dn(entry["subject"]):
            return True
    return False


# -- verification -------------------------------------------------------------------------------------------


def verify_jades(source: Mapping[str, Any] | str, *, now: datetime, trusted: Collection[str] = ()) -> JadesResult:
    """Verify a JAdES JWS (see the module's text); never raises for bad input."""
    result = JadesResult()
    now = as_utc(now)
    try:
        jws = _read(source)
        result.form, result.header = jws.form, jws.header
        result.payload = _payload_bytes(jws)
    except ValueError as exc:
        result.signature_reason = str(exc)
        return result
    result.readable = True
    if jws.count > 1:
        result.notes.append(f"only the first of {jws.count} signatures is checked")
    header = jws.header
    try:
        _check_header(header)
        certs = _load_chain(header.get("x5c"))
    except ValueError as exc:
        result.signature_reason = str(exc)
        return result
    result.chain = [describe_certificate(cert, der) for cert, der in certs]
    leaf, leaf_der = certs[0]
    thumb = header.get("x5t#S256")
    if thumb is not None and thumb != base64.urlsafe_b64encode(hashlib.sha256(leaf_der).digest()).rstrip(b"=").decode():
        result.signature_reason = "x5t#S256 does not match the signing certificate"
        return result
    alg = str(header["alg"])
    data = jws.protected_b64.encode("ascii") + b"." + jws.payload_text.encode("utf-8")
    try:
        _verify_signature(alg, leaf.public_key(), jws.signature, data)
    except InvalidSignature:
        result.signature_reason = "the signature does not match the credential and the signing certificate's key"
    except (ValueError, TypeError) as exc:
        result.signature_reason = str(exc) or "the signature cannot be checked"
    else:
        result.signature_ok = True
        holder = result.chain[0]["organisation"] or result.chain[0]["subject"]
        result.signature_reason = f"{alg} JAdES seal valid, made with the certificate of {holder}"
    _check_chain(result, certs)
    _check_times(result, certs, header, now)
    _check_trust(result, trusted)
    if "adoTst" in header or "etsiU" in jws.unprotected:
        result.notes.append("the timestamp tokens in the signature are not checked")
    return result


def check_x5c(x5c: object, *, now: datetime, trusted: Collection[str] = ()) -> tuple[JadesResult, x509.Certificate]:
    """The ``x5c`` chain of a JWS that is not a JAdES seal (an SD-JWT VC's), checked as a seal's is: each link,
    each certificate valid ``now``, and whether a certificate reached through verified links is one of
    ``trusted``. Returns the result (``signature_ok`` set: the caller checks that the leaf's key is the one that
    verified the signature) and the signing certificate. ValueError for an unreadable chain."""
    certs = _load_chain(x5c)
    result = JadesResult(form="x5c", readable=True, signature_ok=True)
    result.chain = [describe_certificate(cert, der) for cert, der in certs]
    _check_chain(result, certs)
    _check_times(result, certs, {}, as_utc(now))
    _check_trust(result, trusted)
    return result, certs[0][0]


def _check_header(header: Mapping[str, Any]) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise ValueError("the protected header names no alg")
    if alg == "none" or alg.startswith("HS"):
        raise ValueError(f"alg {alg!r} is not a signature algorithm")
    b64 = header.get("b64", True)
    if not isinstance(b64, bool):
        raise ValueError("b64 must be true or false")
    crit = header.get("crit", [])
    if not isinstance(crit, list) or not all(isinstance(c, str) for c in crit):
        raise ValueError("crit must be a list of header names")
    unknown = [c for c in crit if c not in _UNDERSTOOD]
    if unknown:
        raise ValueError(f"the signature requires header {unknown[0][:40]!r}, which Cairn does not support")
    if b64 is False and "b64" not in crit:
        raise ValueError("b64: false must be listed in crit (RFC 7797)")
    if "sigD" in header:
        raise ValueError("detached JAdES signatures (sigD) are not supported")


def _check_chain(result: JadesResult, certs: list[tuple[x509.Certificate, bytes]]) -> None:
    problems: list[str] = []
    for index, (cert, _der) in enumerate(certs):
        entry = result.chain[index]
        if index + 1 < len(certs):
            parent = certs[index + 1][0]
            try:
                cert.verify_directly_issued_by(parent)
                entry["link"] = "signed by the next certificate"
            except (ValueError, TypeError, InvalidSignature) as exc:
                entry["link"] = "NOT signed by the next certificate"
                problems.append(f"certificate {index + 1} is not signed by certificate {index + 2} ({exc or 'bad'})")
            if not _is_ca(parent):
                problems.append(f"certificate {index + 2} signs another one but is not a CA certificate")
        elif cert.issuer == cert.subject:
            try:
                cert.verify_directly_issued_by(cert)
                entry["link"] = "self-signed (root)"
            except (ValueError, TypeError, InvalidSignature):
                entry["link"] = "self-signed, but the self-signature is bad"
                problems.append(f"certificate {index + 1} claims to be self-signed but its signature is bad")
        else:
            entry["link"] = "issuer certificate not included"
    usage = result.chain[0]["key_usage"]
    if usage and not ({"digital_signature", "content_commitment"} & set(usage)):
        problems.append("the signing certificate may not be used for signatures (key usage)")
    result.chain_ok = not problems
    if problems:
        result.chain_reason = "; ".join(problems)
    elif len(certs) == 1:
        result.chain_reason = "the x5c chain holds only the signing certificate (issued by " + (
            result.chain[0]["issuer"] + ")"
        )
    else:
        result.chain_reason = f"each of the {len(certs)} certificates is signed by the next"


def _check_times(
    result: JadesResult, certs: list[tuple[x509.Certificate, bytes]], header: Mapping[str, Any], now: datetime
) -> None:
    sig_t = parse_time(header.get("sigT")) if "sigT" in header else None
    if "sigT" in header and sig_t is None:
        result.cert_time_reason = "sigT is not a date-time with a time zone"
        return
    if sig_t is not None and sig_t > now + _CLOCK_SKEW:
        result.cert_time_reason = f"the claimed signing time {sig_t.isoformat()} is in the future"
        return
    result.signing_time = sig_t
    at = sig_t or now
    when = f"at the claimed signing time {at.isoformat()} (sigT)" if sig_t else f"now ({at.isoformat()})"
    for index, (cert, _der) in enumerate(certs):
        start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
        if not start <= at <= end:
            state = "not yet valid" if at < start else "expired"
            result.cert_time_reason = (
                f"certificate {index + 1} was {state} {when}: valid {start.date()} to {end.date()}"
            )
            return
    result.cert_time_ok = True
    leaf_end = certs[0][0].not_valid_after_utc
    result.cert_expired_now = any(cert.not_valid_after_utc < now for cert, _ in certs)
    if sig_t is not None and result.cert_expired_now:
        result.cert_time_reason = (
            f"the certificates were valid {when}; the signing certificate has since expired "
            f"({leaf_end.date()}), which does not undo a seal made while it was valid"
        )
    else:
        result.cert_time_reason = f"the certificates are valid {when}"


def _check_trust(result: JadesResult, trusted: Collection[str]) -> None:
    # Only certificates reached through verified links count: leaf, then each parent while links hold.
    reachable: list[dict[str, Any]] = []
    for entry in result.chain:
        reachable.append(entry)
        if not entry["link"].startswith("signed by"):
            break
    if trusted and result.signature_ok:
        for entry in reachable:
            if _matches(entry, trusted):
                result.trust = "trusted"
                result.trust_reason = f"the chain reaches the trusted certificate {entry['subject']}"
                return
    result.trust = "unknown"
    top = result.chain[-1]["issuer"] if result.chain else "(none)"
    result.trust_reason = (
        f"trust unknown: no configured trusted certificate matches this chain (it ends at {top}); "
        "EU trusted lists are not consulted"
    )


def as_utc(value: datetime) -> datetime:
    """``value`` with UTC when it has no time zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
