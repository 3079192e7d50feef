"""Unit-testing code that takes a credential, with azlogin.testing.FakeCredential.

Run it with pytest: `pytest examples/test_with_fake_credential.py`. The `fake_credential`
fixture comes from azlogin's pytest plugin, which installing azlogin registers.
"""

from __future__ import annotations

import pytest
from azure.core.exceptions import ClientAuthenticationError

from azlogin.testing import FakeCredential


def bearer_header(credential: object) -> str:
    """The code under test: builds an Authorization header from any TokenCredential."""
    token = credential.get_token("https://storage.azure.com/.default")  # type: ignore[attr-defined]
    return f"Bearer {token.token}"


def test_the_header_carries_the_token(fake_credential: FakeCredential) -> None:
    fake_credential.token = "t0k3n"
    assert bearer_header(fake_credential) == "Bearer t0k3n"
    assert fake_credential.requests[0].scopes == ("https://storage.azure.com/.default",)


def test_sign_in_failures_reach_the_caller() -> None:
    credential = FakeCredential(error=ClientAuthenticationError("expired"))
    with pytest.raises(ClientAuthenticationError):
        bearer_header(credential)
