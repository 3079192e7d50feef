"""The fast reader of ``login status`` and ``token`` (azlogin.cli._grammar.read_fast) against
argparse: for every command line it either leaves the decision to argparse (None) or reads
exactly what argparse reads, attribute by attribute; and it does read the forms people type."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azlogin._engine.keys import STORAGE_SCOPE
from azlogin.cli._grammar import COMMON, FAST, options, read_fast
from azlogin.cli._parser import Parser, UsageError, build_parser, parse_command_line

WORDS = (
    "login", "status", "token", "logout", "env", "--debug", "--output-type", "json", "text",
    "xml", "--output-type=json", "--output-type=", "--tenant", "--endpoint", "--method",
    "--scope", "--scope=x", "s1", "-h", "--tenant-id", "--cap-mbps", "--", "-x", "--deb",
    "--debug=1", "-1", "", " s 2",
)  # fmt: skip
"""Words of command lines, right and wrong, for the fast reader to be tried on."""

PLAIN = (
    ["token"],
    ["token", "--output-type", "json"],
    ["token", "--output-type=json"],
    ["--output-type", "json", "token"],
    ["token", "--scope", "https://management.azure.com/.default"],
    ["token", "--scope=api://app/.default", "--output-type", "text"],
    ["--debug", "token"],
    ["token", "--debug"],
    ["login", "status"],
    ["login", "status", "--tenant", "--endpoint", "--method"],
    ["--output-type", "json", "login", "status"],
    ["login", "--output-type", "json", "status"],
    ["login", "status", "--output-type", "json"],
    ["login", "--debug", "status", "--output-type=json"],
    ["--output-type", "json", "login", "--output-type", "text", "status", "--tenant"],
)
"""Command lines people type: the fast reader must read every one."""


@pytest.fixture(scope="module")
def parser() -> Parser:
    return build_parser()


def _argparse(parser: Parser, argv: Sequence[str]) -> dict[str, Any]:
    """What the console script reads from ``argv`` without the fast reader, as a dict: the same
    as plain argparse with its own Namespace."""
    arguments = vars(parse_command_line(parser, argv))
    assert arguments == vars(parser.parse_args(argv))
    return arguments


def _agrees(parser: Parser, argv: Sequence[str]) -> bool:
    """Whether the fast reader read ``argv`` (asserting it read what argparse reads)."""
    fast = read_fast(argv)
    if fast is None:
        return False
    try:
        expected = _argparse(parser, argv)
    except (UsageError, SystemExit) as error:
        pytest.fail(f"read {argv!r} as {vars(fast)}, argparse refuses it: {error}")
    assert _typed(vars(fast)) == _typed(expected), argv
    return True


def _typed(arguments: dict[str, Any]) -> list[tuple[str, type, Any]]:
    """Equal only when each value is also of the same type (``True == 1`` is not enough)."""
    return sorted((name, type(value), value) for name, value in arguments.items())


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_the_forms_people_type_are_read_fast_and_as_argparse_reads_them(
    parser: Parser, argv: list[str]
) -> None:
    assert _agrees(parser, argv)


def test_defaults_and_subcommands_are_argparse_s(parser: Parser) -> None:
    status = read_fast(["login", "status"])
    assert status is not None
    assert (status.command, status.login_command, status.output_type) == ("login", "status", "text")
    assert status.tenant_id is None  # the login flags' defaults are there, as argparse sets them
    assert status.service_principal is False
    token = read_fast(["token"])
    assert token is not None
    assert (token.command, token.scope, token.debug) == ("token", STORAGE_SCOPE, False)


@pytest.mark.parametrize(
    "argv",
    [[], ["-h"], ["token", "--help"], ["--version"], ["login"], ["logout"], ["env"],
     ["login", "--tenant-id", "t", "status"], ["login", "--cap-mbps", "3", "status"],
     ["login", "--identity", "status"], ["token", "--scope", "-x"], ["token", "--scope"],
     ["token", "--scope="], ["token", "--output-type", "xml"], ["token", "--debug=yes"],
     ["token", "--", "--scope"], ["token", "--sco", "x"], ["login", "status", "--tenant-id"],
     ["token", "token"], ["login", "status", "status"], ["status"], ["token", "--tenant"],
     ["login", "--tenant", "status"], ["--scope", "x", "token"], ["-1", "token"]],
    ids=repr,
)  # fmt: skip
def test_anything_unusual_is_left_to_argparse(argv: list[str]) -> None:
    assert read_fast(argv) is None


def test_the_fast_commands_options_are_strings_or_switches() -> None:
    """read_fast keeps a value as typed: a fast command has no option argparse converts."""
    assert all(row.convert is None for command in FAST for row in (*options(command), *COMMON))


def test_every_short_command_line_is_left_to_argparse_or_read_as_it_reads_it(
    parser: Parser,
) -> None:
    read = sum(
        _agrees(parser, argv)
        for length in range(5)
        for argv in itertools.product(WORDS, repeat=length)
    )
    assert read > 250  # not everything was left to argparse


_COMMON = st.sampled_from(
    [["--debug"], ["--output-type", "json"], ["--output-type", "text"], ["--output-type=json"]]
)
_SCOPE = st.text(min_size=1, max_size=12).filter(lambda value: not value.startswith("-"))
_OWN = {
    "status": st.one_of(_COMMON, st.sampled_from([["--tenant"], ["--endpoint"], ["--method"]])),
    "token": st.one_of(
        _COMMON,
        st.tuples(st.booleans(), _SCOPE).map(
            lambda p: [f"--scope={p[1]}"] if p[0] else ["--scope", p[1]]
        ),
    ),
}


def _words(parts: list[list[str]]) -> list[str]:
    return [word for part in parts for word in part]


_LINES = st.one_of(
    st.tuples(st.lists(_COMMON, max_size=2), st.lists(_COMMON, max_size=2),
              st.lists(_OWN["status"], max_size=4)).map(
        lambda p: [*_words(p[0]), "login", *_words(p[1]), "status", *_words(p[2])]),
    st.tuples(st.lists(_COMMON, max_size=2), st.lists(_OWN["token"], max_size=4)).map(
        lambda p: [*_words(p[0]), "token", *_words(p[1])]),
)  # fmt: skip
"""The fast commands written plainly, options in any order and repeated."""


@settings(max_examples=1000, deadline=None)
@given(
    line=_LINES,
    changes=st.lists(
        st.tuples(st.integers(0, 12), st.booleans(), st.one_of(st.sampled_from(WORDS),
                  st.text(max_size=6), st.from_regex(r"--[a-z=-]{1,14}", fullmatch=True))),
        max_size=2,
    ),
)  # fmt: skip
def test_any_command_line_is_left_to_argparse_or_read_as_it_reads_it(
    parser: Parser, line: list[str], changes: list[tuple[int, bool, str]]
) -> None:
    """Plain lines (all read), and lines with a word put in or replaced."""
    for at, replace, word in changes:
        at = min(at, len(line) - 1)
        line[at : at + replace] = [word]
    assert _agrees(parser, line) or changes
