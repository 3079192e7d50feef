"""Stand-in ``az`` and ``pwsh`` executables that get their tokens from the Entra emulator.

``AzureCliCredential`` and ``AzurePowerShellCredential`` run the real tools as
subprocesses. Real PowerShell cannot be installed on the machines this project
is tested on; the real Azure CLI can (``nox -s azure_cli`` drives it) but takes
minutes to install. So :func:`write_standins` writes two small Python scripts
that answer the same command lines the way the real tools do, with a token
minted by the emulator over HTTPS (the emulator counts them as route ``"cli"``):

* ``az account get-access-token --output json --resource R [--tenant T]``
  prints the JSON document ``az`` prints. Any other ``az`` command fails with
  exit status 2.
* ``pwsh -NoProfile -NonInteractive -EncodedCommand B64`` decodes the script
  azure-identity sends (UTF-16LE, base64), finds the ``ResourceUrl`` and
  ``TenantId`` it asks ``Get-AzAccessToken`` for, and prints the
  ``azsdk%<token>%<expires_on>`` line that script writes.

When the emulator answers with an error (see ``EntraEmulator.fail``), the
stand-ins print its ``error_description`` to stderr and exit with status 1, so
``fail("cli", body={"error": "x", "error_description": "Please run 'az login'"})``
emulates a logged-out CLI.

The scripts need only the standard library. The emulator's address and CA
file are baked in, so they stop working when the emulator stops. They are POSIX
executables (shebang lines); Windows is not supported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["STANDIN_NAMES", "write_standins"]

#: The executables :func:`write_standins` creates.
STANDIN_NAMES = ("az", "pwsh")

_MAX_SHEBANG = 120

_SCRIPT = r'''
"""azlogin test stand-in for the `__TOOL__` executable (see azlogin.testing._standins)."""

import base64
import datetime
import json
import re
import ssl
import sys
import urllib.error
import urllib.request

CONFIG = json.loads(__CONFIG__)


class StandinError(Exception):
    """The emulator could not be reached or refused the request."""


def fetch_token(resource, tenant):
    body = {"resource": resource, "tenant": tenant, "tool": CONFIG["tool"]}
    request = urllib.request.Request(
        CONFIG["authority"] + "/_standin/token",
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        context = ssl.create_default_context(cafile=CONFIG["ca_path"])
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise StandinError(describe_error(exc)) from None
    except (OSError, ValueError) as exc:
        raise StandinError("cannot reach the Entra emulator: %s" % exc) from None


def describe_error(exc):
    try:
        payload = json.loads(exc.read().decode("utf-8"))
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    return str(payload.get("error_description") or payload.get("error") or "HTTP %d" % exc.code)


def strip_default(scope):
    return scope[: -len("/.default")] if scope.endswith("/.default") else scope


AZ_VALUE_OPTIONS = {
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


def parse_az_options(args):
    options = {}
    index = 0
    while index < len(args):
        name = args[index]
        if name in ("--only-show-errors", "--debug", "--verbose"):
            index += 1
            continue
        key = AZ_VALUE_OPTIONS.get(name)
        if key is None or index + 1 >= len(args):
            raise StandinError("unrecognized arguments: %s" % " ".join(args[index:]))
        options[key] = args[index + 1]
        index += 2
    return options


def az(args):
    if args[:2] != ["account", "get-access-token"]:
        sys.stderr.write(
            "ERROR: 'az %s' is not supported by the azlogin test stand-in.\n" % " ".join(args)
        )
        return 2
    try:
        options = parse_az_options(args[2:])
    except StandinError as exc:
        sys.stderr.write("ERROR: %s\n" % exc)
        return 2
    if options.get("output", "json") not in ("json", "jsonc"):
        sys.stderr.write("ERROR: the stand-in only prints --output json\n")
        return 2
    resource = options.get("resource") or strip_default(options.get("scope", ""))
    resource = resource or "https://management.core.windows.net/"
    tenant = options.get("tenant") or CONFIG["tenant_id"]
    try:
        token = fetch_token(resource, tenant)
    except StandinError as exc:
        sys.stderr.write("ERROR: %s\n" % exc)
        return 1
    expires_on = int(token["expires_on"])
    expires_local = datetime.datetime.fromtimestamp(expires_on)
    document = {
        "accessToken": token["access_token"],
        "expiresOn": expires_local.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "expires_on": expires_on,
        "subscription": options.get("subscription") or CONFIG["subscription_id"],
        "tenant": tenant,
        "tokenType": "Bearer",
    }
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    return 0


RESOURCE_PATTERNS = (
    r"'ResourceUrl'\s*=\s*'([^']*)'",
    r"-ResourceUrl\s+['\"]?([^'\"\s]+)",
    r"-Resource\s+['\"]?([^'\"\s]+)",
)
TENANT_PATTERNS = (
    r"\$tenantId\s*=\s*'([^']*)'",
    r"'TenantId'\s*=\s*'([^']*)'",
    r"-TenantId\s+['\"]?([^'\"\s$]+)",
)


def first_match(patterns, script):
    for pattern in patterns:
        match = re.search(pattern, script, flags=re.IGNORECASE)
        if match:
            return match.group(1)
    return ""


def pwsh_script(args):
    index = 0
    while index < len(args):
        name = args[index].lower()
        if name in ("-encodedcommand", "-enc", "-ec", "-e") and index + 1 < len(args):
            return base64.b64decode(args[index + 1]).decode("utf-16-le")
        if name in ("-command", "-c") and index + 1 < len(args):
            return " ".join(args[index + 1 :])
        index += 1
    return None


def pwsh(args):
    script = pwsh_script(args)
    if script is None or "Get-AzAccessToken" not in script:
        sys.stderr.write("The azlogin test stand-in only runs Get-AzAccessToken scripts.\n")
        return 64
    resource = first_match(RESOURCE_PATTERNS, script)
    if not resource:
        sys.stderr.write("Get-AzAccessToken: no ResourceUrl given.\n")
        return 1
    tenant = first_match(TENANT_PATTERNS, script) or CONFIG["tenant_id"]
    try:
        token = fetch_token(resource, tenant)
    except StandinError as exc:
        sys.stderr.write("Get-AzAccessToken: %s\n" % exc)
        return 1
    sys.stdout.write("\nazsdk%%%s%%%d\n\n" % (token["access_token"], int(token["expires_on"])))
    return 0


if __name__ == "__main__":
    sys.exit(az(sys.argv[1:]) if CONFIG["tool"] == "az" else pwsh(sys.argv[1:]))
'''


def _shebang() -> str:
    """Return the first line(s) that make the script run with this interpreter.

    A plain ``#!`` line cannot hold a path with spaces or longer than the kernel
    limit; then a ``/bin/sh`` line re-executes the interpreter instead.
    """
    executable = sys.executable
    if len(executable) < _MAX_SHEBANG and not any(c.isspace() for c in executable):
        return f"#!{executable}\n"
    quoted = executable.replace("'", "'\\''")
    return f"#!/bin/sh\n''''exec '{quoted}' \"$0\" \"$@\" # '''\n"


def render_standin(
    tool: str, *, authority: str, ca_path: str, tenant_id: str, subscription_id: str
) -> str:
    """Return the source of the stand-in ``tool`` (``"az"`` or ``"pwsh"``).

    Raises:
        ValueError: ``tool`` is not one of :data:`STANDIN_NAMES`.
    """
    if tool not in STANDIN_NAMES:
        raise ValueError(f"unknown stand-in {tool!r}; expected one of {STANDIN_NAMES}")
    config = {
        "tool": tool,
        "authority": authority,
        "ca_path": ca_path,
        "tenant_id": tenant_id,
        "subscription_id": subscription_id,
    }
    body = _SCRIPT.replace("__TOOL__", tool).replace("__CONFIG__", repr(json.dumps(config)))
    return _shebang() + body.lstrip("\n")


def write_standins(
    bin_dir: str | os.PathLike[str],
    *,
    authority: str,
    ca_path: str,
    tenant_id: str,
    subscription_id: str,
) -> list[str]:
    """Write the ``az`` and ``pwsh`` stand-ins into ``bin_dir`` (created if missing).

    Returns:
        The paths of the executables written.
    """
    directory = Path(bin_dir)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for tool in STANDIN_NAMES:
        path = directory / tool
        source = render_standin(
            tool,
            authority=authority,
            ca_path=ca_path,
            tenant_id=tenant_id,
            subscription_id=subscription_id,
        )
        path.write_text(source, encoding="utf-8")
        path.chmod(0o755)
        written.append(str(path))
    return written
