"""The token engine's timings, with the reason for each default. Pure data."""

from __future__ import annotations

from typing import NamedTuple, Optional

__all__ = ["RefreshPolicy"]


class RefreshPolicy(NamedTuple):
    """The engine's timings, in seconds."""

    advisory_margin: float = 300.0
    """Refresh this long before expiry (unless the token's ``refresh_on`` is earlier): five
    minutes, azure-identity's own default, leaves room for a few failed attempts."""
    mandatory_margin: float = 30.0
    """Stop serving a token this long before it expires: a request needs time to use it."""
    min_refresh_interval: float = 30.0
    """After a fetch, wait at least this long before refreshing a stale token again."""
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    timeout: Optional[float] = 120.0  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    """How long a caller waits for a fetch before ClientAuthenticationError; None: forever."""
    max_lifetime: float = 28 * 3600.0
    """The longest a token is ever served after it was fetched, whatever expiry it claims:
    28 hours, the longest lifetime Microsoft Entra ID issues (CAE tokens). A token claiming
    more (``expires_in=10**12``) is treated as expiring then."""
