"""Injected faults of the Entra emulator: errors and delays queued per route.

A :class:`Fault` delays a request, answers it with an error shaped like the route's real
service (or a body of the test's choosing), or both. Faults of one route apply in the order
they were added; each lasts a number of requests, or until the queue is cleared.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._http import Reply, app_service_error, identity_error, oauth_error

__all__ = ["UNTIL_RESET", "Fault", "FaultQueue"]

#: ``times`` of a fault that lasts until the queue is cleared.
UNTIL_RESET = -1


@dataclass
class Fault:
    """What happens to the next ``remaining`` requests of a route (``-1``: every one)."""

    status: int | None
    remaining: int
    retry_after: int | None
    delay: float
    body: Mapping[str, Any] | None

    @classmethod
    def checked(
        cls,
        *,
        status: int | None,
        times: int,
        retry_after: int | None,
        delay: float,
        body: Mapping[str, Any] | None,
    ) -> Fault:
        """A fault from ``EntraEmulator.fail``'s arguments.

        Raises:
            ValueError: impossible settings.
        """
        if times == 0 or times < UNTIL_RESET:
            raise ValueError("times must be a positive count, or -1 for until reset()")
        if status is not None and not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if delay < 0:
            raise ValueError("delay cannot be negative")
        return cls(status, times, retry_after, delay, dict(body) if body else None)

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the normal answer (rather than only delaying it)."""
        return self.status is not None and (self.status != 200 or self.body is not None)

    def reply(self, route: str) -> Reply:
        """The answer: the fault's body, else an error shaped like the route's service."""
        status = self.status if self.status is not None else 503
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        if self.body is not None:
            return Reply(status, dict(self.body), headers)
        if route == "imds":
            reply = identity_error(status, "service_unavailable", "Emulated IMDS fault.")
        elif route == "app_service":
            reply = app_service_error(status, "Emulated App Service fault.")
        else:
            description = f"AADSTS50000: Emulated fault on route '{route}' (HTTP {status})."
            reply = oauth_error(status, "temporarily_unavailable", description, 50000)
        reply.headers.update(headers)
        return reply


class FaultQueue:
    """The faults waiting, per route; safe to use from the servers' threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, list[Fault]] = {}

    def add(self, route: str, fault: Fault) -> None:
        """Queue ``fault`` behind the route's others."""
        with self._lock:
            self._faults.setdefault(route, []).append(fault)

    def take(self, route: str) -> Fault | None:
        """The fault for the route's next request, counting it used; ``None`` if none waits."""
        with self._lock:
            queue = self._faults.get(route)
            if not queue:
                return None
            fault = queue[0]
            if fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    queue.pop(0)
            return fault

    def clear(self) -> None:
        """Drop every fault."""
        with self._lock:
            self._faults.clear()
