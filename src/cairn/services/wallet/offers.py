"""Reading a credential offer and the issuer's metadata (OpenID4VCI 1.0, draft 13 understood), for the wallet.

Pure parsing and checking over an :class:`Outbound` client: what :mod:`cairn.services.wallet.receiving` shows a
learner before they accept an offer, and the endpoints it then calls.

The rule for where a wallet may be sent (server-side request forgery): ``credential_issuer`` is an ``https`` URL
without query or fragment; the credential, nonce, deferred and notification endpoints are on its origin (scheme, host,
port); the token endpoint is on the origin of the authorisation server, which is the issuer itself or one the
issuer's metadata lists in ``authorization_servers`` (and whose own metadata says it is that server). Every
request goes through the outbound client, which refuses non-public addresses, caps sizes and times out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from urllib.parse import parse_qs, urlsplit

from cairn.errors import CairnError, FetchError, InputError
from cairn.vc.fetch import Response, loads_json

__all__ = [
    "FORMATS",
    "MAX_ANSWER",
    "MAX_CREDENTIAL_ANSWER",
    "MAX_METADATA",
    "MAX_OFFER",
    "PRE_AUTHORIZED_GRANT",
    "Offer",
    "OfferedConfiguration",
    "Outbound",
    "TxCode",
    "clean_text",
    "credentials_of",
    "get",
    "oauth_error",
    "parse_json",
    "read_offer",
]

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
FORMATS: Final = ("jwt_vc_json", "ldp_vc", "dc+sd-jwt", "vc+sd-jwt")
"""Formats the wallet receives (``vc+sd-jwt`` is draft 13's name of ``dc+sd-jwt``)."""
MAX_LINK: Final = 16_384
"""Longest offer link or pasted offer read (characters)."""
MAX_OFFER: Final = 65_536
"""Largest offer fetched by reference (bytes)."""
MAX_METADATA: Final = 262_144
"""Largest issuer or authorisation server metadata (bytes)."""
MAX_ANSWER: Final = 65_536
"""Largest token, nonce, error or notification answer (bytes)."""
MAX_CREDENTIAL_ANSWER: Final = 2_097_152
"""Largest credential answer (bytes)."""
MAX_CONFIGURATIONS: Final = 20
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


class Outbound(Protocol):
    """The limited HTTP client (:class:`~cairn.vc.fetch.HttpsFetcher`, or a test's): GET with a size limit, and a
    POST that answers any status with its body."""

    def fetch_with(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response: ...

    def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response: ...


def clean_text(value: object, limit: int = 200) -> str:
    """Text from an issuer, safe to show: control and direction characters dropped, spaces joined, truncated."""
    text = " ".join(_CONTROL.sub("", str(value)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_json(content: bytes | str, what: str) -> Any:
    """Strict JSON (:func:`~cairn.vc.fetch.loads_json`); an InputError naming ``what`` when it is not."""
    try:
        return loads_json(content, what=what)
    except CairnError as exc:
        raise InputError(exc.message) from None


@dataclass(frozen=True, slots=True)
class TxCode:
    """The transaction code the issuer asks for (never stored): its description, length and input mode."""

    description: str | None
    length: int | None
    numeric: bool


@dataclass(frozen=True, slots=True)
class OfferedConfiguration:
    """One credential configuration of the offer: its id, display name (self-declared) and format."""

    id: str
    name: str
    format: str
    supported: bool
    raw: Mapping[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Offer:
    """What a learner sees before accepting, and what accepting needs. ``link`` is the text the offer was read
    from (the page carries it to the accept step); ``issuer_name`` is the issuer's own word for itself."""

    link: str
    credential_issuer: str
    issuer_name: str | None
    configurations: tuple[OfferedConfiguration, ...]
    tx_code: TxCode | None
    pre_authorized_code: str = field(repr=False)
    token_endpoint: str
    credential_endpoint: str
    nonce_endpoint: str | None
    notification_endpoint: str | None
    deferred_endpoint: str | None
    """``deferred_credential_endpoint``: where a deferred transaction is asked after (on the issuer's origin)."""
    draft13: bool
    """The metadata reads as draft 13 (no nonce endpoint, configurations without ``credential_metadata``)."""
    metadata: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def issuer_host(self) -> str:
        """The issuer's host name, the one thing about it that is not self-declared."""
        return urlsplit(self.credential_issuer).hostname or ""


# -- the offer link ---------------------------------------------------------------------------------------------


def _https(url: object, what: str, allow_http: bool = False) -> str:
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise InputError("the offer's %(what)s is not a web address", what=what)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise InputError("the offer's %(what)s is not a web address", what=what) from None
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname or parts.username or parts.password:
        raise InputError("the offer's %(what)s must be an https address", what=what)
    return url


def _query(text: str) -> dict[str, list[str]]:
    if text.startswith("{"):
        return {"credential_offer": [text]}
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme not in ("openid-credential-offer", "haip", "https"):
        raise InputError("paste the offer link the issuer gave you: it starts with openid-credential-offer://")
    return parse_qs(urlsplit(text).query, keep_blank_values=False, max_num_fields=10)


def _offer_document(outbound: Outbound, text: str, allow_http: bool) -> dict[str, Any]:
    text = text.strip()
    if not text:
        raise InputError("paste the offer link the issuer gave you")
    if len(text) > MAX_LINK:
        raise InputError("the offer link is longer than %(n)s characters", n=str(MAX_LINK))
    try:
        query = _query(text)
    except ValueError:
        raise InputError("the offer link cannot be read") from None
    by_value, by_reference = query.get("credential_offer"), query.get("credential_offer_uri")
    if bool(by_value) == bool(by_reference):
        raise InputError("the link holds no credential offer: it needs credential_offer or credential_offer_uri")
    if by_value:
        document = parse_json(by_value[0], "credential offer")
    else:
        uri = _https(by_reference[0] if by_reference else None, "credential_offer_uri", allow_http)
        document = parse_json(get(outbound, uri, MAX_OFFER, "credential offer").content, "credential offer")
    if not isinstance(document, dict):
        raise InputError("the credential offer is not a JSON object")
    return document


def get(outbound: Outbound, url: str, limit: int, what: str, **headers: str) -> Response:
    """GET ``url`` through the outbound client; a refusal or failure is an InputError naming ``what``."""
    try:
        return outbound.fetch_with(url, headers=headers or None, max_bytes=limit)
    except FetchError as exc:
        raise InputError("the %(what)s could not be fetched: %(why)s", what=what, why=clean_text(exc.message)) from None


# -- the metadata ----------------------------------------------------------------------------------------------


def _well_known(base: str, name: str) -> list[str]:
    """``https://host/.well-known/NAME/path`` (OpenID4VCI 1.0, RFC 8414), then draft 13's ``base/.well-known/NAME``
    when the identifier has a path."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    first = f"{parts.scheme}://{parts.netloc}/.well-known/{name}{path}"
    return [first] if not path else [first, f"{base.rstrip('/')}/.well-known/{name}"]


def _metadata(outbound: Outbound, base: str, names: Sequence[str], what: str) -> dict[str, Any]:
    last: InputError | None = None
    for name in names:
        for url in _well_known(base, name):
            try:
                document = parse_json(get(outbound, url, MAX_METADATA, what).content, what)
            except InputError as exc:
                last = exc
                continue
            if isinstance(document, dict):
                return document
            last = InputError("the %(what)s is not a JSON object", what=what)
    assert last is not None
    raise last


def _origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)


def _endpoint(
    metadata: Mapping[str, Any], name: str, base: str, *, required: bool, allow_http: bool = False
) -> str | None:
    value = metadata.get(name)
    if value is None and not required:
        return None
    url = _https(value, name, allow_http)
    if _origin(url) != _origin(base):
        raise InputError(
            "the issuer's %(name)s is on another host (%(host)s) than the issuer: refused",
            name=name,
            host=clean_text(urlsplit(url).hostname or "", 100),
        )
    return url


def _display(entries: object, lang: str) -> str | None:
    if not isinstance(entries, list):
        return None
    named = [e for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str) and e["name"].strip()]
    for wanted in (lang, "en", None):
        for entry in named:
            locale = str(entry.get("locale") or "").lower()
            if wanted is None or locale == wanted or locale.startswith(f"{wanted}-"):
                return clean_text(entry["name"])
    return None


def _configuration(config_id: str, raw: object, lang: str) -> OfferedConfiguration:
    if not isinstance(raw, dict):
        return OfferedConfiguration(config_id, clean_text(config_id), "?", False, {})
    fmt = clean_text(raw.get("format") or "?", 40)
    inner = raw.get("credential_metadata")
    name = _display(inner.get("display") if isinstance(inner, dict) else None, lang)
    name = name or _display(raw.get("display"), lang)
    return OfferedConfiguration(config_id, name or clean_text(config_id), fmt, fmt in FORMATS, raw)


def _tx_code(grant: Mapping[str, Any]) -> TxCode | None:
    raw = grant.get("tx_code")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError("the offer's tx_code is not an object")
    length = raw.get("length")
    description = raw.get("description")
    return TxCode(
        clean_text(description, 300) if isinstance(description, str) and description.strip() else None,
        length if isinstance(length, int) and not isinstance(length, bool) and 0 < length <= 64 else None,
        raw.get("input_mode", "numeric") == "numeric",
    )


def read_offer(outbound: Outbound, text: str, *, lang: str = "en", allow_http: bool = False) -> Offer:
    """Read an offer link (or the offer JSON) and the issuer's and authorisation server's metadata; refuse
    what this wallet cannot accept or must not call (see the module's rule). Raises InputError with the reason.
    ``allow_http``: plain http addresses too (``CAIRN_FETCH_ALLOW_PRIVATE``: development and tests only)."""
    document = _offer_document(outbound, text, allow_http)
    issuer = _https(document.get("credential_issuer"), "credential_issuer", allow_http)
    if urlsplit(issuer).query or urlsplit(issuer).fragment:
        raise InputError("the offer's credential_issuer must not have a query or fragment")
    ids = document.get("credential_configuration_ids")
    if not isinstance(ids, list) or not ids or len(ids) > MAX_CONFIGURATIONS:
        raise InputError("the offer names no credential configurations (or too many)")
    if not all(isinstance(i, str) and 0 < len(i) <= 200 for i in ids):
        raise InputError("the offer's credential configuration ids are not text")
    grants = document.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, dict) else None
    if not isinstance(grant, dict):
        raise InputError(
            "this offer asks you to sign in at the issuer (the authorization code flow), which Cairn's wallet does "
            "not do yet: only offers with a pre-authorised code can be received"
        )
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not code or len(code) > 4096:
        raise InputError("the offer's pre-authorised code is missing")
    metadata = _metadata(outbound, issuer, ["openid-credential-issuer"], "issuer metadata")
    if str(metadata.get("credential_issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise InputError("the issuer's metadata names another credential issuer than the offer: refused")
    servers = metadata.get("authorization_servers")
    listed = [s for s in servers if isinstance(s, str)] if isinstance(servers, list) else []
    server = grant.get("authorization_server") or (listed[0] if listed else issuer)
    if server != issuer and server not in listed:
        raise InputError("the offer names an authorisation server the issuer's metadata does not list: refused")
    server = _https(server, "authorization server", allow_http)
    names = ["oauth-authorization-server", "openid-configuration"]
    as_metadata = _metadata(outbound, server, names, "authorisation server metadata")
    if str(as_metadata.get("issuer", "")).rstrip("/") != server.rstrip("/"):
        raise InputError("the authorisation server's metadata names another server: refused")
    supported = metadata.get("credential_configurations_supported")
    supported = supported if isinstance(supported, dict) else {}
    configurations = tuple(_configuration(i, supported.get(i), lang) for i in dict.fromkeys(ids))
    draft13 = "nonce_endpoint" not in metadata and not any(
        isinstance(c.raw.get("credential_metadata"), dict) for c in configurations
    )

    def endpoint(document: Mapping[str, Any], name: str, base: str, required: bool) -> str | None:
        return _endpoint(document, name, base, required=required, allow_http=allow_http)

    return Offer(
        link=text.strip(),
        credential_issuer=issuer,
        issuer_name=_display(metadata.get("display"), lang),
        configurations=configurations,
        tx_code=_tx_code(grant),
        pre_authorized_code=code,
        token_endpoint=str(_endpoint(as_metadata, "token_endpoint", server, required=True, allow_http=allow_http)),
        credential_endpoint=str(
            _endpoint(metadata, "credential_endpoint", issuer, required=True, allow_http=allow_http)
        ),
        nonce_endpoint=_endpoint(metadata, "nonce_endpoint", issuer, required=False, allow_http=allow_http),
        notification_endpoint=_endpoint(
            metadata, "notification_endpoint", issuer, required=False, allow_http=allow_http
        ),
        deferred_endpoint=_endpoint(
            metadata, "deferred_credential_endpoint", issuer, required=False, allow_http=allow_http
        ),
        draft13=draft13,
        metadata=metadata,
    )


def oauth_error(response: Response) -> InputError:
    """An issuer's error answer in plain words: its OAuth ``error`` and ``error_description``, truncated."""
    try:
        body = json.loads(response.content.decode("utf-8", "replace")) if response.content else {}
    except ValueError:
        body = {}
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return InputError(
            "the issuer refused: %(error)s (%(description)s)",
            error=clean_text(body["error"], 80),
            description=clean_text(description, 200) if isinstance(description, str) else "no description",
        )
    return InputError("the issuer answered HTTP %(status)s", status=str(response.status))


def credentials_of(answer: Mapping[str, Any]) -> list[str]:
    """The credentials of a 1.0 (``credentials: [{credential}]``) or draft 13 (``credential``) answer, as text."""
    found: list[object] = []
    listed = answer.get("credentials")
    if isinstance(listed, list):
        found = [c.get("credential") if isinstance(c, dict) else None for c in listed]
    elif "credential" in answer:
        found = [answer["credential"]]
    if not found or len(found) > 10:
        raise InputError("the issuer's answer holds no credential (or too many)")
    texts = []
    for credential in found:
        if isinstance(credential, str) and credential.strip():
            texts.append(credential.strip())
        elif isinstance(credential, dict):
            texts.append(json.dumps(credential, ensure_ascii=False))
        else:
            raise InputError("the issuer's answer holds something that is not a credential")
    return texts
