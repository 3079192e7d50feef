"""The shell around the plan: read the saved login and open the token store, at most once
each, then hand the plan every decision (:func:`azlogin._config.plan.make_plan`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._config.keywords import parse_keywords
from .._config.plan import Plan, make_plan, needs_saved_login
from ..persistence._default import StoreOpener, default_directory

__all__ = ["resolve"]


def resolve(
    env: Mapping[str, str] | None,
    keywords: Mapping[str, Any],
    *,
    url: str | None = None,
    asynchronous: bool = False,
    stores: StoreOpener | None = None,
) -> Plan:
    """The plan for get_credential's arguments (and a storage URL), with its store opened.

    ``stores`` lets a caller that also reads the saved login or the default store (the CLI)
    share one opening with the plan."""
    request = parse_keywords(keywords)
    environ = os.environ if env is None else env
    stores = stores or StoreOpener(environ)
    saved = stores.saved_login() if needs_saved_login(request, environ) else None
    plan = make_plan(request, environ, saved, url=url, asynchronous=asynchronous)
    store, reason = stores.open(plan.store)
    if store is None or not store.shared:  # this process only: no cross-process lock
        return plan._replace(token_store=store, store_reason=reason)
    directory = getattr(store, "directory", None) or default_directory(environ)
    return plan._replace(
        token_store=store, store_reason=reason, lock_directory=Path(directory) / "locks"
    )
