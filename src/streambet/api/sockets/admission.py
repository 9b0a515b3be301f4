"""Caps on open WebSockets, per worker process: in all, per client address, and anonymous.

A socket takes a ticket before its upgrade is answered and gives it back when it closes,
so a refusal is an ordinary HTTP answer (503 when the worker is full, 429 when one address
or the anonymous pool is) and never a socket opened and then dropped. A browser page cannot
prove who it is until after the upgrade (it sends its token as the first message), so it
takes an anonymous ticket and moves to the authenticated side once its token checks out;
the anonymous cap therefore keeps `total - anonymous` sockets for pages that log in.
"""

from __future__ import annotations

import resource
import threading
from collections import Counter
from dataclasses import dataclass

RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Limits:
    total: int
    per_address: int
    anonymous: int


@dataclass(frozen=True)
class Refusal:
    status: int  # 503: this worker is full; 429: this address or the anonymous pool is
    code: str
    message: str
    limit: int
    retry_after: int = RETRY_AFTER_SECONDS


def descriptor_budget(total: int) -> int:
    """`total`, or fewer if the process's file-descriptor limit could not hold them: a
    quarter of the descriptors stays for HTTP connections, the database and files, because
    a worker that runs out cannot even accept the next request. `streambet serve` raises
    the soft limit to the hard one (server.raise_descriptor_limit)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return total
    return max(0, min(total, soft * 3 // 4))


class Ticket:
    """One admitted socket's place; `release` is idempotent."""

    def __init__(self, admission: Admission, address: str, authenticated: bool) -> None:
        self._admission = admission
        self.address = address
        self.authenticated = authenticated
        self.released = False

    def set_authenticated(self, authenticated: bool) -> None:
        self._admission._move(self, authenticated)

    def release(self) -> None:
        self._admission._release(self)


class Admission:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._total = 0
        self._anonymous = 0
        self._by_address: Counter[str] = Counter()

    def admit(self, address: str, *, authenticated: bool) -> Ticket | Refusal:
        lim = self.limits
        with self._lock:
            if self._total >= lim.total:
                return Refusal(
                    503,
                    "too_many_websockets",
                    "This server has no room for another live-updates socket; the page"
                    " refreshes by itself until it has.",
                    lim.total,
                )
            if self._by_address[address] >= lim.per_address:
                return Refusal(
                    429,
                    "too_many_websockets_from_address",
                    "Too many live-updates sockets are open from your address.",
                    lim.per_address,
                )
            if not authenticated and self._anonymous >= lim.anonymous:
                return Refusal(
                    429,
                    "too_many_anonymous_websockets",
                    "Too many anonymous live-updates sockets are open; log in, or wait.",
                    lim.anonymous,
                )
            self._total += 1
            self._by_address[address] += 1
            if not authenticated:
                self._anonymous += 1
            return Ticket(self, address, authenticated)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {
                "sockets": self._total,
                "anonymous": self._anonymous,
                "addresses": len(self._by_address),
            }

    def _move(self, ticket: Ticket, authenticated: bool) -> None:
        """An anonymous socket that authenticated (or the reverse) changes pools; going
        back to anonymous may overfill that pool, which then only refuses newcomers."""
        with self._lock:
            if ticket.released or ticket.authenticated == authenticated:
                return
            ticket.authenticated = authenticated
            self._anonymous += -1 if authenticated else 1

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket.released:
                return
            ticket.released = True
            self._total -= 1
            if not ticket.authenticated:
                self._anonymous -= 1
            self._by_address[ticket.address] -= 1
            if self._by_address[ticket.address] <= 0:
                del self._by_address[ticket.address]
