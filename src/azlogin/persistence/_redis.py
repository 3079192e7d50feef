"""RedisStore: a TokenStore shared by every machine that reaches one Redis, with a lock.

What Redis holds, under ``prefix`` (``"azlogin:"`` by default), for an item named ``item``
(``h`` is the SHA-256 of the item's name, so Redis never sees identities or scopes):

- ``{prefix}{h}:item``: a hash, ``v`` the sealed value (AES-256-GCM, bound to the item's name,
  see :mod:`._sealed`; never plaintext) and ``f`` the fencing number it was written with; it
  expires with its token (``save(..., expires_at=)``) and after ``max_ttl`` at the latest;
- ``{prefix}{h}:lock``: the item's lock, a random token, set NX with a lease (PX) that its
  holder renews while it holds it;
- ``{prefix}{h}:fence``: the item's fencing counter, INCRemented by every lock taken;
- ``{prefix}salt``: the passphrase salt (16 random bytes; not secret), when the key comes
  from a passphrase: created once with SET NX, then read, so every machine derives one key.

The three keys of an item share a hash tag (``{h}``), so the scripts below touch one slot.

**Fencing.** Taking the lock INCRements the fence (never below the stored item's own number,
so a counter lost with a restart cannot go backwards); a save made while holding the lock
writes with that number, and a Lua script writes only when it is not older than the number
already stored. A holder that stalled past its lease and saves late therefore never replaces
a token saved by a later holder. A save made without the lock is unfenced: it writes as the
newest (the stored or current number, whichever is higher).

**The lease.** A dead holder (killed, or its machine gone) releases the lock when its lease
ends (``lease``, 20 s by default; ``?lease=SECONDS`` in the URL, or ``RedisStore(lease=)``).
A live holder renews the lease every third of it (a daemon thread per held lock, so sync
and asyncio callers alike), with a script that extends it only while the lock still holds
this holder's random token: a fetch that outlasts the lease (a slow identity provider, a
device login) keeps the lock. A holder that stalled past its lease (a frozen process) finds
its renewal refused, stops renewing and warns; its save is still fenced with its own, older
number.

**Failures.** Short socket timeouts (0.5 s to connect, 1 s per command), no retries, and a
breaker: after Redis fails to answer, calls fail at once for ``retry_after`` seconds, then
try again. ``load`` then returns None; ``save``, ``delete`` and taking a lock raise
:class:`azlogin.TokenStoreError`; releasing a lock never raises (the lease ends it).
"""

from __future__ import annotations

import base64
import binascii
import os
import random
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .._config.digest import sha256_hex
from .._config.variables import STORE_KEY, STORE_PASSPHRASE, TOKEN_STORE
from .._errors import ConfigurationError, TokenStoreError, refuse_pickling
from .._logs import DEBUG, WARNING, Logger
from ._keys import KernelKeyringKey, OsSecretStoreKey, PassphraseKey, StaticKey
from ._protocol import KeySource, KeyUnavailable
from ._sealed import Sealer

__all__ = ["RedisLock", "RedisStore"]

_LOGGER = Logger("azlogin.persistence")
_T = TypeVar("_T")

KEY_VARIABLE = STORE_KEY.name
PASSPHRASE_VARIABLE = STORE_PASSPHRASE.name
SALT_BYTES = 16
DEFAULT_MAX_TTL = 28 * 3600.0
# A dead holder keeps the others waiting this long at most; a live one renews it. Long
# enough that a renewal every third of it survives a slow Redis (1 s command timeout).
DEFAULT_LEASE = 20.0
LEASE_RANGE = (0.1, 3600.0)  # below: renewals race the network; above: a crash stalls a cluster
LEASE_PARAMETER = "lease"  # redis://host:port/db?lease=SECONDS
# How long a lock is waited for before the waiter fetches on its own (under this machine's
# file lock): a live holder's fetch may take this long; never shorter than a dead holder's lease.
DEFAULT_WAIT = 30.0

