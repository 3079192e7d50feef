"""azlogin demo: sign in the way AzCopy does, against a loopback Microsoft Entra ID and Azurite.

Starts azlogin.testing.EntraEmulator, sets the AZCOPY_* variables a pipeline would set, resolves
credentials with azlogin.get_credential and prints their tokens' claims (never a raw token). Then
it starts Azurite (installed from npm on first use), uploads and downloads a blob through
azlogin.storage, and shows the guard refusing a lookalike host. Run it with ``nox -s demo``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import azlogin
from azlogin import storage
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite

SHOWN_CLAIMS = ("aud", "iss", "tid", "appid", "oid", "iat", "exp")


def show(
    title: str, env: dict[str, str], credential: azlogin.Credential, emu: EntraEmulator
) -> None:
    info = credential.get_token_info()  # Azure Storage's scope by default
    claims = emu.decode(info.token)
    print(f"\n== {title}")
    secret = {v.name for row in azlogin.LOGIN_TYPES for v in row.variables if v.secret}
    for name, value in sorted(env.items()):
        value = "REDACTED" if name in secret else value
        print(f"   {name}={value}")
    print(f"   credential: {credential!r}")
    print("   token claims: " + ", ".join(f"{key}={claims.get(key)}" for key in SHOWN_CLAIMS))
    print(f"   (raw token of {len(info.token)} characters not shown)")


def main() -> None:
    with EntraEmulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        verify = emulator.ca_path  # the emulator's own CA; real Entra ID needs no such keyword
        # The demo's tokens go to a token store of its own, not to ~/.azlogin.
        store = {"AZLOGIN_STORE_DIR": str(Path(scratch) / "token-store")}
        print(f"EntraEmulator listening on {emulator.authority} (IMDS on {emulator.imds_endpoint})")

        env = {**emulator.env("SPN"), **store}
        show(
            "SPN with a client secret",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        certificate = emulator.write_certificate(
            Path(scratch) / "spn.pfx", fmt="pkcs12", password="demo-pass"
        )
        env = {
            **emulator.env("SPN", certificate_path=certificate, certificate_password="demo-pass"),
            **store,
        }
        show(
            "SPN with a PKCS12 certificate",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        env = {**emulator.env("DEVICE"), **store}
        credential = azlogin.get_credential(env, connection_verify=verify)  # prompt goes to stderr
        show("DEVICE code flow (the emulator signs the user in)", env, credential, emulator)

        env = {**emulator.env("MSI", via="imds", identity="client_id"), **store}
        os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = env.pop(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST"
        )
        show("MSI, user-assigned, through IMDS", env, azlogin.get_credential(env), emulator)

        token_file = emulator.write_federated_token(Path(scratch) / "federated-token")
        env = {**emulator.env("WORKLOAD", token_file=token_file), **store}
        show(
            "WORKLOAD identity",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        try:
            azlogin.get_credential(
                {"AZCOPY_AUTO_LOGIN_TYPE": "SPN", "AZCOPY_SPA_CLIENT_SECRET": "hunter2", **store}
            )
        except azlogin.ConfigurationError as error:
            print(f"\n== A missing setting is named, the secret never echoed:\n   {error}")

        round_trip(emulator, Path(scratch), store)
        print(f"\nRequests the emulator served: {dict(emulator.requests)}")


def round_trip(emulator: EntraEmulator, scratch: Path, store: dict[str, str]) -> None:
    print("\n== Azurite round trip (blob service over HTTPS, OAuth), signed in as the SPN")
    with Azurite(emulator.ca, scratch) as azurite:
        client = storage.blob_service_client(
            azurite.account_url,
            env={**emulator.env("SPN"), **store},
            trusted_microsoft_suffixes="127.0.0.1",  # loopback is trusted only when asked
            connection_verify=emulator.ca_path,
        )
        container = client.create_container("demo")
        container.upload_blob("hello.txt", b"hello from azlogin")
        names = [blob.name for blob in container.list_blobs()]
        data = container.download_blob("hello.txt").readall()
        print(f"   uploaded and listed {names}, downloaded {data!r}")
        client.delete_container("demo")

    lookalike = "https://myaccount.blob.core.windows.net.evil.test/"
    try:
        storage.blob_service_client(lookalike, env={**emulator.env("SPN"), **store})
    except azlogin.UntrustedDestinationError as error:
        print(f"\n== The guard refuses a lookalike host, before any request:\n   {error}")


if __name__ == "__main__":
    main()
