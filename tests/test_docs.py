"""The docs that are generated from code must match the code."""

from __future__ import annotations

import re
from pathlib import Path

from azlogin._config.env_report import login_types_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_login_types_page_matches_the_table() -> None:
    text = (DOCS / "login-types.md").read_text()
    match = re.search(
        r"<!-- generated:login-types:start -->\n(.*)<!-- generated:login-types:end -->", text, re.S
    )
    assert match is not None, "docs/login-types.md lost its generated-section markers"
    assert match.group(1) == login_types_markdown(), (
        "docs/login-types.md is out of date: paste "
        "azlogin._config.env_report.login_types_markdown() "
        "between its markers"
    )


HELP_BLOCK = re.compile(r"<!-- help:(?P<command>[^>]*) -->\n```text\n(?P<text>.*?)```", re.S)


def test_cli_reference_is_the_real_help_output() -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(sys.executable).parent / "azlogin"
    blocks = list(HELP_BLOCK.finditer((DOCS / "cli.md").read_text()))
    expected = ["azlogin", "login", "login status", "logout", "token", "env"]
    assert [b["command"] for b in blocks] == expected
    for block in blocks:
        command = [] if block["command"] == "azlogin" else block["command"].split()
        real = subprocess.run(
            [str(script), *command, "--help"], env={**os.environ, "COLUMNS": "100"},
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert " ".join(block["text"].split()) == " ".join(real.split()), (
            f"docs/cli.md is out of date for `azlogin {block['command']}`"
        )


def test_one_page_per_login_type_generated_from_the_table() -> None:
    from azlogin import LOGIN_TYPES
    from azlogin._config.env_report import login_type_page

    for login_type in LOGIN_TYPES:
        page = DOCS / "login-types" / f"{login_type.name.lower()}.md"
        assert page.read_text() == login_type_page(login_type.name), (
            f"{page} is out of date: write azlogin._config.env_report.login_type_page"
            f"({login_type.name!r}) to it"
        )
