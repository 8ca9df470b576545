"""Sharing a wallet credential: share links (optionally expiring, revocable, counted), downloads (JSON, JWT,
baked PNG and SVG, a PDF certificate), an "Add to LinkedIn" link, link previews and the public profile.

Only the owner (the account whose wallet holds a credential) reaches it through the ``account_id`` methods;
anyone else gets :class:`~cairn.errors.NotFoundError`, as if it did not exist. Public readers reach a
credential only through an unguessable share token or a profile the learner switched on, with the
credential marked public. Share tokens are random (256 bits); nothing else identifies a link publicly.

A credential about someone else (or about nobody it names, see :func:`cairn.vc.holder.holder_match`) is never
shown as its holder's: making it public, a share link, a PDF certificate or a LinkedIn link are refused
(:class:`~cairn.services.wallet.records.AboutSomeoneElseError`), and its old links and profile entry show nothing.

What public surfaces say about a credential is current: the stored status is verified again (through the one
verification use case) and stored when its check is older than the re-check age, before a share page, a profile
card, a link preview or a certificate shows it. A profile re-checks at most ``max_rechecks`` stale credentials
per request, oldest first; the rest show their stored status with the date it was checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, Literal
from urllib.parse import urlencode

from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.formats.pdf import certificate_pdf
from cairn.formats.preview import badge_png, badge_svg, embedded_image, preview_png
from cairn.services.accounts.access import sha256_hex
from cairn.services.verification.service import VerificationService, vouched_by
from cairn.services.wallet.records import AboutSomeoneElseError, record_check
from cairn.store.database import Database
from cairn.store.tables import ShareLinkRow, WalletCredentialRow, WalletRow
from cairn.store.wallet.sharing import SharingRepository
from cairn.vc.formats.baking import bake_png, bake_svg
from cairn.vc.holder import HOLDER
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import Report

__all__ = [
    "DOWNLOADS",
    "MAX_EXPIRY_DAYS",
    "MAX_LINKS",
    "MAX_PROFILE_NAME",
    "NOT_SHOWN",
    "Download",
    "HeldCredential",
    "NotShownError",
    "OpenedLink",
    "ProfileSettings",
    "PublicProfile",
    "ShareLink",
    "SharingService",
    "linkedin_url",
]

MAX_LINKS: Final = 100
"""Share links a credential may have (revoked and expired ones included)."""
MAX_EXPIRY_DAYS: Final = 3650
MAX_PROFILE_NAME: Final = 200
DOWNLOADS: Final = ("json", "jwt", "png", "svg", "pdf")
"""What a credential can be downloaded as."""
LINKEDIN_ADD: Final = "https://www.linkedin.com/profile/add"
_TOKEN: Final = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
_SLUG: Final = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,48}[a-z0-9])$")
_PREVIEW_CACHE: Final = 256

NOT_SHOWN: Final = (
    "Only a credential that verifies can be shown on your public profile; this one is %(status)s. "
    "Check it again from your wallet first."
)
"""Why a credential cannot go on the public profile (``%(status)s``: its wallet status)."""
NO_CERTIFICATE: Final = (
    "A certificate is made only for a credential that verifies; this one is %(status)s. "
    "Check it again from your wallet first."
)
"""Why a credential cannot be turned into a PDF certificate (``%(status)s``: its current wallet status)."""
MAX_RECHECKS: Final = 20
"""Stale credentials a public profile verifies again per request (oldest first)."""

LinkState = Literal["active", "expired", "revoked"]


class NotShownError(ConflictError):
    """A credential that does not verify now (unverifiable, revoked, suspended, expired) cannot be made public
    or become a certificate (``message``: :data:`NOT_SHOWN` or :data:`NO_CERTIFICATE`)."""

    def __init__(self, status: str, message: str = NOT_SHOWN) -> None:
        self.credential_status = status
        super().__init__(message, status=status)


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """A credential in a wallet, as sharing needs it."""

    id: str
    format: str
    original: str
    document: dict[str, Any]
    title: str
    issuer_name: str | None
    issuer_id: str | None
    issued_at: datetime | None
    valid_until: datetime | None
    status: str
    public: bool
    content_hash: str
    checked_at: datetime
    holder_match: str
    vouched_by: str = ""
    """Who vouches for the issuer, as the last verification found (``""``: nobody this instance trusts)."""
    verdict: str = ""
    """The last verification's verdict (``""``: none stored)."""

    @property
    def is_jwt(self) -> bool:
        """True when the credential was received as a compact JWT (VC-JWT)."""
        return is_compact_jws(self.original)

    @property
    def vouched(self) -> bool:
        """Whether someone this instance trusts vouches for the issuer."""
        return bool(self.vouched_by)

    @property
    def about_someone_else(self) -> bool:
        """True unless the credential names its wallet's holder (then it is never shown as theirs)."""
        return self.holder_match != HOLDER

    @classmethod
    def of(cls, row: WalletCredentialRow) -> HeldCredential:
        return cls(
            id=row.id,
            format=row.format,
            original=row.original,
            document=dict(row.document or {}),
            title=row.title,
            issuer_name=row.issuer_name,
            issuer_id=row.issuer_id,
            issued_at=row.issued_at,
            valid_until=row.valid_until,
            status=row.status,
            public=bool(row.public),
            content_hash=row.content_hash,
            checked_at=row.checked_at,
            holder_match=row.holder_match,
            vouched_by=vouched_by((row.report or {}).get("trust") or {}),
            verdict=str((row.report or {}).get("verdict") or ""),
        )


