"""azlogin demo: sign in the way AzCopy does, against a loopback Microsoft Entra ID.

Starts azlogin.testing.EntraEmulator, sets the AZCOPY_* variables a pipeline would set, resolves
a credential with azlogin.get_credential, gets a token and prints its claims. The raw token is
never printed. Run it with ``nox -s demo`` (or ``python examples/demo.py`` with azlogin[testing]).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import azlogin
from azlogin.env_report import redact
from azlogin.testing import EntraEmulator

SHOWN_CLAIMS = ("aud", "iss", "tid", "appid", "oid", "iat", "exp")


def show(
    title: str, env: dict[str, str], credential: azlogin.Credential, emu: EntraEmulator
) -> None:
    info = credential.get_token_info()  # Azure Storage's scope by default
    claims = emu.decode(info.token)
    print(f"\n== {title}")
    for name, value in sorted(redact(env).items()):
        print(f"   {name}={value}")
    print(f"   credential: {credential!r}")
    print("   token claims: " + ", ".join(f"{key}={claims.get(key)}" for key in SHOWN_CLAIMS))
    print(f"   (raw token of {len(info.token)} characters not shown)")


def main() -> None:
    with EntraEmulator() as emulator, tempfile.TemporaryDirectory() as scratch:
        verify = emulator.ca_path  # the emulator's own CA; real Entra ID needs no such keyword
        print(f"EntraEmulator listening on {emulator.authority} (IMDS on {emulator.imds_endpoint})")

        env = emulator.env("SPN")
        show(
            "SPN with a client secret",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        certificate = emulator.write_certificate(
            Path(scratch) / "spn.pfx", fmt="pkcs12", password="demo-pass"
        )
        env = emulator.env("SPN", certificate_path=certificate, certificate_password="demo-pass")
        show(
            "SPN with a PKCS12 certificate",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        env = emulator.env("DEVICE")
        credential = azlogin.get_credential(env, connection_verify=verify)  # prompt goes to stderr
        show("DEVICE code flow (the emulator signs the user in)", env, credential, emulator)

        env = emulator.env("MSI", via="imds", identity="client_id")
        os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = env.pop(
            "AZURE_POD_IDENTITY_AUTHORITY_HOST"
        )
        show("MSI, user-assigned, through IMDS", env, azlogin.get_credential(env), emulator)

        token_file = emulator.write_federated_token(Path(scratch) / "federated-token")
        env = emulator.env("WORKLOAD", token_file=token_file)
        show(
            "WORKLOAD identity",
            env,
            azlogin.get_credential(env, connection_verify=verify),
            emulator,
        )

        try:
            azlogin.get_credential(
                {"AZCOPY_AUTO_LOGIN_TYPE": "SPN", "AZCOPY_SPA_CLIENT_SECRET": "hunter2"}
            )
        except azlogin.ConfigurationError as error:
            print(f"\n== A missing setting is named, the secret never echoed:\n   {error}")

        print(f"\nRequests the emulator served: {dict(emulator.requests)}")


if __name__ == "__main__":
    main()
