"""Routes and dispatch of the Entra emulator: which route a request is for, and who answers.

:func:`route_of` names the route of a request (see :data:`ROUTES`); :class:`Router` counts
it, applies the route's next injected fault (:mod:`._faults`), and runs the route's handler.
:func:`route_handlers` binds every route to its handler for one emulator.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from . import _discovery
from ._faults import Fault, FaultQueue
from ._http import Reply, Request
from ._managed_identity import Identity, app_service_reply, imds_reply
from ._standins import standin_token_reply
from ._token_endpoint import TokenEndpoint
from ._tokens import Issuer

__all__ = ["ROUTES", "RouteHandler", "Routed", "Router", "route_handlers", "route_of"]

# The emulator's logger, so that log configuration keyed on it covers the routes.
logger = logging.getLogger("azlogin.testing.emulator")

#: Route names, as counted in ``EntraEmulator.requests`` and accepted by ``fail()``.
ROUTES = frozenset(
    {
        "openid-configuration",
        "token",
        "devicecode",
        "instance-discovery",
        "jwks",
        "cli",
        "imds",
        "app_service",
        "arm",
        "other",
    }
)

# (route, method, path after the tenant) on the HTTPS server.
_ENTRA_PATHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("openid-configuration", "GET", ("v2.0", ".well-known", "openid-configuration")),
    ("openid-configuration", "GET", (".well-known", "openid-configuration")),
    ("token", "POST", ("oauth2", "v2.0", "token")),
    ("token", "POST", ("oauth2", "token")),
    ("devicecode", "POST", ("oauth2", "v2.0", "devicecode")),
    ("devicecode", "POST", ("oauth2", "devicecode")),
    ("instance-discovery", "GET", ("discovery", "instance")),
    ("jwks", "GET", ("discovery", "v2.0", "keys")),
    ("jwks", "GET", ("discovery", "keys")),
)
# (route, method, whole path) on the plain HTTP server.
_IDENTITY_PATHS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("imds", "GET", ("metadata", "identity", "oauth2", "token")),
    ("app_service", "GET", ("msi", "token")),
)
_STANDIN_PATH = ("_standin", "token")
# The Azure Resource Manager calls `az login` makes after it has a token.
_ARM_COLLECTIONS = frozenset({"subscriptions", "tenants"})

RouteHandler = Callable[[Request], Reply]


def route_of(request: Request, server: str) -> str:
    """The route ``request`` is for on ``server`` (``"entra"`` or ``"identity"``)."""
    if server == "entra":
        if request.method == "POST" and request.parts == _STANDIN_PATH:
            return "cli"
        if request.method == "GET" and request.parts[:1] and request.tenant in _ARM_COLLECTIONS:
            return "arm"
        for route, method, suffix in _ENTRA_PATHS:
            if request.method == method and request.parts[1:] == suffix and request.tenant:
                return route
    else:
        for route, method, path in _IDENTITY_PATHS:
            if request.method == method and request.parts == path:
                return route
    return "other"


class Routed(Issuer, Protocol):
    """What the routes read from the emulator, beyond what the token grants read."""

    subscription_id: str
    identity_header: str

    @property
    def identities(self) -> Sequence[Identity]:
        """The managed identities, the system-assigned one first."""
        ...


def route_handlers(emulator: Routed, tokens: TokenEndpoint) -> dict[str, RouteHandler]:
    """Every route's handler for ``emulator``, whose token grants ``tokens`` answers."""

    def identity_token(resource: str, identity: Identity) -> tuple[str, int]:
        return emulator.mint_token(
            resource=resource,
            tenant_id=emulator.tenant_id,
            oid=identity.object_id,
            appid=identity.client_id,
            extra_claims={"idtyp": "app"},
        )

    return {
        "openid-configuration": lambda r: _discovery.openid_configuration(emulator.authority, r),
        "token": tokens.token,
        "devicecode": tokens.devicecode,
        "instance-discovery": lambda r: _discovery.instance_discovery(emulator.authority, r),
        "jwks": _discovery.jwks,
        "cli": lambda r: standin_token_reply(r, emulator),
        "imds": lambda r: imds_reply(
            r, emulator.identities, identity_token, emulator.token_lifetime
        ),
        "app_service": lambda r: app_service_reply(
            r, emulator.identities, identity_token, emulator.identity_header
        ),
        "arm": lambda r: _discovery.arm(emulator.tenant_id, emulator.subscription_id, r),
        "other": _discovery.not_found,
    }


class Router:
    """Counts requests per route, applies faults, and dispatches to the routes' handlers.

    Args:
        handlers: The handler of every route in :data:`ROUTES`.
        summarize: The non-secret summary of a token request, for :attr:`token_requests`.
    """

    def __init__(
        self, handlers: Mapping[str, RouteHandler], summarize: Callable[[Request], dict[str, str]]
    ) -> None:
        self._handlers = handlers
        self._summarize = summarize
        self._lock = threading.Lock()
        self.faults = FaultQueue()
        #: Requests received per route name.
        self.requests: collections.Counter[str] = collections.Counter()
        #: One entry per token endpoint request, non-secret fields only.
        self.token_requests: list[dict[str, str]] = []
        #: ``(time.monotonic() when answered, route, status)`` of every request, in order.
        self.request_log: list[tuple[float, str, int]] = []

    def add_fault(self, route: str, fault: Fault) -> None:
        """Queue ``fault`` on ``route`` (see ``EntraEmulator.fail``).

        Raises:
            ValueError: unknown route.
        """
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; expected one of {sorted(ROUTES)}")
        self.faults.add(route, fault)

    def reset(self) -> None:
        """Clear the counters, the recorded token requests and the faults."""
        with self._lock:
            self.requests.clear()
            self.token_requests.clear()
            self.request_log.clear()
            self.faults.clear()

    def dispatch(self, request: Request, server: str) -> Reply:
        """Count the request, apply any fault, and run the route's handler."""
        route = route_of(request, server)
        with self._lock:
            self.requests[route] += 1
            if route == "token":
                self.token_requests.append(self._summarize(request))
            fault = self.faults.take(route)
        if fault is not None and fault.delay > 0:
            time.sleep(fault.delay)  # the emulated service is slow: real time passes
        reply = fault.reply(route) if fault is not None and fault.answers else None
        if reply is None:
            reply = self._handlers[route](request)
        logger.debug("emulator route %s answered %d", route, reply.status)
        with self._lock:
            self.request_log.append((time.monotonic(), route, reply.status))
        return reply
