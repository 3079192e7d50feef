"""Every Python and shell block of README.md and docs/ runs, as written.

Each block runs in a subprocess on the machine ``tests/docs_sandbox.py`` builds: network and
mount namespaces in which the storage hosts the docs name (``myaccount.blob.core.windows.net``,
``acct.dfs.core.windows.net``, ...) are Azurite on loopback, Microsoft Entra ID is an
``EntraEmulator``, nothing can reach another machine, and every file system but the block's
temporary HOME is read-only (a block that writes anywhere else fails). Before each block the
emulator is reset and every account holds the sample data: container ``data`` with
``sales.parquet``, ``sales/2024.parquet`` and ``events/part-0.parquet``.

The setup of a page (:data:`PAGE_SETUPS`; SPN unless named there) is what its reader's
machine has, and nothing else is added to a block:

- the ``AZCOPY_*`` variables of the page's login type, for the emulator;
- the emulator's CA, trusted as a machine's own CA is (``REQUESTS_CA_BUNDLE``,
  ``SSL_CERT_FILE``, ``CURL_CA_BUNDLE``, ``CURL_CA_INFO``);
- this Python's scripts (``azlogin``) and the ``az`` / ``pwsh`` stand-ins on PATH;
- Azurite, installed once by npm before the namespace is entered (``AZLOGIN_AZURITE_BLOB``),
  for blocks that start one of their own;
- the placeholders ``<application-id>``, ``<client-secret>`` and ``<tenant-id>`` replaced by
  the emulator's values, as a reader replaces them with theirs.

How a block runs: ``python`` with this interpreter (with pytest if it defines ``test_``
functions), ``pycon`` as a doctest (its output is checked), ``bash`` with ``bash -e -o
pipefail``. A block that cannot run here (it needs a real Azure subscription or the network,
or installs packages) follows ``<!-- not run: <reason> -->`` in its page (nothing between
them), and the page says why in prose.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from azlogin import LOGIN_TYPES
from azlogin.testing.azurite import azurite_blob_binary
from tests.docs_sandbox import RUNNERS, Setup

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
PAGE_SETUPS = {f"docs/login-types/{row.name.lower()}.md": Setup(row.name) for row in LOGIN_TYPES}
"""Pages whose reader has another login than SPN: each login type's page, its own."""
FENCE = re.compile(
    r"^(?P<indent>[ ]*)(?P<fence>```+)(?P<lang>[^\s`]*)[^\n]*\n"
    r"(?P<body>.*?)^(?P=indent)(?P=fence)[ ]*$",
    re.M | re.S,
)
NOT_RUN = re.compile(r"<!--\s*not run:(?P<reason>.*?)-->", re.S)
MARKED = re.compile(NOT_RUN.pattern + r"\s*\Z", re.S)
"""A marker applies to the block right after it (nothing but blank space between)."""


@dataclass(frozen=True)
class Block:
    """One fenced block of a page; ``not_run`` is the reason its marker gives, if any."""

    page: str
    line: int
    lang: str
    code: str
    not_run: str | None

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    text = path.read_text()
    page = path.relative_to(ROOT).as_posix()
    found, previous_end = [], 0
    for match in FENCE.finditer(text):
        marker = MARKED.search(text[previous_end : match.start()])
        reason = marker["reason"].strip() if marker else None
        indent = len(match["indent"])
        code = "".join(line[indent:] for line in match["body"].splitlines(keepends=True))
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(page, line, match["lang"].lower(), code, reason))
        previous_end = match.end()
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]
RUNNABLE = [block for block in BLOCKS if block.lang in RUNNERS and block.not_run is None]


DELTALAKE_EXIT_ABORT = "terminate called without an active exception"
"""deltalake 1.x sometimes aborts the interpreter as it exits, its work done (delta-rs issue
2184; docs/pipelines.md says so): a block using deltalake that ends so is run once more."""


def _aborted_at_exit_by_deltalake(block: Block, result: dict[str, Any]) -> bool:
    return (
        "deltalake" in block.code
        and result["returncode"] == -signal.SIGABRT
        and result["stderr"].strip() == DELTALAKE_EXIT_ABORT
    )


