"""What a wallet reads first: the credential issuer's metadata (OpenID4VCI 1.0 section 12.2) and the authorisation
server's (RFC 8414, with OpenID4VCI's ``pre-authorized_grant_anonymous_access_supported``).

The instance is its own authorisation server (the issuer metadata names none), at its public URL. Endpoints:
``/openid4vci/par`` and ``/openid4vci/authorize`` (the authorization code flow),
``/openid4vci/token``, ``/openid4vci/nonce``, ``/openid4vci/credential``, ``/openid4vci/deferred``,
``/openid4vci/notification``.
"""

from __future__ import annotations

from typing import Any, Final

from cairn.services.openid4vci.authorization import AUTHORIZATION_CODE_GRANT
from cairn.services.openid4vci.issuance import MAX_BATCH
from cairn.services.openid4vci.protocol import PRE_AUTHORIZED_GRANT
from cairn.services.openid4vci.service import OpenID4VCIService

__all__ = ["ENDPOINTS", "authorization_server_metadata", "issuer_metadata"]

ENDPOINTS: Final = {
    "authorization_endpoint": "/openid4vci/authorize",
    "pushed_authorization_request_endpoint": "/openid4vci/par",
    "token_endpoint": "/openid4vci/token",
    "nonce_endpoint": "/openid4vci/nonce",
    "credential_endpoint": "/openid4vci/credential",
    "deferred_credential_endpoint": "/openid4vci/deferred",
    "notification_endpoint": "/openid4vci/notification",
}
"""Where each endpoint is, under the public URL."""
_NAMES: Final = {"en": "Cairn micro-credentials", "pl": "Mikropoświadczenia Cairn"}


def issuer_metadata(service: OpenID4VCIService) -> dict[str, Any]:
    """``/.well-known/openid-credential-issuer``."""
    base = service.issuer
    return {
        "credential_issuer": base,
        "credential_endpoint": base + ENDPOINTS["credential_endpoint"],
        "nonce_endpoint": base + ENDPOINTS["nonce_endpoint"],
        "deferred_credential_endpoint": base + ENDPOINTS["deferred_credential_endpoint"],
        "notification_endpoint": base + ENDPOINTS["notification_endpoint"],
        "batch_credential_issuance": {"batch_size": MAX_BATCH},
        "display": [{"name": name, "locale": locale} for locale, name in _NAMES.items()],
        "credential_configurations_supported": service.formats.supported(),
    }


def authorization_server_metadata(service: OpenID4VCIService) -> dict[str, Any]:
    """``/.well-known/oauth-authorization-server``: the pre-authorised code flow's token endpoint, and the
    authorization code flow's endpoints (pushed requests required, PKCE S256, ``iss`` in the answer, a scope per
    credential configuration: its id)."""
    base = service.issuer
    return {
        "issuer": base,
        "authorization_endpoint": base + ENDPOINTS["authorization_endpoint"],
        "pushed_authorization_request_endpoint": base + ENDPOINTS["pushed_authorization_request_endpoint"],
        "require_pushed_authorization_requests": True,
        "token_endpoint": base + ENDPOINTS["token_endpoint"],
        "grant_types_supported": [AUTHORIZATION_CODE_GRANT, PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": True,
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "authorization_details_types_supported": ["openid_credential"],
        "scopes_supported": service.formats.ids(),
    }
