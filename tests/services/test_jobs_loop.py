"""The queue's synchronous calls work where an event loop already runs in the thread (an ``async`` route, or a test
session whose browser keeps one running): deferring and running the due jobs move to a helper thread."""

from __future__ import annotations

import asyncio
import threading

from cairn.services.jobs.queue import JobQueue


def test_defer_and_run_pending_where_an_event_loop_runs() -> None:
    jobs = JobQueue.for_database("sqlite://", "sqlite", retry_wait=0)
    ran: list[str] = []
    jobs.task("test.note", lambda: ran.append("ran"), retries=0)
    failures: list[BaseException] = []

    async def inside_a_loop() -> None:
        assert asyncio.get_running_loop() is not None
        jobs.defer("test.note")
        jobs.run_pending()  # asyncio.run() would refuse: this thread runs a loop already

    def in_a_thread_of_its_own() -> None:
        # The test runs its loop in a new thread: the test process's own thread may run one already (the browser
        # the accessibility tests keep open), where asyncio.run() would refuse before the queue is reached.
        try:
            asyncio.run(inside_a_loop())
        except BaseException as error:  # handed back to the test's thread
            failures.append(error)

    thread = threading.Thread(target=in_a_thread_of_its_own)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert failures == []
    assert ran == ["ran"]
    jobs.close()
