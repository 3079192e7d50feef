"""Absurd values never crash the CLI's output: a huge or negative expiry, names with control
characters, bidi overrides and non-ASCII letters (escaped, on any terminal encoding)."""

from __future__ import annotations

import json
import math
import re

import pytest

from azlogin.cli._output import az_time, claims, local_time, printable, signed_in_as
from azlogin.testing import EntraEmulator
from tests.test_cli import Cli, spn_flags

HOSTILE = "mallory\x1b[2J\u202eevil\nnext line\tü"
"""A user name a terminal would act on: clear screen, right-to-left override, a newline."""


def test_a_huge_or_negative_token_lifetime_never_crashes_the_output(
    cli: Cli, emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = {"AZCOPY_SPA_CLIENT_SECRET": emulator.client_secret}
    monkeypatch.setattr(emulator, "token_lifetime", -3600)
    expired = cli(*spn_flags(emulator), env=secret)
    assert expired.returncode == 1
    assert expired.stderr.count("\n") == 1
    assert re.search(
        r"returned a token that expired 36\d\d s ago; check the clocks", expired.stderr
    )
    monkeypatch.setattr(emulator, "token_lifetime", 10**12)
    assert cli(*spn_flags(emulator), env=secret).returncode == 0
    for args in (["login", "status"], ["login", "status", "--output-type", "json"],
                 ["token", "--output-type", "json"]):  # fmt: skip
        result = cli(*args)
        assert (result.returncode, result.stderr) == (0, ""), args
    data = json.loads(cli("login", "status", "--output-type", "json").stdout)
    assert data["expires_at"].startswith(("20", "21"))  # capped to a day or so, a real date


def test_hostile_names_are_escaped_in_text_and_json(
    cli: Cli, emulator: EntraEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(emulator, "username", HOSTILE)
    login = cli("login", "--tenant-id", emulator.tenant_id, "--aad-endpoint", emulator.authority)
    assert login.returncode == 0, login.stderr
    text = cli("login", "status")
    assert text.returncode == 0
    assert "Signed in as: mallory\\x1b[2J\\u202eevil\\nnext line\\tü (a user)\n" in text.stdout
    assert "\x1b" not in text.stdout
    assert "\u202e" not in text.stdout
    assert len(text.stdout.splitlines()) == 3  # valid until, signed in as, token store
    data = cli("login", "status", "--output-type", "json")
    assert data.stdout.isascii()
    assert json.loads(data.stdout)["signed_in_as"]["name"] == HOSTILE
    ascii_terminal = cli("login", "status", env={"PYTHONIOENCODING": "ascii"})
    assert ascii_terminal.returncode == 0, ascii_terminal.stderr
    assert "next line\\t\\xfc (a user)" in ascii_terminal.stdout


@pytest.mark.parametrize("epoch", [10**20, -(10**20), math.nan, math.inf, -math.inf])
def test_a_time_beyond_the_calendar_is_shown_as_its_number(epoch: float) -> None:
    assert local_time(epoch) == f"{epoch} (seconds since 1970, beyond the calendar)"


def test_times_carry_their_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "AZL-05:30")
    time.tzset()
    try:
        assert local_time(0) == "1970-01-01T05:30:00+05:30"
        assert local_time(-1) == "1970-01-01T05:29:59+05:30"
    finally:
        monkeypatch.undo()
        time.tzset()


EPOCHS = [0, -1, 1, 59, 86399, 951782400, 1764537305, 2**31, -30000000000, 10**12, -(10**12),
          1.5, -1.5, -62135596800, 253402300799, -62135596801, 253402300800]  # fmt: skip
"""The epoch, fractions, years below 1000, far future and past, and the first and last
seconds of datetime's calendar (years 1 to 9999, UTC) and one second past each."""
NEAR_THE_ENDS = 2 * 86400
"""az's ``expiresOn`` (a naive local datetime) also probes a day earlier for a fold: within a
day of the calendar's ends datetime refuses what the time module shows; the CLI shows it."""


@pytest.mark.parametrize("zone", ["UTC0", "AZL-05:30", "AZL+03:00", "EST5EDT,M3.2.0,M11.1.0"])
def test_times_are_shown_as_datetime_shows_them(zone: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI formats times with the time module (datetime is not imported on its way): the
    same text as datetime's ISO 8601 with offset, and az's expiresOn, for every epoch."""
    import time
    from datetime import datetime, timezone

    def iso(epoch: float) -> str:
        try:
            moment = datetime.fromtimestamp(epoch, timezone.utc).astimezone()
        except (OverflowError, OSError, ValueError):
            return f"{epoch} (seconds since 1970, beyond the calendar)"
        return moment.isoformat(timespec="seconds")

    def az(epoch: int) -> str:
        try:
            return datetime.fromtimestamp(epoch).strftime("%Y-%m-%d %H:%M:%S.%f")
        except (OverflowError, OSError, ValueError):
            return str(epoch)

    ends = (-62135596800, 253402300799)
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for epoch in EPOCHS:
            assert local_time(epoch) == iso(epoch), epoch
            if all(abs(epoch - end) > NEAR_THE_ENDS for end in ends):
                assert az_time(int(epoch)) == az(int(epoch)), epoch
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_calendar_s_ends_are_shown_and_past_them_the_number() -> None:
    """In UTC (the suite's zone is whatever the machine's is: set it)."""
    import time

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC0")
        time.tzset()
        try:
            assert local_time(-62135596800) == "0001-01-01T00:00:00+00:00"
            assert local_time(253402300799) == "9999-12-31T23:59:59+00:00"
            assert az_time(253402300799) == "9999-12-31 23:59:59.000000"
            assert az_time(-62135596800) == "0001-01-01 00:00:00.000000"
            assert az_time(253402300800) == "253402300800"
            assert az_time(-62135596801) == "-62135596801"
        finally:
            patch.undo()
            time.tzset()


def test_printable_keeps_text_and_escapes_what_a_terminal_acts_on() -> None:
    assert printable("plain text, ü, 東京") == "plain text, ü, 東京"
    assert printable(HOSTILE) == "mallory\\x1b[2J\\u202eevil\\nnext line\\tü"
    assert printable("\x00\r\x7f") == "\\x00\\r\\x7f"


@pytest.mark.parametrize(
    "token",
    ["", "no-dots", "a.!!!.c", "a.bnVsbA.c", "a.WzFd.c", "a.eyJ1cG4iOiAxfQ.c", "\x00.\u202e.x"],
)
def test_claims_of_a_malformed_token_are_empty_or_ignored(token: str) -> None:
    assert signed_in_as(claims(token)) is None
