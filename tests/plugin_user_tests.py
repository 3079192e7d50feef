"""A user's test file that uses each fixture of azlogin's pytest plugin (not collected here:
tests/test_plugin.py and tests/test_testing_wheel.py write it into an empty folder and run it
with a child pytest, which finds the fixtures through the installed entry point only)."""

from __future__ import annotations

USER_TESTS = '''
"""Tests of code that reads Azure Storage with azlogin, using azlogin's pytest fixtures."""

import shutil
import sys
import uuid

from azure.storage.blob import BlobServiceClient

import azlogin

SCOPE = "https://storage.azure.com/.default"


def read_greeting(account_url, credential, ca_path):
    """The code under test: writes a blob, reads it back."""
    service = BlobServiceClient(account_url, credential=credential, connection_verify=ca_path)
    container = service.create_container(f"c{uuid.uuid4().hex[:12]}")
    container.upload_blob("hello.txt", b"hello")
    return container.download_blob("hello.txt").readall()


def test_nothing_starts_before_a_fixture_is_used():
    assert "trustme" not in sys.modules
    assert "azlogin.testing.emulator" not in sys.modules


def test_fake_credential(fake_credential):
    token = fake_credential.get_token(SCOPE)
    assert token.token == "fake-access-token"
    assert [request.scopes for request in fake_credential.requests] == [(SCOPE,)]


def test_fake_credential_is_new_in_every_test(fake_credential):
    assert fake_credential.requests == []


def test_entra_emulator(entra_emulator):
    credential = azlogin.get_credential(
        entra_emulator.env("SPN"), connection_verify=entra_emulator.ca_path, token_store="memory"
    )
    token = credential.get_token(SCOPE)
    assert entra_emulator.decode(token.token)["appid"] == entra_emulator.client_id
    assert entra_emulator.requests["token"] == 1


def test_entra_emulator_counts_from_zero_in_every_test(entra_emulator, entra_emulator_session):
    assert entra_emulator is entra_emulator_session
    assert entra_emulator.requests == {}


def test_cli_standins(entra_emulator, cli_standins):
    assert shutil.which("az") == str(cli_standins / "az")
    credential = azlogin.get_credential(entra_emulator.env("AZCLI"), token_store="memory")
    token = credential.get_token(SCOPE)
    assert entra_emulator.decode(token.token)["oid"] == entra_emulator.user_object_id
    assert entra_emulator.requests == {"cli": 1}


def test_cli_standins_leave_path_after_their_test():
    assert "cli-standins" not in (shutil.which("az") or "")


def test_azurite(entra_emulator, azurite):
    credential = azlogin.get_credential(
        entra_emulator.env("SPN"), connection_verify=entra_emulator.ca_path, token_store="memory"
    )
    assert read_greeting(azurite.account_url, credential, entra_emulator.ca_path) == b"hello"
'''
"""The user's tests; all pass."""

USER_TESTS_PASSED = "8 passed"
"""What pytest reports when they do."""
