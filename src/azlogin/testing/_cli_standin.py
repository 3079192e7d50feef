"""The ``az`` and ``pwsh`` stand-ins: the program behind the executables of :mod:`._standins`.

It answers the command lines azure-identity's ``AzureCliCredential`` and
``AzurePowerShellCredential`` run, the way the real tools do, with a token the Entra emulator
mints for its user (``POST /_standin/token``, the emulator's route ``"cli"``):

* ``az account get-access-token --output json --resource R [--tenant T]`` prints the JSON
  document ``az`` prints. Any other ``az`` command fails with exit status 2.
* ``pwsh -NoProfile -NonInteractive -EncodedCommand B64`` decodes the script azure-identity
  sends (UTF-16LE, base64), finds the ``ResourceUrl`` and ``TenantId`` it asks
  ``Get-AzAccessToken`` for, and prints the ``azsdk%<token>%<expires_on>`` line that script
  writes.

When the emulator answers with an error, the stand-ins print its ``error_description`` to
stderr and exit with status 1, as a logged-out tool does.

Standard library only, and nothing from azlogin: the executables load this file by its path,
so that each run costs a Python start (a tenth of a second), not an import of azlogin too.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple, TextIO

__all__ = [
    "AZ_USAGE_ERROR",
    "PWSH_USAGE_ERROR",
    "Config",
    "StandinError",
    "az_document",
    "az_request",
    "fetch_token",
    "main",
    "pwsh_line",
    "pwsh_request",
]

#: Exit statuses of a command line the stand-in does not answer (as the real tools use them).
AZ_USAGE_ERROR = 2
PWSH_USAGE_ERROR = 64
_ARM_RESOURCE = "https://management.core.windows.net/"
_AZ_FLAGS = frozenset({"--only-show-errors", "--debug", "--verbose"})
_AZ_VALUE_OPTIONS = {
    "--resource": "resource",
    "--scope": "scope",
    "--tenant": "tenant",
    "-t": "tenant",
    "--subscription": "subscription",
    "-s": "subscription",
    "--output": "output",
    "-o": "output",
    "--query": "query",
}
_PWSH_ENCODED = frozenset({"-encodedcommand", "-enc", "-ec", "-e"})
_PWSH_COMMAND = frozenset({"-command", "-c"})
_RESOURCE_PATTERNS = (
    r"'ResourceUrl'\s*=\s*'([^']*)'",
    r"-ResourceUrl\s+['\"]?([^'\"\s]+)",
    r"-Resource\s+['\"]?([^'\"\s]+)",
)
_TENANT_PATTERNS = (
    r"\$tenantId\s*=\s*'([^']*)'",
    r"'TenantId'\s*=\s*'([^']*)'",
    r"-TenantId\s+['\"]?([^'\"\s$]+)",
)


class Config(NamedTuple):
    """What an executable bakes in: which tool it is, and where its emulator listens."""

    tool: str
    authority: str
    ca_path: str
    tenant_id: str
    subscription_id: str


class StandinError(Exception):
    """A command line the stand-in cannot answer, or the emulator refused or is unreachable.

    ``status`` is the exit status the tool ends with.
    """

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class TokenRequest(NamedTuple):
    """What a command line asks for: a token for ``resource`` in ``tenant``."""

    resource: str
    tenant: str
    subscription: str = ""


def fetch_token(config: Config, resource: str, tenant: str) -> dict[str, Any]:
    """Ask the emulator for the user's token: ``{"access_token", "expires_on"}``.

    Raises:
        StandinError: the emulator refused (its ``error_description``) or cannot be reached.
    """
    body = {"resource": resource, "tenant": tenant, "tool": config.tool}
    if not config.authority.startswith("https://"):
        raise StandinError(f"the emulator's authority must be https, not {config.authority!r}")
    request = urllib.request.Request(  # noqa: S310 - https, checked above
        config.authority + "/_standin/token",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        context = ssl.create_default_context(cafile=config.ca_path)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(request, timeout=30) as response:
            document: dict[str, Any] = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise StandinError(_describe_error(exc.code, exc.read())) from None
    except (OSError, ValueError) as exc:
        raise StandinError(f"cannot reach the Entra emulator: {exc}") from None
    return document


def _describe_error(status: int, payload: bytes) -> str:
    try:
        document = json.loads(payload.decode("utf-8"))
    except ValueError:
        document = None
    if not isinstance(document, dict):
        document = {}
    return str(document.get("error_description") or document.get("error") or f"HTTP {status}")


def _strip_default(scope: str) -> str:
    return scope[: -len("/.default")] if scope.endswith("/.default") else scope


def az_request(args: list[str], default_tenant: str) -> TokenRequest:
    """What ``az account get-access-token ...`` asks for.

    Raises:
        StandinError: another command, an unknown option, or an output other than JSON.
    """
    if args[:2] != ["account", "get-access-token"]:
        message = f"'az {' '.join(args)}' is not supported by the azlogin test stand-in."
        raise StandinError(message, AZ_USAGE_ERROR)
    options: dict[str, str] = {}
    rest = args[2:]
    while rest:
        name = rest.pop(0)
        if name in _AZ_FLAGS:
            continue
        key = _AZ_VALUE_OPTIONS.get(name)
        if key is None or not rest:
            raise StandinError(f"unrecognized arguments: {' '.join([name, *rest])}", AZ_USAGE_ERROR)
        options[key] = rest.pop(0)
    if options.get("output", "json") not in ("json", "jsonc"):
        raise StandinError("the stand-in only prints --output json", AZ_USAGE_ERROR)
    resource = options.get("resource") or _strip_default(options.get("scope", ""))
    return TokenRequest(
        resource or _ARM_RESOURCE,
        options.get("tenant") or default_tenant,
        options.get("subscription", ""),
    )


def az_document(token: Mapping[str, Any], request: TokenRequest, subscription: str) -> str:
    """The JSON ``az account get-access-token`` prints (``expiresOn`` in local time)."""
    expires_on = int(token["expires_on"])
    expires_local = datetime.datetime.fromtimestamp(expires_on)
    document = {
        "accessToken": token["access_token"],
        "expiresOn": expires_local.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "expires_on": expires_on,
        "subscription": request.subscription or subscription,
        "tenant": request.tenant,
        "tokenType": "Bearer",
    }
    return json.dumps(document, indent=2) + "\n"


def _pwsh_script(args: list[str]) -> str | None:
    for index, arg in enumerate(args[:-1]):
        name = arg.lower()
        if name in _PWSH_ENCODED:
            try:
                return base64.b64decode(args[index + 1], validate=True).decode("utf-16-le")
            except ValueError:  # binascii.Error and UnicodeDecodeError both are
                raise StandinError("-EncodedCommand is not base64 of UTF-16LE text.") from None
        if name in _PWSH_COMMAND:
            return " ".join(args[index + 1 :])
    return None


def _first_match(patterns: tuple[str, ...], script: str) -> str:
    for pattern in patterns:
        match = re.search(pattern, script, flags=re.IGNORECASE)
        if match:
            return match.group(1)
    return ""


def pwsh_request(args: list[str], default_tenant: str) -> TokenRequest:
    """What a ``pwsh`` command line running ``Get-AzAccessToken`` asks for.

    Raises:
        StandinError: no script, another script, or no resource.
    """
    script = _pwsh_script(args)
    if script is None or "Get-AzAccessToken" not in script:
        message = "The azlogin test stand-in only runs Get-AzAccessToken scripts."
        raise StandinError(message, PWSH_USAGE_ERROR)
    resource = _first_match(_RESOURCE_PATTERNS, script)
    if not resource:
        raise StandinError("Get-AzAccessToken: no ResourceUrl given.")
    return TokenRequest(resource, _first_match(_TENANT_PATTERNS, script) or default_tenant)


def pwsh_line(token: Mapping[str, Any]) -> str:
    """What azure-identity's ``Get-AzAccessToken`` script prints."""
    return f"\nazsdk%{token['access_token']}%{int(token['expires_on'])}\n\n"


def main(
    config: Config | str,
    args: list[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the stand-in ``config.tool`` with command line ``args``; return its exit status.

    ``config`` may be the JSON an executable bakes in.
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    if isinstance(config, str):
        config = Config(**json.loads(config))
    is_az = config.tool == "az"
    usage_prefix, fetch_prefix = ("ERROR: ", "ERROR: ") if is_az else ("", "Get-AzAccessToken: ")
    try:
        request = (az_request if is_az else pwsh_request)(args, config.tenant_id)
    except StandinError as exc:
        err.write(f"{usage_prefix}{exc}\n")
        return exc.status
    try:
        token = fetch_token(config, request.resource, request.tenant)
    except StandinError as exc:
        err.write(f"{fetch_prefix}{exc}\n")
        return exc.status
    out.write(az_document(token, request, config.subscription_id) if is_az else pwsh_line(token))
    return 0
