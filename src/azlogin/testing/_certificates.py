"""Certificate and private-file helpers of the Entra emulator.

They build the self-signed certificates the emulator registers for its
service principal, serialize them with their key as PEM or PKCS#12, and write
new files that only their owner can read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

__all__ = [
    "Certificate",
    "encryption",
    "new_certificate",
    "pem_file",
    "pkcs12_file",
    "self_signed_certificate",
    "write_private_file",
]


@dataclass(frozen=True)
class Certificate:
    """A certificate registered for the service principal: its thumbprints and key."""

    sha1: bytes
    sha256: bytes
    public_key: rsa.RSAPublicKey


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


def new_certificate(
    common_name: str, *, fmt: str, password: str | None, include_key: bool
) -> tuple[Certificate, bytes]:
    """A new RSA 2048 key and self-signed certificate: what to register, and the file's bytes.

    ``fmt="pem"`` gives the certificate then the PKCS#8 key (encrypted when ``password`` is
    given); ``fmt="pkcs12"`` a PKCS#12 file protected by ``password``. ``include_key=False``
    leaves the key out.

    Raises:
        ValueError: unknown ``fmt``, or a password for a key-less PEM file.
    """
    kind = fmt.lower()
    if kind not in ("pem", "pkcs12"):
        raise ValueError(f"unknown certificate format {fmt!r}; expected 'pem' or 'pkcs12'")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = self_signed_certificate(key, common_name)
    writer = pem_file if kind == "pem" else pkcs12_file
    data = writer(cert, key, password, include_key)
    registered = Certificate(
        sha1=cert.fingerprint(hashes.SHA1()),  # noqa: S303 - x5t is defined as SHA-1
        sha256=cert.fingerprint(hashes.SHA256()),
        public_key=key.public_key(),
    )
    return registered, data


def write_private_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path``, readable by its owner only; a symlink there is refused."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file keeps its mode otherwise
        handle.write(data)
