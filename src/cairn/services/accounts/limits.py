"""Rate limits counted in the database, so that every process of an instance shares them, and the client
*network* they count by (an IPv4 address, an IPv6 /64).

A :class:`SharedLimiter` allows at most ``limit`` hits per key within a sliding ``window``. Each hit is a row
(:mod:`cairn.store.limits`) holding only the SHA-256 of the limiter's name and the key; :meth:`SharedLimiter.take`
checks and counts in one transaction under a per-key lock, so concurrent attempts on several processes cannot all
pass on the same count. There is no in-memory fast path: every check reads the database (one indexed count), which
costs far less than the argon2 hash it guards. Rows stop counting after their window and are deleted then, by the
key's next hit and by the hourly purge of every expired row (:func:`cairn.services.accounts.purge.purge`, a job).

The sign-in policy built on these (who is counted, who is stopped, who is only slowed down) is
:class:`~cairn.services.accounts.service.AccountService`'s; docs/people.md explains it.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from cairn.services.accounts.access import sha256_hex
from cairn.store.database import Database
from cairn.store.limits import RateLimitRepository

__all__ = ["SharedLimiter", "client_network"]
"""How often (at most) one limiter deletes every expired hit of every key."""


def client_network(address: str) -> str:
    """What the limits count a client by: an IPv4 address as it is, an IPv4-mapped IPv6 address as its IPv4
    address, any other IPv6 address as its /64 (one subscriber's network: a host holding one can use any of its
    2^64 addresses). Anything else (``unknown``, a test client's name) is kept as it is."""
    try:
        ip = ipaddress.ip_address(address.strip().split("%", 1)[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class SharedLimiter:
    """At most ``limit`` hits per key within ``window``, counted in ``database`` (shared by every process).
    ``name`` keeps the keys of one limiter apart from another's."""

    def __init__(
        self,
        database: Database,
        *,
        name: str,
        limit: int,
        window: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.database, self.name, self.limit, self.window, self.clock = database, name, limit, window, clock

    def _key(self, key: str) -> str:
        return sha256_hex(f"{self.name}\n{key}")

    def _wait(self, oldest: datetime | None, now: datetime) -> int:
        if oldest is None:
            return 1
        return max(1, math.ceil((oldest + self.window - now).total_seconds()))

    def count(self, key: str) -> int:
        """How many hits ``key`` has in the window now."""
        now = self.clock()
        with self.database.transaction(read_only=True) as session:
            return RateLimitRepository(session).live(self._key(key), now - self.window)[0]

    def retry_after(self, key: str) -> int | None:
        """Seconds until ``key`` may try again, or None when it may try now."""
        now = self.clock()
        with self.database.transaction(read_only=True) as session:
            count, oldest = RateLimitRepository(session).live(self._key(key), now - self.window)
        return None if count < self.limit else self._wait(oldest, now)

    def take(self, key: str) -> int | None:
        """Count one hit of ``key`` if it may try now and return None; otherwise count nothing and return the
        seconds until it may. The check and the hit are one step for every process."""
        now, hashed = self.clock(), self._key(key)
        with self.database.transaction() as session:
            hits = RateLimitRepository(session)
            hits.lock(hashed)
            count, oldest = hits.live(hashed, now - self.window)
            if count >= self.limit:
                return self._wait(oldest, now)
            hits.add(hashed, at=now, expires_at=now + self.window)
        return None

    def hit(self, key: str) -> None:
        """Count one hit of ``key`` whatever its count."""
        now, hashed = self.clock(), self._key(key)
        with self.database.transaction() as session:
            RateLimitRepository(session).add(hashed, at=now, expires_at=now + self.window)

    def reset(self, key: str) -> None:
        """Forget ``key`` (after a successful sign-in)."""
        with self.database.transaction() as session:
            RateLimitRepository(session).clear(self._key(key))
