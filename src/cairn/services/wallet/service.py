"""The learner's wallet: claim, import and verify credentials from anywhere, organise, present, export, erase.

Every credential that enters a wallet (from a claim link, pasted text, an uploaded file of any kind, a URL
or an export zip) goes through the one verification use case
(:class:`~cairn.services.verification.service.VerificationService`) and is kept with its report. A
credential whose signature fails, or that cannot be read as a credential, is kept out with the reason; an
expired, revoked or suspended one is kept and shown as such. The status is derived from the report
(:func:`status_of`) and re-checked when a credential is shown and its last check is older than the
configured age; the queue's ``wallet.refresh`` job re-checks the others in the background
(:mod:`cairn.services.wallet.refresh`), so a listing does no verification.

Every credential is also marked with whom it is about (``holder_match``, :func:`cairn.vc.holder.holder_match`):
the wallet's holder (its subject is the wallet's DID, a hashed or plain email identifier is the account's
verified address, or it came through this instance's claim flow), someone else, or nobody it names. Only the
holder's are ever shown as theirs: the others stay in the wallet, labelled, and sharing refuses them
(:class:`~cairn.services.wallet.records.AboutSomeoneElseError`).

Each wallet holds an Ed25519 did:key, made on first use, whose secret is sealed at rest with AES-256-GCM
under a key derived from ``CAIRN_SECRET_KEY`` (as organisations' keys are, :mod:`cairn.services.issuing.keys`),
and signs the learner's Verifiable Presentations.
"""

from __future__ import annotations

import builtins
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from cairn.errors import CairnError, ConflictError, InputError, NotFoundError
from cairn.services.accounts.access import normalise_email
from cairn.services.wallet.intake import WalletCore
from cairn.services.wallet.records import (
    MAX_COLLECTION_NAME,
    MAX_TAGS,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    STATUSES,
    UNVERIFIED,
    Collection,
    LastOwnerError,
    UnverifiedEmailError,
    WalletImport,
    WalletItem,
    _clean_tags,
    _manifest,
    _recipient_matches,
    _slug,
    _to_item,
)
from cairn.store.accounts.repository import AccountRepository, MembershipRepository
from cairn.store.audit import AuditRepository
from cairn.store.tables import WalletCredentialRow
from cairn.store.wallet.repository import WalletRepository, erase_account, redact_audit
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.presentations import create_presentation, create_presentation_jwt
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.sdjwt import looks_like_sd_jwt

__all__ = ["REFRESH_LIMIT", "WalletService"]

REFRESH_LIMIT: Final = 25
"""Credentials a listing of the wallet verifies again at most (only where no job of the queue refreshes them:
``CAIRN_WALLET_REFRESH_MINUTES=0``)."""


