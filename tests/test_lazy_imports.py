"""What a fresh interpreter imports: ``import azlogin`` none of the heavy dependencies, and a
process whose token is in the token store none of azure-identity, MSAL or the storage SDKs.

Each case runs in a new interpreter (``sys.executable -c``) that prints the modules it ended
with; each also shows, on the path that does need a dependency, that the dependency is then
imported (so a check that saw nothing would fail). Speed itself is measured by
benchmarks/bench_tokens.py, never asserted here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import azlogin
from azlogin.testing import EntraEmulator
from tests.support import imported_by_dependencies, modules_after

IDENTITY = ("azure.identity", "msal", "msal_extensions")
STORAGE_SDKS = ("azure.storage", "adlfs", "aiohttp")
HEAVY = (*IDENTITY, *STORAGE_SDKS, "azure.core", "cryptography", "requests", "keyring", "asyncio")
"""Never imported by ``import azlogin``."""
NOT_FOR_A_STORED_TOKEN = (*IDENTITY, *STORAGE_SDKS, "requests", "keyring", "asyncio")
"""Never imported by a process served from the token store (asyncio excepted for an asyncio
credential; azure-core is: the token is its AccessToken; cryptography is: the item is opened)."""


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The ``packages`` (or their submodules) among ``modules``."""
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


def test_import_azlogin_imports_no_heavy_dependency() -> None:
    modules = modules_after("import azlogin")
    assert _loaded(modules, HEAVY) == []
    assert "azlogin._build.assemble" not in modules  # the public names load on first use


def test_every_public_name_is_still_importable_from_the_package() -> None:
    modules = modules_after(
        "from azlogin import *\n"
        "import azlogin\n"
        "assert all(getattr(azlogin, name) is not None for name in azlogin.__all__)\n"
        "assert set(azlogin.__all__) <= set(dir(azlogin))"
    )
    assert _loaded(modules, ("azure.core",)) == ["azure.core"]  # GuardedTransport needs it
    assert _loaded(modules, (*IDENTITY, *STORAGE_SDKS)) == []
    with pytest.raises(AttributeError, match="no attribute 'get_credentials'"):
        azlogin.get_credentials  # noqa: B018 - a misspelt name is still an AttributeError


@pytest.mark.parametrize(
    "module",
    ["azlogin.storage", "azlogin.storage.aio", "azlogin.fsspec", "azlogin.persistence"],
)
def test_importing_a_public_module_imports_no_sdk(module: str) -> None:
    assert _loaded(modules_after(f"import {module}"), HEAVY) == []


def test_a_storage_client_imports_its_sdk_but_no_azure_identity_until_a_token(
    emulator: EntraEmulator,
) -> None:
    """Building a client needs the SDK; the credential inside it needs azure-identity only
    when the client asks it for a token."""
    code = (
        "from azlogin.storage import blob_service_client\n"
        f"blob_service_client('https://acct.blob.core.windows.net', env={emulator.env('SPN')!r},"
        " token_store='none')"
    )
    modules = modules_after(code)
    assert _loaded(modules, ("azure.storage",)) == ["azure.storage"]
    assert _loaded(modules, IDENTITY) == []


GET_TOKEN = {
    "sync": (
        "credential = azlogin.get_credential({env!r}, connection_verify={ca!r})\n"
        "token = credential.get_token({scope!r})"
    ),
    "asyncio": (
        "import asyncio\n"
        "async def main():\n"
        "    async with azlogin.get_async_credential({env!r}, connection_verify={ca!r}) as c:\n"
        "        return await c.get_token({scope!r})\n"
        "token = asyncio.run(main())"
    ),
}
"""A fresh process's first token, in each flavor."""


def _azure_core_imports_asyncio() -> bool:
    """Whether azure-core itself imports asyncio (1.31, the oldest admitted, does): then a
    sync process that hands out its AccessToken has asyncio, and azlogin is not the cause."""
    return "asyncio" in modules_after("import azure.core.credentials")


