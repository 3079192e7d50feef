"""The environment a user sets to sign in against the emulator, generated from the login-type
table.

``EntraEmulator.env(login_type, **options)`` reads the login type's row of
:data:`azlogin.LOGIN_TYPES`: every variable of the row whose setting has a value gets it. The
emulator supplies the values it knows (its tenant, authority, service principal, a federated
token file); options, named by the settings' keywords as ``get_credential`` takes them, add
to them or replace them. A login type whose row has managed-identity settings also gets the
platform's endpoint variables, which azure-identity reads from ``os.environ``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from .._config.login_types import lookup_login_type
from .._config.variables import AUTO_LOGIN_TYPE

__all__ = ["Emulated", "login_environment"]

# Keywords the emulator has always taken, by the setting they name.
_ALIASES = {"token_file": "federated_token_file"}
# A row with settings of this prefix is a managed identity: it chooses a platform and one
# identity (``identity="client_id"`` sets ``identity_client_id``).
_IDENTITY_PREFIX = "identity_"
_PLATFORMS = ("imds", "app_service")


class Emulated(Protocol):
    """What the environments read from the emulator."""

    tenant_id: str
    client_id: str
    client_secret: str
    identity_header: str
    msi_client_id: str
    msi_object_id: str
    msi_resource_id: str

    @property
    def authority(self) -> str:
        """The authority host, ``https://127.0.0.1:PORT``."""
        ...

    @property
    def imds_endpoint(self) -> str:
        """The IMDS host."""
        ...

    @property
    def app_service_endpoint(self) -> str:
        """The App Service identity endpoint."""
        ...

    def _federated_token_file(self) -> str:
        """A federated token file the service principal trusts, written on first use."""
        ...


def login_environment(
    emulator: Emulated, login_type: str, options: Mapping[str, object]
) -> dict[str, str]:
    """The variables that sign in with ``login_type`` against ``emulator``.

    Raises:
        ValueError: an unknown login type (a ``ConfigurationError``) or option, or an option
            without the one it needs.
    """
    row = lookup_login_type(login_type, "EntraEmulator.env()'s login_type", keyword="login_type")
    settings = {variable.setting for variable in row.variables}
    managed = any(setting.startswith(_IDENTITY_PREFIX) for setting in settings)
    extras = {"via", "identity"} if managed else set()
    allowed = settings | extras | {alias for alias, name in _ALIASES.items() if name in settings}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValueError(
            f"unknown option(s) for {row.name}: {', '.join(unknown)}; "
            f"expected some of {', '.join(sorted(allowed))}"
        )
    given = {
        _ALIASES.get(name, name): str(value)
        for name, value in options.items()
        if name not in extras and value not in (None, "")
    }
    if "certificate_password" in given and "certificate_path" not in given:
        raise ValueError("certificate_password needs certificate_path")
    if options.get("identity") is not None:
        given.update(_user_assigned(emulator, str(options["identity"]), settings))
    values = {**_known_values(emulator, settings, given), **given}
    env = {AUTO_LOGIN_TYPE.name: row.name}
    env.update({v.name: values[v.setting] for v in row.variables if v.setting in values})
    if managed:
        env.update(_platform(emulator, str(options.get("via") or _PLATFORMS[0])))
    return env


def _known_values(
    emulator: Emulated, settings: set[str], given: Mapping[str, str]
) -> dict[str, str]:
    """The values the emulator supplies for the settings the options leave out."""
    values = {
        "tenant_id": emulator.tenant_id,
        "aad_endpoint": emulator.authority,
        "application_id": emulator.client_id,
    }
    if "certificate_path" not in given:  # a certificate replaces the secret
        values["client_secret"] = emulator.client_secret
    if "federated_token_file" in settings and "federated_token_file" not in given:
        values["federated_token_file"] = emulator._federated_token_file()
    return {name: value for name, value in values.items() if name in settings}


def _user_assigned(emulator: Emulated, identity: str, settings: set[str]) -> dict[str, str]:
    """The setting that names the user-assigned identity by ``identity`` (``"client_id"``...)."""
    known = {
        "identity_client_id": emulator.msi_client_id,
        "identity_object_id": emulator.msi_object_id,
        "identity_resource_id": emulator.msi_resource_id,
    }
    choices = sorted(s[len(_IDENTITY_PREFIX) :] for s in known if s in settings)
    setting = _IDENTITY_PREFIX + identity
    if setting not in settings or setting not in known:
        raise ValueError(f"unknown MSI identity {identity!r}; expected one of {choices}")
    return {setting: known[setting]}


def _platform(emulator: Emulated, via: str) -> dict[str, str]:
    """The endpoint variables of the managed identity platform ``via``."""
    if via.lower() == "imds":
        return {"AZURE_POD_IDENTITY_AUTHORITY_HOST": emulator.imds_endpoint}
    if via.lower() == "app_service":
        return {
            "IDENTITY_ENDPOINT": emulator.app_service_endpoint,
            "IDENTITY_HEADER": emulator.identity_header,
        }
    raise ValueError(f"unknown MSI via {via!r}; expected one of {list(_PLATFORMS)}")
