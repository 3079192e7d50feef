"""Stand-in ``az`` and ``pwsh`` executables that get their tokens from the Entra emulator.

``AzureCliCredential`` and ``AzurePowerShellCredential`` run the real tools as subprocesses.
Real PowerShell cannot be installed everywhere tests run, and the real Azure CLI takes minutes
to install, so :func:`write_standins` writes two thin executables that run the stand-in
program :mod:`._cli_standin` with the emulator's address and CA file baked in (they stop
working when the emulator stops). :func:`standin_token_reply` is the emulator's side: the
route ``"cli"`` that mints the signed-in user's token for them.

The executables are POSIX scripts (a shebang line naming this interpreter); Windows is not
supported.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from . import _cli_standin
from ._http import Reply, Request, oauth_error
from ._principals import AZURE_CLI_CLIENT_ID, AZURE_POWERSHELL_CLIENT_ID
from ._tokens import Issuer, user_claims

__all__ = ["STANDIN_NAMES", "render_standin", "standin_token_reply", "write_standins"]

#: The executables :func:`write_standins` creates, and the application id each signs in with.
STANDIN_NAMES = ("az", "pwsh")
_APPLICATION_IDS = {"az": AZURE_CLI_CLIENT_ID, "pwsh": AZURE_POWERSHELL_CLIENT_ID}

_MAX_SHEBANG = 120

# The program is loaded by its path rather than imported: importing azlogin would add half a
# second to every token request, and the program needs only the standard library.
_EXECUTABLE = '''\
"""azlogin test stand-in for `{tool}`: runs azlogin.testing._cli_standin (see its docstring)."""

import importlib.util
import sys

spec = importlib.util.spec_from_file_location("azlogin_cli_standin", {program!r})
program = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = program
spec.loader.exec_module(program)
sys.exit(program.main({config!r}, sys.argv[1:]))
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
    """Return the source of the stand-in executable ``tool`` (``"az"`` or ``"pwsh"``).

    Raises:
        ValueError: ``tool`` is not one of :data:`STANDIN_NAMES`.
    """
    if tool not in STANDIN_NAMES:
        raise ValueError(f"unknown stand-in {tool!r}; expected one of {STANDIN_NAMES}")
    config = _cli_standin.Config(tool, authority, ca_path, tenant_id, subscription_id)
    program = os.path.abspath(_cli_standin.__file__)
    body = _EXECUTABLE.format(tool=tool, program=program, config=json.dumps(config._asdict()))
    return _shebang() + body


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


def standin_token_reply(request: Request, issuer: Issuer) -> Reply:
    """Answer a stand-in (``POST /_standin/token``): the signed-in user's token for the JSON
    body's ``resource`` and ``tenant`` (default the home tenant), for ``tool`` ``az`` or
    ``pwsh``."""
    try:
        data = request.json()
    except ValueError:
        return oauth_error(400, "invalid_request", "Expected a JSON body.", 900144)
    resource = data.get("resource")
    appid = _APPLICATION_IDS.get(str(data.get("tool")))
    if not isinstance(resource, str) or not resource or appid is None:
        description = "Expected 'resource' and 'tool' ('az' or 'pwsh')."
        return oauth_error(400, "invalid_request", description, 900144)
    token, expires_on = issuer.mint_token(
        resource=resource,
        tenant_id=str(data.get("tenant") or issuer.tenant_id),
        oid=issuer.user_object_id,
        appid=appid,
        extra_claims=user_claims(issuer.username),
    )
    return Reply(200, {"access_token": token, "expires_on": expires_on})
