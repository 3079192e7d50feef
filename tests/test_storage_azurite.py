"""Storage clients from azlogin.storage against Azurite over HTTPS, one round trip per login type,
with tokens minted by EntraEmulator."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

import azlogin
from azlogin import storage
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import Azurite
from tests.support import SECRET, managed_identity_env

LOOPBACK = "127.0.0.1"  # Azurite's host, trusted only through an explicit extra entry


def _round_trip(client: object) -> None:
    """Create a container, upload, list, download and delete a blob, delete the container."""
    from azure.storage.blob import BlobServiceClient

    assert isinstance(client, BlobServiceClient)
    name = f"c{uuid.uuid4().hex[:12]}"
    container = client.create_container(name)
    payload = b"azlogin round trip " + name.encode()
    container.upload_blob("dir/blob.txt", payload)
    assert [blob.name for blob in container.list_blobs()] == ["dir/blob.txt"]
    assert container.download_blob("dir/blob.txt").readall() == payload
    container.delete_blob("dir/blob.txt")
    assert list(container.list_blobs()) == []
    client.delete_container(name)


EnvMaker = Callable[[EntraEmulator, Path, pytest.MonkeyPatch, dict[str, str]], dict[str, str]]

LOGIN_ENVS: dict[str, EnvMaker] = {
    "SPN-secret": lambda e, t, m, c: e.env("SPN"),
    "SPN-pem": lambda e, t, m, c: e.env("SPN", certificate_path=c["pem"]),
    "SPN-pkcs12": lambda e, t, m, c: e.env(
        "SPN", certificate_path=c["pkcs12"], certificate_password=SECRET
    ),
    "DEVICE": lambda e, t, m, c: e.env("DEVICE"),
    "MSI-imds": lambda e, t, m, c: managed_identity_env(e.env("MSI", via="imds"), m),
    "MSI-app-service": lambda e, t, m, c: managed_identity_env(
        e.env("MSI", via="app_service", identity="resource_id"), m
    ),
    "WORKLOAD": lambda e, t, m, c: e.env(
        "WORKLOAD", token_file=e.write_federated_token(t / "federated-token")
    ),
    "AZCLI": lambda e, t, m, c: e.env("AZCLI"),
    "PSCRED": lambda e, t, m, c: e.env("PSCRED"),
}


@pytest.mark.parametrize("login", sorted(LOGIN_ENVS))
def test_round_trip_for_every_login_type(
    login: str,
    emulator: EntraEmulator,
    azurite: Azurite,
    certificates: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    standins_on_path: Path,
) -> None:
    env = LOGIN_ENVS[login](emulator, tmp_path, monkeypatch, certificates)
    client = storage.blob_service_client(
        azurite.account_url,
        env=env,
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
        prompt_callback=lambda *_: None,
    )
    _round_trip(client)
    token_routes = ("token", "imds", "app_service", "cli")
    assert sum(emulator.requests[route] for route in token_routes) >= 1


def test_loopback_is_not_trusted_without_the_extra_entry(
    emulator: EntraEmulator, azurite: Azurite
) -> None:
    with pytest.raises(azlogin.UntrustedDestinationError, match=r"127\.0\.0\.1") as caught:
        storage.blob_service_client(azurite.account_url, env=emulator.env("SPN"))
    assert "trusted_microsoft_suffixes=" in str(caught.value)
    assert sum(emulator.requests.values()) == 0  # refused before any network I/O


def test_a_credential_passed_in_is_used(emulator: EntraEmulator, azurite: Azurite) -> None:
    token, _ = emulator.mint_token()
    fake = FakeCredential(token=token)
    client = storage.blob_service_client(
        azurite.account_url,
        credential=fake,
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    )
    _round_trip(client)
    assert fake.requests
    assert sum(emulator.requests.values()) == 0


def test_container_client_round_trip(emulator: EntraEmulator, azurite: Azurite) -> None:
    token, _ = emulator.mint_token()
    options = {
        "credential": FakeCredential(token=token),
        "trusted_microsoft_suffixes": LOOPBACK,
        "connection_verify": emulator.ca_path,
    }
    name = f"c{uuid.uuid4().hex[:12]}"
    container = storage.container_client(f"{azurite.account_url}/{name}", **options)
    container.create_container()
    blob = storage.blob_client(f"{azurite.account_url}/{name}/x.bin", **options)
    blob.upload_blob(b"x")
    assert container.download_blob("x.bin").readall() == b"x"
    container.delete_container()


@pytest.mark.parametrize(
    ("claims", "fragment"),
    [
        ({"lifetime": -600, "issued_at": None}, "expired"),
        ({"resource": "https://management.azure.com"}, "audience"),
    ],
)
def test_azurite_rejects_a_bad_token_with_a_clear_error(
    claims: dict[str, object], fragment: str, emulator: EntraEmulator, azurite: Azurite
) -> None:
    import time

    kwargs = dict(claims)
    if "lifetime" in kwargs:
        kwargs["issued_at"] = time.time() - 1200
    token, _ = emulator.mint_token(**kwargs)  # type: ignore[arg-type]
    client = storage.blob_service_client(
        azurite.account_url,
        credential=FakeCredential(token=token),
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    )
    with pytest.raises((ClientAuthenticationError, HttpResponseError)) as caught:
        client.create_container(f"c{uuid.uuid4().hex[:12]}")
    assert caught.value.status_code in (401, 403)  # type: ignore[union-attr]
    assert fragment.lower() in str(caught.value).lower()


@pytest.mark.parametrize("dumps", ["pickle", "cloudpickle"])
def test_a_used_client_pickles_without_its_bearer_token(
    emulator: EntraEmulator, azurite: Azurite, dumps: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's auth policy caches the token it was given; azlogin's tokens pickle as an
    expired, empty one, so the client's pickle carries no bearer token and the copy asks its
    credential (a recipe) for a new one."""
    import importlib
    import pickle

    client = storage.blob_service_client(
        azurite.account_url,
        env=emulator.env("SPN"),
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    )
    name = f"c{uuid.uuid4().hex[:12]}"
    client.create_container(name)  # a request: the policy now holds the token
    token = client.credential.get_token().token
    blob = importlib.import_module(dumps).dumps(client)
    assert token.encode() not in blob
    for variable, value in emulator.env("SPN").items():  # the "worker's" environment
        monkeypatch.setenv(variable, value)
    copy = pickle.loads(blob)
    assert name in [container.name for container in copy.list_containers()]  # a new token
    client.delete_container(name)


