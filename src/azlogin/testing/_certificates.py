"""Certificate and private-file helpers of the Entra emulator.

They build the self-signed certificates the emulator registers for its
service principal, serialize them with their key as PEM or PKCS#12, and write
new files that only their owner can read.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = [
    "encryption",
    "pem_file",
    "pkcs12_file",
    "self_signed_certificate",
    "write_private_file",
]


def self_signed_certificate(key: rsa.RSAPrivateKey, common_name: str) -> x509.Certificate:
    """Build a one-year, non-CA certificate for ``key`` that names ``common_name``."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def encryption(password: str | None) -> serialization.KeySerializationEncryption:
    """The key encryption for ``password``: none when it is empty or ``None``."""
    if password:
        return serialization.BestAvailableEncryption(password.encode("utf-8"))
    return serialization.NoEncryption()


def pem_file(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, password: str | None, include_key: bool
) -> bytes:
    """The certificate as PEM, then the PKCS#8 key when ``include_key``.

    Raises:
        ValueError: a password for a file without the key.
    """
    data = cert.public_bytes(serialization.Encoding.PEM)
    if include_key:
        data += key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption(password)
        )
    elif password:
        raise ValueError("a password only applies to a PEM file that includes the key")
    return data


def pkcs12_file(
    cert: x509.Certificate, key: rsa.RSAPrivateKey, password: str | None, include_key: bool
) -> bytes:
    """The certificate, and the key when ``include_key``, as PKCS#12 protected by ``password``."""
    return pkcs12.serialize_key_and_certificates(
        b"azlogin-test", key if include_key else None, cert, None, encryption(password)
    )


def write_private_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``, readable by its owner only; a symlink there is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode otherwise
        handle.write(data)