class WalletService(WalletCore):
    """Learners' wallets over one database."""

    # -- adding credentials -------------------------------------------------------------------------

    def add_from_claim(self, account_id: int, email: str, claim_token: str) -> WalletItem:
        """Add the award a claim link names to the wallet, when the account's email matches the hashed email
        (or the DID) the credential was issued to, and that email is verified (someone used a link sent to it,
        or an operator made the account): :class:`UnverifiedEmailError` otherwise, since anyone can sign up
        with any address. The address checked is the account's stored one; ``email`` must be it too."""
        if self.issuing is None:
            raise NotFoundError("claiming is not available on this instance")
        view = self.issuing.by_claim_token(claim_token[:200])
        if view is None:
            raise NotFoundError("this claim link is not valid: check that you copied all of it")
        text = view.credential if isinstance(view.credential, str) else json.dumps(view.credential)
        checked = self._check(text)
        credential = checked.report.credential or (view.credential if isinstance(view.credential, dict) else {})
        with self.database.transaction() as session:
            account = AccountRepository(session).get(account_id)
            if account is None or account.disabled_at is not None:
                raise NotFoundError("no such account")
            address = account.email
            if normalise_email(email) != address:
                raise InputError("this is not the signed-in account's email address")
            if account.email_verified_at is None:
                raise UnverifiedEmailError(UNVERIFIED)
            wallet = self._wallet(session, account_id)
            if not _recipient_matches(credential, address, wallet.did):
                raise InputError(
                    "this credential was awarded to another email address: sign in with the address the claim "
                    "email was sent to"
                )
            holder = WalletRepository(session).claimed_by_account(view.award_id)
            if holder is not None and holder != account_id:
                raise ConflictError("this credential has already been claimed into another wallet")
            row = self._store(session, wallet, checked, source="claim", award_id=view.award_id)  # ConflictError if held
            WalletRepository(session).link_award(view.award_id, address, self.clock())
            return self._item(session, row)

    def import_credential(
        self,
        account_id: int,
        data: bytes | str,
        *,
        source: str = "upload",
        filename: str | None = None,
        tags: Sequence[str] = (),
    ) -> WalletItem:
        """Verify and add one credential (JSON, JWT, OB 2.0, ELM, baked PNG/SVG, PDF): InputError when it is
        not a credential or its signature fails, ConflictError when it is already in the wallet. One whose
        issuer's key cannot be fetched now is added as ``unverifiable`` (see :func:`issuer_unreachable`)."""
        del filename  # the content says what it is; the name is not trusted
        checked = self._check(data)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            return self._item(session, self._store(session, wallet, checked, source=source, tags=tags))

    def import_url(self, account_id: int, url: str) -> WalletItem:
        """Fetch a credential (or an Open Badges 2.0 hosted assertion) from ``url`` and import it; private
        addresses are refused by the fetcher."""
        url = url.strip()
        parts = urlsplit(url)
        if len(url) > 2000 or parts.scheme not in ("https", "http") or not parts.hostname:
            raise InputError("enter a web address starting with https://")
        fetcher = self.verification.fetcher
        if fetcher is None:
            raise InputError("this Cairn does not fetch from the web")
        response = fetcher.fetch(url)
        return self.import_credential(account_id, response.content, source="url")

    # -- reading ------------------------------------------------------------------------------------

    def _item(self, session: Session, row: WalletCredentialRow) -> WalletItem:
        memberships = WalletRepository(session).memberships([row.id])
        return _to_item(row, memberships.get(row.id, []))

    def list(
        self,
        account_id: int,
        *,
        q: str | None = None,
        tag: str | None = None,
        collection: int | None = None,
        status: str | None = None,
    ) -> list[WalletItem]:
        """The wallet's credentials, newest first, filtered by words, a tag, a collection and a status."""
        if status and status not in STATUSES:
            raise InputError(f"unknown status {status[:20]!r}: use one of {', '.join(STATUSES)}")
        if self.refresh_on_list:  # else the queue's wallet.refresh job keeps them fresh
            self._refresh_due_awards(account_id)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if collection is not None and repo.collection(wallet.id, collection) is None:
                raise NotFoundError("no such collection in your wallet")
            rows = repo.credentials(wallet.id, q=q, status=status, collection=collection)
            memberships = repo.memberships([r.id for r in rows])
            items = [_to_item(r, memberships.get(r.id, [])) for r in rows]
        if tag:
            wanted = tag.strip().lower()
            items = [i for i in items if wanted in (t.lower() for t in i.tags)]
        return items

    def timeline(
        self, account_id: int, *, items: Sequence[WalletItem] | None = None
    ) -> builtins.list[tuple[int, builtins.list[WalletItem]]]:
        """The credentials (``items``, already read, or all of the wallet's) by year of issue (or of adding
        when the credential gives no date), newest first."""
        items = self.list(account_id) if items is None else items
        by_year: dict[int, list[WalletItem]] = {}
        for item in items:
            by_year.setdefault((item.issued_at or item.added_at).year, []).append(item)
        return [
            (year, sorted(found, key=lambda i: i.issued_at or i.added_at, reverse=True))
            for year, found in sorted(by_year.items(), reverse=True)
        ]

    def tags(self, account_id: int, *, items: Sequence[WalletItem] | None = None) -> builtins.list[str]:
        """Every tag used in the wallet (in ``items``, when already read), sorted."""
        seen: dict[str, str] = {}
        for item in self.list(account_id) if items is None else items:
            for tag in item.tags:
                seen.setdefault(tag.lower(), tag)
        return sorted(seen.values(), key=str.lower)

    def get(self, account_id: int, credential_id: str) -> WalletItem:
        """One credential; re-verified first when its last check is older than the re-check age."""
        return self._checked(account_id, credential_id, always=False)

    def recheck(self, account_id: int, credential_id: str) -> WalletItem:
        """Verify a credential again now (status lists, validity), and whom it is about (the account's address
        may have been verified since)."""
        return self._checked(account_id, credential_id, always=True)

    def _checked(self, account_id: int, credential_id: str, *, always: bool) -> WalletItem:
        """The credential, verified again first (``always``, or when its last check is stale). The verification
        runs between two transactions, never inside one: it may fetch from other issuers, and on this instance it
        may sign a status list and store it, which an open SQLite read transaction could then not write after."""
        with self.database.transaction(read_only=True) as session:
            wallet = self._existing_wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id) if wallet is not None else None
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            if not always and self.clock() - row.checked_at <= self.recheck_after:
                return self._item(session, row)
            original = row.original
        report = self.verification.verify(original)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            self.keep_check(session, wallet, row, report)
            return self._item(session, row)

    def _refresh_due_awards(self, account_id: int) -> None:
        """Verify again (at most :data:`REFRESH_LIMIT` a listing) the credentials awarded on this instance whose
        last check is older than the re-check age: their status lists answer locally, and an issuer's revocation
        or suspension makes its copies due at once, so the list's notices come from a fresh verification. (Only
        without the queue's ``wallet.refresh``; verified between transactions, as :meth:`_checked` explains.)"""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            rows = WalletRepository(session).credentials(wallet.id, q=None, status=None, collection=None)
            due = [
                (r.id, r.original)
                for r in rows
                if r.award_id is not None and self.clock() - r.checked_at > self.recheck_after
            ]
        reports = {credential_id: self.verification.verify(original) for credential_id, original in due[:REFRESH_LIMIT]}
        if not reports:
            return
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            for credential_id, report in reports.items():
                row = repo.credential(wallet.id, credential_id)
                if row is not None:
                    self.keep_check(session, wallet, row, report)

    def dismiss_notice(self, account_id: int, credential_id: str) -> WalletItem:
        """The learner has read the notice about the credential's status: remember the status they saw."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            row.status_seen = row.status
            return self._item(session, row)

    # -- organising ---------------------------------------------------------------------------------

    def set_tags(self, account_id: int, credential_id: str, tags: Sequence[str]) -> WalletItem:
        """Replace a credential's tags."""
        clean = _clean_tags(tags)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            row.tags = {"tags": clean}
            values = {"title": row.title, "issuer_name": row.issuer_name, "issuer_id": row.issuer_id}
            row.search_text = self._search_text({**values, "report": row.report}, clean)
            return self._item(session, row)

    def collections(self, account_id: int) -> builtins.list[Collection]:
        """The wallet's collections, by name."""
        with self.database.transaction(read_only=True) as session:
            wallet = self._existing_wallet(session, account_id)
            if wallet is None:
                return []
            return [Collection(c.id, c.name, n) for c, n in WalletRepository(session).collections(wallet.id)]

    @staticmethod
    def _collection_name(name: str) -> str:
        cleaned = " ".join(name.split())
        if not cleaned or len(cleaned) > MAX_COLLECTION_NAME:
            raise InputError(f"a collection needs a name of 1 to {MAX_COLLECTION_NAME} characters")
        return cleaned

    def create_collection(self, account_id: int, name: str) -> Collection:
        """A new collection; ConflictError when the wallet has one of that name."""
        cleaned = self._collection_name(name)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if repo.collection_by_name(wallet.id, cleaned) is not None:
                raise ConflictError(f"you already have a collection called {cleaned!r}")
            row = repo.add_collection(wallet.id, cleaned, self.clock())
            return Collection(row.id, row.name, 0)

    def rename_collection(self, account_id: int, collection_id: int, name: str) -> Collection:
        """Rename a collection."""
        cleaned = self._collection_name(name)
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.collection(wallet.id, collection_id)
            if row is None:
                raise NotFoundError("no such collection in your wallet")
            other = repo.collection_by_name(wallet.id, cleaned)
            if other is not None and other.id != row.id:
                raise ConflictError(f"you already have a collection called {cleaned!r}")
            row.name = cleaned
            return Collection(row.id, row.name)

    def delete_collection(self, account_id: int, collection_id: int) -> None:
        """Delete a collection (its credentials stay in the wallet)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            row = WalletRepository(session).collection(wallet.id, collection_id)
            if row is None:
                raise NotFoundError("no such collection in your wallet")
            session.delete(row)

    def set_membership(self, account_id: int, collection_id: int, credential_id: str, *, member: bool) -> None:
        """Put a credential in a collection, or take it out."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            if repo.collection(wallet.id, collection_id) is None:
                raise NotFoundError("no such collection in your wallet")
            row = repo.credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            if member:
                repo.add_member(collection_id, row.id)
            else:
                repo.remove_member(collection_id, row.id)

    def remove(self, account_id: int, credential_id: str) -> None:
        """Remove a credential from the wallet (its share links stop working)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.credential(wallet.id, credential_id)
            if row is None:
                raise NotFoundError("no such credential in your wallet")
            repo.delete_credential(row)

    # -- presenting ---------------------------------------------------------------------------------

    def present(
        self,
        account_id: int,
        ids: Sequence[str],
        challenge: str,
        domain: str,
        *,
        format: Literal["jwt", "di"] = "jwt",
    ) -> str | dict[str, Any]:
        """A Verifiable Presentation of the chosen credentials, signed by the wallet's did:key for the
        verifier's ``challenge`` and ``domain``: a ``vp+jwt`` string, or a Data Integrity JSON object."""
        challenge, domain = challenge.strip(), domain.strip()
        if not challenge or len(challenge) > 500:
            raise InputError("enter the challenge the verifier gave you (up to 500 characters)")
        if not domain or len(domain) > 500:
            raise InputError("enter the verifier's domain (up to 500 characters)")
        if not ids:
            raise InputError("choose at least one credential to present")
        if len(ids) > 50:
            raise InputError("choose at most 50 credentials")
        if format not in ("jwt", "di"):
            raise InputError("the presentation format must be jwt or di")
        with self.database.transaction(read_only=True) as session:
            wallet = self._existing_wallet(session, account_id)
            if wallet is None:
                raise NotFoundError("no such credential in your wallet")
            repo = WalletRepository(session)
            credentials: list[Mapping[str, Any] | str] = []
            for credential_id in dict.fromkeys(ids):
                row = repo.credential(wallet.id, credential_id)
                if row is None:
                    raise NotFoundError("no such credential in your wallet")
                original = row.original.strip()
                if looks_like_sd_jwt(original):
                    raise InputError(
                        "%(title)s is an SD-JWT VC: it is presented with its own key binding (OpenID4VP), not inside "
                        "a W3C presentation; leave it out",
                        title=row.title,
                    )
                credentials.append(original if is_compact_jws(original) else json.loads(original))
            key, did = self._key(wallet), wallet.did
        method = f"{did}#{did.removeprefix('did:key:')}"
        now = self.clock()
        if format == "jwt":
            return create_presentation_jwt(
                credentials, holder=did, key=key, kid=method, challenge=challenge, domain=domain, issued_at=now
            )
        return create_presentation(
            credentials,
            holder=did,
            key=key,
            verification_method=method,
            challenge=challenge,
            domain=domain,
            created=now,
        )

    def holder_key(self, account_id: int, kind: KeyType = KeyType.ED25519) -> tuple[KeyPair, str]:
        """The wallet's key of ``kind`` (Ed25519, or its P-256 companion) and its did:key, for proofs and
        presentations built elsewhere (an OpenID4VCI key proof, an OpenID4VP KB-JWT)."""
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            if kind is KeyType.ED25519:
                return self._key(wallet), wallet.did
            if kind is not KeyType.P256:
                raise InputError("this wallet holds Ed25519 and P-256 keys only")
            companion = self._keys(wallet)[1]
            return companion, did_key(companion.public)

    # -- export, import, erase ----------------------------------------------------------------------

    def export_zip(self, account_id: int) -> bytes:
        """Everything in the wallet: ``credentials/NNN-<slug>.json|.jwt`` and ``manifest.json``."""
        with self.database.transaction() as session:  # a wallet never used is made (its did goes in the manifest)
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            rows = list(reversed(repo.credentials(wallet.id)))
            memberships = repo.memberships([r.id for r in rows])
            did = wallet.did
        buffer = io.BytesIO()
        items = []
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for number, row in enumerate(rows, 1):
                original = row.original.strip()
                extension = "jwt" if is_compact_jws(original) else "json"
                name = f"credentials/{number:03d}-{_slug(row.title)}.{extension}"
                archive.writestr(name, original)
                items.append(
                    {
                        "id": row.id,
                        "file": name,
                        "format": row.format,
                        "title": row.title,
                        "tags": list((row.tags or {}).get("tags", [])),
                        "collections": [n for _, n in memberships.get(row.id, [])],
                        "added_at": row.added_at.isoformat(),
                        "source": row.source,
                    }
                )
            manifest = {"version": 1, "exported_at": self.clock().isoformat(), "did": did, "items": items}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        return buffer.getvalue()

    def import_zip(self, account_id: int, data: bytes) -> WalletImport:
        """Import an export zip (from this or another Cairn): each credential verified again; tags and
        collections from the manifest. Bounded: entries, total size, compression ratio."""
        entries = self._read_zip(data)
        manifest = _manifest(entries.pop("manifest.json", None))
        result = WalletImport()
        for name, content in entries.items():
            if not name.startswith("credentials/") or not name.endswith((".json", ".jwt")):
                continue
            meta = manifest.get(name, {})
            tags = [t for t in meta.get("tags", []) if isinstance(t, str)][:MAX_TAGS]
            try:
                item = self.import_credential(account_id, content, source="import", tags=tags)
            except ConflictError:
                result.duplicates.append(name)
                continue
            except CairnError as exc:
                result.refused.append((name, exc.message))
                continue
            result.added.append(item.id)
            for collection in meta.get("collections", []):
                if isinstance(collection, str) and collection.strip():
                    self._join_by_name(account_id, collection, item.id)
        return result

    def _join_by_name(self, account_id: int, name: str, credential_id: str) -> None:
        cleaned = self._collection_name(name[:MAX_COLLECTION_NAME])
        with self.database.transaction() as session:
            wallet = self._wallet(session, account_id)
            repo = WalletRepository(session)
            row = repo.collection_by_name(wallet.id, cleaned) or repo.add_collection(wallet.id, cleaned, self.clock())
            repo.add_member(row.id, credential_id)

    def _read_zip(self, data: bytes) -> dict[str, bytes]:
        if len(data) > self.max_upload_bytes:
            raise InputError(f"the file is larger than the {self.max_upload_bytes:,} bytes this Cairn accepts")
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError):
            raise InputError("this is not a zip file: choose the file 'Download everything' gave you") from None
        infos = [i for i in archive.infolist() if not i.is_dir()]
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InputError(f"the zip holds more than {MAX_ZIP_ENTRIES} files")
        budget = self.max_upload_bytes
        out: dict[str, bytes] = {}
        with archive:
            for info in infos:
                limit = min(budget, max(info.compress_size, 1) * MAX_ZIP_RATIO, 2_000_000)
                if info.file_size > limit:
                    raise InputError(f"{info.filename[:100]} is too large or too compressed to be a credential")
                try:
                    with archive.open(info) as handle:
                        content = handle.read(limit + 1)
                except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError):
                    raise InputError(f"{info.filename[:100]} in the zip cannot be read") from None
                if len(content) > limit:
                    raise InputError(f"{info.filename[:100]} is too large or too compressed to be a credential")
                budget -= len(content)
                out[info.filename] = content
        return out

    def erase(self, account_id: int, confirm_email: str) -> None:
        """Delete the account and every piece of personal data about it (see
        :func:`cairn.store.wallet.repository.erase_account`); ``confirm_email`` must be the account's email. Audit
        entries naming the address (as a whole address) are redacted and the chain re-linked with the instance's key;
        an ``account.erase`` entry records how many.
        ConflictError when the account is the only owner of an organisation (it would be left with nobody to run
        it)."""
        with self.database.transaction() as session:
            repo = WalletRepository(session)
            account = repo.account(account_id)
            if account is None:
                raise NotFoundError("no such account")
            email = account.email.lower()
            if confirm_email.strip().lower() != email:
                raise InputError("type your email address exactly as you sign in with it to confirm")
            memberships = MembershipRepository(session)
            orphaned = [
                organisation.slug
                for membership, organisation in memberships.organisations(account_id)
                if membership.role == "owner" and memberships.count(organisation.id, role="owner") == 1
            ]
            if orphaned:
                raise LastOwnerError(sorted(orphaned))
            erase_account(session, account_id, email)
            redacted = redact_audit(session, email, f"erased-account-{account_id}")
            AuditRepository(session).append(
                at=self.clock(),
                actor=f"account:{account_id}",
                action="account.erase",
                subject=f"account:{account_id}",
                details={"audit_entries_redacted": redacted},
            )
