"""``python -m azlogin``: the same as the ``azlogin`` console script."""

from __future__ import annotations

import sys

from .cli import console

if __name__ == "__main__":
    sys.exit(console())
