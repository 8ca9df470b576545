"""Migrations: from empty to head and back, on SQLite and PostgreSQL, and in step with the tables."""

from __future__ import annotations

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
