"""azlogin's loggers, without importing :mod:`logging` before a record could be shown.

Importing logging costs a process about as much as the rest of a stored-token ``get_token``
(it brings traceback, linecache, tokenize, textwrap and string). While nothing has imported
it, nothing has configured a handler either, so a DEBUG or INFO record would reach no one
(logging's last resort shows WARNING and above): such a record is dropped without importing
logging. A WARNING or above, or any record once logging is loaded, goes to the real
``logging.getLogger(name)`` as usual: same names, levels, handlers and caller information.
Logger names are in docs/logging.md.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["DEBUG", "INFO", "WARNING", "Logger"]

DEBUG, INFO, WARNING = 10, 20, 30
"""logging's levels (the same numbers), for :meth:`Logger.log`."""


class Logger:
    """A stand-in for ``logging.getLogger(name)`` with the methods azlogin uses."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def log(self, level: int, message: str, *args: Any, **kwargs: Any) -> None:
        """Like :meth:`logging.Logger.log`; the record's caller is azlogin's, not this one's."""
        self._emit(level, message, args, kwargs)

    def debug(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._emit(DEBUG, message, args, kwargs)

    def info(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._emit(INFO, message, args, kwargs)

    def warning(self, message: str, *args: Any, **kwargs: Any) -> None:
        self._emit(WARNING, message, args, kwargs)

    def _emit(self, level: int, message: str, args: Any, kwargs: dict[str, Any]) -> None:
        if level < WARNING and "logging" not in sys.modules:
            return  # no handler exists: the record would be dropped anyway
        import logging

        # The caller of debug()/log() is two frames up from here.
        kwargs["stacklevel"] = kwargs.get("stacklevel", 1) + 2
        logging.getLogger(self.name).log(level, message, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<azlogin Logger {self.name}>"
