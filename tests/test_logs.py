"""azlogin's loggers (:mod:`azlogin._logs`): the records logging would have made, with the
caller's file, function and line, and the same names and levels."""

from __future__ import annotations

import inspect
import logging

import pytest

from azlogin._logs import DEBUG, INFO, WARNING, Logger

LOGGER = Logger("azlogin.test")


def _emit(method: str) -> None:
    if method == "log":
        LOGGER.log(INFO, "through %s", method)  # <- log
    else:
        getattr(LOGGER, method)("through %s", method)  # <- a level's method


def _line_of(marker: str) -> int:
    lines, first = inspect.getsourcelines(_emit)
    return first + next(index for index, text in enumerate(lines) if marker in text)


@pytest.mark.parametrize(
    ("method", "level"), [("debug", DEBUG), ("info", INFO), ("warning", WARNING), ("log", INFO)]
)
def test_a_record_names_azlogin_s_caller_and_keeps_its_level(
    method: str, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="azlogin"):
        _emit(method)
    (record,) = caplog.records
    assert (record.name, record.levelno, record.getMessage()) == (
        "azlogin.test", level, f"through {method}",
    )  # fmt: skip
    line = _line_of("# <- log" if method == "log" else "# <- a level's method")
    assert (record.funcName, record.lineno, record.filename) == ("_emit", line, "test_logs.py")


def test_the_levels_are_logging_s() -> None:
    assert (DEBUG, INFO, WARNING) == (logging.DEBUG, logging.INFO, logging.WARNING)