# KEYS: lock, fence, item. ARGV: token, lease (ms), fence counter's TTL (ms).
# The fencing number, or 0 when the lock is taken.
_ACQUIRE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
local n = redis.call('INCR', KEYS[2])
local stored = tonumber(redis.call('HGET', KEYS[3], 'f') or '0')
if n <= stored then
  n = stored + 1
  redis.call('SET', KEYS[2], string.format('%d', n))
end
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return n
"""

# KEYS: lock. ARGV: token. Deletes the lock only while it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lock. ARGV: token, lease (ms). Extends the lease only while the lock is still ours.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

# KEYS: item, fence. ARGV: sealed value, fencing number ('' when saved without the lock),
# TTL (ms). 1 when written, 0 when a newer value (a higher fencing number) is there.
_SAVE = """
local stored = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local f
if ARGV[2] == '' then
  f = math.max(stored, tonumber(redis.call('GET', KEYS[2]) or '0'))
else
  f = tonumber(ARGV[2])
  if f < stored then return 0 end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'f', string.format('%d', f), 'v', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""


class RedisStore:
    """A TokenStore in Redis, shared by every process on every machine that uses the same
    Redis, prefix and key. See the module's documentation for what Redis holds.

    ``url``: ``redis://[user:password@]host:port/db``, ``rediss://`` for TLS (passed to
    redis-py as is, but for ``lease``), or ``unix:///path/to/socket``. Its query parameter
    ``lease=SECONDS`` sets the lease when the ``lease`` keyword does not.

    ``lease``: seconds a lock outlives a holder that died (0.1 to 3600; 20 by default); a
    live holder renews it every third of it. A bad value raises ConfigurationError.

    ``key_source``: where the 32-byte key comes from; every machine must get the same one:

    - None: ``AZLOGIN_STORE_KEY`` (32 bytes, base64) from ``env`` (``os.environ`` by default),
      else ``AZLOGIN_STORE_PASSPHRASE`` with the salt kept in Redis; else TokenStoreError;
    - ``bytes``: the key itself (32 bytes); a :class:`StaticKey` likewise;
    - a :class:`PassphraseKey`: scrypt of its passphrase with the salt kept in Redis (not in a
      directory: the salt is created once, atomically, and read by every machine);
    - any other :class:`KeySource`: asked with ``key_for("redis:" + prefix, Path(os.devnull))``;
      a Redis store has no directory, so sources that keep state in one cannot be used;
    - :class:`OsSecretStoreKey` and :class:`KernelKeyringKey` are refused: each machine would
      make a key of its own and no item would be shared.

    The store's own key is derived from that key with HKDF and ``prefix``; Redis never holds
    a plaintext value. Nothing is sent to Redis until the first call, so a store made while
    Redis is down works as soon as Redis answers.
    """

    shared = True
    across_machines = True  # for `azlogin login status`: every machine on this Redis shares it
    expiring = True  # save() takes expires_at=: items expire with their token

    def __init__(
        self,
        url: str,
        *,
        key_source: KeySource | bytes | None = None,
        prefix: str = "azlogin:",
        env: Mapping[str, str] | None = None,
        max_ttl: float = DEFAULT_MAX_TTL,
        connect_timeout: float = 0.5,
        timeout: float = 1.0,
        retry_after: float = 2.0,
        lease: float | None = None,
    ) -> None:
        if not prefix:
            raise ValueError("the prefix is empty")
        url, in_url = _without_lease(url)
        self.url = _shown(url)
        self.lease = _checked_lease(lease, in_url)
        self.prefix = prefix
        self.max_ttl = max_ttl
        self.retry_after = retry_after
        self._passphrase: PassphraseKey | None = None
        self._sealer: Sealer | None = None
        self._salt: bytes | None = None
        self.key_source = self._choose_key(key_source, os.environ if env is None else env)
        try:
            self._client: redis.Redis = redis.Redis.from_url(
                url,
                socket_connect_timeout=connect_timeout,
                socket_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                retry_on_timeout=False,
                health_check_interval=0,
            )
        except ValueError as error:
            raise TokenStoreError(f"Not a Redis URL ({self.url}): {error}") from None
        self._acquire = self._client.register_script(_ACQUIRE)
        self._release = self._client.register_script(_RELEASE)
        self._renew = self._client.register_script(_RENEW)
        self._save = self._client.register_script(_SAVE)
        self._guard = threading.Lock()
        self._derive_guard = threading.Lock()
        self._held: dict[str, int] = {}
        self._down_until = 0.0
        self._warned_down = False
        self._warned_foreign = False

    # -- the key ---------------------------------------------------------------------------

    def _choose_key(self, source: KeySource | bytes | None, env: Mapping[str, str]) -> str:
        if source is None:
            encoded = env.get(KEY_VARIABLE, "")
            if encoded:
                try:
                    key = base64.b64decode(encoded.strip(), validate=True)
                except (binascii.Error, ValueError):
                    key = b""
                if len(key) != 32:
                    raise TokenStoreError(
                        f"{KEY_VARIABLE} must be 32 bytes in base64 (for example the output "
                        "of `openssl rand -base64 32`)."
                    )
                self._sealer = Sealer(key, self.prefix)
                return KEY_VARIABLE
            if env.get(PASSPHRASE_VARIABLE):
                self._passphrase = PassphraseKey(env[PASSPHRASE_VARIABLE])
                return f"{PASSPHRASE_VARIABLE} (salt kept in Redis)"
            raise TokenStoreError(
                "A Redis token store needs a key every machine shares: set "
                f"{KEY_VARIABLE} (32 bytes, base64, e.g. from a Kubernetes secret) or "
                f"{PASSPHRASE_VARIABLE}."
            )
        if isinstance(source, bytes):
            self._sealer = Sealer(source, self.prefix)  # ValueError unless 32 bytes
            return "a key given by the caller"
        if isinstance(source, PassphraseKey):
            self._passphrase = source
            return "a passphrase (salt kept in Redis)"
        if isinstance(source, (OsSecretStoreKey, KernelKeyringKey)):
            raise TokenStoreError(
                f"{source.name} holds a key per machine: machines would not read each other's "
                f"items in Redis. Use {KEY_VARIABLE} or a passphrase."
            )
        try:
            key = source.key_for("redis:" + self.prefix, Path(os.devnull))
        except (KeyUnavailable, OSError) as error:
            raise TokenStoreError(f"No key for the Redis token store ({error}).") from None
        self._sealer = Sealer(key, self.prefix)
        return source.name if not isinstance(source, StaticKey) else "a key given by the caller"

    def _sealer_now(self) -> Sealer:
        """The sealer; with a passphrase, derived on first use from the salt in Redis."""
        sealer = self._sealer
        if sealer is not None:
            return sealer
        with self._derive_guard:
            if self._sealer is None:
                self._derive(self._shared_salt(os.urandom(SALT_BYTES)))
            assert self._sealer is not None
            return self._sealer

    def _derive(self, salt: bytes) -> None:
        assert self._passphrase is not None
        self._sealer = Sealer(self._passphrase.derive(salt), self.prefix)
        self._salt = salt

    def _shared_salt(self, proposed: bytes) -> bytes:
        """The salt in Redis: ``proposed`` if none was there (SET NX), else the one there."""
        name = self.prefix + "salt"

        def exchange() -> Any:
            self._client.set(name, proposed, nx=True)
            return self._client.get(name)

        salt = self._call(exchange)
        if not isinstance(salt, bytes) or len(salt) != SALT_BYTES:
            raise TokenStoreError(
                f"The passphrase salt in Redis ({name!r} at {self.url}) is malformed; delete "
                "it (every item sealed with it then reads as a miss)."
            )
        return salt

    def _check_salt(self) -> bool:
        """With a passphrase: follow the salt in Redis (restored with ours if it was lost, as
        after a restart without persistence). True if the key changed."""
        if self._passphrase is None or self._salt is None:
            return False
        with self._derive_guard:
            salt = self._shared_salt(self._salt)
            if salt == self._salt:
                return False
            self._derive(salt)
            return True

    @property
    def key_id(self) -> str:
        """A fingerprint of the store's key (not the key): equal on machines that share it."""
        return self._sealer_now().key_id.hex()

    @property
    def available(self) -> bool:
        """False while the breaker is open (Redis failed to answer less than ``retry_after``
        seconds ago): a caller can then use its local store without waiting."""
        return time.monotonic() >= self._down_until

    # -- Redis calls -----------------------------------------------------------------------

    def _call(self, operation: Callable[[], _T]) -> _T:
        now = time.monotonic()
        if now < self._down_until:
            raise TokenStoreError(
                f"Redis at {self.url} did not answer; trying again in "
                f"{self._down_until - now:.1f} s."
            )
        try:
            result = operation()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
            self._down_until = time.monotonic() + self.retry_after
            raise TokenStoreError(f"Redis at {self.url} did not answer ({error}).") from None
        except redis.RedisError as error:
            raise TokenStoreError(f"Redis at {self.url} refused a command ({error}).") from None
        if self._warned_down:
            self._warned_down = False
            _LOGGER.warning("Redis at %s answers again; the token store is shared again.", self.url)
        return result

    def _names(self, item: str) -> tuple[str, str, str]:
        digest = sha256_hex(item.encode("utf-8", "surrogatepass"))
        base = f"{self.prefix}{{{digest}}}:"
        return base + "item", base + "lock", base + "fence"

    # -- the TokenStore protocol -----------------------------------------------------------

    def load(self, key: str) -> bytes | None:
        """The item's opened bytes, or None.

        None when there is no item; when Redis does not answer (one warning until it answers
        again); and when the item does not open (sealed with another key, or tampered with:
        a warning, then debug lines). With a passphrase, an item sealed under a salt that
        changed in Redis is opened again with the new one.
        """
        try:
            sealer = self._sealer_now()
            name = self._names(key)[0]
            blob = self._call(lambda: self._client.hget(name, "v"))
            if not isinstance(blob, bytes):
                return None
            value = sealer.open(key, blob)
            if value is None and sealer.sealed_with(blob) != sealer.key_id and self._check_salt():
                value = self._sealer_now().open(key, blob)
        except TokenStoreError as error:
            if not self._warned_down:
                self._warned_down = True
                _LOGGER.warning("The Redis token store cannot be read: %s", error)
            return None
        if value is None:
            self._foreign(blob)
        return value

    def _foreign(self, blob: bytes) -> None:
        level = DEBUG if self._warned_foreign else WARNING
        self._warned_foreign = True
        reason = (
            "sealed with another key (another AZLOGIN_STORE_KEY or passphrase)"
            if self._sealer_now().sealed_with(blob) is not None
            else "not an azlogin sealed value, or tampered with"
        )
        _LOGGER.log(level, "Ignoring an item of the Redis token store at %s: %s.", self.url, reason)

    def save(self, key: str, value: bytes, *, expires_at: float | None = None) -> None:
        """Seal and store ``value``; it expires at ``expires_at`` (a Unix time, e.g. the
        token's ``expires_on``) or after ``max_ttl``, whichever is sooner (1 s at least).
        Made while this store holds the item's lock, the save is fenced: it is dropped when a
        later lock holder already saved (logged at DEBUG)."""
        ttl = self.max_ttl if expires_at is None else min(self.max_ttl, expires_at - time.time())
        ttl_ms = max(1000, int(ttl * 1000))
        self._check_salt()
        blob = self._sealer_now().seal(key, value)
        with self._guard:
            fence = self._held.get(key)
        item, _, counter = self._names(key)
        written = self._call(
            lambda: self._save(
                keys=[item, counter], args=[blob, "" if fence is None else str(fence), ttl_ms]
            )
        )
        if not written:
            _LOGGER.debug(
                "A late save to the Redis token store was dropped: a later lock holder saved."
            )

    def delete(self, key: str) -> bool:
        """Remove the item (not its lock or fencing counter); True if Redis had it.

        Raises:
            azlogin.TokenStoreError: Redis did not answer or refused the command.
        """
        name = self._names(key)[0]
        return bool(self._call(lambda: self._client.delete(name)))

    # -- the lock --------------------------------------------------------------------------

    def lock(
        self, item: str, *, lease: float | None = None, wait: float | None = None
    ) -> RedisLock:
        """The item's lock across every machine (not yet taken): a context manager. Its
        lease is the store's unless given; it waits ``DEFAULT_WAIT`` seconds (at least the
        lease and 10 s) unless told."""
        lease = self.lease if lease is None else lease
        if wait is None:
            wait = max(DEFAULT_WAIT, lease + 10.0)
        return RedisLock(self, item, lease=lease, wait=wait)

    def _take(self, item: str, token: str, lease: float) -> int:
        name, lock, counter = self._names(item)
        lease_ms = max(1, int(lease * 1000))
        fence_ttl = int((self.max_ttl + lease) * 1000)
        fence = int(
            self._call(
                lambda: self._acquire(keys=[lock, counter, name], args=[token, lease_ms, fence_ttl])
            )
        )
        if fence:
            with self._guard:
                self._held[item] = fence
        return fence

    def _extend(self, item: str, token: str, lease: float) -> bool:
        """Renew a held lock's lease; False when the lock is no longer ``token``'s."""
        lock = self._names(item)[1]
        lease_ms = max(1, int(lease * 1000))
        return bool(self._call(lambda: self._renew(keys=[lock], args=[token, lease_ms])))

    def _give_back(self, item: str, token: str) -> None:
        with self._guard:
            self._held.pop(item, None)
        lock = self._names(item)[1]
        try:
            self._call(lambda: self._release(keys=[lock], args=[token]))
        except TokenStoreError as error:
            _LOGGER.debug("A Redis lock was not released (its lease ends it): %s", error)

    # -- the rest --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connections to Redis (a later call opens new ones)."""
        self._client.close()

    def __repr__(self) -> str:
        return (
            f"RedisStore({self.url!r}, prefix={self.prefix!r}, lease={self.lease:g} s, "
            f"key from {self.key_source})"
        )

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