class Sandbox:
    """The sandbox process: one JSON request per block, one JSON answer."""

    def __init__(self, process: subprocess.Popen[str], workdir: Path) -> None:
        self.process = process
        self.workdir = workdir

    def run(self, block: Block) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        setup = PAGE_SETUPS.get(block.page, Setup())
        request = {"lang": block.lang, "code": block.code, "setup": asdict(setup)}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        assert answer, f"the docs sandbox exited (code {self.process.poll()})"
        result: dict[str, Any] = json.loads(answer)
        return result


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    workdir = tmp_path_factory.mktemp("doc-blocks")
    env = {**os.environ, "AZLOGIN_AZURITE_BLOB": azurite_blob_binary()}  # npm runs out here
    command = ["unshare", "--user", "--map-root-user", "--net", "--mount", "--fork",
               sys.executable, "-m", "tests.docs_sandbox", str(workdir)]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    sandbox = Sandbox(process, workdir)
    assert process.stdout is not None
    assert json.loads(process.stdout.readline() or "{}").get("ready"), "the sandbox did not start"
    yield sandbox
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=60)


@pytest.mark.parametrize("block", RUNNABLE, ids=[block.where for block in RUNNABLE])
def test_block_runs_as_written(block: Block, sandbox: Sandbox) -> None:
    result = sandbox.run(block)
    if _aborted_at_exit_by_deltalake(block, result):
        result = sandbox.run(block)  # once: see DELTALAKE_EXIT_ABORT
    assert result["returncode"] == 0, (
        f"{block.where} ({block.lang}) failed with {result['returncode']}:\n"
        f"{result['stdout'][-2000:]}\n{result['stderr'][-4000:]}"
    )
    assert not result["secret_shown"], f"{block.where} printed the client secret"


PROBE = """
import pathlib, socket
(pathlib.Path.home() / "allowed").write_text("a block may write in its HOME")
for path in {paths!r}:
    try:
        open(path, "a").close()
        print("wrote", path)
    except OSError:
        print("refused", path)
try:
    socket.create_connection(("192.0.2.1", 443), timeout=5)
    print("reached another machine")
except OSError:
    print("no network")
print(socket.gethostbyname("myaccount.blob.core.windows.net"))
"""


def test_a_block_writes_only_in_its_home_and_reaches_no_other_machine(sandbox: Sandbox) -> None:
    paths = [
        "/tmp/azlogin-docs-probe",
        str(ROOT / "azlogin-docs-probe"),
        "/etc/azlogin-docs-probe",
        str(sandbox.workdir / "azurite" / "azlogin-docs-probe"),  # the servers' folder
        "/etc/hosts",
    ]
    probe = Block("(probe)", 0, "python", PROBE.format(paths=paths), None)
    result = sandbox.run(probe)
    assert result["returncode"] == 0, result["stderr"]
    assert result["stdout"].split("\n")[:7] == [
        *(f"refused {path}" for path in paths),
        "no network",
        "127.0.0.1",
    ]
    assert not any(Path(path).exists() for path in paths[:-1])


def test_blocks_not_run_say_why() -> None:
    skipped = [block for block in BLOCKS if block.not_run is not None]
    assert skipped, "no block is marked not run: the marker parser is broken"
    for block in skipped:
        assert len(block.not_run or "") > 10, f"{block.where}: `not run:` needs a reason"
        assert block.lang in RUNNERS, f"{block.where}: only runnable blocks need the marker"


def test_blocks_that_install_packages_are_marked_not_run() -> None:
    # Here they would pass without installing anything (this environment has every package)
    # and say nothing about a reader's machine, where they need PyPI.
    installing = [
        block.where
        for block in RUNNABLE
        for line in block.code.splitlines()
        if re.search(r"\bpip3? install\b", line.split("#", 1)[0])  # not in a comment
    ]
    assert not installing, f"blocks that install packages need a `not run` marker: {installing}"


def test_every_block_names_its_language() -> None:
    unnamed = [block.where for block in BLOCKS if not block.lang]
    assert not unnamed, f"fenced blocks without a language (python, bash, text, ...): {unnamed}"


def test_every_not_run_marker_precedes_a_block() -> None:
    for page in PAGES:
        text = page.read_text()
        markers = len(NOT_RUN.findall(text))
        marked = sum(block.not_run is not None for block in blocks_of(page))
        assert markers == marked, f"{page.name}: a `not run` marker not right before a block"


def test_the_parser_finds_the_blocks() -> None:
    assert len(RUNNABLE) > 30
    assert {block.lang for block in RUNNABLE} >= {"python", "bash"}