@dataclass(frozen=True, slots=True)
class ShareLink:
    """One share link and what happened to it."""

    id: int
    token: str
    """The token ("" for a link made before tokens were hashed: only its visitors know it)."""
    url: str
    """The link's address ("" when its token is not known here)."""
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    views: int
    last_viewed_at: datetime | None
    state: LinkState

    @classmethod
    def of(cls, row: ShareLinkRow, *, token: str, url: str, now: datetime) -> ShareLink:
        state: LinkState = "active"
        if row.revoked_at is not None:
            state = "revoked"
        elif row.expires_at is not None and row.expires_at <= now:
            state = "expired"
        return cls(
            id=row.id,
            token=token,
            url=url,
            created_at=row.created_at,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            views=int(row.views or 0),
            last_viewed_at=row.last_viewed_at,
            state=state,
        )


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """A share link as a visitor opens it: the link (with its state) and the credential behind it."""

    link: ShareLink
    credential: HeldCredential


@dataclass(frozen=True, slots=True)
class ProfileSettings:
    """A learner's public profile settings."""

    public: bool
    slug: str | None
    name: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class PublicProfile:
    """A public profile: the learner's chosen name and the credentials they marked public."""

    slug: str
    name: str | None
    url: str
    credentials: list[HeldCredential]


@dataclass(frozen=True, slots=True)
class Download:
    """A file to hand over."""

    body: bytes
    media_type: str
    filename: str


def _filename(title: str, suffix: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9]+", "-", ascii_title).strip("-").lower()[:60] or "credential"
    return f"{stem}.{suffix}"


