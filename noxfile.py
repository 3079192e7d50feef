"""Developer tasks: ``nox -s tests``, ``unit``, ``lint``, ``typecheck``, ``demo``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "azure_cli", "lint", "typecheck"]

PYTHON = ["3.11"]
OTHER_PYTHONS = ["3.9", "3.10", "3.12", "3.13"]
"""The other versions requires-python admits: `nox -s tiers` runs the unit and functional tiers
on each (the whole suite runs on 3.11)."""
EXTRAS = "testing,storage,aio,fsspec,polars,obstore,deltalake,duckdb,pyarrow,redis"
"""Every extra: the suite runs each integration for real."""
NO_WHEELS = {"3.9": ("obstore", "duckdb"), "3.10": ("obstore",)}
"""Extras whose pinned ranges publish no wheel for that Python (obstore>=0.12.1 needs 3.11,
duckdb 1.5 needs 3.10): their modules and tests are left out of that version's run."""
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.25"]
"""The site's tools: `nox -s docs` builds it, and the suite checks it (tests/test_docs_site.py)."""
TEST_DEPS = [
    *DOCS_DEPS,
    "mypy>=1.10",
    "ruff>=0.6",
    "pytest>=8",
    "hypothesis>=6.100",
    "cloudpickle>=3",
    "pandas>=2",
    "pyarrow>=15",
    "dask[dataframe,distributed]>=2024.4",
]
OWN_ARTEFACT_MODULES = (
    "test_data_stack",  # a 90-second job on polars and obstore, which OLDEST does not pin lower
    "test_doc_blocks",
    "test_docs_site",
    "test_docs_screenshots",
    "test_testing_wheel",
    "test_redis_netns",
)
# The oldest versions of the runtime dependencies that pyproject.toml admits.
OLDEST = [
    "azure-core==1.31.0",
    "azure-identity==1.19.0",
    "msal-extensions==1.2.0",
    "cryptography==42.0.0",
    "trustme==1.1.0",
    "azure-storage-blob==12.23.0",
    "azure-storage-file-datalake==12.17.0",
    "azure-storage-file-share==12.19.0",
    "aiohttp==3.9.0",
    "keyring==24.3.1",
    "adlfs==2024.7.0",
    "idna==3.7",
    "publicsuffixlist==1.1.2.20261023",
]


def _let_pyenv_find_every_python() -> None:
    """pyenv's shims answer `python3.9` only for the versions PYENV_VERSION names (pyenv sets
    it to the global one when it runs nox): keep those first (so `python3` stays what it
    was), then name every other installed version."""
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return

    def ask(*args: str) -> list[str]:
        result = subprocess.run([pyenv, *args], capture_output=True, text=True)  # noqa: S603
        return result.stdout.split() if result.returncode == 0 else []

    current = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    current = current or ask("version-name")[:1]
    others = [version for version in ask("versions", "--bare") if version not in current]
    os.environ["PYENV_VERSION"] = ":".join(current + others)


_let_pyenv_find_every_python()


def system_packages(session: nox.Session) -> None:
    """The Debian packages the suite runs for real: D-Bus and GNOME Keyring (the Secret
    Service), Node.js's npm (Azurite), curl (a tool outside Python using `azlogin token`),
    util-linux's unshare (a full or read-only store disk in a mount namespace), redis-server
    (the Redis token store), iproute2 (machines in network namespaces), Chromium (the docs
    site rendered headless), openssl and mount (the docs' shell blocks, in a namespace).
    Installed when missing and nox runs as root."""
    needed = {
        "dbus-daemon": "dbus",
        "gnome-keyring-daemon": "gnome-keyring",
        "npm": "npm",
        "curl": "curl",
        "unshare": "util-linux",
        "redis-server": "redis-server",
        "ip": "iproute2",
        "chromium": "chromium",
        "openssl": "openssl",
        "mount": "mount",
    }
    missing = sorted({package for tool, package in needed.items() if not shutil.which(tool)})
    if not missing:
        return
    if os.geteuid() != 0:
        session.error(f"install the Debian packages {' '.join(missing)} (the suite uses them)")
    session.run("apt-get", "update", "-qq", external=True)
    session.run(
        "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, external=True,
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )  # fmt: skip