class RedisLock:
    """One item's lock in Redis: SET NX PX with a random token, released by a compare-and-
    delete script (only while still ours), ended by its lease if its holder dies. While held,
    a daemon thread renews the lease every third of it (compare-and-expire: only while still
    ours). ``fence`` is its fencing number while held; ``lost`` turns true when a renewal
    found the lock taken from it. Taking it waits up to ``wait`` seconds, polling, and raises
    TokenStoreError after that or when Redis does not answer."""

    def __init__(self, store: RedisStore, item: str, *, lease: float, wait: float) -> None:
        self.store = store
        self.item = item
        self.lease = lease
        self.wait = wait
        self.fence = 0
        self._token = ""
        self._released = threading.Event()
        self._lost = threading.Event()

    @property
    def lost(self) -> bool:
        """True once a renewal found the lock no longer this holder's (its lease ended while
        it stalled; another may hold it). A save made since is still fenced."""
        return self._lost.is_set()

    def __enter__(self) -> RedisLock:
        token = base64.urlsafe_b64encode(os.urandom(18)).decode("ascii")
        deadline = time.monotonic() + self.wait
        pause = 0.01
        while True:
            fence = self.store._take(self.item, token, self.lease)
            if fence:
                self.fence, self._token = fence, token
                # An event per hold: a renewer of an earlier hold never sees this one's.
                self._released = threading.Event()
                self._lost.clear()
                threading.Thread(
                    target=self._renew_until_released,
                    args=(token, self._released),
                    name="azlogin-redis-lease",
                    daemon=True,  # dies with its process: then the lease ends the lock
                ).start()
                return self
            if time.monotonic() >= deadline:
                raise TokenStoreError(
                    f"A lock of the Redis token store at {self.store.url} stayed taken for "
                    f"{self.wait:.0f} s."
                )
            time.sleep(random.uniform(pause / 2, pause))  # noqa: S311 - jitter, not secrets
            pause = min(pause * 2, 0.2)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token:
            self._released.set()  # the renewer stops; a renewal racing the release is a no-op
            self.store._give_back(self.item, self._token)
            self._token, self.fence = "", 0

    def _renew_until_released(self, token: str, released: threading.Event) -> None:
        """The renewer's loop: every third of the lease until ``released``, or until a
        renewal finds the lock another's (then ``lost``)."""
        every = self.lease / 3
        while not released.wait(every):
            try:
                if self.store._extend(self.item, token, self.lease):
                    continue
            except TokenStoreError as error:  # Redis away: try again; the lease runs meanwhile
                _LOGGER.debug("A Redis lock's lease was not renewed: %s", error)
                continue
            if not released.is_set():
                self._lost.set()
                _LOGGER.warning(
                    "A lock of the Redis token store at %s ended before it was released (its "
                    "holder stalled past its %g s lease); another process may fetch too. This "
                    "holder's save stays fenced: it never replaces a newer token.",
                    self.store.url,
                    self.lease,
                )
            return


