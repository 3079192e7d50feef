"""DuckDB writes Parquet to Azure Storage and queries it, signed in the AzCopy way.

Same variables as blob_upload_download.py, plus CONTAINER (an existing container); needs
`pip install ".[duckdb]"` (DuckDB and its azure extension, loaded from PyPI's wheel:
nothing is downloaded). DuckDB's azure extension builds host-style URLs
(https://<account>.blob.core.windows.net): against Azurite, set HOST_STYLE_ACCOUNT_URL to a
host-style address such as https://devstoreaccount1.blob.localhost:10000 (Azurite started
without --disableProductStyleUrl, with a certificate for that host). DuckDB's curl transport
trusts CURL_CA_INFO's certificate authorities (SSL_CERT_FILE's here, when only that is set),
else the system's.
"""

from __future__ import annotations

import os

import duckdb

import azlogin.duckdb


def main() -> None:
    if os.environ.get("SSL_CERT_FILE"):
        os.environ.setdefault("CURL_CA_INFO", os.environ["SSL_CERT_FILE"])
    account = os.environ.get("HOST_STYLE_ACCOUNT_URL") or os.environ["STORAGE_ACCOUNT_URL"]
    container = os.environ["CONTAINER"]
    with duckdb.connect() as con:
        secret = azlogin.duckdb.create_secret(
            con,
            f"{account}/{container}",
            trusted_microsoft_suffixes=os.environ.get("TRUSTED_SUFFIXES"),
        )
        con.execute("SET azure_transport_option_type = 'curl'")  # after the extension loaded
        path = f"az://{container}/example/sales.parquet"
        # Statements through the handle re-issue the secret when azlogin refreshed the token.
        secret.execute(
            "COPY (SELECT * FROM (VALUES ('north', 120), ('south', 80)) sales(region, sales)) "
            "TO $path (FORMAT parquet)",
            {"path": path},
        )
        query = "SELECT region, sales FROM read_parquet($path) ORDER BY region"
        print(secret.sql(query, params={"path": path}).fetchall())


if __name__ == "__main__":
    main()
