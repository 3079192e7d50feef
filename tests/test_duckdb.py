"""azlogin.duckdb against Azurite over HTTPS with OAuth, tokens from EntraEmulator.

DuckDB's azure extension builds host-style URLs (``https://<account>.<endpoint>``), so these
tests run an Azurite of their own that serves ``https://devstoreaccount1.blob.localhost:<port>``
(curl resolves ``*.localhost`` to loopback itself), reached with DuckDB's curl transport and
the emulator's CA in ``CURL_CA_INFO``. The extension is loaded from the
``duckdb-extension-azure`` wheel: ``INSTALL azure`` would download it.
"""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

import azlogin
import azlogin.duckdb
from azlogin import storage
from azlogin.testing import EntraEmulator, FakeCredential
from azlogin.testing.azurite import ACCOUNT, Azurite

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TRUSTED = "localhost"  # the host-style Azurite's hosts, trusted only through an extra entry


@pytest.fixture
def container(
    emulator: EntraEmulator, azurite_host_style: Azurite, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new container, and the emulator's CA in CURL_CA_INFO (which DuckDB's curl transport
    reads from the process environment whenever it opens a connection)."""
    monkeypatch.setenv("CURL_CA_INFO", emulator.ca_path)
    name = f"c{uuid.uuid4().hex[:12]}"
    client = storage.blob_service_client(
        azurite_host_style.account_url,
        credential=FakeCredential(token=emulator.mint_token()[0]),  # no token request
        trusted_microsoft_suffixes="127.0.0.1",
        connection_verify=emulator.ca_path,
    )
    client.create_container(name)
    yield name
    client.delete_container(name)


@pytest.fixture
def connection() -> Iterator[Any]:
    """A connection with DuckDB's azure extension (from the wheel) and its curl transport
    (setting it before the extension is loaded would make DuckDB try to download it)."""
    with duckdb.connect() as con:
        azlogin.duckdb.load_extension(con)
        con.execute("SET azure_transport_option_type = 'curl'")
        yield con


def _url(azurite: Azurite, container: str) -> str:
    return f"{azurite.host_style_url}/{container}"


def _login(emulator: EntraEmulator, **keywords: object) -> dict[str, object]:
    return {
        "env": emulator.env("SPN"),
        "trusted_microsoft_suffixes": TRUSTED,
        "connection_verify": emulator.ca_path,
        **keywords,
    }


def _secrets(connection: Any) -> list[tuple[Any, ...]]:
    return connection.execute(
        "SELECT name, provider, scope, secret_string FROM duckdb_secrets()"
    ).fetchall()


def _extension_loaded(connection: Any) -> bool:
    row = connection.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'azure'"
    ).fetchone()
    return bool(row and row[0])


def test_copy_to_azure_and_read_back(
    emulator: EntraEmulator, azurite_host_style: Azurite, container: str, connection: Any
) -> None:
    secret = azlogin.duckdb.create_secret(
        connection, _url(azurite_host_style, container), **_login(emulator)
    )
    secret.execute(
        f"COPY (SELECT range AS x FROM range(3)) TO 'az://{container}/t.parquet' (FORMAT parquet)"
    )
    assert secret.sql(f"SELECT sum(x) FROM 'az://{container}/t.parquet'").fetchall() == [(3,)]
    host = azurite_host_style.host_style_url.removeprefix("https://")
    fully_qualified = f"az://{host}/{container}/t.parquet"
    assert secret.sql(f"SELECT count(*) FROM '{fully_qualified}'").fetchall() == [(3,)]
    assert emulator.requests["token"] == 1

    assert secret.name == f"azlogin_{ACCOUNT}_{container}"
    assert secret.endpoint == host.removeprefix(f"{ACCOUNT}.")
    [(name, provider, scope, _)] = _secrets(connection)
    assert (name, provider) == (secret.name, "access_token")
    assert scope == list(secret.scope)
    assert f"az://{container}/" in scope
    # Loaded from the wheel, not installed (INSTALL azure would have downloaded it).
    assert connection.execute(
        "SELECT loaded, installed FROM duckdb_extensions() WHERE extension_name = 'azure'"
    ).fetchall() == [(True, False)]


@pytest.mark.parametrize("kind", ["token for another audience", "expired token", "junk"])
def test_a_wrong_token_is_refused_with_403(
    kind: str,
    emulator: EntraEmulator,
    azurite_host_style: Azurite,
    container: str,
    connection: Any,
) -> None:
    """The control: the right token writes the file; a wrong one (same secret name, replaced)
    gets 403, so the round trip was signed by azlogin's token."""
    url = _url(azurite_host_style, container)
    good = azlogin.duckdb.create_secret(connection, url, **_login(emulator))
    good.execute(f"COPY (SELECT 1 AS x) TO 'az://{container}/t.parquet' (FORMAT parquet)")
    wrong = {
        "token for another audience": emulator.mint_token(resource="https://management.azure.com")[
            0
        ],
        "expired token": emulator.mint_token(issued_at=time.time() - 7200)[0],
        "junk": "not-a-token",
    }[kind]
    bad = azlogin.duckdb.create_secret(
        connection, url, credential=FakeCredential(token=wrong), trusted_microsoft_suffixes=TRUSTED
    )
    assert bad.name == good.name  # replaced, not added
    connection.execute("CALL enable_logging('HTTP')")
    with pytest.raises(duckdb.IOException, match="AuthenticationFailed"):
        bad.sql(f"SELECT * FROM 'az://{container}/t.parquet'").fetchall()
    statuses = connection.execute(
        "SELECT response.status FROM duckdb_logs_parsed('HTTP')"
    ).fetchall()
    assert statuses
    assert {status for (status,) in statuses} == {"Forbidden_403"}
    good.refresh()
    assert good.sql(f"SELECT x FROM 'az://{container}/t.parquet'").fetchall() == [(1,)]


