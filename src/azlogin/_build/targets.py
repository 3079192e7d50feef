"""A credential for one storage URL: what every storage, fsspec and data-stack helper asks.

With no ``credential=``, the plan is resolved for the URL (so its host is checked against the
plan's trust list, the saved login's included, and a national cloud's host gets its cloud's
authority) and built. With one, its own trust list guards the URL (an azlogin credential's,
or the ``trusted_microsoft_suffixes`` keyword's, or the defaults for any other credential).
Either way the host is checked before any network I/O.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .._config.keywords import ALL_KEYWORDS, Options
from .._config.locations import Location, parse_location
from .._config.trust import TrustedSuffixes
from .._engine.credential import AsyncCredential, Credential
from .assemble import assemble
from .flavor import Flavor
from .resolve import resolve

__all__ = [
    "CREDENTIAL_KEYWORDS",
    "DataRequest",
    "SignedIn",
    "data_request",
    "sign_in",
    "split_credential_keywords",
]

CREDENTIAL_KEYWORDS = tuple(name for name in ALL_KEYWORDS if name != "transport")
"""get_credential's keywords a helper takes; ``transport`` belongs to the storage client."""


@dataclass(frozen=True)
class SignedIn:
    """The credential for a URL, the trust list that guards it, and the URL's checked host."""

    credential: Any
    trusted: TrustedSuffixes
    host: str
    verify: Any = None
    """The CA bundle the credential's requests trust (``connection_verify=``, else the
    environment's CA bundle variable): the storage client's own transport trusts the same one
    when the caller gives it none, sync (requests) and asyncio (aiohttp) alike."""


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
        return SignedIn(
            assemble(plan, flavor), plan.trusted, plan.host, plan.options.connection_verify
        )
    extra = keywords.get("trusted_microsoft_suffixes")
    if extra is not None:
        trusted = TrustedSuffixes(extra=extra)
    elif isinstance(credential, (Credential, AsyncCredential)):
        trusted = credential.trusted_suffixes
    else:
        trusted = TrustedSuffixes()
    host = trusted.check(url)
    options = Options(connection_verify=keywords.get("connection_verify"))
    verify = options.from_environment(os.environ if env is None else env).connection_verify
    return SignedIn(credential, trusted, host, verify)


@dataclass(frozen=True)
class DataRequest:
    """A data-stack helper's call, sorted: the URL's location, ``credential=``, get_credential's
    keywords, ``connection_verify`` and the helper's own keywords."""

    location: Location
    credential: Any
    credential_keywords: Mapping[str, Any]
    connection_verify: Any
    own: Mapping[str, Any]

    def sign_in(self, env: Mapping[str, str] | None, flavor: Flavor) -> SignedIn:
        """The credential for the location's account endpoint (see :func:`sign_in`)."""
        endpoint = self.location.endpoint + "/"
        return sign_in(endpoint, env, self.credential, self.credential_keywords, flavor)


def data_request(
    function: str, url: str, keywords: Mapping[str, Any], *, own: tuple[str, ...] = ()
) -> DataRequest:
    """Sort a data-stack helper's keywords (``account=`` for az:// URLs, ``credential=``,
    get_credential's, the helper's ``own``); TypeError naming ``function`` for any other."""
    rest = dict(keywords)
    location = parse_location(url, account=rest.pop("account", None))
    credential = rest.pop("credential", None)
    mine = {name: rest.pop(name) for name in own if name in rest}
    credential_keywords = split_credential_keywords(rest)
    verify = rest.pop("connection_verify", None)
    if rest:
        raise TypeError(f"{function}() got unexpected keywords: {sorted(rest)}")
    return DataRequest(location, credential, credential_keywords, verify, mine)