def install_suite(session: nox.Session, *extra: str) -> None:
    """The package with every extra, and what the test suite imports."""
    session.install("-e", f".[{EXTRAS}]", *TEST_DEPS, *extra)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole pytest suite, end-to-end tests included."""
    system_packages(session)
    install_suite(session)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def unit(session: nox.Session) -> None:
    """The unit tier only: no emulator, no servers, no subprocesses (seconds, not minutes)."""
    install_suite(session)
    session.run("pytest", "-m", "unit and not azure_cli", *session.posargs)


@nox.session(python=OTHER_PYTHONS)
def tiers(session: nox.Session) -> None:
    """The unit and functional tiers on every other Python that requires-python admits."""
    missing = NO_WHEELS.get(str(session.python), ())
    extras = ",".join(extra for extra in EXTRAS.split(",") if extra not in missing)
    session.install("-e", f".[{extras}]", *TEST_DEPS)
    left_out = [f"--ignore=tests/test_{extra}.py" for extra in missing]
    session.run("pytest", "-m", "(unit or functional) and not azure_cli", *left_out,
                *session.posargs)  # fmt: skip


@nox.session(python=PYTHON)
def tests_oldest(session: nox.Session) -> None:
    """The suite against the lowest dependency versions pyproject.toml allows, but for the
    modules that check the project's own artefacts rather than its dependencies (the docs
    site, its blocks and screenshots; the wheel in a fresh virtualenv; the network-namespace
    cluster, which repeats test_redis_cluster's proof) and the 90-second data-stack job,
    whose packages OLDEST leaves at the versions `nox -s tests` has: that session runs them."""
    system_packages(session)
    install_suite(session, *OLDEST)
    left_out = [f"--ignore=tests/{module}.py" for module in OWN_ARTEFACT_MODULES]
    session.run("pytest", *left_out, *session.posargs)


@nox.session(python=PYTHON)
def azure_cli(session: nox.Session) -> None:
    """AZCLI against the real Azure CLI from PyPI, installed in a virtualenv of its own."""
    install_suite(session)
    cli_venv = Path(session.create_tmp()).resolve() / "azure-cli"
    az = cli_venv / "bin" / "az"
    if not az.exists():
        session.run(sys.executable, "-m", "venv", str(cli_venv), external=True)
        session.run(str(cli_venv / "bin" / "pip"), "install", "--quiet", "azure-cli", external=True)
    session.run("pytest", "-m", "azure_cli", *session.posargs, env={"AZLOGIN_AZURE_CLI": str(az)})


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """azlogin next to azure-identity against the emulator; writes docs/performance.md."""
    session.install("-e", f".[{EXTRAS}]")
    session.run("python", "benchmarks/bench_tokens.py", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The MkDocs site, in strict mode (a warning fails the build)."""
    install_suite(session)  # the reference documents every extra's module, as the suite checks
    session.run("mkdocs", "build", "--strict", "--site-dir", session.create_tmp() + "/site",
                env={"NO_MKDOCS_2_WARNING": "1"})  # fmt: skip


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """The wheel and the sdist, checked by twine."""
    session.install("build>=1", "twine>=5")
    out = session.create_tmp() + "/dist"
    shutil.rmtree(out, ignore_errors=True)
    session.run("python", "-m", "build", "--outdir", out)
    session.run("twine", "check", "--strict", *sorted(str(p) for p in Path(out).glob("*")))


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    session.install("-e", f".[{EXTRAS}]", "mypy>=1.10", "pytest>=8")  # the plugin is typed too
    session.run("mypy", "--strict", "src/azlogin")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """Emulator + Azurite: credentials from AZCOPY_* variables, a blob round trip, the guard."""
    session.install("-e", f".[{EXTRAS}]")
    session.run("python", "examples/demo.py")
