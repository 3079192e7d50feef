"""Loading a service principal's certificate (PEM or PKCS12) and checking it before use.

azure-identity would only fail at the first token request, with a message about
cryptography internals; checking here turns each problem into a ConfigurationError that
names the variable and the fix. No message ever contains the password. cryptography is
imported when a certificate is read, not with azlogin.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Optional

from .._errors import ConfigurationError, refuse_pickling, repr_without

if TYPE_CHECKING:
    from cryptography import x509

__all__ = ["CertificateMaterial", "Setting", "load_certificate", "parse_certificate"]


class CertificateMaterial(NamedTuple):
    """What CertificateCredential needs: the file's bytes and the password that opens them.
    Its repr shows neither, and it never pickles (it holds a private key and its password)."""

    data: bytes
    password: Optional[bytes]  # noqa: UP045 - NamedTuple fields are evaluated on 3.9
    fmt: str  # "pem" or "pkcs12"

    def __repr__(self) -> str:
        return repr_without(self, "data", "password")

    def __reduce__(self) -> Any:
        raise refuse_pickling(self)


class Setting(NamedTuple):
    """How errors name a setting: its label in messages, and the error's fields
    (``variable`` and ``keyword``)."""

    label: str
    fields: Mapping[str, Optional[str]] = MappingProxyType({})  # noqa: UP045

    def error(self, message: str) -> ConfigurationError:
        return ConfigurationError(message, **self.fields)


def load_certificate(
    path: str, password: str | None, *, file: Setting, secret: Setting
) -> CertificateMaterial:
    """Read and check the certificate at ``path`` (the thin I/O shell of this module).
    ``file`` and ``secret`` name the path's and the password's settings in errors."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except (ValueError, UnicodeError):  # a NUL byte or a lone surrogate in the path
        raise file.error(
            f"{file.label} is not a usable path (it holds a NUL byte or an undecodable "
            "character); set it to the path of the certificate file."
        ) from None
    except FileNotFoundError:
        raise file.error(
            f"{file.label} points to {path!r}, which does not exist; set it to the path of a "
            "PEM or PKCS12 (.pfx) file that holds the certificate and its private key."
        ) from None
    except OSError as error:
        raise file.error(
            f"{file.label} points to {path!r}, which cannot be read ({error.strerror}); "
            "check the path and the file's permissions."
        ) from None
    located = Setting(f"{file.label} ({path!r})", file.fields)
    return parse_certificate(data, password, file=located, secret=secret)


def parse_certificate(
    data: bytes, password: str | None, *, file: Setting, secret: Setting
) -> CertificateMaterial:
    """Check that ``data`` holds a certificate and its private key, openable with ``password``.

    The password is encoded as the environment decoded it (UTF-8 with surrogate escapes), so
    a password of non-UTF-8 bytes reaches the file as those bytes."""
    try:
        encoded = password.encode("utf-8", "surrogateescape") if password else None
    except UnicodeEncodeError:
        raise secret.error(
            f"{secret.label} is not valid text (it holds a lone surrogate); set it to the "
            "certificate's password."
        ) from None
    if b"-----BEGIN" in data:
        return _parse_pem(data, encoded, file=file, secret=secret)
    return _parse_pkcs12(data, encoded, file=file, secret=secret)


def _parse_pem(
    data: bytes, password: bytes | None, *, file: Setting, secret: Setting
) -> CertificateMaterial:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    where = file.label
    if b"PRIVATE KEY-----" not in data:
        raise file.error(
            f"{where} is a PEM file without a private key; the file must hold both the "
            "certificate and its private key (concatenate the key's PEM block into it)."
        )
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except ValueError:
        raise file.error(
            f"{where} holds a private key but no readable certificate; add the certificate's "
            "PEM block to the file."
        ) from None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        if password is None:
            raise secret.error(
                f"{where} has an encrypted private key; set {secret.label} to its password."
            ) from None
        # The key is not encrypted, so the password is not needed: drop it rather than fail.
        key = serialization.load_pem_private_key(data, password=None)
        password = None
    except ValueError:
        raise secret.error(
            f"{where}: the private key could not be decrypted; check {secret.label} "
            "(wrong password) or that the key is a valid PEM private key."
        ) from None
    _check_pair(certificate, key, file)
    return CertificateMaterial(data, password, "pem")


def _parse_pkcs12(
    data: bytes, password: bytes | None, *, file: Setting, secret: Setting
) -> CertificateMaterial:
    from cryptography.hazmat.primitives.serialization import pkcs12

    where = file.label
    try:
        key, certificate, _ = pkcs12.load_key_and_certificates(data, password)
    except (ValueError, TypeError):  # cryptography raises TypeError for a non-UTF-8 password
        # With a password given, a wrong one is the likelier cause; without, the file.
        hint = f"check {secret.label}" if password else f"set {secret.label} if it has one"
        raise (secret if password else file).error(
            f"{where} could not be opened as PKCS12 (.pfx) or PEM: wrong password ({hint}) or "
            "not a certificate file."
        ) from None
    if key is None:
        raise file.error(
            f"{where} is a PKCS12 file without a private key; export it with the private key."
        )
    if certificate is None:
        raise file.error(f"{where} is a PKCS12 file without a certificate.")
    _check_pair(certificate, key, file)
    return CertificateMaterial(data, password, "pkcs12")


def _check_pair(certificate: x509.Certificate, key: object, file: Setting) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # azure-identity's CertificateCredential signs with RS256 and refuses any other key, but
    # only when it is built: at the first token request, since azlogin builds it then.
    if not isinstance(key, rsa.RSAPrivateKey):
        raise file.error(
            f"{file.label} holds a private key that is not RSA; a service principal's "
            "certificate signs with RS256, so it needs an RSA key (use an RSA certificate)."
        )
    encoding = serialization.Encoding.PEM
    fmt = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(encoding, fmt) != certificate.public_key().public_bytes(
        encoding, fmt
    ):
        raise file.error(
            f"{file.label}: the private key does not belong to the certificate; put the "
            "matching key beside the certificate."
        )
