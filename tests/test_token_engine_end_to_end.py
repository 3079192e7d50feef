"""The token engine around real azure-identity credentials, counted by EntraEmulator:
one request for many threads or tasks, no failure during an outage, and the asyncio twin."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError

import azlogin
from azlogin.testing import EntraEmulator
from tests.support import eventually, managed_identity_env

STORAGE_AUDIENCE = "https://storage.azure.com"


def _in_threads(count: int, call: object) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        results.append(call())  # type: ignore[operator]

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_64_threads_on_a_cold_managed_identity_make_one_imds_request(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = managed_identity_env(emulator.env("MSI"), monkeypatch)
    credential = azlogin.get_credential(env)
    tokens = _in_threads(64, lambda: credential.get_token().token)
    assert len(set(tokens)) == 1
    assert len(tokens) == 64
    assert emulator.requests["imds"] == 1


def test_64_threads_on_a_cold_service_principal_make_one_token_request(
    emulator: EntraEmulator,
) -> None:
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    tokens = _in_threads(64, lambda: credential.get_token_info().token)
    assert len(tokens) == 64
    assert emulator.requests["token"] == 1
    assert emulator.requests["openid-configuration"] <= 1


def test_cached_calls_send_nothing(emulator: EntraEmulator) -> None:
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    first = credential.get_token_info()
    for _ in range(1000):
        assert credential.get_token_info() is first
        assert credential.get_token().token == first.token
    assert emulator.requests["token"] == 1


@pytest.fixture
def short_lived() -> Iterator[EntraEmulator]:
    """An emulator of its own whose tokens live 299 s: inside azure-identity's refresh window
    from the start, so every refresh really reaches the network. Its own, because background
    retries may outlive the test."""
    with EntraEmulator(token_lifetime=299) as emulator:
        yield emulator


def test_no_failed_call_during_an_outage_while_the_cached_token_is_valid(
    short_lived: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [time.time()]
    env = managed_identity_env(short_lived.env("MSI"), monkeypatch)
    credential = azlogin.get_credential(env, clock=lambda: now[0])
    info = credential.get_token_info()
    first = info.token
    assert info.refresh_on is not None
    short_lived.fail("imds", status=503, times=-1)
    failures = 0
    now[0] = info.refresh_on + 1  # stale from here: one background refresh starts, and fails
    while now[0] < info.expires_on - 30:  # each emulated second until it is no longer usable
        try:
            assert credential.get_token().token == first
        except Exception:  # noqa: BLE001 - counted, that is the point
            failures += 1
        now[0] += 1
    assert failures == 0
    # The background refresh did reach IMDS (azure-identity retries it on its own; the log
    # line that follows its final failure is asserted in test_token_engine.py).
    assert eventually(lambda: short_lived.requests["imds"] > 1)


def test_a_token_response_without_expiry_is_an_error_and_not_cached(
    emulator: EntraEmulator,
) -> None:
    emulator.fail("token", status=200, body={"token_type": "Bearer", "access_token": "x"})
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    with pytest.raises(ClientAuthenticationError):
        credential.get_token()
    emulator.reset()
    with pytest.raises(ClientAuthenticationError):
        credential.get_token()  # nothing was cached, and the failure backs off
    assert emulator.requests["token"] == 0


def test_a_hanging_token_endpoint_is_bounded_by_token_timeout(
    short_lived: EntraEmulator,
) -> None:
    short_lived.fail("token", status=None, delay=2.0)
    credential = azlogin.get_credential(
        short_lived.env("SPN"), connection_verify=short_lived.ca_path, token_timeout=0.2
    )
    started = time.monotonic()
    with pytest.raises(ClientAuthenticationError, match="token_timeout"):
        credential.get_token()
    assert time.monotonic() - started < 1.9


# --- the asyncio twin -------------------------------------------------------------------


async def _gather_tokens(credential: azlogin.AsyncCredential, count: int) -> set[str]:
    async with credential:
        infos = await asyncio.gather(*(credential.get_token_info() for _ in range(count)))
    return {info.token for info in infos}


def test_64_tasks_on_a_cold_async_service_principal_make_one_request(
    emulator: EntraEmulator,
) -> None:
    credential = azlogin.get_async_credential(
        emulator.env("SPN"), connection_verify=emulator.ca_path
    )
    assert len(asyncio.run(_gather_tokens(credential, 64))) == 1
    assert emulator.requests["token"] == 1
    assert emulator.requests["openid-configuration"] <= 1


def test_64_tasks_on_a_cold_async_managed_identity_make_one_request(
    emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = managed_identity_env(emulator.env("MSI", identity="object_id"), monkeypatch)
    credential = azlogin.get_async_credential(env)
    assert len(asyncio.run(_gather_tokens(credential, 64))) == 1
    assert emulator.requests["imds"] == 1


@pytest.mark.parametrize("login_type", ["DEVICE", "WORKLOAD", "AZCLI", "PSCRED"])
def test_async_credential_for_each_other_login_type(
    login_type: str, emulator: EntraEmulator, standins_on_path: Path, tmp_path: Path
) -> None:
    options = {"token_file": emulator.write_federated_token(tmp_path / "t")}
    env = emulator.env(login_type, **(options if login_type == "WORKLOAD" else {}))
    credential = azlogin.get_async_credential(
        env, connection_verify=emulator.ca_path, prompt_callback=lambda *_: None
    )
    assert isinstance(credential, azlogin.AsyncCredential)

    async def main() -> str:
        async with credential:
            token = await credential.get_token("https://storage.azure.com/.default")
            again = await credential.get_token_info()
        assert again.token == token.token
        return token.token

    claims = emulator.decode(asyncio.run(main()))
    assert claims["aud"] == STORAGE_AUDIENCE
    assert sum(emulator.requests[r] for r in ("token", "cli")) == (
        2 if login_type == "DEVICE" else 1
    )


def test_async_credential_repr_matches_the_sync_one(emulator: EntraEmulator) -> None:
    credential = azlogin.get_async_credential(emulator.env("SPN"))
    assert repr(credential).startswith("azlogin.AsyncCredential(login_type='SPN'")
    assert emulator.client_secret not in repr(credential)
    assert sum(emulator.requests.values()) == 0


def test_nothing_is_sent_to_imds_before_retry_after_passes(
    short_lived: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    short_lived.fail("imds", status=429, retry_after=1, times=2)
    env = managed_identity_env(short_lived.env("MSI"), monkeypatch)
    assert azlogin.get_credential(env).get_token().token
    log = [entry for entry in short_lived.request_log if entry[1] == "imds"]
    assert [status for _, _, status in log] == [429, 429, 200]
    for previous, current in zip(log, log[1:]):
        assert current[0] - previous[0] >= 1 - 0.05  # Retry-After: 1, honoured each time


def test_a_claims_challenge_replaces_the_revoked_token_in_the_shared_store(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    """After a CAE claims challenge, no process is served the revoked token again: the token
    fetched for the claims replaces it in the shared store too."""
    from azlogin.persistence import EncryptedFileStore, StaticKey

    store = EncryptedFileStore(tmp_path / "store", key_sources=[StaticKey(bytes(32))])
    env = emulator.env("SPN")
    first = azlogin.get_credential(env, token_store=store, connection_verify=emulator.ca_path)
    revoked = first.get_token(enable_cae=True).token
    claims = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}'
    fresh = first.get_token(claims=claims, enable_cae=True).token
    assert fresh != revoked
    assert first.get_token(enable_cae=True).token == fresh  # this process
    emulator.reset()
    other = azlogin.get_credential(env, token_store=store, connection_verify=emulator.ca_path)
    assert other.get_token(enable_cae=True).token == fresh  # another process, from the store
    assert emulator.requests["token"] == 0


def test_credentials_of_one_identity_share_one_engine_in_a_process(
    emulator: EntraEmulator,
) -> None:
    """polars, deltalake and DuckDB each sign in: one token request for all of them; another
    secret, or closing every holder, never shares."""
    env = emulator.env("SPN")
    first = azlogin.get_credential(env, connection_verify=emulator.ca_path, token_store="none")
    second = azlogin.get_credential(env, connection_verify=emulator.ca_path, token_store="none")
    assert first.get_token().token == second.get_token().token
    assert emulator.requests["token"] == 1
    wrong = {**env, "AZCOPY_SPA_CLIENT_SECRET": "another secret"}
    other = azlogin.get_credential(wrong, connection_verify=emulator.ca_path, token_store="none")
    with pytest.raises(ClientAuthenticationError):
        other.get_token()
    first.close()
    assert second.get_token().token  # the shared azure-identity credential is still open
    second.close()
    third = azlogin.get_credential(env, connection_verify=emulator.ca_path, token_store="none")
    third.get_token()
    assert emulator.requests["token"] == 3  # the closed engine was not reused


def test_a_helper_that_signs_in_per_call_keeps_its_engine(emulator: EntraEmulator) -> None:
    """deltalake's storage_options builds a credential per operation and drops it: the engine
    outlives it, so ten operations make one token request."""
    env = emulator.env("SPN")
    tokens = {
        azlogin.get_credential(env, connection_verify=emulator.ca_path, token_store="none")
        .get_token()
        .token
        for _ in range(10)
    }
    assert len(tokens) == 1
    assert emulator.requests["token"] == 1
