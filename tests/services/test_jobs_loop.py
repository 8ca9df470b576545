"""The queue's synchronous calls work where an event loop already runs in the thread (an ``async`` route, or a test
session whose browser keeps one running): deferring and running the due jobs move to a helper thread."""

from __future__ import annotations

import asyncio

from cairn.services.jobs.queue import JobQueue


def test_defer_and_run_pending_where_an_event_loop_runs() -> None:
    jobs = JobQueue.for_database("sqlite://", "sqlite", retry_wait=0)
    ran: list[str] = []
    jobs.task("test.note", lambda: ran.append("ran"), retries=0)

    async def inside_a_loop() -> None:
        jobs.defer("test.note")
        jobs.run_pending()  # asyncio.run() would refuse: this thread runs a loop already

    asyncio.run(inside_a_loop())
    assert ran == ["ran"]
    jobs.close()
