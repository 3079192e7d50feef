"""The ``azlogin`` command line (also ``python -m azlogin``).

This release has ``azlogin env``; ``login``, ``login status`` and ``logout`` follow.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TextIO

from ._version import __version__
from .env_report import env_rows

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azlogin",
        description="AzCopy's way of signing in to Azure Storage.",
    )
    parser.add_argument("--version", action="version", version=f"azlogin {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    env = commands.add_parser(
        "env",
        help="List the environment variables azlogin reads, with their current values.",
        description="List every environment variable azlogin reads, what it means and its "
        "current value. Secrets are shown as REDACTED unless --show-sensitive is given.",
    )
    env.add_argument(
        "--show-sensitive", action="store_true", help="Show secret values instead of REDACTED."
    )
    env.add_argument("--output-type", choices=("text", "json"), default="text")
    return parser


def _print_env(
    environ: Mapping[str, str], *, show_sensitive: bool, output_type: str, out: TextIO
) -> None:
    rows = env_rows(environ, show_sensitive=show_sensitive)
    if output_type == "json":
        json.dump([asdict(row) for row in rows], out, indent=2)
        out.write("\n")
        return
    for row in rows:
        value = "(not set)" if row.value is None else row.value
        out.write(f"{row.name} = {value}\n")
        out.write(f"    {row.description}\n")
        out.write(f"    Used by: {', '.join(row.login_types)}\n")


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    arguments = _parser().parse_args(argv)
    environ = os.environ if environ is None else environ
    if arguments.command == "env":
        _print_env(
            environ,
            show_sensitive=arguments.show_sensitive,
            output_type=arguments.output_type,
            out=sys.stdout,
        )
        return 0
    _parser().print_help(sys.stderr)
    return 2