@pytest.mark.parametrize(
    ("login", "flavor"), [("variables", "sync"), ("saved login", "sync"), ("variables", "asyncio")]
)
def test_a_token_served_from_the_store_imports_no_azure_identity_msal_or_sdk(
    login: str, flavor: str, emulator: EntraEmulator, private_home: Path
) -> None:
    """A first process (this one) fetches a token and stores it; a fresh process asks for it
    and is served from the store, without a request and without azure-identity."""
    key = {"AZLOGIN_STORE_PASSPHRASE": "a passphrase for the test"}  # if keyctl is refused
    env = {**emulator.env("SPN"), **key}
    if login == "saved login":
        from azlogin._config.saved import SavedLogin
        from azlogin.persistence._default import StoreOpener

        StoreOpener(key).save_login(SavedLogin("SPN", emulator.env("SPN")))
        env = key
    first = azlogin.get_credential(env, connection_verify=emulator.ca_path)
    stored = first.get_token(azlogin.STORAGE_SCOPE).token
    emulator.reset()

    def fresh_process(scope: str) -> set[str]:
        get_token = GET_TOKEN[flavor].format(env=env, ca=emulator.ca_path, scope=scope)
        code = (
            f"import azlogin\n{get_token}\n"
            "from azure.core.credentials import AccessToken\n"
            "assert isinstance(token, AccessToken)\n"
            f"assert (token.token == {stored!r}) is {scope == azlogin.STORAGE_SCOPE}"
        )
        no_bus = {"DBUS_SESSION_BUS_ADDRESS": ""}  # as on a server: no OS secret store
        return modules_after(code, {"HOME": str(private_home), **no_bus})

    modules = fresh_process(azlogin.STORAGE_SCOPE)
    assert sum(emulator.requests.values()) == 0  # served from the store
    allowed = ("asyncio",) if flavor == "asyncio" or _azure_core_imports_asyncio() else ()
    assert _loaded(modules, tuple(p for p in NOT_FOR_A_STORED_TOKEN if p not in allowed)) == []
    assert _loaded(modules, ("azure.core", "cryptography")) == ["azure.core", "cryptography"]

    # A token the store cannot serve comes from the identity provider, through azure-identity.
    modules = fresh_process("https://vault.azure.net/.default")
    assert _loaded(modules, ("azure.identity",)) == ["azure.identity"]
    assert emulator.requests["token"] == 1


def test_a_stored_token_read_as_the_engine_keeps_it_imports_no_azure_core(
    emulator: EntraEmulator, private_home: Path
) -> None:
    """``raw_token`` (what the CLI prints) serves the stored token without azure-core's types,
    so without azure-core (nor logging or dataclasses); the engine's entry still hands out
    azure-core's on request."""
    env = {**emulator.env("SPN"), "AZLOGIN_STORE_PASSPHRASE": "a passphrase for the test"}
    stored = azlogin.get_credential(env, connection_verify=emulator.ca_path).get_token().token
    emulator.reset()
    # Not azlogin's imports when the oldest admitted cryptography makes them itself.
    theirs = imported_by_dependencies() & {"logging", "dataclasses"}
    code = (
        "import azlogin\n"
        "from azlogin._engine.credential import raw_token\n"
        f"credential = azlogin.get_credential({env!r}, connection_verify={emulator.ca_path!r})\n"
        f"assert raw_token(credential, azlogin.STORAGE_SCOPE).token == {stored!r}\n"
        "import sys\n"
        "assert 'azure.core' not in sys.modules\n"
        f"assert not ({{'logging', 'dataclasses'}} - {theirs!r}) & set(sys.modules), 'ours'\n"
        f"assert credential.get_token_info().token == {stored!r}"
    )
    modules = modules_after(code, {"HOME": str(private_home), "DBUS_SESSION_BUS_ADDRESS": ""})
    assert sum(emulator.requests.values()) == 0
    assert _loaded(modules, ("azure.core", "azure.identity")) == ["azure.core"]


def test_a_certificate_azure_identity_would_refuse_is_refused_when_the_credential_is_made(
    emulator: EntraEmulator, tmp_path: Path
) -> None:
    """azure-identity is imported at the first token, not by get_credential; what its
    CertificateCredential would refuse (a key that is not RSA) still fails at once, as a
    ConfigurationError naming the variable."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ec")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    path = tmp_path / "ec.pem"
    path.write_bytes(
        certificate.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    env = emulator.env("SPN", certificate_path=str(path))
    with pytest.raises(azlogin.ConfigurationError, match="not RSA") as raised:
        azlogin.get_credential(env)
    assert raised.value.variable == "AZCOPY_SPA_CERT_PATH"


def test_azlogin_s_loggers_import_logging_only_for_a_record_someone_could_see() -> None:
    """Before anything imports logging no handler exists, so a DEBUG or INFO record would reach
    no one: it is dropped without importing logging. A WARNING imports it and, with no handler
    configured, reaches logging's last resort (stderr) as it always did."""
    code = (
        "import sys\n"
        "from azlogin._logs import Logger\n"
        "log = Logger('azlogin.test')\n"
        "log.debug('quiet %s', 1)\n"
        "log.info('quiet %s', 2)\n"
        "assert 'logging' not in sys.modules\n"
        "log.warning('shown %s', 3)\n"
        "assert 'logging' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "shown 3\n"
