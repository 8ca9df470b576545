"""Migrations: from empty to head and back, on SQLite and PostgreSQL, and in step with the tables."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from cairn.store.database import Database
from cairn.store.tables import Base


def test_upgrade_from_empty_creates_every_table(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    assert db.current_revision() is None
    assert not db.is_current()
    db.upgrade()
    assert db.is_current()
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert {"organisations", "definitions", "definition_versions", "learners", "awards", "keys"} <= tables
    assert {"status_lists", "audit_log"} <= tables
    db.dispose()


def test_downgrade_to_base_and_up_again(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    db.upgrade()
    db.downgrade("base")
    assert db.current_revision() is None
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.upgrade()
    assert db.is_current()
    db.dispose()


def test_migrations_match_the_tables(empty_database_url: str) -> None:
    db = Database(empty_database_url)
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], "tables.py and the migrations disagree; add a migration"
    db.dispose()


def test_upgrade_twice_is_harmless(database: Database) -> None:
    database.upgrade()
    assert database.is_current()


def test_accounts_made_before_sign_up_count_as_verified(empty_database_url: str) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import text

    database = Database(empty_database_url)
    try:
        database.upgrade("0004")
        made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        with database.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO accounts (email, password_hash, is_admin, created_at) "
                    "VALUES ('operator@example.org', 'x', false, :made)"
                ),
                {"made": made},
            )
        database.upgrade()
        with database.transaction() as session:
            verified = session.execute(
                text("SELECT email_verified_at FROM accounts WHERE email = 'operator@example.org'")
            ).scalar_one()
        assert verified is not None
    finally:
        database.dispose()


def test_stored_wallet_credentials_are_matched_to_their_holder(empty_database_url: str) -> None:
    """0006 sets ``holder_match`` of credentials stored before it by the rule new ones follow."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import JSON, String, column, select, table
    from sqlalchemy.dialects.postgresql import JSONB

    made = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def subject(email: str) -> dict[str, object]:
        digest = "sha256$" + hashlib.sha256(f"{email}pepper".encode()).hexdigest()
        identity = {"identityType": "emailAddress", "hashed": True, "identityHash": digest, "salt": "pepper"}
        return {"credentialSubject": {"identifier": [identity]}}

    documents = {
        "ada-own": ("upload", subject("ada@example.org")),
        "bobs": ("upload", subject("bob@example.org")),
        "by-did": ("paste", {"credentialSubject": {"id": "did:key:z6MkAda"}}),
        "claimed": ("claim", subject("ada.old@example.org")),
        "nobody": ("upload", {"credentialSubject": {"achievement": {"name": "x"}}}),
    }
    credentials = table(
        "wallet_credentials",
        *(column(n) for n in ("id", "wallet_id", "content_hash", "format", "source", "original", "title")),
        *(column(n) for n in ("status", "checked_at", "added_at", "search_text", "public")),
        *(column(n, JSON().with_variant(JSONB(), "postgresql")) for n in ("document", "report", "tags")),
    )
    database = Database(empty_database_url)
    try:
        database.upgrade("0005")
        with database.transaction() as session:
            accounts = table("accounts", *(column(n) for n in ("id", "email", "is_admin", "created_at")))
            accounts.append_column(column("email_verified_at"))
            session.execute(
                accounts.insert().values(
                    id=1, email="ada@example.org", is_admin=False, created_at=made, email_verified_at=made
                )
            )
            wallets = table(
                "wallets",
                *(column(n) for n in ("id", "account_id", "did", "private_key_encrypted", "profile_public")),
                column("created_at"),
            )
            session.execute(
                wallets.insert().values(
                    id=1,
                    account_id=1,
                    did="did:key:z6MkAda",
                    private_key_encrypted=b"x",
                    profile_public=False,
                    created_at=made,
                )
            )
            for number, (name, (source, document)) in enumerate(documents.items()):
                session.execute(
                    credentials.insert().values(
                        id=name,
                        wallet_id=1,
                        content_hash=f"{number:064d}",
                        format="ob3",
                        source=source,
                        original="{}",
                        title=name,
                        status="valid",
                        checked_at=made,
                        added_at=made,
                        search_text="",
                        public=True,
                        document=document,
                        report={},
                        tags={},
                    )
                )
        database.upgrade()
        with database.transaction() as session:
            query = select(column("id", String), column("holder_match", String)).select_from(credentials)
            found = {str(name): str(match) for name, match in session.execute(query)}
        assert found == {
            "ada-own": "holder",
            "bobs": "someone-else",
            "by-did": "holder",
            "claimed": "holder",
            "nobody": "unknown",
        }
    finally:
        database.dispose()


def test_0020_keeps_the_tokens_and_copies_of_existing_offers_on_sqlite(tmp_path: Path) -> None:
    """SQLite rebuilds credential_offers to let award_id be NULL; with foreign keys on, dropping the old table
    would cascade to the offers' tokens and issued copies. They are kept, up and down."""
    import sqlite3

    from sqlalchemy import text

    path = tmp_path / "cairn.db"
    database = Database(f"sqlite:///{path}")
    database.upgrade("0019")
    raw = sqlite3.connect(path)  # foreign keys off: minimal parents for the offer
    for table in ("accounts", "awards"):
        required = [r[1] for r in raw.execute(f"PRAGMA table_info({table})") if r[3] and r[4] is None]
        values = [
            1 if c == "id" and table == "accounts" else "2026-01-01" if c.endswith("_at") else 0 for c in required
        ]
        if table == "awards":
            values[required.index("id")] = "a"
        raw.execute(f"INSERT INTO {table} ({', '.join(required)}) VALUES ({', '.join('?' * len(required))})", values)
    raw.executescript(
        "INSERT INTO credential_offers (id, award_id, account_id, handle_hash, code_hash, tx_code_hash, tx_tries,"
        " configurations, created_at, expires_at)"
        " VALUES (1, 'a', 1, 'h', 'c', 't', 0, 'x', '2026-01-01', '2026-01-01');"
        "INSERT INTO credential_offer_tokens (id, offer_id, token_hash, created_at, expires_at, issued)"
        " VALUES (1, 1, 'tk', '2026-01-01', '2026-01-01', 0);"
        "INSERT INTO credential_offer_issued (id, token_id, notification_id, configuration, count, created_at)"
        " VALUES (1, 1, 'n', 'c', 1, '2026-01-01');"
    )
    raw.close()

    def kept() -> tuple[int, ...]:
        with database.engine.connect() as conn:
            tables = ("credential_offers", "credential_offer_tokens", "credential_offer_issued")
            return tuple(int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() or 0) for t in tables)

    database.upgrade()
    assert kept() == (1, 1, 1)
    database.downgrade("0019")
    assert kept() == (1, 1, 1)
    database.dispose()
