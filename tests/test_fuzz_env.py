"""Fuzzed environment mappings: whatever the values, get_credential returns a credential or
raises one of azlogin's errors (ConfigurationError, NotLoggedInError, TokenStoreError), and no
secret ever appears in an error's str, repr, args or traceback; the CLI answers in one line.

``AZLOGIN_FUZZ_EXAMPLES`` sets the number of examples (default 300; the hardening issue's
figures were taken with 10,000)."""

from __future__ import annotations

import io
import os
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import azlogin
from azlogin._config.variables import VARIABLES
from azlogin.cli import main

EXAMPLES = int(os.environ.get("AZLOGIN_FUZZ_EXAMPLES", "300"))
SECRET_NAMES = [variable.name for variable in VARIABLES if variable.secret]
PLAIN_NAMES = [variable.name for variable in VARIABLES if not variable.secret]
MARK = "Fuzz-Secret-7f3a9c"
"""Every secret value contains it, so a leak of any part of a secret shows."""

_awkward = st.sampled_from(
    ["", " ", "\x00", "\ud800", "\udcff", "~nosuchuser/x", "/dev/null",
     "x" * 5000, "https://", "http://login.test", "SPN", "msi", "DEVICE", "WORKLOAD", "AZCLI",
     "*", "*.com", "com", ";;", "1.2.3.4", "[::1]", "ß", "c" * 300]
)  # fmt: skip
_values = st.one_of(_awkward, st.text(max_size=40), st.text(alphabet=st.characters(), max_size=8))
_envs = st.dictionaries(st.sampled_from(PLAIN_NAMES), _values, max_size=8).flatmap(
    lambda plain: st.dictionaries(
        st.sampled_from(SECRET_NAMES), _values.map(lambda value: value + MARK), max_size=3
    ).map(lambda secret: {**plain, **secret})
)


@pytest.fixture
def in_tmp(private_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relative store directories land in this test's own folder, never in the checkout."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)


def _rendered(error: BaseException) -> str:
    parts = [str(error), repr(error), repr(error.args)]
    parts += traceback.format_exception(type(error), error, error.__traceback__)
    return "".join(parts)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(env=_envs)
def test_any_environment_gives_a_credential_or_a_named_error(
    env: dict[str, str], in_tmp: None
) -> None:
    error: BaseException | None = None
    try:
        azlogin.get_credential(env)
    except (azlogin.ConfigurationError, azlogin.NotLoggedInError, azlogin.TokenStoreError) as e:
        error = e
    if error is not None:
        assert MARK not in _rendered(error)
        assert str(error).strip(), "an error says what is wrong"


@settings(
    max_examples=max(EXAMPLES // 3, 20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(store_dir=_values, passphrase=_values)
def test_the_cli_answers_any_store_setting_in_one_line(
    store_dir: str, passphrase: str, in_tmp: None
) -> None:
    environ = {"AZLOGIN_STORE_DIR": store_dir, "AZLOGIN_STORE_PASSPHRASE": passphrase + MARK}
    out, err = io.StringIO(), io.StringIO()
    code = main(["login", "status"], environ, stdout=out, stderr=err)
    assert code in (0, 1)
    assert err.getvalue().count("\n") <= 1
    assert MARK not in out.getvalue() + err.getvalue()
