"""Organisation members with roles, and scoped API tokens, on SQLite and PostgreSQL with a fixed clock."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from cairn.errors import AuthenticationError, ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.services.accounts.service import AccountService, Role, sha256_hex
from cairn.store.database import Database
from cairn.store.tables import ApiTokenRow, OutboxRow
from tests.factories import FixedClock, add_organisation, fast_hasher
from tests.helpers import audit, rows


@pytest.fixture
def service(database: Database, clock: FixedClock) -> AccountService:
    add_organisation(database, clock, "uni", "Uniwersytet")
    add_organisation(database, clock, "other", "Other School")
    return AccountService(database, clock=clock, password_hasher=fast_hasher())


# -- organisations and members --------------------------------------------------------------------


def test_the_first_member_is_the_owner_and_later_ones_viewers(service: AccountService, database: Database) -> None:
    first = service.add_member(organisation="uni", email="Owner@example.org", role="viewer")
    second = service.add_member(organisation="uni", email="viewer@example.org")
    third = service.add_member(organisation="uni", email="issuer@example.org", role=Role.ISSUER, actor="account:1")
    assert (first.role, second.role, third.role) == (Role.OWNER, Role.VIEWER, Role.ISSUER)
    assert [m.email for m in service.members("uni")] == [
        "issuer@example.org",
        "owner@example.org",
        "viewer@example.org",
    ]
    with pytest.raises(ConflictError):
        service.add_member(organisation="uni", email="owner@example.org", role="owner")
    with pytest.raises(InputError):
        service.add_member(organisation="uni", email="x@example.org", role="admin")
    with pytest.raises(NotFoundError):
        service.add_member(organisation="nowhere", email="x@example.org")
    assert [m.to_address for m in rows(database, OutboxRow)] == [
        "owner@example.org",
        "viewer@example.org",
        "issuer@example.org",
    ]
    assert len(audit(database, "member.add")) == 3


def test_roles_grant_in_order_and_other_organisations_do_not_exist(service: AccountService) -> None:
    owner = service.add_member(organisation="uni", email="owner@example.org")
    service.add_member(organisation="uni", email="viewer@example.org", role="viewer")
    service.add_member(organisation="other", email="stranger@example.org")
    viewer = service.find_account("viewer@example.org")
    stranger = service.find_account("stranger@example.org")
    assert viewer is not None
    assert stranger is not None
    access = service.access(account=viewer, organisation="uni", min_role="viewer")
    assert (access.organisation, access.name, access.role) == ("uni", "Uniwersytet", Role.VIEWER)
    with pytest.raises(PermissionDeniedError):
        service.access(account=viewer, organisation="uni", min_role=Role.ISSUER)
    with pytest.raises(NotFoundError) as other:
        service.access(account=stranger, organisation="uni", min_role="viewer")
    with pytest.raises(NotFoundError) as missing:
        service.access(account=stranger, organisation="no-such-org", min_role="viewer")
    assert other.value.message == missing.value.message
    assert (
        service.access(account=service.account(owner.account_id), organisation="uni", min_role="owner").role
        is Role.OWNER
    )
    assert [o.organisation for o in service.organisations_of(stranger)] == ["other"]


def test_an_instance_administrator_acts_as_owner_everywhere(service: AccountService) -> None:
    admin = service.create_account(email="root@example.org", is_admin=True)
    assert service.access(account=admin, organisation="other", min_role="owner").role is Role.OWNER


def test_an_organisation_keeps_an_owner(service: AccountService, database: Database) -> None:
    owner = service.add_member(organisation="uni", email="owner@example.org")
    other = service.add_member(organisation="uni", email="second@example.org", role="issuer")
    with pytest.raises(ConflictError):
        service.change_role(organisation="uni", account_id=owner.account_id, role="viewer", actor="test")
    with pytest.raises(ConflictError):
        service.remove_member(organisation="uni", account_id=owner.account_id, actor="test")
    service.change_role(organisation="uni", account_id=other.account_id, role="owner", actor="test")
    service.change_role(organisation="uni", account_id=owner.account_id, role="viewer", actor="test")
    service.remove_member(organisation="uni", account_id=owner.account_id, actor="test")
    assert [(m.email, m.role) for m in service.members("uni")] == [("second@example.org", Role.OWNER)]
    with pytest.raises(NotFoundError):
        service.change_role(organisation="other", account_id=other.account_id, role="viewer", actor="test")
    (entry, *_) = audit(database, "member.role")
    assert entry.details == {"account": other.account_id, "from": "issuer", "to": "owner"}
    assert len(audit(database, "member.remove")) == 1


# -- API tokens -----------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_only_its_hash_is_stored(service: AccountService, database: Database) -> None:
    new = service.create_token(organisation="uni", name="SIS", scopes=["credentials:issue", "credentials:issue"])
    assert re.fullmatch(r"cairn_[A-Za-z0-9_-]{43}", new.token)
    assert new.info.prefix == new.token[:12]
    assert new.info.scopes == ("credentials:issue",)
    (row,) = rows(database, ApiTokenRow)
    assert row.token_hash == sha256_hex(new.token)
    stored = json.dumps([getattr(row, c.name) for c in ApiTokenRow.__table__.columns], default=str)
    assert new.token not in stored
    assert new.token[12:] not in stored
    (info,) = service.tokens("uni")
    assert not hasattr(info, "token")
    assert info.prefix == new.info.prefix
    (entry,) = audit(database, "token.create")
    assert new.token not in json.dumps(entry.details)
    assert entry.details["prefix"] == new.info.prefix


def test_tokens_authenticate_with_scopes(service: AccountService) -> None:
    new = service.create_token(organisation="uni", name="SIS", scopes=["credentials:issue"])
    principal = service.authenticate_token(new.token, scope="credentials:issue")
    assert (principal.organisation, principal.scopes, principal.actor) == (
        "uni",
        ("credentials:issue",),
        f"token:{new.info.id}",
    )
    with pytest.raises(PermissionDeniedError, match="credentials:status"):
        service.authenticate_token(new.token, scope="credentials:status")
    for wrong in ("", "cairn_" + "A" * 43, new.token + "x", "x" * 1000):
        with pytest.raises(AuthenticationError, match="not valid"):
            service.authenticate_token(wrong, scope="credentials:issue")


def test_expired_and_revoked_tokens_fail(service: AccountService, database: Database, clock: FixedClock) -> None:
    expiring = service.create_token(
        organisation="uni", name="short", scopes=["credentials:read"], expires_at=clock() + timedelta(days=1)
    )
    revoked = service.create_token(organisation="uni", name="old", scopes=["credentials:read"])
    service.revoke_token(organisation="uni", token_id=revoked.info.id, actor="account:1")
    service.revoke_token(organisation="uni", token_id=revoked.info.id, actor="account:1")  # once is enough
    with pytest.raises(AuthenticationError, match="revoked"):
        service.authenticate_token(revoked.token)
    service.authenticate_token(expiring.token)
    clock.advance(days=1)
    with pytest.raises(AuthenticationError, match="expired"):
        service.authenticate_token(expiring.token)
    with pytest.raises(NotFoundError):
        service.revoke_token(organisation="other", token_id=expiring.info.id, actor="account:1")
    assert len(audit(database, "token.revoke")) == 1
    assert [t.active(clock()) for t in service.tokens("uni")] == [False, False]


def test_last_use_is_written_at_most_every_five_minutes(
    service: AccountService, database: Database, clock: FixedClock
) -> None:
    new = service.create_token(organisation="uni", name="SIS", scopes=["credentials:issue"])
    first = clock()
    service.authenticate_token(new.token)
    clock.advance(minutes=4)
    service.authenticate_token(new.token)
    assert service.tokens("uni")[0].last_used_at == first
    clock.advance(minutes=2)
    service.authenticate_token(new.token)
    assert service.tokens("uni")[0].last_used_at == clock()


def test_token_requests_are_checked(service: AccountService, clock: FixedClock) -> None:
    with pytest.raises(InputError, match="scopes"):
        service.create_token(organisation="uni", name="x", scopes=["everything"])
    with pytest.raises(InputError, match="scopes"):
        service.create_token(organisation="uni", name="x", scopes=[])
    with pytest.raises(InputError, match="name"):
        service.create_token(organisation="uni", name=" ", scopes=["credentials:read"])
    with pytest.raises(InputError, match="future"):
        service.create_token(organisation="uni", name="x", scopes=["credentials:read"], expires_at=clock())
    with pytest.raises(NotFoundError):
        service.create_token(organisation="nowhere", name="x", scopes=["credentials:read"])


def test_a_demo_token_of_a_given_value_is_installed_once(service: AccountService) -> None:
    value = "demo-token-for-the-test-harness"
    first = service.install_token(organisation="uni", name="demo", scopes=["credentials:issue"], token=value)
    again = service.install_token(organisation="uni", name="demo", scopes=["credentials:issue"], token=value)
    assert first.id == again.id
    assert len(service.tokens("uni")) == 1
    assert service.authenticate_token(value, scope="credentials:issue").organisation == "uni"
    with pytest.raises(ConflictError):
        service.install_token(organisation="other", name="demo", scopes=["credentials:issue"], token=value)
    with pytest.raises(InputError):
        service.install_token(organisation="uni", name="demo", scopes=["credentials:issue"], token="short")
