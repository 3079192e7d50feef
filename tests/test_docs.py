"""The docs that are generated from code must match the code."""

from __future__ import annotations

import re
from pathlib import Path

from azlogin.env_report import login_types_markdown

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_login_types_page_matches_the_table() -> None:
    text = (DOCS / "login-types.md").read_text()
    match = re.search(
        r"<!-- generated:login-types:start -->\n(.*)<!-- generated:login-types:end -->", text, re.S
    )
    assert match is not None, "docs/login-types.md lost its generated-section markers"
    assert match.group(1) == login_types_markdown(), (
        "docs/login-types.md is out of date: paste azlogin.env_report.login_types_markdown() "
        "between its markers"
    )
