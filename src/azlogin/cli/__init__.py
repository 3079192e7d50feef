"""The ``azlogin`` command line (also ``python -m azlogin``): AzCopy's ``login``, ``login status``,
``logout`` and ``env``, with AzCopy's flags, and ``token`` (as ``az account get-access-token``).

Errors go to stderr as one line that says what to do, with a non-zero exit code; ``--debug``
adds the traceback. ``--output-type json`` prints one JSON object (``env``: a list).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Mapping, Sequence
from typing import TextIO

from azure.core.exceptions import ClientAuthenticationError

from .._errors import AzLoginError
from ._commands import run_env, run_login, run_logout, run_status, run_token
from ._parser import build_parser

__all__ = ["main"]


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 failed or not logged in, 2 usage)."""
    environ = os.environ if environ is None else environ
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    arguments = parser.parse_args(argv)
    command = arguments.command
    try:
        if command == "env":
            return run_env(arguments, environ, out)
        if command == "token":
            return run_token(arguments, environ, out)
        if command == "logout":
            return run_logout(arguments, environ, out)
        if command == "login" and arguments.login_command == "status":
            return run_status(arguments, environ, out)
        if command == "login":
            return run_login(arguments, environ, out, err, stdin or sys.stdin)
    except (AzLoginError, ClientAuthenticationError) as error:
        if getattr(arguments, "debug", False):
            traceback.print_exc(file=err)
        message = getattr(error, "message", None) or str(error)
        err.write(f"azlogin: error: {str(message).splitlines()[0]}\n")
        return 1
    parser.print_help(err)
    return 2
