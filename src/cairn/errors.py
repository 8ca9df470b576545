"""Cairn's one exception tree.

Every error Cairn raises on purpose derives from :class:`CairnError`. Its ``message`` is safe to show to a
user (it never carries secrets, stack traces or SQL); ``message_id`` and ``values`` are the same message
before its ``%(name)s`` values were filled in, so pages translate it without matching English text. The edges
(CLI, web) turn each class into an exit code or an HTTP status. Subclasses that live with their feature are
drawn too (a test checks that every subclass in ``cairn`` is named here)::

    CairnError                      500  exit 1   base; message safe to show
    ├── ConfigurationError          500  exit 2   a setting is missing or invalid
    ├── InputError                  400  exit 1   input cannot be read or does not follow the rules
    │   ├── CatalogError            422  exit 1   catalogue files with problems (carries them all)
    │   ├── BakingError             400           an image or PDF carries no readable credential (vc.formats.baking)
    │   ├── CareersInputError       400           a skills or careers request cannot be answered (services.careers)
    │   │   └── TextTooLongError    400           the text is longer than the limit
    │   └── CredentialError         400  exit 2   a credential, key, DID or proof cannot be processed
    │       ├── DocumentLoadError   400           a JSON-LD context or document cannot be loaded
    │       ├── CanonicalizationError 400         a document cannot be canonicalised
    │       ├── KeyFormatError      400           a key is malformed or of the wrong type
    │       ├── DidResolutionError  400           a DID cannot be resolved
    │       │   └── UnreadDocumentError 400       the document naming a key cannot be read (vc.dids)
    │       └── FetchError          400           an outbound fetch was refused or failed
    │           └── OfflineError    400           not fetched: the caller chose not to go online
    ├── AuthenticationError         401           no or a wrong credential to the API
    │   ├── UnconfirmedEmailError   401           the address is not confirmed yet (services.accounts)
    │   ├── PendingPasswordError    401           the password waits for the sign-up confirmation
    │   └── RecentSignInRequiredError 401         setting a password needs a fresh link sign-in
    ├── PermissionDeniedError       403           signed in but not allowed
    │   └── UnverifiedEmailError    403           a claim needs a verified email (services.wallet)
    ├── NotFoundError               404           nothing there (or not yours to see)
    ├── ConflictError               409           the change clashes with stored state
    │   ├── LastOwnerError          409           erasing would leave organisations without an owner (services.wallet)
    │   ├── NotShownError           409           a revoked or suspended credential is not shown (services.wallet)
    │   ├── AboutSomeoneElseError   409           a credential about someone else is never shown (services.wallet)
    │   └── CoAwardPendingError     409           a co-awarding body has not accepted yet (services.catalog)
    ├── OAuthError                  400/401       an OpenID4VCI request refused, with its code (services.openid4vci)
    ├── AuthorizationPageError      400           an authorisation request shown refused, never redirected (ditto)
    ├── TooManyAttemptsError        429           too many attempts; retry later
    └── StorageError                503           the database cannot be reached or failed

Verification never raises for a bad credential: it returns a report (see ``cairn.vc.verify``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthenticationError",
    "CairnError",
    "CanonicalizationError",
    "CatalogError",
    "ConfigurationError",
    "ConflictError",
    "CredentialError",
    "DidResolutionError",
    "DocumentLoadError",
    "FetchError",
    "InputError",
    "KeyFormatError",
    "NotFoundError",
    "OfflineError",
    "PermissionDeniedError",
    "Problem",
    "StorageError",
    "TooManyAttemptsError",
]


class CairnError(Exception):
    """Base of every error Cairn raises on purpose; ``message`` is safe to show to a user."""

    status: int = 500
    exit_code: int = 1

    def __init__(self, message: str, /, **values: Any) -> None:
        text = message % values if values else message
        super().__init__(text)
        self.message = text
        self.message_id = message
        """The message before its values were filled in: what pages look up in their translations."""
        self.values = values
        """The values of the ``%(name)s`` placeholders in :attr:`message_id`."""


class ConfigurationError(CairnError):
    """A setting is missing or has an invalid value."""

    exit_code = 2


class InputError(CairnError):
    """Input cannot be read or does not follow the rules."""

    status = 400


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input: where (file and field path), what, and the Annex I element if any."""

    source: str
    path: str
    message: str
    element: str | None = None

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        element = f" [Annex I: {self.element}]" if self.element else ""
        return f"{where}: {self.message}{element}"


class CatalogError(InputError):
    """Catalogue files with problems; ``problems`` lists every one of them."""

    status = 422

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the catalogue")
        self.problems = problems


class CredentialError(InputError):
    """A credential, key, DID or proof cannot be processed."""

    exit_code = 2


class DocumentLoadError(CredentialError):
    """A JSON-LD context or document cannot be loaded (unknown remote contexts are refused)."""


class CanonicalizationError(CredentialError):
    """A document cannot be canonicalised (RDFC-1.0 or JCS)."""


class KeyFormatError(CredentialError):
    """A key is malformed, of an unsupported type, or of the wrong type for the operation."""


class DidResolutionError(CredentialError):
    """A DID or verification method cannot be resolved."""


class FetchError(CredentialError):
    """An outbound fetch was refused (private address, size, scheme) or failed (timeout, status)."""


class OfflineError(FetchError):
    """Nothing was fetched because the caller chose not to go online (``cairn vc verify`` without ``--online``):
    what needed the network is "not checked", not "could not be determined"."""


class AuthenticationError(CairnError):
    """No credentials, or wrong ones, were presented to the API."""

    status = 401


class PermissionDeniedError(CairnError):
    """Signed in, but not allowed to do this."""

    status = 403


class NotFoundError(CairnError):
    """Nothing there, or nothing the caller may see."""

    status = 404


class ConflictError(CairnError):
    """The change clashes with what is stored (for example editing an awarded version in place)."""

    status = 409


class StorageError(CairnError):
    """The database cannot be reached or failed."""

    status = 503


class TooManyAttemptsError(CairnError):
    """Too many sign-in attempts for this email or from this address; try again after ``retry_after`` s."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, (retry_after + 59) // 60)
        super().__init__("too many attempts. Try again in %(minutes)s minutes", minutes=minutes)
        self.retry_after = retry_after
        self.minutes = minutes