def linkedin_url(credential: HeldCredential, *, cert_url: str) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in from the credential;
    :class:`AboutSomeoneElseError` for a credential about someone else."""
    if credential.about_someone_else:
        raise AboutSomeoneElseError
    params: dict[str, str] = {"startTask": "CERTIFICATION_NAME", "name": credential.title}
    if credential.issuer_name:
        params["organizationName"] = credential.issuer_name
    if credential.issued_at is not None:
        params["issueYear"] = str(credential.issued_at.year)
        params["issueMonth"] = str(credential.issued_at.month)
    if credential.valid_until is not None:
        params["expirationYear"] = str(credential.valid_until.year)
        params["expirationMonth"] = str(credential.valid_until.month)
    params["certUrl"] = cert_url
    credential_id = credential.document.get("id")
    if isinstance(credential_id, str) and credential_id:
        params["certId"] = credential_id[:200]
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


class SharingService:
    """Share links, downloads, previews and the public profile over one database."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        public_url: str,
        verification: VerificationService,
        recheck_after: timedelta = timedelta(minutes=60),
        max_rechecks: int = MAX_RECHECKS,
        badge_image: Callable[[Mapping[str, Any], str], bytes] | None = None,
        secret: Callable[[], bytes] = lambda: b"",
    ) -> None:
        self.secret = secret
        """The instance's secret key: share tokens are derived from it and a stored seed (only their SHA-256 is
        stored), so the database alone gives no link away. Empty: each token is random and shown only when made."""
        self.badge_image = badge_image
        """The badge of a credential as ``png`` or ``svg`` bytes (:meth:`BadgeService.image_for`)."""
        self.database = database
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        self.verification = verification
        self.recheck_after = recheck_after
        self.max_rechecks = max_rechecks
        self._previews: OrderedDict[tuple[str, ...], bytes] = OrderedDict()
        self._lock = threading.Lock()

    # -- URLs ------------------------------------------------------------------------------------

    def link_url(self, token: str) -> str:
        """The absolute URL of a share link."""
        return f"{self.public_url}/s/{token}"

    def profile_url(self, slug: str) -> str:
        """The absolute URL of a public profile."""
        return f"{self.public_url}/p/{slug}"

    def _token(self, seed: str | None) -> str:
        """The token derived from ``seed`` ("" when there is no seed or no secret)."""
        key = self.secret()
        if not seed or not key:
            return ""
        digest = hmac.new(key, b"cairn share link\x00" + seed.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def _link(self, row: ShareLinkRow, token: str | None = None) -> ShareLink:
        token = token or self._token(row.seed)
        return ShareLink.of(row, token=token, url=self.link_url(token) if token else "", now=self.clock())

    # -- the owner's side ------------------------------------------------------------------------

    @staticmethod
    def _owned(
        repo: SharingRepository, account_id: int, credential_id: str, *, shown: bool = False
    ) -> WalletCredentialRow:
        """The owner's credential; with ``shown``, one that may be shown as theirs (AboutSomeoneElseError)."""
        row = repo.owned_credential(account_id, credential_id[:36])
        if row is None:
            raise NotFoundError("no such credential in your wallet")
        if shown and row.holder_match != HOLDER:
            raise AboutSomeoneElseError
        return row

    def credential(self, *, account_id: int, credential_id: str, shown: bool = False) -> HeldCredential:
        """A credential of ``account_id``'s wallet; NotFoundError for anyone else's. With ``shown`` (it is to be
        shown as the holder's), AboutSomeoneElseError when it is about someone else."""
        with self.database.transaction(read_only=True) as session:
            return HeldCredential.of(self._owned(SharingRepository(session), account_id, credential_id, shown=shown))

    def links(self, *, account_id: int, credential_id: str) -> list[ShareLink]:
        """The credential's share links, newest first, with their view counts."""
        with self.database.transaction(read_only=True) as session:
            repo = SharingRepository(session)
            self._owned(repo, account_id, credential_id)
            return [self._link(row) for row in repo.links_of(credential_id)]

    def create_link(self, *, account_id: int, credential_id: str, expires_in_days: int | None = None) -> ShareLink:
        """A new share link, valid for ``expires_in_days`` days (for good when None)."""
        if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
            raise InputError(f"a link can last 1 to {MAX_EXPIRY_DAYS} days, or have no end date")
        now = self.clock()
        expires_at = None if expires_in_days is None else now + timedelta(days=expires_in_days)
        with self.database.transaction() as session:
            repo = SharingRepository(session)
            self._owned(repo, account_id, credential_id, shown=True)
            if repo.count_links(credential_id) >= MAX_LINKS:
                raise ConflictError(f"this credential already has {MAX_LINKS} share links: revoke or reuse one")
            seed = secrets.token_urlsafe(32)
            derived = self._token(seed)
            token = derived or secrets.token_urlsafe(32)
            row = repo.add_link(
                credential_id=credential_id,
                token_hash=sha256_hex(token),
                seed=seed if derived else None,
                now=now,
                expires_at=expires_at,
            )
            return self._link(row, token)

    def revoke_link(self, *, account_id: int, credential_id: str, link_id: int) -> bool:
        """Withdraw a share link for good; False when it was withdrawn already."""
        with self.database.transaction() as session:
            repo = SharingRepository(session)
            self._owned(repo, account_id, credential_id)
            row = repo.link_of(credential_id, link_id)
            if row is None:
                raise NotFoundError("no such share link")
            if row.revoked_at is not None:
                return False
            row.revoked_at = self.clock()
            return True

    def certificate_link(self, *, account_id: int, credential_id: str) -> ShareLink:
        """The newest active share link without an end date (one is made when there is none): what a PDF
        certificate's QR code leads to. AboutSomeoneElseError for a credential about someone else."""
        self.credential(account_id=account_id, credential_id=credential_id, shown=True)
        for link in self.links(account_id=account_id, credential_id=credential_id):
            if link.state == "active" and link.expires_at is None and link.url:
                return link
        return self.create_link(account_id=account_id, credential_id=credential_id)

    def set_public(self, *, account_id: int, credential_id: str, public: bool) -> None:
        """Show (or stop showing) a credential on the learner's public profile. Only a credential whose wallet
        status is ``valid`` can be shown (:class:`NotShownError` otherwise); hiding always works. One that
        stops being valid after it was shown stays until hidden, with its status shown next to it. A credential
        about someone else is never shown (:class:`AboutSomeoneElseError`)."""
        with self.database.transaction() as session:
            row = self._owned(SharingRepository(session), account_id, credential_id, shown=public)
            if public and not row.public and row.status != "valid":
                raise NotShownError(row.status)
            row.public = public

    # -- downloads -------------------------------------------------------------------------------

    def download(self, *, account_id: int, credential_id: str, kind: str, language: str = "en") -> Download:
        """The credential as ``kind`` (one of :data:`DOWNLOADS`)."""
        held = self.credential(account_id=account_id, credential_id=credential_id)
        if kind == "json":
            body = held.original if not held.is_jwt else json.dumps(held.document, indent=2, ensure_ascii=False)
            return Download(body.encode("utf-8"), "application/vc+ld+json", _filename(held.title, "json"))
        if kind == "jwt":
            if not held.is_jwt:
                raise InputError("this credential was issued as JSON with an embedded proof, not as a JWT")
            return Download(held.original.strip().encode("ascii"), "application/vc+jwt", _filename(held.title, "jwt"))
        if kind == "png":
            return Download(self.baked_png(held), "image/png", _filename(held.title, "png"))
        if kind == "svg":
            return Download(self.baked_svg(held), "image/svg+xml", _filename(held.title, "svg"))
        if kind == "pdf":
            if held.about_someone_else:
                raise AboutSomeoneElseError
            held = self._current([held], limit=1)[0]
            if held.status != "valid":
                raise NotShownError(held.status, NO_CERTIFICATE)
            link = self.certificate_link(account_id=account_id, credential_id=credential_id)
            return Download(
                self.certificate(held, verify_url=link.url, language=language),
                "application/pdf",
                _filename(held.title, "pdf"),
            )
        raise NotFoundError(f"no download '{kind[:20]}': choose one of {', '.join(DOWNLOADS)}")

    def _badge(self, held: HeldCredential, kind: str) -> bytes:
        if self.badge_image is not None:
            return self.badge_image(held.document, kind)
        image = embedded_image(held.document, kind)
        draw = badge_png if kind == "png" else badge_svg
        return image or draw(title=held.title, issuer=held.issuer_name or "")

    def baked_png(self, held: HeldCredential) -> bytes:
        """The credential baked into its badge (the definition's, this instance's stored image, a checked
        embedded one, else one generated from its title and issuer)."""
        return bake_png(self._badge(held, "png"), held.original.strip())

    def baked_svg(self, held: HeldCredential) -> bytes:
        """The credential baked into its badge as SVG (chosen as for :meth:`baked_png`)."""
        return bake_svg(self._badge(held, "svg"), held.original.strip())

    def certificate(self, held: HeldCredential, *, verify_url: str, language: str) -> bytes:
        """A PDF certificate whose QR code leads to ``verify_url``."""
        return certificate_pdf(
            held.document,
            credential_text=held.original.strip(),
            verify_url=verify_url,
            language=language,
            vouched_by=held.vouched_by,
            badge=self._badge(held, "png"),
        )

    # -- the public side ---------------------------------------------------------------------------

    def open_link(self, token: str, *, count_view: bool = False, current: bool = True) -> OpenedLink:
        """The link with ``token`` and its credential (NotFoundError when there is none, or when the credential
        is about someone else); a view of an active link is counted when ``count_view``. With ``current`` a stale
        status is verified again first. The caller answers expired and revoked links with 410."""
        if not _TOKEN.match(token):
            raise NotFoundError("there is no shared credential at this address: check that you copied all of it")
        now = self.clock()
        with self.database.transaction(read_only=not count_view) as session:
            repo = SharingRepository(session)
            found = repo.by_token_hash(sha256_hex(token))
            if found is None or found[1].holder_match != HOLDER:
                raise NotFoundError("there is no shared credential at this address: check that you copied all of it")
            row, credential = found
            link = self._link(row, token)
            if count_view and link.state == "active":
                repo.count_view(row.id, now)
                link = replace(link, views=link.views + 1, last_viewed_at=now)
            held = HeldCredential.of(credential)
        if current and link.state == "active":
            held = self._current([held], limit=1)[0]
        return OpenedLink(link=link, credential=held)

    def verify(self, held: HeldCredential) -> tuple[Report, HeldCredential]:
        """Verify the credential now, as any verifier would (proof, issuer key, validity, status), and store
        the result: the report and the credential with its new status."""
        report = self.verification.verify(held.original.strip())
        return report, self._record({held.id: report}).get(held.id, held)

    # -- keeping statuses current ----------------------------------------------------------------

    def is_current(self, held: HeldCredential) -> bool:
        """Whether the credential's stored status was checked within the re-check age."""
        return self.clock() - held.checked_at <= self.recheck_after

    def _current(self, held: list[HeldCredential], *, limit: int) -> list[HeldCredential]:
        """``held`` with up to ``limit`` stale ones (oldest check first) verified again and stored; verifying
        happens outside any transaction (it may wait on the network)."""
        stale = sorted((h for h in held if not self.is_current(h)), key=lambda h: h.checked_at)[:limit]
        if not stale:
            return held
        fresh = self._record({h.id: self.verification.verify(h.original.strip()) for h in stale})
        return [fresh.get(h.id, h) for h in held]

    def _record(self, reports: dict[str, Report]) -> dict[str, HeldCredential]:
        now = self.clock()
        fresh: dict[str, HeldCredential] = {}
        with self.database.transaction() as session:
            repo = SharingRepository(session)
            for credential_id, report in reports.items():
                row = repo.credential(credential_id)
                if row is not None:
                    record_check(row, report, now)
                    fresh[credential_id] = HeldCredential.of(row)
        return fresh

    def profile_settings(self, *, account_id: int) -> ProfileSettings | None:
        """The learner's profile settings; None while they have no wallet yet."""
        with self.database.transaction(read_only=True) as session:
            wallet = SharingRepository(session).wallet_of(account_id)
            return None if wallet is None else self._settings(wallet)

    def _settings(self, wallet: WalletRow) -> ProfileSettings:
        slug = wallet.profile_slug
        url = self.profile_url(slug) if slug and wallet.profile_public else None
        return ProfileSettings(public=bool(wallet.profile_public), slug=slug, name=wallet.profile_name, url=url)

    def update_profile(self, *, account_id: int, public: bool, slug: str, name: str) -> ProfileSettings:
        """Change the profile: on or off, its address (``/p/SLUG``) and the name it shows."""
        slug = slug.strip().lower()
        name = " ".join("".join(c for c in name if c.isprintable()).split())
        if slug and not _SLUG.match(slug):
            raise InputError("the address takes 3 to 50 lowercase letters, digits and hyphens (not at either end)")
        if public and not slug:
            raise InputError("choose an address for your profile before switching it on")
        if len(name) > MAX_PROFILE_NAME:
            raise InputError(f"the name can have at most {MAX_PROFILE_NAME} characters")
        with self.database.transaction() as session:
            repo = SharingRepository(session)
            wallet = repo.wallet_of(account_id)
            if wallet is None:
                raise ConflictError("your wallet is empty: add a credential to it first")
            if slug and repo.slug_taken(slug, other_than=wallet.id):
                raise ConflictError(f"the address '{slug}' is taken: choose another")
            wallet.profile_slug = slug or None
            wallet.profile_name = name or None
            wallet.profile_public = public
            session.flush()
            return self._settings(wallet)

    def _public_wallet(self, repo: SharingRepository, slug: str) -> WalletRow:
        wallet = repo.wallet_by_slug(slug[:80]) if _SLUG.match(slug[:80]) else None
        if wallet is None or not wallet.profile_public:
            raise NotFoundError("there is no public profile at this address")
        return wallet

    def public_profile(self, slug: str, credential_id: str | None = None, *, current: bool = True) -> PublicProfile:
        """The profile at ``slug`` with its public credentials (only ``credential_id`` when given), never one
        about someone else; NotFoundError when there is none, it is off, or ``credential_id`` is not one it
        shows. With ``current``, up to ``max_rechecks`` stale statuses are verified again first."""
        with self.database.transaction(read_only=True) as session:
            repo = SharingRepository(session)
            wallet = self._public_wallet(repo, slug)
            if credential_id is None:
                credentials = [HeldCredential.of(row) for row in repo.public_credentials(wallet.id)]
            else:
                row = repo.public_credential(wallet.id, credential_id[:36])
                if row is None:
                    raise NotFoundError("there is no such credential on this profile")
                credentials = [HeldCredential.of(row)]
            name = wallet.profile_name
        if current:
            credentials = self._current(credentials, limit=self.max_rechecks)
        return PublicProfile(slug, name, self.profile_url(slug), credentials)

    def public_credential(self, slug: str, credential_id: str, *, current: bool = True) -> HeldCredential:
        """One public credential of the profile at ``slug`` (its status verified again when stale and
        ``current``); NotFoundError otherwise."""
        return self.public_profile(slug, credential_id, current=current).credentials[0]

    # -- previews --------------------------------------------------------------------------------

    def preview(self, held: HeldCredential, *, title: str, issuer: str, date: str, verdict: str) -> bytes:
        """The 1200x630 link preview of a credential (text given translated), kept in a small LRU cache keyed
        by the credential, its content and the text; never of a credential about someone else."""
        if held.about_someone_else:
            raise AboutSomeoneElseError
        verified = held.status == "valid" and held.vouched  # a check mark only where someone vouches
        key = (held.id, held.content_hash, title, issuer, date, verdict, str(verified))
        with self._lock:
            cached = self._previews.get(key)
            if cached is not None:
                self._previews.move_to_end(key)
                return cached
        image = preview_png(title=title, issuer=issuer, date=date, verdict=verdict, verified=verified)
        with self._lock:
            self._previews[key] = image
            while len(self._previews) > _PREVIEW_CACHE:
                self._previews.popitem(last=False)
        return image