@pytest.mark.parametrize(
    "url",
    [
        "https://devstoreaccount1.blob.localhost:10000/data",  # not trusted by default
        "https://myaccount.blob.core.windows.net.evil.example/data",  # a lookalike host
        "abfss://data@myaccount.dfs.core.windows.net.evil.example/",
    ],
)
def test_an_untrusted_url_is_refused_before_any_io(url: str, emulator: EntraEmulator) -> None:
    with duckdb.connect() as connection:
        with pytest.raises(azlogin.UntrustedDestinationError):
            azlogin.duckdb.create_secret(connection, url, env=emulator.env("SPN"))
        assert not _extension_loaded(connection)  # refused before the extension was loaded
    assert sum(emulator.requests.values()) == 0


def test_the_secret_signs_no_url_naming_another_host(connection: Any) -> None:
    """An unscoped token secret would be used for any fully qualified URL, and DuckDB would
    send the token to that URL's host: the scope holds the container's URLs of the checked
    account only."""
    secret = azlogin.duckdb.create_secret(
        connection, "https://myaccount.blob.core.windows.net/data", credential=FakeCredential()
    )

    def signer(path: str) -> list[tuple[Any, ...]]:
        return connection.execute("SELECT name FROM which_secret(?, 'azure')", [path]).fetchall()

    for path in [
        "az://data/x.parquet",
        "azure://data/x.parquet",
        "az://myaccount.blob.core.windows.net/data/x.parquet",
        "abfss://data/x.parquet",
        "abfss://data@myaccount.dfs.core.windows.net/x.parquet",
        "abfss://myaccount.dfs.core.windows.net/data/x.parquet",
    ]:
        assert signer(path) == [(secret.name,)], path
    for path in [
        "az://other/x.parquet",  # another container
        "az://data.blob.evil.example/data/x.parquet",
        "az://evil.blob.core.windows.net/data/x.parquet",
        "az://myaccount.blob.core.windows.net.evil.example/data/x.parquet",
        "abfss://data@evil.dfs.core.windows.net/x.parquet",
        "abfss://data@myaccount.dfs.core.windows.net.evil.example/x.parquet",
    ]:
        assert signer(path) == [], path


