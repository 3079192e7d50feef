"""get_credential and get_async_credential: resolve a plan, then build from it.

:func:`assemble` turns a resolved plan into a working credential for a flavor: the
azure-identity credential (its builder from :data:`~azlogin._build.builders.BUILDERS`; built
at the first token the store cannot serve, see :mod:`.deferred`), the DEVICE login's MSAL
cache when the row keeps one, the cross-process single flight when the store is shared, and
the engine. It decides nothing: the plan did.

A credential crosses a process boundary (pickle, cloudpickle: Dask, Ray, multiprocessing)
as its recipe only: the login type, the non-secret settings, the extra trusted suffixes and
the plain options. :func:`rebuild` builds it again in the receiving process, reading
secrets from that process's environment (or its saved login), and it shares tokens through
that machine's token store. A secret that is missing there is a ConfigurationError naming
the variable. ``pickle_secrets=True`` (an explicit, documented opt-in) puts the secrets in
the recipe too.
"""

from __future__ import annotations

import collections
import json
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from .._config.digest import sha256_hex
from .._config.login_types import Persists
from .._config.plan import Plan, Recipe, check_rebuilt
from .._engine.credential import AsyncCredential, Credential
from .._engine.keys import TokenKey
from .._logs import Logger
from .builders import BUILDERS, BuildContext
from .deferred import DRY_RUN
from .flavor import ASYNC, SYNC, Flavor
from .resolve import resolve

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._config.keywords import CredentialKeywords

__all__ = [
    "assemble",
    "async_credential_for",
    "credential_for",
    "forget_shared_engines",
    "get_async_credential",
    "get_credential",
    "rebuild",
]

_LOGGER = Logger("azlogin")


def get_credential(
    env: Mapping[str, str] | None = None, **keywords: Unpack[CredentialKeywords]
) -> Credential:
    """Build the credential AzCopy would use for ``env`` (default ``os.environ``).

    ``AZCOPY_AUTO_LOGIN_TYPE`` picks the login type; the variables of that type (see
    ``azlogin env`` or the docs) configure it. Each override keyword beats its variable:
    ``login_type``, ``tenant_id``, ``aad_endpoint``, ``identity_client_id``,
    ``identity_object_id``, ``identity_resource_id``, ``application_id``, ``client_secret``,
    ``certificate_path``, ``certificate_password``, ``federated_token_file`` and
    ``trusted_microsoft_suffixes``. The library's own keywords:

    - ``prompt_callback(verification_uri, user_code, expires_on)``: shows the device code
      (default: a line on stderr);
    - ``connection_verify``: a CA bundle path, or ``False`` (never in production);
    - ``transport``: an azure-core ``HttpTransport`` for the credential's own requests;
    - ``process_timeout``: seconds to wait for ``az`` or ``pwsh`` (AZCLI, PSCRED);
    - ``token_timeout``: seconds a caller waits for a token before ClientAuthenticationError
      (default 120; 900 for DEVICE; None waits forever);
    - ``clock``: the time source of the token cache (tests pass a fake one);
    - ``pickle_secrets``: put the secrets in the credential's pickle too (default False: a
      pickled credential carries no secret and rebuilds itself from the receiving process's
      environment);
    - ``token_store``: where tokens are shared between this user's processes: a
      :class:`azlogin.persistence.TokenStore`, ``"default"`` (encrypted files, see
      :func:`azlogin.persistence.default_store`), ``"memory"`` or ``"none"``; default
      ``$AZLOGIN_TOKEN_STORE`` or ``"default"`` (which falls back to this process only, with
      a log line, when no encryption key can be had).

    Raises :class:`NotLoggedInError` when no login type is set and no login was saved,
    :class:`ConfigurationError` for a missing or malformed setting (naming the variable),
    and ``TypeError`` for an unknown keyword. No network I/O happens here.
    """
    return credential_for(resolve(env, keywords))


def get_async_credential(
    env: Mapping[str, str] | None = None, **keywords: Unpack[CredentialKeywords]
) -> AsyncCredential:
    """The asyncio twin of :func:`get_credential`: same settings, keywords and errors.

    Builds azure-identity's ``aio`` credentials (they need ``aiohttp``: ``pip install
    "azlogin[aio]"``); DEVICE, which has none, runs the sync credential in a worker thread.
    ``transport=`` takes an azure-core ``AsyncHttpTransport``.
    """
    return async_credential_for(resolve(env, keywords, asynchronous=True))


def credential_for(plan: Plan) -> Credential:
    """The sync credential of a resolved plan."""
    return cast(Credential, assemble(plan, SYNC))


def async_credential_for(plan: Plan) -> AsyncCredential:
    """The asyncio credential of a resolved plan."""
    return cast(AsyncCredential, assemble(plan, ASYNC))


