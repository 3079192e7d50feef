"""Text for people, one JSON object for programs. Nothing secret is ever passed in here."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from .._config.env_report import EnvRow

__all__ = ["emit", "emit_env"]


def emit(
    arguments: argparse.Namespace, out: TextIO, data: Mapping[str, Any], lines: Sequence[str]
) -> None:
    if arguments.output_type == "json":
        out.write(json.dumps(dict(data), sort_keys=True) + "\n")
    else:
        out.write("".join(f"{line}\n" for line in lines))


def emit_env(rows: Sequence[EnvRow], arguments: argparse.Namespace, out: TextIO) -> None:
    if arguments.output_type == "json":
        out.write(json.dumps([asdict(row) for row in rows], indent=2) + "\n")
        return
    for row in rows:
        value = "(not set)" if row.value is None else row.value
        out.write(f"{row.name} = {value}\n")
        out.write(f"    {row.description}\n")
        out.write(f"    Used by: {', '.join(row.login_types)}\n")
