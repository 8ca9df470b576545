"""The PostgreSQL test databases are reused, emptied between tests (tests/factories.py ``PostgresServer.lease``):
what one test wrote (jobs it deferred included) is gone for the next, the rows the migrations seed are back,
sequences start again, and a database a test changed the schema of, or that a connection still holds, is not handed
out again."""

from __future__ import annotations

from sqlalchemy import text

from cairn.store.database import Database
from tests.factories import PostgresServer


def _count(db: Database, sql: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar() or 0)


def test_a_database_given_back_is_as_new_for_the_next_test(postgres_server: PostgresServer) -> None:
    url = postgres_server.lease()
    db = Database(url)
    seeded = _count(db, "SELECT revision FROM trust_state WHERE id = 1")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE trust_state SET revision = revision + 7"))
        conn.execute(text("SET LOCAL search_path TO procrastinate, public"))  # as the queue's connections have it
        conn.execute(  # a job this test deferred: it must not run in the next one
            text("INSERT INTO procrastinate_jobs (queue_name, task_name, args) VALUES ('q', 't', '{}')")
        )
        conn.execute(
            text(
                "INSERT INTO organisations (slug, country, type, document, created_at, updated_at)"
                " VALUES ('a', 'PL', 'university', '{}', now(), now())"
            )
        )
    db.dispose()
    postgres_server.give_back(url)

    again = postgres_server.lease()
    assert again == url  # the same database, emptied
    db = Database(again)
    assert _count(db, "SELECT count(*) FROM organisations") == 0
    assert _count(db, "SELECT count(*) FROM procrastinate.procrastinate_jobs") == 0
    assert _count(db, "SELECT revision FROM trust_state WHERE id = 1") == seeded  # the seeded row as migrated
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisations (slug, country, type, document, created_at, updated_at)"
                " VALUES ('b', 'PL', 'university', '{}', now(), now())"
            )
        )
    assert _count(db, "SELECT id FROM organisations") == 1  # the sequence started again
    held = db.engine.connect()  # a connection the test left open: the database is dropped, not reused
    try:
        postgres_server.give_back(again)
    finally:
        held.close()
        db.dispose()
    replacement = postgres_server.lease()
    assert replacement != url
    postgres_server.give_back(replacement)


def test_a_database_whose_schema_a_test_changed_is_not_reused(postgres_server: PostgresServer) -> None:
    url = postgres_server.lease()
    db = Database(url)
    db.downgrade("0019")
    db.dispose()
    postgres_server.give_back(url)
    fresh = postgres_server.lease()
    assert fresh != url
    db = Database(fresh)
    assert _count(db, "SELECT count(*) FROM pg_tables WHERE tablename = 'credential_deferred'") == 1  # at head
    db.dispose()
    postgres_server.give_back(fresh)


def test_a_second_database_in_one_test_is_another_one(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.lease(), postgres_server.lease()
    assert first != second
    postgres_server.give_back(second)
    postgres_server.give_back(first)
    assert postgres_server.lease() == first  # the worker's own, reused
    postgres_server.give_back(first)
