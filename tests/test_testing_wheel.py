"""What a user installs works: the wheel built from this checkout, installed with its
`testing` extra into a fresh virtualenv, gives pytest the plugin's four fixtures through the
entry point alone, and a user's test file that uses each of them passes.

pip's own cache (under XDG_CACHE_HOME, the real user's) and the machine's wheel folders serve
the downloads pip can reuse, and Azurite comes from the cache folder the rest of the suite
installs it into."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.plugin_user_tests import USER_TESTS, USER_TESTS_PASSED

ROOT = Path(__file__).resolve().parent.parent


def _run(
    command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, (
        f"{command[:4]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done


def test_a_users_tests_pass_with_the_wheel_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(ROOT)]
    )
    [wheel] = wheels.glob("azlogin-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    # The user's own code under test uses azure-storage-blob; pytest is theirs too.
    requirements = [f"azlogin[testing] @ {wheel.as_uri()}", "pytest", "azure-storage-blob"]
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements])

    user = tmp_path / "user-project"
    user.mkdir()
    (user / "test_reading.py").write_text(USER_TESTS)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    plugin_file = "import azlogin.testing.pytest_plugin as p; print(p.__file__)"
    where = _run([python, "-c", plugin_file], cwd=user, env=env)
    assert where.stdout.startswith(str(venv)), "azlogin must come from the wheel, not the checkout"
    done = _run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=user, env=env)
    assert USER_TESTS_PASSED in done.stdout