def _without_lease(url: str) -> tuple[str, str | None]:
    """``url`` without its ``lease`` query parameter (redis-py would refuse it), and that
    parameter's raw value (None when absent)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    values = [value for name, value in pairs if name == LEASE_PARAMETER]
    if not values:
        return url, None
    if len(values) > 1:
        raise _lease_error(f"gives {LEASE_PARAMETER}= {len(values)} times", in_url=True)
    rest = urlencode([(name, value) for name, value in pairs if name != LEASE_PARAMETER])
    return urlunsplit(parts._replace(query=rest)), values[0]


def _checked_lease(keyword: float | None, in_url: str | None) -> float:
    """The lease in seconds: the keyword's, else the URL's, else DEFAULT_LEASE; checked."""
    low, high = LEASE_RANGE
    if keyword is not None:
        if isinstance(keyword, bool) or not isinstance(keyword, (int, float)):
            raise _lease_error(f"is a {type(keyword).__name__}", in_url=False)
        lease = float(keyword)
    elif in_url is not None:
        try:
            lease = float(in_url)
        except ValueError:
            raise _lease_error("is not a number", in_url=True) from None
    else:
        return DEFAULT_LEASE
    if not low <= lease <= high:  # NaN fails too
        raise _lease_error(f"is {lease:g} s", in_url=keyword is None)
    return lease


def _lease_error(problem: str, *, in_url: bool) -> ConfigurationError:
    low, high = LEASE_RANGE
    expected = (
        f"must be a number of seconds from {low:g} to {high:g} (default {DEFAULT_LEASE:g}): how "
        "long a lock outlives a holder that died; live holders renew it"
    )
    if not in_url:
        return ConfigurationError(f"RedisStore(lease=) {problem}; it {expected}.")
    return ConfigurationError(
        f"The {LEASE_PARAMETER}= parameter of the Redis URL ({TOKEN_STORE.name} or "
        f"token_store=) {problem}; it {expected}, as in redis://host:6379/0?"
        f"{LEASE_PARAMETER}=30.",
        variable=TOKEN_STORE.name,
        keyword="token_store",
    )


def _shown(url: str) -> str:
    """The URL without its password or query (which may hold one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host + (f":{port}" if port else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
