"""Tiny JSON Web Token helpers for the Entra emulator.

Only what the emulator needs: base64url coding, building tokens with a
placeholder signature (the consumers of emulated access tokens, such as
Azurite's ``--oauth basic`` mode, never check signatures), signing and
verifying RS256 / PS256 tokens with :mod:`cryptography` keys, and reading
claims without verification. This is not a general-purpose JWT library.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey

__all__ = [
    "PLACEHOLDER_SIGNATURE",
    "b64url_decode",
    "b64url_encode",
    "decode_claims",
    "decode_header",
    "encode_signed",
    "encode_unsigned",
    "verify_signature",
]

#: The signature part of tokens that nobody verifies.
PLACEHOLDER_SIGNATURE = b"azlogin-emulator-signature-not-verified"


def b64url_encode(data: bytes) -> str:
    """Encode bytes as unpadded base64url text."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url text, with or without padding.

    Raises:
        ValueError: ``text`` is not base64url.
    """
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError("not base64url data") from exc


def _encode_json(value: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _signing_input(header: Mapping[str, Any], claims: Mapping[str, Any]) -> str:
    return _encode_json(header) + "." + _encode_json(claims)


def encode_unsigned(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    *,
    signature: bytes = PLACEHOLDER_SIGNATURE,
) -> str:
    """Build a compact JWT whose signature is a fixed placeholder.

    The header is kept as given (typically ``{"alg": "RS256", ...}``) so that the
    token looks like a real one to code that only parses it.
    """
    return _signing_input(header, claims) + "." + b64url_encode(signature)


def _split(token: str) -> tuple[str, str, str]:
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise ValueError("not a compact JWT")
    return parts[0], parts[1], parts[2]


def _decode_json_part(part: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(part).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError("JWT part is not JSON") from exc
    if not isinstance(value, dict):
        raise ValueError("JWT part is not a JSON object")
    return value


def decode_header(token: str) -> dict[str, Any]:
    """Return the JOSE header of ``token``.

    Raises:
        ValueError: ``token`` is not a compact JWT.
    """
    return _decode_json_part(_split(token)[0])


def decode_claims(token: str) -> dict[str, Any]:
    """Return the claims of ``token`` without verifying anything.

    Raises:
        ValueError: ``token`` is not a compact JWT.
    """
    return _decode_json_part(_split(token)[1])


def _rsa_padding(alg: str) -> padding.AsymmetricPadding | None:
    if alg == "RS256":
        return padding.PKCS1v15()
    if alg == "PS256":
        # RFC 7518 fixes the salt length to the hash size; AUTO also accepts it.
        return padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
    return None


def encode_signed(
    header: Mapping[str, Any],
    claims: Mapping[str, Any],
    private_key: RSAPrivateKey,
) -> str:
    """Build a JWT signed with ``private_key``; ``header["alg"]`` is RS256 or PS256.

    Raises:
        ValueError: the algorithm is not supported.
    """
    alg = str(header.get("alg", ""))
    if alg == "RS256":
        pad: padding.AsymmetricPadding = padding.PKCS1v15()
    elif alg == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    else:
        raise ValueError(f"unsupported JWT algorithm {alg!r}")
    signing_input = _signing_input(header, claims)
    signature = private_key.sign(signing_input.encode("ascii"), pad, hashes.SHA256())
    return signing_input + "." + b64url_encode(signature)


def verify_signature(token: str, public_key: RSAPublicKey) -> bool:
    """Tell whether ``token`` carries a valid RS256 or PS256 signature by ``public_key``.

    Malformed tokens and other algorithms (including ``none``) are reported as
    invalid rather than raising.
    """
    try:
        header_part, claims_part, signature_part = _split(token)
        pad = _rsa_padding(str(decode_header(token).get("alg", "")))
        signature = b64url_decode(signature_part)
    except ValueError:
        return False
    if pad is None:
        return False
    signing_input = f"{header_part}.{claims_part}".encode()
    try:
        public_key.verify(signature, signing_input, pad, hashes.SHA256())
    except InvalidSignature:
        return False
    return True
