"""FakeCredential: a credential for unit tests of code that takes one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

from .._engine.keys import DEFAULT_SCOPES, TokenKey

__all__ = ["FakeCredential", "TokenRequest"]


TokenRequest = TokenKey
"""One call the code under test made: the scopes and the options it passed (``scopes``,
``claims``, ``tenant_id``, ``enable_cae``); no scope is recorded as Azure Storage's."""


class FakeCredential:
    """A ``TokenCredential`` and ``SupportsTokenInfo`` that hands out canned tokens.

    >>> credential = FakeCredential(token="t", expires_in=600, clock=lambda: 1000.0)
    >>> credential.get_token("https://storage.azure.com/.default").expires_on
    1600
    >>> credential.requests[0].scopes
    ('https://storage.azure.com/.default',)

    Make it fail with ``FakeCredential(error=ClientAuthenticationError("boom"))`` or
    :meth:`fail_with`; a failure is raised on every call until :meth:`fail_with` ``(None)``.
    ``closed`` tells whether the code under test closed it.
    """

    def __init__(
        self,
        token: str = "fake-access-token",
        *,
        expires_in: int = 3600,
        clock: Callable[[], float] = time.time,
        error: BaseException | None = None,
    ) -> None:
        self.token = token
        self.expires_in = expires_in
        self.requests: list[TokenRequest] = []
        self.closed = False
        self._clock = clock
        self._error = error
        self._lock = threading.Lock()

    def fail_with(self, error: BaseException | None) -> None:
        """Raise ``error`` from every later token request (None: succeed again)."""
        self._error = error

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """Record the request and return the canned token (or raise the failure set).

        No scope means Azure Storage's; ``expires_on`` is the clock plus ``expires_in``.

        Raises:
            ValueError: A scope is an empty string.
            BaseException: The error given to the constructor or :meth:`fail_with`.
        """
        info = self._issue(TokenKey(scopes or DEFAULT_SCOPES, claims, tenant_id, enable_cae))
        return AccessToken(info.token, info.expires_on)

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        """Like :meth:`get_token`, the ``SupportsTokenInfo`` way (``options`` as Azure passes
        them)."""
        return self._issue(TokenKey.of(scopes, options))

    def _issue(self, request: TokenKey) -> AccessTokenInfo:
        if not request.scopes or not all(request.scopes):
            raise ValueError("get_token requires at least one non-empty scope")
        with self._lock:
            self.requests.append(request)
        if self._error is not None:
            raise self._error
        return AccessTokenInfo(self.token, int(self._clock()) + self.expires_in)

    def close(self) -> None:
        """Mark the credential closed (see :attr:`closed`); it still answers afterwards."""
        self.closed = True

    def __enter__(self) -> FakeCredential:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FakeCredential(requests={len(self.requests)}, closed={self.closed})"
