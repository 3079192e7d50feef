"""A credential for one storage URL: what every storage, fsspec and data-stack helper asks.

With no ``credential=``, the plan is resolved for the URL (so its host is checked against the
plan's trust list, the saved login's included, and a national cloud's host gets its cloud's
authority) and built. With one, its own trust list guards the URL (an azlogin credential's,
or the ``trusted_microsoft_suffixes`` keyword's, or the defaults for any other credential).
Either way the host is checked before any network I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._config.keywords import ALL_KEYWORDS
from .._config.trust import TrustedSuffixes
from .._engine.credential import AsyncCredential, Credential
from .assemble import assemble
from .flavor import Flavor
from .resolve import resolve

__all__ = ["CREDENTIAL_KEYWORDS", "SignedIn", "sign_in", "split_credential_keywords"]

CREDENTIAL_KEYWORDS = tuple(name for name in ALL_KEYWORDS if name != "transport")
"""get_credential's keywords a helper takes; ``transport`` belongs to the storage client."""


@dataclass(frozen=True)
class SignedIn:
    """The credential for a URL, the trust list that guards it, and the URL's checked host."""

    credential: Any
    trusted: TrustedSuffixes
    host: str


def split_credential_keywords(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take get_credential's keywords out of ``kwargs`` (``connection_verify`` is left in
    too: the storage client's transport uses it as well)."""
    taken = {name: kwargs.pop(name) for name in CREDENTIAL_KEYWORDS if name in kwargs}
    if "connection_verify" in taken:
        kwargs["connection_verify"] = taken["connection_verify"]
    return taken


def sign_in(
    url: str,
    env: Mapping[str, str] | None,
    credential: Any,
    keywords: Mapping[str, Any],
    flavor: Flavor,
) -> SignedIn:
    """The credential for ``url`` (see the module docstring)."""
    if credential is None:
        plan = resolve(env, keywords, url=url, asynchronous=flavor.asynchronous)
        assert plan.host is not None
        return SignedIn(assemble(plan, flavor), plan.trusted, plan.host)
    extra = keywords.get("trusted_microsoft_suffixes")
    if extra is not None:
        trusted = TrustedSuffixes(extra=extra)
    elif isinstance(credential, (Credential, AsyncCredential)):
        trusted = credential.trusted_suffixes
    else:
        trusted = TrustedSuffixes()
    return SignedIn(credential, trusted, trusted.check(url))
