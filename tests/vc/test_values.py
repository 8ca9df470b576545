"""parse_time and nests_deeper_than: the shared readers of untrusted values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from cairn.vc.values import nests_deeper_than, parse_time


def test_times_need_a_time_zone() -> None:
    assert parse_time("2026-05-04T09:30:00Z") == datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    assert parse_time("2026-05-04T11:30:00+02:00") == datetime(2026, 5, 4, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    assert parse_time("2026-05-04T09:30:00") is None
    assert parse_time("yesterday") is None
    assert parse_time(1_777_777_777) is None
    assert parse_time("2026-05-04T09:30:00Z" + " " * 100) is None


def test_nesting_is_counted_from_the_outermost_container() -> None:
    def nest(levels: int) -> object:
        value: object = "leaf"
        for i in range(levels):
            value = [value] if i % 2 else {"k": value}
        return value

    assert not nests_deeper_than(nest(64), 64)
    assert nests_deeper_than(nest(65), 64)
    assert nests_deeper_than(nest(100_000), 64)  # bounded: stops at the limit, never hits the recursion limit
    assert not nests_deeper_than("text", 0)