def test_curl_lists_containers_with_the_token_command(
    emulator: EntraEmulator, azurite: Azurite, private_home: Path
) -> None:
    """``curl -H "Authorization: Bearer $(azlogin token)"``: a tool outside Python signed in
    by azlogin; with a wrong token the same request is refused."""
    import os
    import shutil
    import subprocess
    import sys

    name = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url,
        env=emulator.env("SPN"),
        trusted_microsoft_suffixes=LOOPBACK,
        connection_verify=emulator.ca_path,
    ).create_container(name)
    script = Path(sys.executable).with_name("azlogin")
    env = {**os.environ, **emulator.env("SPN"), "HOME": str(private_home),
           "REQUESTS_CA_BUNDLE": emulator.ca_path}  # fmt: skip
    token = subprocess.run(
        [str(script), "token"], env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    curl = shutil.which("curl")
    assert curl is not None, "curl is installed by the nox session (system_packages)"

    def list_containers(bearer: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [curl, "--silent", "--cacert", emulator.ca_path, "-w", "\\n%{http_code}",
             "-H", f"Authorization: Bearer {bearer}", "-H", "x-ms-version: 2021-08-06",
             f"{azurite.account_url}?comp=list"],
            capture_output=True, text=True, check=True, timeout=60,
        )  # fmt: skip

    listed = list_containers(token)
    assert listed.stdout.endswith("\n200"), listed.stdout[-300:]
    assert f"<Name>{name}</Name>" in listed.stdout
    refused = list_containers("not-a-token")
    assert refused.stdout.rsplit("\n", 1)[-1] in ("401", "403"), refused.stdout[-300:]