def test_abfss_is_signed_only_when_the_dfs_host_is_trusted(connection: Any) -> None:
    url = "https://devstoreaccount1.blob.localhost:10000/data"
    fake = FakeCredential()
    only_blob = azlogin.duckdb.create_secret(
        connection, url, credential=fake, trusted_microsoft_suffixes="blob.localhost"
    )
    assert not any(prefix.startswith("abfs") for prefix in only_blob.scope)
    both = azlogin.duckdb.create_secret(
        connection, url, credential=fake, trusted_microsoft_suffixes="localhost"
    )
    assert "abfss://data/" in both.scope
    assert "abfss://data@devstoreaccount1.dfs.localhost:10000/" in both.scope


def test_a_path_style_url_is_refused_with_the_fix(emulator: EntraEmulator, connection: Any) -> None:
    with pytest.raises(azlogin.ConfigurationError, match=r"blob\.localhost") as caught:
        azlogin.duckdb.create_secret(
            connection,
            "https://127.0.0.1:10000/devstoreaccount1/data",
            env=emulator.env("SPN"),
            trusted_microsoft_suffixes="127.0.0.1",
        )
    assert caught.value.keyword == "url"
    assert sum(emulator.requests.values()) == 0


def test_re_issued_when_the_engines_token_changes(
    emulator: EntraEmulator,
    azurite_host_style: Azurite,
    container: str,
    connection: Any,
    monkeypatch: pytest.MonkeyPatch,
    standins_on_path: Path,
) -> None:
    """60-second tokens and the engine's injected clock (no sleeping): once the clock passes
    the first token's usable life, the next statement through the handle re-issues the
    secret with the engine's new token. AZCLI, because azure-identity's Azure CLI credential
    keeps no token cache of its own, so the engine's clock alone decides."""
    monkeypatch.setattr(emulator, "token_lifetime", 60)
    now = [time.time()]
    credential = azlogin.get_credential(emulator.env("AZCLI"), clock=lambda: now[0])
    secret = azlogin.duckdb.create_secret(
        connection,
        _url(azurite_host_style, container),
        credential=credential,
        trusted_microsoft_suffixes=TRUSTED,
    )
    first_expiry = secret.expires_on
    secret.execute(f"COPY (SELECT 1 AS x) TO 'az://{container}/t.parquet' (FORMAT parquet)")
    assert secret.ensure_fresh() is False
    assert emulator.requests["cli"] == 1

    now[0] = first_expiry - 1  # past the first token's usable life: the engine fetches anew
    assert secret.ensure_fresh() is True
    assert emulator.requests["cli"] == 2
    assert secret.expires_on >= first_expiry
    assert secret.ensure_fresh() is False  # once
    assert secret.sql(f"SELECT x FROM 'az://{container}/t.parquet'").fetchall() == [(1,)]
    assert emulator.requests["cli"] == 2