def assemble(plan: Plan, flavor: Flavor) -> Credential | AsyncCredential:
    """The credential of a resolved plan, in ``flavor``.

    Sync credentials of one identity, with the same secrets and options, share one engine in
    a process (:func:`sharing_key`): a pipeline that signs in for polars, deltalake and DuckDB
    makes one token request per token life."""
    key = sharing_key(plan, flavor)
    with _SHARED_LOCK:
        lease = _SHARED.get(key) if key is not None else None
        if lease is not None and lease.acquire():
            if key is not None and key in _RECENT:
                _RECENT.move_to_end(key)
            credential = flavor.credential(lease, lease.engine, plan, (rebuild, (plan.recipe,)))
            _LOGGER.info("Built %r (sharing a token engine)", credential)
            return credential
    inner, engine = _build(plan, flavor)
    if key is not None:
        with _SHARED_LOCK:
            lease = _Lease(inner, engine)
            _SHARED[key] = lease
            _RECENT[key] = lease  # kept for helpers that sign in per call (deltalake)
            while len(_RECENT) > _RECENT_SIZE:
                _RECENT.popitem(last=False)
            inner = lease
    credential = flavor.credential(inner, engine, plan, (rebuild, (plan.recipe,)))
    _LOGGER.info("Built %r", credential)
    return credential


def sharing_key(plan: Plan, flavor: Flavor) -> tuple[Any, ...] | None:
    """What makes two credentials interchangeable, or None when this one must be its own: an
    asyncio engine belongs to one event loop; a caller's transport, prompt or clock is its
    own. The secrets enter as an in-memory digest only, so another secret never shares."""
    options = plan.options
    if flavor.asynchronous or options.transport is not None or options.prompt_callback:
        return None
    if plan.clock is not time.time:
        return None
    store = plan.token_store
    if store is None:
        where: Any = None
    else:  # a store's place (its directory or URL): each plan opens a new store object
        place = getattr(store, "directory", None) or getattr(store, "url", None) or id(store)
        where = (type(store).__name__, place)
    secrets = sha256_hex(json.dumps(dict(plan.settings.values), sort_keys=True).encode())
    return (
        plan.fingerprint, secrets, options.connection_verify,
        options.process_timeout, plan.policy, where, plan.lock_directory,
    )  # fmt: skip


class _Lease:
    """The azure-identity credential of a shared engine, as each credential sees it: closing
    one credential releases its lease; the last release closes the real one (and no later
    credential shares it)."""

    def __init__(self, inner: Any, engine: Any) -> None:
        self.inner = inner
        self.engine = engine
        self._holders = 1
        self._closed = False

    def acquire(self) -> bool:
        if self._closed:
            return False
        self._holders += 1
        return True

    def close(self) -> None:
        with _SHARED_LOCK:
            self._holders -= 1
            last = self._holders == 0 and not self._closed
            if last:
                self._closed = True
        if last:
            self.inner.close()

    def __enter__(self) -> _Lease:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


_SHARED: weakref.WeakValueDictionary[tuple[Any, ...], _Lease] = weakref.WeakValueDictionary()
_RECENT: collections.OrderedDict[tuple[Any, ...], _Lease] = collections.OrderedDict()
_RECENT_SIZE = 32
"""How many engines stay alive after their last credential is gone: a helper that signs in
for every operation (deltalake's storage_options) still finds its engine and its token."""
_SHARED_LOCK = threading.Lock()


def forget_shared_engines() -> None:
    """Let later credentials build engines of their own (test suites call it between tests,
    so no test is served a token an earlier one fetched)."""
    with _SHARED_LOCK:
        _SHARED.clear()
        _RECENT.clear()


def _build(plan: Plan, flavor: Flavor) -> tuple[Any, Any]:
    """The azure-identity credential (built at the first fetch, see :mod:`.deferred`) and the
    engine around it."""
    row = plan.login_type
    native = row.native_async or not flavor.asynchronous
    if not native:  # built as the sync credential, run in a worker thread
        plan_to_build = plan._replace(options=plan.options._replace(transport=None))
    else:
        plan_to_build = plan
    builder = BUILDERS[row.name]
    builder(plan_to_build, BuildContext(DRY_RUN))  # every ConfigurationError now
    shared = plan.shared_store
    device_store = shared if row.persists is Persists.TOKENS_AND_MSAL_CACHE else None
    build_flavor = flavor if native else SYNC

    def make() -> tuple[Any, Any]:
        device = None
        if device_store is not None:
            from ..persistence._device import DeviceLoginState

            # A saved login never prompts: when its refresh token stops working, it says so.
            interactive = plan.saved_login is None
            device = DeviceLoginState(device_store, plan.fingerprint, interactive=interactive)
        return builder(plan_to_build, BuildContext(build_flavor.identity(), device)), device

    deferred = build_flavor.deferred(make)
    inner: Any = deferred
    fetch: Callable[[TokenKey], Any] = deferred.fetch
    if not native:
        fetch, inner = flavor.from_sync_fetch(fetch), flavor.from_sync_credential(deferred)
    if shared is not None:
        fetch = flavor.persistent_fetch(
            fetch, shared, plan.fingerprint, plan.lock_directory, plan.policy, plan.clock
        )
    engine = flavor.engine(fetch, name=f"{row.name} login", policy=plan.policy, clock=plan.clock)
    return inner, engine


def rebuild(recipe: Recipe) -> Credential | AsyncCredential:
    """The unpickled credential: built again, in this process, from the recipe."""
    keywords: dict[str, Any] = {**recipe.overrides, **recipe.options}
    if recipe.login_type is not None:
        keywords["login_type"] = recipe.login_type
    if recipe.trusted_microsoft_suffixes:
        keywords["trusted_microsoft_suffixes"] = list(recipe.trusted_microsoft_suffixes)
    flavor = ASYNC if recipe.asynchronous else SYNC
    plan = resolve(None, keywords, asynchronous=recipe.asynchronous)
    check_rebuilt(plan, recipe)
    return assemble(plan, flavor)
