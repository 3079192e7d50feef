"""When to refresh a cached token, and what to do after a fetch: the pure part of the engine.

The sync (:mod:`azlogin._engine.sync`) and asyncio (:mod:`azlogin._engine.aio`) engines
share everything here and in :class:`azlogin._engine.core.EngineCore`; they only add
waiting and running the fetch.

Two thresholds, in the manner of botocore's refreshable credentials:

- from ``refresh_at`` (the token's ``refresh_on``, or ``advisory_margin`` before expiry,
  whichever is first) a token is *stale*: it is still served, and one caller starts a refresh
  in the background;
- from ``usable_until`` (``mandatory_margin`` before expiry) it is *expired*: callers wait for
  the one fetch in flight.

A failed refresh backs off exponentially with jitter, never sooner than the error's
Retry-After; while the cached token is usable it keeps being served.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from .._config.timings import RefreshPolicy
from .._logs import Logger

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo

__all__ = [
    "Action",
    "Decision",
    "Entry",
    "Failure",
    "RefreshPolicy",
    "Token",
    "as_auth_error",
    "as_token",
    "auth_error",
    "bounded",
    "checked_token",
    "decide",
    "log_failure",
    "next_action",
    "on_failure",
    "on_success",
    "refresh_due_at",
    "refresh_point",
    "retry_after",
]

_LOGGER = Logger("azlogin.tokens")


class Decision(enum.Enum):
    FRESH = "fresh"  # serve the cached token
    STALE = "stale"  # serve it; start a background refresh if none is running and backoff allows
    EXPIRED = "expired"  # no usable token: wait for the fetch
    BACKING_OFF = "backing off"  # no usable token and the last fetch failed too recently: raise


class Token(NamedTuple):
    """A token as the engine and the stores keep it: the fields of azure-core's
    ``AccessTokenInfo``, in a type that needs no azure-core (a token read from a store is
    served without importing it until a caller asks for azure-core's types). Its repr hides
    the token."""

    token: str
    expires_on: int
    refresh_on: Optional[int] = None  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    token_type: str = "Bearer"  # noqa: S105 - the token type, not a secret

    def __repr__(self) -> str:
        return f"Token(<hidden>, expires_on={self.expires_on}, refresh_on={self.refresh_on})"


class Entry:
    """A cached token and when to act on it. ``token`` and ``access_token`` are the
    azure-core objects a credential hands out, made (and azure-core imported) at their first
    use, then read as plain attributes by the fast path."""

    def __init__(self, raw: Token, refresh_at: float, usable_until: float) -> None:
        self.raw = raw
        self.refresh_at = refresh_at
        self.usable_until = usable_until

    @functools.cached_property
    def token(self) -> AccessTokenInfo:
        from .served import ServedTokenInfo

        raw = self.raw
        return ServedTokenInfo(
            raw.token, raw.expires_on, refresh_on=raw.refresh_on, token_type=raw.token_type
        )

    @functools.cached_property
    def access_token(self) -> AccessToken:
        from .served import ServedAccessToken

        return ServedAccessToken(self.raw.token, self.raw.expires_on)


class Failure(NamedTuple):
    """The failed fetches since the last success for one key: when to try again, and why."""

    next_attempt_at: float
    attempts: int
    """How many fetches failed in a row."""
    last_error: BaseException


class Action(enum.Enum):
    """What a caller on the slow path does, given the entry and any fetch in flight."""

    SERVE = "serve the cached token"
    SERVE_AND_REFRESH = "start a background refresh, serve the cached token"
    RAISE = "raise the last error (backing off)"
    WAIT = "wait for the fetch in flight"
    START_AND_WAIT = "start a fetch and wait for it"


def next_action(
    entry: Entry | None,
    failure: Failure | None,
    now: float,
    flight_started: float | None,
    timeout: float | None,
) -> Action:
    """The slow path's decision, shared by the sync and asyncio engines.

    A fetch in flight for longer than ``timeout`` is abandoned (its caller gave up) and a new
    one starts."""
    decision = decide(entry, failure, now)
    if decision is Decision.FRESH:
        return Action.SERVE
    if decision is Decision.STALE:
        due = failure is None or now >= failure.next_attempt_at
        return Action.SERVE_AND_REFRESH if flight_started is None and due else Action.SERVE
    if decision is Decision.BACKING_OFF and flight_started is None:
        return Action.RAISE
    if flight_started is None or (timeout is not None and now - flight_started > timeout):
        return Action.START_AND_WAIT
    return Action.WAIT


def decide(entry: Entry | None, failure: Failure | None, now: float) -> Decision:
    if entry is not None and now < entry.usable_until:
        return Decision.FRESH if now < entry.refresh_at else Decision.STALE
    if failure is not None and now < failure.next_attempt_at:
        return Decision.BACKING_OFF
    return Decision.EXPIRED


def as_token(fetched: Any) -> Token | None:
    """A fetched token (azure-core's ``AccessTokenInfo`` or ``AccessToken``, or a
    :class:`Token`) as a :class:`Token`; None without a token string or a numeric expiry."""
    value = getattr(fetched, "token", None)
    expires_on = getattr(fetched, "expires_on", None)
    if not isinstance(value, str) or not value:
        return None
    if not isinstance(expires_on, (int, float)) or isinstance(expires_on, bool):
        return None
    refresh_on = getattr(fetched, "refresh_on", None)
    if not isinstance(refresh_on, (int, float)) or isinstance(refresh_on, bool):
        refresh_on = None
    token_type = getattr(fetched, "token_type", None)
    return Token(
        value,
        int(expires_on),
        int(refresh_on) if refresh_on else None,
        token_type if isinstance(token_type, str) and token_type else "Bearer",
    )


def checked_token(fetched: Any, now: float, source: str) -> Token:
    """The fetched token, or ClientAuthenticationError when it cannot be used or cached."""
    value = getattr(fetched, "token", None)
    if not isinstance(value, str) or not value:
        raise auth_error(f"{source} returned no access token.")
    token = as_token(fetched)
    if token is None:
        raise auth_error(f"{source} returned a token without an expiry time.")
    if token.expires_on <= now:
        raise auth_error(
            f"{source} returned a token that expired {now - token.expires_on:.0f} s ago; check "
            "the clocks of this machine and of the identity provider."
        )
    return token


def bounded(token: Token, now: float, policy: RefreshPolicy) -> Token:
    """The token as azlogin serves and stores it: its expiry capped at ``policy.max_lifetime``
    from now, and ``refresh_on`` set to when it becomes stale (:func:`refresh_point`), so
    every process that reads it from a shared store refreshes it at the same moment."""
    expires_on = min(token.expires_on, int(now + policy.max_lifetime))
    refresh_on = refresh_point(expires_on, token.refresh_on, now, policy)
    if expires_on == token.expires_on and refresh_on == token.refresh_on:
        return token
    return token._replace(expires_on=expires_on, refresh_on=refresh_on)


def refresh_point(
    expires_on: int, refresh_on: int | None, now: float, policy: RefreshPolicy
) -> int:
    """When a token fetched ``now`` becomes stale: the advisory margin before expiry, but at
    most a fifth of its life for a short-lived one (a 60-second token is refreshed after 48 s,
    not at once), or the identity provider's ``refresh_on`` if that is earlier."""
    margin = min(policy.advisory_margin, (expires_on - now) / 5)
    point = int(expires_on - margin)
    return min(point, refresh_on) if refresh_on else point


def refresh_due_at(token: Token, policy: RefreshPolicy) -> float:
    """When a stored token becomes stale: the ``refresh_on`` :func:`bounded` gave it (for a
    token stored by an older version: the advisory margin before expiry)."""
    if token.refresh_on:
        return token.refresh_on
    return token.expires_on - policy.advisory_margin


def on_success(token: Token, now: float, policy: RefreshPolicy) -> Entry:
    token = bounded(token, now, policy)
    lifetime = token.expires_on - now
    # A request needs time to use the token: stop serving it a little before it expires
    # (a tenth of its life for a short-lived one).
    usable_until = token.expires_on - min(policy.mandatory_margin, lifetime / 10)
    refresh_at = refresh_due_at(token, policy)
    # Never stale at once: a refresh the moment a token arrives would refresh on every call.
    refresh_at = max(refresh_at, min(now + policy.min_refresh_interval, usable_until))
    return Entry(token, refresh_at, usable_until)


def on_failure(
    failure: Failure | None,
    error: BaseException,
    now: float,
    policy: RefreshPolicy,
    jitter: Callable[[], float],
) -> Failure:
    """The failure record after a failed fetch: when to try again."""
    failures = (failure.attempts if failure else 0) + 1
    delay = min(policy.backoff_max, policy.backoff_base * 2 ** (failures - 1))
    delay *= 0.5 + jitter() / 2  # "equal jitter": between half and all of the delay
    wait = retry_after(error)
    if wait is not None:
        delay = max(delay, wait)
    return Failure(now + delay, failures, error)


def retry_after(error: BaseException) -> float | None:
    """Seconds from a Retry-After header on the failed response (429 or 503), if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        status = getattr(response, "status_code", None)
        headers = getattr(response, "headers", None)
        if status in (429, 503) and headers is not None:
            value = headers.get("Retry-After") or headers.get("retry-after")
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                pass
        current = current.__cause__ or current.__context__
    return None


def log_failure(
    name: str, entry: Entry | None, failure: Failure, error: BaseException, now: float
) -> None:
    """Log a failed fetch: never silently, never with a secret (errors carry none)."""
    if entry is not None and now < entry.usable_until:
        _LOGGER.warning(
            "%s: token refresh failed (%s); still serving the cached token, valid for "
            "%.0f s more; next attempt in %.1f s",
            name,
            describe(error),
            entry.raw.expires_on - now,
            failure.next_attempt_at - now,
        )
    else:
        _LOGGER.warning("%s: token request failed: %s", name, describe(error))


def describe(error: BaseException) -> str:
    """The first line of an error's message."""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return str(message).splitlines()[0]


def auth_error(message: str) -> Exception:
    """azure-core's ClientAuthenticationError (imported here: only a failure needs it)."""
    from azure.core.exceptions import ClientAuthenticationError

    return ClientAuthenticationError(message)


def as_auth_error(error: BaseException, name: str) -> BaseException:
    """azure-core's ClientAuthenticationError, with the original error as its cause."""
    from azure.core.exceptions import ClientAuthenticationError

    if isinstance(error, ClientAuthenticationError):
        return error
    wrapped = auth_error(f"{name}: token request failed: {describe(error)}")
    wrapped.__cause__ = error
    return wrapped