def test_keeps_working_past_the_first_tokens_expiry(
    emulator: EntraEmulator,
    azurite_host_style: Azurite,
    container: str,
    connection: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Real time, with 3-second tokens: after the first token expired (Azurite refuses it,
    shown on a second connection holding it), the handle re-issues the secret on use and the
    query succeeds."""
    monkeypatch.setattr(emulator, "token_lifetime", 3)
    url = _url(azurite_host_style, container)
    credential = azlogin.get_credential(emulator.env("SPN"), connection_verify=emulator.ca_path)
    secret = azlogin.duckdb.create_secret(
        connection, url, credential=credential, trusted_microsoft_suffixes=TRUSTED
    )
    first = credential.get_token_info(azlogin.STORAGE_SCOPE)  # the engine's: the secret's
    assert secret.expires_on == first.expires_on
    secret.execute(f"COPY (SELECT 7 AS x) TO 'az://{container}/t.parquet' (FORMAT parquet)")
    time.sleep(max(0.0, first.expires_on + 1 - time.time()))

    with duckdb.connect() as control:
        azlogin.duckdb.create_secret(
            control,
            url,
            credential=FakeCredential(token=first.token),
            trusted_microsoft_suffixes=TRUSTED,
        )
        control.execute("SET azure_transport_option_type = 'curl'")
        with pytest.raises(duckdb.IOException, match="AuthenticationFailed"):
            control.sql(f"SELECT x FROM 'az://{container}/t.parquet'").fetchall()

    assert secret.sql(f"SELECT x FROM 'az://{container}/t.parquet'").fetchall() == [(7,)]
    assert secret.expires_on > first.expires_on
    assert emulator.requests["token"] == 2


def test_the_token_is_never_in_sql_text_logs_reprs_or_pickles(
    emulator: EntraEmulator,
    azurite_host_style: Azurite,
    container: str,
    connection: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = emulator.mint_token()[0]
    connection.execute("CALL enable_logging(level = 'debug')")  # every DuckDB log type
    with azlogin.duckdb.create_secret(
        connection,
        _url(azurite_host_style, container),
        credential=FakeCredential(token=token),
        trusted_microsoft_suffixes=TRUSTED,
    ) as secret:
        secret.execute(f"COPY (SELECT 1 AS x) TO 'az://{container}/t.parquet' (FORMAT parquet)")
        secret.refresh()
        assert secret.sql(f"SELECT x FROM 'az://{container}/t.parquet'").fetchall() == [(1,)]
        [(_, _, _, secret_string)] = _secrets(connection)
        assert "access_token=redacted" in secret_string
        shown = [repr(secret), str(secret), secret_string]
        with pytest.raises(TypeError, match="never pickled"):
            pickle.dumps(secret)
    messages = connection.execute("SELECT message FROM duckdb_logs").fetchall()
    assert any("CREATE OR REPLACE TEMPORARY SECRET" in message for (message,) in messages)
    assert any("authorization=REDACTED" in message for (message,) in messages)  # HTTP log
    logged = [record.getMessage() for record in caplog.records]
    assert any("DuckDB secret" in line for line in logged)
    for text in shown + [message for (message,) in messages] + logged:
        assert token not in text
        assert token.split(".")[1] not in text  # not even the claims part


def test_a_quote_in_the_token_cannot_change_the_statement(connection: Any) -> None:
    hostile = "x', ACCOUNT_NAME 'evil', ENDPOINT 'evil.example"
    azlogin.duckdb.create_secret(
        connection,
        "https://myaccount.blob.core.windows.net/data",
        credential=FakeCredential(token=hostile),
    )
    [(_, _, _, secret_string)] = _secrets(connection)
    assert "account_name=myaccount" in secret_string
    assert "endpoint=blob.core.windows.net" in secret_string
    assert "evil" not in secret_string


def test_the_handle_re_issues_on_use_after_the_token_changed(connection: Any) -> None:
    fake = FakeCredential(token="first", expires_in=600)
    secret = azlogin.duckdb.create_secret(
        connection, "https://myaccount.blob.core.windows.net/data", credential=fake
    )
    assert secret.ensure_fresh() is False
    fake.token = "second"  # as the engine hands out after a refresh
    connection.execute("CALL enable_logging('QueryLog')")
    assert secret.sql("SELECT 42").fetchall() == [(42,)]
    assert secret.ensure_fresh() is False  # the statement re-issued it first
    queries = [q for (q,) in connection.execute("SELECT message FROM duckdb_logs").fetchall()]
    assert [q.split(" (")[0] for q in queries if "SECRET" in q] == [
        f'CREATE OR REPLACE TEMPORARY SECRET "{secret.name}"'
    ]
    fake.token = "third"
    assert secret.execute("SELECT 1").fetchall() == [(1,)]
    assert secret.ensure_fresh() is False


def test_as_a_context_manager_the_secret_is_dropped(connection: Any) -> None:
    fake = FakeCredential()
    with azlogin.duckdb.create_secret(
        connection, "https://myaccount.blob.core.windows.net/data", credential=fake
    ) as secret:
        assert len(_secrets(connection)) == 1
    assert _secrets(connection) == []
    fake.token = "changed"
    assert secret.ensure_fresh() is False  # dropped: not re-created behind the user's back
    assert _secrets(connection) == []
    secret.refresh()  # explicitly: created again
    assert len(_secrets(connection)) == 1


def test_names(connection: Any) -> None:
    fake = FakeCredential()
    url = "https://myaccount.blob.core.windows.net/my-data"
    assert azlogin.duckdb.create_secret(connection, url, credential=fake).name == (
        "azlogin_myaccount_my_data"
    )
    assert azlogin.duckdb.create_secret(connection, url, credential=fake, name="Sales").name == (
        "sales"  # as DuckDB keeps it
    )
    assert azlogin.duckdb.create_secret(connection, url, credential=fake, name="select").name == (
        "select"  # quoted in the statement: a keyword is a name like any other
    )
    with pytest.raises(azlogin.ConfigurationError, match="secret name") as caught:
        azlogin.duckdb.create_secret(connection, url, credential=fake, name="x; DROP TABLE t")
    assert caught.value.keyword == "name"
    assert sorted(row[0] for row in _secrets(connection)) == [
        "azlogin_myaccount_my_data",
        "sales",
        "select",
    ]


def test_an_unknown_keyword_is_a_type_error(connection: Any) -> None:
    with pytest.raises(TypeError, match="scope"):
        azlogin.duckdb.create_secret(
            connection,
            "https://myaccount.blob.core.windows.net/data",
            credential=FakeCredential(),
            scope="az://",
        )


def test_duckdb_is_imported_only_when_a_secret_is_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = "import sys, azlogin.duckdb; print('duckdb' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
    monkeypatch.setitem(sys.modules, "duckdb", None)  # as if duckdb were not installed
    with pytest.raises(ImportError, match=r'pip install "azlogin\[duckdb\]"'):
        azlogin.duckdb.create_secret(
            object(), "https://myaccount.blob.core.windows.net/data", credential=FakeCredential()
        )


def test_the_log_line_names_the_secret_and_its_host(
    connection: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="azlogin")
    azlogin.duckdb.create_secret(
        connection,
        "https://myaccount.blob.core.windows.net/data",
        credential=FakeCredential(token="t0k3n-value"),
    )
    [line] = [r.getMessage() for r in caplog.records if "DuckDB secret" in r.getMessage()]
    assert "azlogin_myaccount_data" in line
    assert "myaccount.blob.core.windows.net" in line
    assert "t0k3n-value" not in line


def test_the_example_runs(
    emulator: EntraEmulator, azurite_host_style: Azurite, container: str
) -> None:
    """examples/duckdb_query.py against the host-style Azurite (tests/test_examples.py's
    Azurite is path-style only), with the variables a user sets."""
    env = {
        **os.environ,
        **emulator.env("SPN"),
        "STORAGE_ACCOUNT_URL": azurite_host_style.account_url,
        "HOST_STYLE_ACCOUNT_URL": azurite_host_style.host_style_url,
        "TRUSTED_SUFFIXES": "127.0.0.1;localhost",
        "CONTAINER": container,
        "REQUESTS_CA_BUNDLE": emulator.ca_path,  # trust the emulator's CA, as a user would
        "SSL_CERT_FILE": emulator.ca_path,
    }
    env.pop("CURL_CA_INFO", None)  # the example takes SSL_CERT_FILE's
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "duckdb_query.py")], env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "[('north', 120), ('south', 80)]"
    assert env["AZCOPY_SPA_CLIENT_SECRET"] not in result.stdout + result.stderr
