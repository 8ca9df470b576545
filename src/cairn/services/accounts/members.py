"""Organisation members and their roles: owner (members and tokens), issuer (awards), viewer (reads).

The first member of an organisation is always its owner, and an organisation always keeps one.
Authorisation happens at the edges through :meth:`MemberService.access`.
"""

from __future__ import annotations

from cairn.errors import ConflictError, NotFoundError, PermissionDeniedError
from cairn.services.accounts.access import (
    Account,
    Member,
    OrganisationAccess,
    Role,
    ServiceBase,
    normalise_email,
    organisation_name,
    organisation_names,
    parse_role,
)
from cairn.store.accounts.repository import AccountRepository, MembershipRepository
from cairn.store.mail import OutboxRepository

__all__ = ["MemberService"]


class MemberService(ServiceBase):
    """Who belongs to which organisation, in which role."""

    def access(self, *, account: Account, organisation: str, min_role: Role | str) -> OrganisationAccess:
        """What ``account`` may do in ``organisation``: NotFoundError when it is not a member (so another
        organisation's existence does not leak), PermissionDeniedError when its role is below ``min_role``.
        Instance administrators act as owners everywhere."""
        needed = parse_role(str(min_role))
        with self.database.transaction(read_only=True) as session:
            org = self._organisation(session, organisation)
            membership = MembershipRepository(session).get(account_id=account.id, organisation_id=org.id)
            if account.is_admin:
                role = Role.OWNER
            elif membership is None:
                raise NotFoundError("There is nothing at this address.")
            else:
                role = Role(membership.role)
        if not role.covers(needed):
            raise PermissionDeniedError(f"this needs the {needed.value} role in {organisation}; you are {role.value}")
        return OrganisationAccess(organisation, org.id, organisation_name(org), role, account, organisation_names(org))

    def organisations_of(self, account: Account) -> list[OrganisationAccess]:
        """The organisations ``account`` belongs to, with its role in each."""
        with self.database.transaction(read_only=True) as session:
            rows = MembershipRepository(session).organisations(account.id)
            return [
                OrganisationAccess(o.slug, o.id, organisation_name(o), Role(m.role), account, organisation_names(o))
                for m, o in rows
            ]

    def members(self, organisation: str) -> list[Member]:
        """The members of ``organisation``, by email."""
        with self.database.transaction(read_only=True) as session:
            org = self._organisation(session, organisation)
            return [
                Member(a.id, a.email, a.display_name, Role(m.role), m.created_at, a.disabled_at is not None)
                for m, a in MembershipRepository(session).members(org.id)
            ]

    def add_member(
        self, *, organisation: str, email: str, role: Role | str | None = None, actor: str = "cli", notify: bool = True
    ) -> Member:
        """Add ``email`` to ``organisation`` (creating an account without a password when needed). The first
        member of an organisation is always its owner; later ones are viewers unless ``role`` says otherwise.
        With ``notify``, the new member is emailed (through the outbox)."""
        email = normalise_email(email)
        with self.database.transaction() as session:
            org, now = self._organisation(session, organisation), self.clock()
            members, accounts = MembershipRepository(session), AccountRepository(session)
            first = members.count(org.id) == 0
            wanted = Role.OWNER if first else parse_role(str(role or Role.VIEWER))
            account = accounts.by_email(email)
            if account is None:
                account = accounts.add(email=email, password_hash=None, display_name=None, is_admin=False, now=now)
                self._audit(session, actor, "account.create", f"account:{account.id}", {"email": email})
            elif members.get(account_id=account.id, organisation_id=org.id) is not None:
                raise ConflictError(f"{email} is already a member of {organisation}")
            row = members.add(account_id=account.id, organisation_id=org.id, role=wanted.value, now=now)
            details = {"account": account.id, "email": email, "role": wanted.value}
            self._audit(session, actor, "member.add", f"organisation:{organisation}", details)
            if notify:
                body = (
                    f"Hello,\n\nyou are now {wanted.value} of {organisation_name(org)} on Cairn. Sign in at "
                    f"{self.public_url}/sign-in with this email address (ask for a sign-in link if you have no "
                    "password)."
                )
                OutboxRepository(session).enqueue(
                    to=email, subject=f"You joined {organisation_name(org)}", body=body, now=now
                )
            return Member(
                account.id, email, account.display_name, wanted, row.created_at, account.disabled_at is not None
            )

    def change_role(self, *, organisation: str, account_id: int, role: Role | str, actor: str) -> None:
        """Give a member another role; ConflictError when that would leave the organisation without an owner."""
        new = parse_role(str(role))
        with self.database.transaction() as session:
            org, members = self._organisation(session, organisation), MembershipRepository(session)
            row = members.get(account_id=account_id, organisation_id=org.id)
            if row is None:
                raise NotFoundError("no such member")
            old = row.role
            if old == Role.OWNER and new != Role.OWNER and members.count(org.id, role=Role.OWNER) == 1:
                raise ConflictError("an organisation needs an owner: make someone else owner first")
            row.role = new.value
            details = {"account": account_id, "from": old, "to": new.value}
            self._audit(session, actor, "member.role", f"organisation:{organisation}", details)

    def remove_member(self, *, organisation: str, account_id: int, actor: str) -> None:
        """Remove a member; ConflictError for the last owner."""
        with self.database.transaction() as session:
            org, members = self._organisation(session, organisation), MembershipRepository(session)
            row = members.get(account_id=account_id, organisation_id=org.id)
            if row is None:
                raise NotFoundError("no such member")
            if row.role == Role.OWNER and members.count(org.id, role=Role.OWNER) == 1:
                raise ConflictError("an organisation needs an owner: make someone else owner first")
            members.remove(row)
            details = {"account": account_id, "role": row.role}
            self._audit(session, actor, "member.remove", f"organisation:{organisation}", details)
