"""How the console script's process ends (``azlogin.cli.console``, also ``python -m azlogin``):
without the interpreter's teardown, and with nothing lost. Each case runs ``console()`` in a
new interpreter, as the script does. Speed is measured by benchmarks/bench_tokens.py, never
asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from azlogin._config.variables import VARIABLES

_STATUS = ["login", "status", "--output-type", "json"]


def _console(setup: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``console()`` run with ``args`` in a new interpreter, after ``setup`` ran there."""
    script = "\n".join(
        [
            setup,
            "import sys",
            "from azlogin.cli import console",
            f"sys.argv = ['azlogin', *{list(args)!r}]",
            "sys.exit(console())",
        ]
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("AZCOPY_", "AZURE_"))}
    return subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=120
    )


def test_the_output_is_complete_and_the_exit_functions_run() -> None:
    setup = "import atexit\natexit.register(lambda: print('exit function ran', file=sys.stderr))"
    done = _console(f"import sys\n{setup}", "env", "--output-type", "json")
    assert done.returncode == 0, done.stderr
    assert [row["name"] for row in json.loads(done.stdout)] == [v.name for v in VARIABLES]
    assert done.stderr == "exit function ran\n"


def test_the_exit_code_is_the_commands() -> None:
    done = _console("", *_STATUS)  # this test's HOME has no saved login
    assert done.returncode == 1
    assert json.loads(done.stdout)["valid"] is False


def test_the_interpreters_teardown_is_skipped() -> None:
    setup = (
        "class Finalized:\n"
        "    def __del__(self):\n"
        "        print('torn down', flush=True)\n"
        "kept = Finalized()"
    )
    done = _console(setup, *_STATUS)
    assert done.returncode == 1
    assert "torn down" not in done.stdout
    assert json.loads(done.stdout)["valid"] is False


def test_a_running_thread_is_waited_for() -> None:
    # The thread outlives the command: the process ends only when the thread has finished.
    setup = (
        "import threading, time\n"
        "def late():\n"
        "    time.sleep(0.5)\n"
        "    print('thread finished', flush=True)\n"
        "threading.Thread(target=late).start()"
    )
    done = _console(setup, *_STATUS)
    assert done.returncode == 1
    assert done.stdout.endswith("thread finished\n")
