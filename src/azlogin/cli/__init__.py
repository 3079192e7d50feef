"""The ``azlogin`` command line (also ``python -m azlogin``): AzCopy's ``login``, ``login status``,
``logout`` and ``env``, with AzCopy's flags, and ``token`` (as ``az account get-access-token``).

A failure is one line on stderr, ``azlogin: error: ...``, exit code 1; a usage error is
argparse's usage and one line, exit code 2; Ctrl-C is ``azlogin: interrupted``, exit code 130.
Log records (azure-identity's, azlogin's) reach stderr only with ``--debug``, which also adds
the traceback. ``--output-type json`` prints one JSON object (``env``: a list).

Starting is cheap: ``login status`` and ``token`` written plainly are read without argparse
(:mod:`._grammar`), and logging is configured only once something imports it
(:mod:`._records`); ``--version`` and ``--help`` import argparse only, ``env`` the pure
configuration tables too; each command imports what it needs when it runs (the store, and
azure-identity only when a token must come from the identity provider).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import TextIO

from .._errors import AzLoginError
from ._grammar import read_fast
from ._records import log_records

__all__ = ["console", "main"]

EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a command Ctrl-C stopped."""
EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: the reader of stdout went away (``azlogin env | head -1``)."""


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 failed or not logged in, 2 usage,
    130 interrupted)."""
    environ = os.environ if environ is None else environ
    if stdout is None:  # a name the terminal's encoding cannot show is escaped, not a crash
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    out, err = stdout or sys.stdout, stderr or sys.stderr
    words = sys.argv[1:] if argv is None else list(argv)
    arguments = read_fast(words) or _read_with_argparse(words, err)
    if arguments is None:
        return 2
    with log_records(arguments.debug, err):
        try:
            return _run(arguments, environ, out, err, stdin or sys.stdin)
        except KeyboardInterrupt:
            err.write("azlogin: interrupted\n")
            return EXIT_INTERRUPTED
        except BrokenPipeError:
            with contextlib.suppress(OSError, ValueError):  # no second error at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())
            return EXIT_BROKEN_PIPE
        except Exception as error:  # noqa: BLE001 - every failure is one line (--debug: all)
            if arguments.debug:
                import traceback

                traceback.print_exc(file=err)
            err.write(f"azlogin: error: {_one_line(error)}\n")
            return 1


def console() -> int:
    """The ``azlogin`` console script and ``python -m azlogin``: :func:`main` in a process that
    starts and ends cheaply.

    A command runs for seconds (a device login: minutes), so the cyclic garbage collector,
    which would only walk the modules being imported, stays off; reference counting frees the
    rest. The interpreter's teardown (collecting, then freeing, every module: about a tenth
    of a ``login status`` or ``token`` process) is skipped, which loses nothing: the exit
    functions run first (``logging.shutdown``, finalizers, certifi's cleanup), then stdout and
    stderr are flushed; every store write is complete when the command returns, and the
    kernel releases file locks and descriptors. While a non-daemon thread runs, or when a
    flush fails, the process ends as usual: the interpreter waits for the thread, or reports
    the failure."""
    gc.disable()
    code = main()
    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    if any(not thread.daemon for thread in others):
        return code
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return code
    os._exit(code)


def _read_with_argparse(words: Sequence[str], err: TextIO) -> SimpleNamespace | None:
    """The command line as argparse reads it; None when it is not a command (argparse's usage
    and error, or with no command the help, went to ``err``: exit code 2)."""
    from ._parser import UsageError, build_parser, parse_command_line

    parser = build_parser()
    try:
        arguments = parse_command_line(parser, words)
    except UsageError as error:
        from ._output import printable

        error.parser.print_usage(err)
        err.write(f"{error.parser.prog}: error: {printable(error.message)}\n")
        return None
    if arguments.command is None:
        parser.print_help(err)
        return None
    return arguments


def _run(
    arguments: SimpleNamespace,
    environ: Mapping[str, str],
    out: TextIO,
    err: TextIO,
    stdin: TextIO,
) -> int:
    """Runs the command, importing only its own module."""
    command = arguments.command
    if command == "env":
        from ._commands import run_env

        return run_env(arguments, environ, out)
    if command == "token":
        from ._commands import run_token

        return run_token(arguments, environ, out)
    if command == "logout":
        from ._commands import run_logout

        return run_logout(arguments, environ, out)
    if arguments.login_command == "status":
        from ._status import run_status

        return run_status(arguments, environ, out)
    from ._login import run_login

    return run_login(arguments, environ, out, err, stdin)


def _one_line(error: BaseException) -> str:
    """An error as one line: azlogin's and azure-core's messages as they are (they say what to
    do), anything else with its type's name."""
    message = str(getattr(error, "message", None) or error).strip()
    first = message.splitlines()[0] if message else ""
    known = isinstance(error, AzLoginError) or type(error).__module__.startswith("azure.")
    if not known or not first:
        first = f"{type(error).__name__}: {first}" if first else type(error).__name__
    from ._output import printable

    return printable(first)
