"""Every example runs, against EntraEmulator and Azurite, so none can rot."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from azlogin import storage
from azlogin.testing import EntraEmulator
from azlogin.testing.azurite import Azurite

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = [
    "blob_upload_download.py",
    "async_client.py",
    "pandas_adlfs.py",
    "dask_job.py",
    "pyarrow_dataset.py",
    "polars_parquet.py",
    "obstore_store.py",
    "deltalake_table.py",
]


@pytest.fixture
def example_env(emulator: EntraEmulator, azurite: Azurite) -> dict[str, str]:
    container = f"c{uuid.uuid4().hex[:12]}"
    storage.blob_service_client(
        azurite.account_url, env=emulator.env("SPN"), trusted_microsoft_suffixes="127.0.0.1",
        connection_verify=emulator.ca_path,
    ).create_container(container)  # fmt: skip
    return {
        **os.environ,
        **emulator.env("SPN"),
        "STORAGE_ACCOUNT_URL": azurite.account_url,
        "TRUSTED_SUFFIXES": "127.0.0.1",
        "CONTAINER": container,
        "REQUESTS_CA_BUNDLE": emulator.ca_path,  # trust the emulator's CA, as a user would
        "SSL_CERT_FILE": emulator.ca_path,
    }


@pytest.mark.parametrize("script", SCRIPTS)
def test_example_runs(script: str, example_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], env=example_env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip()
    assert example_env["AZCOPY_SPA_CLIENT_SECRET"] not in result.stdout + result.stderr


def test_the_fake_credential_example_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(EXAMPLES / "test_with_fake_credential.py")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout
    assert "2 passed" in result.stdout


def test_the_demo_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "uploaded and listed ['hello.txt']" in result.stdout
    assert "The guard refuses a lookalike host" in result.stdout
    assert "REDACTED" in result.stdout
